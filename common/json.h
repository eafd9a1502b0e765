// JSON helpers over cJSON: an owning pointer, strict parsing of exactly one value, printing, and
// a JSON string escaper for code that writes JSON by hand on hot paths. This file does not define
// any schema; callers read fields with cJSON's own accessors.
#pragma once

#include <cjson/cJSON.h>

#include <memory>
#include <string>
#include <string_view>

namespace sg {

struct JsonDeleter {
  void operator()(cJSON* item) const { cJSON_Delete(item); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

// Parses exactly one JSON value: surrounding whitespace is allowed, anything else after the value
// (`{}{}`) is an error. Null on error.
JsonPtr parseJson(std::string_view text);

// The value printed without whitespace ("" for null).
std::string printJson(const cJSON* item);

// Appends `text` as a quoted JSON string (escaping quotes, backslashes and control characters;
// other bytes, UTF-8 included, are copied as they are).
void appendJsonString(std::string& out, std::string_view text);

// Field accessors that tolerate a missing object or a wrong type.
const cJSON* jsonField(const cJSON* object, const char* key);
// The string value of `key`, or `fallback` when absent or not a string.
std::string_view jsonString(const cJSON* object, const char* key, std::string_view fallback = {});
// The numeric value of `key` when present and a number.
bool jsonNumber(const cJSON* object, const char* key, double* value);

}  // namespace sg
