// Bus test helpers (see bus_fixture.h).
#include "support/bus_fixture.h"

#include <chrono>
#include <thread>

#include "common/bus_codec.h"
#include "common/clock.h"
#include "common/msgpack_json.h"

namespace sg::test {
namespace {

std::string jsonString(const cJSON* object, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, key);
  return cJSON_IsString(item) ? std::string(item->valuestring) : std::string();
}

}  // namespace

std::string makeEnvelope(const EnvelopeSpec& spec) {
  Envelope envelope;
  envelope.event_id = spec.event_id;
  envelope.platform = spec.platform;
  envelope.sent_at = spec.sent_at == 0 ? unixNow() : spec.sent_at;
  envelope.trace_id = "trace-" + spec.event_id;
  IncomingMessage& message = envelope.message;
  message.id = spec.message_id.empty() ? "m-" + spec.event_id : spec.message_id;
  message.channel_id = spec.channel_id;
  message.guild_id = "g1";
  message.author.id = spec.author_is_bot ? "bot-other" : "u1";
  message.author.name = "alice";
  message.author.is_bot = spec.author_is_bot;
  message.content = spec.content;
  message.created_at = envelope.sent_at;
  message.mentions_bot = spec.mentions_bot;
  message.bot_user_id = "999";
  message.extra = spec.extra;
  return encodeEnvelope(envelope);
}

std::string addInbound(SyncRedis& redis, const std::string& payload) {
  return redis.string({"XADD", "sg:stream:inbound", "*", "payload", payload});
}

std::vector<OutboundAction> readOutbound(SyncRedis& redis, const std::string& platform) {
  std::vector<OutboundAction> actions;
  Reply reply = redis.command({"XRANGE", "sg:stream:outbound:" + platform, "-", "+"});
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return actions;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    const redisReply* fields = entry->element[1];
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      if (std::string(fields->element[f]->str, fields->element[f]->len) != "payload") continue;
      std::string bytes(fields->element[f + 1]->str, fields->element[f + 1]->len);
      auto text = msgpackToJson(bytes);
      OutboundAction action;
      action.stream_id = std::string(entry->element[0]->str, entry->element[0]->len);
      if (text) action.json = parseJson(*text);
      if (action.json) {
        action.action = jsonString(action.json.get(), "action");
        action.action_id = jsonString(action.json.get(), "action_id");
        action.event_id = jsonString(action.json.get(), "event_id");
        action.channel_id = jsonString(action.json.get(), "channel_id");
        action.content = jsonString(action.json.get(), "content");
        action.worker = jsonString(action.json.get(), "worker");
      }
      actions.push_back(std::move(action));
    }
  }
  return actions;
}

std::vector<DeadLetter> readDeadLetters(SyncRedis& redis) {
  std::vector<DeadLetter> letters;
  Reply reply = redis.command({"XRANGE", "sg:stream:inbound:dead", "-", "+"});
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return letters;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* fields = reply->element[i]->element[1];
    DeadLetter letter;
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      std::string name(fields->element[f]->str, fields->element[f]->len);
      std::string value(fields->element[f + 1]->str, fields->element[f + 1]->len);
      if (name == "reason") letter.reason = value;
      if (name == "source_id") letter.source_id = value;
      if (name == "deliveries") letter.deliveries = value;
      if (name == "payload") letter.payload = value;
    }
    letters.push_back(std::move(letter));
  }
  return letters;
}

bool waitFor(const std::function<bool()>& predicate, int timeout_ms, int poll_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return predicate();
}

std::string workerConfigJson(const RedisServer& redis, const std::string& extra_json) {
  std::string base = R"({
    "redis": {"url": ")" + redis.url() + R"(", "reconnect_base_ms": 20, "reconnect_max_ms": 200},
    "consumer": {"processor": "echo", "claim_idle_ms": 1000, "retry_delay_ms": 20,
                 "block_ms": 200, "max_deliveries": 3},
    "shutdown": {"drain_s": 5},
    "heartbeat": {"interval_ms": 500},
    "log": {"level": "info"}
  })";
  JsonPtr config = parseJson(base);
  if (!extra_json.empty()) {
    JsonPtr patch = parseJson(extra_json);
    if (patch) config = applyMergePatch(std::move(config), patch.get());
  }
  return printJson(config.get());
}

WorkerProcess::WorkerProcess(const RedisServer& redis, std::string instance_id,
                             const std::string& extra_json, const TempDir& dir)
    : instance_id_(std::move(instance_id)),
      config_path_(dir.file(instance_id_ + ".json")),
      log_path_(dir.file(instance_id_ + ".log")) {
  writeFile(config_path_, workerConfigJson(redis, extra_json));
}

bool WorkerProcess::start(const std::map<std::string, std::string>& env) {
  return process_.start({SG_WORKER_BIN, "--config", config_path_, "--instance-id", instance_id_},
                        log_path_, env);
}

}  // namespace sg::test
