// Control-pipe message vocabulary: builders and shape-checking readers (see control_message.h).
#include "common/control_message.h"

#include <cmath>
#include <utility>

namespace sg::control {
namespace {

constexpr std::pair<Type, std::string_view> kTypeNames[] = {
    {Type::kConfig, "config"},   {Type::kDrain, "drain"},
    {Type::kStop, "stop"},       {Type::kReopenLogs, "reopen_logs"},
    {Type::kReady, "ready"},     {Type::kStats, "stats"},
    {Type::kError, "error"},     {Type::kDraining, "draining"},
    {Type::kStopped, "stopped"},
};

JsonPtr makeTyped(Type type) {
  JsonPtr object(cJSON_CreateObject());
  if (object) cJSON_AddStringToObject(object.get(), "type", std::string(typeName(type)).c_str());
  return object;
}

// Moves `child` under `key` of a new message of `type`; null when child is not an object.
JsonPtr makeWithObject(Type type, const char* key, JsonPtr child) {
  if (!child || !cJSON_IsObject(child.get())) return nullptr;
  JsonPtr object = makeTyped(type);
  if (!object) return nullptr;
  cJSON_AddItemToObject(object.get(), key, child.release());
  return object;
}

const cJSON* field(const Message& message, Type type, const char* key) {
  if (message.type != type || !message.body) return nullptr;
  return cJSON_GetObjectItemCaseSensitive(message.body.get(), key);
}

std::optional<std::string> stringField(const Message& message, Type type, const char* key) {
  const cJSON* item = field(message, type, key);
  if (!cJSON_IsString(item)) return std::nullopt;
  return std::string(item->valuestring);
}

}  // namespace

std::string_view typeName(Type type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type) return name;
  }
  return "unknown";
}

Type typeFromName(std::string_view name) {
  for (const auto& [value, known] : kTypeNames) {
    if (known == name) return value;
  }
  return Type::kUnknown;
}

std::optional<Message> parseMessage(std::string_view payload, std::string* error) {
  JsonPtr body = parseJson(payload);
  if (!body || !cJSON_IsObject(body.get())) {
    if (error) *error = "frame is not a JSON object";
    return std::nullopt;
  }
  const cJSON* type = cJSON_GetObjectItemCaseSensitive(body.get(), "type");
  if (!cJSON_IsString(type)) {
    if (error) *error = "message has no string \"type\"";
    return std::nullopt;
  }
  Message message;
  message.type_name = type->valuestring;
  message.type = typeFromName(message.type_name);
  message.body = std::move(body);
  return message;
}

JsonPtr makeConfig(JsonPtr config) {
  return makeWithObject(Type::kConfig, "config", std::move(config));
}

JsonPtr makeDrain(uint32_t deadline_ms) {
  JsonPtr object = makeTyped(Type::kDrain);
  if (object) cJSON_AddNumberToObject(object.get(), "deadline_ms", deadline_ms);
  return object;
}

JsonPtr makeStop() {
  return makeTyped(Type::kStop);
}
JsonPtr makeReopenLogs() {
  return makeTyped(Type::kReopenLogs);
}
JsonPtr makeDraining() {
  return makeTyped(Type::kDraining);
}
JsonPtr makeStopped() {
  return makeTyped(Type::kStopped);
}

JsonPtr makeReady(const Ready& ready) {
  JsonPtr object = makeTyped(Type::kReady);
  if (!object) return nullptr;
  cJSON_AddStringToObject(object.get(), "instance_id", ready.instance_id.c_str());
  cJSON_AddNumberToObject(object.get(), "pid", static_cast<double>(ready.pid));
  cJSON_AddStringToObject(object.get(), "version", ready.version.c_str());
  return object;
}

JsonPtr makeStats(JsonPtr stats) {
  return makeWithObject(Type::kStats, "stats", std::move(stats));
}

JsonPtr makeError(std::string_view message) {
  JsonPtr object = makeTyped(Type::kError);
  if (object) cJSON_AddStringToObject(object.get(), "message", std::string(message).c_str());
  return object;
}

const cJSON* configOf(const Message& message) {
  const cJSON* config = field(message, Type::kConfig, "config");
  return cJSON_IsObject(config) ? config : nullptr;
}

std::optional<uint32_t> drainDeadlineOf(const Message& message) {
  const cJSON* deadline = field(message, Type::kDrain, "deadline_ms");
  if (!cJSON_IsNumber(deadline)) return std::nullopt;
  double value = deadline->valuedouble;
  if (!(value >= 0) || value > UINT32_MAX || std::floor(value) != value) return std::nullopt;
  return static_cast<uint32_t>(value);
}

std::optional<Ready> readyOf(const Message& message) {
  auto instance_id = stringField(message, Type::kReady, "instance_id");
  auto version = stringField(message, Type::kReady, "version");
  const cJSON* pid = field(message, Type::kReady, "pid");
  if (!instance_id || !version || !cJSON_IsNumber(pid) || pid->valuedouble < 1) return std::nullopt;
  return Ready{*instance_id, static_cast<int64_t>(pid->valuedouble), *version};
}

const cJSON* statsOf(const Message& message) {
  const cJSON* stats = field(message, Type::kStats, "stats");
  return cJSON_IsObject(stats) ? stats : nullptr;
}

std::optional<std::string> errorOf(const Message& message) {
  return stringField(message, Type::kError, "message");
}

}  // namespace sg::control
