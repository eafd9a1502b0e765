// How a failed attempt at an LLM API call is named, and what may be done about it: retry the same
// model after a delay, fall back to another model, count it against the model (cooldown), or
// give up. One table of rules for the chat and embeddings clients, from the HTTP status, the
// libcurl result, or an error object in a 200 response.
//
// It does not wait, count attempts or choose models: callers do, with these verdicts.
#pragma once

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "worker/chat_types.h"

namespace sg {

struct AttemptFailure {
  ChatError error = ChatError::kNone;
  std::string message;
  long http_status = 0;
  bool retryable = false;    // worth another try of the same model after a delay
  bool fallback = false;     // another model may succeed where this one failed
  bool model_fault = false;  // counts toward the model's cooldown
  std::optional<uint64_t> retry_after_ms;
};

AttemptFailure attemptFailure(ChatError error, std::string message, long http_status,
                              bool retryable, bool fallback, bool model_fault);

// A non-200 response. `body` is the (possibly empty, possibly non-JSON) error body.
AttemptFailure failureForStatus(long status, std::optional<uint64_t> retry_after_ms,
                                std::string_view body);

// A transfer libcurl ended with `code`. `got_body` says whether body bytes had arrived.
AttemptFailure failureForCurl(CURLcode code, std::string_view error_text, bool got_body);

// An `error` object inside a 200 response (a whole body or a stream event). Its `code` may be an
// HTTP status number or a string.
AttemptFailure failureForApiError(const cJSON* error);

// Retry-After as delta-seconds or an HTTP date, in milliseconds from now; nullopt when unreadable.
std::optional<uint64_t> parseRetryAfter(std::string_view value);

// "message (code X, provider Y)" from an `error` object, bounded in length.
std::string describeApiError(const cJSON* error);

}  // namespace sg
