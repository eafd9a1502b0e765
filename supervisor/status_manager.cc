// Presence rotation by the status leader (see status_manager.h).
#include "supervisor/status_manager.h"

#include <cmath>

#include "common/bus_codec.h"
#include "common/bus_keys.h"
#include "common/clock.h"
#include "common/log.h"

namespace sg {
namespace {

// KEYS: the lease, then one outbound stream per platform. ARGV: instance id, MAXLEN (0: none),
// payload. Appends to every stream only while the lease is ours: 1, else 0.
const RedisScript& publishScript() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local maxlen = tonumber(ARGV[2])
for i = 2, #KEYS do
  if maxlen > 0 then
    redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[2], '*', 'payload', ARGV[3])
  else
    redis.call('XADD', KEYS[i], '*', 'payload', ARGV[3])
  end
end
return 1
)lua");
  return script;
}

spdlog::logger& logger() {
  return log::get("sup");
}

uint64_t currentPeriod(uint32_t interval_s) {
  return static_cast<uint64_t>(std::floor(unixNow() / interval_s));
}

}  // namespace

StatusManager::StatusManager(uv_loop_t* loop, RedisClient& redis, const StatusLeader& leader,
                             ConfigPtr config)
    : redis_(redis), leader_(leader), config_(std::move(config)), timer_(loop) {}

void StatusManager::onLeadership(bool leader) {
  active_ = leader;
  if (!leader) {
    timer_.stop();
    return;
  }
  uint64_t now = currentPeriod(config_->status.interval_s);
  publish(now);
  scheduleAfter(now);
}

void StatusManager::setConfig(ConfigPtr config) {
  bool shown_changed = config->status.presences != config_->status.presences ||
                       config->status.platforms != config_->status.platforms;
  bool period_changed = config->status.interval_s != config_->status.interval_s;
  config_ = std::move(config);
  if (!active_) return;
  uint64_t now = currentPeriod(config_->status.interval_s);
  if (shown_changed) publish(now);
  if (shown_changed || period_changed) scheduleAfter(now);
}

void StatusManager::stop() {
  active_ = false;
  timer_.stop();
}

// At the boundary of the period after `period` (or after the current one, following a stall:
// missed periods are not published late), plus a millisecond to land inside it. The timer may
// fire a little early (the loop reads its clock once per turn), so the period shown is the one
// scheduled, not the one the clock says when the timer fires.
void StatusManager::scheduleAfter(uint64_t period) {
  uint32_t interval_s = config_->status.interval_s;
  uint64_t next = std::max(period, currentPeriod(interval_s)) + 1;
  double at = double(next) * interval_s;
  uint64_t delay = static_cast<uint64_t>(std::max(0.0, (at - unixNow()) * 1000.0)) + 1;
  timer_.start(delay, [this, next] {
    publish(next);
    scheduleAfter(next);
  });
}

void StatusManager::publish(uint64_t period) {
  const StatusConfig& status = config_->status;
  if (!active_ || status.presences.empty() || status.platforms.empty()) return;
  if (!leader_.isLeader()) return;  // our clock says the lease may be at risk: stay silent
  const Presence& presence = status.presences[period % status.presences.size()];
  std::vector<std::string> keys = {std::string(keys::kStatusLeader)};
  for (const std::string& platform : status.platforms)
    keys.push_back(keys::outboundStream(platform));
  std::vector<std::string> args = {leader_.instanceId(), std::to_string(config_->outbound.maxlen),
                                   encode(presence)};
  redis_.evalScript(publishScript(), std::move(keys), std::move(args),
                    [this, presence, alive = life_.watch()](const RedisResult& result) {
                      if (alive.expired()) return;
                      if (!result.ok()) {
                        ++counters_.failed;
                        logger().warn("presence not published: {}", result.message());
                      } else if (result.reply().integer() != 1) {
                        ++counters_.fenced;
                        logger().warn("presence not published: the lease is no longer ours");
                      } else {
                        ++counters_.published;
                        logger().debug("presence: {} \"{}\"", presence.status, presence.activity);
                      }
                    });
}

std::string StatusManager::encode(const Presence& presence) {
  SetPresence action;
  action.common.action_id = "presence:" + leader_.instanceId() + ":" + std::to_string(sequence_++);
  action.common.worker = leader_.instanceId();
  action.common.created_at = unixNow();
  action.status = presence.status;
  action.activity = presence.activity;
  return encodeAction(action);
}

}  // namespace sg
