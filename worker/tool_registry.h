// ToolRegistry: the tools the model may call. Each tool has a name, a description, JSON-schema
// parameters, the permission it needs and an asynchronous handler. The registry decides which
// tools a message's scope may use (configuration, guild, channel, the author's roles), lists
// their specs for the request, and runs one call: arguments are already checked to be one JSON
// object by the LLM client; a handler's error (or an unknown or forbidden tool) becomes the
// tool's result text for the model, never a crash or a message to the user.
//
// Not here: the tool loop (MessageProcessor runs rounds and parallel calls), the tools
// themselves (builtin_tools.*), gateway calls (gateway_rpc.*).
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/bus_types.h"
#include "common/config.h"
#include "worker/chat_types.h"
#include "worker/processor.h"

namespace sg {

class GatewayRpc;

// What a tool may use while it runs. Valid until the tool's `done` is called.
struct ToolContext {
  uv_loop_t* loop = nullptr;
  const Config* config = nullptr;
  std::shared_ptr<ProcessJob> job;  // envelope, action ids, fenced publishNow, cancellation
  GatewayRpc* gateway = nullptr;    // gateway calls (protocol section 3)
  // Adds a lasting action (send_message, send_file, add_reaction) to the entry's commit, in
  // order after those already added. The payload must be encoded with the job's next lasting id.
  std::function<void(std::string payload)> addLastingAction;
};

struct ToolOutcome {
  bool ok = true;
  std::string content;  // the result text fed back to the model (often JSON); the error if !ok
};

using ToolDone = std::function<void(ToolOutcome)>;
// Runs the call; must call `done` exactly once, never synchronously inside the handler call.
using ToolHandler =
    std::function<void(const ToolCall& call, ToolContext& context, ToolDone done)>;

struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters_json;  // a JSON Schema object
  std::string permission;       // e.g. "react", "files", "history", "lookup"
  ToolHandler handler;
};

class ToolRegistry {
 public:
  void add(ToolDefinition tool);
  // The specs of the tools this envelope's scope may use, in registration order.
  std::vector<ToolSpec> specsFor(const Envelope& envelope, const Config& config) const;
  // Runs one call; unknown or forbidden tools complete with an error outcome. `done` is called
  // exactly once, never from inside run().
  void run(const ToolCall& call, ToolContext& context, ToolDone done) const;
  bool allowed(const std::string& tool, const Envelope& envelope, const Config& config) const;

 private:
  std::vector<ToolDefinition> tools_;
  std::map<std::string, size_t, std::less<>> by_name_;
};

}  // namespace sg
