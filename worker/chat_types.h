// The model of one chat completion as the rest of the worker sees it: the request (messages, tool
// specs, per-call options), the result (content, assembled tool calls, usage, the model actually
// used, the generation id, reasoning details kept as raw JSON) and the named errors. Plain data:
// no I/O, no JSON. OpenRouterClient (openrouter_client.h) turns these into HTTP and back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg {

// Why a call failed. kNone is success. The names (chatErrorName) are metric label values.
enum class ChatError : uint8_t {
  kNone = 0,
  kCancelled,          // cancel() or cancelAll()
  kDeadline,           // llm.timeout_ms passed (retries and fallbacks included)
  kFirstTokenTimeout,  // the last attempt sent nothing within llm.first_token_timeout_ms
  kAttemptTimeout,     // the last attempt timed out (connect or llm.attempt_timeout_ms)
  kConnection,         // could not connect, or the connection broke
  kRateLimited,        // 429 (or 402 with Retry-After) after the retries
  kServerError,        // 408 or 5xx after the retries
  kClientError,        // 400, 404, 413, 422 or another status that retrying cannot fix
  kAuth,               // 401, 402, 403: the key or the account
  kUpstream,           // a 200 carrying an error: mid-stream error event, finish_reason "error"
  kTruncated,          // the stream ended without [DONE] and without a finish_reason
  kMalformed,          // a body or event that is not the protocol
  kBadToolCall,        // a tool call without a name or whose arguments are not one JSON object
  kInvalidRequest,     // the request could not be built (no model, bad raw JSON in it)
  kInternal,           // a local failure (libcurl could not start a transfer)
};
inline constexpr size_t kChatErrorCount = 16;
const char* chatErrorName(ChatError error);

enum class ChatRole : uint8_t { kSystem, kUser, kAssistant, kTool };
const char* chatRoleName(ChatRole role);

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // in a successful result: one JSON object, as the model wrote it
};

// A function the model may call. `parameters_json` is a JSON Schema object, as text.
struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters_json = R"({"type":"object","properties":{}})";
};

struct ChatResult;

struct ChatMessage {
  ChatRole role = ChatRole::kUser;
  std::string content;
  // A JSON array of content parts ([{"type":"text",...},{"type":"image_url",...}]); when set it is
  // sent instead of `content`.
  std::string content_parts_json;
  std::string name;                     // optional participant name
  std::vector<ToolCall> tool_calls;     // assistant: the calls it made
  std::string reasoning_details_json;   // assistant: as the model returned it, sent back unchanged
  std::string tool_call_id;             // tool: the call this message answers

  static ChatMessage system(std::string text);
  static ChatMessage user(std::string text);
  static ChatMessage assistant(std::string text);
  static ChatMessage tool(std::string tool_call_id, std::string content);
  // The assistant turn of a result, to append before the tool results of the next round: its
  // content, tool calls and reasoning details, unchanged.
  static ChatMessage assistantFrom(const ChatResult& result);
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolSpec> tools;  // sent whole on every round
  // "" (not sent), "auto", "none", "required", or the name of one tool to force.
  std::string tool_choice;
  // Keeps a conversation on one provider and its prompt cache (OpenRouter); e.g. the channel id.
  std::string session_id;
  std::string model;  // "" = llm.model
  // The models tried after `model` (a channel's override); nullopt = llm.fallback_models.
  std::optional<std::vector<std::string>> fallback_models;
  std::optional<bool> stream;                     // default llm.stream
  std::optional<uint32_t> max_completion_tokens;  // default llm.max_completion_tokens
  std::optional<double> temperature;              // default llm.temperature
  std::string subject;  // names the call in logs (channel, entry id); never a secret
};

struct ChatUsage {
  bool reported = false;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  uint64_t cached_tokens = 0;     // prompt_tokens_details.cached_tokens
  uint64_t reasoning_tokens = 0;  // completion_tokens_details.reasoning_tokens
  std::optional<double> cost;     // in credits (US dollars on OpenRouter) when reported
};

struct ChatResult {
  ChatError error = ChatError::kNone;
  std::string message;   // what went wrong, for logs and operators (never contains the key)
  long http_status = 0;  // of the last attempt (0: no response)

  std::string content;
  std::string reasoning;               // reasoning text when the model shares it
  std::string reasoning_details_json;  // raw JSON array, "" when none
  std::vector<ToolCall> tool_calls;    // empty unless the call succeeded
  std::string finish_reason;           // "stop", "tool_calls", "length", "content_filter", ...
  ChatUsage usage;
  std::string model;          // the model that answered
  std::string generation_id;  // X-Generation-Id, else the response id
  unsigned attempts = 0;      // HTTP attempts made, across fallbacks
  uint64_t latency_ms = 0;    // from chat() to completion

  bool ok() const { return error == ChatError::kNone; }
};

// A retry or a fallback about to happen. Text streamed so far is void: the next attempt streams
// its answer from the start.
struct ChatRetry {
  unsigned attempt = 0;  // the attempt that failed (1-based)
  ChatError reason = ChatError::kNone;
  long http_status = 0;
  std::string message;
  std::string next_model;  // the model of the next attempt
  uint64_t delay_ms = 0;   // before the next attempt (Retry-After or backoff)
  bool fallback = false;   // the next attempt uses another model
};

struct ChatCallbacks {
  // Streamed content as it arrives (streaming calls only). Optional.
  std::function<void(std::string_view text)> onDelta;
  // Before each retry or fallback. Optional.
  std::function<void(const ChatRetry& retry)> onRetry;
  // Exactly once per call. Required.
  std::function<void(ChatResult result)> onComplete;
};

}  // namespace sg
