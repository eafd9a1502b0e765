// Ownership of cJSON trees: `JsonPtr` deletes a tree it owns, and two helpers parse and print
// without leaking on any path. This file does not define schemas or validate values; callers read
// the fields they expect and treat anything else as invalid input.
#pragma once

#include <cjson/cJSON.h>

#include <memory>
#include <string>
#include <string_view>

namespace sg {

struct CJsonDeleter {
  void operator()(cJSON* item) const { cJSON_Delete(item); }
};
using JsonPtr = std::unique_ptr<cJSON, CJsonDeleter>;

// Parses exactly `text` (no terminator needed); null when it is not valid JSON.
inline JsonPtr parseJson(std::string_view text) {
  return JsonPtr(cJSON_ParseWithLength(text.data(), text.size()));
}

// Compact JSON text of `item`; empty only if cJSON runs out of memory.
inline std::string printJson(const cJSON& item) {
  char* raw = cJSON_PrintUnformatted(&item);
  if (raw == nullptr) return {};
  std::string text(raw);
  cJSON_free(raw);
  return text;
}

// A deep copy (cJSON trees have no shared nodes).
inline JsonPtr copyJson(const cJSON& item) {
  return JsonPtr(cJSON_Duplicate(&item, true));
}

}  // namespace sg
