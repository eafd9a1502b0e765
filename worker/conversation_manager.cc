// ConversationManager: exchanges in Redis, bounded by a token budget (see conversation_manager.h).
#include "worker/conversation_manager.h"

#include <charconv>
#include <memory>

#include "common/json.h"
#include "common/redis_script.h"
#include "common/utf8.h"

namespace sg {
namespace {

constexpr uint32_t kFramingTokens = 4;
constexpr size_t kMaxExchanges = 1000;  // a hard cap whatever the budget

// Shared by the scripts that drop the oldest exchanges: LRANGE + HMGET, then LTRIM + HDEL of the
// head while over the budget (never the newest) or over the hard cap.
constexpr std::string_view kTrimFunction = R"lua(
local function trim_to(list, hash, budget, cap)
  local ids = redis.call('LRANGE', list, 0, -1)
  if #ids == 0 then return 0 end
  local values = redis.call('HMGET', hash, unpack(ids))
  local total, tokens = 0, {}
  for i, value in ipairs(values) do
    local t = 0
    if value then t = tonumber(string.match(value, '^(%d+)\t')) or 0 end
    tokens[i] = t
    total = total + t
  end
  local drop = 0
  while drop < #ids - 1 and ((budget > 0 and total > budget) or #ids - drop > cap) do
    drop = drop + 1
    total = total - tokens[drop]
  end
  if drop > 0 then
    redis.call('LTRIM', list, drop, -1)
    for i = 1, drop do redis.call('HDEL', hash, ids[i]) end
  end
  return drop
end
)lua";

// KEYS: list, hash. ARGV: id, value, budget, ttl_ms, cap.
constexpr std::string_view kAppendBody = R"lua(
local list, hash = KEYS[1], KEYS[2]
-- Fenced: only the holder of the channel's lock (ARGV[6], token ARGV[7]) writes its history.
if ARGV[6] ~= '' and redis.call('GET', ARGV[6]) ~= ARGV[7] then return -1 end
if redis.call('HEXISTS', hash, ARGV[1]) == 0 then redis.call('RPUSH', list, ARGV[1]) end
redis.call('HSET', hash, ARGV[1], ARGV[2])
local dropped = trim_to(list, hash, tonumber(ARGV[3]), tonumber(ARGV[5]))
redis.call('PEXPIRE', list, ARGV[4])
redis.call('PEXPIRE', hash, ARGV[4])
return dropped
)lua";

// KEYS: list, hash. ARGV: budget, cap.
constexpr std::string_view kTrimBody = R"lua(
return trim_to(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
)lua";

// KEYS: list, hash. Returns id, value pairs, oldest first.
constexpr std::string_view kLoadScript = R"lua(
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {} end
local values = redis.call('HMGET', KEYS[2], unpack(ids))
local out = {}
for i, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = values[i] or ''
end
return out
)lua";

// KEYS: list, hash. ARGV: summary value, ttl_ms, n, id_1 .. id_n.
constexpr std::string_view kFoldScript = R"lua(
local list, hash, n = KEYS[1], KEYS[2], tonumber(ARGV[3])
local head = redis.call('LRANGE', list, 0, n - 1)
if #head ~= n then return 0 end
for i = 1, n do
  if head[i] ~= ARGV[3 + i] then return 0 end
end
redis.call('LTRIM', list, n, -1)
for i = 1, n do redis.call('HDEL', hash, head[i]) end
redis.call('LREM', list, 0, '!summary')
redis.call('LPUSH', list, '!summary')
redis.call('HSET', hash, '!summary', ARGV[1])
redis.call('PEXPIRE', list, ARGV[2])
redis.call('PEXPIRE', hash, ARGV[2])
return 1
)lua";

const RedisScript& appendScript() {
  static const RedisScript script(std::string(kTrimFunction) + std::string(kAppendBody));
  return script;
}
const RedisScript& trimScript() {
  static const RedisScript script(std::string(kTrimFunction) + std::string(kTrimBody));
  return script;
}
const RedisScript& loadScript() {
  static const RedisScript script{std::string(kLoadScript)};
  return script;
}
const RedisScript& foldScript() {
  static const RedisScript script{std::string(kFoldScript)};
  return script;
}

std::vector<std::string> keysOf(const std::string& key) {
  return {key, key + ":x"};
}

std::string storedValue(const Exchange& exchange) {
  return std::to_string(exchange.tokens) + "\t" + encodeExchange(exchange);
}

const char* roleCode(ChatRole role) {
  return chatRoleName(role);
}

ChatRole roleFrom(std::string_view name) {
  if (name == "assistant") return ChatRole::kAssistant;
  if (name == "tool") return ChatRole::kTool;
  if (name == "system") return ChatRole::kSystem;
  return ChatRole::kUser;
}

cJSON* messageJson(const ChatMessage& message) {
  cJSON* item = cJSON_CreateObject();
  cJSON_AddStringToObject(item, "role", roleCode(message.role));
  cJSON_AddStringToObject(item, "content", message.content.c_str());
  if (!message.name.empty()) cJSON_AddStringToObject(item, "name", message.name.c_str());
  if (!message.tool_call_id.empty()) {
    cJSON_AddStringToObject(item, "tool_call_id", message.tool_call_id.c_str());
  }
  if (!message.tool_calls.empty()) {
    cJSON* calls = cJSON_AddArrayToObject(item, "tool_calls");
    for (const ToolCall& call : message.tool_calls) {
      cJSON* entry = cJSON_CreateObject();
      cJSON_AddStringToObject(entry, "id", call.id.c_str());
      cJSON_AddStringToObject(entry, "name", call.name.c_str());
      cJSON_AddStringToObject(entry, "arguments", call.arguments.c_str());
      cJSON_AddItemToArray(calls, entry);
    }
  }
  return item;
}

ChatMessage messageFrom(const cJSON* item) {
  ChatMessage message;
  message.role = roleFrom(jsonString(item, "role", "user"));
  message.content = jsonString(item, "content");
  message.name = jsonString(item, "name");
  message.tool_call_id = jsonString(item, "tool_call_id");
  const cJSON* calls = jsonField(item, "tool_calls");
  for (const cJSON* call = cJSON_IsArray(calls) ? calls->child : nullptr; call != nullptr;
       call = call->next) {
    message.tool_calls.push_back({std::string(jsonString(call, "id")),
                                  std::string(jsonString(call, "name")),
                                  std::string(jsonString(call, "arguments", "{}"))});
  }
  return message;
}

bool parseStored(std::string_view id, std::string_view value, Exchange* exchange) {
  size_t tab = value.find('\t');
  if (tab == std::string_view::npos) return false;
  uint32_t tokens = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + tab, tokens);
  if (ec != std::errc() || end != value.data() + tab) return false;
  if (!decodeExchange(value.substr(tab + 1), exchange)) return false;
  exchange->id = std::string(id);
  exchange->tokens = tokens;
  return true;
}

}  // namespace

uint32_t estimateTokens(std::string_view text) {
  uint64_t ascii = 0;
  uint64_t other = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t length = utf8CharLength(text, pos);
    if (length <= 1) {
      ++ascii;
      ++pos;
    } else {
      ++other;
      pos += length;
    }
  }
  uint64_t tokens = (ascii + 3) / 4 + other;
  return tokens > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(tokens);
}

uint32_t estimateTokens(const ChatMessage& message) {
  uint64_t tokens = kFramingTokens + estimateTokens(message.content);
  for (const ToolCall& call : message.tool_calls) {
    tokens += kFramingTokens + estimateTokens(call.name) + estimateTokens(call.arguments);
  }
  return tokens > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(tokens);
}

uint32_t estimateTokens(const std::vector<ChatMessage>& messages) {
  uint64_t tokens = 0;
  for (const ChatMessage& message : messages) tokens += estimateTokens(message);
  return tokens > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(tokens);
}

size_t evictionCount(const std::vector<uint32_t>& tokens, uint64_t budget) {
  uint64_t total = 0;
  for (uint32_t count : tokens) total += count;
  size_t drop = 0;
  while (drop + 1 < tokens.size() && total > budget) total -= tokens[drop++];
  return drop;
}

std::string encodeExchange(const Exchange& exchange) {
  JsonPtr root(cJSON_CreateObject());
  cJSON_AddStringToObject(root.get(), "message_id", exchange.message_id.c_str());
  cJSON* messages = cJSON_AddArrayToObject(root.get(), "messages");
  for (const ChatMessage& message : exchange.messages) {
    cJSON_AddItemToArray(messages, messageJson(message));
  }
  return printJson(root.get());
}

bool decodeExchange(std::string_view json, Exchange* exchange) {
  JsonPtr root = parseJson(json);
  const cJSON* messages = jsonField(root.get(), "messages");
  if (!cJSON_IsArray(messages)) return false;
  exchange->message_id = jsonString(root.get(), "message_id");
  exchange->messages.clear();
  for (const cJSON* item = messages->child; item != nullptr; item = item->next) {
    if (!cJSON_IsObject(item)) return false;
    exchange->messages.push_back(messageFrom(item));
  }
  return true;
}

std::string ConversationManager::keyFor(const Envelope& envelope) {
  const IncomingMessage& message = envelope.message;
  return "sg:conv:" + envelope.platform + ":" + message.thread_id.value_or(message.channel_id);
}

void ConversationManager::load(const std::string& key, const std::string& skip_event_id,
                               LoadCallback done) {
  redis_.evalScript(loadScript(), keysOf(key), {},
                    [skip_event_id, done = std::move(done)](const RedisResult& result) {
                      History history;
                      RedisReply reply = result.reply();
                      if (!result.ok() || !reply.isArray()) {
                        history.ok = false;
                        done(std::move(history));
                        return;
                      }
                      for (size_t i = 0; i + 1 < reply.size(); i += 2) {
                        std::string_view id = reply[i].str();
                        Exchange exchange;
                        if (id == skip_event_id || !parseStored(id, reply[i + 1].str(), &exchange))
                          continue;
                        history.exchanges.push_back(std::move(exchange));
                      }
                      done(std::move(history));
                    });
}

void ConversationManager::append(const std::string& key, const Exchange& exchange,
                                 uint64_t trim_budget, uint32_t ttl_s, DoneCallback done,
                                 const Fence& fence) {
  redis_.evalScript(appendScript(), keysOf(key),
                    {exchange.id, storedValue(exchange), std::to_string(trim_budget),
                     std::to_string(uint64_t{ttl_s} * 1000), std::to_string(kMaxExchanges),
                     fence.lock_key, fence.token},
                    [done = std::move(done)](const RedisResult& result) {
                      done(result.ok() && result.reply().integer() >= 0);
                    });
}

void ConversationManager::fold(const std::string& key, const std::vector<std::string>& head_ids,
                               const Exchange& summary, uint32_t ttl_s, DoneCallback done) {
  std::vector<std::string> args = {storedValue(summary), std::to_string(uint64_t{ttl_s} * 1000),
                                   std::to_string(head_ids.size())};
  args.insert(args.end(), head_ids.begin(), head_ids.end());
  redis_.evalScript(foldScript(), keysOf(key), std::move(args),
                    [done = std::move(done)](const RedisResult& result) {
                      done(result.ok() && result.reply().integer() == 1);
                    });
}

void ConversationManager::trim(const std::string& key, uint64_t budget, DoneCallback done) {
  redis_.evalScript(trimScript(), keysOf(key),
                    {std::to_string(budget), std::to_string(kMaxExchanges)},
                    [done = std::move(done)](const RedisResult& result) { done(result.ok()); });
}

}  // namespace sg
