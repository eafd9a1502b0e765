// Configuration: one immutable, validated snapshot (`Config`) built from, in order, the built-in
// defaults, the JSON file, the Redis overrides (an RFC 7396 merge patch), environment variables
// and command-line flags. One table of keys (config_keys.cc) drives parsing, validation, --help,
// the reload classes and the man-page check.
//
// This file does not read Redis or watch files: callers hand it JSON text and decide when to
// rebuild. A rebuild that fails leaves the caller's running snapshot untouched.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"

namespace sg {

struct RedisConfig {
  std::string url = "redis://127.0.0.1:6379/0";  // redis://[:password@]host[:port][/db] or unix:///path
  uint32_t connect_timeout_ms = 2000;
  uint32_t command_timeout_ms = 5000;
  uint32_t reconnect_base_ms = 100;
  uint32_t reconnect_max_ms = 5000;
};

struct LlmConfig {
  std::string base_url = "https://openrouter.ai/api/v1";
  std::string model = "openai/gpt-4o-mini";
  std::vector<std::string> fallback_models;
  Secret api_key;  // llm.api_key, else OPENROUTER_API_KEY
  bool stream = true;
  uint32_t max_completion_tokens = 1024;
  std::optional<double> temperature;
  uint32_t max_tool_rounds = 5;
  uint32_t timeout_ms = 120000;             // overall deadline of one call, retries included
  uint32_t attempt_timeout_ms = 60000;      // one HTTP attempt
  uint32_t first_token_timeout_ms = 30000;  // time to the first byte of the body
  uint32_t connect_timeout_ms = 5000;
  uint32_t max_retries = 3;
  uint32_t retry_base_ms = 500;
  uint32_t retry_max_ms = 30000;            // cap on a backoff delay and on Retry-After
  uint32_t cooldown_failures = 3;           // consecutive failures that cool a model down
  uint32_t cooldown_s = 60;
  std::string http_referer;                 // OpenRouter's optional HTTP-Referer
  std::string title;                        // OpenRouter's optional X-Title
  std::string provider_json;                // `provider` routing object, passed through ("" = none)
  std::vector<std::string> vision_models;   // models that accept image parts
  std::string embedding_model = "openai/text-embedding-3-small";
  uint32_t max_connections = 0;             // 0: libcurl's default; total connections to the API
  // "auto": OpenRouter when base_url's host is openrouter.ai; "openrouter": its extensions
  // (models, session_id, provider, transforms, usage) against any host; "openai": none of them.
  std::string dialect = "auto";
};

struct LimitsConfig {
  uint32_t payload_bytes = 256 * 1024;
  uint32_t content_bytes = 16 * 1024;
  uint32_t attachments = 32;
  uint32_t depth = 16;
};

struct ConsumerConfig {
  uint32_t max_inflight = 64;        // channels processed at once by one worker
  uint32_t claim_idle_ms = 60000;    // channel lock lease: an unrenewed channel is taken over after it
  uint32_t max_deliveries = 5;
  uint32_t max_age_s = 600;
  uint32_t read_batch = 128;         // entries taken per read
  uint32_t block_ms = 2000;          // how long a blocking read waits
  uint32_t retry_delay_ms = 1000;    // before retrying an entry whose processing failed
  uint32_t done_ttl_s = 86400;       // how long an event's published actions are remembered
  uint32_t trim_interval_s = 10;     // MINID trimming of acknowledged entries (0: never)
  std::string processor = "llm";     // "llm"; "echo" is a diagnostic/benchmark double
  uint32_t echo_delay_ms = 0;        // echo processor: max random delay
};

struct OutboundConfig {
  uint32_t maxlen = 100000;  // MAXLEN ~ cap of sg:stream:outbound:<platform>; 0: no cap
};

// Gateway calls (bus protocol section 3) made by the built-in tools.
struct GatewayConfig {
  uint32_t timeout_ms = 5000;  // deadline of one call; past it the tool reports a timeout
};

struct Presence {
  std::string status;  // online, idle, dnd
  std::string activity;
  bool operator==(const Presence&) const = default;
};

struct StatusConfig {
  uint32_t lease_ms = 15000;
  uint32_t interval_s = 60;
  std::vector<Presence> presences;
  std::vector<std::string> platforms = {"discord"};  // outbound streams that get set_presence
};

struct ShutdownConfig {
  uint32_t drain_s = 30;
};

struct HeartbeatConfig {
  uint32_t interval_ms = 5000;
};

struct HealthConfig {
  std::string listen = "127.0.0.1:9464";
};

struct LogConfig {
  std::string level = "info";
  std::string format = "text";
  std::string file;  // empty: stderr
};

struct SupervisorConfig {
  uint32_t restart_base_ms = 500;
  uint32_t restart_max_ms = 30000;
  uint32_t restart_intensity = 10;  // more restarts than this within restart_period_s: give up
  uint32_t restart_period_s = 60;
  uint32_t worker_timeout_ms = 30000;  // no report on the control pipe for this long: SIGABRT
  std::string pidfile;
};

// Per-scope overrides of the bot's behaviour (issue: message processor). Keys are channel or
// guild ids; values are objects of the settings listed by scopeOverrideFields() (config_keys.h:
// some bot.* and llm.* keys, plus "answer"), validated by the loader, kept as JSON text and
// applied by the worker (a channel's settings over its guild's).
struct BotConfig {
  std::string name = "Stargazer";
  std::string system_prompt_file;  // template; empty: the built-in prompt
  bool stream_edits = false;
  std::vector<std::string> answer_channels;  // always answer in these
  std::vector<std::string> ignore_channels;
  std::vector<std::string> ignore_users;
  std::vector<std::string> trigger_words;
  std::string overrides_json = "{}";  // {"channels": {id: {...}}, "guilds": {id: {...}}}
};

// The recent messages of each channel (answered or not) kept in Redis for the model's context.
struct CacheConfig {
  uint32_t max_messages = 50;  // per channel; the oldest go first
  uint32_t max_age_s = 3600;   // older messages are dropped
};

// The per-channel (per-thread) history the model sees again: user turns, replies, tool calls.
struct ConversationConfig {
  uint32_t max_tokens = 4000;  // estimated budget of the stored history (system prompt apart)
  uint32_t ttl_s = 604800;     // a conversation idle this long is forgotten
  bool summarize = false;      // summarise the oldest turns instead of dropping them
};

// Which tools the model may call. `permissions_json`: {"<permission>": {"roles": [...],
// "channels": [...], "guilds": [...]}}; a listed permission is allowed only where one matches.
struct ToolsConfig {
  std::vector<std::string> disabled;
  std::string permissions_json = "{}";
};

struct Config {
  uint32_t workers = 2;
  RedisConfig redis;
  LlmConfig llm;
  LimitsConfig limits;
  ConsumerConfig consumer;
  OutboundConfig outbound;
  GatewayConfig gateway;
  StatusConfig status;
  ShutdownConfig shutdown;
  HeartbeatConfig heartbeat;
  HealthConfig health;
  LogConfig log;
  SupervisorConfig supervisor;
  BotConfig bot;
  CacheConfig cache;
  ConversationConfig conversation;
  ToolsConfig tools;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace sg
