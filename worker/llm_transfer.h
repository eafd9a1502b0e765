// One HTTP POST to an OpenAI-compatible API on the worker's CurlMulti: builds the easy handle
// (URL, JSON body, Authorization and OpenRouter's attribution headers, timeouts), records the
// response head that matters (status, Content-Type, Retry-After, X-Generation-Id) and hands body
// bytes to its owner as they arrive. The API key goes into a header and nowhere else.
//
// It does not parse bodies, retry, or keep time beyond libcurl's own timeouts.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/log.h"
#include "worker/curl_multi.h"

namespace sg {

struct LlmResponseHead {
  long status = 0;
  std::string content_type;
  std::optional<uint64_t> retry_after_ms;  // Retry-After or retry-after-ms
  std::string generation_id;               // X-Generation-Id
};

struct LlmTransferSpec {
  std::string url;
  std::string body;  // JSON
  Secret api_key;    // empty: no Authorization header (local servers)
  std::string referer;
  std::string title;
  bool stream = false;  // asks for text/event-stream
  uint32_t connect_timeout_ms = 5000;
  uint32_t timeout_ms = 60000;  // the whole attempt
};

// A request to `{llm.base_url}/{path}` with the configured key (llm.api_key, else the
// OPENROUTER_API_KEY environment variable), attribution headers and timeouts, the attempt allowed
// at most `remaining_ms`.
LlmTransferSpec transferSpec(const LlmConfig& config, const char* path, std::string body,
                             bool stream, uint64_t remaining_ms);

class LlmTransfer {
 public:
  // Body bytes in order, the head filled in. Return false to stop the transfer (it then ends
  // with CURLE_WRITE_ERROR).
  using OnData = std::function<bool(const LlmResponseHead& head, std::string_view bytes)>;
  // Once, when the transfer ends, unless cancelled.
  using OnDone =
      std::function<void(const LlmResponseHead& head, CURLcode code, std::string_view error)>;

  // Starts a transfer; null when libcurl cannot. Callbacks never run inside start(). The
  // transfer keeps itself alive until it ends; keep the pointer to cancel it.
  static std::shared_ptr<LlmTransfer> start(CurlMulti& multi, LlmTransferSpec spec, OnData onData,
                                            OnDone onDone);
  LlmTransfer(CurlMulti& multi, LlmTransferSpec spec, OnData onData, OnDone onDone);
  LlmTransfer(const LlmTransfer&) = delete;
  LlmTransfer& operator=(const LlmTransfer&) = delete;

  // No callback runs after this; the connection is dropped at once (or right after the libcurl
  // callback in progress).
  void cancel();
  bool gotBody() const { return got_body_; }

 private:
  static size_t onHeader(char* data, size_t size, size_t count, void* self) noexcept;
  static size_t onWrite(char* data, size_t size, size_t count, void* self) noexcept;
  [[nodiscard]] bool configure(CURL* easy);
  void readHeader(std::string_view line);
  void finish(CURL* easy, CURLcode code);

  CurlMulti& multi_;
  LlmTransferSpec spec_;
  OnData on_data_;
  OnDone on_done_;
  CURL* easy_ = nullptr;  // owned by multi_ while the transfer runs
  CurlSlistPtr headers_;
  LlmResponseHead head_;
  char error_[CURL_ERROR_SIZE] = {};
  bool got_body_ = false;
  bool cancelled_ = false;
};

}  // namespace sg
