// Validation of configuration documents against the key table (see config_check.h).
#include "common/config_check.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

namespace sg {
namespace {

// Pairs of keys where the first must not exceed the second.
struct Relation {
  std::string_view lower;
  std::string_view upper;
};
constexpr Relation kRelations[] = {
    {"redis.reconnect_base_ms", "redis.reconnect_max_ms"},
    {"llm.retry_base_ms", "llm.retry_max_ms"},
    {"llm.attempt_timeout_ms", "llm.timeout_ms"},
    {"llm.first_token_timeout_ms", "llm.attempt_timeout_ms"},
    {"llm.connect_timeout_ms", "llm.attempt_timeout_ms"},
    {"limits.content_bytes", "limits.payload_bytes"},
    {"supervisor.restart_base_ms", "supervisor.restart_max_ms"},
};

std::string joinPath(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
}

std::string itemPath(std::string_view prefix, size_t index) {
  return fmt::format("{}[{}]", prefix, index);
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

const KeySpec& presenceStatusSpec() {
  static const KeySpec spec = [] {
    KeySpec key{.path = "status", .type = KeyType::kEnum, .reload = ReloadClass::kLive};
    key.choices = {"online", "idle", "dnd"};
    return key;
  }();
  return spec;
}

const KeySpec& presenceActivitySpec() {
  static const KeySpec spec{
      .path = "activity", .type = KeyType::kString, .reload = ReloadClass::kLive};
  return spec;
}

const ScopeField* findScopeField(std::string_view name) {
  for (const ScopeField& field : scopeOverrideFields()) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::string scopeFieldNames() {
  std::vector<std::string_view> names;
  for (const ScopeField& field : scopeOverrideFields()) names.push_back(field.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// Walks one document and records every problem with its path.
class Checker {
 public:
  Checker(std::string_view source, std::vector<ConfigError>* errors)
      : source_(source), errors_(errors) {}

  void checkRoot(const cJSON* document) {
    if (!cJSON_IsObject(document)) {
      fail("", "the configuration must be a JSON object, got " + describeJson(document));
      return;
    }
    checkSection(document, "");
  }

 private:
  void fail(std::string path, std::string reason) {
    errors_->push_back({std::string(source_), std::move(path), std::move(reason)});
  }

  // Duplicate names: cJSON keeps both and each reader would pick a different one.
  void checkDuplicates(const cJSON* object, std::string_view prefix) {
    std::set<std::string_view> seen;
    for (const cJSON* member = object->child; member != nullptr; member = member->next) {
      if (!seen.insert(member->string).second) {
        fail(joinPath(prefix, member->string), "appears more than once");
      }
    }
  }

  void checkSection(const cJSON* object, const std::string& prefix) {
    checkDuplicates(object, prefix);
    for (const cJSON* member = object->child; member != nullptr; member = member->next) {
      std::string path = joinPath(prefix, member->string);
      if (std::strchr(member->string, '.') != nullptr) {
        fail(path, unknownKeyReason(path, member->string));
      } else if (const KeySpec* key = findKey(path)) {
        if (!cJSON_IsNull(member)) checkValue(*key, member, path);
      } else if (isSection(path)) {
        if (cJSON_IsObject(member)) {
          checkSection(member, path);
        } else if (!cJSON_IsNull(member)) {
          fail(path, "must be an object, got " + describeJson(member));
        }
      } else {
        fail(path, unknownKeyReason(path, member->string));
      }
    }
  }

  static std::string unknownKeyReason(const std::string& path, std::string_view name) {
    if (name.find('.') != std::string_view::npos && (findKey(path) != nullptr || isSection(path))) {
      return "unknown key (dotted names are not expanded in JSON: nest the objects)";
    }
    std::string suggestion = suggestKey(path);
    return suggestion.empty() ? "unknown key"
                              : fmt::format("unknown key (did you mean {}?)", suggestion);
  }

  void checkValue(const KeySpec& key, const cJSON* value, const std::string& path) {
    switch (key.type) {
      case KeyType::kBool:
        if (!cJSON_IsBool(value)) fail(path, "must be true or false, got " + describeJson(value));
        return;
      case KeyType::kUint:
        return checkUint(key, value, path);
      case KeyType::kNumber:
        return checkNumber(key, value, path);
      case KeyType::kString:
        return checkString(key, value, path);
      case KeyType::kEnum:
        return checkEnum(key, value, path);
      case KeyType::kStringArray:
        return checkStrings(value, path, key.check);
      case KeyType::kObject:
        if (!cJSON_IsObject(value)) fail(path, "must be an object, got " + describeJson(value));
        return;
      case KeyType::kScopeOverrides:
        return checkScopes(value, path);
      case KeyType::kToolPermissions:
        return checkToolPermissions(value, path);
      case KeyType::kPresenceArray:
        return checkPresences(value, path);
      case KeyType::kSecret:
        if (!cJSON_IsString(value)) fail(path, "must be a string");  // never show the value
        return;
    }
  }

  void checkUint(const KeySpec& key, const cJSON* value, const std::string& path) {
    long long number = 0;
    if (jsonInteger(value, &number) && number >= key.min && number <= key.max) return;
    fail(path,
         fmt::format("must be an integer between {} and {}, got {}", static_cast<uint64_t>(key.min),
                     static_cast<uint64_t>(key.max), describeJson(value)));
  }

  void checkNumber(const KeySpec& key, const cJSON* value, const std::string& path) {
    if (cJSON_IsNumber(value) && std::isfinite(value->valuedouble) &&
        value->valuedouble >= key.min && value->valuedouble <= key.max) {
      return;
    }
    fail(path, fmt::format("must be a number between {} and {}, got {}", key.min, key.max,
                           describeJson(value)));
  }

  void checkString(const KeySpec& key, const cJSON* value, const std::string& path) {
    if (!cJSON_IsString(value)) {
      fail(path, "must be a string, got " + describeJson(value));
      return;
    }
    if (key.check == nullptr) return;
    std::string reason = key.check(value->valuestring);
    if (!reason.empty()) fail(path, std::move(reason));
  }

  void checkEnum(const KeySpec& key, const cJSON* value, const std::string& path) {
    if (cJSON_IsString(value) && std::find(key.choices.begin(), key.choices.end(),
                                           value->valuestring) != key.choices.end()) {
      return;
    }
    fail(path, fmt::format("must be one of {}, got {}", fmt::join(key.choices, ", "),
                           describeJson(value)));
  }

  // An array of non-empty strings; `check`, when given, applies to each.
  void checkStrings(const cJSON* value, const std::string& path, StringCheck check = nullptr) {
    if (!cJSON_IsArray(value)) {
      fail(path, "must be an array of strings, got " + describeJson(value));
      return;
    }
    size_t index = 0;
    for (const cJSON* item = value->child; item != nullptr; item = item->next, ++index) {
      if (!cJSON_IsString(item)) {
        fail(itemPath(path, index), "must be a string, got " + describeJson(item));
      } else if (item->valuestring[0] == '\0') {
        fail(itemPath(path, index), "must not be empty");
      } else if (check != nullptr) {
        std::string reason = check(item->valuestring);
        if (!reason.empty()) fail(itemPath(path, index), std::move(reason));
      }
    }
  }

  void checkPresences(const cJSON* value, const std::string& path) {
    if (!cJSON_IsArray(value)) {
      fail(path,
           "must be an array of {\"status\", \"activity\"} objects, got " + describeJson(value));
      return;
    }
    size_t index = 0;
    for (const cJSON* item = value->child; item != nullptr; item = item->next, ++index) {
      checkPresence(item, itemPath(path, index));
    }
  }

  void checkPresence(const cJSON* item, const std::string& path) {
    if (!cJSON_IsObject(item)) {
      fail(path, "must be an object with status and activity, got " + describeJson(item));
      return;
    }
    checkDuplicates(item, path);
    for (const cJSON* member = item->child; member != nullptr; member = member->next) {
      std::string member_path = joinPath(path, member->string);
      std::string_view name = member->string;
      if (name == "status") {
        checkValue(presenceStatusSpec(), member, member_path);
      } else if (name == "activity") {
        checkValue(presenceActivitySpec(), member, member_path);
      } else {
        fail(member_path, "unknown key (expected status or activity)");
      }
    }
    if (!cJSON_HasObjectItem(item, "status")) {
      fail(joinPath(path, "status"), "is required (one of online, idle, dnd)");
    }
    if (!cJSON_HasObjectItem(item, "activity")) {
      fail(joinPath(path, "activity"), "is required (a string)");
    }
  }

  void checkScopes(const cJSON* value, const std::string& path) {
    if (!cJSON_IsObject(value)) {
      fail(path, "must be an object with \"channels\" and \"guilds\", got " + describeJson(value));
      return;
    }
    checkDuplicates(value, path);
    for (const cJSON* member = value->child; member != nullptr; member = member->next) {
      std::string scope_path = joinPath(path, member->string);
      std::string_view name = member->string;
      if (name != "channels" && name != "guilds") {
        fail(scope_path, "unknown key (expected channels or guilds)");
      } else if (cJSON_IsObject(member)) {
        checkScopeMap(member, scope_path);
      } else if (!cJSON_IsNull(member)) {
        fail(scope_path, "must be an object mapping ids to settings, got " + describeJson(member));
      }
    }
  }

  void checkScopeMap(const cJSON* map, const std::string& path) {
    checkDuplicates(map, path);
    for (const cJSON* scope = map->child; scope != nullptr; scope = scope->next) {
      std::string scope_path = joinPath(path, scope->string);
      if (scope->string[0] == '\0') {
        fail(path, "an id must not be empty");
      } else if (cJSON_IsObject(scope)) {
        checkScopeSettings(scope, scope_path);
      } else if (!cJSON_IsNull(scope)) {
        fail(scope_path, "must be an object of settings, got " + describeJson(scope));
      }
    }
  }

  void checkScopeSettings(const cJSON* settings, const std::string& path) {
    checkDuplicates(settings, path);
    for (const cJSON* member = settings->child; member != nullptr; member = member->next) {
      std::string member_path = joinPath(path, member->string);
      const ScopeField* field = findScopeField(member->string);
      if (field == nullptr) {
        fail(member_path, fmt::format("unknown key (expected one of: {})", scopeFieldNames()));
      } else if (!cJSON_IsNull(member)) {
        checkValue(*field->spec, member, member_path);
      }
    }
  }

  // {"<permission>": {"roles": [str], "channels": [str], "guilds": [str]}}
  void checkToolPermissions(const cJSON* value, const std::string& path) {
    if (!cJSON_IsObject(value)) {
      fail(path,
           "must be an object mapping permission names to {\"roles\", \"channels\", "
           "\"guilds\"}, got " +
               describeJson(value));
      return;
    }
    checkDuplicates(value, path);
    for (const cJSON* rule = value->child; rule != nullptr; rule = rule->next) {
      std::string rule_path = joinPath(path, rule->string);
      if (!cJSON_IsObject(rule)) {
        fail(rule_path,
             "must be an object with roles, channels or guilds, got " + describeJson(rule));
        continue;
      }
      checkDuplicates(rule, rule_path);
      for (const cJSON* member = rule->child; member != nullptr; member = member->next) {
        std::string_view name = member->string;
        std::string member_path = joinPath(rule_path, name);
        if (name != "roles" && name != "channels" && name != "guilds") {
          fail(member_path, "unknown key (expected roles, channels or guilds)");
        } else {
          checkStrings(member, member_path);
        }
      }
    }
  }

  std::string_view source_;
  std::vector<ConfigError>* errors_;
};

bool parseDecimal(std::string_view text, double* out) {
  if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string_view::npos) {
    return false;
  }
  if (text.front() == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

JsonPtr boolFromText(std::string_view text) {
  std::string lower;
  for (char c : trim(text))
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") {
    return JsonPtr(cJSON_CreateTrue());
  }
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") {
    return JsonPtr(cJSON_CreateFalse());
  }
  return JsonPtr(cJSON_CreateString(std::string(text).c_str()));
}

JsonPtr numberFromText(const KeySpec& key, std::string_view text) {
  std::string_view trimmed = trim(text);
  if (key.type == KeyType::kNumber && trimmed.empty()) return JsonPtr(cJSON_CreateNull());
  double number = 0;
  if (parseDecimal(trimmed, &number)) return JsonPtr(cJSON_CreateNumber(number));
  return JsonPtr(cJSON_CreateString(std::string(text).c_str()));
}

JsonPtr jsonFromText(std::string_view text, std::string* error) {
  JsonParseError parse_error;
  JsonPtr value = parseJson(text, &parse_error);
  if (value == nullptr) *error = "invalid JSON (" + parse_error.text() + ")";
  return value;
}

// A JSON array, or a comma-separated list ("a, b" -> ["a", "b"]; "" -> []).
JsonPtr stringsFromText(std::string_view text, std::string* error) {
  std::string_view trimmed = trim(text);
  if (!trimmed.empty() && trimmed.front() == '[') return jsonFromText(trimmed, error);
  JsonPtr array(cJSON_CreateArray());
  while (!trimmed.empty()) {
    size_t comma = trimmed.find(',');
    std::string item(trim(trimmed.substr(0, comma)));
    cJSON_AddItemToArray(array.get(), cJSON_CreateString(item.c_str()));
    trimmed = comma == std::string_view::npos ? std::string_view() : trimmed.substr(comma + 1);
  }
  return array;
}

}  // namespace

std::string ConfigError::message() const {
  return path.empty() ? reason : fmt::format("{}: {}", path, reason);
}

std::string ConfigError::text() const {
  return source.empty() ? message() : fmt::format("{}: {}", source, message());
}

void checkDocument(const cJSON* document, std::string_view source,
                   std::vector<ConfigError>* errors) {
  Checker(source, errors).checkRoot(document);
}

void checkRelations(const Config& config, std::vector<ConfigError>* errors) {
  for (const Relation& relation : kRelations) {
    JsonPtr lower = keyValueJson(*findKey(relation.lower), config);
    JsonPtr upper = keyValueJson(*findKey(relation.upper), config);
    if (lower->valuedouble <= upper->valuedouble) continue;
    errors->push_back({"", std::string(relation.lower),
                       fmt::format("must not exceed {} ({}), got {}", relation.upper,
                                   printJson(upper.get()), printJson(lower.get()))});
  }
}

JsonPtr valueFromText(const KeySpec& key, std::string_view text, std::string* error) {
  switch (key.type) {
    case KeyType::kBool:
      return boolFromText(text);
    case KeyType::kUint:
    case KeyType::kNumber:
      return numberFromText(key, text);
    case KeyType::kString:
    case KeyType::kEnum:
    case KeyType::kSecret:
      return JsonPtr(cJSON_CreateString(std::string(text).c_str()));
    case KeyType::kStringArray:
      return stringsFromText(text, error);
    case KeyType::kObject:
    case KeyType::kScopeOverrides:
    case KeyType::kToolPermissions:
    case KeyType::kPresenceArray:
      return jsonFromText(trim(text), error);
  }
  return nullptr;
}

}  // namespace sg
