// MessagePack to JSON text. The input is scanned first (well-formed, depth bounded), so the
// recursive rendering below is bounded by max_depth.
#include "common/msgpack_json.h"

#include <charconv>
#include <cmath>

#include "common/msgpack_reader.h"
#include "common/utf8.h"

namespace sg {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void appendHex(std::string_view bytes, std::string* out) {
  for (unsigned char c : bytes) {
    out->push_back(kHexDigits[c >> 4]);
    out->push_back(kHexDigits[c & 0x0f]);
  }
}

void appendEscapedChar(unsigned char c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default:
      if (c < 0x20) {
        out->append("\\u00");
        out->push_back(kHexDigits[c >> 4]);
        out->push_back(kHexDigits[c & 0x0f]);
      } else {
        out->push_back(static_cast<char>(c));
      }
  }
}

void appendString(std::string_view text, std::string* out) {
  out->push_back('"');
  size_t pos = 0;
  while (pos < text.size()) {
    size_t plain = pos;  // a run that needs no escaping is copied at once
    while (plain < text.size() && text[plain] >= 0x20 && text[plain] < 0x7f && text[plain] != '"' &&
           text[plain] != '\\') {
      ++plain;
    }
    out->append(text.substr(pos, plain - pos));
    pos = plain;
    if (pos == text.size()) break;
    const size_t length = utf8CharLength(text, pos);
    if (length == 0) {
      out->append("\xef\xbf\xbd");  // U+FFFD for each byte that is not part of a character
      ++pos;
    } else if (length == 1) {
      appendEscapedChar(static_cast<unsigned char>(text[pos++]), out);
    } else {
      out->append(text.substr(pos, length));
      pos += length;
    }
  }
  out->push_back('"');
}

template <typename Number>
void appendNumber(Number value, std::string* out) {
  char buffer[32];
  const auto converted = std::to_chars(buffer, buffer + sizeof buffer, value);
  out->append(buffer, converted.ptr);
}

void appendScalar(const mp::Item& item, std::string* out) {
  switch (item.type) {
    case mp::Type::kNil:
      out->append("null");
      return;
    case mp::Type::kBool:
      out->append(item.boolean ? "true" : "false");
      return;
    case mp::Type::kInt:
      if (item.negative) return appendNumber(item.i, out);
      return appendNumber(item.u, out);
    case mp::Type::kFloat:
      if (std::isfinite(item.f)) return appendNumber(item.f, out);
      out->append("null");
      return;
    case mp::Type::kStr:
      return appendString(item.bytes, out);
    case mp::Type::kBin:
      out->append("{\"$bin\":\"");
      appendHex(item.bytes, out);
      out->append("\"}");
      return;
    case mp::Type::kExt:
      out->append("{\"$ext\":");
      appendNumber(int{item.ext_type}, out);
      out->append(",\"hex\":\"");
      appendHex(item.bytes, out);
      out->append("\"}");
      return;
    case mp::Type::kArray:
    case mp::Type::kMap:
      return;  // containers are rendered by appendValue
  }
}

bool appendValue(mp::Reader& reader, std::string* out);

// A key that is not a str is rendered as a quoted string: a scalar's JSON text ("1", "true"),
// a container as "$array" or "$map" (its contents skipped). Quoting a container's rendering
// instead would escape it once per level of keys nested in keys, and the output would double
// with each level (found by fuzzing: 1 KB of input rendered to hundreds of megabytes).
bool appendKey(mp::Reader& reader, std::string* out) {
  mp::Item item;
  if (!reader.read(&item)) return false;
  if (item.type == mp::Type::kStr) {
    appendString(item.bytes, out);
    return true;
  }
  if (item.type == mp::Type::kArray || item.type == mp::Type::kMap) {
    out->append(item.type == mp::Type::kArray ? "\"$array\"" : "\"$map\"");
    uint64_t contents = item.type == mp::Type::kMap ? 2 * uint64_t{item.count} : item.count;
    return reader.skipValues(contents);
  }
  std::string rendered;
  appendScalar(item, &rendered);
  appendString(rendered, out);
  return true;
}

bool appendValue(mp::Reader& reader, std::string* out) {
  mp::Item item;
  if (!reader.read(&item)) return false;
  if (item.type == mp::Type::kArray) {
    out->push_back('[');
    for (uint32_t i = 0; i < item.count; ++i) {
      if (i > 0) out->push_back(',');
      if (!appendValue(reader, out)) return false;
    }
    out->push_back(']');
  } else if (item.type == mp::Type::kMap) {
    out->push_back('{');
    for (uint32_t i = 0; i < item.count; ++i) {
      if (i > 0) out->push_back(',');
      if (!appendKey(reader, out)) return false;
      out->push_back(':');
      if (!appendValue(reader, out)) return false;
    }
    out->push_back('}');
  } else {
    appendScalar(item, out);
  }
  return true;
}

}  // namespace

std::optional<std::string> msgpackToJson(std::string_view bytes, uint32_t max_depth) {
  if (mp::scan(bytes, max_depth) != mp::ScanStatus::kOk) return std::nullopt;
  std::string out;
  out.reserve(bytes.size() * 2);
  mp::Reader reader(bytes);
  if (!appendValue(reader, &out)) return std::nullopt;
  return out;
}

}  // namespace sg
