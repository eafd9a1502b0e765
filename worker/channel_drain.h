// ChannelDrain: one channel whose lock this worker holds, processed entry by entry from the head
// of its queue: BEGIN -> decode -> process -> COMMIT (or DEAD_LETTER) -> next, until the script
// that settles the last entry releases the lock, or the lock is lost.
//
// Every Redis write it makes is fenced on its lock token inside the script (see
// worker/lua/prelude.lua); a reply that got lost in transport is retried as is, because the
// scripts check the queue's head and so cannot apply twice. Owned by the Consumer through a
// shared_ptr; pending callbacks hold weak references, so a drain the consumer forgot is never
// touched again.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/backoff.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"
#include "worker/processor.h"

namespace sg {

class Consumer;

class ChannelDrain : public std::enable_shared_from_this<ChannelDrain> {
 public:
  ChannelDrain(Consumer& consumer, std::string channel_key, std::string token);
  ~ChannelDrain();
  ChannelDrain(const ChannelDrain&) = delete;
  ChannelDrain& operator=(const ChannelDrain&) = delete;

  void start();
  // The lock is gone (renewal found it taken or expired): stop at once, write nothing more.
  void lockLost();
  // The worker is draining: finish the current entry, then release instead of going on. Returns
  // true when nothing is in progress (waiting to retry) and the lock can be released right now.
  bool stopAfterCurrent();
  // Hard stop: cancel the job in progress; the consumer releases the lock.
  void abandon();

  const std::string& channelKey() const { return channel_key_; }
  const std::string& token() const { return token_; }
  bool processing() const { return job_ != nullptr; }

 private:
  void begin();
  // Runs one of the step scripts; on a transport failure the same call is repeated after a
  // backoff (safe: each step script checks the lock and the queue's head before writing).
  void call(const RedisScript& script, std::vector<std::string> args);
  void callAgain();
  void onStep(const RedisResult& result);
  void handleEntry(const RedisReply& entry);
  void startJob(Envelope envelope, unsigned attempts);
  void onProcessed(ProcessResult result);
  void commit(std::vector<std::string> actions, std::string outcome);
  void deadLetter(std::string reason);
  void publish(std::vector<std::string> payloads, std::function<void(bool)> done);
  void retryAfterFailure();
  // Ends the drain; `lock_held`: the lock is still ours and the consumer must release it.
  void finish(const char* why, bool lock_held);
  std::vector<std::string> stepArgs() const;

  Consumer& consumer_;
  std::string channel_key_;
  std::string token_;
  // The entry at the head of the queue, while it is being handled.
  std::string entry_id_;
  std::string event_id_;
  std::string platform_;
  unsigned attempts_ = 0;
  std::string pending_outcome_;
  std::shared_ptr<ProcessJob> job_;
  const RedisScript* call_script_ = nullptr;
  std::shared_ptr<const std::vector<std::string>> call_args_;
  bool keep_going_ = true;
  bool ended_ = false;
  bool step_in_flight_ = false;  // a step script was sent and has not answered
  Backoff redis_backoff_{50, 2000};
  Timer retry_timer_;
};

}  // namespace sg
