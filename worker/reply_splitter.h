// ReplySplitter: cuts a reply that is longer than a platform allows into ordered parts, each at
// most `limit` characters (Unicode code points), preferring a paragraph break, then a line
// break, then a space, and cutting a word only when a part has none of them. A cut never falls
// inside a multi-byte character. A Markdown code fence (```lang) open at a cut is closed at the
// end of the part and reopened, with its language tag, at the start of the next, so every part
// renders on its own. Plain text in, plain text out: it knows no platform and sends nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sg {

// Number of Unicode code points in `text` (each invalid byte counts as one).
[[nodiscard]] size_t codePointCount(std::string_view text);

// The parts of `text`, in order; one part when it fits; none when it is blank. `limit` below 16
// is raised to 16 (room for a fence to close and reopen). Whitespace at a cut is dropped
// (outside code blocks) or kept as the line break it was (inside them).
[[nodiscard]] std::vector<std::string> splitReply(std::string_view text, size_t limit);

// The longest prefix of `text` with at most `limit` code points, never ending inside a
// character.
[[nodiscard]] std::string_view truncateCodePoints(std::string_view text, size_t limit);

}  // namespace sg
