// Consumer: held channels, lock renewal, take-over of abandoned channels, trimming, reaping and
// the graceful drain (see consumer.h).
#include "worker/consumer.h"

#include <algorithm>

#include "common/bus_keys.h"
#include "common/log.h"
#include "worker/channel_drain.h"
#include "worker/consumer_scripts.h"
#include "worker/inbound_reader.h"

namespace sg {
namespace {

constexpr uint64_t kReapIntervalMs = 60000;
constexpr uint64_t kGaugeIntervalMs = 2000;
constexpr int kRecoverScanCount = 200;

uint64_t renewIntervalMs(const Config& config) {
  return std::max<uint64_t>(config.consumer.claim_idle_ms / 3, 10);
}

uint64_t recoverIntervalMs(const Config& config) {
  return std::clamp<uint64_t>(config.consumer.claim_idle_ms / 2, 100, 5000);
}

}  // namespace

Consumer::Consumer(uv_loop_t* loop, RedisClient& commands, RedisClient& blocking,
                   MessageProcessor& processor, std::string consumer_name, ConfigPtr config)
    : loop_(loop),
      commands_(commands),
      blocking_(blocking),
      processor_(processor),
      name_(std::move(consumer_name)),
      config_(std::move(config)),
      reader_(std::make_unique<InboundReader>(*this)),
      renew_timer_(loop),
      recover_timer_(loop),
      trim_timer_(loop),
      reap_timer_(loop),
      gauge_timer_(loop),
      drain_deadline_(loop) {}

Consumer::~Consumer() {
  reader_->stop();
  abandonAll();
}

std::vector<std::string> Consumer::scriptKeys() {
  return {std::string(keys::kInboundStream), std::string(keys::kDeadLetterStream)};
}

std::vector<std::string> Consumer::scriptArgs() const {
  return {std::string(keys::kWorkersGroup), name_};
}

// Unique to each acquisition, even across restarts under the same --instance-id: a nonce drawn
// at start, then a counter.
std::string Consumer::nextTokenBase() {
  return name_ + ":" + token_nonce_ + ":" + std::to_string(++token_counter_);
}

size_t Consumer::freeCapacity() const {
  if (draining_) return 0;
  size_t limit = config_->consumer.max_inflight;
  return drains_.size() >= limit ? 0 : limit - drains_.size();
}

void Consumer::start() {
  log::get("consumer").info("consumer {} starting (max_inflight {}, lease {} ms)", name_,
                            config_->consumer.max_inflight, config_->consumer.claim_idle_ms);
  reader_->start();
  scheduleHousekeeping();
}

void Consumer::scheduleHousekeeping() {
  const Config& config = *config_;
  renew_timer_.start(renewIntervalMs(config), [this] { renewLocks(); }, renewIntervalMs(config));
  recover_timer_.start(recoverIntervalMs(config), [this] { recover(); },
                       recoverIntervalMs(config));
  uint64_t trim_ms = uint64_t{config.consumer.trim_interval_s} * 1000;
  if (trim_ms > 0) {
    trim_timer_.start(trim_ms, [this] { trim(); }, trim_ms);
  } else {
    trim_timer_.stop();
  }
  reap_timer_.start(kReapIntervalMs, [this] { reapConsumers(); }, kReapIntervalMs);
  gauge_timer_.start(0, [this] { refreshGauges(); }, kGaugeIntervalMs);
}

void Consumer::updateConfig(ConfigPtr config) {
  bool timers_changed =
      config->consumer.claim_idle_ms != config_->consumer.claim_idle_ms ||
      config->consumer.trim_interval_s != config_->consumer.trim_interval_s;
  config_ = std::move(config);
  if (timers_changed && !draining_) scheduleHousekeeping();
  reader_->kick();  // max_inflight may have grown
}

void Consumer::adopt(const std::string& channel_key, const std::string& token, bool takeover) {
  if (draining_) {
    // Taken by a READ that was in flight when the drain began: give it straight back.
    onDrainEnded(channel_key, token);
    return;
  }
  auto found = drains_.find(channel_key);
  if (found != drains_.end()) {
    // Our earlier lock on it ran out and we took it again: the old drain is fenced out anyway.
    auto stale = found->second;
    drains_.erase(found);
    stale->abandon();
  }
  if (takeover) {
    stats_.takeovers++;
    log::get("consumer").info("channel {}: taken over (its holder stopped renewing)",
                              channel_key);
  }
  auto drain = std::make_shared<ChannelDrain>(*this, channel_key, token);
  drains_.emplace(channel_key, drain);
  stats_.inflight = drains_.size();
  drain->start();
}

void Consumer::onDrainEnded(const std::string& channel_key, const std::string& held_token) {
  auto found = drains_.find(channel_key);
  if (found != drains_.end() && (held_token.empty() || found->second->token() == held_token)) {
    drains_.erase(found);
  }
  stats_.inflight = drains_.size();
  if (!held_token.empty()) {
    std::vector<std::string> args = scriptArgs();
    args.push_back(channel_key);
    args.push_back(held_token);
    commands_.evalScript(ConsumerScripts::get().release, scriptKeys(), std::move(args),
                         [](const RedisResult&) {});  // unreleased locks simply expire
  }
  if (draining_) {
    finishDrainIfIdle();
  } else {
    reader_->kick();
  }
}

void Consumer::renewLocks() {
  if (drains_.empty()) return;
  std::vector<std::string> args = scriptArgs();
  args.push_back(std::to_string(config_->consumer.claim_idle_ms));
  for (const auto& [key, drain] : drains_) {
    args.push_back(key);
    args.push_back(drain->token());
  }
  commands_.evalScript(ConsumerScripts::get().renew, scriptKeys(), std::move(args),
                       [this, alive = life_.watch()](const RedisResult& result) {
                         if (alive.expired()) return;
                         if (!result.ok()) {
                           stats_.redis_errors++;
                           return;  // the next renewal tries again; fenced writes stay safe
                         }
                         RedisReply lost = result.reply();
                         for (size_t i = 0; i + 1 < lost.size(); i += 2) {
                           auto found = drains_.find(std::string(lost[i].str()));
                           // Only the acquisition that was renewed: a newer drain of the same
                           // channel (taken again since) keeps going.
                           if (found != drains_.end() &&
                               found->second->token() == lost[i + 1].str()) {
                             auto drain = found->second;
                             drain->lockLost();
                           }
                         }
                       });
}

void Consumer::recover() {
  size_t capacity = freeCapacity();
  if (recover_running_ || draining_) return;
  std::vector<std::string> args = scriptArgs();
  args.push_back(recover_cursor_);
  args.push_back(std::to_string(kRecoverScanCount));
  args.push_back(std::to_string(config_->consumer.claim_idle_ms));
  args.push_back(nextTokenBase());
  args.push_back(std::to_string(capacity));
  recover_running_ = true;
  commands_.evalScript(ConsumerScripts::get().recover, scriptKeys(), std::move(args),
                       [this, alive = life_.watch()](const RedisResult& result) {
                         if (alive.expired()) return;
                         recover_running_ = false;
                         RedisReply reply = result.reply();
                         if (!result.ok() || reply.size() < 2) {
                           stats_.redis_errors++;
                           return;
                         }
                         recover_cursor_ = std::string(reply[0].str());
                         RedisReply owned = reply[1];
                         for (size_t i = 0; i + 1 < owned.size(); i += 2) {
                           adopt(std::string(owned[i].str()), std::string(owned[i + 1].str()),
                                 true);
                         }
                       });
}

void Consumer::trim() {
  commands_.evalScript(ConsumerScripts::get().trim, scriptKeys(), scriptArgs(),
                       [](const RedisResult& result) {
                         if (result.ok() && !result.reply().str().empty()) {
                           log::get("consumer").debug("inbound stream trimmed below {}",
                                                      result.reply().str());
                         }
                       });
}

void Consumer::reapConsumers() {
  std::vector<std::string> args = scriptArgs();
  uint64_t min_idle = std::max<uint64_t>(uint64_t{config_->consumer.claim_idle_ms} * 2,
                                         uint64_t{config_->heartbeat.interval_ms} * 6);
  args.push_back(std::to_string(min_idle));
  commands_.evalScript(ConsumerScripts::get().reap_consumers, scriptKeys(), std::move(args),
                       [](const RedisResult& result) {
                         if (result.ok() && result.reply().integer() > 0) {
                           log::get("consumer").info("removed {} idle consumers of gone workers",
                                                     result.reply().integer());
                         }
                       });
}

void Consumer::refreshGauges() {
  std::vector<std::string> args = scriptArgs();
  args.push_back("200");
  args.push_back("5");
  commands_.evalScript(ConsumerScripts::get().queue_depths, scriptKeys(), std::move(args),
                       [this, alive = life_.watch()](const RedisResult& result) {
                         if (alive.expired() || !result.ok()) return;
                         RedisReply reply = result.reply();
                         stats_.busiest_queues.clear();
                         for (size_t i = 0; i + 1 < reply.size(); i += 2) {
                           stats_.busiest_queues.emplace_back(
                               std::string(reply[i].str()),
                               static_cast<uint64_t>(reply[i + 1].integer()));
                         }
                       });
  commands_.command(
      {"XINFO", "GROUPS", keys::kInboundStream},
      [this, alive = life_.watch()](const RedisResult& result) {
        if (alive.expired()) return;
        RedisReply groups = result.reply();
        for (size_t g = 0; g < groups.size(); ++g) {
          RedisReply group = groups[g];
          bool ours = false;
          for (size_t i = 0; i + 1 < group.size(); i += 2) {
            if (group[i].str() == "name") ours = group[i + 1].str() == keys::kWorkersGroup;
          }
          if (!ours) continue;
          for (size_t i = 0; i + 1 < group.size(); i += 2) {
            if (group[i].str() == "lag") {
              auto lag = group[i + 1].toInteger();
              stats_.lag = lag ? *lag : -1;  // nil while Redis cannot tell
            } else if (group[i].str() == "pending") {
              stats_.pending = static_cast<uint64_t>(group[i + 1].integer());
            }
          }
        }
      });
}

void Consumer::drain(uint64_t deadline_ms, std::function<void()> done) {
  if (draining_) return;
  draining_ = true;
  drain_done_ = std::move(done);
  reader_->stop();
  renew_timer_.start(renewIntervalMs(*config_), [this] { renewLocks(); },
                     renewIntervalMs(*config_));
  recover_timer_.stop();
  trim_timer_.stop();
  reap_timer_.stop();
  log::get("consumer").info("draining: {} channels in progress, deadline {} ms", drains_.size(),
                            deadline_ms);
  std::vector<std::shared_ptr<ChannelDrain>> idle;
  for (auto& [key, drain] : drains_) {
    if (drain->stopAfterCurrent()) idle.push_back(drain);
  }
  for (auto& drain : idle) drain->abandon();
  drain_deadline_.start(deadline_ms, [this] {
    log::get("consumer").warn("drain deadline reached; releasing {} channels in progress",
                              drains_.size());
    abandonAll();
  });
  finishDrainIfIdle();
}

void Consumer::hurry() {
  if (!draining_) return;
  drain_deadline_.stop();
  abandonAll();
}

void Consumer::abandonAll() {
  std::vector<std::shared_ptr<ChannelDrain>> left;
  for (auto& [key, drain] : drains_) left.push_back(drain);
  for (auto& drain : left) drain->abandon();
}

void Consumer::finishDrainIfIdle() {
  if (!draining_ || !drains_.empty() || !drain_done_) return;
  drain_deadline_.stop();
  renew_timer_.stop();
  gauge_timer_.stop();
  // Let the RELEASE scripts already sent complete before reporting: a PING behind them on the
  // same connection answers after they did.
  commands_.command({"PING"}, [this, alive = life_.watch()](const RedisResult&) {
    if (alive.expired()) return;
    if (auto done = std::move(drain_done_)) {
      drain_done_ = nullptr;
      done();
    }
  });
}

}  // namespace sg
