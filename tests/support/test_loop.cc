// Test helper implementation: a loop run until a condition holds (see test_loop.h).
#include "support/test_loop.h"

#include "common/uv_handle.h"

namespace sg::test {

TestLoop::TestLoop() {
  uv_loop_init(&loop_);
}

TestLoop::~TestLoop() {
  if (!closed_) close();
}

bool TestLoop::runUntil(const std::function<bool()>& done, uint64_t timeout_ms) {
  bool timed_out = false;
  Timer guard(&loop_);
  guard.start(timeout_ms, [&timed_out] { timed_out = true; });
  while (!done() && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
  return done();
}

int TestLoop::close(std::string* open_handles) {
  int rc = UV_EBUSY;
  // Close callbacks run in the loop's closing phase; a few turns let chained closes finish.
  for (int turn = 0; turn < 100 && rc == UV_EBUSY; ++turn) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    rc = uv_loop_close(&loop_);
  }
  if (rc == 0) {
    closed_ = true;
    return 0;
  }
  if (open_handles != nullptr) {
    uv_walk(
        &loop_,
        [](uv_handle_t* handle, void* arg) {
          auto* names = static_cast<std::string*>(arg);
          *names += std::string(uv_handle_type_name(handle->type)) +
                    (uv_is_active(handle) ? "(active) " : " ");
        },
        open_handles);
  }
  return rc;
}

}  // namespace sg::test
