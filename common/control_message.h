// The vocabulary of the control pipe between the supervisor and each worker: message types,
// builders and readers. Every message is a JSON object whose "type" names it; the rest of its
// fields depend on the type (see the builders). This file neither frames nor transports messages
// (control_pipe.h does); it checks shapes, not meanings.
//
//   supervisor → worker: config {config: {...}}, drain {deadline_ms}, stop, reopen_logs
//   worker → supervisor: ready {instance_id, pid, version}, stats {stats: {...}}, error {message},
//                        draining, stopped
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"

namespace sg::control {

enum class Type {
  kUnknown,  // a type this build does not know: logged and ignored by receivers
  kConfig,
  kDrain,
  kStop,
  kReopenLogs,
  kReady,
  kStats,
  kError,
  kDraining,
  kStopped,
};

std::string_view typeName(Type type);
Type typeFromName(std::string_view name);

// One received message. `body` is the whole object (its "type" field included).
struct Message {
  Type type = Type::kUnknown;
  std::string type_name;  // as received, for logging unknown types
  JsonPtr body;
};

// Parses one frame's payload. Fails (nullopt, `*error` says why) unless it is a JSON object with
// a string "type"; an unknown type is not a failure.
std::optional<Message> parseMessage(std::string_view payload, std::string* error);

struct Ready {
  std::string instance_id;
  int64_t pid = 0;
  std::string version;
};

// Builders. The ones taking a JsonPtr adopt it; a null or non-object argument yields null.
JsonPtr makeConfig(JsonPtr config);  // the full validated effective configuration
JsonPtr makeDrain(uint32_t deadline_ms);
JsonPtr makeStop();
JsonPtr makeReopenLogs();
JsonPtr makeReady(const Ready& ready);
JsonPtr makeStats(JsonPtr stats);  // free-form counters and gauges, forwarded to metrics
JsonPtr makeError(std::string_view message);
JsonPtr makeDraining();
JsonPtr makeStopped();

// Readers: null or nullopt when the message is of another type or a field is missing or of the
// wrong type. Returned pointers point into `message.body`.
const cJSON* configOf(const Message& message);
std::optional<uint32_t> drainDeadlineOf(const Message& message);
std::optional<Ready> readyOf(const Message& message);
const cJSON* statsOf(const Message& message);
std::optional<std::string> errorOf(const Message& message);

}  // namespace sg::control
