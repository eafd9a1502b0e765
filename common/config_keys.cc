// The configuration key table and the per-key moves between JSON and Config (see config_keys.h).
// Adding a field to config.h means adding one line here; the man-page test then asks for its
// entry in man/stargazer.conf.5.
#include "common/config_keys.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "common/bus_codec.h"
#include "common/endpoint.h"
#include "common/redis_url.h"

namespace sg {
namespace {

constexpr ReloadClass kLive = ReloadClass::kLive;
constexpr ReloadClass kWorkers = ReloadClass::kWorkerRestart;
constexpr ReloadClass kFull = ReloadClass::kFullRestart;

constexpr uint32_t kMaxMs = 86'400'000;  // one day, a generous ceiling for any duration
constexpr uint32_t kMaxS = 86'400 * 30;

// ---- string rules --------------------------------------------------------------------------

std::string checkRedisUrl(const std::string& value) {
  RedisUrl url;
  std::string error;
  return parseRedisUrl(value, &url, &error) ? std::string() : error;
}

std::string checkHttpUrl(const std::string& value) {
  std::string_view text = value;
  size_t scheme_end = text.find("://");
  std::string_view scheme = scheme_end == std::string_view::npos ? "" : text.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return "must be an http:// or https:// URL (such as https://openrouter.ai/api/v1)";
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.empty() || rest.front() == '/') return "the URL has no host";
  return "";
}

std::string checkListen(const std::string& value) {
  std::string host;
  uint16_t port = 0;
  std::string error = parseHostPort(value, &host, &port);
  return error.empty() ? "" : error + " (expected HOST:PORT such as 127.0.0.1:9464)";
}

std::string checkNotEmpty(const std::string& value) {
  return value.empty() ? "must not be empty" : "";
}

std::string checkPlatform(const std::string& value) {
  return isPlatformName(value) ? "" : "must be a platform name ([a-z0-9_]{1,32})";
}

// ---- table construction --------------------------------------------------------------------

KeySpec makeKey(std::string_view path, KeyType type, FieldRef field, ReloadClass reload,
                std::string_view doc) {
  KeySpec key{.path = path, .type = type, .reload = reload, .field = field, .doc = doc};
  return key;
}

KeySpec boolKey(std::string_view path, BoolField field, ReloadClass reload, std::string_view doc) {
  return makeKey(path, KeyType::kBool, field, reload, doc);
}

KeySpec uintKey(std::string_view path, UintField field, uint32_t min, uint32_t max,
                ReloadClass reload, std::string_view doc) {
  KeySpec key = makeKey(path, KeyType::kUint, field, reload, doc);
  key.min = min;
  key.max = max;
  return key;
}

KeySpec numberKey(std::string_view path, NumberField field, double min, double max,
                  ReloadClass reload, std::string_view doc) {
  KeySpec key = makeKey(path, KeyType::kNumber, field, reload, doc);
  key.min = min;
  key.max = max;
  return key;
}

KeySpec stringKey(std::string_view path, StringField field, ReloadClass reload,
                  std::string_view doc, StringCheck check = nullptr, StringMask mask = nullptr) {
  KeySpec key = makeKey(path, KeyType::kString, field, reload, doc);
  key.check = check;
  key.mask = mask;
  return key;
}

KeySpec enumKey(std::string_view path, StringField field, std::vector<std::string_view> choices,
                ReloadClass reload, std::string_view doc) {
  KeySpec key = makeKey(path, KeyType::kEnum, field, reload, doc);
  key.choices = std::move(choices);
  return key;
}

// `check`, when given, applies to every element.
KeySpec listKey(std::string_view path, StringListField field, ReloadClass reload,
                std::string_view doc, StringCheck check = nullptr) {
  KeySpec key = makeKey(path, KeyType::kStringArray, field, reload, doc);
  key.check = check;
  return key;
}

std::string environmentName(std::string_view path) {
  std::string name = "SG_";
  for (char c : path) {
    name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

// The accessor of a Config member, as a captureless lambda (it converts to the key's typed
// function pointer). A macro keeps the table at one short entry per key, as in Redis's config.c.
// clang-format off
#define SG_FIELD(member) [](Config& c) -> auto& { return c.member; }
// clang-format on

std::vector<KeySpec> buildTable() {
  std::vector<KeySpec> keys = {
      uintKey("workers", SG_FIELD(workers), 1, 1024, kLive,
              "Number of worker processes the supervisor runs on this host."),

      stringKey("redis.url", SG_FIELD(redis.url), kWorkers,
                "Redis server: redis://[[user]:password@]host[:port][/db] or "
                "unix://[[user]:password@]/path[?db=N].",
                checkRedisUrl, maskRedisUrl),
      uintKey("redis.connect_timeout_ms", SG_FIELD(redis.connect_timeout_ms), 1, 600'000, kWorkers,
              "Time allowed to connect to Redis."),
      uintKey("redis.command_timeout_ms", SG_FIELD(redis.command_timeout_ms), 1, 600'000, kWorkers,
              "Time allowed for one Redis command's reply."),
      uintKey("redis.reconnect_base_ms", SG_FIELD(redis.reconnect_base_ms), 1, 600'000, kWorkers,
              "First delay before reconnecting to Redis (doubles each time)."),
      uintKey("redis.reconnect_max_ms", SG_FIELD(redis.reconnect_max_ms), 1, kMaxMs, kWorkers,
              "Longest delay between Redis reconnection attempts."),

      enumKey("llm.dialect", SG_FIELD(llm.dialect), {"auto", "openrouter", "openai"}, kLive,
              "Request extras: openrouter (models, session_id, provider, transforms, usage), openai "
              "(none), auto (openrouter when llm.base_url's host is openrouter.ai)."),
      stringKey("llm.base_url", SG_FIELD(llm.base_url), kLive,
                "Root of the OpenAI-compatible API (chat/completions is appended).", checkHttpUrl),
      stringKey("llm.model", SG_FIELD(llm.model), kLive, "Model asked first.", checkNotEmpty),
      listKey("llm.fallback_models", SG_FIELD(llm.fallback_models), kLive,
              "Models tried in order when the model fails or is cooling down."),
      makeKey("llm.api_key", KeyType::kSecret, SecretField(SG_FIELD(llm.api_key)), kLive,
              "API key sent as a bearer token; OPENROUTER_API_KEY when no source sets it."),
      boolKey("llm.stream", SG_FIELD(llm.stream), kLive,
              "Ask for streamed (server-sent events) responses."),
      uintKey("llm.max_completion_tokens", SG_FIELD(llm.max_completion_tokens), 1, 1'000'000, kLive,
              "Upper bound on the tokens of one completion."),
      numberKey("llm.temperature", SG_FIELD(llm.temperature), 0, 2, kLive,
                "Sampling temperature; unset: the model's default."),
      uintKey("llm.max_tool_rounds", SG_FIELD(llm.max_tool_rounds), 0, 100, kLive,
              "Tool-call rounds allowed before a final answer is required."),
      uintKey("llm.timeout_ms", SG_FIELD(llm.timeout_ms), 1000, kMaxMs, kLive,
              "Overall deadline of one LLM call, retries and fallbacks included."),
      uintKey("llm.attempt_timeout_ms", SG_FIELD(llm.attempt_timeout_ms), 1000, kMaxMs, kLive,
              "Deadline of one HTTP attempt."),
      uintKey("llm.first_token_timeout_ms", SG_FIELD(llm.first_token_timeout_ms), 1000, kMaxMs,
              kLive, "Time allowed until the first byte of the response body."),
      uintKey("llm.connect_timeout_ms", SG_FIELD(llm.connect_timeout_ms), 100, 600'000, kLive,
              "Time allowed to connect to the API."),
      uintKey("llm.max_retries", SG_FIELD(llm.max_retries), 0, 100, kLive,
              "Retries of a failed attempt (429, 5xx, network) per model."),
      uintKey("llm.retry_base_ms", SG_FIELD(llm.retry_base_ms), 1, 600'000, kLive,
              "First retry delay (exponential backoff with jitter)."),
      uintKey("llm.retry_max_ms", SG_FIELD(llm.retry_max_ms), 1, kMaxMs, kLive,
              "Cap on a retry delay and on an honoured Retry-After."),
      uintKey("llm.cooldown_failures", SG_FIELD(llm.cooldown_failures), 1, 1000, kLive,
              "Consecutive failures after which a model cools down."),
      uintKey("llm.cooldown_s", SG_FIELD(llm.cooldown_s), 0, kMaxS, kLive,
              "How long a cooled-down model is skipped."),
      stringKey("llm.http_referer", SG_FIELD(llm.http_referer), kLive,
                "OpenRouter's optional HTTP-Referer header (empty: not sent)."),
      stringKey("llm.title", SG_FIELD(llm.title), kLive,
                "OpenRouter's optional X-Title header (empty: not sent)."),
      makeKey("llm.provider", KeyType::kObject, StringField(SG_FIELD(llm.provider_json)), kLive,
              "OpenRouter provider routing object, passed through as is ({}: none)."),
      listKey("llm.vision_models", SG_FIELD(llm.vision_models), kLive,
              "Models that accept image parts; others get attachments as text."),
      stringKey("llm.embedding_model", SG_FIELD(llm.embedding_model), kLive,
                "Model used for embeddings."),
      uintKey("llm.max_connections", SG_FIELD(llm.max_connections), 0, 10'000, kLive,
              "Total connections to the API per worker (0: libcurl's default)."),

      uintKey("limits.payload_bytes", SG_FIELD(limits.payload_bytes), 1024, 64u << 20, kLive,
              "Largest inbound envelope accepted."),
      uintKey("limits.content_bytes", SG_FIELD(limits.content_bytes), 1, 64u << 20, kLive,
              "Largest message content accepted."),
      uintKey("limits.attachments", SG_FIELD(limits.attachments), 0, 10'000, kLive,
              "Most attachments accepted on one message."),
      uintKey("limits.depth", SG_FIELD(limits.depth), 2, 128, kLive,
              "Deepest nesting accepted in an envelope."),

      uintKey("consumer.max_inflight", SG_FIELD(consumer.max_inflight), 1, 100'000, kLive,
              "Channels one worker processes at once."),
      uintKey("consumer.claim_idle_ms", SG_FIELD(consumer.claim_idle_ms), 1000, kMaxMs, kLive,
              "Idle time after which another worker takes over an entry or a channel lock."),
      uintKey("consumer.max_deliveries", SG_FIELD(consumer.max_deliveries), 1, 1000, kLive,
              "Deliveries after which an entry is dead-lettered (reason max_deliveries)."),
      uintKey("consumer.max_age_s", SG_FIELD(consumer.max_age_s), 1, kMaxS, kLive,
              "Age after which an entry is dead-lettered instead of answered."),
      uintKey("consumer.read_batch", SG_FIELD(consumer.read_batch), 1, 10'000, kLive,
              "Entries taken per stream read."),
      uintKey("consumer.block_ms", SG_FIELD(consumer.block_ms), 1, 600'000, kLive,
              "How long a blocking stream read waits."),
      uintKey("consumer.retry_delay_ms", SG_FIELD(consumer.retry_delay_ms), 0, kMaxMs, kLive,
              "Delay before retrying an entry whose processing failed."),
      uintKey("consumer.done_ttl_s", SG_FIELD(consumer.done_ttl_s), 1, kMaxS, kLive,
              "How long an event's published actions are remembered."),
      uintKey("consumer.trim_interval_s", SG_FIELD(consumer.trim_interval_s), 0, 86'400, kWorkers,
              "Period of trimming acknowledged entries from the stream (0: never)."),
      enumKey("consumer.processor", SG_FIELD(consumer.processor), {"llm", "echo"}, kWorkers,
              "Message processor: llm, or echo (a diagnostic and benchmark double)."),
      uintKey("consumer.echo_delay_ms", SG_FIELD(consumer.echo_delay_ms), 0, 600'000, kLive,
              "Echo processor: largest random delay before answering."),

      uintKey("outbound.maxlen", SG_FIELD(outbound.maxlen), 0, 100'000'000, kLive,
              "Approximate cap (MAXLEN ~) of each outbound stream (0: no cap)."),

      uintKey("gateway.timeout_ms", SG_FIELD(gateway.timeout_ms), 100, 600'000, kLive,
              "Deadline of one gateway call (fetch_messages, get_user, get_channel)."),

      uintKey("status.lease_ms", SG_FIELD(status.lease_ms), 1000, 600'000, kLive,
              "Length of the status leadership lease sg:status:leader."),
      uintKey("status.interval_s", SG_FIELD(status.interval_s), 1, 86'400, kLive,
              "Period of the presence rotation."),
      makeKey("status.presences", KeyType::kPresenceArray,
              PresenceListField(SG_FIELD(status.presences)), kLive,
              "Presences published in turn by the leader (empty: no presence updates)."),
      listKey("status.platforms", SG_FIELD(status.platforms), kLive,
              "Platforms whose outbound stream receives the leader's set_presence actions.",
              checkPlatform),

      uintKey("shutdown.drain_s", SG_FIELD(shutdown.drain_s), 0, 3600, kLive,
              "Time allowed for in-flight work on SIGTERM before stopping."),

      uintKey("heartbeat.interval_ms", SG_FIELD(heartbeat.interval_ms), 100, 600'000, kFull,
              "Period of the liveness records sg:heartbeat:<instance>."),

      stringKey("health.listen", SG_FIELD(health.listen), kFull,
                "HOST:PORT of the health server (/healthz, /readyz, /metrics, /status).",
                checkListen),

      enumKey("log.level", SG_FIELD(log.level),
              {"trace", "debug", "info", "warn", "error", "critical", "off"}, kLive,
              "Least severe level logged."),
      enumKey("log.format", SG_FIELD(log.format), {"text", "json"}, kLive,
              "Log line format: text, or json (one object per line)."),
      stringKey("log.file", SG_FIELD(log.file), kLive,
                "Log file, appended to and reopened on SIGUSR1 (empty: stderr)."),

      uintKey("supervisor.restart_base_ms", SG_FIELD(supervisor.restart_base_ms), 1, 600'000, kLive,
              "First delay before restarting a worker that exited (doubles each time)."),
      uintKey("supervisor.restart_max_ms", SG_FIELD(supervisor.restart_max_ms), 1, kMaxMs, kLive,
              "Longest delay before restarting a worker."),
      uintKey("supervisor.restart_intensity", SG_FIELD(supervisor.restart_intensity), 1, 10'000,
              kLive, "Restarts allowed within restart_period_s before the supervisor gives up."),
      uintKey("supervisor.restart_period_s", SG_FIELD(supervisor.restart_period_s), 1, 86'400,
              kLive, "Window over which restarts are counted."),
      uintKey("supervisor.worker_timeout_ms", SG_FIELD(supervisor.worker_timeout_ms), 1000, kMaxMs,
              kLive, "Silence on a worker's control pipe after which it is aborted and replaced."),
      stringKey("supervisor.pidfile", SG_FIELD(supervisor.pidfile), kFull,
                "PID file, locked to refuse a second supervisor (empty: none)."),

      stringKey("bot.name", SG_FIELD(bot.name), kLive, "The bot's name as the prompt gives it.",
                checkNotEmpty),
      stringKey("bot.system_prompt_file", SG_FIELD(bot.system_prompt_file), kLive,
                "System prompt template file (empty: the built-in prompt)."),
      boolKey("bot.stream_edits", SG_FIELD(bot.stream_edits), kLive,
              "Stream replies by editing the sent message as tokens arrive."),
      listKey("bot.answer_channels", SG_FIELD(bot.answer_channels), kLive,
              "Channel ids where every message is answered."),
      listKey("bot.ignore_channels", SG_FIELD(bot.ignore_channels), kLive,
              "Channel ids where nothing is answered."),
      listKey("bot.ignore_users", SG_FIELD(bot.ignore_users), kLive, "User ids never answered."),
      listKey("bot.trigger_words", SG_FIELD(bot.trigger_words), kLive,
              "Words that make the bot answer a message that does not mention it."),
      makeKey("bot.overrides", KeyType::kScopeOverrides, StringField(SG_FIELD(bot.overrides_json)),
              kLive,
              "Per-channel and per-guild settings: {\"channels\": {id: {...}}, \"guilds\": {id: "
              "{...}}}."),

      uintKey("cache.max_messages", SG_FIELD(cache.max_messages), 0, 10'000, kLive,
              "Recent messages kept per channel for the model's context (0: none)."),
      uintKey("cache.max_age_s", SG_FIELD(cache.max_age_s), 1, kMaxS, kLive,
              "Age after which a cached channel message is dropped."),

      uintKey(
          "conversation.max_tokens", SG_FIELD(conversation.max_tokens), 0, 10'000'000, kLive,
          "Estimated token budget of a channel's stored history (oldest turns go first; 0: none)."),
      uintKey("conversation.ttl_s", SG_FIELD(conversation.ttl_s), 60, kMaxS * 12, kLive,
              "Idle time after which a channel's history is forgotten."),
      boolKey("conversation.summarize", SG_FIELD(conversation.summarize), kLive,
              "Summarise the oldest turns with the model instead of dropping them."),

      listKey("tools.disabled", SG_FIELD(tools.disabled), kLive,
              "Tools the model is never offered."),
      makeKey("tools.permissions", KeyType::kToolPermissions,
              StringField(SG_FIELD(tools.permissions_json)), kLive,
              "Where each tool permission is allowed: {name: {\"roles\": [..], \"channels\": "
              "[..], \"guilds\": [..]}} (a permission not listed is allowed everywhere)."),
  };
#undef SG_FIELD
  Config defaults;
  for (KeySpec& key : keys) {
    key.env = environmentName(key.path);
    key.default_json = printJson(keyValueJson(key, defaults).get());
  }
  return keys;
}

// Levenshtein distance, for "did you mean".
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The key whose name (as `name_of` gives it) is nearest to `text`, if at most about a third of
// the text differs; null otherwise.
template <typename NameOf>
const KeySpec* closestKey(std::string_view text, NameOf name_of) {
  const KeySpec* best = nullptr;
  size_t best_distance = text.size() / 3 + 1;
  for (const KeySpec& key : configKeys()) {
    size_t distance = editDistance(text, name_of(key));
    if (distance < best_distance) {
      best = &key;
      best_distance = distance;
    }
  }
  return best;
}

std::string_view lastSegment(std::string_view path) {
  size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// Reads through an accessor of a const Config: accessors only hand out a reference, and these
// helpers never write through it.
template <typename Field>
auto& read(Field field, const Config& config) {
  return field(const_cast<Config&>(config));
}

JsonPtr stringArrayJson(const std::vector<std::string>& values) {
  JsonPtr array(cJSON_CreateArray());
  for (const std::string& value : values)
    cJSON_AddItemToArray(array.get(), cJSON_CreateString(value.c_str()));
  return array;
}

JsonPtr presencesJson(const std::vector<Presence>& presences) {
  JsonPtr array(cJSON_CreateArray());
  for (const Presence& presence : presences) {
    cJSON* item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "status", presence.status.c_str());
    cJSON_AddStringToObject(item, "activity", presence.activity.c_str());
    cJSON_AddItemToArray(array.get(), item);
  }
  return array;
}

std::vector<std::string> stringsFrom(const cJSON* array) {
  std::vector<std::string> values;
  for (const cJSON* item = array->child; item != nullptr; item = item->next) {
    values.emplace_back(item->valuestring);
  }
  return values;
}

std::vector<Presence> presencesFrom(const cJSON* array) {
  std::vector<Presence> presences;
  for (const cJSON* item = array->child; item != nullptr; item = item->next) {
    Presence presence;
    presence.status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "status"));
    presence.activity = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "activity"));
    presences.push_back(std::move(presence));
  }
  return presences;
}

// Keys whose value is a JSON object kept as text.
bool isObjectType(KeyType type) {
  return type == KeyType::kObject || type == KeyType::kScopeOverrides ||
         type == KeyType::kToolPermissions;
}

// Objects are kept as compact JSON text; llm.provider keeps "" for "none".
std::string objectText(const KeySpec& key, const cJSON* value) {
  if (key.type == KeyType::kObject && value->child == nullptr) return "";
  return printJson(value);
}

JsonPtr objectJson(const std::string& text) {
  JsonPtr value = text.empty() ? nullptr : parseJson(text);
  return value != nullptr ? std::move(value) : JsonPtr(cJSON_CreateObject());
}

}  // namespace

const std::vector<ScopeField>& scopeOverrideFields() {
  static const KeySpec answer = [] {
    KeySpec key{
        .path = "answer",
        .type = KeyType::kEnum,
        .reload = kLive,
        .doc = "always: every message of the scope; default: the usual rules; never: none."};
    key.choices = {"always", "default", "never"};
    return key;
  }();
  static const std::vector<ScopeField> fields = [] {
    std::vector<ScopeField> list;
    for (std::string_view path :
         {"bot.name", "bot.system_prompt_file", "bot.stream_edits", "bot.trigger_words",
          "bot.ignore_users", "llm.model", "llm.fallback_models", "llm.temperature",
          "llm.max_completion_tokens", "llm.max_tool_rounds"}) {
      list.push_back({lastSegment(path), findKey(path)});
    }
    list.push_back({answer.path, &answer});
    return list;
  }();
  return fields;
}

std::string_view reloadClassName(ReloadClass reload) {
  switch (reload) {
    case ReloadClass::kLive:
      return "live";
    case ReloadClass::kWorkerRestart:
      return "worker_restart";
    case ReloadClass::kFullRestart:
      return "full_restart";
  }
  return "full_restart";
}

const std::vector<KeySpec>& configKeys() {
  static const std::vector<KeySpec> keys = buildTable();
  return keys;
}

const KeySpec* findKey(std::string_view path) {
  static const std::map<std::string_view, const KeySpec*> index = [] {
    std::map<std::string_view, const KeySpec*> map;
    for (const KeySpec& key : configKeys()) map.emplace(key.path, &key);
    return map;
  }();
  auto it = index.find(path);
  return it == index.end() ? nullptr : it->second;
}

bool isSection(std::string_view path) {
  if (path.empty()) return false;
  for (const KeySpec& key : configKeys()) {
    if (key.path.size() > path.size() && key.path.substr(0, path.size()) == path &&
        key.path[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string suggestKey(std::string_view path) {
  const KeySpec* best = closestKey(path, [](const KeySpec& key) { return key.path; });
  if (best != nullptr) return std::string(best->path);
  // The right name in the wrong section ("redis.model" -> "llm.model", "model" -> "llm.model").
  for (const KeySpec& key : configKeys()) {
    if (lastSegment(key.path) == lastSegment(path)) return std::string(key.path);
  }
  return "";
}

std::string suggestEnvironmentName(std::string_view name) {
  const KeySpec* best =
      closestKey(name, [](const KeySpec& key) { return std::string_view(key.env); });
  return best != nullptr ? best->env : "";
}

std::string typeText(const KeySpec& key) {
  switch (key.type) {
    case KeyType::kBool:
      return "boolean";
    case KeyType::kUint:
      return fmt::format("integer {}..{}", static_cast<uint64_t>(key.min),
                         static_cast<uint64_t>(key.max));
    case KeyType::kNumber:
      return fmt::format("number {}..{}", key.min, key.max);
    case KeyType::kString:
      return "string";
    case KeyType::kEnum:
      return fmt::format("one of: {}", fmt::join(key.choices, ", "));
    case KeyType::kStringArray:
      return "array of strings";
    case KeyType::kObject:
      return "object";
    case KeyType::kScopeOverrides:
      return "object of per-channel and per-guild settings";
    case KeyType::kPresenceArray:
      return "array of {status, activity}";
    case KeyType::kToolPermissions:
      return "object of permission name -> {roles, channels, guilds}";
    case KeyType::kSecret:
      return "string (secret)";
  }
  return "";
}

std::string usageText() {
  std::string text;
  for (const KeySpec& key : configKeys()) {
    text += fmt::format("  {}  ({}; default {}; {}; env {})\n      {}\n", key.path, typeText(key),
                        key.default_json, reloadClassName(key.reload), key.env, key.doc);
  }
  return text;
}

JsonPtr keyValueJson(const KeySpec& key, const Config& config) {
  return std::visit(
      [&](auto field) -> JsonPtr {
        const auto& value = read(field, config);
        using Value = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<Value, bool>) {
          return JsonPtr(cJSON_CreateBool(value));
        } else if constexpr (std::is_same_v<Value, uint32_t>) {
          return JsonPtr(cJSON_CreateNumber(value));
        } else if constexpr (std::is_same_v<Value, std::optional<double>>) {
          return JsonPtr(value ? cJSON_CreateNumber(*value) : cJSON_CreateNull());
        } else if constexpr (std::is_same_v<Value, std::string>) {
          bool object = isObjectType(key.type);
          return object ? objectJson(value) : JsonPtr(cJSON_CreateString(value.c_str()));
        } else if constexpr (std::is_same_v<Value, std::vector<std::string>>) {
          return stringArrayJson(value);
        } else if constexpr (std::is_same_v<Value, Secret>) {
          return JsonPtr(cJSON_CreateString(value.reveal().c_str()));
        } else {
          return presencesJson(value);
        }
      },
      key.field);
}

void setKeyValue(const KeySpec& key, const cJSON* value, Config& config) {
  if (value == nullptr || cJSON_IsNull(value)) {
    static const Config defaults;
    copyKeyValue(key, defaults, config);
    return;
  }
  std::visit(
      [&](auto field) {
        auto& target = field(config);
        using Value = std::decay_t<decltype(target)>;
        if constexpr (std::is_same_v<Value, bool>) {
          target = cJSON_IsTrue(value);
        } else if constexpr (std::is_same_v<Value, uint32_t>) {
          target = static_cast<uint32_t>(value->valuedouble);
        } else if constexpr (std::is_same_v<Value, std::optional<double>>) {
          target = value->valuedouble;
        } else if constexpr (std::is_same_v<Value, std::string>) {
          bool object = isObjectType(key.type);
          target = object ? objectText(key, value) : std::string(value->valuestring);
        } else if constexpr (std::is_same_v<Value, std::vector<std::string>>) {
          target = stringsFrom(value);
        } else if constexpr (std::is_same_v<Value, Secret>) {
          target = Secret(value->valuestring);
        } else {
          target = presencesFrom(value);
        }
      },
      key.field);
}

bool keyValueEqual(const KeySpec& key, const Config& a, const Config& b) {
  if (isObjectType(key.type)) {
    return jsonEqual(keyValueJson(key, a).get(), keyValueJson(key, b).get());
  }
  return std::visit([&](auto field) { return read(field, a) == read(field, b); }, key.field);
}

void copyKeyValue(const KeySpec& key, const Config& from, Config& to) {
  std::visit([&](auto field) { field(to) = read(field, from); }, key.field);
}

}  // namespace sg
