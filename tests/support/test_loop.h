// Test helper: a real libuv loop for one test, run until a condition holds (never a sleep), and
// closed at the end with the result of uv_loop_close() so that tests can assert nothing leaked
// (libuv's test/task.h does the same).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

namespace sg::test {

class TestLoop {
 public:
  TestLoop();
  ~TestLoop();  // closes the loop if close() was not called (without asserting)
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Runs the loop until `done()` holds; false when timeout_ms passes first. The timeout is only a
  // guard against a hanging test, never a synchronisation.
  bool runUntil(const std::function<bool()>& done, uint64_t timeout_ms = 30000);

  // Lets pending close callbacks run, then closes the loop. Returns uv_loop_close()'s result
  // (0: every handle was closed); `*open_handles` lists the handles still open otherwise.
  int close(std::string* open_handles = nullptr);

 private:
  uv_loop_t loop_{};
  bool closed_ = false;
};

}  // namespace sg::test
