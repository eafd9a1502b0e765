// ScopeSettings: bot.overrides applied to one message's scope (see scope_settings.h).
#include "worker/scope_settings.h"

#include <cstring>

#include "common/config_keys.h"

namespace sg {
namespace {

// Non-owning views into the document (the resolver keeps it alive).
void index(const cJSON* map, std::map<std::string, std::shared_ptr<const cJSON>, std::less<>>* out,
           const std::shared_ptr<cJSON>& owner) {
  if (!cJSON_IsObject(map)) return;
  for (const cJSON* scope = map->child; scope != nullptr; scope = scope->next) {
    if (cJSON_IsObject(scope))
      out->emplace(scope->string, std::shared_ptr<const cJSON>(owner, scope));
  }
}

AnswerMode answerMode(std::string_view text) {
  if (text == "always") return AnswerMode::kAlways;
  if (text == "never") return AnswerMode::kNever;
  return AnswerMode::kDefault;
}

}  // namespace

ScopeResolver::ScopeResolver(ConfigPtr config) : config_(std::move(config)) {
  JsonPtr parsed = parseJson(config_->bot.overrides_json);
  if (parsed == nullptr) return;  // the loader validated it; nothing to apply otherwise
  document_ = std::shared_ptr<cJSON>(parsed.release(), JsonDeleter());
  index(jsonField(document_.get(), "channels"), &channels_, document_);
  index(jsonField(document_.get(), "guilds"), &guilds_, document_);
}

ScopeSettings ScopeResolver::resolve(const IncomingMessage& message) const {
  const cJSON* guild = nullptr;
  const cJSON* channel = nullptr;
  if (message.guild_id) {
    if (auto it = guilds_.find(*message.guild_id); it != guilds_.end()) guild = it->second.get();
  }
  if (auto it = channels_.find(message.channel_id); it != channels_.end()) {
    channel = it->second.get();
  } else if (message.thread_id) {
    if (auto found = channels_.find(*message.thread_id); found != channels_.end()) {
      channel = found->second.get();
    }
  }
  ScopeSettings settings{config_, AnswerMode::kDefault};
  if (guild == nullptr && channel == nullptr) return settings;
  auto patched = std::make_shared<Config>(*config_);
  apply(guild, *patched, &settings.answer);
  apply(channel, *patched, &settings.answer);
  settings.config = std::move(patched);
  return settings;
}

void ScopeResolver::apply(const cJSON* settings, Config& config, AnswerMode* answer) const {
  if (settings == nullptr) return;
  for (const cJSON* member = settings->child; member != nullptr; member = member->next) {
    if (cJSON_IsNull(member)) continue;  // null: not overridden here
    if (std::strcmp(member->string, "answer") == 0) {
      *answer = answerMode(jsonString(settings, "answer"));
      continue;
    }
    for (const ScopeField& field : scopeOverrideFields()) {
      // "answer" has no Config field; it was handled above.
      if (field.name == member->string) setKeyValue(*field.spec, member, config);
    }
  }
}

}  // namespace sg
