// Reads one attempt's chat completions response into a ChatResult: a stream of server-sent
// events (deltas of content, reasoning and tool calls, the usage chunk with empty choices,
// [DONE]) or a whole JSON body, and the errors a server may put anywhere in them (an error
// status with a JSON body, an error event mid-stream, finish_reason "error", an `error` body with
// no choices, a stream cut before its end). Tool calls come out only from a complete answer.
//
// It does not retry or time anything: it says what the attempt produced (see llm_errors.h).
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "worker/chat_types.h"
#include "worker/llm_errors.h"
#include "worker/llm_transfer.h"
#include "worker/reasoning_details.h"
#include "worker/sse_parser.h"
#include "worker/tool_call_assembler.h"

namespace sg {

class ChatResponseReader {
 public:
  using DeltaHandler = std::function<void(std::string_view text)>;

  // `stream_requested`: the request asked for SSE. `onDelta` receives streamed content; it may
  // call stop() (the reader then ignores everything after).
  ChatResponseReader(bool stream_requested, DeltaHandler onDelta);

  // Body bytes in order. False: stop the transfer now (an error event, an unreadable event, a
  // body over the limit, or stop()).
  [[nodiscard]] bool feed(const LlmResponseHead& head, std::string_view bytes);

  // After the transfer ended: nullopt and `result` filled (content, tool calls, usage, model,
  // ids) on success; otherwise what went wrong.
  std::optional<AttemptFailure> finish(const LlmResponseHead& head, CURLcode code,
                                       std::string_view curl_error, bool got_body,
                                       ChatResult* result);

  // Something that counts as the first token arrived: a data event (keep-alive comments do not
  // count), or a non-blank byte of a whole body.
  bool firstToken() const { return first_token_; }
  bool sawDone() const { return done_; }
  void stop() { stopped_ = true; }

 private:
  bool onEvent(const SseEvent& event);
  bool readChunk(const cJSON* chunk);
  bool readDelta(const cJSON* choice);
  void readUsage(const cJSON* usage);
  void readIds(const cJSON* object);
  std::optional<AttemptFailure> readWholeBody();
  std::optional<AttemptFailure> readMessage(const cJSON* choice, const cJSON* error);
  std::optional<AttemptFailure> complete(const LlmResponseHead& head, ChatResult* result);
  bool fail(ChatError error, std::string message);

  bool stream_requested_;
  DeltaHandler on_delta_;
  bool started_ = false;
  bool sse_ = false;
  bool first_token_ = false;
  bool done_ = false;
  bool stopped_ = false;
  std::optional<AttemptFailure> failure_;

  SseParser parser_;
  std::string body_;  // whole bodies (non-streamed answers, error statuses)
  std::string content_;
  std::string reasoning_;
  ReasoningDetails details_;
  ToolCallAssembler tools_;
  std::string finish_reason_;
  ChatUsage usage_;
  std::string model_;
  std::string id_;
};

}  // namespace sg
