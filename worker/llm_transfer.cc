// One HTTP attempt at an LLM API on libcurl multi (see llm_transfer.h).
#include "worker/llm_transfer.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "worker/chat_request_json.h"
#include "worker/llm_errors.h"

namespace sg {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

bool nameIs(std::string_view name, const char* expected) {
  return name.size() == std::strlen(expected) &&
         strncasecmp(name.data(), expected, name.size()) == 0;
}

bool append(CurlSlistPtr& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) return false;
  (void)list.release();
  list.reset(grown);
  return true;
}

Secret apiKey(const LlmConfig& config) {
  if (!config.api_key.empty()) return config.api_key;
  const char* env = std::getenv("OPENROUTER_API_KEY");
  return Secret(env != nullptr ? env : "");
}

}  // namespace

LlmTransferSpec transferSpec(const LlmConfig& config, const char* path, std::string body,
                             bool stream, uint64_t remaining_ms) {
  LlmTransferSpec spec;
  spec.url = apiUrl(config, path);
  spec.body = std::move(body);
  spec.api_key = apiKey(config);
  spec.referer = config.http_referer;
  spec.title = config.title;
  spec.stream = stream;
  uint64_t remaining = std::max<uint64_t>(remaining_ms, 1);
  spec.timeout_ms = static_cast<uint32_t>(std::min<uint64_t>(config.attempt_timeout_ms, remaining));
  spec.connect_timeout_ms = std::min(config.connect_timeout_ms, spec.timeout_ms);
  return spec;
}

std::shared_ptr<LlmTransfer> LlmTransfer::start(CurlMulti& multi, LlmTransferSpec spec,
                                                OnData onData, OnDone onDone) {
  auto transfer =
      std::make_shared<LlmTransfer>(multi, std::move(spec), std::move(onData), std::move(onDone));
  CurlEasyPtr easy(curl_easy_init());
  if (!easy || !transfer->configure(easy.get())) return nullptr;
  transfer->easy_ = easy.get();
  // The done callback holds the transfer: its buffers live as long as the easy handle.
  bool added = multi.add(std::move(easy),
                         [transfer](CURL* done, CURLcode code) { transfer->finish(done, code); });
  if (!added) return nullptr;
  return transfer;
}

LlmTransfer::LlmTransfer(CurlMulti& multi, LlmTransferSpec spec, OnData onData, OnDone onDone)
    : multi_(multi),
      spec_(std::move(spec)),
      on_data_(std::move(onData)),
      on_done_(std::move(onDone)) {}

bool LlmTransfer::configure(CURL* easy) {
  bool ok =
      append(headers_, "Content-Type: application/json") &&
      append(headers_, spec_.stream ? "Accept: text/event-stream" : "Accept: application/json") &&
      append(headers_, "Expect:");  // no 100-continue round trip for large bodies
  if (!spec_.api_key.empty())
    ok = ok && append(headers_, "Authorization: Bearer " + spec_.api_key.reveal());
  if (!spec_.referer.empty()) ok = ok && append(headers_, "HTTP-Referer: " + spec_.referer);
  if (!spec_.title.empty()) ok = ok && append(headers_, "X-Title: " + spec_.title);
  if (!ok) return false;
  curl_easy_setopt(easy, CURLOPT_URL, spec_.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, spec_.body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(spec_.body.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "stargazer/" SG_VERSION);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(spec_.connect_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(spec_.timeout_ms));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &LlmTransfer::onHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &LlmTransfer::onWrite);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  return true;
}

void LlmTransfer::cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  on_data_ = nullptr;
  on_done_ = nullptr;
  if (easy_ != nullptr) multi_.cancel(std::exchange(easy_, nullptr));
}

size_t LlmTransfer::onHeader(char* data, size_t size, size_t count, void* self) noexcept {
  auto* transfer = static_cast<LlmTransfer*>(self);
  if (transfer->cancelled_) return 0;
  transfer->readHeader(std::string_view(data, size * count));
  return size * count;
}

void LlmTransfer::readHeader(std::string_view line) {
  if (line.substr(0, 5) == "HTTP/") {  // a new response head (after 1xx, say): start over
    head_ = LlmResponseHead{};
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  std::string_view name = trim(line.substr(0, colon));
  std::string_view value = trim(line.substr(colon + 1));
  if (nameIs(name, "content-type")) {
    head_.content_type = value;
  } else if (nameIs(name, "retry-after-ms")) {
    auto seconds = parseRetryAfter(value);  // parsed as a number: scale back to milliseconds
    if (seconds) head_.retry_after_ms = *seconds / 1000;
  } else if (nameIs(name, "retry-after")) {
    if (!head_.retry_after_ms) head_.retry_after_ms = parseRetryAfter(value);
  } else if (nameIs(name, "x-generation-id")) {
    head_.generation_id = value;
  }
}

size_t LlmTransfer::onWrite(char* data, size_t size, size_t count, void* self) noexcept {
  auto* transfer = static_cast<LlmTransfer*>(self);
  size_t length = size * count;
  if (transfer->cancelled_ || !transfer->on_data_) return 0;
  if (!transfer->got_body_) {
    transfer->got_body_ = true;
    curl_easy_getinfo(transfer->easy_, CURLINFO_RESPONSE_CODE, &transfer->head_.status);
  }
  // Copy the callback: it may cancel this transfer, which releases on_data_.
  auto on_data = transfer->on_data_;
  if (!on_data(transfer->head_, std::string_view(data, length))) return 0;
  return transfer->cancelled_ ? 0 : length;
}

void LlmTransfer::finish(CURL* easy, CURLcode code) {
  easy_ = nullptr;
  if (cancelled_ || !on_done_) return;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &head_.status);
  auto on_done = std::move(on_done_);
  on_data_ = nullptr;
  on_done(head_, code, code == CURLE_OK ? std::string_view() : std::string_view(error_));
}

}  // namespace sg
