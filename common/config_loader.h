// Building a configuration snapshot from its sources, in increasing precedence: the built-in
// defaults, the JSON file, the Redis overrides (sg:config:overrides, an RFC 7396 merge patch),
// the environment (SG_<KEY>) and the command line (key=value). OPENROUTER_API_KEY fills
// llm.api_key only when no source sets it. Also: what changed between two snapshots and what it
// takes to apply it, and the effective configuration as JSON with secrets masked.
//
// Design: every source is turned into a JSON document, checked on its own (so that each error
// names its source and key path), then merge-patched over the previous ones; the result is
// converted into an immutable Config, and the rules between keys are checked. All errors are
// collected; nothing throws. The only I/O is reading the file when its text is not supplied.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/config_check.h"
#include "common/config_keys.h"
#include "common/json.h"

namespace sg {

struct ConfigSources {
  std::string file_path;                 // "" : no file
  std::optional<std::string> file_text;  // the file's text when already read (file_path then
                                         // only names it in errors); e.g. the configuration a
                                         // worker receives on its control pipe
  std::string overrides_json;            // the value of sg:config:overrides ("": none)
  std::map<std::string, std::string> environment;  // see environmentFromProcess()
  std::vector<std::string> cli;                    // "key=value", applied in order
};

struct ConfigResult {
  ConfigPtr config;                   // null when there are errors
  JsonPtr effective;                  // the complete effective document, secrets in clear
                                      // (null when there are errors)
  std::vector<ConfigError> errors;    // every problem found, in source order
  std::vector<std::string> warnings;  // worth logging, not fatal (an unknown SG_ variable)

  bool ok() const { return config != nullptr; }
  // Every error's text(), one per line.
  std::string errorText() const;
};

// Builds and validates a snapshot. A failed build returns errors and leaves every snapshot the
// caller holds untouched, so a reload that fails keeps the running configuration.
[[nodiscard]] ConfigResult buildConfig(const ConfigSources& sources);

// The configuration variables of this process's environment: every SG_* variable and
// OPENROUTER_API_KEY.
std::map<std::string, std::string> environmentFromProcess();

// Reads a configuration file whole. False (and `error` naming the file and the cause) on failure.
[[nodiscard]] bool readConfigFile(const std::string& path, std::string* text, std::string* error);

// One key whose value differs between two snapshots.
struct ConfigChange {
  std::string_view key;  // "llm.model"
  ReloadClass reload;
  bool operator==(const ConfigChange&) const = default;
};

// Every key whose value differs, in table order, with what applying it takes.
std::vector<ConfigChange> diffConfig(const Config& before, const Config& after);

// The most demanding class among the changes (kLive when there are none).
ReloadClass strongestReload(const std::vector<ConfigChange>& changes);

// `next` with the keys of class `reload` taken from `running`: lets a supervisor adopt what it
// can apply now while keeping, say, the full-restart keys it is still running with (and warning).
[[nodiscard]] ConfigPtr retainKeys(const Config& next, const Config& running, ReloadClass reload);

// The complete configuration as a JSON document (every key; secrets in clear).
[[nodiscard]] JsonPtr configJson(const Config& config);

// The effective configuration as indented JSON (for --check-config): secrets "***" (empty ones
// stay ""), the password of redis.url masked (redis://:***@host:6379/0). With mask_secrets false
// the text carries secrets and must only go where they may go (a worker's control pipe).
std::string renderEffective(const Config& config, bool mask_secrets = true);

// A short digest (16 hex digits of SHA-1) of the complete configuration, secrets included so that
// a rotated key shows: which configuration a process runs, comparable across processes (workers
// report it in their stats, the supervisor in /status). It reveals nothing usable of a secret.
std::string configDigest(const Config& config);

}  // namespace sg
