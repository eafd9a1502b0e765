// The built-in tools the model may call: add_reaction (react to the message being answered, or
// another of the channel), send_file (a text file the model writes), current_time (UTC, a fixed
// offset or an IANA zone), and the gateway calls fetch_messages, get_user and get_channel (bus
// protocol section 3, through GatewayRpc, with a deadline of gateway.timeout_ms).
//
// Each handler checks its arguments (one JSON object, but of any shape the model wrote) and
// answers with a ToolOutcome; bad arguments, a refused value, a gateway error or a timeout are
// an error outcome whose text tells the model what went wrong, never a crash. Lasting actions
// (add_reaction, send_file) are encoded here with the job's next lasting id and handed to
// ToolContext::addLastingAction: they are committed with the entry, in order, with the reply.
// No handler calls `done` inside the handler call. Not here: which tools a scope may use and
// the tool loop (tool_registry.*, message_processor.*).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "worker/time_zones.h"
#include "worker/tool_registry.h"

namespace sg {

struct BuiltinToolsOptions {
  size_t max_file_bytes = 1 << 20;        // send_file: largest content accepted (refused beyond)
  size_t max_filename_bytes = 100;        // send_file: longer names are cut, keeping the extension
  size_t max_caption_chars = 2000;        // send_file: characters of the caption (Discord's limit)
  uint32_t default_fetch_limit = 20;      // fetch_messages without `limit`
  size_t result_budget_bytes = 8 * 1024;  // a gateway result as the model sees it, at most
  size_t message_content_bytes = 1000;    // each fetched message's content is cut there
  // fetch_messages and get_channel for a channel other than the one being answered. Off by
  // default: a channel id can name any channel the gateway sees (another guild, a private one),
  // and nothing here can tell which of them the author may read.
  bool other_channels = false;
  // IANA zones for current_time, read once by builtinTools() (disk I/O at start-up, never on
  // the loop); "" reads none (UTC and fixed offsets still work). Ignored when time_zones is set.
  std::string zoneinfo_dir = "/usr/share/zoneinfo";
  std::shared_ptr<const TimeZones> time_zones;
  std::function<double()> clock;  // Unix seconds; default unixNow (tests pin it)
};

// The definitions, in this order: add_reaction ("react"), send_file ("files"), current_time
// ("basic"), fetch_messages ("history"), get_user ("lookup"), get_channel ("lookup").
std::vector<ToolDefinition> builtinTools(const BuiltinToolsOptions& options = {});

inline void registerBuiltinTools(ToolRegistry& registry, const BuiltinToolsOptions& options = {}) {
  for (ToolDefinition& tool : builtinTools(options)) registry.add(std::move(tool));
}

// send_file's file name rule: the last path component, without control characters, reserved
// characters (<>:"/\|?*) or leading dots and dashes, whitespace as '_', cut to `max_bytes` on a
// character boundary keeping a short extension; "file" when nothing is left.
std::string sanitizeFilename(std::string_view name, size_t max_bytes);

// add_reaction's emoji rule: a Unicode emoji (up to 16 code points, no letters or spaces:
// "👍", "❤️", "👨‍👩‍👧", "1️⃣") or a custom emoji "<:name:id>", "<a:name:id>" or
// "name:id". Returns "" when valid, else why not (for the model).
std::string checkEmoji(std::string_view emoji);

}  // namespace sg
