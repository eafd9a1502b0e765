// A bounds-checked cursor over MessagePack bytes, and a structural scan that checks a buffer is
// exactly one well-formed object within a nesting limit. No allocation, no recursion: it runs on
// untrusted input on the worker's hot path and under the fuzzer. It knows nothing of the bus
// schema (that is bus_codec) and writes nothing (that is msgpack_writer, over msgpack-c).
//
// Why not msgpack-c's unpacker for reading: it builds a tree in a zone (allocations per message),
// gives up at a fixed nesting of 32 with the same error as for garbage, and forgets where each
// value was in the input. The bus decoder needs byte offsets (to keep `extra` whole), its own
// depth limit told apart from malformed input, and zero-copy strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sg::mp {

enum class Type : uint8_t { kNil, kBool, kInt, kFloat, kStr, kBin, kArray, kMap, kExt };

// One MessagePack header as read. For str, bin and ext, `bytes` is the payload (a view into the
// input); for array and map, `count` is the number of elements or of key/value pairs, which
// follow in the input.
struct Item {
  Type type = Type::kNil;
  bool boolean = false;
  bool negative = false;  // kInt: true when the value is < 0 (then in `i`); else it is `u`
  int64_t i = 0;          // kInt: the value when it fits an int64
  uint64_t u = 0;         // kInt: the value when it is >= 0
  double f = 0;           // kFloat (a float32 is widened)
  uint32_t count = 0;     // kArray: elements; kMap: pairs
  int8_t ext_type = 0;
  std::string_view bytes;
};

class Reader {
 public:
  explicit Reader(std::string_view data, size_t offset = 0) : data_(data), pos_(offset) {}

  // Reads one header (for containers only the header). False when the input is cut short or
  // the byte is never used (0xc1); the position is then unspecified.
  [[nodiscard]] bool read(Item* item) {
    // Inline: positive fixint and fixstr, the most frequent headers; the rest out of line.
    if (pos_ >= data_.size()) return false;
    const auto marker = static_cast<uint8_t>(data_[pos_++]);
    if (marker <= 0x7f) {
      item->type = Type::kInt;
      item->negative = false;
      item->u = marker;
      item->i = marker;
      return true;
    }
    if ((marker & 0xe0) == 0xa0) {
      const size_t length = marker & 0x1f;
      if (data_.size() - pos_ < length) return false;
      item->type = Type::kStr;
      item->bytes = data_.substr(pos_, length);
      pos_ += length;
      return true;
    }
    return readSlow(marker, item);
  }
  // Skips one complete value, containers with everything inside them.
  [[nodiscard]] bool skip() { return skipValues(1); }
  // Skips `count` complete values. Iterative: the work is bounded by the input length.
  [[nodiscard]] bool skipValues(uint64_t count);

  size_t offset() const { return pos_; }
  bool atEnd() const { return pos_ == data_.size(); }
  std::string_view data() const { return data_; }

 private:
  bool take(size_t n, const uint8_t** bytes);
  bool readCount(size_t width, uint64_t* value);
  bool readSized(Type type, size_t length_width, Item* item);
  bool readExt(size_t length_width, size_t fixed_length, Item* item);
  bool readInt(uint8_t marker, Item* item);
  bool readOther(uint8_t marker, Item* item);
  bool readSlow(uint8_t marker, Item* item);
  bool skipCompact(uint64_t* count);

  std::string_view data_;
  size_t pos_;
};

enum class ScanStatus : uint8_t { kOk, kMalformed, kTooDeep };

// The scan keeps one counter per open container; deeper limits are clamped to this.
inline constexpr uint32_t kMaxScanDepth = 128;

// Checks that `data` holds exactly one well-formed object (nothing missing, no trailing bytes)
// whose containers nest at most `max_depth` deep: the outermost container is at depth 1, so a
// bare scalar has depth 0. Malformed input wins over excessive depth: once too deep, the scan
// still reads to the end to tell a truncated payload apart.
[[nodiscard]] ScanStatus scan(std::string_view data, uint32_t max_depth);

}  // namespace sg::mp
