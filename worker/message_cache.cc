// MessageCache: recent channel messages in Redis (see message_cache.h).
#include "worker/message_cache.h"

#include <spdlog/fmt/fmt.h>

#include "common/clock.h"
#include "common/json.h"
#include "worker/reply_splitter.h"

namespace sg {
namespace {

// KEYS: zset, hash. ARGV: id, score, record, max_messages, max_age_s, now, read_back.
constexpr std::string_view kAddScript = R"lua(
local z, h = KEYS[1], KEYS[2]
local max, age, now = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if max > 0 then
  redis.call('ZADD', z, ARGV[2], ARGV[1])
  redis.call('HSET', h, ARGV[1], ARGV[3])
end
local cutoff = '(' .. tostring(now - age)
local old = redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)
for _, id in ipairs(old) do redis.call('HDEL', h, id) end
redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
local n = redis.call('ZCARD', z)
if n > max then
  local extra = redis.call('ZRANGE', z, 0, n - max - 1)
  for _, id in ipairs(extra) do redis.call('HDEL', h, id) end
  redis.call('ZREMRANGEBYRANK', z, 0, n - max - 1)
end
if max > 0 then
  redis.call('PEXPIRE', z, age * 1000)
  redis.call('PEXPIRE', h, age * 1000)
end
if ARGV[7] ~= '1' then return {} end
local ids = redis.call('ZRANGE', z, 0, -1)
local out = {}
-- In slices: Lua's unpack takes a few thousand values at most.
for first = 1, #ids, 1000 do
  local slice = {}
  for i = first, math.min(first + 999, #ids) do slice[#slice + 1] = ids[i] end
  for _, value in ipairs(redis.call('HMGET', h, unpack(slice))) do out[#out + 1] = value end
end
return out
)lua";

const RedisScript& addScript() {
  static const RedisScript script{std::string(kAddScript)};
  return script;
}

}  // namespace

std::string describeAttachments(const std::vector<Attachment>& attachments) {
  std::string text;
  for (const Attachment& attachment : attachments) {
    if (!text.empty()) text += "; ";
    text += fmt::format("{} ({}, {} bytes)", attachment.filename,
                        attachment.content_type.value_or("unknown type"), attachment.size);
  }
  return text;
}

CachedMessage cachedFrom(const IncomingMessage& message) {
  CachedMessage cached;
  cached.id = message.id;
  cached.author_id = message.author.id;
  cached.author = message.author.display_name.value_or(message.author.name);
  cached.is_bot = message.author.is_bot;
  cached.content = std::string(truncateCodePoints(message.content, kMaxCachedContentChars));
  cached.created_at = message.created_at;
  if (message.reply_to) cached.reply_to_id = message.reply_to->message_id;
  cached.attachments = describeAttachments(message.attachments);
  return cached;
}

std::string encodeCachedMessage(const CachedMessage& message) {
  JsonPtr root(cJSON_CreateObject());
  cJSON_AddStringToObject(root.get(), "id", message.id.c_str());
  cJSON_AddStringToObject(root.get(), "author_id", message.author_id.c_str());
  cJSON_AddStringToObject(root.get(), "author", message.author.c_str());
  cJSON_AddBoolToObject(root.get(), "is_bot", message.is_bot);
  cJSON_AddStringToObject(root.get(), "content", message.content.c_str());
  cJSON_AddNumberToObject(root.get(), "created_at", message.created_at);
  if (!message.reply_to_id.empty()) {
    cJSON_AddStringToObject(root.get(), "reply_to", message.reply_to_id.c_str());
  }
  if (!message.attachments.empty()) {
    cJSON_AddStringToObject(root.get(), "attachments", message.attachments.c_str());
  }
  return printJson(root.get());
}

std::optional<CachedMessage> decodeCachedMessage(std::string_view json) {
  JsonPtr root = parseJson(json);
  if (!cJSON_IsObject(root.get())) return std::nullopt;
  CachedMessage message;
  message.id = jsonString(root.get(), "id");
  if (message.id.empty()) return std::nullopt;
  message.author_id = jsonString(root.get(), "author_id");
  message.author = jsonString(root.get(), "author");
  message.is_bot = cJSON_IsTrue(jsonField(root.get(), "is_bot"));
  message.content = jsonString(root.get(), "content");
  jsonNumber(root.get(), "created_at", &message.created_at);
  message.reply_to_id = jsonString(root.get(), "reply_to");
  message.attachments = jsonString(root.get(), "attachments");
  return message;
}

std::string MessageCache::keyFor(const Envelope& envelope) {
  return "sg:cache:" + envelope.platform + ":" + envelope.message.channel_id;
}

void MessageCache::add(const Envelope& envelope, const CacheConfig& config, bool read_back,
                       Callback done) {
  std::string key = keyFor(envelope);
  std::vector<std::string> args = {envelope.message.id,
                                   fmt::format("{:.3f}", envelope.message.created_at),
                                   encodeCachedMessage(cachedFrom(envelope.message)),
                                   std::to_string(config.max_messages),
                                   std::to_string(config.max_age_s),
                                   fmt::format("{:.3f}", unixNow()),
                                   read_back ? "1" : "0"};
  redis_.evalScript(addScript(), {key, key + ":m"}, std::move(args),
                    [done = std::move(done)](const RedisResult& result) {
                      Recent recent;
                      RedisReply reply = result.reply();
                      recent.ok = result.ok() && reply.isArray();
                      for (size_t i = 0; recent.ok && i < reply.size(); ++i) {
                        if (auto message = decodeCachedMessage(reply[i].str())) {
                          recent.messages.push_back(std::move(*message));
                        }
                      }
                      done(std::move(recent));
                    });
}

}  // namespace sg
