// Randomness for tokens, instance ids and jitter. Tokens come from the kernel (getrandom);
// jitter uses a fast per-thread generator seeded from it. Not for cryptographic keys.
#pragma once

#include <cstdint>
#include <string>

namespace sg {

// `bytes` random bytes from the kernel, hex-encoded (2 * bytes characters).
std::string randomHex(size_t bytes);

// Uniform in [0, 1).
double randomUnit();

}  // namespace sg
