// The chat completions client: one Call per chat(), a state machine of attempts, retries and
// fallbacks under one deadline (see openrouter_client.h).
#include "worker/openrouter_client.h"

#include <algorithm>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/log.h"
#include "worker/chat_request_json.h"
#include "worker/chat_response_reader.h"
#include "worker/llm_errors.h"
#include "worker/llm_transfer.h"

namespace sg {
namespace {

// After [DONE], how long the server may take to end the body before we stop waiting for it.
constexpr uint64_t kDrainMs = 2000;

spdlog::logger& logger() {
  return log::get("llm");
}

// The primary model (the request's or the configuration's) then the fallbacks, without repeats.
std::vector<std::string> candidateModels(const ChatRequest& request, const LlmConfig& config) {
  std::vector<std::string> models;
  auto add = [&](const std::string& model) {
    if (!model.empty() && std::find(models.begin(), models.end(), model) == models.end()) {
      models.push_back(model);
    }
  };
  add(request.model.empty() ? config.model : request.model);
  for (const auto& model : request.fallback_models.value_or(config.fallback_models)) add(model);
  return models;
}

// A failure found here rather than in a response: local errors are final, timeouts are the
// model's and worth another try.
AttemptFailure localFailure(ChatError error, std::string message, bool retryable) {
  return attemptFailure(error, std::move(message), 0, retryable, retryable, retryable);
}

}  // namespace

// One chat() from start to its single completion.
class OpenRouterClient::Call {
 public:
  Call(OpenRouterClient& client, uint64_t id, ChatRequest request, ChatCallbacks callbacks,
       ConfigSnapshot config);
  ~Call() { stopWork(); }

  void start();
  void cancel() { fail(localFailure(ChatError::kCancelled, "cancelled", false)); }
  ChatResult takeResult() { return std::move(result_); }
  ChatCallbacks takeCallbacks() { return std::move(callbacks_); }

 private:
  void startAttempt();
  bool onData(const LlmResponseHead& head, std::string_view bytes);
  void onDelta(std::string_view text);
  void onDone(const LlmResponseHead& head, CURLcode code, std::string_view error);
  void onFirstTokenTimeout();
  void onDrained();
  void onDeadline();
  void handleFailure(const AttemptFailure& failure);
  bool retrySameModel(const AttemptFailure& failure);
  uint64_t retryDelay(const AttemptFailure& failure);
  void scheduleAttempt(const AttemptFailure& failure, uint64_t delay_ms, bool fallback);
  void succeed();
  void fail(const AttemptFailure& failure);
  void finish();
  void stopWork();
  uint64_t remainingMs() const;

  OpenRouterClient& client_;
  uint64_t id_;
  ChatRequest request_;
  ChatCallbacks callbacks_;
  ConfigSnapshot config_;
  bool openrouter_;
  ChatRequestJson body_;
  std::vector<std::string> candidates_;
  size_t model_index_ = 0;  // client-side fallback position in candidates_
  std::string attempt_model_;
  Backoff backoff_;
  unsigned attempts_ = 0;
  unsigned model_attempts_ = 0;
  uint64_t started_ms_;
  uint64_t deadline_ms_;
  Timer deadline_timer_;
  Timer step_timer_;  // backoff wait, first-token timeout, or drain after [DONE]
  std::shared_ptr<LlmTransfer> transfer_;
  std::unique_ptr<ChatResponseReader> reader_;
  LlmResponseHead head_;
  bool draining_ = false;
  bool finished_ = false;
  std::optional<AttemptFailure> last_failure_;
  ChatResult result_;
};

OpenRouterClient::Call::Call(OpenRouterClient& client, uint64_t id, ChatRequest request,
                             ChatCallbacks callbacks, ConfigSnapshot config)
    : client_(client),
      id_(id),
      request_(std::move(request)),
      callbacks_(std::move(callbacks)),
      config_(std::move(config)),
      openrouter_(isOpenRouter(*config_)),
      backoff_(config_->retry_base_ms, config_->retry_max_ms),
      started_ms_(monoMs()),
      deadline_ms_(started_ms_ + config_->timeout_ms),
      deadline_timer_(client.multi_.loop()),
      step_timer_(client.multi_.loop()) {}

void OpenRouterClient::Call::start() {
  candidates_ = candidateModels(request_, *config_);
  if (candidates_.empty()) {
    fail(localFailure(ChatError::kInvalidRequest, "no model configured", false));
    return;
  }
  std::string error;
  if (!body_.build(request_, *config_, openrouter_, &error)) {
    fail(localFailure(ChatError::kInvalidRequest, error, false));
    return;
  }
  // The body holds them now; a long conversation is not kept twice for the whole call.
  request_.messages = {};
  request_.tools = {};
  if (!openrouter_) candidates_ = client_.order(candidates_);
  deadline_timer_.start(config_->timeout_ms, [this] { onDeadline(); });
  startAttempt();
}

uint64_t OpenRouterClient::Call::remainingMs() const {
  uint64_t now = monoMs();
  return now >= deadline_ms_ ? 0 : deadline_ms_ - now;
}

void OpenRouterClient::Call::startAttempt() {
  if (finished_) return;
  std::string body;
  if (openrouter_) {
    // OpenRouter routes among the models itself; we only put the cooled-down ones last.
    std::vector<std::string> route = client_.order(candidates_);
    attempt_model_ = route.front();
    body = body_.render(attempt_model_, route);
  } else {
    attempt_model_ = candidates_[model_index_];
    body = body_.render(attempt_model_, {});
  }
  ++attempts_;
  ++model_attempts_;
  ++client_.stats_.attempts;
  reader_ = std::make_unique<ChatResponseReader>(body_.stream(),
                                                 [this](std::string_view text) { onDelta(text); });
  head_ = LlmResponseHead{};
  draining_ = false;
  uint64_t remaining = std::max<uint64_t>(remainingMs(), 1);
  transfer_ = LlmTransfer::start(
      client_.multi_,
      transferSpec(*config_, "chat/completions", std::move(body), body_.stream(), remaining),
      [this](const LlmResponseHead& head, std::string_view bytes) { return onData(head, bytes); },
      [this](const LlmResponseHead& head, CURLcode code, std::string_view error) {
        onDone(head, code, error);
      });
  if (!transfer_) {
    fail(localFailure(ChatError::kInternal, "libcurl could not start a transfer", false));
    return;
  }
  if (config_->first_token_timeout_ms > 0) {
    uint64_t wait = std::min<uint64_t>(config_->first_token_timeout_ms, remaining);
    step_timer_.start(wait, [this] { onFirstTokenTimeout(); });
  }
}

bool OpenRouterClient::Call::onData(const LlmResponseHead& head, std::string_view bytes) {
  if (head_.status == 0) head_ = head;
  bool go_on = reader_->feed(head, bytes);
  if (finished_) return false;  // onDelta cancelled the call
  if (reader_->firstToken() && step_timer_.active() && !draining_) step_timer_.stop();
  if (reader_->sawDone() && !draining_) {
    draining_ = true;
    step_timer_.start(kDrainMs, [this] { onDrained(); });
  }
  return go_on;
}

void OpenRouterClient::Call::onDelta(std::string_view text) {
  if (finished_ || !callbacks_.onDelta) return;
  callbacks_.onDelta(text);
  if (finished_) reader_->stop();
}

void OpenRouterClient::Call::onDrained() {
  // [DONE] came but the body did not end: the answer is complete, stop waiting.
  if (!transfer_) return;
  transfer_->cancel();
  onDone(head_, CURLE_OK, {});
}

void OpenRouterClient::Call::onDone(const LlmResponseHead& head, CURLcode code,
                                    std::string_view error) {
  bool got_body = transfer_ && transfer_->gotBody();
  transfer_.reset();
  step_timer_.stop();
  if (!head.generation_id.empty()) result_.generation_id = head.generation_id;
  auto failure = reader_->finish(head, code, error, got_body || head.status != 0, &result_);
  if (!failure) {
    succeed();
    return;
  }
  handleFailure(*failure);
}

void OpenRouterClient::Call::onFirstTokenTimeout() {
  if (!transfer_) return;
  transfer_->cancel();
  transfer_.reset();
  AttemptFailure failure = localFailure(
      ChatError::kFirstTokenTimeout,
      "nothing from the model within " + std::to_string(config_->first_token_timeout_ms) + " ms",
      true);
  handleFailure(failure);
}

void OpenRouterClient::Call::onDeadline() {
  std::string message = "no answer within " + std::to_string(config_->timeout_ms) + " ms";
  if (last_failure_) message += " (last error: " + last_failure_->message + ")";
  AttemptFailure failure = localFailure(ChatError::kDeadline, message, false);
  if (last_failure_) failure.http_status = last_failure_->http_status;
  fail(failure);
}

void OpenRouterClient::Call::handleFailure(const AttemptFailure& failure) {
  last_failure_ = failure;
  result_.http_status = failure.http_status;
  if (failure.model_fault) client_.modelFailed(attempt_model_);
  if (retrySameModel(failure)) return;
  bool more_models = !openrouter_ && model_index_ + 1 < candidates_.size();
  if (more_models && (failure.fallback || failure.retryable)) {
    ++model_index_;
    model_attempts_ = 0;
    backoff_.reset();
    ++client_.stats_.fallbacks;
    scheduleAttempt(failure, 0, true);
    return;
  }
  fail(failure);
}

// Tries the same model again when the failure allows it, retries remain and there is time.
bool OpenRouterClient::Call::retrySameModel(const AttemptFailure& failure) {
  if (!failure.retryable || model_attempts_ > config_->max_retries) return false;
  bool more_models = !openrouter_ && model_index_ + 1 < candidates_.size();
  if (more_models && client_.coolingDown(attempt_model_)) return false;  // go to the fallback
  uint64_t delay = retryDelay(failure);
  if (delay >= remainingMs()) return false;
  ++client_.stats_.retries;
  scheduleAttempt(failure, delay, false);
  return true;
}

uint64_t OpenRouterClient::Call::retryDelay(const AttemptFailure& failure) {
  uint64_t backoff = backoff_.next();
  if (!failure.retry_after_ms) return backoff;
  return std::min<uint64_t>(*failure.retry_after_ms, config_->retry_max_ms);
}

void OpenRouterClient::Call::scheduleAttempt(const AttemptFailure& failure, uint64_t delay_ms,
                                             bool fallback) {
  ChatRetry retry;
  retry.attempt = attempts_;
  retry.reason = failure.error;
  retry.http_status = failure.http_status;
  retry.message = failure.message;
  retry.next_model = openrouter_ ? client_.order(candidates_).front() : candidates_[model_index_];
  retry.delay_ms = delay_ms;
  retry.fallback = fallback || retry.next_model != attempt_model_;
  logger().warn("llm: call {} [{}] attempt {} on {} failed ({}): {}; {} {} in {} ms", id_,
                request_.subject, attempts_, attempt_model_, chatErrorName(failure.error),
                failure.message, retry.fallback ? "falling back to" : "retrying", retry.next_model,
                delay_ms);
  if (callbacks_.onRetry) callbacks_.onRetry(retry);
  if (finished_) return;  // onRetry cancelled the call
  step_timer_.start(delay_ms, [this] { startAttempt(); });
}

void OpenRouterClient::Call::succeed() {
  client_.modelSucceeded(attempt_model_);
  result_.error = ChatError::kNone;
  if (result_.model.empty()) result_.model = attempt_model_;
  finish();
}

void OpenRouterClient::Call::fail(const AttemptFailure& failure) {
  if (finished_) return;
  ChatResult result;
  result.error = failure.error;
  result.message = failure.message;
  result.http_status = failure.http_status;
  result.model = attempt_model_;
  result.generation_id = result_.generation_id;
  result_ = std::move(result);
  finish();
}

void OpenRouterClient::Call::stopWork() {
  deadline_timer_.stop();
  step_timer_.stop();
  if (transfer_) transfer_->cancel();
  transfer_.reset();
  if (reader_) reader_->stop();
}

void OpenRouterClient::Call::finish() {
  if (finished_) return;
  finished_ = true;
  stopWork();
  result_.attempts = attempts_;
  result_.latency_ms = monoMs() - started_ms_;
  if (!result_.ok()) result_.tool_calls.clear();  // tools never run from a failed answer
  auto& log = logger();
  if (result_.ok()) {
    log.info("llm: call {} [{}] ok model={} gen={} attempts={} {} ms tokens={}+{} finish={}", id_,
             request_.subject, result_.model, result_.generation_id, attempts_, result_.latency_ms,
             result_.usage.prompt_tokens, result_.usage.completion_tokens, result_.finish_reason);
  } else {
    auto level = result_.error == ChatError::kCancelled ? spdlog::level::info : spdlog::level::warn;
    log.log(level, "llm: call {} [{}] failed ({}): {} model={} gen={} attempts={} {} ms", id_,
            request_.subject, chatErrorName(result_.error), result_.message, result_.model,
            result_.generation_id, attempts_, result_.latency_ms);
  }
  client_.calls_.finished(id_);
}

// --- OpenRouterClient ---------------------------------------------------------------------------

OpenRouterClient::OpenRouterClient(CurlMulti& multi, ConfigSnapshot config)
    : multi_(multi),
      config_(std::move(config)),
      calls_(multi.loop(), [this](std::unique_ptr<Call> call) { deliver(std::move(call)); }) {
  if (config_->max_connections > 0) multi_.setMaxConnections(config_->max_connections);
}

OpenRouterClient::~OpenRouterClient() {
  calls_.clear();
}

void OpenRouterClient::setConfig(ConfigSnapshot config) {
  config_ = std::move(config);
  multi_.setMaxConnections(config_->max_connections);
}

uint64_t OpenRouterClient::chat(ChatRequest request, ChatCallbacks callbacks) {
  uint64_t id = calls_.nextId();
  ++stats_.calls;
  Call* call = calls_.insert(
      id, std::make_unique<Call>(*this, id, std::move(request), std::move(callbacks), config_));
  call->start();  // may finish at once (a bad request): the registry defers the callback
  return id;
}

bool OpenRouterClient::cancel(uint64_t id) {
  return calls_.cancel(id);
}

void OpenRouterClient::cancelAll() {
  calls_.cancelAll();
}

void OpenRouterClient::deliver(std::unique_ptr<Call> call) {
  ChatResult result = call->takeResult();
  ChatCallbacks callbacks = call->takeCallbacks();
  call.reset();  // nothing of the call is left when its owner hears of it
  record(result);
  if (callbacks.onComplete) callbacks.onComplete(std::move(result));
}

void OpenRouterClient::record(const ChatResult& result) {
  ++stats_.outcomes[static_cast<size_t>(result.error)];
  size_t bucket = 0;
  while (bucket < LlmStats::kLatencyBuckets &&
         result.latency_ms > LlmStats::kLatencyBoundsMs[bucket]) {
    ++bucket;
  }
  ++stats_.latency[bucket];
  stats_.latency_sum_ms += result.latency_ms;
  stats_.prompt_tokens += result.usage.prompt_tokens;
  stats_.completion_tokens += result.usage.completion_tokens;
  stats_.cached_tokens += result.usage.cached_tokens;
  stats_.reasoning_tokens += result.usage.reasoning_tokens;
  if (result.usage.cost) stats_.cost += *result.usage.cost;
}

bool OpenRouterClient::coolingDown(const std::string& model) const {
  auto found = health_.find(model);
  return found != health_.end() && found->second.cooled_until_ms > monoMs();
}

void OpenRouterClient::modelFailed(const std::string& model) {
  ModelHealth& health = health_[model];
  ++health.failures;
  uint32_t threshold = config_->cooldown_failures;
  if (threshold == 0 || config_->cooldown_s == 0 || health.failures < threshold) return;
  if (!coolingDown(model)) {
    ++stats_.cooldowns;
    logger().warn("llm: model {} cooled down for {} s after {} failures in a row", model,
                  config_->cooldown_s, health.failures);
  }
  health.cooled_until_ms = monoMs() + uint64_t{config_->cooldown_s} * 1000;
}

void OpenRouterClient::modelSucceeded(const std::string& model) {
  auto found = health_.find(model);
  if (found == health_.end()) return;
  found->second.failures = 0;
  found->second.cooled_until_ms = 0;
}

std::vector<std::string> OpenRouterClient::order(const std::vector<std::string>& candidates) const {
  std::vector<std::string> ordered = candidates;
  std::stable_partition(ordered.begin(), ordered.end(),
                        [this](const std::string& model) { return !coolingDown(model); });
  return ordered;
}

}  // namespace sg
