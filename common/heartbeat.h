// The liveness record of a process (bus protocol section 7): `sg:heartbeat:<instance-id>`, a JSON
// object with pid, host, role, started_at, processed, inflight, version and whatever the owner
// adds, SET with a PX of three intervals and refreshed every interval, so operators and tools
// see who is alive. Deleted on a clean stop. Failures are ignored: the next beat tries again.
#pragma once

#include <functional>
#include <string>

#include "common/json.h"
#include "common/life_token.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"

namespace sg {

class Heartbeat {
 public:
  // `fill` adds the owner's live fields (processed, inflight, ...) to the record each beat.
  Heartbeat(uv_loop_t* loop, RedisClient& redis, std::string instance_id, std::string role,
            std::function<void(cJSON* record)> fill);
  void start(uint32_t interval_ms);
  void setInterval(uint32_t interval_ms);
  // Stops beating and deletes the record; `done` runs when Redis answered (or failed).
  void stop(std::function<void()> done);

 private:
  void beat();

  RedisClient& redis_;
  std::string key_;
  std::string instance_id_;
  std::string role_;
  std::string host_;
  double started_at_;
  uint32_t interval_ms_ = 5000;
  std::function<void(cJSON*)> fill_;
  Timer timer_;
  LifeToken life_;
};

}  // namespace sg
