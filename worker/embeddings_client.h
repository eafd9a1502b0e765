// EmbeddingsClient: vectors for texts from `POST {llm.base_url}/embeddings` (OpenAI-compatible),
// many inputs per request, on the worker's loop and CurlMulti, for the memory features. Retries
// follow the chat client's rules (llm_errors.h: 408/429/5xx and connection errors, backoff with
// jitter, Retry-After up to llm.retry_max_ms) under llm.timeout_ms; there are no fallback models.
//
// Ownership and timing as in OpenRouterClient: the CurlMulti must outlive the client; onComplete
// runs exactly once, on a later loop turn, never inside embed(), cancel() or cancelAll().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "worker/call_registry.h"
#include "worker/chat_types.h"
#include "worker/curl_multi.h"

namespace sg {

struct EmbeddingsResult {
  ChatError error = ChatError::kNone;
  std::string message;
  long http_status = 0;
  std::vector<std::vector<float>> vectors;  // one per input, in the order of the inputs
  std::string model;
  ChatUsage usage;
  unsigned attempts = 0;

  bool ok() const { return error == ChatError::kNone; }
};

class EmbeddingsClient {
 public:
  static constexpr size_t kMaxInputs = 2048;  // per request, as OpenAI's API allows
  using ConfigSnapshot = std::shared_ptr<const LlmConfig>;
  using Callback = std::function<void(EmbeddingsResult result)>;

  EmbeddingsClient(CurlMulti& multi, ConfigSnapshot config);
  ~EmbeddingsClient();  // drops requests in flight without calling back
  EmbeddingsClient(const EmbeddingsClient&) = delete;
  EmbeddingsClient& operator=(const EmbeddingsClient&) = delete;

  void setConfig(ConfigSnapshot config) { config_ = std::move(config); }

  // Embeds `inputs` (1 to kMaxInputs texts) with llm.embedding_model, or `model` when given.
  // Returns the request's id (never 0).
  uint64_t embed(std::vector<std::string> inputs, Callback onComplete, std::string model = {});
  bool cancel(uint64_t id);
  void cancelAll();
  size_t inflight() const { return requests_.size(); }

 private:
  class Request;
  void deliver(std::unique_ptr<Request> request);

  CurlMulti& multi_;
  ConfigSnapshot config_;
  CallRegistry<Request> requests_;
};

}  // namespace sg
