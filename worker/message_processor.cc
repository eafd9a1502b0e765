// LlmMessageProcessor: decisions, runs and background summaries (see message_processor.h).
#include "worker/message_processor.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>

#include "common/log.h"
#include "worker/answer_policy.h"
#include "worker/reply_run.h"
#include "worker/reply_splitter.h"

namespace sg {
namespace {

constexpr size_t kMaxConcurrentSummaries = 4;

constexpr std::string_view kSummaryInstructions =
    "You keep the memory of a chat bot. Summarise the conversation below in at most 200 words, "
    "as notes for the bot itself: who said what that matters, facts and decisions, questions "
    "still open. Keep names. Write only the summary.";
constexpr uint32_t kSummaryMaxTokens = 512;
constexpr size_t kTranscriptQuoteChars = 1000;

OpenRouterClient::ConfigSnapshot llmView(const ConfigPtr& config) {
  return OpenRouterClient::ConfigSnapshot(config, &config->llm);
}

std::string clip(std::string_view text, size_t chars) {
  return std::string(truncateCodePoints(text, chars));
}

// The evicted exchanges as plain text for the summariser.
std::string transcript(const std::vector<Exchange>& exchanges, size_t count,
                       const std::string& bot_name) {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    const Exchange& exchange = exchanges[i];
    for (const ChatMessage& message : exchange.messages) {
      if (exchange.isSummary()) {
        text += "Earlier summary: " + message.content + "\n";
      } else if (message.role == ChatRole::kUser) {
        text += clip(message.content, kTranscriptQuoteChars) + "\n";
      } else if (message.role == ChatRole::kAssistant) {
        if (!message.content.empty()) {
          text += bot_name + ": " + clip(message.content, kTranscriptQuoteChars) + "\n";
        }
        for (const ToolCall& call : message.tool_calls) {
          text += bot_name + " used the tool " + call.name + "\n";
        }
      } else if (message.role == ChatRole::kTool) {
        text += "(tool result: " + clip(message.content, 200) + ")\n";
      }
    }
  }
  return text;
}

}  // namespace

LlmMessageProcessor::LlmMessageProcessor(uv_loop_t* loop, RedisClient& redis, ConfigPtr config,
                                         std::string worker_id)
    : loop_(loop),
      redis_(redis),
      worker_id_(std::move(worker_id)),
      config_(std::move(config)),
      scopes_(std::make_unique<ScopeResolver>(config_)),
      multi_(std::make_unique<CurlMulti>(loop_)),
      llm_(std::make_unique<OpenRouterClient>(*multi_, llmView(config_))),
      cache_(redis_),
      conversations_(redis_) {
  multi_->setMaxConnections(config_->llm.max_connections);
}

LlmMessageProcessor::~LlmMessageProcessor() {
  auto runs = std::move(runs_);
  runs_.clear();
  for (auto& [id, run] : runs) run->cancel();
  summaries_.clear();
}

void LlmMessageProcessor::stopBackground() {
  background_stopped_ = true;
  auto summaries = std::move(summaries_);
  summaries_.clear();
  for (const auto& [key, call] : summaries) {
    if (call != 0) llm_->cancel(call);  // 0: its history write is already under way
  }
}

bool LlmMessageProcessor::start(std::string* error) {
  prompts_ = PromptRenderer::load(*config_, error);
  return prompts_ != nullptr;
}

bool LlmMessageProcessor::updateConfig(ConfigPtr config, std::string* error) {
  std::shared_ptr<const PromptRenderer> prompts = PromptRenderer::load(*config, error);
  if (prompts == nullptr) return false;
  config_ = std::move(config);
  prompts_ = std::move(prompts);
  scopes_ = std::make_unique<ScopeResolver>(config_);
  llm_->setConfig(llmView(config_));
  multi_->setMaxConnections(config_->llm.max_connections);
  return true;
}

void LlmMessageProcessor::process(std::shared_ptr<ProcessJob> job) {
  ++stats_.jobs;
  ScopeSettings settings = scopes_->resolve(job->envelope().message);
  AnswerDecision decision = decideAnswer(job->envelope().message, settings);
  if (!decision.answer) {
    ignore(job, *settings.config, decision.reason);
    return;
  }
  log::get("proc").debug("event {}: answering ({}) in {}:{}", job->envelope().event_id,
                         decision.reason, job->envelope().platform,
                         job->envelope().message.channel_id);
  RunServices services;
  services.loop = loop_;
  services.llm = llm_.get();
  services.tools = &tools_;
  services.gateway = gateway_;
  services.cache = &cache_;
  services.conversations = &conversations_;
  services.stats = &stats_;
  services.onEnded = [this](uint64_t id) { runs_.erase(id); };
  services.onStored = [this](const std::string& key, std::vector<Exchange> exchanges,
                             ConfigPtr config) {
    summarize(key, std::move(exchanges), std::move(config));
  };
  uint64_t id = next_run_++;
  auto run = std::make_shared<ReplyRun>(id, std::move(services), std::move(job),
                                        std::move(settings), prompts_);
  runs_.emplace(id, run);
  run->start();
}

void LlmMessageProcessor::ignore(const std::shared_ptr<ProcessJob>& job, const Config& config,
                                 std::string_view reason) {
  ++stats_.ignored;
  log::get("proc").debug("event {}: not answered ({})", job->envelope().event_id, reason);
  cache_.add(job->envelope(), config.cache, false,
             [this, watch = life_.watch(), job](MessageCache::Recent recent) {
               if (watch.expired()) return;
               if (!recent.ok) ++stats_.cache_errors;
               job->finish({ProcessStatus::kDone, {}, "ignored", ""});
             });
}

void LlmMessageProcessor::summarize(const std::string& key, std::vector<Exchange> exchanges,
                                    ConfigPtr config) {
  // Best effort, bounded: one at a time per history, a few at once in all (a summary skipped
  // now is tried again at the next stored reply; meanwhile the history may reach twice its
  // budget).
  if (background_stopped_ || summaries_.count(key) != 0 ||
      summaries_.size() >= kMaxConcurrentSummaries) {
    return;
  }
  std::vector<uint32_t> tokens;
  for (const Exchange& exchange : exchanges) tokens.push_back(exchange.tokens);
  size_t evict = evictionCount(tokens, config->conversation.max_tokens);
  if (evict == 0) return;
  std::vector<std::string> head_ids;
  for (size_t i = 0; i < evict; ++i) head_ids.push_back(exchanges[i].id);
  ChatRequest request;
  request.messages = {ChatMessage::system(std::string(kSummaryInstructions)),
                      ChatMessage::user(transcript(exchanges, evict, config->bot.name))};
  request.model = config->llm.model;
  request.fallback_models = config->llm.fallback_models;
  request.max_completion_tokens = kSummaryMaxTokens;
  request.stream = false;
  request.subject = "summary " + key;
  ChatCallbacks callbacks;
  callbacks.onComplete = [this, watch = life_.watch(), key, head_ids = std::move(head_ids),
                          config](ChatResult result) {
    if (watch.expired()) return;
    summaries_[key] = 0;  // the model call is over; the history write follows
    onSummary(key, head_ids, config, std::move(result));
  };
  summaries_[key] = llm_->chat(std::move(request), std::move(callbacks));
}

void LlmMessageProcessor::onSummary(const std::string& key,
                                    const std::vector<std::string>& head_ids,
                                    const ConfigPtr& config, ChatResult result) {
  const ConversationConfig& conversation = config->conversation;
  if (!result.ok() || result.content.find_first_not_of(" \t\r\n") == std::string::npos) {
    ++stats_.summary_failures;
    log::get("proc").warn("history {}: summary failed ({}); dropping the oldest turns", key,
                          result.ok() ? "empty" : chatErrorName(result.error));
    conversations_.trim(key, conversation.max_tokens, [this, watch = life_.watch(), key](bool) {
      if (!watch.expired()) summaries_.erase(key);
    });
    return;
  }
  Exchange summary;
  summary.id = std::string(kSummaryExchangeId);
  summary.messages = {ChatMessage::user(result.content)};
  summary.tokens = estimateTokens(summary.messages);
  conversations_.fold(
      key, head_ids, summary, conversation.ttl_s, [this, watch = life_.watch(), key](bool applied) {
        if (watch.expired()) return;
        summaries_.erase(key);
        if (applied) {
          ++stats_.summaries;
        } else {
          log::get("proc").info("history {}: changed meanwhile; summary dropped", key);
        }
      });
}

}  // namespace sg
