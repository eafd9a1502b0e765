// The processor's counters as JSON (see processor_stats.h).
#include "worker/processor_stats.h"

namespace sg {
namespace {

void add(cJSON* object, const char* name, uint64_t value) {
  cJSON_AddNumberToObject(object, name, static_cast<double>(value));
}

JsonPtr llmJson(const LlmStats& llm) {
  JsonPtr object(cJSON_CreateObject());
  add(object.get(), "calls", llm.calls);
  add(object.get(), "attempts", llm.attempts);
  add(object.get(), "retries", llm.retries);
  add(object.get(), "fallbacks", llm.fallbacks);
  add(object.get(), "cooldowns", llm.cooldowns);
  cJSON* outcomes = cJSON_AddObjectToObject(object.get(), "outcomes");
  for (size_t i = 0; i < kChatErrorCount; ++i) {
    if (llm.outcomes[i] != 0)
      add(outcomes, chatErrorName(static_cast<ChatError>(i)), llm.outcomes[i]);
  }
  add(object.get(), "latency_sum_ms", llm.latency_sum_ms);
  add(object.get(), "prompt_tokens", llm.prompt_tokens);
  add(object.get(), "completion_tokens", llm.completion_tokens);
  add(object.get(), "cached_tokens", llm.cached_tokens);
  add(object.get(), "reasoning_tokens", llm.reasoning_tokens);
  cJSON_AddNumberToObject(object.get(), "cost", llm.cost);
  return object;
}

}  // namespace

JsonPtr processorStatsJson(const ProcessorStats& stats, const LlmStats& llm) {
  JsonPtr object(cJSON_CreateObject());
  cJSON* root = object.get();
  add(root, "jobs", stats.jobs);
  add(root, "answered", stats.answered);
  add(root, "ignored", stats.ignored);
  add(root, "apologies", stats.apologies);
  add(root, "empty_answers", stats.empty_answers);
  add(root, "cancelled", stats.cancelled);
  add(root, "model_calls", stats.model_calls);
  cJSON* tools = cJSON_AddObjectToObject(root, "tool_calls");
  add(tools, "ok", stats.tool_calls_ok);
  add(tools, "error", stats.tool_calls_error);
  add(tools, "timeout", stats.tool_calls_timeout);
  add(root, "rounds_exhausted", stats.rounds_exhausted);
  add(root, "stream_edits", stats.stream_edits);
  add(root, "cache_errors", stats.cache_errors);
  add(root, "history_errors", stats.history_errors);
  add(root, "summaries", stats.summaries);
  add(root, "summary_failures", stats.summary_failures);
  cJSON_AddItemToObject(root, "llm", llmJson(llm).release());
  return object;
}

}  // namespace sg
