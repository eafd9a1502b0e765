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

namespace {

void reportProcessor(const ProcessorStats& s, MetricsReport& report) {
  report.counter("processor_jobs_total", "Entries handed to the message processor.",
                 double(s.jobs));
  constexpr std::string_view kOutcomes = "Processor jobs by outcome.";
  const std::pair<const char*, uint64_t> outcomes[] = {
      {"answered", s.answered},        {"ignored", s.ignored},     {"apology", s.apologies},
      {"empty_answer", s.empty_answers}, {"cancelled", s.cancelled}};
  for (const auto& [outcome, count] : outcomes) {
    report.counter("processor_outcomes_total", kOutcomes, double(count), {{"outcome", outcome}});
  }
  report.counter("model_calls_total", "Chat calls made by reply runs.", double(s.model_calls));
  constexpr std::string_view kTools = "Tool calls by result.";
  report.counter("tool_calls_total", kTools, double(s.tool_calls_ok), {{"result", "ok"}});
  report.counter("tool_calls_total", kTools, double(s.tool_calls_error), {{"result", "error"}});
  report.counter("tool_calls_total", kTools, double(s.tool_calls_timeout),
                 {{"result", "timeout"}});
  report.counter("tool_rounds_exhausted_total", "Runs that reached llm.max_tool_rounds.",
                 double(s.rounds_exhausted));
  report.counter("stream_edits_total", "edit_message actions published while streaming.",
                 double(s.stream_edits));
  report.counter("cache_errors_total", "Message cache reads or writes that failed.",
                 double(s.cache_errors));
  report.counter("history_errors_total", "History loads or writes that failed.",
                 double(s.history_errors));
  constexpr std::string_view kSummaries = "History summaries by result.";
  report.counter("summaries_total", kSummaries, double(s.summaries), {{"result", "ok"}});
  report.counter("summaries_total", kSummaries, double(s.summary_failures),
                 {{"result", "failed"}});
}

void reportLlm(const LlmStats& llm, MetricsReport& report) {
  constexpr std::string_view kOutcomes = "Completed LLM calls by outcome (ok or the error).";
  for (size_t i = 0; i < kChatErrorCount; ++i) {
    report.counter("llm_calls_total", kOutcomes, double(llm.outcomes[i]),
                   {{"outcome", chatErrorName(static_cast<ChatError>(i))}});
  }
  report.counter("llm_attempts_total", "HTTP attempts to the LLM API.", double(llm.attempts));
  report.counter("llm_retries_total", "Attempts again on the same model.", double(llm.retries));
  report.counter("llm_fallbacks_total", "Attempts moved to a fallback model.",
                 double(llm.fallbacks));
  report.counter("llm_cooldowns_total", "Models put in cooldown.", double(llm.cooldowns));
  HistogramValue latency;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LlmStats::kLatencyBuckets; ++i) {
    cumulative += llm.latency[i];
    latency.buckets.emplace_back(double(LlmStats::kLatencyBoundsMs[i]) / 1000, cumulative);
  }
  latency.count = cumulative + llm.latency[LlmStats::kLatencyBuckets];
  latency.sum = double(llm.latency_sum_ms) / 1000;
  report.histogram("llm_call_duration_seconds", "Duration of completed LLM calls.", latency);
  constexpr std::string_view kTokens = "Tokens reported by the LLM API, by kind.";
  report.counter("llm_tokens_total", kTokens, double(llm.prompt_tokens), {{"kind", "prompt"}});
  report.counter("llm_tokens_total", kTokens, double(llm.completion_tokens),
                 {{"kind", "completion"}});
  report.counter("llm_tokens_total", kTokens, double(llm.cached_tokens), {{"kind", "cached"}});
  report.counter("llm_tokens_total", kTokens, double(llm.reasoning_tokens),
                 {{"kind", "reasoning"}});
  report.counter("llm_cost_total", "Cost reported by the LLM API (its currency, usually USD).",
                 llm.cost);
}

}  // namespace

void reportProcessorMetrics(const ProcessorStats& stats, const LlmStats& llm,
                            MetricsReport& report) {
  reportProcessor(stats, report);
  reportLlm(llm, report);
}

}  // namespace sg
