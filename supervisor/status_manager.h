// The bot's presence on the platforms: while this supervisor is the status leader, publishes a
// `set_presence` action (bus protocol section 2) rotating through status.presences every
// status.interval_s to sg:stream:outbound:<platform> for each of status.platforms.
//
// Decisions. The rotation follows the wall clock: period k = floor(unix time / interval) shows
// presence k mod n, and publications fall on period boundaries, so a new leader continues the
// rotation where the old one left it (repeating the current presence once when it takes over).
// Action ids are `presence:<instance>:<n>`, n counting this process's publications; event_id and
// trace_id are nil. Each publication is one script that appends to every platform's stream only
// if the lease is still ours (a fence in Redis, besides StatusLeader's own clock), so two
// supervisors never both publish. This file does not take or keep the lease (status_leader.h).
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

#include "common/config.h"
#include "common/life_token.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"
#include "supervisor/status_leader.h"

namespace sg {

struct StatusManagerCounters {
  uint64_t published = 0;  // set_presence publications (each to every platform)
  uint64_t fenced = 0;     // refused by the fence: the lease was no longer ours
  uint64_t failed = 0;     // Redis errors
};

class StatusManager {
 public:
  StatusManager(uv_loop_t* loop, RedisClient& redis, const StatusLeader& leader, ConfigPtr config);
  StatusManager(const StatusManager&) = delete;
  StatusManager& operator=(const StatusManager&) = delete;

  // Leadership gained (publish now, then on every period boundary) or lost (stop).
  void onLeadership(bool leader);
  // status.presences, status.interval_s, status.platforms or outbound.maxlen may have changed;
  // a leader publishes the current presence again when what it shows changed.
  void setConfig(ConfigPtr config);
  void stop();

  const StatusManagerCounters& counters() const { return counters_; }

 private:
  void publish(uint64_t period);  // shows presence `period` mod their number
  void scheduleAfter(uint64_t period);
  std::string encode(const Presence& presence);

  RedisClient& redis_;
  const StatusLeader& leader_;
  ConfigPtr config_;
  uint64_t sequence_ = 0;
  bool active_ = false;
  StatusManagerCounters counters_;
  Timer timer_;
  LifeToken life_;
};

}  // namespace sg
