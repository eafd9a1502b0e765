// libcurl's multi interface driven by the worker's libuv loop: libcurl tells us which sockets to
// watch (CURLMOPT_SOCKETFUNCTION -> one uv_poll_t per socket) and when to wake it
// (CURLMOPT_TIMERFUNCTION -> one uv_timer_t); we hand readiness back with
// curl_multi_socket_action. Many transfers share one connection cache and DNS cache, so
// connections to the API are reused. No threads of ours, no blocking calls.
//
// libcurl forbids adding or removing handles from inside its callbacks (a write callback is one),
// so add() and cancel() made from there are deferred until the current socket action returns.
// It does not build requests or read responses: callers configure their easy handles.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/uv_handle.h"

namespace sg {

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

class CurlMulti {
 public:
  // Runs once when a transfer ends; `easy` is still valid (for curl_easy_getinfo) and is freed
  // after the callback returns.
  using DoneCallback = std::function<void(CURL* easy, CURLcode result)>;

  explicit CurlMulti(uv_loop_t* loop);
  // Ends every transfer without calling its DoneCallback, closes cached connections and handles.
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Caps the connections open at once (0: no cap; transfers beyond it wait in libcurl's queue).
  void setMaxConnections(long total);

  // Starts a transfer, taking the easy handle. `onDone` is called exactly once, from the loop and
  // never inside add(), unless the transfer is cancelled. False when libcurl refuses the handle
  // at once (it is then freed, and onDone is not called).
  [[nodiscard]] bool add(CurlEasyPtr easy, DoneCallback onDone);

  // Ends a transfer without calling its DoneCallback. The easy handle and the callback are freed
  // now, or, when called from inside a libcurl callback, just after it returns: until then the
  // easy handle's callbacks may still run and must check their own cancelled flag.
  void cancel(CURL* easy);

  size_t transfers() const { return transfers_.size(); }
  size_t sockets() const { return watches_.size(); }
  uv_loop_t* loop() const { return loop_; }

 private:
  struct Transfer {
    CurlEasyPtr easy;
    DoneCallback onDone;
    bool added = false;
    bool cancelled = false;
  };
  struct Watch;

  static int onSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* watch) noexcept;
  static int onTimerChange(CURLM* multi, long timeout_ms, void* self) noexcept;
  static void onTimer(uv_timer_t* timer) noexcept;
  static void onPoll(uv_poll_t* poll, int status, int events) noexcept;

  int watch(curl_socket_t fd, int what);
  void socketAction(curl_socket_t fd, int flags);
  void runDeferred();
  void removeNow(CURL* easy);
  void readMessages();

  uv_loop_t* loop_;
  CURLM* multi_;
  UvHandle<uv_timer_t> timer_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<curl_socket_t, std::unique_ptr<Watch>> watches_;
  int depth_ = 0;  // > 0 while libcurl runs (and may be inside an easy callback)
  std::vector<CURL*> deferred_adds_;
  std::vector<CURL*> deferred_cancels_;
};

}  // namespace sg
