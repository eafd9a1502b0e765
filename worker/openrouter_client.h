// OpenRouterClient: every chat completion the worker asks of a model goes through it, on the
// worker's libuv loop, over libcurl multi (curl_multi.h). It speaks OpenRouter's
// OpenAI-compatible API and any other OpenAI-compatible server (vLLM, llama.cpp, Ollama).
//
// Per call: attempts with a per-attempt timeout, a time-to-first-token timeout and an overall
// deadline; retries of 408/429/5xx, connection errors, timeouts and broken streams with
// exponential backoff and jitter, honouring Retry-After up to llm.retry_max_ms; no retry of
// 400/401/403/404/413/422 (402 only with Retry-After). Fallback models are sent as OpenRouter's
// `models` array on OpenRouter, and tried client-side, in order, elsewhere. Across calls: a model
// failing llm.cooldown_failures times in a row is cooled down for llm.cooldown_s, and calls go
// straight to the next model meanwhile (it is tried last, not never).
//
// Ownership and timing: the client borrows the CurlMulti (which must outlive it) and owns its
// calls. Callbacks run on the loop and never inside chat(), cancel() or cancelAll(). onDelta may
// run many times, then onComplete exactly once, always from a later loop turn than the event that
// ended the call; after cancel(id) returns, that call's onDelta and onRetry never run again.
// Callbacks may call chat(), cancel() and cancelAll(); they must not destroy the client.
// It does not run tools, keep conversations or count tokens before sending: that is the caller's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config.h"
#include "worker/call_registry.h"
#include "worker/chat_types.h"
#include "worker/curl_multi.h"

namespace sg {

// Counters for metrics; read them at any time (they only grow, except `inflight`).
struct LlmStats {
  static constexpr size_t kLatencyBuckets = 12;
  // Upper bounds (ms) of the latency histogram buckets; a last bucket counts everything slower.
  static constexpr std::array<uint64_t, kLatencyBuckets> kLatencyBoundsMs = {
      100, 250, 500, 1000, 2500, 5000, 10000, 20000, 30000, 60000, 120000, 300000};

  uint64_t calls = 0;                                   // chat() calls
  std::array<uint64_t, kChatErrorCount> outcomes{};     // completed calls by ChatError (kNone: ok)
  uint64_t attempts = 0;                                // HTTP attempts
  uint64_t retries = 0;                                 // attempts again on the same model
  uint64_t fallbacks = 0;                               // attempts moved to another model
  uint64_t cooldowns = 0;                               // models put in cooldown
  std::array<uint64_t, kLatencyBuckets + 1> latency{};  // per bucket, not cumulative
  uint64_t latency_sum_ms = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t cached_tokens = 0;
  uint64_t reasoning_tokens = 0;
  double cost = 0;
};

class OpenRouterClient {
 public:
  using ConfigSnapshot = std::shared_ptr<const LlmConfig>;

  // `multi` must outlive the client. From a whole Config, pass
  // std::shared_ptr<const LlmConfig>(config, &config->llm).
  OpenRouterClient(CurlMulti& multi, ConfigSnapshot config);
  // Drops calls in flight without calling their callbacks (cancelAll() first, and run the loop,
  // to have them completed).
  ~OpenRouterClient();
  OpenRouterClient(const OpenRouterClient&) = delete;
  OpenRouterClient& operator=(const OpenRouterClient&) = delete;

  // A new configuration for calls started from now on (calls in flight keep theirs).
  void setConfig(ConfigSnapshot config);
  const ConfigSnapshot& config() const { return config_; }

  // Starts a call and returns its id (never 0). The request is taken; callbacks.onComplete is
  // required. Even a request that cannot be sent completes through onComplete, later.
  uint64_t chat(ChatRequest request, ChatCallbacks callbacks);

  // Completes the call with ChatError::kCancelled (on a later loop turn) and frees its transfer at
  // once. False when the id is unknown or the call has already completed (its onComplete then
  // brings the real result).
  bool cancel(uint64_t id);
  void cancelAll();

  size_t inflight() const { return calls_.size(); }
  const LlmStats& stats() const { return stats_; }
  // True while `model` is cooled down after repeated failures.
  bool coolingDown(const std::string& model) const;

 private:
  class Call;
  struct ModelHealth {
    uint32_t failures = 0;  // in a row
    uint64_t cooled_until_ms = 0;
  };

  void deliver(std::unique_ptr<Call> call);
  void record(const ChatResult& result);
  void modelFailed(const std::string& model);
  void modelSucceeded(const std::string& model);
  // Candidates ordered for a new attempt: models not cooling down first, in their order.
  std::vector<std::string> order(const std::vector<std::string>& candidates) const;

  CurlMulti& multi_;
  ConfigSnapshot config_;
  CallRegistry<Call> calls_;
  std::unordered_map<std::string, ModelHealth> health_;
  LlmStats stats_;
};

}  // namespace sg
