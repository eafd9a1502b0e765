// Embeddings requests with retries (see embeddings_client.h).
#include "worker/embeddings_client.h"

#include "common/backoff.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "worker/llm_errors.h"
#include "worker/llm_transfer.h"

namespace sg {
namespace {

constexpr size_t kMaxBodyBytes = 256 * 1024 * 1024;

AttemptFailure malformed(std::string message) {
  return attemptFailure(ChatError::kMalformed, std::move(message), 200, true, false, false);
}

// Reads `data[].embedding` into vectors placed by `index`; nullopt on success.
std::optional<AttemptFailure> readVectors(const cJSON* body, size_t expected,
                                          EmbeddingsResult* result) {
  const cJSON* data = jsonField(body, "data");
  if (data == nullptr || !cJSON_IsArray(data)) return malformed("the response has no data array");
  std::vector<std::vector<float>> vectors(expected);
  size_t position = 0;
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, data) {
    double index = static_cast<double>(position++);
    jsonNumber(item, "index", &index);
    const cJSON* embedding = jsonField(item, "embedding");
    if (index < 0 || index >= static_cast<double>(expected) || !cJSON_IsArray(embedding)) {
      return malformed("an embedding is out of range or not an array");
    }
    auto& vector = vectors[static_cast<size_t>(index)];
    vector.reserve(static_cast<size_t>(cJSON_GetArraySize(embedding)));
    const cJSON* value = nullptr;
    cJSON_ArrayForEach(value, embedding) {
      if (!cJSON_IsNumber(value)) return malformed("an embedding holds a non-number");
      vector.push_back(static_cast<float>(value->valuedouble));
    }
  }
  for (const auto& vector : vectors) {
    if (vector.empty()) return malformed("the response lacks an embedding for an input");
  }
  result->vectors = std::move(vectors);
  return std::nullopt;
}

}  // namespace

class EmbeddingsClient::Request {
 public:
  Request(EmbeddingsClient& client, uint64_t id, std::vector<std::string> inputs, Callback callback,
          std::string model);
  ~Request() { stop(); }

  void start();
  void cancel();
  EmbeddingsResult takeResult() { return std::move(result_); }
  Callback takeCallback() { return std::move(callback_); }

 private:
  void startAttempt();
  bool onData(const LlmResponseHead& head, std::string_view bytes);
  void onDone(const LlmResponseHead& head, CURLcode code, std::string_view error);
  std::optional<AttemptFailure> read(const LlmResponseHead& head, CURLcode code,
                                     std::string_view error, bool got_body);
  void retryOrFail(const AttemptFailure& failure);
  void fail(ChatError error, std::string message, long status);
  void finish();
  void stop();

  EmbeddingsClient& client_;
  uint64_t id_;
  std::vector<std::string> inputs_;
  Callback callback_;
  ConfigSnapshot config_;
  std::string model_;
  std::string body_;
  Backoff backoff_;
  uint64_t deadline_ms_;
  Timer deadline_timer_;
  Timer retry_timer_;
  std::shared_ptr<LlmTransfer> transfer_;
  std::string response_;
  bool too_large_ = false;
  bool finished_ = false;
  EmbeddingsResult result_;
};

EmbeddingsClient::Request::Request(EmbeddingsClient& client, uint64_t id,
                                   std::vector<std::string> inputs, Callback callback,
                                   std::string model)
    : client_(client),
      id_(id),
      inputs_(std::move(inputs)),
      callback_(std::move(callback)),
      config_(client.config_),
      model_(model.empty() ? config_->embedding_model : std::move(model)),
      backoff_(config_->retry_base_ms, config_->retry_max_ms),
      deadline_ms_(monoMs() + config_->timeout_ms),
      deadline_timer_(client.multi_.loop()),
      retry_timer_(client.multi_.loop()) {}

void EmbeddingsClient::Request::start() {
  if (inputs_.empty() || inputs_.size() > kMaxInputs || model_.empty()) {
    fail(ChatError::kInvalidRequest,
         "embeddings need 1 to " + std::to_string(kMaxInputs) + " inputs and a model", 0);
    return;
  }
  JsonPtr body(cJSON_CreateObject());
  cJSON_AddStringToObject(body.get(), "model", model_.c_str());
  cJSON* input = cJSON_AddArrayToObject(body.get(), "input");
  for (const auto& text : inputs_) cJSON_AddItemToArray(input, cJSON_CreateString(text.c_str()));
  cJSON_AddStringToObject(body.get(), "encoding_format", "float");
  body_ = printJson(body.get());
  deadline_timer_.start(config_->timeout_ms, [this] {
    fail(ChatError::kDeadline, "no answer within " + std::to_string(config_->timeout_ms) + " ms",
         result_.http_status);
  });
  startAttempt();
}

void EmbeddingsClient::Request::startAttempt() {
  if (finished_) return;
  ++result_.attempts;
  response_.clear();
  too_large_ = false;
  uint64_t now = monoMs();
  uint64_t remaining = deadline_ms_ > now ? deadline_ms_ - now : 1;
  transfer_ = LlmTransfer::start(
      client_.multi_, transferSpec(*config_, "embeddings", body_, false, remaining),
      [this](const LlmResponseHead& head, std::string_view bytes) { return onData(head, bytes); },
      [this](const LlmResponseHead& head, CURLcode code, std::string_view error) {
        onDone(head, code, error);
      });
  if (!transfer_) fail(ChatError::kInternal, "libcurl could not start a transfer", 0);
}

bool EmbeddingsClient::Request::onData(const LlmResponseHead&, std::string_view bytes) {
  if (response_.size() + bytes.size() > kMaxBodyBytes) {
    too_large_ = true;
    return false;
  }
  response_.append(bytes);
  return true;
}

void EmbeddingsClient::Request::onDone(const LlmResponseHead& head, CURLcode code,
                                       std::string_view error) {
  bool got_body = transfer_ && transfer_->gotBody();
  transfer_.reset();
  auto failure = read(head, code, error, got_body);
  if (!failure) {
    finish();
    return;
  }
  retryOrFail(*failure);
}

std::optional<AttemptFailure> EmbeddingsClient::Request::read(const LlmResponseHead& head,
                                                              CURLcode code, std::string_view error,
                                                              bool got_body) {
  result_.http_status = head.status;
  if (too_large_) return malformed("the response body is too large");
  if (head.status != 200 && head.status != 0) {
    return failureForStatus(head.status, head.retry_after_ms, response_);
  }
  if (code != CURLE_OK) return failureForCurl(code, error, got_body);
  JsonPtr body = parseJson(response_);
  if (!body || !cJSON_IsObject(body.get())) return malformed("the response is not a JSON object");
  const cJSON* api_error = jsonField(body.get(), "error");
  if (api_error != nullptr && !cJSON_IsNull(api_error)) return failureForApiError(api_error);
  if (auto failure = readVectors(body.get(), inputs_.size(), &result_)) return failure;
  result_.model = jsonString(body.get(), "model", model_);
  const cJSON* usage = jsonField(body.get(), "usage");
  double tokens = 0;
  if (jsonNumber(usage, "prompt_tokens", &tokens)) {
    result_.usage.reported = true;
    result_.usage.prompt_tokens = static_cast<uint64_t>(tokens);
    result_.usage.total_tokens = static_cast<uint64_t>(tokens);
  }
  double cost = 0;
  if (jsonNumber(usage, "cost", &cost)) result_.usage.cost = cost;
  return std::nullopt;
}

void EmbeddingsClient::Request::retryOrFail(const AttemptFailure& failure) {
  uint64_t delay = failure.retry_after_ms
                       ? std::min<uint64_t>(*failure.retry_after_ms, config_->retry_max_ms)
                       : backoff_.next();
  uint64_t now = monoMs();
  bool time_left = now + delay < deadline_ms_;
  if (!failure.retryable || result_.attempts > config_->max_retries || !time_left) {
    fail(failure.error, failure.message, failure.http_status);
    return;
  }
  log::get("llm").warn("llm: embeddings {} attempt {} failed ({}): {}; retrying in {} ms", id_,
                       result_.attempts, chatErrorName(failure.error), failure.message, delay);
  retry_timer_.start(delay, [this] { startAttempt(); });
}

void EmbeddingsClient::Request::cancel() {
  fail(ChatError::kCancelled, "cancelled", 0);
}

void EmbeddingsClient::Request::fail(ChatError error, std::string message, long status) {
  if (finished_) return;
  unsigned attempts = result_.attempts;
  result_ = EmbeddingsResult{};
  result_.error = error;
  result_.message = std::move(message);
  result_.http_status = status;
  result_.model = model_;
  result_.attempts = attempts;
  finish();
}

void EmbeddingsClient::Request::stop() {
  deadline_timer_.stop();
  retry_timer_.stop();
  if (transfer_) transfer_->cancel();
  transfer_.reset();
}

void EmbeddingsClient::Request::finish() {
  if (finished_) return;
  finished_ = true;
  stop();
  if (!result_.ok() && result_.error != ChatError::kCancelled) {
    log::get("llm").warn("llm: embeddings {} failed ({}): {}", id_, chatErrorName(result_.error),
                         result_.message);
  }
  client_.requests_.finished(id_);
}

EmbeddingsClient::EmbeddingsClient(CurlMulti& multi, ConfigSnapshot config)
    : multi_(multi),
      config_(std::move(config)),
      requests_(multi.loop(),
                [this](std::unique_ptr<Request> request) { deliver(std::move(request)); }) {}

EmbeddingsClient::~EmbeddingsClient() {
  requests_.clear();
}

uint64_t EmbeddingsClient::embed(std::vector<std::string> inputs, Callback onComplete,
                                 std::string model) {
  uint64_t id = requests_.nextId();
  Request* request =
      requests_.insert(id, std::make_unique<Request>(*this, id, std::move(inputs),
                                                     std::move(onComplete), std::move(model)));
  request->start();
  return id;
}

bool EmbeddingsClient::cancel(uint64_t id) {
  return requests_.cancel(id);
}

void EmbeddingsClient::cancelAll() {
  requests_.cancelAll();
}

void EmbeddingsClient::deliver(std::unique_ptr<Request> request) {
  EmbeddingsResult result = request->takeResult();
  Callback callback = request->takeCallback();
  request.reset();
  if (callback) callback(std::move(result));
}

}  // namespace sg
