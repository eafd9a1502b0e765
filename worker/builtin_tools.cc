// The built-in tools (see builtin_tools.h): one factory per tool, each a definition (name,
// description, JSON Schema, permission) and a handler; the shared part reads arguments, defers
// completions and turns gateway outcomes into text for the model.
#include "worker/builtin_tools.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "common/bus_codec.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/run_soon.h"
#include "common/utf8.h"
#include "worker/gateway_rpc.h"

namespace sg {
namespace {

ToolOutcome failure(std::string text) {
  return {false, std::move(text)};
}

// Completes a tool on a later loop turn (handlers never complete inside the handler call).
void finishSoon(const ToolContext& context, ToolDone done, ToolOutcome outcome) {
  runSoon(context.loop, [done = std::move(done), outcome = std::move(outcome)]() mutable {
    done(std::move(outcome));
  });
}

// ---- arguments --------------------------------------------------------------------------------

// The model's arguments: one JSON object whose members may still have any type. The first
// problem found is kept as the error text; null counts as absent (models send it for "none").
class Arguments {
 public:
  explicit Arguments(const std::string& text) : json_(parseJson(text)) {
    if (!cJSON_IsObject(json_.get())) error_ = "the arguments must be one JSON object";
  }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::optional<std::string> string(const char* name, bool required) {
    const cJSON* item = member(name, required);
    if (item == nullptr) return std::nullopt;
    if (!cJSON_IsString(item)) return wrong(name, "a string", item);
    return std::string(item->valuestring);
  }
  std::optional<int64_t> integer(const char* name, int64_t min, int64_t max) {
    const cJSON* item = member(name, false);
    if (item == nullptr) return std::nullopt;
    long long value = 0;
    if (!jsonInteger(item, &value) || value < min || value > max) {
      return wrong(name, "an integer from " + std::to_string(min) + " to " + std::to_string(max),
                   item);
    }
    return value;
  }

 private:
  const cJSON* member(const char* name, bool required) {
    if (!ok()) return nullptr;
    const cJSON* item = jsonField(json_.get(), name);
    if (cJSON_IsNull(item)) item = nullptr;
    if (item == nullptr && required) error_ = std::string("`") + name + "` is required";
    return item;
  }
  std::nullopt_t wrong(const char* name, const std::string& expected, const cJSON* item) {
    error_ =
        std::string("`") + name + "` must be " + expected + " (got " + describeJson(item) + ")";
    return std::nullopt;
  }

  JsonPtr json_;
  std::string error_;
};

// ---- text helpers -----------------------------------------------------------------------------

// Code point of the well-formed character of `length` bytes at `text[pos]`.
uint32_t codePoint(std::string_view text, size_t pos, size_t length) {
  static constexpr uint8_t kLeadMask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  uint32_t value = static_cast<uint8_t>(text[pos]) & kLeadMask[length];
  for (size_t i = 1; i < length; ++i)
    value = value << 6 | (static_cast<uint8_t>(text[pos + i]) & 0x3f);
  return value;
}

size_t countChars(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); ++count)
    pos += std::max<size_t>(1, utf8CharLength(text, pos));
  return count;
}

// The longest prefix of at most `max_bytes` that ends on a character boundary.
std::string_view cutUtf8(std::string_view text, size_t max_bytes) {
  size_t end = 0;
  while (end < text.size()) {
    size_t length = std::max<size_t>(1, utf8CharLength(text, end));
    if (end + length > max_bytes) break;
    end += length;
  }
  return text.substr(0, end);
}

std::string clip(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  return std::string(cutUtf8(text, max_bytes > 3 ? max_bytes - 3 : 0)) + "…";
}

bool isAsciiWord(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}
bool isDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// A platform id the model passes back (message, user, channel): printable ASCII, no spaces.
std::string checkId(const char* name, std::string_view id) {
  bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (id.empty() || id.size() > 128 || !printable) {
    return std::string("`") + name + "` is not an id (such as 123456789012345678)";
  }
  return "";
}

// "<@123>" and "<@!123>" (how mentions appear in message text) to "123".
std::string_view stripMention(std::string_view id) {
  if (id.size() > 3 && id.substr(0, 2) == "<@" && id.back() == '>') {
    id = id.substr(2, id.size() - 3);
    if (!id.empty() && id[0] == '!') id.remove_prefix(1);
  }
  return id;
}

std::string isoTime(int64_t unix, int32_t offset_s) {
  CivilTime c = civilTime(unix + offset_s);
  char text[48];
  int n = std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02u:%02u:%02u",
                        static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second);
  std::string out(text, static_cast<size_t>(n));
  if (offset_s == 0) return out + "Z";
  int32_t magnitude = std::abs(offset_s);
  std::snprintf(text, sizeof text, "%c%02d:%02d", offset_s < 0 ? '-' : '+', magnitude / 3600,
                magnitude / 60 % 60);
  return out + text;
}

std::string isoTime(double unix) {
  return isoTime(static_cast<int64_t>(std::floor(unix)), 0);
}

const char* weekdayName(unsigned weekday) {
  static constexpr std::array<const char*, 7> kNames = {
      "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  return kNames[weekday % 7];
}

void addString(cJSON* object, const char* key, std::string_view value) {
  cJSON_AddItemToObject(object, key, cJSON_CreateString(std::string(value).c_str()));
}

std::string encodeLasting(const std::shared_ptr<ProcessJob>& job, auto action) {
  const Envelope& envelope = job->envelope();
  action.common = {job->nextLastingActionId(), envelope.event_id, job->workerId(),
                   envelope.trace_id, unixNow()};
  return encodeAction(action);
}

// ---- add_reaction -----------------------------------------------------------------------------

bool isCustomEmoji(std::string_view emoji) {
  if (emoji.size() > 2 && emoji.front() == '<' && emoji.back() == '>') {
    emoji = emoji.substr(1, emoji.size() - 2);
    if (emoji.substr(0, 2) == "a:")
      emoji.remove_prefix(2);
    else if (emoji.front() == ':')
      emoji.remove_prefix(1);
    else
      return false;
  }
  size_t colon = emoji.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view name = emoji.substr(0, colon);
  std::string_view id = emoji.substr(colon + 1);
  return name.size() >= 2 && name.size() <= 32 && isAsciiWord(name) && isDigits(id) &&
         id.size() <= 20;
}

// Code points that are emoji by themselves (Unicode's Extended_Pictographic, coarsely: the
// symbol blocks where emoji live), and those that only build sequences (joiner, variation
// selectors, keycap, tags). Letters of any script are neither.
bool isPictographic(uint32_t cp) {
  return cp == 0xa9 || cp == 0xae || cp == 0x203c || cp == 0x2049 || cp == 0x2122 || cp == 0x2139 ||
         (cp >= 0x2194 && cp <= 0x21aa) || (cp >= 0x231a && cp <= 0x23ff) || cp == 0x24c2 ||
         (cp >= 0x25aa && cp <= 0x27bf) || cp == 0x2934 || cp == 0x2935 ||
         (cp >= 0x2b05 && cp <= 0x2b55) || cp == 0x3030 || cp == 0x303d || cp == 0x3297 ||
         cp == 0x3299 || (cp >= 0x1f000 && cp <= 0x1faff);
}
bool isEmojiComponent(uint32_t cp) {
  return cp == 0x200d || cp == 0xfe0e || cp == 0xfe0f || cp == 0x20e3 ||
         (cp >= 0xe0020 && cp <= 0xe007f);
}

bool isSpaceOrControl(uint32_t cp) {
  return cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0) || (cp >= 0x2000 && cp <= 0x200b) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
         cp == 0xfeff;
}

ToolDefinition addReactionTool() {
  ToolDefinition tool;
  tool.name = "add_reaction";
  tool.permission = "react";
  tool.description =
      "React with an emoji to the message you are answering (or to another message of this "
      "channel, by id). The reaction is added when your reply is sent.";
  tool.parameters_json = R"({"type":"object","properties":{)"
                         R"("emoji":{"type":"string","description":"one emoji character such as )"
                         R"(👍, or a custom emoji as <:name:id>"},)"
                         R"("message_id":{"type":"string","description":"the message to react )"
                         R"(to; default: the message you are answering"}},)"
                         R"("required":["emoji"],"additionalProperties":false})";
  tool.handler = [](const ToolCall& call, ToolContext& context, ToolDone done) {
    Arguments args(call.arguments);
    std::optional<std::string> emoji = args.string("emoji", true);
    std::optional<std::string> message_id = args.string("message_id", false);
    const IncomingMessage& message = context.job->envelope().message;
    std::string error = args.ok() ? checkEmoji(*emoji) : args.error();
    std::string target = message_id.value_or(message.id);
    if (error.empty()) error = checkId("message_id", target);
    if (!error.empty()) return finishSoon(context, std::move(done), failure(error));

    AddReaction reaction;
    reaction.channel_id = message.channel_id;
    reaction.message_id = target;
    reaction.emoji = *emoji;
    context.addLastingAction(encodeLasting(context.job, std::move(reaction)));
    JsonPtr result(cJSON_CreateObject());
    addString(result.get(), "status", "will be added with your reply");
    addString(result.get(), "emoji", *emoji);
    addString(result.get(), "message_id", target);
    finishSoon(context, std::move(done), {true, printJson(result.get())});
  };
  return tool;
}

// ---- send_file --------------------------------------------------------------------------------

struct TextType {
  std::string_view type;
  std::string_view extension;
};
constexpr std::array<TextType, 21> kTextTypes = {{
    {"text/plain", ".txt"},
    {"text/markdown", ".md"},
    {"text/csv", ".csv"},
    {"text/tab-separated-values", ".tsv"},
    {"text/html", ".html"},
    {"text/css", ".css"},
    {"text/javascript", ".js"},
    {"text/xml", ".xml"},
    {"application/json", ".json"},
    {"application/xml", ".xml"},
    {"application/x-yaml", ".yaml"},
    {"text/yaml", ".yaml"},
    {"application/toml", ".toml"},
    {"application/sql", ".sql"},
    {"text/x-python", ".py"},
    {"text/x-c", ".c"},
    {"text/x-c++", ".cpp"},
    {"text/x-java", ".java"},
    {"text/x-rust", ".rs"},
    {"text/x-shellscript", ".sh"},
    {"text/x-diff", ".diff"},
}};

// The allowed type `text` names (case and parameters such as "; charset=utf-8" ignored).
const TextType* findTextType(std::string_view text) {
  text = text.substr(0, text.find(';'));
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  std::string type(text);
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const TextType& known : kTextTypes) {
    if (known.type == type) return &known;
  }
  return nullptr;
}

std::string textTypeList() {
  std::string list;
  for (const TextType& known : kTextTypes)
    list += (list.empty() ? "" : ", ") + std::string(known.type);
  return list;
}

std::string sendFileSchema() {
  std::string types;
  for (const TextType& known : kTextTypes) {
    types += (types.empty() ? "\"" : ",\"") + std::string(known.type) + "\"";
  }
  return R"({"type":"object","properties":{)"
         R"("filename":{"type":"string","description":"file name with its extension, such as notes.md"},)"
         R"("content":{"type":"string","description":"the whole text of the file"},)"
         R"("content_type":{"type":"string","enum":[)" +
         types +
         R"(],"description":"default text/plain"},)"
         R"("caption":{"type":"string","description":"optional message sent with the file"}},)"
         R"("required":["filename","content"],"additionalProperties":false})";
}

// The checked file, or the reason for the model.
std::string checkFile(Arguments& args, const BuiltinToolsOptions& options, SendFile* file) {
  std::optional<std::string> filename = args.string("filename", true);
  std::optional<std::string> content = args.string("content", true);
  std::optional<std::string> content_type = args.string("content_type", false);
  std::optional<std::string> caption = args.string("caption", false);
  if (!args.ok()) return args.error();
  const TextType* type = findTextType(content_type.value_or("text/plain"));
  if (type == nullptr) {
    return "`content_type` must be a text type: " + textTypeList() + " (got \"" +
           clip(*content_type, 64) + "\")";
  }
  if (content->empty()) return "`content` is empty: a file needs some text";
  if (content->size() > options.max_file_bytes) {
    return "`content` is " + std::to_string(content->size()) + " bytes; the limit is " +
           std::to_string(options.max_file_bytes) + " bytes";
  }
  if (!isValidUtf8(*content)) return "`content` is not valid UTF-8 text";
  if (caption && (!isValidUtf8(*caption) || countChars(*caption) > options.max_caption_chars)) {
    return "`caption` must be valid text of at most " + std::to_string(options.max_caption_chars) +
           " characters";
  }
  std::string name = sanitizeFilename(*filename, options.max_filename_bytes);
  if (name.find('.') == std::string::npos) {
    name = sanitizeFilename(name + std::string(type->extension), options.max_filename_bytes);
  }
  file->filename = std::move(name);
  file->content_type = std::string(type->type);
  file->data = std::move(*content);
  if (caption && !caption->empty()) file->content = std::move(*caption);
  return "";
}

ToolDefinition sendFileTool(const BuiltinToolsOptions& options) {
  ToolDefinition tool;
  tool.name = "send_file";
  tool.permission = "files";
  tool.description =
      "Send a text file you write (code, a table, a long document) as an attachment in this "
      "channel, with your reply. At most " +
      std::to_string(options.max_file_bytes) + " bytes of text.";
  tool.parameters_json = sendFileSchema();
  tool.handler = [options](const ToolCall& call, ToolContext& context, ToolDone done) {
    Arguments args(call.arguments);
    SendFile file;
    std::string error = checkFile(args, options, &file);
    if (!error.empty()) return finishSoon(context, std::move(done), failure(error));
    file.channel_id = context.job->envelope().message.channel_id;
    JsonPtr result(cJSON_CreateObject());
    addString(result.get(), "status", "will be sent with your reply");
    addString(result.get(), "filename", file.filename);
    addString(result.get(), "content_type", file.content_type);
    cJSON_AddNumberToObject(result.get(), "bytes", static_cast<double>(file.data.size()));
    context.addLastingAction(encodeLasting(context.job, std::move(file)));
    finishSoon(context, std::move(done), {true, printJson(result.get())});
  };
  return tool;
}

// ---- current_time -----------------------------------------------------------------------------

ToolDefinition currentTimeTool(const BuiltinToolsOptions& options,
                               std::shared_ptr<const TimeZones> zones) {
  ToolDefinition tool;
  tool.name = "current_time";
  tool.permission = "basic";
  tool.description = "The current date and time, in UTC or in a given time zone.";
  tool.parameters_json =
      R"({"type":"object","properties":{"time_zone":{"type":"string","description":"an IANA )"
      R"(time zone such as Europe/Paris or America/New_York, or a UTC offset such as +05:30; )"
      R"(default UTC"}},"additionalProperties":false})";
  std::function<double()> clock = options.clock ? options.clock : unixNow;
  tool.handler = [clock, zones](const ToolCall& call, ToolContext& context, ToolDone done) {
    Arguments args(call.arguments);
    std::string zone_name = args.string("time_zone", false).value_or("UTC");
    if (!args.ok()) return finishSoon(context, std::move(done), failure(args.error()));
    auto now = static_cast<int64_t>(std::floor(clock()));
    std::optional<ZoneTime> zone = zones->at(zone_name, now);
    if (!zone) {
      return finishSoon(context, std::move(done),
                        failure("unknown time zone \"" + clip(zone_name, 64) +
                                "\": use an IANA name such as Europe/Paris, or an offset such "
                                "as +05:30"));
    }
    JsonPtr result(cJSON_CreateObject());
    addString(result.get(), "time", isoTime(now, zone->offset_s));
    addString(result.get(), "weekday", weekdayName(civilTime(now + zone->offset_s).weekday));
    addString(result.get(), "time_zone", zone->zone);
    if (!zone->abbreviation.empty()) addString(result.get(), "abbreviation", zone->abbreviation);
    if (zone->dst) cJSON_AddBoolToObject(result.get(), "dst", true);
    addString(result.get(), "utc", isoTime(now, 0));
    cJSON_AddNumberToObject(result.get(), "unix", static_cast<double>(now));
    finishSoon(context, std::move(done), {true, printJson(result.get())});
  };
  return tool;
}

// ---- gateway calls ----------------------------------------------------------------------------

std::string rpcFailureText(std::string_view method, const RpcResult& result, uint32_t timeout_ms) {
  std::string name(method);
  switch (result.outcome) {
    case RpcOutcome::kTimeout:
      return name + ": the gateway did not answer within " + std::to_string(timeout_ms) +
             " ms (timeout); this information is unavailable right now";
    case RpcOutcome::kGatewayError:
      return name + " failed: " + result.error;
    case RpcOutcome::kMalformed:
      return name + ": the gateway's answer could not be read (" + result.error + ")";
    default:
      return name + " could not be done (" + result.error + ")";
  }
}

using Render = std::function<ToolOutcome(const std::string& result)>;

// Runs one gateway call for the tool; its outcome (or why it failed) is the tool's.
void callGateway(ToolContext& context, std::string_view method, std::string params, Render render,
                 ToolDone done) {
  if (context.gateway == nullptr || context.job == nullptr) {
    return finishSoon(context, std::move(done),
                      failure(std::string(method) + " is not available here (no gateway)"));
  }
  uint32_t timeout_ms =
      context.config != nullptr ? context.config->gateway.timeout_ms : GatewayConfig{}.timeout_ms;
  context.gateway->call(context.job, std::string(method), std::move(params), timeout_ms,
                        [method = std::string(method), render = std::move(render),
                         done = std::move(done), timeout_ms](RpcResult result) {
                          if (!result.ok) {
                            done(failure(rpcFailureText(method, result, timeout_ms)));
                          } else {
                            done(render(result.result));
                          }
                        });
}

LimitsConfig limitsOf(const ToolContext& context) {
  return context.config != nullptr ? context.config->limits : LimitsConfig{};
}

ToolOutcome unreadable(std::string_view method, const std::string& reason) {
  return failure(std::string(method) + ": the gateway's answer could not be read (" + reason + ")");
}

// The channel a tool reads: the one being answered unless the model names another and that
// is allowed. Sets `error` when it is not.
std::string targetChannel(Arguments& args, const ToolContext& context,
                          const BuiltinToolsOptions& options, std::string* error) {
  const std::string& current = context.job->envelope().message.channel_id;
  std::optional<std::string> asked = args.string("channel_id", false);
  if (!args.ok()) {
    *error = args.error();
  } else if (asked && *asked != current && !options.other_channels) {
    *error = "only the current channel can be read (channel_id " + current + ")";
  } else if (asked) {
    *error = checkId("channel_id", *asked);
  }
  return asked.value_or(current);
}

std::string messageJson(const IncomingMessage& message, size_t content_bytes) {
  JsonPtr json(cJSON_CreateObject());
  addString(json.get(), "id", message.id);
  addString(json.get(), "author", message.author.display_name.value_or(message.author.name));
  addString(json.get(), "author_id", message.author.id);
  if (message.author.is_bot) cJSON_AddBoolToObject(json.get(), "bot", true);
  addString(json.get(), "time", isoTime(message.created_at));
  addString(json.get(), "content", clip(message.content, content_bytes));
  if (message.reply_to) addString(json.get(), "reply_to", message.reply_to->message_id);
  if (!message.attachments.empty()) {
    cJSON* files = cJSON_AddArrayToObject(json.get(), "attachments");
    for (const Attachment& attachment : message.attachments) {
      cJSON_AddItemToArray(files, cJSON_CreateString(attachment.filename.c_str()));
    }
  }
  return printJson(json.get());
}

// Newest messages first in, as many as fit the budget; rendered oldest first, with the count of
// older ones left out.
std::string renderMessages(const std::vector<IncomingMessage>& newest_first,
                           const std::string& channel_id, const BuiltinToolsOptions& options) {
  std::string head = "{\"channel_id\":";
  appendJsonString(head, channel_id);
  head += ",\"order\":\"oldest first\",\"messages\":[";
  std::vector<std::string> kept;
  size_t used = head.size() + 32;  // the closing part and the count
  for (const IncomingMessage& message : newest_first) {
    std::string one = messageJson(message, options.message_content_bytes);
    if (used + one.size() + 1 > options.result_budget_bytes) break;
    used += one.size() + 1;
    kept.push_back(std::move(one));
  }
  std::string out = std::move(head);
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    if (it != kept.rbegin()) out += ',';
    out += *it;
  }
  out += "],\"omitted\":" + std::to_string(newest_first.size() - kept.size()) + "}";
  return out;
}

ToolDefinition fetchMessagesTool(const BuiltinToolsOptions& options) {
  ToolDefinition tool;
  tool.name = "fetch_messages";
  tool.permission = "history";
  tool.description =
      "Read recent messages of this channel (older than the conversation you see), oldest "
      "first.";
  std::string channel_param =
      options.other_channels
          ? R"("channel_id":{"type":"string","description":"default: this channel"},)"
          : "";
  tool.parameters_json =
      R"({"type":"object","properties":{)" + channel_param +
      R"("limit":{"type":"integer","minimum":1,"maximum":100,"description":"how many, )"
      R"(default )" +
      std::to_string(options.default_fetch_limit) +
      R"("},"before":{"type":"string","description":"only messages older than this )"
      R"(message id"}},"additionalProperties":false})";
  tool.handler = [options](const ToolCall& call, ToolContext& context, ToolDone done) {
    Arguments args(call.arguments);
    std::string error;
    std::string channel_id = targetChannel(args, context, options, &error);
    std::optional<int64_t> limit = args.integer("limit", 1, kMaxFetchMessages);
    std::optional<std::string> before = args.string("before", false);
    if (error.empty()) error = args.error();
    if (error.empty() && before) error = checkId("before", *before);
    if (!error.empty()) return finishSoon(context, std::move(done), failure(error));
    uint32_t count = limit ? static_cast<uint32_t>(*limit) : options.default_fetch_limit;
    LimitsConfig limits = limitsOf(context);
    callGateway(
        context, kFetchMessages, fetchMessagesParams(channel_id, count, before),
        [limits, channel_id, options](const std::string& result) {
          auto messages = decodeFetchMessagesResult(result, limits);
          if (!messages.ok()) return unreadable(kFetchMessages, messages.reason);
          return ToolOutcome{true, renderMessages(*messages.value, channel_id, options)};
        },
        std::move(done));
  };
  return tool;
}

ToolDefinition getUserTool(const BuiltinToolsOptions& options) {
  ToolDefinition tool;
  tool.name = "get_user";
  tool.permission = "lookup";
  tool.description =
      "Look up a user of this server by id: name, display name, roles, when they joined.";
  tool.parameters_json =
      R"({"type":"object","properties":{"user_id":{"type":"string","description":"the )"
      R"(user's id, or a mention such as <@123>"}},"required":["user_id"],)"
      R"("additionalProperties":false})";
  tool.handler = [options](const ToolCall& call, ToolContext& context, ToolDone done) {
    Arguments args(call.arguments);
    std::optional<std::string> user_id = args.string("user_id", true);
    std::string id = user_id ? std::string(stripMention(*user_id)) : "";
    std::string error = args.ok() ? checkId("user_id", id) : args.error();
    if (!error.empty()) return finishSoon(context, std::move(done), failure(error));
    LimitsConfig limits = limitsOf(context);
    size_t budget = options.message_content_bytes;
    callGateway(
        context, kGetUser, getUserParams(id, context.job->envelope().message.guild_id),
        [limits, budget](const std::string& result) {
          auto user = decodeGetUserResult(result, limits);
          if (!user.ok()) return unreadable(kGetUser, user.reason);
          JsonPtr json(cJSON_CreateObject());
          addString(json.get(), "id", user.value->id);
          addString(json.get(), "name", clip(user.value->name, budget));
          if (user.value->display_name) {
            addString(json.get(), "display_name", clip(*user.value->display_name, budget));
          }
          cJSON* roles = cJSON_AddArrayToObject(json.get(), "roles");
          for (const std::string& role : user.value->roles) {
            if (cJSON_GetArraySize(roles) >= 50) break;
            cJSON_AddItemToArray(roles, cJSON_CreateString(clip(role, 100).c_str()));
          }
          if (user.value->joined_at) {
            addString(json.get(), "joined_at", isoTime(*user.value->joined_at));
          }
          return ToolOutcome{true, printJson(json.get())};
        },
        std::move(done));
  };
  return tool;
}

ToolDefinition getChannelTool(const BuiltinToolsOptions& options) {
  ToolDefinition tool;
  tool.name = "get_channel";
  tool.permission = "lookup";
  tool.description = options.other_channels
                         ? "Look up a channel by id (default: this one): name, topic, kind."
                         : "Look up this channel: name, topic, kind.";
  tool.parameters_json =
      options.other_channels
          ? R"({"type":"object","properties":{"channel_id":{"type":"string","description":)"
            R"("default: this channel"}},"additionalProperties":false})"
          : R"({"type":"object","properties":{},"additionalProperties":false})";
  tool.handler = [options](const ToolCall& call, ToolContext& context, ToolDone done) {
    Arguments args(call.arguments);
    std::string error;
    std::string channel_id = targetChannel(args, context, options, &error);
    if (!error.empty()) return finishSoon(context, std::move(done), failure(error));
    LimitsConfig limits = limitsOf(context);
    size_t budget = options.message_content_bytes;
    callGateway(
        context, kGetChannel, getChannelParams(channel_id),
        [limits, budget](const std::string& result) {
          auto channel = decodeGetChannelResult(result, limits);
          if (!channel.ok()) return unreadable(kGetChannel, channel.reason);
          JsonPtr json(cJSON_CreateObject());
          addString(json.get(), "id", channel.value->id);
          if (channel.value->name)
            addString(json.get(), "name", clip(*channel.value->name, budget));
          if (channel.value->topic) {
            addString(json.get(), "topic", clip(*channel.value->topic, budget));
          }
          addString(json.get(), "kind", channel.value->kind);
          return ToolOutcome{true, printJson(json.get())};
        },
        std::move(done));
  };
  return tool;
}

}  // namespace

std::string sanitizeFilename(std::string_view name, size_t max_bytes) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string clean;
  for (size_t pos = 0; pos < name.size();) {
    size_t length = utf8CharLength(name, pos);
    if (length == 0) {  // not UTF-8: dropped
      ++pos;
      continue;
    }
    uint32_t cp = codePoint(name, pos, length);
    if (isSpaceOrControl(cp)) {
      if (cp == ' ' || cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200a)) clean += '_';
    } else if (std::string_view("<>:\"|?*").find(static_cast<char>(cp)) == std::string_view::npos ||
               cp >= 0x80) {
      clean.append(name.substr(pos, length));
    }
    pos += length;
  }
  size_t lead = clean.find_first_not_of(".-_");
  clean.erase(0, lead == std::string::npos ? clean.size() : lead);
  while (!clean.empty() && (clean.back() == '.' || clean.back() == '_')) clean.pop_back();
  size_t dot = clean.rfind('.');
  std::string extension =
      dot != std::string::npos && clean.size() - dot <= 16 ? clean.substr(dot) : "";
  std::string stem = clean.substr(0, clean.size() - extension.size());
  if (stem.empty()) stem = "file";
  if (stem.size() + extension.size() > max_bytes) {
    if (extension.size() >= max_bytes) extension.clear();
    stem = std::string(cutUtf8(stem, max_bytes - extension.size()));
    if (stem.empty()) stem = std::string(cutUtf8("file", max_bytes));
  }
  return stem + extension;
}

std::string checkEmoji(std::string_view emoji) {
  if (emoji.empty()) return "`emoji` is empty";
  if (emoji.size() > 100 || !isValidUtf8(emoji)) return "`emoji` is not one emoji";
  if (isCustomEmoji(emoji)) return "";
  size_t points = 0;
  bool pictographic = false;
  for (size_t pos = 0; pos < emoji.size(); ++points) {
    size_t length = utf8CharLength(emoji, pos);
    uint32_t cp = codePoint(emoji, pos, length);
    pos += length;
    if (cp < 0x80 && (std::isdigit(static_cast<int>(cp)) || cp == '#' || cp == '*')) continue;
    if (isSpaceOrControl(cp)) return "`emoji` must be one emoji, without spaces";
    if (cp < 0x80 || (!isPictographic(cp) && !isEmojiComponent(cp))) {
      return "`emoji` must be the emoji character itself (such as 👍), not its name; a custom "
             "emoji is written <:name:id>";
    }
    pictographic = pictographic || isPictographic(cp) || cp == 0x20e3;  // keycaps: 1️⃣
  }
  if (!pictographic) return "`emoji` is not an emoji";
  if (points > 16) return "`emoji` must be one emoji, not several";
  return "";
}

std::vector<ToolDefinition> builtinTools(const BuiltinToolsOptions& options) {
  std::shared_ptr<const TimeZones> zones = options.time_zones;
  if (zones == nullptr) {
    zones = options.zoneinfo_dir.empty()
                ? TimeZones::none()
                : TimeZones::load(options.zoneinfo_dir, static_cast<int64_t>(unixNow()));
  }
  std::vector<ToolDefinition> tools;
  tools.push_back(addReactionTool());
  tools.push_back(sendFileTool(options));
  tools.push_back(currentTimeTool(options, std::move(zones)));
  tools.push_back(fetchMessagesTool(options));
  tools.push_back(getUserTool(options));
  tools.push_back(getChannelTool(options));
  return tools;
}

}  // namespace sg
