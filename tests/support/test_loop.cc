// A test's private libuv loop (see test_loop.h).
#include "support/test_loop.h"

#include <gtest/gtest.h>

#include "common/uv_handle.h"

namespace sg::test {

TestLoop::TestLoop() {
  uv_loop_init(&loop_);
}

TestLoop::~TestLoop() {
  if (closed_) return;
  std::string leftovers;
  EXPECT_TRUE(close(&leftovers)) << "handles left open: " << leftovers;
}

bool TestLoop::runUntil(const std::function<bool()>& done, uint64_t timeout_ms, uint64_t tick_ms) {
  bool timed_out = false;
  {
    Timer guard(&loop_);
    guard.start(timeout_ms, [&timed_out] { timed_out = true; });
    Timer tick(&loop_);
    if (tick_ms > 0)
      tick.start(
          tick_ms, [] {}, tick_ms);
    while (!done() && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
  }
  return done();
}

bool TestLoop::close(std::string* leftovers) {
  if (closed_) return true;
  for (int round = 0; round < 1000; ++round) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    if (uv_loop_close(&loop_) == 0) {
      closed_ = true;
      return true;
    }
  }
  if (leftovers != nullptr) {
    uv_walk(
        &loop_,
        [](uv_handle_t* handle, void* text) {
          auto* out = static_cast<std::string*>(text);
          *out += std::string(uv_handle_type_name(handle->type)) +
                  (uv_is_closing(handle) ? "(closing) " : " ");
        },
        leftovers);
  }
  return false;
}

}  // namespace sg::test
