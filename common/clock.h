// Time sources: wall-clock Unix seconds (for the bus protocol's float64 times) and a monotonic
// millisecond clock (for deadlines and durations). Nothing here sleeps.
#pragma once

#include <chrono>
#include <cstdint>

namespace sg {

inline double unixNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

inline uint64_t monoMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

inline uint64_t monoUs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
}

}  // namespace sg
