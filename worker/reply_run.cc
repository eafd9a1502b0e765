// ReplyRun: one answered message, context to commit (see reply_run.h).
#include "worker/reply_run.h"

#include <spdlog/fmt/fmt.h>

#include <optional>

#include "common/clock.h"
#include "common/log.h"
#include "worker/gateway_rpc.h"
#include "worker/reply_splitter.h"

namespace sg {

struct ReplyRun::ToolRound {
  uint64_t number = 0;
  std::vector<ToolCall> calls;
  std::vector<std::optional<ToolOutcome>> outcomes;
  size_t pending = 0;
};

struct ReplyRun::Stream {
  std::string text;       // content streamed by the call in flight
  std::string action_id;  // the first part's lasting id once published ("" before)
  size_t slot = 0;        // its place in lasting_
  std::string shown;      // what the platform shows now
  uint64_t last_edit_ms = 0;
};

namespace {

bool blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::string toolResultText(ToolOutcome outcome) {
  std::string text = std::move(outcome.content);
  if (!outcome.ok && text.rfind("error", 0) != 0) text = "error: " + text;
  if (codePointCount(text) > kMaxToolResultChars) {
    text = std::string(truncateCodePoints(text, kMaxToolResultChars)) + "\n[result truncated]";
  }
  return text;
}

}  // namespace

// Wraps a member step as a callback that does nothing once the run is gone, cancelled or ended.
template <typename F>
auto ReplyRun::guarded(F f) {
  return [weak = weak_from_this(), f = std::move(f)](auto&&... args) mutable {
    std::shared_ptr<ReplyRun> self = weak.lock();
    if (self == nullptr || self->cancelled_ || self->ended_) return;
    f(*self, std::forward<decltype(args)>(args)...);
  };
}

ReplyRun::ReplyRun(uint64_t id, RunServices services, std::shared_ptr<ProcessJob> job,
                   ScopeSettings settings, std::shared_ptr<const PromptRenderer> prompts)
    : id_(id),
      services_(std::move(services)),
      job_(std::move(job)),
      settings_(std::move(settings)),
      prompts_(std::move(prompts)),
      adapter_(getAdapter(job_)),
      history_key_(ConversationManager::keyFor(job_->envelope())),
      typing_timer_(services_.loop),
      edit_timer_(services_.loop),
      tool_timer_(services_.loop) {
  if (config().bot.stream_edits && config().llm.stream) stream_ = std::make_unique<Stream>();
}

ReplyRun::~ReplyRun() = default;

void ReplyRun::start() {
  job_->onCancel(guarded([](ReplyRun& run) { run.cancel(); }));
  startTyping();
  bool keep_history = config().conversation.max_tokens > 0;
  loads_pending_ = keep_history ? 2 : 1;
  services_.cache->add(
      job_->envelope(), config().cache, true,
      guarded([](ReplyRun& run, MessageCache::Recent recent) { run.onCached(std::move(recent)); }));
  if (keep_history) {
    services_.conversations->load(
        history_key_, job_->envelope().event_id,
        guarded([](ReplyRun& run, History history) { run.onHistory(std::move(history)); }));
  }
}

void ReplyRun::startTyping() {
  adapter_.typing();
  typing_timer_.start(kTypingIntervalMs, guarded([](ReplyRun& run) { run.adapter_.typing(); }),
                      kTypingIntervalMs);
}

void ReplyRun::onCached(MessageCache::Recent recent) {
  if (!recent.ok) {
    ++services_.stats->cache_errors;
    log::get("proc").warn("event {}: message cache unavailable; answering without it",
                          job_->envelope().event_id);
  }
  recent_ = std::move(recent.messages);
  if (--loads_pending_ == 0) contextReady();
}

void ReplyRun::onHistory(History history) {
  if (!history.ok) {
    ++services_.stats->history_errors;
    log::get("proc").warn("event {}: history {} unavailable; answering without it",
                          job_->envelope().event_id, history_key_);
  }
  history_ = std::move(history);
  if (--loads_pending_ == 0) contextReady();
}

void ReplyRun::contextReady() {
  ContextInput input{&job_->envelope(), &config(), prompts_.get(), &history_, &recent_, unixNow()};
  context_ = buildContext(input);
  messages_ = context_.messages;
  exchange_ = {context_.user_turn};
  tools_ = services_.tools->specsFor(job_->envelope(), config());
  callModel();
}

ChatRequest ReplyRun::buildRequest() {
  const LlmConfig& llm = config().llm;
  const Envelope& envelope = job_->envelope();
  ChatRequest request;
  request.messages = messages_;
  if (!tools_.empty() && rounds_ < llm.max_tool_rounds) {
    request.tools = tools_;
  } else if (rounds_ > 0) {
    // The history of this turn holds tool calls: keep the tools defined, forbid new calls.
    request.tools = tools_;
    request.tool_choice = "none";
    final_call_ = true;
  }
  request.session_id = envelope.platform + ":" + envelope.message.channel_id;
  request.model = llm.model;
  request.fallback_models = llm.fallback_models;
  request.max_completion_tokens = llm.max_completion_tokens;
  request.temperature = llm.temperature;
  request.subject = fmt::format("{} {}", envelope.event_id, request.session_id);
  return request;
}

void ReplyRun::callModel() {
  if (stream_) stream_->text.clear();
  ChatCallbacks callbacks;
  if (stream_) {
    callbacks.onDelta = guarded([](ReplyRun& run, std::string_view text) { run.onDelta(text); });
  }
  callbacks.onRetry = guarded([](ReplyRun& run, const ChatRetry&) {
    if (run.stream_) run.stream_->text.clear();  // the next attempt streams from the start
  });
  callbacks.onComplete = guarded([](ReplyRun& run, ChatResult result) {
    run.call_id_ = 0;
    run.onModelResult(std::move(result));
  });
  ++services_.stats->model_calls;
  call_id_ = services_.llm->chat(buildRequest(), std::move(callbacks));
}

void ReplyRun::onModelResult(ChatResult result) {
  const std::string& event = job_->envelope().event_id;
  if (!result.ok()) {
    log::get("proc").warn("event {}: the model failed ({}: {}); apologising", event,
                          chatErrorName(result.error), result.message);
    ++services_.stats->apologies;
    answer(std::string(kApologyText), "apologized");
    return;
  }
  if (!result.tool_calls.empty() && !final_call_ && !tools_.empty()) {
    runTools(result);
    return;
  }
  if (blank(result.content)) {
    log::get("proc").warn("event {}: the model answered nothing (finish_reason {})", event,
                          result.finish_reason);
    ++services_.stats->empty_answers;
    answer(std::string(kApologyText), "empty");
    return;
  }
  ++services_.stats->answered;
  exchange_.push_back(ChatMessage::assistant(result.content));
  answer(std::move(result.content), "answered");
}

void ReplyRun::runTools(const ChatResult& result) {
  ChatMessage assistant = ChatMessage::assistantFrom(result);
  messages_.push_back(assistant);
  assistant.reasoning_details_json.clear();  // the stored history keeps the calls, not reasoning
  exchange_.push_back(std::move(assistant));
  round_ = std::make_unique<ToolRound>();
  round_->number = rounds_ + 1;
  round_->calls = result.tool_calls;
  round_->outcomes.resize(result.tool_calls.size());
  round_->pending = result.tool_calls.size();
  uint64_t number = round_->number;
  tool_timer_.start(kToolTimeoutMs,
                    guarded([number](ReplyRun& run) { run.toolsTimedOut(number); }));
  std::weak_ptr<ReplyRun> weak = weak_from_this();
  for (size_t i = 0; i < round_->calls.size(); ++i) {
    auto context = std::make_shared<ToolContext>();
    context->loop = services_.loop;
    context->config = settings_.config.get();
    context->job = job_;
    context->gateway = services_.gateway;
    context->addLastingAction = [weak](std::string payload) {
      auto self = weak.lock();
      if (self != nullptr && !self->cancelled_ && !self->ended_) {
        self->lasting_.push_back({"", std::move(payload)});
      }
    };
    // The context and the configuration it points to live until the tool is done.
    ToolDone done = [weak, number, i, context, config = settings_.config](ToolOutcome outcome) {
      auto self = weak.lock();
      if (self != nullptr && !self->cancelled_ && !self->ended_) {
        self->onToolDone(number, i, std::move(outcome));
      }
    };
    services_.tools->run(round_->calls[i], *context, std::move(done));
  }
}

void ReplyRun::onToolDone(uint64_t round, size_t index, ToolOutcome outcome) {
  if (round_ == nullptr || round_->number != round || round_->outcomes[index]) return;
  ++(outcome.ok ? services_.stats->tool_calls_ok : services_.stats->tool_calls_error);
  if (!outcome.ok) {
    log::get("proc").info("event {}: tool {} failed: {}", job_->envelope().event_id,
                          round_->calls[index].name, outcome.content);
  }
  round_->outcomes[index] = std::move(outcome);
  if (--round_->pending == 0) finishRound(round);
}

void ReplyRun::toolsTimedOut(uint64_t round) {
  if (round_ == nullptr || round_->number != round) return;
  for (size_t i = 0; i < round_->outcomes.size(); ++i) {
    if (round_->outcomes[i]) continue;
    ++services_.stats->tool_calls_timeout;
    round_->outcomes[i] = ToolOutcome{
        false, fmt::format("error: the tool did not answer within {} s", kToolTimeoutMs / 1000)};
  }
  finishRound(round);
}

void ReplyRun::finishRound(uint64_t round) {
  tool_timer_.stop();
  for (size_t i = 0; i < round_->calls.size(); ++i) {
    ChatMessage result =
        ChatMessage::tool(round_->calls[i].id, toolResultText(std::move(*round_->outcomes[i])));
    messages_.push_back(result);
    // Later turns need the gist of a result, not all of it: the history keeps a shorter copy.
    if (codePointCount(result.content) > kStoredToolResultChars) {
      result.content =
          std::string(truncateCodePoints(result.content, kStoredToolResultChars)) + " [...]";
    }
    exchange_.push_back(std::move(result));
  }
  round_.reset();
  rounds_ = static_cast<uint32_t>(round);
  if (rounds_ >= config().llm.max_tool_rounds) ++services_.stats->rounds_exhausted;
  callModel();
}

void ReplyRun::onDelta(std::string_view text) {
  stream_->text += text;
  streamDelta();
}

void ReplyRun::streamDelta() {
  Stream& stream = *stream_;
  if (stream.action_id.empty()) {
    std::vector<std::string> parts = splitReply(stream.text, adapter_.messageLimit());
    if (parts.empty()) return;
    stream.action_id = adapter_.reserveLastingId();
    stream.slot = lasting_.size();
    lasting_.push_back({stream.action_id, ""});  // filled with the final text at the end
    adapter_.publish(
        adapter_.sendMessagePart(stream.action_id, parts[0], job_->envelope().message.id, 1, 1));
    stream.shown = std::move(parts[0]);
    stream.last_edit_ms = uv_now(services_.loop);
    typing_timer_.stop();  // the message is visible: typing would show under it
    return;
  }
  if (edit_timer_.active()) return;  // the pending edit will take the latest text
  uint64_t now = uv_now(services_.loop);
  uint64_t due = stream.last_edit_ms + kEditIntervalMs;
  edit_timer_.start(due > now ? due - now : 0, guarded([](ReplyRun& run) { run.publishEdit(); }));
}

void ReplyRun::publishEdit() {
  Stream& stream = *stream_;
  std::vector<std::string> parts = splitReply(stream.text, adapter_.messageLimit());
  if (parts.empty() || parts[0] == stream.shown) return;
  adapter_.edit(stream.action_id, parts[0]);
  stream.shown = std::move(parts[0]);
  stream.last_edit_ms = uv_now(services_.loop);
  ++services_.stats->stream_edits;
}

std::vector<std::string> ReplyRun::replyActions(const std::string& text) {
  std::optional<std::string> reply_to = job_->envelope().message.id;
  std::vector<std::string> actions;
  if (stream_ == nullptr || stream_->action_id.empty()) {
    for (LastingAction& action : lasting_) actions.push_back(std::move(action.payload));
    for (LastingAction& part : adapter_.reply(text, reply_to)) {
      actions.push_back(std::move(part.payload));
    }
    return actions;
  }
  // The first part was published early: commit it again (a duplicate for the Gateway unless
  // the early one was lost) with an edit to its final text, then the other parts.
  std::vector<std::string> parts = splitReply(text, adapter_.messageLimit());
  int64_t count = static_cast<int64_t>(parts.size());
  lasting_[stream_->slot].payload =
      adapter_.sendMessagePart(stream_->action_id, parts[0], reply_to, 1, count);
  for (size_t i = 0; i < lasting_.size(); ++i) {
    actions.push_back(std::move(lasting_[i].payload));
    if (i == stream_->slot) actions.push_back(adapter_.editAction(stream_->action_id, parts[0]));
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    actions.push_back(adapter_.sendMessagePart(job_->nextLastingActionId(), std::move(parts[i]),
                                               std::nullopt, static_cast<int64_t>(i + 1), count));
  }
  return actions;
}

void ReplyRun::answer(std::string text, std::string outcome) {
  typing_timer_.stop();
  edit_timer_.stop();
  std::vector<std::string> actions = replyActions(text);
  bool store = outcome == "answered";  // apologies leave the history as it was
  storeAndFinish(std::move(actions), std::move(outcome), store);
}

void ReplyRun::storeAndFinish(std::vector<std::string> actions, std::string outcome, bool store) {
  const ConversationConfig& conversation = config().conversation;
  if (!store || conversation.max_tokens == 0) {
    finish({ProcessStatus::kDone, std::move(actions), std::move(outcome), ""});
    return;
  }
  Exchange exchange{job_->envelope().event_id, job_->envelope().message.id, exchange_,
                    estimateTokens(exchange_)};
  uint64_t budget = uint64_t{conversation.max_tokens} * (conversation.summarize ? 2 : 1);
  services_.conversations->append(
      history_key_, exchange, budget, conversation.ttl_s,
      guarded([actions = std::move(actions), outcome = std::move(outcome), exchange](
                  ReplyRun& run, bool ok) mutable {
        if (!ok) {
          ++run.services_.stats->history_errors;
          log::get("proc").warn("event {}: could not store the history {}",
                                run.job_->envelope().event_id, run.history_key_);
        } else if (run.config().conversation.summarize && run.services_.onStored) {
          std::vector<Exchange> stored = std::move(run.history_.exchanges);
          stored.push_back(std::move(exchange));
          run.services_.onStored(run.history_key_, std::move(stored), run.settings_.config);
        }
        run.finish({ProcessStatus::kDone, std::move(actions), std::move(outcome), ""});
      }),
      job_->fence());
}

void ReplyRun::finish(ProcessResult result) {
  job_->finish(std::move(result));
  end();
}

void ReplyRun::cancel() {
  if (ended_) return;
  cancelled_ = true;
  ++services_.stats->cancelled;
  if (call_id_ != 0) services_.llm->cancel(call_id_);
  call_id_ = 0;
  // Gateway calls of this job complete as cancelled now rather than at their deadline.
  if (services_.gateway != nullptr) services_.gateway->cancel(*job_);
  round_.reset();
  end();
}

void ReplyRun::end() {
  ended_ = true;
  typing_timer_.stop();
  edit_timer_.stop();
  tool_timer_.stop();
  if (services_.onEnded) services_.onEnded(id_);
}

}  // namespace sg
