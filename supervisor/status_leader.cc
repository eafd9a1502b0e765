// The status lease (see status_leader.h).
#include "supervisor/status_leader.h"

#include <algorithm>

#include "common/bus_keys.h"
#include "common/clock.h"
#include "common/log.h"

namespace sg {
namespace {

// Takes the lease when nobody holds it (or takes back our own); otherwise says who holds it and
// for how long. Returns {1} or {0, holder, pttl}.
const RedisScript& acquireScript() {
  static const RedisScript script(R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
return {0, holder or '', redis.call('PTTL', KEYS[1])}
)lua");
  return script;
}

// Compare-and-extend: 1 when the lease was ours and is extended, 0 otherwise.
const RedisScript& renewScript() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua");
  return script;
}

// Compare-and-delete.
const RedisScript& releaseScript() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua");
  return script;
}

constexpr uint64_t kMinRetryMs = 10;
constexpr uint64_t kTransportRetryMs = 200;  // Redis not reachable: try again soon, but not hot
constexpr uint64_t kFollowerPollMs = 1000;   // a released lease is taken over within this

spdlog::logger& logger() {
  return log::get("sup");
}

}  // namespace

StatusLeader::StatusLeader(uv_loop_t* loop, RedisClient& redis, std::string instance_id,
                           uint32_t lease_ms, std::function<void(bool leader)> on_change)
    : redis_(redis),
      instance_id_(std::move(instance_id)),
      lease_ms_(lease_ms),
      on_change_(std::move(on_change)),
      tick_timer_(loop),
      validity_timer_(loop) {}

void StatusLeader::start() {
  schedule(0);
}

void StatusLeader::onConnected() {
  if (!leader_ && !busy_) schedule(0);
}

bool StatusLeader::isLeader() const {
  return leader_ && monoMs() < valid_until_ms_;
}

uint64_t StatusLeader::renewIntervalMs() const {
  return std::max<uint64_t>(lease_ms_ / 3, kMinRetryMs);
}

// How long after sending a successful take or renewal this side still acts as leader.
uint64_t StatusLeader::validityMs() const {
  return lease_ms_ - lease_ms_ / 4;
}

void StatusLeader::schedule(uint64_t delay_ms) {
  if (released_) return;
  tick_timer_.start(delay_ms, [this] { tick(); });
}

void StatusLeader::tick() {
  if (busy_) {
    schedule(renewIntervalMs());  // the last command is stuck; the validity timer guards us
    return;
  }
  if (leader_) {
    send(renewScript(), &StatusLeader::onRenewReply);
  } else {
    send(acquireScript(), &StatusLeader::onAcquireReply);
  }
}

// Runs a lease script; `on_reply` learns when it was sent (the lease counts from then).
void StatusLeader::send(const RedisScript& script, ReplyHandler on_reply) {
  busy_ = true;
  uint64_t sent = monoMs();
  redis_.evalScript(script, {std::string(keys::kStatusLeader)},
                    {instance_id_, std::to_string(lease_ms_)},
                    [this, sent, on_reply, alive = life_.watch()](const RedisResult& result) {
                      if (alive.expired()) return;
                      busy_ = false;
                      (this->*on_reply)(result, sent);
                    });
}

void StatusLeader::onAcquireReply(const RedisResult& result, uint64_t sent_ms) {
  if (released_) return;
  RedisReply reply = result.reply();
  if (!result.ok() || !reply.isArray()) {
    schedule(std::min(renewIntervalMs(), kTransportRetryMs));
    return;
  }
  if (reply[0].integer() == 1) {
    holder_ = instance_id_;
    holdFrom(sent_ms);
    schedule(renewIntervalMs());
    return;
  }
  holder_ = std::string(reply[1].str());
  long long remaining = reply[2].integer();
  // Try again right after the holder's lease runs out, and meanwhile every second (a lease
  // released on a clean stop is taken over that soon) or every third of a lease if shorter.
  uint64_t poll = std::min(renewIntervalMs(), kFollowerPollMs);
  uint64_t delay = remaining > 0 ? uint64_t(remaining) + 1 : poll;
  schedule(std::clamp<uint64_t>(delay, kMinRetryMs, poll));
}

void StatusLeader::onRenewReply(const RedisResult& result, uint64_t sent_ms) {
  if (released_) return;
  if (!result.ok()) {
    ++counters_.renew_failures;
    logger().warn("status lease renewal failed ({}); leading until the lease is at risk",
                  result.message());
  } else if (result.reply().integer() == 1) {
    if (leader_) holdFrom(sent_ms);
  } else {
    stepDown("the lease is no longer ours");
  }
  schedule(renewIntervalMs());
}

void StatusLeader::holdFrom(uint64_t sent_ms) {
  uint64_t until = sent_ms + validityMs();
  uint64_t now = monoMs();
  if (until <= now) return;  // answered too late to be of use
  valid_until_ms_ = std::max(valid_until_ms_, until);
  validity_timer_.start(valid_until_ms_ - now, [this] {
    stepDown("no renewal for " + std::to_string(validityMs()) + " ms");
  });
  if (leader_) return;
  leader_ = true;
  ++counters_.acquired;
  logger().info("{} is now the status leader (lease {} ms)", instance_id_, lease_ms_);
  if (on_change_) on_change_(true);
}

void StatusLeader::stepDown(const std::string& why) {
  if (!leader_) return;
  leader_ = false;
  valid_until_ms_ = 0;
  validity_timer_.stop();
  ++counters_.lost;
  logger().warn("{} stops leading: {}", instance_id_, why);
  if (on_change_) on_change_(false);
  schedule(0);
}

void StatusLeader::release(std::function<void()> done) {
  released_ = true;
  tick_timer_.stop();
  validity_timer_.stop();
  bool was_leader = leader_;
  leader_ = false;
  valid_until_ms_ = 0;
  // Sent even when not leading: an acquisition still in flight may have succeeded.
  redis_.evalScript(
      releaseScript(), {std::string(keys::kStatusLeader)}, {instance_id_},
      [this, was_leader, done = std::move(done), alive = life_.watch()](const RedisResult& result) {
        if (!alive.expired() && was_leader) {
          if (result.ok() && result.reply().integer() == 1) {
            logger().info("{} released the status lease", instance_id_);
          } else {
            logger().warn("status lease not released ({}); it expires by itself",
                          result.ok() ? "no longer ours" : result.message());
          }
        }
        if (done) done();
      });
}

}  // namespace sg
