// libcurl multi on libuv (see curl_multi.h).
#include "worker/curl_multi.h"

#include "common/log.h"

namespace sg {

struct CurlMulti::Watch {
  CurlMulti* owner;
  curl_socket_t fd;
  UvHandle<uv_poll_t> poll;
};

namespace {

// libcurl needs curl_global_init before any handle, and it is not thread-safe: done once here,
// on the first CurlMulti, before the loop has other threads (it never does).
void globalInitOnce() {
  static bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

}  // namespace

CurlMulti::CurlMulti(uv_loop_t* loop) : loop_(loop) {
  globalInitOnce();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) {
    log::get("llm").critical("curl_multi_init failed");
    std::abort();
  }
  uv_timer_init(loop, timer_.get());
  timer_.get()->data = this;
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::onSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::onTimerChange);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMulti::~CurlMulti() {
  for (auto& [easy, transfer] : transfers_) {
    if (transfer->added) curl_multi_remove_handle(multi_, easy);
  }
  transfers_.clear();
  curl_multi_cleanup(multi_);  // closes cached connections; their watches go through onSocket
  watches_.clear();
  timer_.close();
}

void CurlMulti::setMaxConnections(long total) {
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
}

bool CurlMulti::add(CurlEasyPtr easy, DoneCallback onDone) {
  CURL* raw = easy.get();
  auto transfer = std::make_unique<Transfer>();
  transfer->easy = std::move(easy);
  transfer->onDone = std::move(onDone);
  if (depth_ > 0) {
    transfers_.emplace(raw, std::move(transfer));
    deferred_adds_.push_back(raw);
    return true;
  }
  ++depth_;
  CURLMcode rc = curl_multi_add_handle(multi_, raw);
  --depth_;
  if (rc != CURLM_OK) {
    log::get("llm").error("curl_multi_add_handle: {}", curl_multi_strerror(rc));
    return false;
  }
  transfer->added = true;
  transfers_.emplace(raw, std::move(transfer));
  return true;
}

void CurlMulti::cancel(CURL* easy) {
  auto found = transfers_.find(easy);
  if (found == transfers_.end() || found->second->cancelled) return;
  found->second->cancelled = true;
  if (depth_ > 0) {
    deferred_cancels_.push_back(easy);
    return;
  }
  removeNow(easy);
}

void CurlMulti::removeNow(CURL* easy) {
  auto found = transfers_.find(easy);
  if (found == transfers_.end()) return;
  std::unique_ptr<Transfer> transfer = std::move(found->second);
  transfers_.erase(found);
  if (transfer->added) {
    ++depth_;
    curl_multi_remove_handle(multi_, easy);
    --depth_;
  }
  // `transfer` goes here: the easy handle is cleaned up and the callback released.
}

// Adds and cancels asked for while libcurl was running, now that it is not.
void CurlMulti::runDeferred() {
  while (!deferred_adds_.empty() || !deferred_cancels_.empty()) {
    std::vector<CURL*> adds;
    adds.swap(deferred_adds_);
    for (CURL* easy : adds) {
      auto found = transfers_.find(easy);
      if (found == transfers_.end() || found->second->cancelled) continue;
      ++depth_;
      CURLMcode rc = curl_multi_add_handle(multi_, easy);
      --depth_;
      if (rc == CURLM_OK) {
        found->second->added = true;
        continue;
      }
      // Refused after add() returned true: complete it as failed, as promised.
      std::unique_ptr<Transfer> transfer = std::move(found->second);
      transfers_.erase(found);
      if (transfer->onDone) transfer->onDone(easy, CURLE_FAILED_INIT);
    }
    std::vector<CURL*> cancels;
    cancels.swap(deferred_cancels_);
    for (CURL* easy : cancels) removeNow(easy);
  }
}

void CurlMulti::socketAction(curl_socket_t fd, int flags) {
  int running = 0;
  ++depth_;
  curl_multi_socket_action(multi_, fd, flags, &running);
  --depth_;
  if (depth_ > 0) return;
  runDeferred();
  readMessages();
  runDeferred();
}

void CurlMulti::readMessages() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    CURLcode result = message->data.result;  // `message` dies with the removal below
    auto found = transfers_.find(easy);
    if (found == transfers_.end()) {
      curl_multi_remove_handle(multi_, easy);
      continue;
    }
    std::unique_ptr<Transfer> transfer = std::move(found->second);
    transfers_.erase(found);
    curl_multi_remove_handle(multi_, easy);
    if (!transfer->cancelled && transfer->onDone) transfer->onDone(easy, result);
  }
}

int CurlMulti::onSocket(CURL*, curl_socket_t fd, int what, void* self, void*) noexcept {
  return static_cast<CurlMulti*>(self)->watch(fd, what);
}

int CurlMulti::watch(curl_socket_t fd, int what) {
  if (what == CURL_POLL_REMOVE) {
    // libcurl says so before it closes the socket; closing the poll now frees the fd's slot in
    // the loop for a socket that may reuse the number.
    watches_.erase(fd);
    return 0;
  }
  auto found = watches_.find(fd);
  if (found == watches_.end()) {
    auto watch = std::make_unique<Watch>();
    watch->owner = this;
    watch->fd = fd;
    if (uv_poll_init_socket(loop_, watch->poll.get(), fd) != 0) return -1;
    watch->poll.get()->data = watch.get();
    found = watches_.emplace(fd, std::move(watch)).first;
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  if (uv_poll_start(found->second->poll.get(), events, &CurlMulti::onPoll) != 0) return -1;
  return 0;
}

void CurlMulti::onPoll(uv_poll_t* poll, int status, int events) noexcept {
  auto* watch = static_cast<Watch*>(poll->data);
  if (watch == nullptr) return;
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  watch->owner->socketAction(watch->fd, flags);
}

int CurlMulti::onTimerChange(CURLM*, long timeout_ms, void* self) noexcept {
  auto* multi = static_cast<CurlMulti*>(self);
  if (timeout_ms < 0) {
    uv_timer_stop(multi->timer_.get());
  } else {
    // Even a 0 ms timeout goes through the loop: libcurl must not be re-entered from here.
    uv_timer_start(multi->timer_.get(), &CurlMulti::onTimer, static_cast<uint64_t>(timeout_ms), 0);
  }
  return 0;
}

void CurlMulti::onTimer(uv_timer_t* timer) noexcept {
  auto* multi = static_cast<CurlMulti*>(timer->data);
  if (multi == nullptr) return;
  multi->socketAction(CURL_SOCKET_TIMEOUT, 0);
}

}  // namespace sg
