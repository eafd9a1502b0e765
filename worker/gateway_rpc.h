// GatewayRpc: calls into the Gateway for tools that need the platform SDK (bus protocol section
// 3). A call is an `rpc_request` action published through the calling job's fenced publishNow,
// answered by the Gateway on `sg:rpc:reply:<worker>`, which this class reads with a blocking XREAD
// on its own connection while calls are pending. Every call completes exactly once: with the
// reply, the Gateway's error, or a timeout at its deadline (a reply after the deadline is
// ignored). Not here: what the calls mean (builtin_tools.*).
//
// Design. The reply stream is ours alone and every entry read from it is deleted (XDEL), so one
// blocking `XREAD BLOCK 1000 STREAMS <stream> 0-0` returns as soon as any reply is in the stream,
// whichever call it answers: a call started while a read is blocked never waits for the block to
// end, and reading from 0-0 needs no cursor (an entry whose XDEL was lost is read again and
// ignored). The block is bounded (kBlockMs) only so that stop()'s DEL, which queues behind a
// blocked read on the same connection, waits at most that long. No read is issued while no call
// is pending. After each batch, XDEL and PEXPIRE (kStreamTtlMs) are pipelined before the next
// XREAD, so a dead worker's stream disappears a minute after its last reply; stop() deletes it.
// Deadlines are one libuv timer armed for the earliest; rpc ids are `<worker>:<nonce>:<n>`, the
// nonce drawn per instance so that a restarted worker reusing its id never takes a reply meant
// for its predecessor. Completions are delivered on a later loop turn (CallRegistry).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/backoff.h"
#include "common/config.h"
#include "common/life_token.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"
#include "worker/call_registry.h"
#include "worker/processor.h"

namespace sg {

// How a call ended (also the stats' and logs' vocabulary: rpcOutcomeName).
enum class RpcOutcome : uint8_t {
  kOk,             // the Gateway answered with a result
  kGatewayError,   // the Gateway answered ok=false; `error` is its text
  kMalformed,      // the reply could not be decoded; `error` is the decode reason
  kTimeout,        // no reply by the deadline
  kPublishFailed,  // the rpc_request could not be published (channel lock lost, Redis down)
  kCancelled,      // cancel() for its job, or the job was cancelled when the reply came
  kStopped,        // stop() (or a call() after it)
};
const char* rpcOutcomeName(RpcOutcome outcome);

struct RpcResult {
  bool ok = false;
  // When !ok: "timeout", the Gateway's error text, a decode reason, "publish failed",
  // "cancelled" or "stopped" (`outcome` tells them apart without parsing).
  std::string error;
  std::string result;  // when ok: the `result` value's MessagePack bytes
  RpcOutcome outcome = RpcOutcome::kOk;
};

struct GatewayRpcStats {
  uint64_t calls = 0;  // call() invocations
  uint64_t ok = 0;     // by outcome, in RpcOutcome's order
  uint64_t gateway_errors = 0;
  uint64_t malformed = 0;
  uint64_t timeouts = 0;
  uint64_t publish_failed = 0;
  uint64_t cancelled = 0;
  uint64_t stopped = 0;
  uint64_t ignored_replies = 0;     // late, or for no pending call (logged at debug)
  uint64_t unreadable_replies = 0;  // no readable rpc_id: logged and dropped
  uint64_t read_errors = 0;         // failed reads of the reply stream (retried with backoff)
  uint64_t answered = 0;            // calls that got a reply (ok, gateway error, malformed)
  uint64_t latency_ms_sum = 0;      // over answered calls, call() to reply
  uint64_t latency_ms_max = 0;
  uint64_t pending = 0;  // gauge: calls awaiting their outcome
};

class GatewayRpc {
 public:
  // How long one XREAD blocks (see the design note) and the TTL the reply stream is given.
  static constexpr uint32_t kBlockMs = 1000;
  static constexpr uint32_t kStreamTtlMs = 60000;
  // Replies read per XREAD.
  static constexpr uint32_t kReadCount = 64;

  // `replies` is a connection used only by this class (blocking reads of the reply stream,
  // XDEL, PEXPIRE, DEL); the owner starts and stops it and keeps it alive longer than this.
  GatewayRpc(uv_loop_t* loop, RedisClient& replies, std::string worker_id, ConfigPtr config);
  // Calls still pending are dropped without a callback: stop() first, destroy after its `done`.
  // Never destroy it from inside one of its callbacks other than stop()'s `done`.
  ~GatewayRpc();
  GatewayRpc(const GatewayRpc&) = delete;
  GatewayRpc& operator=(const GatewayRpc&) = delete;

  using Callback = std::function<void(RpcResult)>;
  // Publishes an rpc_request for `job` (its event's transient id `<event_id>:rpc:<k>`) and waits
  // for the reply until `timeout_ms` from now. `done` never runs inside call(). `params` is one
  // encoded MessagePack map (fetchMessagesParams & co; "" sends {}). Only a weak reference to
  // the job is kept: a reply for a job that is cancelled or no longer held completes its call
  // as "cancelled".
  void call(const std::shared_ptr<ProcessJob>& job, std::string method, std::string params,
            uint32_t timeout_ms, Callback done);
  // Completes `job`'s pending calls with "cancelled" (on a later loop turn). The processor's
  // cancel path calls it, so that a cancelled job holds nothing here until its deadlines.
  void cancel(const ProcessJob& job);
  // Fails every pending call (reason "stopped"), stops reading, deletes the reply stream; `done`
  // runs after those completions, once the DEL is answered (at most kBlockMs plus the Redis
  // command timeout later). Idempotent; calls made afterwards fail with "stopped".
  void stop(std::function<void()> done);
  void updateConfig(ConfigPtr config);

  const std::string& replyStream() const { return stream_; }
  GatewayRpcStats stats() const;

 private:
  struct Call {
    std::string rpc_id;
    std::string method;
    const ProcessJob* job_key = nullptr;  // identity only, for cancel(); never dereferenced
    std::weak_ptr<ProcessJob> job;
    uint64_t started = 0;   // uv_hrtime in ms at call()
    uint64_t deadline = 0;  // the same clock, when it times out
    Callback done;
    RpcResult result;
    std::function<void()> after_stop;  // set on the marker that delivers stop()'s `done`
  };

  void complete(uint64_t id, RpcOutcome outcome, std::string text);
  void count(const Call& call);
  void deliver(std::unique_ptr<Call> call);
  uint64_t callIdOf(std::string_view rpc_id) const;

  void read();
  void onRead(const RedisResult& result);
  void retryRead(const RedisResult& result);
  void onEntry(std::string_view entry_id, std::string_view payload);
  void deleteEntries(const std::vector<std::string>& entry_ids);

  void armDeadlines();
  void onDeadlines();
  void onStreamDeleted();

  uv_loop_t* loop_;
  RedisClient& replies_;
  std::string worker_id_;
  ConfigPtr config_;
  std::string stream_;      // sg:rpc:reply:<worker>
  std::string rpc_prefix_;  // <worker>:<nonce>:
  CallRegistry<Call> calls_;
  std::set<std::pair<uint64_t, uint64_t>> deadlines_;  // (deadline, call id), earliest first
  Timer deadline_timer_;
  Timer retry_timer_;
  Backoff backoff_{50, 2000};
  bool reading_ = false;
  bool stopping_ = false;
  bool stream_deleted_ = false;
  std::vector<std::function<void()>> stop_done_;
  GatewayRpcStats stats_;
  LifeToken life_;
};

}  // namespace sg
