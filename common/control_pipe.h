// The control channel between the supervisor and one worker: a libuv pipe carrying frames of a
// 4-byte big-endian length followed by one JSON message (control_message.h). Reads are
// reassembled across partial and merged chunks; writes are queued but bounded, so a peer that
// stops reading is detected (and reported) instead of buffered forever.
//
// Design: the pipe reports exactly one close (end of file, protocol error, stalled writes or an
// I/O error) and then nothing more; the owner decides what that means (the worker treats it as
// "supervisor gone", the supervisor as a worker to put down). This file does not know which side
// it is on, spawn processes or interpret messages. A process using it ignores SIGPIPE (the
// constructor makes sure): a dead peer must surface as an error on this pipe, not kill us.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/control_message.h"
#include "common/uv_handle.h"

namespace sg {

struct ControlPipeOptions {
  size_t max_frame_bytes = 4 * 1024 * 1024;    // a larger frame (either way) is a protocol error
  size_t max_queued_bytes = 16 * 1024 * 1024;  // unsent bytes beyond this: the peer is not reading
  uint32_t write_stall_ms = 30000;  // queued bytes with no progress this long: stalled (0: off)
};

// 4-byte big-endian length + payload.
std::string encodeFrame(std::string_view payload);

// Reassembles frames from a byte stream. Pure (no I/O), so framing is testable on its own.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Appends bytes. Returns false once a header announces a frame above the maximum (checked
  // before its body is buffered); the decoder then stays failed and error() says why.
  [[nodiscard]] bool feed(std::string_view bytes);
  // Moves the next complete payload into *payload; false when no complete frame is buffered.
  bool next(std::string* payload);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  bool checkHeader();
  size_t max_frame_bytes_;
  std::string buffer_;
  size_t consumed_ = 0;
  std::string error_;
};

class ControlPipe {
 public:
  enum class CloseReason {
    kEof,            // the peer closed its end (or exited)
    kProtocolError,  // an oversized frame, or a payload that is not a typed JSON object
    kWriteStalled,   // the peer stopped reading: queue over its bound, or no progress in time
    kIoError,        // read or write failed (e.g. ECONNRESET, EPIPE)
  };
  using MessageCallback = std::function<void(control::Message message)>;
  using CloseCallback = std::function<void(CloseReason reason, const std::string& detail)>;

  explicit ControlPipe(uv_loop_t* loop, ControlPipeOptions options = {});
  ~ControlPipe();
  ControlPipe(const ControlPipe&) = delete;
  ControlPipe& operator=(const ControlPipe&) = delete;

  // The (initialised, unopened) handle, for a uv_spawn stdio container with UV_CREATE_PIPE.
  uv_pipe_t* handle() const { return pipe_.get(); }
  // Worker side: adopts an inherited descriptor (e.g. 3). Returns 0 or a libuv error.
  [[nodiscard]] int open(int fd);
  // Starts reading. Callbacks run on the loop, never from inside a call of the owner's; the owner
  // may close() or destroy the pipe from inside either callback, and nothing follows.
  [[nodiscard]] int start(MessageCallback on_message, CloseCallback on_close);

  // Queues one message. False when the pipe is closed, the frame is over the maximum (nothing is
  // sent, the pipe stays open), or the queue bound is hit (the pipe then fails with kWriteStalled,
  // reported from the loop after this call returns).
  [[nodiscard]] bool send(const cJSON& message);

  // Stops reading, drops queued writes and closes the descriptor. No callback runs afterwards.
  void close();

  bool isOpen() const { return started_ && !closed_; }
  size_t queuedBytes() const { return queued_bytes_; }
  static std::string_view reasonName(CloseReason reason);

 private:
  struct WriteRequest;
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void onWrite(uv_write_t* req, int status) noexcept;
  void deliverFrames();
  void checkProgress();
  void writeDone(size_t bytes, int status);
  // Closes the pipe and reports `reason` once, now or (when inside an owner's call) from the loop.
  void fail(CloseReason reason, std::string detail, bool defer);

  uv_loop_t* loop_;
  ControlPipeOptions options_;
  UvHandle<uv_pipe_t> pipe_;
  Timer stall_timer_;
  Timer deferred_;
  FrameDecoder decoder_;
  std::vector<char> read_buffer_;
  MessageCallback on_message_;
  CloseCallback on_close_;
  bool started_ = false;
  bool closed_ = false;
  size_t queued_bytes_ = 0;
  uint64_t writes_done_ = 0;
  uint64_t writes_done_at_check_ = 0;  // progress as seen by the last stall check
  size_t unsent_at_check_ = 0;
  size_t queued_since_check_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // detects destruction in callbacks
};

}  // namespace sg
