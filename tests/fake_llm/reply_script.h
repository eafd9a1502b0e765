// sg-fake-llm's scripted replies: what a test queues through POST /_control/script (one reply
// spec, an array of them, or {"responses": [...]}) and how an incoming request picks one: the
// first queued spec whose `match` fits (path, model, presence of a tool message, a substring of
// the body), used `times` times (-1: for ever). The JSON fields are documented in main.cc.
//
// It does not write responses (reply_writer.h) or listen (fake_llm_server.h).
#pragma once

#include <cjson/cJSON.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "common/http_server.h"

namespace sg::fake {

struct ScriptedToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text
};

enum class Stall { kNone, kBeforeHeaders, kAfterHeaders, kAfterFirstEvent, kBeforeEnd };

struct Reply {
  // Matching.
  std::string match_path = "/v1/chat/completions";
  std::string match_model;
  int match_tool_message = -1;  // -1: either; 0: no tool message; 1: a tool message
  std::string match_contains;
  int times = 1;

  // The answer.
  int status = 200;
  HttpHeaders headers;
  std::optional<std::string> content;  // nullopt: the default answer
  std::string reasoning;
  std::string reasoning_details_json;
  std::vector<ScriptedToolCall> tool_calls;
  std::string finish_reason;              // "": "tool_calls" when there are calls, else "stop"
  std::string model;                      // reported model; "": the requested one
  std::optional<bool> stream;             // nullopt: as requested
  std::optional<std::string> usage_json;  // an object merged into the usage; "null": no usage

  // Failures.
  std::string error_json;           // error object: the body of a non-200, or a 200 without choices
  bool finish_error = false;        // whole body: the choice ends with finish_reason "error"
  std::optional<std::string> body;  // exact body bytes (streamed or whole), nothing generated
  std::string stream_error_json;    // stream: an error event after the content
  bool done_after_error = false;
  bool omit_done = false;
  bool omit_finish_reason = false;
  bool repeat_finish_reason = false;
  long truncate_after_bytes = -1;
  Stall stall = Stall::kNone;
  bool close = false;  // drop the connection without answering

  // Pacing (-1: the server's default).
  int latency_ms = -1;
  int token_delay_ms = -1;
  int chunk_bytes = -1;
  int comments = -1;
  std::string line_ending = "\n";
};

// Reads one reply spec; false with `error` on a bad field.
[[nodiscard]] bool parseReply(const cJSON* spec, Reply* reply, std::string* error);

// What an incoming request is matched on.
struct RequestFacts {
  std::string path;
  std::string model;
  bool tool_message = false;
  const std::string* body = nullptr;
};

class ReplyScript {
 public:
  // Queues the specs in `json`; false with `error` (nothing queued) when one is bad.
  [[nodiscard]] bool add(const std::string& json, size_t* added, std::string* error);
  // The first matching spec, consumed once; nullopt when none matches.
  std::optional<Reply> take(const RequestFacts& facts);
  size_t size() const { return replies_.size(); }
  void clear() { replies_.clear(); }

 private:
  std::deque<Reply> replies_;
};

}  // namespace sg::fake
