// Exponential backoff with jitter, shared by every retry loop (Redis reconnects, LLM retries,
// worker restarts). It only computes delays; the caller owns the timer that waits them out.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/random.h"

namespace sg {

class Backoff {
 public:
  // Delays grow from base_ms by `factor` up to max_ms; each is drawn uniformly from
  // [delay * (1 - jitter), delay] so that many clients retrying at once spread out.
  Backoff(uint64_t base_ms, uint64_t max_ms, double factor = 2.0, double jitter = 0.5)
      : base_ms_(base_ms), max_ms_(std::max(base_ms, max_ms)), factor_(factor), jitter_(jitter) {}

  uint64_t next() {
    double ceiling = std::min(static_cast<double>(max_ms_),
                              static_cast<double>(base_ms_) * std::pow(factor_, attempts_));
    ++attempts_;
    double delay = ceiling * (1.0 - jitter_ * randomUnit());
    return static_cast<uint64_t>(std::llround(delay));
  }
  void reset() { attempts_ = 0; }
  unsigned attempts() const { return attempts_; }

 private:
  uint64_t base_ms_;
  uint64_t max_ms_;
  double factor_;
  double jitter_;
  unsigned attempts_ = 0;
};

}  // namespace sg
