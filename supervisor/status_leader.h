// Status leadership (bus protocol section 6): at most one supervisor of the deployment holds the
// lease `sg:status:leader` (value: its instance id) and may publish presence.
//
// Design. A follower tries to take the lease with SET NX PX status.lease_ms (inside a script that
// also returns the holder and its remaining time, so the next try is timed for the lease's expiry:
// a dead leader is replaced within one lease; meanwhile followers ask every second, so a lease
// released on a clean stop is taken over within a second). A leader renews every
// third of the lease with a compare-and-extend script. Leadership is judged on this process's
// monotonic clock: a lease counts from the moment the command that took or extended it was *sent*
// (Redis ran it later, so its expiry is later still), and this side stops acting as leader at
// that moment + lease - lease/4, whatever happens to the renewals: a leader cut off from Redis
// steps down before its lease can have expired. A renewal that finds the lease gone or held by
// another steps down at once. release() gives it up with a compare-and-delete. Only one command is
// in flight at a time. This file does not publish anything (status_manager.h does).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/life_token.h"
#include "common/redis_client.h"
#include "common/redis_script.h"
#include "common/uv_handle.h"

namespace sg {

struct StatusLeaderCounters {
  uint64_t acquired = 0;        // times this supervisor became leader
  uint64_t lost = 0;            // times it stopped being leader (other than release())
  uint64_t renew_failures = 0;  // renewals that failed for transport reasons
};

class StatusLeader {
 public:
  // `on_change(true)` when this supervisor becomes leader, `on_change(false)` when it stops; always
  // from the loop, never from inside a call to this object.
  StatusLeader(uv_loop_t* loop, RedisClient& redis, std::string instance_id, uint32_t lease_ms,
               std::function<void(bool leader)> on_change);
  StatusLeader(const StatusLeader&) = delete;
  StatusLeader& operator=(const StatusLeader&) = delete;

  void start();
  // The Redis connection is (back) up: a follower tries at once instead of at its next tick.
  void onConnected();
  // A new status.lease_ms; used from the next acquisition or renewal.
  void setLeaseMs(uint32_t lease_ms) { lease_ms_ = lease_ms; }

  // True only while the lease is surely ours (checked against the monotonic clock now).
  bool isLeader() const;
  // The holder seen last ("" when none or unknown), for /status.
  const std::string& holder() const { return holder_; }
  const StatusLeaderCounters& counters() const { return counters_; }
  const std::string& instanceId() const { return instance_id_; }

  // Stops competing and deletes the lease if it is still ours; `done` runs when Redis answered
  // (or failed). No on_change afterwards.
  void release(std::function<void()> done);

 private:
  using ReplyHandler = void (StatusLeader::*)(const RedisResult& result, uint64_t sent_ms);
  void tick();
  void send(const RedisScript& script, ReplyHandler on_reply);
  void onAcquireReply(const RedisResult& result, uint64_t sent_ms);
  void onRenewReply(const RedisResult& result, uint64_t sent_ms);
  void holdFrom(uint64_t sent_ms);
  void stepDown(const std::string& why);
  void schedule(uint64_t delay_ms);
  uint64_t renewIntervalMs() const;
  uint64_t validityMs() const;

  RedisClient& redis_;
  std::string instance_id_;
  uint32_t lease_ms_;
  std::function<void(bool)> on_change_;
  bool leader_ = false;
  bool busy_ = false;  // a command is in flight
  bool released_ = false;
  uint64_t valid_until_ms_ = 0;  // monotonic; meaningful while leader_
  std::string holder_;
  StatusLeaderCounters counters_;
  Timer tick_timer_;
  Timer validity_timer_;
  LifeToken life_;
};

}  // namespace sg
