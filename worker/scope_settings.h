// ScopeSettings: the configuration as it applies to one message, with bot.overrides folded in (a
// guild's settings over the configuration, then the channel's over those). The overrides are
// parsed once per configuration snapshot; a message whose scope has none shares the snapshot
// itself, others get a patched copy. The settings are the configuration keys of the same name
// (scopeOverrideFields()), so the rest of the processor reads one Config either way.
//
// Not here: what the settings mean (answer_policy, prompt_renderer, the processor).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/bus_types.h"
#include "common/config.h"
#include "common/json.h"

namespace sg {

enum class AnswerMode { kDefault, kAlways, kNever };

struct ScopeSettings {
  ConfigPtr config;  // the effective configuration for the message (never null)
  AnswerMode answer = AnswerMode::kDefault;
};

class ScopeResolver {
 public:
  // Parses config->bot.overrides_json (already validated by the loader).
  explicit ScopeResolver(ConfigPtr config);

  ScopeSettings resolve(const IncomingMessage& message) const;
  const ConfigPtr& config() const { return config_; }

 private:
  using ScopeMap = std::map<std::string, std::shared_ptr<const cJSON>, std::less<>>;
  void apply(const cJSON* settings, Config& config, AnswerMode* answer) const;

  ConfigPtr config_;
  std::shared_ptr<cJSON> document_;  // owns the trees the maps point into
  ScopeMap channels_;
  ScopeMap guilds_;
};

}  // namespace sg
