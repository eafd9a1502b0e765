// Liveness record refresh (see heartbeat.h).
#include "common/heartbeat.h"

#include <unistd.h>

#include "common/bus_keys.h"
#include "common/clock.h"

namespace sg {

Heartbeat::Heartbeat(uv_loop_t* loop, RedisClient& redis, std::string instance_id,
                     std::string role, std::function<void(cJSON*)> fill)
    : redis_(redis),
      key_(keys::heartbeat(instance_id)),
      instance_id_(std::move(instance_id)),
      role_(std::move(role)),
      started_at_(unixNow()),
      fill_(std::move(fill)),
      timer_(loop) {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0) host_ = name;
}

void Heartbeat::start(uint32_t interval_ms) {
  interval_ms_ = interval_ms;
  timer_.start(0, [this] { beat(); }, interval_ms_);
}

void Heartbeat::setInterval(uint32_t interval_ms) {
  if (interval_ms == interval_ms_) return;
  start(interval_ms);
}

void Heartbeat::beat() {
  if (!redis_.connected()) return;
  JsonPtr record(cJSON_CreateObject());
  cJSON_AddStringToObject(record.get(), "id", instance_id_.c_str());
  cJSON_AddNumberToObject(record.get(), "pid", static_cast<double>(getpid()));
  cJSON_AddStringToObject(record.get(), "host", host_.c_str());
  cJSON_AddStringToObject(record.get(), "role", role_.c_str());
  cJSON_AddNumberToObject(record.get(), "started_at", started_at_);
  cJSON_AddNumberToObject(record.get(), "updated_at", unixNow());
  cJSON_AddStringToObject(record.get(), "version", SG_VERSION);
  if (fill_) fill_(record.get());
  std::string text = printJson(record.get());
  std::string ttl = std::to_string(uint64_t{interval_ms_} * 3);
  redis_.command({"SET", key_, text, "PX", ttl}, {});
}

void Heartbeat::stop(std::function<void()> done) {
  timer_.stop();
  redis_.command({"DEL", key_}, [done = std::move(done)](const RedisResult&) {
    if (done) done();
  });
}

}  // namespace sg
