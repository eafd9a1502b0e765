// Test helper: MessagePack built from JSON text, to write envelopes of any shape (wrong types,
// missing keys, odd nesting) as readable literals and edit them by dotted path. Integral JSON
// numbers become MessagePack ints, others float64; {"$bin": "<hex>"} becomes bin. Also reads
// files and the vectors. Not a codec: the product never converts JSON to MessagePack.
#pragma once

#include <cjson/cJSON.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sg::test {

struct JsonDeleter {
  void operator()(cJSON* json) const { cJSON_Delete(json); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

// Parses JSON text; null on a syntax error.
Json parseJson(std::string_view text);

// The MessagePack encoding of `json` (map keys in the JSON order).
std::string jsonToMsgpack(const cJSON* json);
std::string jsonToMsgpack(std::string_view json_text);

// Edits the JSON text `json_text` at `path` (dotted; array indices as numbers), then encodes it:
// with a `value` (JSON text) the key is set or replaced, with nullopt it is removed.
std::string editedMsgpack(std::string_view json_text, std::string_view path,
                          std::optional<std::string_view> value);

// The item at a dotted path ("message.attachments.0.url"), or null.
const cJSON* jsonAt(const cJSON* json, std::string_view path);

// A file of tests/vectors/ as bytes.
std::string readVector(std::string_view name);

}  // namespace sg::test
