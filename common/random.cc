// Kernel-backed tokens and a seeded generator for jitter (see random.h).
#include "common/random.h"

#include <sys/random.h>

#include <random>

namespace sg {

std::string randomHex(size_t bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  size_t filled = 0;
  while (filled < bytes) {
    ssize_t got = getrandom(raw.data() + filled, bytes - filled, 0);
    if (got > 0) filled += static_cast<size_t>(got);
  }
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

double randomUnit() {
  thread_local std::mt19937_64 generator = [] {
    uint64_t seed = 0;
    while (getrandom(&seed, sizeof seed, 0) != sizeof seed) {
    }
    return std::mt19937_64(seed);
  }();
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace sg
