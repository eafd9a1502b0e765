// JSON helpers over cJSON: ownership (JsonPtr), parsing with an error position (line, column),
// printing, deep comparison and RFC 7396 JSON Merge Patch. Used by the configuration loader and
// anyone else holding a cJSON tree.
//
// These helpers never keep global state and never throw. They do not validate UTF-8 (cJSON
// passes string bytes through) and know nothing about the configuration schema.
#pragma once

#include <cjson/cJSON.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace sg {

struct JsonDeleter {
  void operator()(cJSON* item) const noexcept { cJSON_Delete(item); }
};
// Owns a whole cJSON tree (a root, or an item detached from its parent).
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

// Where and why parsing failed. line and column are 1-based; column counts bytes.
struct JsonParseError {
  size_t offset = 0;
  int line = 0;
  int column = 0;
  std::string message;  // e.g. "unexpected character '}'" or "unexpected end of input"

  // "line 3, column 7: unexpected character '}'"
  std::string text() const;
};

// Parses exactly one JSON value; whitespace may surround it, anything else after it is an error.
// Returns null and fills `error` (when given) on failure, with the position of the first byte
// that breaks the grammar and what was expected there. cJSON's leniencies are kept (a raw control
// character inside a string, a number such as "1.").
[[nodiscard]] JsonPtr parseJson(std::string_view text, JsonParseError* error = nullptr);

// Compact (default) or indented text (two spaces per level, a member per line). A null pointer
// prints as "null".
std::string printJson(const cJSON* value, bool pretty = false);

// Deep, exact equality: same types, same numbers, same strings, arrays in order, objects with the
// same set of names (in any order). Two null pointers are equal.
bool jsonEqual(const cJSON* a, const cJSON* b);

// A deep copy (null for a null pointer).
[[nodiscard]] JsonPtr copyJson(const cJSON* value);

// RFC 7396: applies `patch` to `target` and returns the result. An object patch merges name by
// name (null removes the name, objects merge recursively, anything else replaces it, arrays
// included); any other patch replaces the target. `target` is consumed (it may be null, which
// stands for "no value"); `patch` is not modified. The result never holds a null that came from
// an object patch.
[[nodiscard]] JsonPtr applyMergePatch(JsonPtr target, const cJSON* patch);

// A short description of a value for error messages: strings quoted (cut after 60 bytes),
// numbers and literals as written, "an array" / "an object" for containers.
std::string describeJson(const cJSON* value);

// The number's value when `value` is a JSON number holding an integer; false otherwise.
bool jsonInteger(const cJSON* value, long long* out);

// Appends `text` as a quoted JSON string (escaping quotes, backslashes and control characters;
// other bytes, UTF-8 included, are copied as they are): for code that writes JSON by hand on hot
// paths.
void appendJsonString(std::string& out, std::string_view text);

// Field accessors that tolerate a missing object or a wrong type.
const cJSON* jsonField(const cJSON* object, const char* key);
// The string value of `key`, or `fallback` when absent or not a string.
std::string_view jsonString(const cJSON* object, const char* key, std::string_view fallback = {});
// The numeric value of `key` when present and a number.
bool jsonNumber(const cJSON* object, const char* key, double* value);

}  // namespace sg
