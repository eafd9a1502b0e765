// Validation of configuration JSON against the key table: unknown keys (with a suggestion), types,
// bounds, allowed values, per-key rules (URLs, addresses), the structure of bot.overrides and of
// status.presences, and the rules between keys. Every problem is collected, not only the first,
// each naming its key path ("llm.fallback_models[1]") and its source.
//
// Nothing here merges documents or builds a Config (config_loader.h does). Messages never quote
// a secret's value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/config_keys.h"
#include "common/json.h"

namespace sg {

struct ConfigError {
  std::string source;  // the file's name, "sg:config:overrides", "SG_LLM_MODEL", "command line";
                       // "" for a rule on the merged configuration
  std::string path;    // "consumer.max_inflight", "llm.fallback_models[1]"; "" for the document
  std::string reason;  // "must be an integer between 1 and 100000, got \"abc\""

  std::string message() const;  // "path: reason"
  std::string text() const;     // "source: path: reason"
  bool operator==(const ConfigError&) const = default;
};

// Checks one configuration document (a file, an override patch, a patch built from the
// environment or the command line). A null member value is accepted anywhere an object holds it:
// as in a merge patch, it removes the value so that the default (or a lower source) applies.
void checkDocument(const cJSON* document, std::string_view source,
                   std::vector<ConfigError>* errors);

// Rules between keys on a complete Config (a base delay not above its maximum, ...).
void checkRelations(const Config& config, std::vector<ConfigError>* errors);

// The JSON value for `key` written as text (an environment variable, --set key=value): booleans
// as true/false/yes/no/on/off/1/0, numbers as decimal text, arrays and objects as JSON text (a
// string array also as a comma-separated list), strings as they are. Text that does not fit the
// type comes back as a JSON string so that checkDocument reports it with the key's own message;
// only malformed JSON text fails here (null and `error` set).
[[nodiscard]] JsonPtr valueFromText(const KeySpec& key, std::string_view text, std::string* error);

}  // namespace sg
