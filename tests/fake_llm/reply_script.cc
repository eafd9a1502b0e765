// Scripted replies: parsing and matching (see reply_script.h).
#include "tests/fake_llm/reply_script.h"

#include "common/json.h"

namespace sg::fake {
namespace {

bool readInt(const cJSON* spec, const char* key, int* out) {
  double value = 0;
  if (!jsonNumber(spec, key, &value)) return false;
  *out = static_cast<int>(value);
  return true;
}

bool readBool(const cJSON* spec, const char* key, bool* out) {
  const cJSON* item = jsonField(spec, key);
  if (item == nullptr || !cJSON_IsBool(item)) return false;
  *out = cJSON_IsTrue(item);
  return true;
}

bool readText(const cJSON* spec, const char* key, std::string* out) {
  const cJSON* item = jsonField(spec, key);
  if (item == nullptr || !cJSON_IsString(item)) return false;
  *out = item->valuestring;
  return true;
}

// A field that may be JSON of any kind, kept as text.
bool readRaw(const cJSON* spec, const char* key, std::string* out) {
  const cJSON* item = jsonField(spec, key);
  if (item == nullptr) return false;
  *out = printJson(item);
  return true;
}

bool readMatch(const cJSON* match, Reply* reply) {
  if (match == nullptr) return true;
  readText(match, "path", &reply->match_path);
  readText(match, "model", &reply->match_model);
  readText(match, "contains", &reply->match_contains);
  bool tool = false;
  if (readBool(match, "tool_message", &tool)) reply->match_tool_message = tool ? 1 : 0;
  return cJSON_IsObject(match);
}

bool readToolCalls(const cJSON* calls, Reply* reply, std::string* error) {
  if (calls == nullptr) return true;
  if (!cJSON_IsArray(calls)) {
    *error = "tool_calls must be an array";
    return false;
  }
  const cJSON* call = nullptr;
  int index = 0;
  cJSON_ArrayForEach(call, calls) {
    ScriptedToolCall scripted;
    scripted.id = jsonString(call, "id", "call_fake_" + std::to_string(index++));
    scripted.name = jsonString(call, "name");
    const cJSON* arguments = jsonField(call, "arguments");
    if (arguments != nullptr && cJSON_IsString(arguments)) {
      scripted.arguments = arguments->valuestring;  // exactly as given, even invalid
    } else if (arguments != nullptr) {
      scripted.arguments = printJson(arguments);
    } else {
      scripted.arguments = "{}";
    }
    reply->tool_calls.push_back(std::move(scripted));
  }
  return true;
}

bool readStall(const cJSON* spec, Reply* reply, std::string* error) {
  std::string stall;
  if (!readText(spec, "stall", &stall)) return true;
  if (stall == "before_headers") {
    reply->stall = Stall::kBeforeHeaders;
  } else if (stall == "after_headers") {
    reply->stall = Stall::kAfterHeaders;
  } else if (stall == "after_first_event") {
    reply->stall = Stall::kAfterFirstEvent;
  } else if (stall == "before_end") {
    reply->stall = Stall::kBeforeEnd;
  } else {
    *error = "stall must be before_headers, after_headers, after_first_event or before_end";
    return false;
  }
  return true;
}

void readHeaders(const cJSON* headers, Reply* reply) {
  const cJSON* header = nullptr;
  cJSON_ArrayForEach(header, headers) {
    std::string value = cJSON_IsString(header) ? header->valuestring : printJson(header);
    reply->headers.push_back({header->string, value});
  }
}

void readAnswer(const cJSON* spec, Reply* reply) {
  readInt(spec, "status", &reply->status);
  readHeaders(jsonField(spec, "headers"), reply);
  std::string text;
  if (readText(spec, "content", &text)) reply->content = text;
  readText(spec, "reasoning", &reply->reasoning);
  readRaw(spec, "reasoning_details", &reply->reasoning_details_json);
  readText(spec, "finish_reason", &reply->finish_reason);
  readText(spec, "model", &reply->model);
  bool stream = false;
  if (readBool(spec, "stream", &stream)) reply->stream = stream;
  std::string usage;
  if (readRaw(spec, "usage", &usage)) reply->usage_json = usage;
}

void readFailures(const cJSON* spec, Reply* reply) {
  readRaw(spec, "error", &reply->error_json);
  readBool(spec, "finish_error", &reply->finish_error);
  std::string body;
  if (readText(spec, "body", &body)) reply->body = body;
  readRaw(spec, "stream_error", &reply->stream_error_json);
  readBool(spec, "done_after_error", &reply->done_after_error);
  readBool(spec, "omit_done", &reply->omit_done);
  readBool(spec, "omit_finish_reason", &reply->omit_finish_reason);
  readBool(spec, "repeat_finish_reason", &reply->repeat_finish_reason);
  double truncate = 0;
  if (jsonNumber(spec, "truncate_after_bytes", &truncate)) {
    reply->truncate_after_bytes = static_cast<long>(truncate);
  }
  readBool(spec, "close", &reply->close);
}

void readPacing(const cJSON* spec, Reply* reply) {
  readInt(spec, "latency_ms", &reply->latency_ms);
  readInt(spec, "token_delay_ms", &reply->token_delay_ms);
  readInt(spec, "chunk_bytes", &reply->chunk_bytes);
  readInt(spec, "comments", &reply->comments);
  readText(spec, "line_ending", &reply->line_ending);
}

}  // namespace

bool parseReply(const cJSON* spec, Reply* reply, std::string* error) {
  if (!cJSON_IsObject(spec)) {
    *error = "a reply spec must be an object";
    return false;
  }
  if (!readMatch(jsonField(spec, "match"), reply)) {
    *error = "match must be an object";
    return false;
  }
  readInt(spec, "times", &reply->times);
  readAnswer(spec, reply);
  readFailures(spec, reply);
  readPacing(spec, reply);
  if (!readToolCalls(jsonField(spec, "tool_calls"), reply, error)) return false;
  if (!readStall(spec, reply, error)) return false;
  if (reply->times == 0 || reply->status < 100 || reply->status > 599) {
    *error = "times must not be 0 and status must be an HTTP status";
    return false;
  }
  if (reply->line_ending != "\n" && reply->line_ending != "\r\n" && reply->line_ending != "\r") {
    *error = "line_ending must be \\n, \\r\\n or \\r";
    return false;
  }
  return true;
}

bool ReplyScript::add(const std::string& json, size_t* added, std::string* error) {
  JsonPtr parsed = parseJson(json);
  if (!parsed) {
    *error = "the script is not JSON";
    return false;
  }
  const cJSON* list = parsed.get();
  if (cJSON_IsObject(list) && jsonField(list, "responses") != nullptr) {
    list = jsonField(list, "responses");
  }
  std::vector<Reply> replies;
  if (cJSON_IsArray(list)) {
    const cJSON* spec = nullptr;
    cJSON_ArrayForEach(spec, list) {
      Reply reply;
      if (!parseReply(spec, &reply, error)) return false;
      replies.push_back(std::move(reply));
    }
  } else {
    Reply reply;
    if (!parseReply(list, &reply, error)) return false;
    replies.push_back(std::move(reply));
  }
  for (auto& reply : replies) replies_.push_back(std::move(reply));
  *added = replies.size();
  return true;
}

std::optional<Reply> ReplyScript::take(const RequestFacts& facts) {
  for (auto it = replies_.begin(); it != replies_.end(); ++it) {
    const Reply& reply = *it;
    if (reply.match_path != facts.path) continue;
    if (!reply.match_model.empty() && reply.match_model != facts.model) continue;
    if (reply.match_tool_message >= 0 && (reply.match_tool_message == 1) != facts.tool_message) {
      continue;
    }
    if (!reply.match_contains.empty() &&
        (facts.body == nullptr || facts.body->find(reply.match_contains) == std::string::npos)) {
      continue;
    }
    Reply chosen = reply;
    if (it->times > 0 && --it->times == 0) replies_.erase(it);
    return chosen;
  }
  return std::nullopt;
}

}  // namespace sg::fake
