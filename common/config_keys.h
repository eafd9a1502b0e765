// The one table of configuration keys: dotted path, type, bounds, default (taken from the
// structs in config.h), reload class, environment variable and a line of documentation. The
// loader, the validation messages, --help and the man-page test all read it.
//
// This file describes keys and moves single values between JSON and a Config; it does not merge
// sources or decide precedence (config_loader.h does).
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/config.h"
#include "common/json.h"

namespace sg {

enum class KeyType {
  kBool,
  kUint,    // JSON integer within [min, max]
  kNumber,  // JSON number within [min, max]; absent means "not set" (std::optional)
  kString,
  kEnum,            // a string from `choices`
  kStringArray,     // array of non-empty strings
  kObject,          // any JSON object, passed through as text
  kScopeOverrides,  // bot.overrides: {"channels": {id: {...}}, "guilds": {id: {...}}}
  kPresenceArray,   // array of {"status": online|idle|dnd, "activity": string}
  kToolPermissions,  // tools.permissions: {name: {"roles": [..], "channels": [..], "guilds": [..]}}
  kSecret,          // string that is never printed (rendered "***")
};

// What it takes for a changed value to apply.
enum class ReloadClass {
  kLive,           // running processes apply it in place
  kWorkerRestart,  // workers must be restarted (one by one) to apply it
  kFullRestart,    // only a restart of the supervisor applies it
};

// "live", "worker_restart", "full_restart" (the spelling used in logs and the man page).
std::string_view reloadClassName(ReloadClass reload);

// Accessors from a Config to one field; which one a key has follows from its type.
using BoolField = bool& (*)(Config&);
using UintField = uint32_t& (*)(Config&);
using NumberField = std::optional<double>& (*)(Config&);
// kString, kEnum, kObject, kScopeOverrides, kToolPermissions
using StringField = std::string& (*)(Config&);
using StringListField = std::vector<std::string>& (*)(Config&);
using SecretField = Secret& (*)(Config&);
using PresenceListField = std::vector<Presence>& (*)(Config&);
using FieldRef = std::variant<BoolField, UintField, NumberField, StringField, StringListField,
                              SecretField, PresenceListField>;

// A further rule on a string value once its type is right: returns why it is wrong, or "".
// It must not quote a secret it finds in the value (see maskRedisUrl).
using StringCheck = std::string (*)(const std::string& value);
// The value as it may be shown, with its secret part hidden (redis.url's password).
using StringMask = std::string (*)(std::string_view value);

struct KeySpec {
  std::string_view path;  // "llm.model"
  KeyType type;
  ReloadClass reload;
  FieldRef field;
  std::string_view doc;
  double min = 0;  // kUint, kNumber
  double max = 0;
  std::vector<std::string_view> choices;  // kEnum
  StringCheck check = nullptr;            // kString; kStringArray: each element
  StringMask mask = nullptr;              // kString holding a secret part
  std::string env;                        // "SG_LLM_MODEL"
  std::string default_json;               // the default as compact JSON (a secret's is "")
};

// The environment variable read as a fallback for llm.api_key when no source sets it.
inline constexpr std::string_view kApiKeyFallbackEnv = "OPENROUTER_API_KEY";

// Every key, in the order of config.h.
const std::vector<KeySpec>& configKeys();
// The key with this exact path, or null.
const KeySpec* findKey(std::string_view path);
// True for a path that groups keys ("llm", "redis", ...), which must be a JSON object.
bool isSection(std::string_view path);
// The closest known key to a misspelt path ("llm.modle" -> "llm.model"), or "" when none is close.
std::string suggestKey(std::string_view path);
// The same for an environment variable name ("SG_LLM_MODLE" -> "SG_LLM_MODEL").
std::string suggestEnvironmentName(std::string_view name);
// Human description of the type and bounds: "integer 1..100000", "one of: text, json", ...
std::string typeText(const KeySpec& key);
// The key list for --help: one entry per key (path, type, default, class, env, doc).
std::string usageText();

// A setting that a bot.overrides scope may hold ({"channels": {"<id>": {"model": "x"}}}). Each is
// validated like the key `spec` describes: bot.name, bot.system_prompt_file, bot.stream_edits,
// bot.trigger_words, bot.ignore_users, llm.model, llm.fallback_models, llm.temperature,
// llm.max_completion_tokens, llm.max_tool_rounds, and "answer" (always | default | never: answer
// every message of the scope, the usual rules, or none), whose spec has no Config field.
struct ScopeField {
  std::string_view name;  // "model"
  const KeySpec* spec;
};
const std::vector<ScopeField>& scopeOverrideFields();

// The key's value in `config` as JSON (secrets in clear; callers mask).
[[nodiscard]] JsonPtr keyValueJson(const KeySpec& key, const Config& config);
// Stores an already validated JSON value into `config`; null resets the key to its default.
void setKeyValue(const KeySpec& key, const cJSON* value, Config& config);
// Whether the key's value differs between the two snapshots.
bool keyValueEqual(const KeySpec& key, const Config& a, const Config& b);
// Copies the key's value from `from` into `to`.
void copyKeyValue(const KeySpec& key, const Config& from, Config& to);

}  // namespace sg
