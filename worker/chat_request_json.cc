// Chat completions request bodies (see chat_request_json.h).
#include "worker/chat_request_json.h"

#include <cctype>

namespace sg {
namespace {

// Parses raw JSON text of the expected kind into a new item; null with `error` when it is not.
cJSON* rawJson(const std::string& text, bool want_array, const char* what, std::string* error) {
  JsonPtr parsed = parseJson(text);
  bool kind_ok =
      parsed && (want_array ? cJSON_IsArray(parsed.get()) : cJSON_IsObject(parsed.get()));
  if (!kind_ok) {
    *error = std::string(what) + " is not a JSON " + (want_array ? "array" : "object");
    return nullptr;
  }
  return parsed.release();
}

cJSON* toolCallsJson(const std::vector<ToolCall>& calls) {
  cJSON* array = cJSON_CreateArray();
  for (const auto& call : calls) {
    cJSON* item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "id", call.id.c_str());
    cJSON_AddStringToObject(item, "type", "function");
    cJSON* function = cJSON_AddObjectToObject(item, "function");
    cJSON_AddStringToObject(function, "name", call.name.c_str());
    cJSON_AddStringToObject(function, "arguments",
                            call.arguments.empty() ? "{}" : call.arguments.c_str());
    cJSON_AddItemToArray(array, item);
  }
  return array;
}

cJSON* messageJson(const ChatMessage& message, std::string* error) {
  JsonPtr item(cJSON_CreateObject());
  cJSON_AddStringToObject(item.get(), "role", chatRoleName(message.role));
  bool calls = message.role == ChatRole::kAssistant && !message.tool_calls.empty();
  if (!message.content_parts_json.empty()) {
    cJSON* parts = rawJson(message.content_parts_json, true, "content_parts_json", error);
    if (parts == nullptr) return nullptr;
    cJSON_AddItemToObject(item.get(), "content", parts);
  } else if (calls && message.content.empty()) {
    cJSON_AddNullToObject(item.get(), "content");
  } else {
    cJSON_AddStringToObject(item.get(), "content", message.content.c_str());
  }
  if (!message.name.empty()) cJSON_AddStringToObject(item.get(), "name", message.name.c_str());
  if (calls) cJSON_AddItemToObject(item.get(), "tool_calls", toolCallsJson(message.tool_calls));
  if (message.role == ChatRole::kAssistant && !message.reasoning_details_json.empty()) {
    cJSON* details = rawJson(message.reasoning_details_json, true, "reasoning_details_json", error);
    if (details == nullptr) return nullptr;
    cJSON_AddItemToObject(item.get(), "reasoning_details", details);
  }
  if (message.role == ChatRole::kTool) {
    cJSON_AddStringToObject(item.get(), "tool_call_id", message.tool_call_id.c_str());
  }
  return item.release();
}

cJSON* toolsJson(const std::vector<ToolSpec>& tools, std::string* error) {
  JsonPtr array(cJSON_CreateArray());
  for (const auto& tool : tools) {
    cJSON* parameters = rawJson(tool.parameters_json, false, "tool parameters_json", error);
    if (parameters == nullptr) return nullptr;
    cJSON* item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "type", "function");
    cJSON* function = cJSON_AddObjectToObject(item, "function");
    cJSON_AddStringToObject(function, "name", tool.name.c_str());
    if (!tool.description.empty()) {
      cJSON_AddStringToObject(function, "description", tool.description.c_str());
    }
    cJSON_AddItemToObject(function, "parameters", parameters);
    cJSON_AddItemToArray(array.get(), item);
  }
  return array.release();
}

cJSON* toolChoiceJson(const std::string& choice) {
  if (choice == "auto" || choice == "none" || choice == "required") {
    return cJSON_CreateString(choice.c_str());
  }
  cJSON* forced = cJSON_CreateObject();
  cJSON_AddStringToObject(forced, "type", "function");
  cJSON* function = cJSON_AddObjectToObject(forced, "function");
  cJSON_AddStringToObject(function, "name", choice.c_str());
  return forced;
}

std::string hostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of(":/?#", start);
  std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t at = host.rfind('@');
  if (at != std::string::npos) host.erase(0, at + 1);
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

}  // namespace

bool isOpenRouter(const LlmConfig& config) {
  if (config.dialect == "openrouter") return true;
  if (config.dialect == "openai") return false;
  std::string host = hostOf(config.base_url);
  const std::string domain = "openrouter.ai";
  return host == domain ||
         (host.size() > domain.size() &&
          host.compare(host.size() - domain.size() - 1, std::string::npos, "." + domain) == 0);
}

std::string apiUrl(const LlmConfig& config, const char* path) {
  std::string url = config.base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/" + path;
}

bool ChatRequestJson::build(const ChatRequest& request, const LlmConfig& config, bool openrouter,
                            std::string* error) {
  body_.reset(cJSON_CreateObject());
  cJSON* body = body_.get();
  cJSON_AddStringToObject(body, "model", "");  // set by render()
  cJSON* messages = cJSON_AddArrayToObject(body, "messages");
  for (const auto& message : request.messages) {
    cJSON* item = messageJson(message, error);
    if (item == nullptr) return false;
    cJSON_AddItemToArray(messages, item);
  }
  stream_ = request.stream.value_or(config.stream);
  cJSON_AddBoolToObject(body, "stream", stream_);
  if (stream_) {
    cJSON_AddTrueToObject(cJSON_AddObjectToObject(body, "stream_options"), "include_usage");
  }
  uint32_t max_tokens = request.max_completion_tokens.value_or(config.max_completion_tokens);
  if (max_tokens > 0) cJSON_AddNumberToObject(body, "max_completion_tokens", max_tokens);
  std::optional<double> temperature =
      request.temperature ? request.temperature : config.temperature;
  if (temperature) cJSON_AddNumberToObject(body, "temperature", *temperature);
  if (!request.tools.empty()) {
    cJSON* tools = toolsJson(request.tools, error);
    if (tools == nullptr) return false;
    cJSON_AddItemToObject(body, "tools", tools);
  }
  if (!request.tool_choice.empty()) {
    cJSON_AddItemToObject(body, "tool_choice", toolChoiceJson(request.tool_choice));
  }
  if (openrouter) return addOpenRouterFields(request, config, error);
  return true;
}

bool ChatRequestJson::addOpenRouterFields(const ChatRequest& request, const LlmConfig& config,
                                          std::string* error) {
  cJSON* body = body_.get();
  if (!request.session_id.empty()) {
    cJSON_AddStringToObject(body, "session_id", request.session_id.c_str());
  }
  cJSON_AddArrayToObject(body, "transforms");  // empty: middle-out compression off
  cJSON_AddTrueToObject(cJSON_AddObjectToObject(body, "usage"), "include");
  if (!config.provider_json.empty()) {
    cJSON* provider = rawJson(config.provider_json, false, "llm.provider", error);
    if (provider == nullptr) return false;
    cJSON_AddItemToObject(body, "provider", provider);
  }
  return true;
}

std::string ChatRequestJson::render(const std::string& model,
                                    const std::vector<std::string>& models) {
  cJSON* body = body_.get();
  cJSON_ReplaceItemInObjectCaseSensitive(body, "model", cJSON_CreateString(model.c_str()));
  cJSON_DeleteItemFromObjectCaseSensitive(body, "models");
  if (models.size() > 1) {
    cJSON* array = cJSON_AddArrayToObject(body, "models");
    for (const auto& name : models) cJSON_AddItemToArray(array, cJSON_CreateString(name.c_str()));
  }
  return printJson(body);
}

}  // namespace sg
