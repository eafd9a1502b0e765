// Control pipe: length-prefixed JSON frames over a libuv pipe (see control_pipe.h).
#include "common/control_pipe.h"

#include <signal.h>

#include <utility>

#include "common/log.h"

namespace sg {
namespace {

constexpr size_t kHeaderBytes = 4;
constexpr size_t kReadChunk = 64 * 1024;

uint32_t readBigEndian32(const char* bytes) {
  auto byte = [bytes](int i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

}  // namespace

std::string encodeFrame(std::string_view payload) {
  auto size = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.reserve(kHeaderBytes + payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  frame.append(payload);
  return frame;
}

bool FrameDecoder::feed(std::string_view bytes) {
  if (failed()) return false;
  buffer_.append(bytes);
  return checkHeader();
}

bool FrameDecoder::checkHeader() {
  if (buffered() < kHeaderBytes) return true;
  uint32_t size = readBigEndian32(buffer_.data() + consumed_);
  if (size > max_frame_bytes_) {
    error_ = "frame of " + std::to_string(size) + " bytes exceeds the maximum of " +
             std::to_string(max_frame_bytes_);
    return false;
  }
  return true;
}

bool FrameDecoder::next(std::string* payload) {
  if (failed() || buffered() < kHeaderBytes) return false;
  uint32_t size = readBigEndian32(buffer_.data() + consumed_);
  if (buffered() < kHeaderBytes + size) return false;
  payload->assign(buffer_, consumed_ + kHeaderBytes, size);
  consumed_ += kHeaderBytes + size;
  // Compact once the consumed prefix dominates, so the buffer stays about one frame large.
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  // The following frame's header may already be here: check it now, not when its body is.
  checkHeader();
  return true;
}

struct ControlPipe::WriteRequest {
  uv_write_t req{};
  std::string frame;
};

ControlPipe::ControlPipe(uv_loop_t* loop, ControlPipeOptions options)
    : loop_(loop),
      options_(options),
      stall_timer_(loop),
      deferred_(loop),
      decoder_(options.max_frame_bytes),
      read_buffer_(kReadChunk) {
  // Idempotent and process-wide: every daemon writing to pipes and sockets wants EPIPE instead.
  ::signal(SIGPIPE, SIG_IGN);
  uv_pipe_init(loop_, pipe_.get(), 0);
  pipe_.get()->data = this;
}

ControlPipe::~ControlPipe() {
  close();
}

int ControlPipe::open(int fd) {
  return uv_pipe_open(pipe_.get(), fd);
}

int ControlPipe::start(MessageCallback on_message, CloseCallback on_close) {
  if (closed_ || started_) return UV_EINVAL;
  on_message_ = std::move(on_message);
  on_close_ = std::move(on_close);
  auto* stream = reinterpret_cast<uv_stream_t*>(pipe_.get());
  int rc = uv_read_start(stream, &ControlPipe::onAlloc, &ControlPipe::onRead);
  if (rc == 0) started_ = true;
  return rc;
}

bool ControlPipe::send(const cJSON& message) {
  if (!isOpen()) return false;
  std::string payload = printJson(&message);
  if (payload.empty() || payload.size() > options_.max_frame_bytes) {
    log::get("pipe").error("not sending a {} byte control message: over the {} byte frame limit",
                           payload.size(), options_.max_frame_bytes);
    return false;
  }
  auto request = std::make_unique<WriteRequest>();
  request->frame = encodeFrame(payload);
  size_t bytes = request->frame.size();
  if (queued_bytes_ + bytes > options_.max_queued_bytes) {
    fail(CloseReason::kWriteStalled,
         "peer not reading: " + std::to_string(queued_bytes_) + " bytes already queued", true);
    return false;
  }
  uv_buf_t buf = uv_buf_init(request->frame.data(), static_cast<unsigned>(bytes));
  request->req.data = request.get();
  auto* stream = reinterpret_cast<uv_stream_t*>(pipe_.get());
  int rc = uv_write(&request->req, stream, &buf, 1, &ControlPipe::onWrite);
  if (rc != 0) {
    fail(CloseReason::kIoError, std::string("write: ") + uv_strerror(rc), true);
    return false;
  }
  request.release();  // owned by libuv until onWrite
  if (queued_bytes_ == 0 && options_.write_stall_ms > 0) {
    writes_done_at_check_ = writes_done_;
    unsent_at_check_ = uv_stream_get_write_queue_size(stream);
    queued_since_check_ = 0;
    stall_timer_.start(
        options_.write_stall_ms, [this] { checkProgress(); }, options_.write_stall_ms);
  } else {
    queued_since_check_ += bytes;
  }
  queued_bytes_ += bytes;
  return true;
}

void ControlPipe::close() {
  closed_ = true;
  on_message_ = nullptr;
  on_close_ = nullptr;
  stall_timer_.stop();
  deferred_.stop();
  pipe_.close();  // pending writes complete with UV_ECANCELED and find no owner
}

std::string_view ControlPipe::reasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kEof:
      return "eof";
    case CloseReason::kProtocolError:
      return "protocol_error";
    case CloseReason::kWriteStalled:
      return "write_stalled";
    case CloseReason::kIoError:
      return "io_error";
  }
  return "unknown";
}

void ControlPipe::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<ControlPipe*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(self->read_buffer_.data(), static_cast<unsigned>(self->read_buffer_.size()));
}

void ControlPipe::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<ControlPipe*>(stream->data);
  if (self == nullptr || self->closed_) return;
  if (nread > 0) {
    if (!self->decoder_.feed(std::string_view(buf->base, static_cast<size_t>(nread)))) {
      self->fail(CloseReason::kProtocolError, self->decoder_.error(), false);
      return;
    }
    self->deliverFrames();
  } else if (nread == UV_EOF) {
    self->fail(CloseReason::kEof, "end of file", false);
  } else if (nread < 0) {
    self->fail(CloseReason::kIoError, std::string("read: ") + uv_strerror(static_cast<int>(nread)),
               false);
  }
}

void ControlPipe::deliverFrames() {
  std::weak_ptr<bool> alive = alive_;
  std::string payload;
  while (decoder_.next(&payload)) {
    std::string error;
    auto message = control::parseMessage(payload, &error);
    if (!message) {
      fail(CloseReason::kProtocolError, error, false);
      return;
    }
    if (on_message_) {
      auto callback = on_message_;  // the callback may close or destroy this pipe
      callback(std::move(*message));
      if (alive.expired() || closed_) return;
    }
  }
  if (decoder_.failed()) fail(CloseReason::kProtocolError, decoder_.error(), false);
}

void ControlPipe::onWrite(uv_write_t* req, int status) noexcept {
  std::unique_ptr<WriteRequest> request(static_cast<WriteRequest*>(req->data));
  auto* self = static_cast<ControlPipe*>(req->handle->data);
  if (self != nullptr) self->writeDone(request->frame.size(), status);
}

void ControlPipe::writeDone(size_t bytes, int status) {
  queued_bytes_ -= bytes;
  ++writes_done_;
  if (queued_bytes_ == 0) stall_timer_.stop();
  if (status < 0 && status != UV_ECANCELED) {
    fail(CloseReason::kIoError, std::string("write: ") + uv_strerror(status), false);
  }
}

void ControlPipe::checkProgress() {
  if (closed_ || queued_bytes_ == 0) return;
  // Progress: a write completed, or fewer bytes wait in libuv than before plus those added since.
  size_t unsent = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(pipe_.get()));
  if (writes_done_ == writes_done_at_check_ && unsent >= unsent_at_check_ + queued_since_check_) {
    fail(CloseReason::kWriteStalled,
         "peer not reading: " + std::to_string(queued_bytes_) + " bytes unsent for " +
             std::to_string(options_.write_stall_ms) + " ms",
         false);
    return;
  }
  writes_done_at_check_ = writes_done_;
  unsent_at_check_ = unsent;
  queued_since_check_ = 0;
}

void ControlPipe::fail(CloseReason reason, std::string detail, bool defer) {
  if (closed_) return;
  CloseCallback callback = std::move(on_close_);
  close();
  if (!callback) return;
  if (!defer) {
    callback(reason, detail);
    return;
  }
  // Reported from the loop, not from inside the owner's send(). The deferred timer is owned by
  // this pipe, so the report is dropped if the owner destroys the pipe first.
  deferred_.start(0, [callback = std::move(callback), reason, detail = std::move(detail)] {
    callback(reason, detail);
  });
}

}  // namespace sg
