// Counters of the LLM message processor, for metrics and logs (the LLM client keeps its own,
// LlmStats). Plain numbers that only grow; the processor and its runs update them. Also their
// JSON form, added to the worker's liveness record (and for whoever exports metrics).
#pragma once

#include <cstdint>

#include "common/json.h"
#include "common/metrics_report.h"
#include "worker/openrouter_client.h"

namespace sg {

struct ProcessorStats {
  uint64_t jobs = 0;           // entries handed to the processor
  uint64_t answered = 0;       // finished with a reply from the model
  uint64_t ignored = 0;        // not addressed to the bot (cached only)
  uint64_t apologies = 0;      // the model failed (every retry and fallback): apology sent
  uint64_t empty_answers = 0;  // the model answered nothing: the apology was sent instead
  uint64_t cancelled = 0;      // runs cut by the consumer (lock lost, worker stopping)
  uint64_t model_calls = 0;    // chat calls made by runs (rounds, final calls)
  uint64_t tool_calls_ok = 0;
  uint64_t tool_calls_error = 0;    // the tool failed, or is unknown or not allowed here
  uint64_t tool_calls_timeout = 0;  // no result within the tool deadline
  uint64_t rounds_exhausted = 0;    // llm.max_tool_rounds reached: final call without tools
  uint64_t stream_edits = 0;        // edit_message actions published while streaming
  uint64_t cache_errors = 0;        // message cache writes or reads that failed
  uint64_t history_errors = 0;      // history loads or writes that failed
  uint64_t summaries = 0;           // history summaries folded in
  uint64_t summary_failures = 0;    // summaries that failed (the oldest turns were dropped)
};

// {"jobs": .., "answered": .., ..., "tool_calls": {"ok", "error", "timeout"}, "llm": {"calls",
// "attempts", "retries", "fallbacks", "outcomes": {name: count}, "prompt_tokens", ...}}.
[[nodiscard]] JsonPtr processorStatsJson(const ProcessorStats& stats, const LlmStats& llm);

// The same counters as metric families for the supervisor's /metrics (metrics_report.h):
// processor_jobs_total, processor_outcomes_total{outcome}, model_calls_total,
// tool_calls_total{result}, ..., llm_calls_total{outcome}, llm_attempts_total, llm_retries_total,
// llm_fallbacks_total, llm_cooldowns_total, llm_call_duration_seconds (histogram),
// llm_tokens_total{kind}, llm_cost_total.
void reportProcessorMetrics(const ProcessorStats& stats, const LlmStats& llm,
                            MetricsReport& report);

}  // namespace sg
