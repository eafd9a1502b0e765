// Chat completions responses, streamed or whole, read into results (see chat_response_reader.h).
#include "worker/chat_response_reader.h"

#include "common/json.h"

namespace sg {
namespace {

constexpr size_t kMaxBodyBytes = 32 * 1024 * 1024;
constexpr size_t kMaxErrorBodyBytes = 64 * 1024;

uint64_t count(const cJSON* object, const char* key) {
  double value = 0;
  return jsonNumber(object, key, &value) && value > 0 ? static_cast<uint64_t>(value) : 0;
}

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

ChatResponseReader::ChatResponseReader(bool stream_requested, DeltaHandler onDelta)
    : stream_requested_(stream_requested), on_delta_(std::move(onDelta)) {}

bool ChatResponseReader::fail(ChatError error, std::string message) {
  // A cut, garbled or failed answer is the provider's doing and worth another try; invalid tool
  // arguments are the model's answer, and the caller decides what to tell it.
  bool provider_fault = error != ChatError::kBadToolCall;
  failure_ = attemptFailure(error, std::move(message), 200, provider_fault, provider_fault,
                            provider_fault);
  return false;
}

bool ChatResponseReader::feed(const LlmResponseHead& head, std::string_view bytes) {
  if (stopped_ || failure_) return false;
  if (!started_) {
    started_ = true;
    // Streams are SSE only when the server says so: some answer an error, or even a whole
    // completion, as JSON although a stream was asked for.
    bool json = head.content_type.find("json") != std::string::npos;
    bool event_stream = head.content_type.find("event-stream") != std::string::npos;
    sse_ = head.status == 200 && stream_requested_ && (event_stream || !json);
  }
  if (sse_) {
    auto status = parser_.feed(bytes, [this](const SseEvent& event) { return onEvent(event); });
    if (status == SseParser::Status::kTooLarge)
      return fail(ChatError::kMalformed, "an event is too large");
    return status == SseParser::Status::kOk && !stopped_;
  }
  size_t limit = head.status == 200 ? kMaxBodyBytes : kMaxErrorBodyBytes;
  if (body_.size() + bytes.size() > limit) {
    if (head.status != 200) return true;  // an error body's head says enough
    return fail(ChatError::kMalformed, "the response body is too large");
  }
  if (!first_token_) {
    for (char c : bytes) {
      if (!isBlank(c)) {
        first_token_ = true;
        break;
      }
    }
  }
  body_.append(bytes);
  return true;
}

bool ChatResponseReader::onEvent(const SseEvent& event) {
  if (stopped_) return false;
  if (event.data == "[DONE]") {
    done_ = true;
    return true;
  }
  JsonPtr chunk = parseJson(event.data);
  if (!chunk || !cJSON_IsObject(chunk.get())) {
    return fail(ChatError::kMalformed, "a stream event is not a JSON object");
  }
  first_token_ = true;
  return readChunk(chunk.get());
}

void ChatResponseReader::readIds(const cJSON* object) {
  if (model_.empty()) model_ = jsonString(object, "model");
  if (id_.empty()) id_ = jsonString(object, "id");
}

bool ChatResponseReader::readChunk(const cJSON* chunk) {
  readIds(chunk);
  const cJSON* error = jsonField(chunk, "error");
  if (error != nullptr && !cJSON_IsNull(error)) {
    failure_ = failureForApiError(error);
    return false;
  }
  const cJSON* usage = jsonField(chunk, "usage");
  if (usage != nullptr && cJSON_IsObject(usage)) readUsage(usage);
  const cJSON* choices = jsonField(chunk, "choices");
  if (choices == nullptr || !cJSON_IsArray(choices)) return true;  // the usage chunk: null
  const cJSON* choice = cJSON_GetArrayItem(choices, 0);            // n = 1: one choice, index 0
  return choice == nullptr || readDelta(choice);
}

bool ChatResponseReader::readDelta(const cJSON* choice) {
  const cJSON* delta = jsonField(choice, "delta");
  std::string_view text = jsonString(delta, "content");
  if (!text.empty()) {
    content_.append(text);
    if (on_delta_) on_delta_(text);
    if (stopped_) return false;
  }
  reasoning_.append(jsonString(delta, "reasoning"));
  details_.addDelta(jsonField(delta, "reasoning_details"));
  std::string error;
  if (!tools_.addDelta(jsonField(delta, "tool_calls"), &error)) {
    return fail(ChatError::kMalformed, error);
  }
  std::string_view reason = jsonString(choice, "finish_reason");
  if (reason == "error") {
    return fail(ChatError::kUpstream, "the model's answer ended with finish_reason \"error\"");
  }
  // Some providers repeat finish_reason (in the usage chunk, say): the first one stands.
  if (!reason.empty() && finish_reason_.empty()) finish_reason_ = reason;
  return true;
}

void ChatResponseReader::readUsage(const cJSON* usage) {
  usage_.reported = true;
  usage_.prompt_tokens = count(usage, "prompt_tokens");
  usage_.completion_tokens = count(usage, "completion_tokens");
  usage_.total_tokens = count(usage, "total_tokens");
  if (usage_.total_tokens == 0)
    usage_.total_tokens = usage_.prompt_tokens + usage_.completion_tokens;
  usage_.cached_tokens = count(jsonField(usage, "prompt_tokens_details"), "cached_tokens");
  usage_.reasoning_tokens =
      count(jsonField(usage, "completion_tokens_details"), "reasoning_tokens");
  double cost = 0;
  if (jsonNumber(usage, "cost", &cost)) usage_.cost = cost;
}

std::optional<AttemptFailure> ChatResponseReader::readMessage(const cJSON* choice,
                                                              const cJSON* error) {
  std::string_view reason = jsonString(choice, "finish_reason");
  if (reason == "error") {
    if (error == nullptr || cJSON_IsNull(error)) error = jsonField(choice, "error");
    if (error != nullptr && !cJSON_IsNull(error)) return failureForApiError(error);
    fail(ChatError::kUpstream, "the model's answer ended with finish_reason \"error\"");
    return failure_;
  }
  finish_reason_ = reason;
  const cJSON* message = jsonField(choice, "message");
  if (message == nullptr || !cJSON_IsObject(message)) {
    fail(ChatError::kMalformed, "the choice has no message");
    return failure_;
  }
  content_ = jsonString(message, "content");
  reasoning_ = jsonString(message, "reasoning");
  details_.setComplete(jsonField(message, "reasoning_details"));
  std::string problem;
  if (!tools_.addComplete(jsonField(message, "tool_calls"), &problem)) {
    fail(ChatError::kMalformed, problem);
    return failure_;
  }
  return std::nullopt;
}

std::optional<AttemptFailure> ChatResponseReader::readWholeBody() {
  JsonPtr body = parseJson(body_);
  if (!body || !cJSON_IsObject(body.get())) {
    fail(ChatError::kMalformed, "the response body is not a JSON object");
    return failure_;
  }
  readIds(body.get());
  const cJSON* usage = jsonField(body.get(), "usage");
  if (usage != nullptr && cJSON_IsObject(usage)) readUsage(usage);
  const cJSON* choices = jsonField(body.get(), "choices");
  const cJSON* choice = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : nullptr;
  const cJSON* error = jsonField(body.get(), "error");
  if (choice == nullptr) {
    if (error != nullptr && !cJSON_IsNull(error)) return failureForApiError(error);
    fail(ChatError::kMalformed, "the response has no choices");
    return failure_;
  }
  return readMessage(choice, error);
}

std::optional<AttemptFailure> ChatResponseReader::finish(const LlmResponseHead& head, CURLcode code,
                                                         std::string_view curl_error, bool got_body,
                                                         ChatResult* result) {
  if (failure_) return failure_;
  // An error status says more than a transport error that may have followed it.
  if (head.status != 200 && head.status != 0) {
    return failureForStatus(head.status, head.retry_after_ms, body_);
  }
  // A transport error after [DONE] loses nothing: the answer is complete.
  if (code != CURLE_OK && !(sse_ && done_)) return failureForCurl(code, curl_error, got_body);
  if (head.status != 200) return failureForCurl(CURLE_GOT_NOTHING, "no response", false);
  if (sse_) {
    if (!done_ && finish_reason_.empty()) {
      fail(ChatError::kTruncated, parser_.partial()
                                      ? "the stream was cut in the middle of an event"
                                      : "the stream ended without [DONE] or a finish_reason");
      return failure_;
    }
  } else if (auto failure = readWholeBody()) {
    return failure;
  }
  return complete(head, result);
}

std::optional<AttemptFailure> ChatResponseReader::complete(const LlmResponseHead& head,
                                                           ChatResult* result) {
  std::string problem;
  if (!tools_.finish(&result->tool_calls, &problem)) {
    fail(ChatError::kBadToolCall, problem);
    return failure_;
  }
  result->content = std::move(content_);
  result->reasoning = std::move(reasoning_);
  result->reasoning_details_json = details_.json();
  result->finish_reason = std::move(finish_reason_);
  result->usage = usage_;
  result->model = std::move(model_);
  result->generation_id = head.generation_id.empty() ? std::move(id_) : head.generation_id;
  result->http_status = head.status;
  return std::nullopt;
}

}  // namespace sg
