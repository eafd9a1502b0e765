// Sources → merged JSON → validated Config; diffs and rendering (see config_loader.h).
#include "common/config_loader.h"

#include <spdlog/fmt/fmt.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/sha1.h"

extern char** environ;

namespace sg {
namespace {

constexpr std::string_view kDefaultFileSource = "configuration";
constexpr std::string_view kOverridesSource = "sg:config:overrides";
constexpr std::string_view kCommandLineSource = "command line";
constexpr size_t kMaxFileBytes = 4u << 20;  // a configuration is a few KiB; refuse a runaway file

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

// {"a": {"b": value}} for the path "a.b".
JsonPtr patchFor(std::string_view path, JsonPtr value) {
  std::vector<std::string> parts = splitPath(path);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    JsonPtr object(cJSON_CreateObject());
    cJSON_AddItemToObject(object.get(), it->c_str(), value.release());
    value = std::move(object);
  }
  return value;
}

const cJSON* lookup(const cJSON* document, std::string_view path) {
  const cJSON* node = document;
  for (const std::string& part : splitPath(path)) {
    node = cJSON_GetObjectItemCaseSensitive(node, part.c_str());
    if (node == nullptr) return nullptr;
  }
  return node;
}

// The object at `path`'s parent in `document`, created as needed; `name` gets the last part.
cJSON* parentFor(cJSON* document, std::string_view path, std::string* name) {
  std::vector<std::string> parts = splitPath(path);
  *name = parts.back();
  parts.pop_back();
  cJSON* node = document;
  for (const std::string& part : parts) {
    cJSON* child = cJSON_GetObjectItemCaseSensitive(node, part.c_str());
    if (child == nullptr) child = cJSON_AddObjectToObject(node, part.c_str());
    node = child;
  }
  return node;
}

// Accumulates the sources over the defaults, then converts.
class Builder {
 public:
  explicit Builder(ConfigResult* result) : result_(result), merged_(cJSON_CreateObject()) {}

  void addText(std::string_view text, std::string_view source) {
    JsonParseError error;
    JsonPtr document = parseJson(text, &error);
    if (document == nullptr) {
      fail(source, "", "invalid JSON at " + error.text());
      return;
    }
    addPatch(document.get(), source);
  }

  // Checks one source's document and, when it is sound, merges it over what came before.
  void addPatch(const cJSON* patch, std::string_view source) {
    size_t before = result_->errors.size();
    checkDocument(patch, source, &result_->errors);
    if (result_->errors.size() == before) merged_ = applyMergePatch(std::move(merged_), patch);
  }

  void addEnvironment(const std::map<std::string, std::string>& environment) {
    for (const auto& [name, text] : environment) {
      if (name == kApiKeyFallbackEnv) continue;  // see addApiKeyFallback
      const KeySpec* key = keyForEnvironment(name);
      if (key == nullptr) {
        warnUnknownVariable(name);
        continue;
      }
      addValueText(*key, text, name);
    }
  }

  void addCommandLine(const std::vector<std::string>& arguments) {
    for (const std::string& argument : arguments) addAssignment(argument);
  }

  // OPENROUTER_API_KEY counts only when no source set llm.api_key.
  void addApiKeyFallback(const std::map<std::string, std::string>& environment) {
    auto it = environment.find(std::string(kApiKeyFallbackEnv));
    if (it == environment.end() || it->second.empty()) return;
    const char* current = cJSON_GetStringValue(lookup(merged_.get(), "llm.api_key"));
    if (current != nullptr && current[0] != '\0') return;
    JsonPtr patch = patchFor("llm.api_key", JsonPtr(cJSON_CreateString(it->second.c_str())));
    addPatch(patch.get(), kApiKeyFallbackEnv);
  }

  void finish() {
    if (!result_->errors.empty()) return;
    auto config = std::make_shared<Config>();
    for (const KeySpec& key : configKeys()) {
      if (const cJSON* value = lookup(merged_.get(), key.path)) setKeyValue(key, value, *config);
    }
    checkRelations(*config, &result_->errors);
    if (!result_->errors.empty()) return;
    result_->effective = configJson(*config);
    result_->config = std::move(config);
  }

 private:
  void fail(std::string_view source, std::string path, std::string reason) {
    result_->errors.push_back({std::string(source), std::move(path), std::move(reason)});
  }

  static const KeySpec* keyForEnvironment(std::string_view name) {
    for (const KeySpec& key : configKeys()) {
      if (key.env == name) return &key;
    }
    return nullptr;
  }

  void warnUnknownVariable(const std::string& name) {
    std::string suggestion = suggestEnvironmentName(name);
    result_->warnings.push_back(
        suggestion.empty()
            ? fmt::format("{} is not a configuration variable; ignored", name)
            : fmt::format("{} is not a configuration variable (did you mean {}?); ignored", name,
                          suggestion));
  }

  // key=value from the command line (--set, or a flag such as --workers turned into one).
  void addAssignment(const std::string& argument) {
    size_t equals = argument.find('=');
    if (equals == std::string::npos) {
      fail(kCommandLineSource, "", "expected KEY=VALUE (such as llm.model=openai/gpt-4o)");
      return;
    }
    std::string name = argument.substr(0, equals);
    const KeySpec* key = findKey(name);
    if (key != nullptr) {
      addValueText(*key, std::string_view(argument).substr(equals + 1), kCommandLineSource);
    } else if (isSection(name)) {
      fail(kCommandLineSource, name,
           "is a group of keys: set them one by one (" + name + ".KEY=VALUE)");
    } else {
      std::string suggestion = suggestKey(name);
      fail(kCommandLineSource, name,
           suggestion.empty() ? "unknown key"
                              : fmt::format("unknown key (did you mean {}?)", suggestion));
    }
  }

  void addValueText(const KeySpec& key, std::string_view text, std::string_view source) {
    std::string error;
    JsonPtr value = valueFromText(key, text, &error);
    if (value == nullptr) {
      fail(source, std::string(key.path), error);
      return;
    }
    JsonPtr patch = patchFor(key.path, std::move(value));
    addPatch(patch.get(), source);
  }

  ConfigResult* result_;
  JsonPtr merged_;
};

}  // namespace

std::string ConfigResult::errorText() const {
  std::string text;
  for (const ConfigError& error : errors) {
    if (!text.empty()) text += '\n';
    text += error.text();
  }
  return text;
}

ConfigResult buildConfig(const ConfigSources& sources) {
  ConfigResult result;
  Builder builder(&result);
  std::string_view file_source = sources.file_path.empty() ? kDefaultFileSource : sources.file_path;
  if (sources.file_text) {
    builder.addText(*sources.file_text, file_source);
  } else if (!sources.file_path.empty()) {
    std::string text;
    std::string error;
    if (readConfigFile(sources.file_path, &text, &error)) {
      builder.addText(text, file_source);
    } else {
      result.errors.push_back({"", "", error});
    }
  }
  if (sources.overrides_json.find_first_not_of(" \t\r\n") != std::string::npos) {
    builder.addText(sources.overrides_json, kOverridesSource);
  }
  builder.addEnvironment(sources.environment);
  builder.addCommandLine(sources.cli);
  builder.addApiKeyFallback(sources.environment);
  builder.finish();
  return result;
}

std::map<std::string, std::string> environmentFromProcess() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text = *entry;
    size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view name = text.substr(0, equals);
    if (name.substr(0, 3) == "SG_" || name == kApiKeyFallbackEnv) {
      environment.emplace(name, text.substr(equals + 1));
    }
  }
  return environment;
}

bool readConfigFile(const std::string& path, std::string* text, std::string* error) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rbe"), &std::fclose);
  if (file == nullptr) {
    *error = fmt::format("cannot open {}: {}", path, std::strerror(errno));
    return false;
  }
  text->clear();
  char buffer[8192];
  size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    text->append(buffer, count);
    if (text->size() > kMaxFileBytes) {
      *error = fmt::format("cannot read {}: larger than {} bytes", path, kMaxFileBytes);
      return false;
    }
  }
  if (std::ferror(file.get())) {
    *error = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return false;
  }
  return true;
}

std::vector<ConfigChange> diffConfig(const Config& before, const Config& after) {
  std::vector<ConfigChange> changes;
  for (const KeySpec& key : configKeys()) {
    if (!keyValueEqual(key, before, after)) changes.push_back({key.path, key.reload});
  }
  return changes;
}

ReloadClass strongestReload(const std::vector<ConfigChange>& changes) {
  ReloadClass strongest = ReloadClass::kLive;
  for (const ConfigChange& change : changes) {
    if (static_cast<int>(change.reload) > static_cast<int>(strongest)) strongest = change.reload;
  }
  return strongest;
}

ConfigPtr retainKeys(const Config& next, const Config& running, ReloadClass reload) {
  auto config = std::make_shared<Config>(next);
  for (const KeySpec& key : configKeys()) {
    if (key.reload == reload) copyKeyValue(key, running, *config);
  }
  return config;
}

JsonPtr configJson(const Config& config) {
  JsonPtr document(cJSON_CreateObject());
  for (const KeySpec& key : configKeys()) {
    std::string name;
    cJSON* parent = parentFor(document.get(), key.path, &name);
    cJSON_AddItemToObject(parent, name.c_str(), keyValueJson(key, config).release());
  }
  return document;
}

std::string renderEffective(const Config& config, bool mask_secrets) {
  JsonPtr document = configJson(config);
  if (mask_secrets) {
    for (const KeySpec& key : configKeys()) {
      if (key.type != KeyType::kSecret && key.mask == nullptr) continue;
      std::string name;
      cJSON* parent = parentFor(document.get(), key.path, &name);
      std::string value =
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(parent, name.c_str()));
      if (key.type == KeyType::kSecret) {
        value = value.empty() ? "" : "***";
      } else {
        value = key.mask(value);
      }
      cJSON_ReplaceItemInObjectCaseSensitive(parent, name.c_str(),
                                             cJSON_CreateString(value.c_str()));
    }
  }
  return printJson(document.get(), true) + "\n";
}

std::string configDigest(const Config& config) {
  return sha1Hex(renderEffective(config, false)).substr(0, 16);
}

}  // namespace sg
