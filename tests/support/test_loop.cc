// Test helper implementation: running and closing a test's loop (see test_loop.h).
#include "support/test_loop.h"

#include <cstdio>

#include "common/clock.h"
#include "common/uv_handle.h"

namespace sg::test {

TestLoop::TestLoop() {
  uv_loop_init(&loop_);
}

TestLoop::~TestLoop() {
  if (!closed_) close();
}

bool TestLoop::runUntil(const std::function<bool()>& done, uint64_t timeout_ms,
                        uint64_t tick_ms) {
  UvHandle<uv_timer_t> wake;
  uv_timer_init(&loop_, wake.get());
  uv_timer_start(
      wake.get(), [](uv_timer_t*) {}, tick_ms, tick_ms);
  uint64_t deadline = monoMs() + timeout_ms;
  while (!done()) {
    if (monoMs() >= deadline) return false;
    uv_run(&loop_, UV_RUN_ONCE);
  }
  return true;
}

int TestLoop::close(std::string* open_handles, uint64_t timeout_ms) {
  // An unreferenced guard: it does not keep the loop alive, but stops a loop that will not end.
  auto* guard = new uv_timer_t;
  uv_timer_init(&loop_, guard);
  uv_timer_start(
      guard, [](uv_timer_t* timer) { uv_stop(timer->loop); }, timeout_ms, 0);
  uv_unref(reinterpret_cast<uv_handle_t*>(guard));
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(guard),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
  uv_run(&loop_, UV_RUN_NOWAIT);
  int result = uv_loop_close(&loop_);
  if (result != 0) {
    std::fprintf(stderr, "loop still has handles:\n");
    uv_print_all_handles(&loop_, stderr);
    if (open_handles != nullptr) {
      uv_walk(
          &loop_,
          [](uv_handle_t* handle, void* out) {
            *static_cast<std::string*>(out) += std::string(uv_handle_type_name(handle->type)) + " ";
          },
          open_handles);
    }
  }
  closed_ = result == 0;
  return result;
}

}  // namespace sg::test
