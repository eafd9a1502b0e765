// The JSON body of a chat completions request, built from a ChatRequest and the LLM
// configuration: messages (assistant tool calls and reasoning_details sent back unchanged, tool
// results), tools sent whole, tool_choice, max_completion_tokens (never the deprecated
// max_tokens), streaming with usage, and on OpenRouter the `models` fallback array, `session_id`,
// `provider` routing, `transforms: []` (no middle-out compression) and usage accounting.
//
// It does not choose the model: the caller sets it (and the fallback list) for each attempt.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/json.h"
#include "worker/chat_types.h"

namespace sg {

// True when the configuration talks to OpenRouter: llm.dialect "openrouter", or "auto" with
// base_url's host being openrouter.ai.
bool isOpenRouter(const LlmConfig& config);

// `{base_url}/{path}` without a doubled slash.
std::string apiUrl(const LlmConfig& config, const char* path);

class ChatRequestJson {
 public:
  // Builds everything but the model; false with `error` when a raw JSON field of the request or
  // of the configuration (provider) is not valid JSON of the right kind.
  [[nodiscard]] bool build(const ChatRequest& request, const LlmConfig& config, bool openrouter,
                           std::string* error);

  // The body for one attempt at `model`; `models` (OpenRouter's fallback array, primary first)
  // is sent when it has more than one entry.
  std::string render(const std::string& model, const std::vector<std::string>& models);

  bool stream() const { return stream_; }

 private:
  [[nodiscard]] bool addOpenRouterFields(const ChatRequest& request, const LlmConfig& config,
                                         std::string* error);

  JsonPtr body_;
  bool stream_ = false;
};

}  // namespace sg
