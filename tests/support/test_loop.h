// Test helper: a libuv loop owned by one test. runUntil() runs it until a condition holds,
// checking after every iteration (a short wake-up timer keeps iterations coming), so tests wait
// for events rather than sleep; close() lets everything finish and reports whether the loop
// closed cleanly (uv_loop_close() == 0), which every test that uses a loop should assert.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

namespace sg::test {

class TestLoop {
 public:
  TestLoop();
  ~TestLoop();
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Runs the loop until `done()` is true (true) or `timeout_ms` has passed (false).
  // `tick_ms` is how often the loop wakes to check when nothing else happens.
  bool runUntil(const std::function<bool()>& done, uint64_t timeout_ms = 15000,
                uint64_t tick_ms = 5);

  // Runs the loop until nothing is left (at most `timeout_ms`), then closes it. Returns the
  // result of uv_loop_close(): 0, or UV_EBUSY with the open handles printed to stderr (and
  // listed in `*open_handles` when given).
  int close(std::string* open_handles = nullptr, uint64_t timeout_ms = 10000);

 private:
  uv_loop_t loop_;
  bool closed_ = false;
};

}  // namespace sg::test
