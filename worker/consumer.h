// The inbound consumer of one worker: takes entries off sg:stream:inbound through the group
// sg:workers and hands each decoded envelope to the MessageProcessor, so that many workers on
// many hosts share the load, process one channel's entries one at a time and in stream order,
// and lose nothing.
//
// Design (details in worker/lua/prelude.lua and sg-worker(8)). READ takes new entries with
// XREADGROUP and appends each to its channel's queue in Redis in the same atomic script, then
// locks channels that have no holder. The holder of a channel's lock drains its queue from the
// head (ChannelDrain), whichever consumer read the entries, and the script that settles the last
// entry releases the lock. Writes that matter (actions, acknowledgements) are fenced on the
// lock's token inside the scripts. A channel whose holder died or stalled past its lease is taken
// over by RECOVER. Between reads, a blocking XREAD on a second connection waits for new entries.
// Memory is bounded by consumer.max_inflight held channels, whatever the backlog.
//
// Not here: what to answer (MessageProcessor), the supervisor's control pipe, metrics export.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/life_token.h"
#include "common/random.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"
#include "worker/consumer_stats.h"
#include "worker/processor.h"

namespace sg {

class ChannelDrain;
class InboundReader;

class Consumer {
 public:
  // `commands` carries every script and command; `blocking` only the blocking XREAD (a blocked
  // connection would stall everything behind it). Both must outlive the consumer.
  Consumer(uv_loop_t* loop, RedisClient& commands, RedisClient& blocking,
           MessageProcessor& processor, std::string consumer_name, ConfigPtr config);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void start();
  // Live configuration: limits, delays and capacities apply to the next step of each channel.
  void updateConfig(ConfigPtr config);
  // Stops reading and taking channels; lets each held channel finish its current entry (then
  // releases it, leaving the rest of its queue to other consumers) until `deadline_ms` from now;
  // then cancels what is left and releases those locks (their entries stay pending for another
  // consumer). `done` runs once everything is released (or Redis did not answer in time).
  void drain(uint64_t deadline_ms, std::function<void()> done);
  // During a drain: reach the deadline now.
  void hurry();

  const ConsumerStats& stats() const { return stats_; }
  const std::string& name() const { return name_; }

  // For ChannelDrain and InboundReader.
  const Config& config() const { return *config_; }
  ConfigPtr configPtr() const { return config_; }
  uv_loop_t* loop() const { return loop_; }
  RedisClient& redis() { return commands_; }
  RedisClient& blockingRedis() { return blocking_; }
  MessageProcessor& processor() { return processor_; }
  ConsumerStats& mutableStats() { return stats_; }
  bool draining() const { return draining_; }
  size_t freeCapacity() const;
  // A channel lock taken by READ or RECOVER: start draining it.
  void adopt(const std::string& channel_key, const std::string& token, bool takeover);
  // A drain ended; the consumer forgets it, and releases its lock when `held_token` is not
  // empty (the drain stopped with entries left: they become an orphan for another consumer).
  void onDrainEnded(const std::string& channel_key, const std::string& held_token);
  // A fresh token base for the locks one script call takes ("<consumer>:<n>").
  std::string nextTokenBase();
  // Common leading arguments of every script: group and consumer.
  std::vector<std::string> scriptArgs() const;
  static std::vector<std::string> scriptKeys();

 private:
  void scheduleHousekeeping();
  void renewLocks();
  void recover();
  void trim();
  void reapConsumers();
  void refreshGauges();
  void finishDrainIfIdle();
  void abandonAll();

  uv_loop_t* loop_;
  RedisClient& commands_;
  RedisClient& blocking_;
  MessageProcessor& processor_;
  std::string name_;
  ConfigPtr config_;
  ConsumerStats stats_;
  std::unique_ptr<InboundReader> reader_;
  std::map<std::string, std::shared_ptr<ChannelDrain>> drains_;
  std::string token_nonce_ = randomHex(4);
  uint64_t token_counter_ = 0;
  std::string recover_cursor_ = "0";
  bool recover_running_ = false;
  bool draining_ = false;
  std::function<void()> drain_done_;
  Timer renew_timer_;
  Timer recover_timer_;
  Timer trim_timer_;
  Timer reap_timer_;
  Timer gauge_timer_;
  Timer drain_deadline_;
  LifeToken life_;
};

}  // namespace sg
