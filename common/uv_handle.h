// RAII owners for libuv handles.
//
// A libuv handle's memory must outlive uv_close() until its close callback runs, so the owner
// allocates the handle on the heap and the close callback frees it. Owners clear `data` when they
// close, so a callback that libuv still delivers finds nothing and returns. This file does not
// own loops; a loop's lifetime is the process's (see LoopRunner in uv_loop.h).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <utility>

namespace sg {

template <typename H>
class UvHandle {
 public:
  UvHandle() : handle_(new H{}) {}
  ~UvHandle() { close(); }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      close();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  H* get() const { return handle_; }
  uv_handle_t* base() const { return reinterpret_cast<uv_handle_t*>(handle_); }
  explicit operator bool() const { return handle_ != nullptr; }

  // Starts closing; the memory is freed by libuv's close callback. Idempotent.
  // A handle that was never initialised (loop still null) is freed at once.
  void close() {
    if (handle_ == nullptr) return;
    H* handle = std::exchange(handle_, nullptr);
    handle->data = nullptr;
    auto* base = reinterpret_cast<uv_handle_t*>(handle);
    if (base->loop == nullptr) {
      delete handle;
      return;
    }
    if (!uv_is_closing(base)) {
      uv_close(base, [](uv_handle_t* h) { delete reinterpret_cast<H*>(h); });
    }
  }

 private:
  H* handle_;
};

// A one-shot or repeating timer with a std::function callback. The callback never runs after
// stop() or destruction.
class Timer {
 public:
  explicit Timer(uv_loop_t* loop) {
    uv_timer_init(loop, handle_.get());
    handle_.get()->data = this;
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void start(uint64_t timeout_ms, std::function<void()> callback, uint64_t repeat_ms = 0) {
    callback_ = std::move(callback);
    uv_timer_start(handle_.get(), &Timer::onTimeout, timeout_ms, repeat_ms);
  }
  void stop() {
    if (handle_) uv_timer_stop(handle_.get());
  }
  bool active() const { return handle_ && uv_is_active(handle_.base()) != 0; }
  // Lets the loop exit while only this timer is pending (for housekeeping timers).
  void unref() { uv_unref(handle_.base()); }

 private:
  static void onTimeout(uv_timer_t* timer) noexcept {
    auto* self = static_cast<Timer*>(timer->data);
    if (self == nullptr || !self->callback_) return;
    // Copy first: the callback may restart or destroy this timer.
    auto callback = self->callback_;
    callback();
  }

  UvHandle<uv_timer_t> handle_;
  std::function<void()> callback_;
};

}  // namespace sg
