// Tool-call fragments assembled by index and validated (see tool_call_assembler.h).
#include "worker/tool_call_assembler.h"

#include <algorithm>

#include "common/json.h"
#include "common/random.h"

namespace sg {
namespace {

bool isBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

bool isOneJsonObject(const std::string& text) {
  JsonPtr value = parseJson(text);
  return value && cJSON_IsObject(value.get());
}

ToolCallAssembler::Partial* ToolCallAssembler::slot(long index) {
  for (auto& call : calls_) {
    if (call.index == index) return &call;
  }
  calls_.push_back(Partial{index, {}, {}, {}});
  return &calls_.back();
}

bool ToolCallAssembler::apply(Partial& call, const cJSON* fragment, std::string* error) {
  std::string_view id = jsonString(fragment, "id");
  if (call.id.empty()) call.id = id;  // later ids are ignored: the index names the call
  const cJSON* function = jsonField(fragment, "function");
  if (function != nullptr && !cJSON_IsObject(function) && !cJSON_IsNull(function)) {
    *error = "tool call fragment with a non-object function";
    return false;
  }
  std::string_view name = jsonString(function, "name");
  // Names come whole in the first fragment; some servers repeat them, a few stream them.
  if (!name.empty() && name != call.name) {
    if (call.name.empty() || call.arguments.empty()) {
      call.name.append(name);
    }
  }
  const cJSON* arguments = jsonField(function, "arguments");
  if (arguments != nullptr && cJSON_IsString(arguments)) {
    call.arguments.append(arguments->valuestring);
  } else if (arguments != nullptr && cJSON_IsObject(arguments)) {
    call.arguments.append(printJson(arguments));  // a server that sends an object, not text
  } else if (arguments != nullptr && !cJSON_IsNull(arguments)) {
    *error = "tool call arguments that are neither text nor an object";
    return false;
  }
  return true;
}

bool ToolCallAssembler::addDelta(const cJSON* tool_calls, std::string* error) {
  if (tool_calls == nullptr || cJSON_IsNull(tool_calls)) return true;
  if (!cJSON_IsArray(tool_calls)) {
    *error = "delta.tool_calls is not an array";
    return false;
  }
  const cJSON* fragment = nullptr;
  cJSON_ArrayForEach(fragment, tool_calls) {
    if (!cJSON_IsObject(fragment)) {
      *error = "a tool call fragment is not an object";
      return false;
    }
    double index = 0;
    Partial* call = nullptr;
    if (jsonNumber(fragment, "index", &index)) {
      call = slot(static_cast<long>(index));
    } else {
      std::string_view id = jsonString(fragment, "id");
      bool seen =
          std::any_of(calls_.begin(), calls_.end(), [&](const Partial& c) { return c.id == id; });
      if (calls_.empty() || (!id.empty() && !seen)) {
        long next = calls_.empty() ? 0 : calls_.back().index + 1;
        call = slot(next);
      } else {
        call = &calls_.back();
      }
    }
    if (!apply(*call, fragment, error)) return false;
  }
  return true;
}

bool ToolCallAssembler::addComplete(const cJSON* tool_calls, std::string* error) {
  if (tool_calls == nullptr || cJSON_IsNull(tool_calls)) return true;
  if (!cJSON_IsArray(tool_calls)) {
    *error = "message.tool_calls is not an array";
    return false;
  }
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, tool_calls) {
    if (!cJSON_IsObject(item)) {
      *error = "a tool call is not an object";
      return false;
    }
    long next = calls_.empty() ? 0 : calls_.back().index + 1;
    if (!apply(*slot(next), item, error)) return false;
  }
  return true;
}

bool ToolCallAssembler::finish(std::vector<ToolCall>* calls, std::string* error) {
  calls->clear();
  std::stable_sort(calls_.begin(), calls_.end(),
                   [](const Partial& a, const Partial& b) { return a.index < b.index; });
  std::vector<ToolCall> out;
  out.reserve(calls_.size());
  for (auto& call : calls_) {
    std::string label = "tool call " + std::to_string(call.index);
    if (call.name.empty()) {
      *error = label + " has no function name";
      return false;
    }
    label += " (" + call.name + ")";
    if (isBlank(call.arguments)) call.arguments = "{}";
    if (!isOneJsonObject(call.arguments)) {
      *error = label + ": arguments are not one JSON object";
      return false;
    }
    if (call.id.empty()) call.id = "call_" + randomHex(12);
    out.push_back(ToolCall{std::move(call.id), std::move(call.name), std::move(call.arguments)});
  }
  calls_.clear();
  *calls = std::move(out);
  return true;
}

}  // namespace sg
