// MessagePack decoding of one header at a time (the format's spec, "formats" table), and the
// depth-bounded structural scan built on it.
#include "common/msgpack_reader.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace sg::mp {
namespace {

uint64_t loadBigEndian(const uint8_t* bytes, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) value = (value << 8) | bytes[i];
  return value;
}

void setUnsigned(uint64_t value, Item* item) {
  item->type = Type::kInt;
  item->negative = false;
  item->u = value;
  item->i = value <= INT64_MAX ? static_cast<int64_t>(value) : 0;
}

void setSigned(int64_t value, Item* item) {
  if (value >= 0) return setUnsigned(static_cast<uint64_t>(value), item);
  item->type = Type::kInt;
  item->negative = true;
  item->i = value;
  item->u = 0;
}

}  // namespace

bool Reader::take(size_t n, const uint8_t** bytes) {
  if (data_.size() - pos_ < n) return false;
  *bytes = reinterpret_cast<const uint8_t*>(data_.data()) + pos_;
  pos_ += n;
  return true;
}

bool Reader::readCount(size_t width, uint64_t* value) {
  const uint8_t* bytes;
  if (!take(width, &bytes)) return false;
  *value = loadBigEndian(bytes, width);
  return true;
}

bool Reader::readSized(Type type, size_t length_width, Item* item) {
  uint64_t length;
  if (!readCount(length_width, &length)) return false;
  const uint8_t* bytes;
  if (!take(length, &bytes)) return false;
  item->type = type;
  item->bytes = std::string_view(reinterpret_cast<const char*>(bytes), length);
  return true;
}

bool Reader::readExt(size_t length_width, size_t fixed_length, Item* item) {
  uint64_t length = fixed_length;
  if (length_width > 0 && !readCount(length_width, &length)) return false;
  const uint8_t* type_byte;
  if (!take(1, &type_byte)) return false;
  item->ext_type = static_cast<int8_t>(*type_byte);
  const uint8_t* bytes;
  if (!take(length, &bytes)) return false;
  item->type = Type::kExt;
  item->bytes = std::string_view(reinterpret_cast<const char*>(bytes), length);
  return true;
}

bool Reader::readInt(uint8_t marker, Item* item) {
  const bool is_signed = marker >= 0xd0;
  const size_t width = size_t{1} << (marker & 0x03);
  const uint8_t* bytes;
  if (!take(width, &bytes)) return false;
  const uint64_t raw = loadBigEndian(bytes, width);
  if (!is_signed) {
    setUnsigned(raw, item);
    return true;
  }
  const unsigned shift = 64 - 8 * static_cast<unsigned>(width);  // sign-extend from `width` bytes
  setSigned(static_cast<int64_t>(raw << shift) >> shift, item);
  return true;
}

bool Reader::readOther(uint8_t marker, Item* item) {
  uint64_t count;
  const uint8_t* bytes;
  switch (marker) {
    case 0xc0:
      item->type = Type::kNil;
      return true;
    case 0xc2:
    case 0xc3:
      item->type = Type::kBool;
      item->boolean = marker == 0xc3;
      return true;
    case 0xc4:
      return readSized(Type::kBin, 1, item);
    case 0xc5:
      return readSized(Type::kBin, 2, item);
    case 0xc6:
      return readSized(Type::kBin, 4, item);
    case 0xc7:
      return readExt(1, 0, item);
    case 0xc8:
      return readExt(2, 0, item);
    case 0xc9:
      return readExt(4, 0, item);
    case 0xca: {
      if (!take(4, &bytes)) return false;
      const auto raw = static_cast<uint32_t>(loadBigEndian(bytes, 4));
      float value;
      std::memcpy(&value, &raw, sizeof value);
      item->type = Type::kFloat;
      item->f = value;
      return true;
    }
    case 0xcb: {
      if (!take(8, &bytes)) return false;
      const uint64_t raw = loadBigEndian(bytes, 8);
      std::memcpy(&item->f, &raw, sizeof item->f);
      item->type = Type::kFloat;
      return true;
    }
    case 0xd4:
      return readExt(0, 1, item);
    case 0xd5:
      return readExt(0, 2, item);
    case 0xd6:
      return readExt(0, 4, item);
    case 0xd7:
      return readExt(0, 8, item);
    case 0xd8:
      return readExt(0, 16, item);
    case 0xd9:
      return readSized(Type::kStr, 1, item);
    case 0xda:
      return readSized(Type::kStr, 2, item);
    case 0xdb:
      return readSized(Type::kStr, 4, item);
    case 0xdc:
    case 0xdd:
      if (!readCount(marker == 0xdc ? 2 : 4, &count)) return false;
      item->type = Type::kArray;
      item->count = static_cast<uint32_t>(count);
      return true;
    case 0xde:
    case 0xdf:
      if (!readCount(marker == 0xde ? 2 : 4, &count)) return false;
      item->type = Type::kMap;
      item->count = static_cast<uint32_t>(count);
      return true;
    default:
      if (marker >= 0xcc && marker <= 0xd3) return readInt(marker, item);
      return false;  // 0xc1: never used
  }
}

bool Reader::readSlow(uint8_t marker, Item* item) {
  if (marker >= 0xe0) {
    setSigned(static_cast<int8_t>(marker), item);
    return true;
  }
  if (marker <= 0x8f) {
    item->type = Type::kMap;
    item->count = marker & 0x0f;
    return true;
  }
  if (marker <= 0x9f) {
    item->type = Type::kArray;
    item->count = marker & 0x0f;
    return true;
  }
  return readOther(marker, item);
}

// Skips the values whose whole header is one byte (fixint, nil, bool, fixstr and fixed
// containers, which are most of a bus message) without building an Item. Returns false at the
// first other marker, leaving it unread; `*count` tracks the values still to skip.
inline bool Reader::skipCompact(uint64_t* count) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(data_.data());
  while (*count > 0 && pos_ < data_.size()) {
    const uint8_t marker = bytes[pos_];
    if (marker <= 0x7f || marker >= 0xe0 || marker == 0xc0 || marker == 0xc2 || marker == 0xc3) {
      ++pos_;
    } else if ((marker & 0xe0) == 0xa0) {
      const size_t length = marker & 0x1f;
      if (data_.size() - pos_ - 1 < length) return false;
      pos_ += 1 + length;
    } else if ((marker & 0xf0) == 0x80) {
      ++pos_;
      *count += 2 * uint64_t{marker & 0x0fu};
    } else if ((marker & 0xf0) == 0x90) {
      ++pos_;
      *count += marker & 0x0fu;
    } else {
      return false;
    }
    --*count;
  }
  return true;
}

bool Reader::skipValues(uint64_t count) {
  // Each value read consumes at least one byte, so this ends within data_.size() iterations
  // however large the declared counts.
  Item item;
  while (count > 0) {
    if (skipCompact(&count) && count == 0) break;
    if (!read(&item)) return false;
    --count;
    if (item.type == Type::kArray) count += item.count;
    if (item.type == Type::kMap) count += 2 * uint64_t{item.count};
  }
  return true;
}

ScanStatus scan(std::string_view data, uint32_t max_depth) {
  max_depth = std::min(max_depth, kMaxScanDepth);
  // remaining[d]: values still to read at depth d; remaining[0] is the one top-level value.
  std::array<uint64_t, kMaxScanDepth + 1> remaining;
  remaining[0] = 1;
  uint32_t depth = 0;
  Reader reader(data);
  Item item;
  while (true) {
    while (depth > 0 && remaining[depth] == 0) --depth;
    if (remaining[depth] == 0) break;
    if (!reader.read(&item)) return ScanStatus::kMalformed;
    --remaining[depth];
    if (item.type != Type::kArray && item.type != Type::kMap) continue;
    const uint64_t inside = item.type == Type::kMap ? 2 * uint64_t{item.count} : item.count;
    if (depth + 1 > max_depth) {
      // Too deep: check the rest is well-formed without tracking depth, then report.
      uint64_t left = inside;
      for (uint32_t d = 0; d <= depth; ++d) left += remaining[d];
      if (!reader.skipValues(left) || !reader.atEnd()) return ScanStatus::kMalformed;
      return ScanStatus::kTooDeep;
    }
    remaining[++depth] = inside;
  }
  return reader.atEnd() ? ScanStatus::kOk : ScanStatus::kMalformed;
}

}  // namespace sg::mp
