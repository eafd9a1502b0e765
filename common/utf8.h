// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
// Used by the bus decoder on every string it keeps, by the JSON renderer of MessagePack, and by
// whoever must cut text on a character boundary. It does not normalise or transcode anything.
#pragma once

#include <cstddef>
#include <string_view>

namespace sg {

// True when `text` is entirely well-formed UTF-8 (the empty string is).
[[nodiscard]] bool isValidUtf8(std::string_view text);

// Length in bytes (1-4) of the well-formed UTF-8 character that starts at `text[pos]`, or 0 when
// the bytes there are not one (invalid lead, bad continuation, truncated, or pos at the end).
[[nodiscard]] size_t utf8CharLength(std::string_view text, size_t pos);

}  // namespace sg
