// OpenRouter-shaped chat completions, errors and embeddings (see completion_builder.h).
#include "tests/fake_llm/completion_builder.h"

#include <cmath>
#include <cstdio>

#include "common/http_server.h"
#include "common/json.h"

namespace sg::fake {
namespace {

// Splits text after each space: "a b c" -> "a ", "b ", "c" (the deltas of a streamed answer).
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t space = text.find(' ', start);
    size_t end = space == std::string::npos ? text.size() : space + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

// Cuts text into `parts` pieces of similar size (some may be empty when text is short).
std::vector<std::string> pieces(const std::string& text, size_t parts) {
  std::vector<std::string> out;
  size_t step = (text.size() + parts - 1) / parts;
  if (step == 0) step = 1;
  for (size_t start = 0; start < text.size(); start += step)
    out.push_back(text.substr(start, step));
  if (out.empty()) out.push_back("");
  return out;
}

uint64_t completionTokens(const Reply& reply, const CompletionContext& context) {
  uint64_t tokens = words(context.content).size();
  for (const auto& call : reply.tool_calls) tokens += call.arguments.size() / 4 + 1;
  return tokens + reply.reasoning.size() / 4;
}

std::string finishReason(const Reply& reply) {
  if (!reply.finish_reason.empty()) return reply.finish_reason;
  return reply.tool_calls.empty() ? "stop" : "tool_calls";
}

std::string usageJson(const Reply& reply, const CompletionContext& context) {
  uint64_t completion = completionTokens(reply, context);
  uint64_t total = context.prompt_tokens + completion;
  JsonPtr usage(cJSON_CreateObject());
  cJSON_AddNumberToObject(usage.get(), "prompt_tokens", static_cast<double>(context.prompt_tokens));
  cJSON_AddNumberToObject(usage.get(), "completion_tokens", static_cast<double>(completion));
  cJSON_AddNumberToObject(usage.get(), "total_tokens", static_cast<double>(total));
  cJSON_AddNumberToObject(usage.get(), "cost", static_cast<double>(total) * 1e-6);
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(usage.get(), "prompt_tokens_details"),
                          "cached_tokens", 0);
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(usage.get(), "completion_tokens_details"),
                          "reasoning_tokens", static_cast<double>(reply.reasoning.size() / 4));
  if (reply.usage_json && *reply.usage_json != "null") {
    JsonPtr overrides = parseJson(*reply.usage_json);
    const cJSON* field = nullptr;
    cJSON_ArrayForEach(field, overrides.get()) {
      cJSON_DeleteItemFromObjectCaseSensitive(usage.get(), field->string);
      cJSON_AddItemToObject(usage.get(), field->string, cJSON_Duplicate(field, true));
    }
  }
  return printJson(usage.get());
}

// Writes the common head of a streamed chunk; the caller appends choices and closes the object.
class ChunkWriter {
 public:
  ChunkWriter(const CompletionContext& context, std::string line_ending)
      : end_(line_ending + line_ending) {
    prefix_ = "data: {\"id\":";
    appendJsonString(prefix_, context.generation_id);
    prefix_ += ",\"provider\":\"Fake\",\"model\":";
    appendJsonString(prefix_, context.model);
    prefix_ +=
        ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(context.created);
  }

  // A chunk with one choice carrying `delta` (a JSON object's text) and a finish_reason.
  std::string delta(const std::string& delta, const std::string& finish = {}) const {
    std::string out =
        prefix_ + ",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":";
    if (finish.empty()) {
      out += "null,\"native_finish_reason\":null";
    } else {
      appendJsonString(out, finish);
      out += ",\"native_finish_reason\":";
      appendJsonString(out, finish);
    }
    return out + ",\"logprobs\":null}]}" + end_;
  }
  std::string usage(const std::string& usage) const {
    return prefix_ + ",\"choices\":[],\"usage\":" + usage + "}" + end_;
  }
  std::string error(const std::string& error) const {
    return prefix_ + ",\"error\":" + error +
           ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"," +
           "\"native_finish_reason\":\"error\",\"logprobs\":null}]}" + end_;
  }
  std::string raw(const std::string& data) const { return "data: " + data + end_; }

 private:
  std::string prefix_;
  std::string end_;
};

std::string textDelta(const char* field, const std::string& text, bool with_role) {
  std::string out = with_role ? "{\"role\":\"assistant\",\"" : "{\"";
  out += field;
  out += "\":";
  appendJsonString(out, text);
  return out + "}";
}

// reasoning_details elements streamed in two fragments each, text fields split between them.
void reasoningDetailEvents(const Reply& reply, const ChunkWriter& writer,
                           std::vector<std::string>* events) {
  JsonPtr details = parseJson(reply.reasoning_details_json);
  if (!details || !cJSON_IsArray(details.get())) return;
  int index = 0;
  const cJSON* element = nullptr;
  cJSON_ArrayForEach(element, details.get()) {
    JsonPtr first(cJSON_Duplicate(element, true));
    JsonPtr second(cJSON_CreateObject());
    cJSON_AddNumberToObject(second.get(), "index", index);
    if (!cJSON_HasObjectItem(first.get(), "index"))
      cJSON_AddNumberToObject(first.get(), "index", index);
    for (const char* key : {"text", "summary", "data"}) {
      const cJSON* text = cJSON_GetObjectItemCaseSensitive(element, key);
      if (text == nullptr || !cJSON_IsString(text)) continue;
      std::string whole = text->valuestring;
      size_t half = whole.size() / 2;
      cJSON_ReplaceItemInObjectCaseSensitive(first.get(), key,
                                             cJSON_CreateString(whole.substr(0, half).c_str()));
      cJSON_AddStringToObject(second.get(), key, whole.substr(half).c_str());
    }
    events->push_back(writer.delta("{\"reasoning_details\":[" + printJson(first.get()) + "]}"));
    events->push_back(writer.delta("{\"reasoning_details\":[" + printJson(second.get()) + "]}"));
    ++index;
  }
}

std::string toolFragment(const ScriptedToolCall& call, size_t index, const std::string* arguments,
                         bool first) {
  std::string out = "{\"index\":" + std::to_string(index);
  if (first) {
    out += ",\"id\":";
    appendJsonString(out, call.id);
    out += ",\"type\":\"function\",\"function\":{\"name\":";
    appendJsonString(out, call.name);
    out += ",\"arguments\":\"\"}}";
    return out;
  }
  out += ",\"function\":{\"arguments\":";
  appendJsonString(out, *arguments);
  return out + "}}";
}

// Parallel calls interleaved: step 0 sends each call's first fragment in its own chunk, later
// steps send one argument piece of every call together in one chunk.
void toolCallEvents(const Reply& reply, const ChunkWriter& writer,
                    std::vector<std::string>* events) {
  std::vector<std::vector<std::string>> parts;
  for (const auto& call : reply.tool_calls) parts.push_back(pieces(call.arguments, 3));
  for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
    events->push_back(writer.delta("{\"tool_calls\":[" +
                                   toolFragment(reply.tool_calls[i], i, nullptr, true) + "]}"));
  }
  for (size_t step = 0; step < 3; ++step) {
    std::string fragments;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (step >= parts[i].size()) continue;
      if (!fragments.empty()) fragments += ",";
      fragments += toolFragment(reply.tool_calls[i], i, &parts[i][step], false);
    }
    if (!fragments.empty()) events->push_back(writer.delta("{\"tool_calls\":[" + fragments + "]}"));
  }
}

std::string messageJson(const Reply& reply, const CompletionContext& context) {
  JsonPtr message(cJSON_CreateObject());
  cJSON_AddStringToObject(message.get(), "role", "assistant");
  if (context.content.empty() && !reply.tool_calls.empty()) {
    cJSON_AddNullToObject(message.get(), "content");
  } else {
    cJSON_AddStringToObject(message.get(), "content", context.content.c_str());
  }
  cJSON_AddNullToObject(message.get(), "refusal");
  if (reply.reasoning.empty()) {
    cJSON_AddNullToObject(message.get(), "reasoning");
  } else {
    cJSON_AddStringToObject(message.get(), "reasoning", reply.reasoning.c_str());
  }
  JsonPtr details = parseJson(reply.reasoning_details_json);
  if (details) cJSON_AddItemToObject(message.get(), "reasoning_details", details.release());
  if (!reply.tool_calls.empty()) {
    cJSON* calls = cJSON_AddArrayToObject(message.get(), "tool_calls");
    for (const auto& call : reply.tool_calls) {
      cJSON* item = cJSON_CreateObject();
      cJSON_AddStringToObject(item, "id", call.id.c_str());
      cJSON_AddStringToObject(item, "type", "function");
      cJSON* function = cJSON_AddObjectToObject(item, "function");
      cJSON_AddStringToObject(function, "name", call.name.c_str());
      cJSON_AddStringToObject(function, "arguments", call.arguments.c_str());
      cJSON_AddItemToArray(calls, item);
    }
  }
  return printJson(message.get());
}

}  // namespace

std::vector<std::string> streamEvents(const Reply& reply, const CompletionContext& context,
                                      int comments) {
  ChunkWriter writer(context, reply.line_ending);
  std::vector<std::string> events;
  for (int i = 0; i < comments; ++i) {
    events.push_back(": OPENROUTER PROCESSING" + reply.line_ending + reply.line_ending);
  }
  bool role_sent = false;
  if (!reply.reasoning.empty()) {
    for (const auto& word : words(reply.reasoning)) {
      events.push_back(writer.delta(textDelta("reasoning", word, !role_sent)));
      role_sent = true;
    }
  }
  reasoningDetailEvents(reply, writer, &events);
  for (const auto& word : words(context.content)) {
    events.push_back(writer.delta(textDelta("content", word, !role_sent)));
    role_sent = true;
  }
  if (!role_sent) events.push_back(writer.delta(textDelta("content", "", true)));
  toolCallEvents(reply, writer, &events);
  if (!reply.stream_error_json.empty()) {
    events.push_back(writer.error(reply.stream_error_json));
    if (reply.done_after_error) events.push_back(writer.raw("[DONE]"));
    return events;
  }
  if (!reply.omit_finish_reason) {
    events.push_back(writer.delta("{}", finishReason(reply)));
    if (reply.repeat_finish_reason) events.push_back(writer.delta("{}", finishReason(reply)));
  }
  if (!(reply.usage_json && *reply.usage_json == "null")) {
    events.push_back(writer.usage(usageJson(reply, context)));
  }
  if (!reply.omit_done) events.push_back(writer.raw("[DONE]"));
  return events;
}

std::string wholeBody(const Reply& reply, const CompletionContext& context) {
  if (!reply.error_json.empty() && !reply.finish_error) return errorBody(reply);
  std::string finish = reply.finish_error ? "error" : finishReason(reply);
  std::string out = "{\"id\":";
  appendJsonString(out, context.generation_id);
  out += ",\"provider\":\"Fake\",\"model\":";
  appendJsonString(out, context.model);
  out += ",\"object\":\"chat.completion\",\"created\":" + std::to_string(context.created);
  out += ",\"choices\":[{\"index\":0,\"logprobs\":null,\"finish_reason\":";
  appendJsonString(out, finish);
  out += ",\"native_finish_reason\":";
  appendJsonString(out, finish);
  out += ",\"message\":" + messageJson(reply, context) + "}]";
  if (reply.finish_error && !reply.error_json.empty()) out += ",\"error\":" + reply.error_json;
  if (!(reply.usage_json && *reply.usage_json == "null")) {
    out += ",\"usage\":" + usageJson(reply, context);
  }
  return out + "}";
}

std::string errorBody(const Reply& reply) {
  if (!reply.error_json.empty()) return "{\"error\":" + reply.error_json + "}";
  std::string out = "{\"error\":{\"code\":" + std::to_string(reply.status) + ",\"message\":";
  appendJsonString(out, httpReason(reply.status));
  return out + "}}";
}

std::vector<float> embeddingFor(const std::string& text, int dimensions) {
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
  std::vector<float> vector(static_cast<size_t>(dimensions));
  double norm = 0;
  for (auto& value : vector) {
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 33;
    value = static_cast<float>(static_cast<double>(hash % 2000001) / 1000000.0 - 1.0);
    norm += static_cast<double>(value) * value;
  }
  norm = std::sqrt(norm);
  if (norm > 0) {
    for (auto& value : vector) value = static_cast<float>(value / norm);
  }
  return vector;
}

std::string embeddingsBody(const std::vector<std::string>& inputs, const std::string& model,
                           int dimensions) {
  std::string out = "{\"object\":\"list\",\"data\":[";
  uint64_t tokens = 0;
  char number[32];
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i > 0) out += ",";
    out += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":[";
    auto vector = embeddingFor(inputs[i], dimensions);
    for (size_t d = 0; d < vector.size(); ++d) {
      int length = std::snprintf(number, sizeof number, d == 0 ? "%.7g" : ",%.7g", vector[d]);
      out.append(number, static_cast<size_t>(length));
    }
    out += "]}";
    tokens += inputs[i].size() / 4 + 1;
  }
  out += "],\"model\":";
  appendJsonString(out, model);
  out += ",\"usage\":{\"prompt_tokens\":" + std::to_string(tokens) +
         ",\"total_tokens\":" + std::to_string(tokens) + "}}";
  return out;
}

}  // namespace sg::fake
