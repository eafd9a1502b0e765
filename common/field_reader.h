// Typed reads of the fields of MessagePack maps that already passed mp::scan, failing with the
// bus protocol's reasons (`wrong_type:message.author.id` ...). The bus codec's decoders are
// written with it; it knows the reason vocabulary but no particular message.
//
// Design: a map is read once to note where each wanted key's value starts (last duplicate
// wins); fields are then read in the caller's order, which fixes which failure is reported
// first whatever the key order on the wire. Paths are a chain of stack nodes rendered only when
// a read fails, so a successful decode builds no strings here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus_codec.h"
#include "common/config.h"
#include "common/msgpack_reader.h"

namespace sg {

// A dotted path to a value: each node is a key of a map or an index of an array. The root node
// (no parent) renders as nothing; nodes live on the caller's stack.
class FieldPath {
 public:
  FieldPath() = default;
  // A child keeps a pointer to its parent: never derive one from a temporary (deleted below).
  FieldPath key(std::string_view name) const& { return FieldPath(this, name, 0, false); }
  FieldPath index(uint32_t i) const& { return FieldPath(this, {}, i, true); }
  FieldPath key(std::string_view name) const&& = delete;
  FieldPath index(uint32_t i) const&& = delete;
  std::string render() const;

 private:
  FieldPath(const FieldPath* parent, std::string_view name, uint32_t i, bool is_index)
      : parent_(parent), name_(name), index_(i), is_index_(is_index) {}
  void renderInto(std::string* out) const;

  const FieldPath* parent_ = nullptr;
  std::string_view name_;
  uint32_t index_ = 0;
  bool is_index_ = false;
};

// Offset of a key's value in the input, or kAbsent.
inline constexpr size_t kAbsent = SIZE_MAX;

enum class Nil : bool { kRejected, kAllowed };

enum class TopLevel : bool { kAny, kMap };

// The checks on a whole payload before any field, in this order: size (too_large:payload),
// well-formedness (malformed_msgpack), with TopLevel::kMap a map on top (not_a_map), nesting
// (too_deep).
struct PayloadRules {
  uint64_t max_bytes;
  uint32_t max_depth;
  TopLevel top;
};

// The reason a payload fails its rules, or "" when it passes.
[[nodiscard]] std::string_view checkPayload(std::string_view payload, const PayloadRules& rules);

class FieldReader {
 public:
  FieldReader(std::string_view data, const LimitsConfig& limits) : data_(data), limits_(limits) {}

  const LimitsConfig& limits() const { return limits_; }
  std::string_view data() const { return data_; }
  // The reason of the first failure ("" while none).
  std::string& reason() { return reason_; }

  // Record a failure: "<kind>:<path>", or a reason without a path. Both return false.
  bool fail(std::string_view kind, const FieldPath& path);
  bool failWith(std::string_view reason);

  // A required map at `at`: the value offsets of `names` go to `slots` (same length).
  [[nodiscard]] bool map(size_t at, const FieldPath& path, std::span<const std::string_view> names,
                         std::span<size_t> slots);
  // An optional map that may also be nil: `*present` says whether there was one.
  [[nodiscard]] bool optMap(size_t at, const FieldPath& path,
                            std::span<const std::string_view> names, std::span<size_t> slots,
                            bool* present);
  // An array at `at` (required): its length, and the offset of its first element.
  [[nodiscard]] bool array(size_t at, const FieldPath& path, uint32_t* count, size_t* first);
  // The offset just past the value at `at`.
  [[nodiscard]] bool end(size_t at, size_t* after);
  // A required array of at most `max` elements (else too_large:<path>), each read by
  // `read(*this, offset, element_path, T*)`.
  template <typename T, typename ReadElement>
  [[nodiscard]] bool arrayOf(size_t at, const FieldPath& path, uint32_t max, std::vector<T>* out,
                             ReadElement read);

  // A required str, at most `max_bytes` long (else too_large), valid UTF-8.
  [[nodiscard]] bool strView(size_t at, const FieldPath& path, std::string_view* out,
                             uint32_t max_bytes = UINT32_MAX);
  [[nodiscard]] bool str(size_t at, const FieldPath& path, std::string* out,
                         uint32_t max_bytes = UINT32_MAX);
  // An optional str (absent, or nil when allowed, gives nullopt).
  [[nodiscard]] bool optStr(size_t at, const FieldPath& path, Nil nil,
                            std::optional<std::string>* out, uint32_t max_bytes = UINT32_MAX);
  // An optional array of str (absent leaves `out` empty).
  [[nodiscard]] bool strArray(size_t at, const FieldPath& path, std::vector<std::string>* out);

  [[nodiscard]] bool boolean(size_t at, const FieldPath& path, bool* out);
  [[nodiscard]] bool optBoolean(size_t at, const FieldPath& path,
                                bool* out);  // absent: `out` unchanged
  // The version key: an int (missing_field / wrong_type) equal to 1 (else unsupported_version).
  [[nodiscard]] bool version(size_t at, const FieldPath& path, int64_t* out);
  [[nodiscard]] bool unsignedInteger(size_t at, const FieldPath& path,
                                     uint64_t* out);  // < 0: invalid_value
  // A time: float64 (or any int, or float32), finite.
  [[nodiscard]] bool time(size_t at, const FieldPath& path, double* out);
  [[nodiscard]] bool optTime(size_t at, const FieldPath& path, Nil nil, std::optional<double>* out);

  // The bytes of the value at `at`, whole; it must be of `type`. Absent leaves `out` empty.
  [[nodiscard]] bool optRaw(size_t at, const FieldPath& path, mp::Type type, std::string* out);

 private:
  bool load(size_t at, mp::Item* item, size_t* after = nullptr);
  bool collect(mp::Reader reader, uint32_t pairs, std::span<const std::string_view> names,
               std::span<size_t> slots);
  bool checkStr(const mp::Item& item, const FieldPath& path, uint32_t max_bytes);

  std::string_view data_;
  const LimitsConfig& limits_;
  std::string reason_;
};

// Checks the payload, then reads a T from it with `read(FieldReader&, T*)`; the result holds
// the value or the first failure's reason.
template <typename T, typename Read>
Decoded<T> decodePayload(std::string_view payload, const LimitsConfig& limits,
                         const PayloadRules& rules, Read read) {
  Decoded<T> result;
  const std::string_view problem = checkPayload(payload, rules);
  if (!problem.empty()) {
    result.reason.assign(problem);
    return result;
  }
  FieldReader reader(payload, limits);
  if (!read(reader, &result.value.emplace())) {
    result.value.reset();
    result.reason = std::move(reader.reason());
  }
  return result;
}

template <typename T, typename ReadElement>
bool FieldReader::arrayOf(size_t at, const FieldPath& path, uint32_t max, std::vector<T>* out,
                          ReadElement read) {
  uint32_t count;
  size_t element;
  if (!array(at, path, &count, &element)) return false;
  if (count > max) return fail(reason::kTooLarge, path);
  out->resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (!read(*this, element, path.index(i), &(*out)[i])) return false;
    if (i + 1 < count && !end(element, &element)) return false;
  }
  return true;
}

}  // namespace sg
