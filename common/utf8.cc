// UTF-8 validation after the Unicode Standard's table 3-7 of well-formed byte sequences, with an
// ASCII fast path (eight bytes at a time) since bus text is mostly ASCII.
#include "common/utf8.h"

#include <cstdint>
#include <cstring>

namespace sg {
namespace {

// Allowed range of the second byte for a lead byte; later continuation bytes are 80..BF.
struct LeadRule {
  uint8_t length;  // 0: not a lead byte
  uint8_t second_lo;
  uint8_t second_hi;
};

LeadRule leadRule(uint8_t lead) {
  if (lead < 0x80) return {1, 0, 0};
  if (lead >= 0xc2 && lead <= 0xdf) return {2, 0x80, 0xbf};
  if (lead == 0xe0) return {3, 0xa0, 0xbf};
  if (lead == 0xed) return {3, 0x80, 0x9f};  // excludes the surrogates D800..DFFF
  if (lead >= 0xe1 && lead <= 0xef) return {3, 0x80, 0xbf};
  if (lead == 0xf0) return {4, 0x90, 0xbf};
  if (lead >= 0xf1 && lead <= 0xf3) return {4, 0x80, 0xbf};
  if (lead == 0xf4) return {4, 0x80, 0x8f};  // nothing above U+10FFFF
  return {0, 0, 0};
}

}  // namespace

size_t utf8CharLength(std::string_view text, size_t pos) {
  if (pos >= text.size()) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + pos;
  const size_t available = text.size() - pos;
  const LeadRule rule = leadRule(p[0]);
  if (rule.length == 0 || rule.length > available) return 0;
  if (rule.length == 1) return 1;
  if (p[1] < rule.second_lo || p[1] > rule.second_hi) return 0;
  for (size_t i = 2; i < rule.length; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
  }
  return rule.length;
}

bool isValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.size() - pos >= 8) {
      uint64_t word;
      std::memcpy(&word, text.data() + pos, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        pos += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t length = utf8CharLength(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

}  // namespace sg
