// Test helper: a private libuv loop that a test runs until an event it waits for has happened
// (never for a fixed time), and that must close cleanly at the end: every handle closed, so
// uv_loop_close() returns 0 (libuv's own tests end this way).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

namespace sg::test {

class TestLoop {
 public:
  TestLoop();
  ~TestLoop();  // closes the loop if the test did not (and reports a failure if it cannot)
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Runs the loop until `done()` holds; false when timeout_ms passed first. `done` is checked
  // after every loop iteration; when it depends on something outside the loop (another
  // process), give tick_ms so that the loop wakes up to look.
  bool runUntil(const std::function<bool()>& done, uint64_t timeout_ms = 20000,
                uint64_t tick_ms = 0);

  // Runs the loop so that closing handles finish, then closes it. False (with the names of the
  // handles left in `leftovers`) when handles remain open.
  bool close(std::string* leftovers = nullptr);

 private:
  uv_loop_t loop_{};
  bool closed_ = false;
};

}  // namespace sg::test
