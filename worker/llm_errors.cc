// The rules that name failed LLM API attempts and decide retries (see llm_errors.h).
#include "worker/llm_errors.h"

#include <charconv>
#include <ctime>

#include "common/json.h"

namespace sg {
namespace {

constexpr size_t kMaxMessage = 300;

std::string clip(std::string_view text) {
  if (text.size() <= kMaxMessage) return std::string(text);
  return std::string(text.substr(0, kMaxMessage)) + "...";
}

// The classification of a status alone; the message is filled in by the caller.
AttemptFailure classifyStatus(long status, bool has_retry_after) {
  switch (status) {
    case 401:
    case 403:
      return attemptFailure(ChatError::kAuth, {}, status, false, false, false);
    case 402:  // out of credits: only worth waiting for when the server says when
      if (has_retry_after)
        return attemptFailure(ChatError::kRateLimited, {}, status, true, false, false);
      return attemptFailure(ChatError::kAuth, {}, status, false, false, false);
    case 400:
    case 404:
    case 422:  // another model may take the request (tools, context size, a retired model)
      return attemptFailure(ChatError::kClientError, {}, status, false, true, status == 404);
    case 413:
      return attemptFailure(ChatError::kClientError, {}, status, false, false, false);
    case 408:
      return attemptFailure(ChatError::kServerError, {}, status, true, true, true);
    case 429:
      return attemptFailure(ChatError::kRateLimited, {}, status, true, true, true);
    case 501:
    case 505:
      return attemptFailure(ChatError::kServerError, {}, status, false, true, true);
    default:
      break;
  }
  if (status >= 500 && status < 600)
    return attemptFailure(ChatError::kServerError, {}, status, true, true, true);
  return attemptFailure(ChatError::kClientError, {}, status, false, false, false);
}

}  // namespace

AttemptFailure attemptFailure(ChatError error, std::string message, long http_status,
                              bool retryable, bool fallback, bool model_fault) {
  AttemptFailure failure;
  failure.error = error;
  failure.message = std::move(message);
  failure.http_status = http_status;
  failure.retryable = retryable;
  failure.fallback = fallback;
  failure.model_fault = model_fault;
  return failure;
}

std::string describeApiError(const cJSON* error) {
  if (error == nullptr) return "no error details";
  if (cJSON_IsString(error)) return clip(error->valuestring);
  std::string text(jsonString(error, "message", "no message"));
  const cJSON* code = jsonField(error, "code");
  if (code != nullptr && cJSON_IsNumber(code)) {
    text += " (code " + std::to_string(static_cast<long>(code->valuedouble)) + ")";
  } else if (code != nullptr && cJSON_IsString(code)) {
    text += std::string(" (code ") + code->valuestring + ")";
  }
  std::string_view provider = jsonString(jsonField(error, "metadata"), "provider_name");
  if (!provider.empty()) text += " from " + std::string(provider);
  return clip(text);
}

AttemptFailure failureForStatus(long status, std::optional<uint64_t> retry_after_ms,
                                std::string_view body) {
  AttemptFailure failure = classifyStatus(status, retry_after_ms.has_value());
  failure.retry_after_ms = retry_after_ms;
  JsonPtr parsed = parseJson(body);
  std::string detail;
  if (parsed && jsonField(parsed.get(), "error") != nullptr) {
    detail = describeApiError(jsonField(parsed.get(), "error"));
  } else if (!body.empty()) {
    detail = clip(body);
  }
  failure.message = "HTTP " + std::to_string(status);
  if (!detail.empty()) failure.message += ": " + detail;
  return failure;
}

AttemptFailure failureForCurl(CURLcode code, std::string_view error_text, bool got_body) {
  std::string message = error_text.empty() ? curl_easy_strerror(code) : std::string(error_text);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return attemptFailure(ChatError::kAttemptTimeout, message, 0, true, true, true);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:  // the endpoint, not the model: another model will not help
      return attemptFailure(ChatError::kConnection, message, 0, true, false, false);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return attemptFailure(ChatError::kConnection, message, 0, false, false, false);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
      return attemptFailure(ChatError::kInternal, message, 0, false, false, false);
    default:
      break;
  }
  // The connection broke: in the middle of an answer it is a cut stream.
  if (got_body) return attemptFailure(ChatError::kTruncated, message, 0, true, true, true);
  return attemptFailure(ChatError::kConnection, message, 0, true, false, false);
}

AttemptFailure failureForApiError(const cJSON* error) {
  std::string message = describeApiError(error);
  const cJSON* code = jsonField(error, "code");
  if (code != nullptr && cJSON_IsNumber(code) && code->valuedouble >= 400 &&
      code->valuedouble < 600) {
    AttemptFailure failure = classifyStatus(static_cast<long>(code->valuedouble), false);
    failure.http_status = 200;
    failure.message = "error in the response: " + message;
    return failure;
  }
  std::string_view name = code != nullptr && cJSON_IsString(code) ? code->valuestring : "";
  bool request_fault = name == "invalid_request_error" || name == "context_length_exceeded" ||
                       name == "invalid_api_key" || name == "insufficient_quota" ||
                       name == "content_filter";
  // A provider failing in the middle of an answer is usually transient: retry it.
  return attemptFailure(ChatError::kUpstream, "error in the response: " + message, 200,
                        !request_fault, true, !request_fault);
}

std::optional<uint64_t> parseRetryAfter(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return static_cast<uint64_t>(seconds * 1000.0);
  }
  std::string date(value);
  time_t when = curl_getdate(date.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  time_t now = std::time(nullptr);
  return when > now ? static_cast<uint64_t>(when - now) * 1000 : 0;
}

}  // namespace sg
