// cJSON ownership, parsing with positions, printing, comparison and RFC 7396 merge patch.
#include "common/json.h"

#include <spdlog/fmt/fmt.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace sg {
namespace {

constexpr size_t kDescribeMaxBytes = 60;

bool isJsonWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string unexpectedAt(std::string_view text, size_t offset) {
  if (offset >= text.size()) return "unexpected end of input";
  auto c = static_cast<unsigned char>(text[offset]);
  if (c < 0x20 || c >= 0x7f) return fmt::format("unexpected byte 0x{:02x}", c);
  return fmt::format("unexpected character '{}'", static_cast<char>(c));
}

// A recogniser of the JSON grammar (RFC 8259) that only finds where and why a text is not JSON.
// cJSON says where it stopped, which for strings is a byte late, and never why; this runs only
// after cJSON has refused a text.
class SyntaxScanner {
 public:
  explicit SyntaxScanner(std::string_view text) : text_(text) {}

  // False with offset() and reason() set at the first error.
  bool scan() {
    skipSpace();
    if (!value(0)) return false;
    skipSpace();
    return atEnd() || expected("end of input after the value");
  }
  size_t offset() const { return pos_; }
  const std::string& reason() const { return reason_; }

 private:
  static constexpr int kMaxDepth = 1000;  // cJSON's CJSON_NESTING_LIMIT

  bool atEnd() const { return pos_ >= text_.size(); }
  bool consume() {
    ++pos_;
    return true;
  }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }
  bool fail(std::string reason) {
    reason_ = std::move(reason);
    return false;
  }
  bool expected(std::string_view what) {
    return fail(fmt::format("expected {}, got {}", what, found()));
  }
  std::string found() const {
    if (atEnd()) return "end of input";
    auto c = static_cast<unsigned char>(text_[pos_]);
    if (c < 0x20 || c >= 0x7f) return fmt::format("byte 0x{:02x}", c);
    return fmt::format("'{}'", static_cast<char>(c));
  }
  void skipSpace() {
    while (!atEnd() && isJsonWhitespace(text_[pos_])) ++pos_;
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return expected("a value");
    pos_ += word.size();
    return true;
  }

  bool value(int depth) {
    if (depth > kMaxDepth) return fail("nesting deeper than 1000 levels");
    switch (peek()) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (peek() == '-' || std::isdigit(static_cast<unsigned char>(peek()))) return number();
        return expected("a value");
    }
  }

  bool object(int depth) {
    ++pos_;
    skipSpace();
    if (peek() == '}') return consume();
    while (true) {
      if (peek() != '"') return expected("a member name (a string)");
      if (!string()) return false;
      skipSpace();
      if (peek() != ':') return expected("':' after the member name");
      ++pos_;
      skipSpace();
      if (!value(depth + 1)) return false;
      skipSpace();
      if (peek() == '}') return consume();
      if (peek() != ',') return expected("',' or '}'");
      ++pos_;
      skipSpace();
    }
  }

  bool array(int depth) {
    ++pos_;
    skipSpace();
    if (peek() == ']') return consume();
    while (true) {
      if (!value(depth + 1)) return false;
      skipSpace();
      if (peek() == ']') return consume();
      if (peek() != ',') return expected("',' or ']'");
      ++pos_;
      skipSpace();
    }
  }

  bool string() {
    size_t start = pos_;
    ++pos_;
    while (!atEnd() && peek() != '"') {
      auto c = static_cast<unsigned char>(peek());
      if (c < 0x20) return fail(fmt::format("control character 0x{:02x} in a string", c));
      if (c == '\\' && !escape()) return false;
      if (c != '\\') ++pos_;
    }
    if (atEnd()) {
      pos_ = start;  // the opening quote says more than the end of the text
      return fail("unterminated string");
    }
    ++pos_;
    return true;
  }

  bool escape() {
    ++pos_;
    char c = peek();
    if (c != 'u') {
      if (std::string_view("\"\\/bfnrt").find(c) == std::string_view::npos || atEnd()) {
        return fail("invalid escape in a string");
      }
      ++pos_;
      return true;
    }
    ++pos_;
    for (int i = 0; i < 4; ++i, ++pos_) {
      if (!std::isxdigit(static_cast<unsigned char>(peek()))) {
        return fail("\\u needs four hexadecimal digits");
      }
    }
    return true;
  }

  bool digits() {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) return expected("a digit");
    while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
    return true;
  }

  bool number() {
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (!digits()) {
      return false;
    }
    if (peek() == '.') {
      ++pos_;
      if (!digits()) return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!digits()) return false;
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string reason_;
};

JsonParseError errorAt(std::string_view text, size_t offset) {
  JsonParseError error;
  error.offset = offset;
  error.line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++error.line;
      line_start = i + 1;
    }
  }
  error.column = static_cast<int>(offset - line_start) + 1;
  error.message = unexpectedAt(text, offset);
  return error;
}

// Removes every member called `name` (a parsed object may hold duplicates).
void removeAll(cJSON* object, const char* name) {
  while (cJSON_GetObjectItemCaseSensitive(object, name) != nullptr) {
    cJSON_DeleteItemFromObjectCaseSensitive(object, name);
  }
}

// Merges object `patch` into object `target` in place (the body of RFC 7396's loop).
void mergeInto(cJSON* target, const cJSON* patch) {
  for (const cJSON* item = patch->child; item != nullptr; item = item->next) {
    const char* name = item->string;
    if (cJSON_IsNull(item)) {
      removeAll(target, name);
      continue;
    }
    cJSON* existing = cJSON_GetObjectItemCaseSensitive(target, name);
    if (cJSON_IsObject(item) && cJSON_IsObject(existing)) {
      mergeInto(existing, item);
      continue;
    }
    // A new object value still goes through the patch rules, which drop its nulls.
    JsonPtr replacement = cJSON_IsObject(item) ? applyMergePatch(nullptr, item) : copyJson(item);
    if (existing != nullptr) {
      cJSON_ReplaceItemInObjectCaseSensitive(target, name, replacement.release());
    } else {
      cJSON_AddItemToObject(target, name, replacement.release());
    }
  }
}

// Two-space indentation, one member or item per line; empty containers stay on one line.
void printIndented(const cJSON* value, int depth, std::string* out) {
  bool object = cJSON_IsObject(value);
  if (!object && !cJSON_IsArray(value)) {
    *out += printJson(value);
    return;
  }
  if (value->child == nullptr) {
    *out += object ? "{}" : "[]";
    return;
  }
  *out += object ? "{\n" : "[\n";
  for (const cJSON* item = value->child; item != nullptr; item = item->next) {
    out->append(2 * (depth + 1), ' ');
    if (object) {
      JsonPtr name(cJSON_CreateString(item->string));
      *out += printJson(name.get()) + ": ";
    }
    printIndented(item, depth + 1, out);
    *out += item->next != nullptr ? ",\n" : "\n";
  }
  out->append(2 * depth, ' ');
  *out += object ? '}' : ']';
}

}  // namespace

std::string JsonParseError::text() const {
  return fmt::format("line {}, column {}: {}", line, column, message);
}

JsonPtr parseJson(std::string_view text, JsonParseError* error) {
  // cJSON needs a terminated buffer; handing it the terminator too makes "ran out of input"
  // point past the last byte instead of at it.
  std::string buffer(text);
  const char* end = nullptr;
  JsonPtr value(cJSON_ParseWithLengthOpts(buffer.c_str(), buffer.size() + 1, &end, false));
  size_t offset = end != nullptr ? static_cast<size_t>(end - buffer.c_str()) : 0;
  if (value != nullptr) {
    while (offset < buffer.size() && isJsonWhitespace(buffer[offset])) ++offset;
    if (offset == buffer.size()) return value;
    value.reset();  // a complete value followed by more than whitespace
  }
  if (error != nullptr) {
    *error = errorAt(text, offset);
    SyntaxScanner scanner(text);
    if (!scanner.scan()) {  // else cJSON refused what the grammar allows: keep its position
      *error = errorAt(text, scanner.offset());
      error->message = scanner.reason();
    }
  }
  return nullptr;
}

std::string printJson(const cJSON* value, bool pretty) {
  if (value == nullptr) return "null";
  if (pretty) {
    std::string text;
    printIndented(value, 0, &text);
    return text;
  }
  char* printed = cJSON_PrintUnformatted(value);
  if (printed == nullptr) return "null";  // out of memory
  std::string text(printed);
  cJSON_free(printed);
  return text;
}

bool jsonEqual(const cJSON* a, const cJSON* b) {
  if (a == nullptr || b == nullptr) return a == b;
  if ((a->type & 0xff) != (b->type & 0xff)) return false;
  if (cJSON_IsNumber(a)) return a->valuedouble == b->valuedouble;
  if (cJSON_IsString(a) || cJSON_IsRaw(a)) return std::strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsArray(a)) {
    const cJSON* x = a->child;
    const cJSON* y = b->child;
    for (; x != nullptr && y != nullptr; x = x->next, y = y->next) {
      if (!jsonEqual(x, y)) return false;
    }
    return x == nullptr && y == nullptr;
  }
  if (cJSON_IsObject(a)) {
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
    for (const cJSON* x = a->child; x != nullptr; x = x->next) {
      if (!jsonEqual(x, cJSON_GetObjectItemCaseSensitive(b, x->string))) return false;
    }
    return true;
  }
  return true;  // null, true, false: the type says it all
}

JsonPtr copyJson(const cJSON* value) {
  if (value == nullptr) return nullptr;
  return JsonPtr(cJSON_Duplicate(value, true));
}

JsonPtr applyMergePatch(JsonPtr target, const cJSON* patch) {
  if (!cJSON_IsObject(patch)) return copyJson(patch);
  if (!cJSON_IsObject(target.get())) target.reset(cJSON_CreateObject());
  mergeInto(target.get(), patch);
  return target;
}

std::string describeJson(const cJSON* value) {
  if (value == nullptr) return "nothing";
  if (cJSON_IsArray(value)) return "an array";
  if (cJSON_IsObject(value)) return "an object";
  if (cJSON_IsString(value) && std::strlen(value->valuestring) > kDescribeMaxBytes) {
    size_t cut_at = kDescribeMaxBytes;  // back off to a character boundary (UTF-8)
    while (cut_at > 0 && (static_cast<unsigned char>(value->valuestring[cut_at]) & 0xc0) == 0x80) {
      --cut_at;
    }
    JsonPtr cut(cJSON_CreateString(std::string(value->valuestring, cut_at).c_str()));
    std::string text = printJson(cut.get());
    text.insert(text.size() - 1, "...");
    return text;
  }
  return printJson(value);
}

bool jsonInteger(const cJSON* value, long long* out) {
  if (!cJSON_IsNumber(value)) return false;
  double number = value->valuedouble;
  // 2^63 is exactly representable; anything at or past it does not fit a long long.
  if (!std::isfinite(number) || std::trunc(number) != number || std::fabs(number) >= 0x1p63) {
    return false;
  }
  *out = static_cast<long long>(number);
  return true;
}

void appendJsonString(std::string& out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the current run of bytes that need no escaping
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

const cJSON* jsonField(const cJSON* object, const char* key) {
  if (object == nullptr || !cJSON_IsObject(object)) return nullptr;
  return cJSON_GetObjectItemCaseSensitive(object, key);
}

std::string_view jsonString(const cJSON* object, const char* key, std::string_view fallback) {
  const cJSON* item = jsonField(object, key);
  if (item == nullptr || !cJSON_IsString(item) || item->valuestring == nullptr) return fallback;
  return item->valuestring;
}

bool jsonNumber(const cJSON* object, const char* key, double* value) {
  const cJSON* item = jsonField(object, key);
  if (item == nullptr || !cJSON_IsNumber(item)) return false;
  *value = item->valuedouble;
  return true;
}

}  // namespace sg
