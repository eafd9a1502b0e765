// Typed field reads with the bus protocol's reasons. The input passed mp::scan, so the
// "malformed" branches below cannot be taken; they stay as a guard, not as control flow.
#include "common/field_reader.h"

#include <algorithm>
#include <cmath>

#include "common/bus_codec.h"
#include "common/utf8.h"

namespace sg {

std::string_view checkPayload(std::string_view payload, const PayloadRules& rules) {
  if (payload.size() > rules.max_bytes) return reason::kTooLargePayload;
  const mp::ScanStatus status = mp::scan(payload, rules.max_depth);
  if (status == mp::ScanStatus::kMalformed) return reason::kMalformedMsgpack;
  if (rules.top == TopLevel::kMap) {
    mp::Reader reader(payload);
    mp::Item item;
    if (!reader.read(&item)) return reason::kMalformedMsgpack;
    if (item.type != mp::Type::kMap) return reason::kNotAMap;
  }
  if (status == mp::ScanStatus::kTooDeep) return reason::kTooDeep;
  return {};
}

std::string FieldPath::render() const {
  std::string out;
  renderInto(&out);
  return out;
}

void FieldPath::renderInto(std::string* out) const {
  if (parent_ == nullptr) return;
  parent_->renderInto(out);
  if (!out->empty()) out->push_back('.');
  if (is_index_) {
    out->append(std::to_string(index_));
  } else {
    out->append(name_);
  }
}

bool FieldReader::fail(std::string_view kind, const FieldPath& path) {
  reason_.assign(kind);
  reason_.push_back(':');
  reason_.append(path.render());
  return false;
}

bool FieldReader::failWith(std::string_view reason) {
  reason_.assign(reason);
  return false;
}

bool FieldReader::load(size_t at, mp::Item* item, size_t* after) {
  mp::Reader reader(data_, at);
  if (!reader.read(item)) return failWith(reason::kMalformedMsgpack);
  if (after != nullptr) *after = reader.offset();
  return true;
}

bool FieldReader::end(size_t at, size_t* after) {
  mp::Reader reader(data_, at);
  if (!reader.skip()) return failWith(reason::kMalformedMsgpack);
  *after = reader.offset();
  return true;
}

bool FieldReader::collect(mp::Reader reader, uint32_t pairs,
                          std::span<const std::string_view> names, std::span<size_t> slots) {
  std::fill(slots.begin(), slots.end(), kAbsent);
  mp::Item key;
  for (uint32_t pair = 0; pair < pairs; ++pair) {
    const size_t key_at = reader.offset();
    if (!reader.read(&key)) return failWith(reason::kMalformedMsgpack);
    if (key.type == mp::Type::kStr) {
      const auto found = std::find(names.begin(), names.end(), key.bytes);
      if (found != names.end()) slots[found - names.begin()] = reader.offset();
    } else if (key.type == mp::Type::kArray || key.type == mp::Type::kMap) {
      reader = mp::Reader(data_, key_at);  // a container key: skip it whole
      if (!reader.skip()) return failWith(reason::kMalformedMsgpack);
    }
    // Skip the value to reach the next key. After the last pair there is none: the scan already
    // vouched for the rest, and the caller does not need the end (it saves a pass over
    // `message`, usually the envelope's last key).
    if (pair + 1 < pairs && !reader.skip()) return failWith(reason::kMalformedMsgpack);
  }
  return true;
}

bool FieldReader::map(size_t at, const FieldPath& path, std::span<const std::string_view> names,
                      std::span<size_t> slots) {
  if (at == kAbsent) return fail(reason::kMissingField, path);
  mp::Reader reader(data_, at);
  mp::Item item;
  if (!reader.read(&item)) return failWith(reason::kMalformedMsgpack);
  if (item.type != mp::Type::kMap) return fail(reason::kWrongType, path);
  return collect(reader, item.count, names, slots);
}

bool FieldReader::optMap(size_t at, const FieldPath& path, std::span<const std::string_view> names,
                         std::span<size_t> slots, bool* present) {
  *present = false;
  if (at == kAbsent) return true;
  mp::Item item;
  if (!load(at, &item)) return false;
  if (item.type == mp::Type::kNil) return true;
  *present = true;
  return map(at, path, names, slots);
}

bool FieldReader::array(size_t at, const FieldPath& path, uint32_t* count, size_t* first) {
  if (at == kAbsent) return fail(reason::kMissingField, path);
  mp::Item item;
  if (!load(at, &item, first)) return false;
  if (item.type != mp::Type::kArray) return fail(reason::kWrongType, path);
  *count = item.count;
  return true;
}

bool FieldReader::checkStr(const mp::Item& item, const FieldPath& path, uint32_t max_bytes) {
  if (item.type != mp::Type::kStr) return fail(reason::kWrongType, path);
  if (item.bytes.size() > max_bytes) return fail(reason::kTooLarge, path);
  if (!isValidUtf8(item.bytes)) return fail(reason::kInvalidUtf8, path);
  return true;
}

bool FieldReader::strView(size_t at, const FieldPath& path, std::string_view* out,
                          uint32_t max_bytes) {
  if (at == kAbsent) return fail(reason::kMissingField, path);
  mp::Item item;
  if (!load(at, &item) || !checkStr(item, path, max_bytes)) return false;
  *out = item.bytes;
  return true;
}

bool FieldReader::str(size_t at, const FieldPath& path, std::string* out, uint32_t max_bytes) {
  std::string_view view;
  if (!strView(at, path, &view, max_bytes)) return false;
  out->assign(view);
  return true;
}

bool FieldReader::optStr(size_t at, const FieldPath& path, Nil nil, std::optional<std::string>* out,
                         uint32_t max_bytes) {
  out->reset();
  if (at == kAbsent) return true;
  mp::Item item;
  if (!load(at, &item)) return false;
  if (item.type == mp::Type::kNil && nil == Nil::kAllowed) return true;
  if (!checkStr(item, path, max_bytes)) return false;
  out->emplace(item.bytes);
  return true;
}

bool FieldReader::strArray(size_t at, const FieldPath& path, std::vector<std::string>* out) {
  out->clear();
  if (at == kAbsent) return true;
  uint32_t count;
  size_t first;
  if (!array(at, path, &count, &first)) return false;
  out->reserve(count);
  mp::Reader reader(data_, first);
  mp::Item item;
  for (uint32_t i = 0; i < count; ++i) {
    if (!reader.read(&item)) return failWith(reason::kMalformedMsgpack);
    if (!checkStr(item, path.index(i), UINT32_MAX)) return false;
    out->emplace_back(item.bytes);
  }
  return true;
}

bool FieldReader::boolean(size_t at, const FieldPath& path, bool* out) {
  if (at == kAbsent) return fail(reason::kMissingField, path);
  return optBoolean(at, path, out);
}

bool FieldReader::optBoolean(size_t at, const FieldPath& path, bool* out) {
  if (at == kAbsent) return true;
  mp::Item item;
  if (!load(at, &item)) return false;
  if (item.type != mp::Type::kBool) return fail(reason::kWrongType, path);
  *out = item.boolean;
  return true;
}

bool FieldReader::version(size_t at, const FieldPath& path, int64_t* out) {
  if (at == kAbsent) return fail(reason::kMissingField, path);
  mp::Item item;
  if (!load(at, &item)) return false;
  if (item.type != mp::Type::kInt) return fail(reason::kWrongType, path);
  if (item.negative || item.u != 1) return failWith(reason::kUnsupportedVersion);
  *out = 1;
  return true;
}

bool FieldReader::unsignedInteger(size_t at, const FieldPath& path, uint64_t* out) {
  if (at == kAbsent) return fail(reason::kMissingField, path);
  mp::Item item;
  if (!load(at, &item)) return false;
  if (item.type != mp::Type::kInt) return fail(reason::kWrongType, path);
  if (item.negative) return fail(reason::kInvalidValue, path);
  *out = item.u;
  return true;
}

bool FieldReader::time(size_t at, const FieldPath& path, double* out) {
  if (at == kAbsent) return fail(reason::kMissingField, path);
  mp::Item item;
  if (!load(at, &item)) return false;
  if (item.type == mp::Type::kInt) {
    *out = item.negative ? static_cast<double>(item.i) : static_cast<double>(item.u);
    return true;
  }
  if (item.type != mp::Type::kFloat) return fail(reason::kWrongType, path);
  if (!std::isfinite(item.f)) return fail(reason::kInvalidValue, path);
  *out = item.f;
  return true;
}

bool FieldReader::optTime(size_t at, const FieldPath& path, Nil nil, std::optional<double>* out) {
  out->reset();
  if (at == kAbsent) return true;
  mp::Item item;
  if (!load(at, &item)) return false;
  if (item.type == mp::Type::kNil && nil == Nil::kAllowed) return true;
  double value;
  if (!time(at, path, &value)) return false;
  *out = value;
  return true;
}

bool FieldReader::optRaw(size_t at, const FieldPath& path, mp::Type type, std::string* out) {
  out->clear();
  if (at == kAbsent) return true;
  mp::Item item;
  if (!load(at, &item)) return false;
  if (item.type != type) return fail(reason::kWrongType, path);
  size_t after;
  if (!end(at, &after)) return false;
  out->assign(data_.substr(at, after - at));
  return true;
}

}  // namespace sg
