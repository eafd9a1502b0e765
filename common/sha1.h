// SHA-1 of a byte string, as lowercase hex: what Redis names a Lua script by (EVALSHA), so that
// RedisScript can compute it locally instead of asking the server. Not for security: SHA-1 is
// broken for collision resistance; this exists only to match Redis's script ids. (Self-contained
// so that the build does not take on libcrypto for one digest.)
#pragma once

#include <string>
#include <string_view>

namespace sg {

// 40 lowercase hex characters.
std::string sha1Hex(std::string_view data);

}  // namespace sg
