// ToolRegistry: which tools a scope may use, their specs, and one call run to completion
// exactly once (see tool_registry.h).
//
// Permissions: tools.disabled removes a tool everywhere. tools.permissions maps a permission name
// to {"roles", "channels", "guilds"}; a tool whose permission is listed is allowed only when the
// author has one of the roles, or the message is in one of the channels (the thread counts as
// its channel) or guilds. A permission not listed is allowed everywhere.
#include "worker/tool_registry.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>

#include "common/json.h"
#include "common/log.h"
#include "common/run_soon.h"

namespace sg {
namespace {

bool listed(const cJSON* array, std::string_view value) {
  for (const cJSON* item = cJSON_IsArray(array) ? array->child : nullptr; item != nullptr;
       item = item->next) {
    if (cJSON_IsString(item) && value == item->valuestring) return true;
  }
  return false;
}

bool ruleMatches(const cJSON* rule, const IncomingMessage& message) {
  const cJSON* roles = jsonField(rule, "roles");
  for (const std::string& role : message.author.roles) {
    if (listed(roles, role)) return true;
  }
  const cJSON* channels = jsonField(rule, "channels");
  if (listed(channels, message.channel_id)) return true;
  if (message.thread_id && listed(channels, *message.thread_id)) return true;
  return message.guild_id && listed(jsonField(rule, "guilds"), *message.guild_id);
}

// The permissions document of a configuration, parsed once per decision.
class Permissions {
 public:
  explicit Permissions(const Config& config)
      : config_(config), rules_(parseJson(config.tools.permissions_json)) {}

  bool allows(const ToolDefinition& tool, const Envelope& envelope) const {
    const auto& disabled = config_.tools.disabled;
    if (std::find(disabled.begin(), disabled.end(), tool.name) != disabled.end()) return false;
    const cJSON* rule =
        tool.permission.empty() ? nullptr : jsonField(rules_.get(), tool.permission.c_str());
    return rule == nullptr || ruleMatches(rule, envelope.message);
  }

 private:
  const Config& config_;
  JsonPtr rules_;
};

// Completes a call later with an error outcome (unknown or forbidden tool).
void refuse(uv_loop_t* loop, std::string why, ToolDone done) {
  runSoon(loop, [why = std::move(why), done = std::move(done)] { done({false, why}); });
}

}  // namespace

void ToolRegistry::add(ToolDefinition tool) {
  auto existing = by_name_.find(tool.name);
  if (existing != by_name_.end()) {
    log::get("proc").warn("tool {} registered twice; the later definition wins", tool.name);
    tools_[existing->second] = std::move(tool);
    return;
  }
  by_name_.emplace(tool.name, tools_.size());
  tools_.push_back(std::move(tool));
}

std::vector<ToolSpec> ToolRegistry::specsFor(const Envelope& envelope, const Config& config) const {
  Permissions permissions(config);
  std::vector<ToolSpec> specs;
  for (const ToolDefinition& tool : tools_) {
    if (permissions.allows(tool, envelope)) {
      specs.push_back({tool.name, tool.description, tool.parameters_json});
    }
  }
  return specs;
}

bool ToolRegistry::allowed(const std::string& tool, const Envelope& envelope,
                           const Config& config) const {
  auto found = by_name_.find(tool);
  return found != by_name_.end() && Permissions(config).allows(tools_[found->second], envelope);
}

void ToolRegistry::run(const ToolCall& call, ToolContext& context, ToolDone done) const {
  auto found = by_name_.find(call.name);
  if (found == by_name_.end()) {
    refuse(context.loop, fmt::format("error: there is no tool named {}", call.name),
           std::move(done));
    return;
  }
  const ToolDefinition& tool = tools_[found->second];
  if (context.job == nullptr || context.config == nullptr ||
      !Permissions(*context.config).allows(tool, context.job->envelope())) {
    refuse(context.loop, fmt::format("error: the tool {} is not allowed here", call.name),
           std::move(done));
    return;
  }
  // Exactly once, and never from inside the handler call, whatever the handler does.
  struct Guard {
    ToolDone done;
    bool inside = true;
  };
  auto guard = std::make_shared<Guard>(Guard{std::move(done)});
  uv_loop_t* loop = context.loop;
  tool.handler(call, context, [guard, loop](ToolOutcome outcome) {
    if (!guard->done) return;
    ToolDone once = std::move(guard->done);
    guard->done = nullptr;
    if (guard->inside) {
      runSoon(loop, [once = std::move(once), outcome = std::move(outcome)]() mutable {
        once(std::move(outcome));
      });
    } else {
      once(std::move(outcome));
    }
  });
  guard->inside = false;
}

}  // namespace sg
