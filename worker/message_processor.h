// LlmMessageProcessor: the worker's real processor (`consumer.processor: "llm"`): from an
// incoming message to the bot's reply with the configured model, its tools and the channel's
// history. Per job it resolves the scope's settings (bot.overrides), decides whether to answer
// (answer_policy.h); a message it does not answer is only cached, one it answers gets a ReplyRun
// (reply_run.h: typing, context, tool loop, reply, history). It owns what runs share: the LLM
// client with its CurlMulti, the tool registry, the message cache, the conversation store, the
// compiled prompt templates, the counters; and the background summaries of histories over their
// budget (conversation.summarize), which run after the reply was committed so that nobody waits
// for them (a failed or cut summary falls back to dropping the oldest turns; a later reply
// retries).
//
// Configuration: start() and updateConfig() compile the prompt templates the configuration
// names; a template that cannot be read or compiled refuses the configuration (the running one
// stays). Runs in flight keep the snapshot they started with.
//
// Not here: ordering, fencing, commit and acknowledgement (the consumer), the tools themselves
// (builtin_tools.*, registered through tools()), gateway calls (gateway_rpc.h).
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "common/config.h"
#include "common/life_token.h"
#include "common/redis_client.h"
#include "worker/conversation_manager.h"
#include "worker/curl_multi.h"
#include "worker/message_cache.h"
#include "worker/openrouter_client.h"
#include "worker/processor.h"
#include "worker/processor_stats.h"
#include "worker/prompt_renderer.h"
#include "worker/scope_settings.h"
#include "worker/tool_registry.h"

namespace sg {

class ReplyRun;

class LlmMessageProcessor final : public MessageProcessor {
 public:
  // `redis` (the worker's command connection) must outlive the processor.
  LlmMessageProcessor(uv_loop_t* loop, RedisClient& redis, ConfigPtr config, std::string worker_id);
  // Cancels the runs and summaries in flight without finishing their jobs (the consumer, gone
  // first, has cancelled them already).
  ~LlmMessageProcessor() override;
  LlmMessageProcessor(const LlmMessageProcessor&) = delete;
  LlmMessageProcessor& operator=(const LlmMessageProcessor&) = delete;

  // Compiles the prompt templates of the initial configuration; false (and why) when one is
  // unreadable or invalid. Call before the first process().
  [[nodiscard]] bool start(std::string* error);
  void process(std::shared_ptr<ProcessJob> job) override;
  // A new configuration for the jobs that start from now on; false (and why), keeping the
  // running one, when its templates cannot be loaded.
  [[nodiscard]] bool updateConfig(ConfigPtr config, std::string* error);

  // The worker is draining: cancel background summaries and start no more, so that nothing of
  // ours outlives the drain (replies in progress belong to their jobs and end with them).
  void stopBackground();

  // Where tools are registered (before the first job, or between jobs).
  ToolRegistry& tools() { return tools_; }
  // Gateway calls for tools that need them; null (the default) makes such tools report that the
  // gateway is unavailable. Must outlive the processor when set.
  void setGateway(GatewayRpc* gateway) { gateway_ = gateway; }

  const ProcessorStats& stats() const { return stats_; }
  // Summaries not yet settled (model call or history write in flight).
  size_t summariesInFlight() const { return summaries_.size(); }
  const LlmStats& llmStats() const { return llm_->stats(); }
  void reportMetrics(MetricsReport& report) const override {
    reportProcessorMetrics(stats_, llmStats(), report);
  }
  size_t activeRuns() const { return runs_.size(); }

 private:
  void ignore(const std::shared_ptr<ProcessJob>& job, const Config& config,
              std::string_view reason);
  void summarize(const std::string& key, std::vector<Exchange> exchanges, ConfigPtr config);
  void onSummary(const std::string& key, const std::vector<std::string>& head_ids,
                 const ConfigPtr& config, ChatResult result);

  uv_loop_t* loop_;
  RedisClient& redis_;
  std::string worker_id_;
  ConfigPtr config_;
  std::unique_ptr<ScopeResolver> scopes_;
  std::shared_ptr<const PromptRenderer> prompts_;
  std::unique_ptr<CurlMulti> multi_;
  std::unique_ptr<OpenRouterClient> llm_;
  ToolRegistry tools_;
  GatewayRpc* gateway_ = nullptr;
  MessageCache cache_;
  ConversationManager conversations_;
  ProcessorStats stats_;
  uint64_t next_run_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<ReplyRun>> runs_;
  // History key -> its summary's model call in flight (0 once the call is over and the history
  // write is under way); an entry lives until that write has answered.
  std::unordered_map<std::string, uint64_t> summaries_;
  bool background_stopped_ = false;
  LifeToken life_;
};

}  // namespace sg
