// RedisClient: one asynchronous Redis connection on a libuv loop (hiredis 0.14.1 async), kept up
// forever: after any error, lost connection, timeout or Redis restart it reconnects with
// exponential backoff and jitter until stop(). Every command completes exactly once, with a
// reply or a named RedisError; commands are refused at once (never queued) while disconnected.
// A client is either a command client or, once subscribe() is called, a pub/sub subscriber.
// It does not retry commands, pool connections or speak RESP3, TLS or cluster.
//
// Design. Commands are pipelined on the one connection and Redis answers them in order, so the
// client keeps its own FIFO of pending commands (callback + deadline) and each hiredis reply
// completes the head. Timeouts need no timer per command: a monotone deque over the FIFO gives
// the earliest deadline and one timer is armed for it. A command past its deadline means Redis
// is stuck or unreachable, so the whole connection is reset (the late reply can then never be
// taken for another command's) and the cut commands complete with kTimeout or kConnectionLost.
// Connecting covers name resolution (uv_getaddrinfo: no blocking DNS on the loop), TCP, AUTH,
// SELECT, CLIENT SETNAME and a PING (a server still loading its data is not "connected"), and
// for a subscriber the SUBSCRIBE confirmations, all under one connect timeout. Failures found
// by hiredis and failures we decide (timeouts, stop) take the same path: forget the context
// (hiredis frees it; late hiredis callbacks find it is no longer ours and return), fail the
// FIFO, schedule the reconnect. Failed completions and hooks are delivered from a uv_idle
// handle, never from inside command(), stop() or a hiredis teardown.
#pragma once

#include <hiredis/async.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/backoff.h"
#include "common/config.h"
#include "common/redis_args.h"
#include "common/redis_reply.h"
#include "common/redis_script.h"
#include "common/redis_url.h"
#include "common/uv_handle.h"

namespace sg {

struct RedisClientStats {
  uint64_t sent = 0;              // commands written to a connection (hand-shake ones included)
  uint64_t refused = 0;           // failed fast: not connected, overloaded, stopped, invalid
  uint64_t timeouts = 0;          // commands completed with kTimeout
  uint64_t connects = 0;          // connections that completed the hand-shake
  uint64_t connect_failures = 0;  // attempts that failed before completing it
  uint64_t disconnects = 0;       // such connections lost afterwards (stop() not counted)
  uint64_t inflight = 0;          // commands awaiting a reply now
};

class RedisClient {
 public:
  struct Options {
    RedisConfig redis;  // url, connect/command timeouts, reconnect backoff
    std::string name;   // CLIENT SETNAME on every connection ("sg-worker-1a2b:reader"); "" none
    size_t max_inflight = 65536;  // commands awaiting replies; past it command() -> kOverloaded
  };
  enum class State { kIdle, kConnecting, kConnected, kDisconnected, kStopped };

  // Receives the result of one command. RedisResult and its reply are views valid only during
  // the call: copy what you need. May be empty (fire and forget).
  using Callback = std::function<void(const RedisResult&)>;
  // One pub/sub message; the views are valid only during the call.
  using MessageCallback = std::function<void(std::string_view channel, std::string_view message)>;

  // Sentinel for command timeouts: 0 means "no deadline" (BLOCK 0); see command().
  static constexpr uint32_t kNoTimeout = 0;

  RedisClient(uv_loop_t* loop, Options options);
  // Destroying a client that was not stopped stops it first, completing its pending commands
  // with kStopped from inside the destructor. Never destroy it from inside one of its own
  // callbacks or hooks, except the `done` callback of stop(): that aborts.
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Parses the URL and starts connecting; false (and why, with no secret in it) for a bad URL
  // or a second start(). Connection progress is reported through the hooks, never by start().
  [[nodiscard]] bool start(std::string* error = nullptr);

  // Closes the connection and stops reconnecting. Every pending command completes with kStopped,
  // then `done` runs; all of this from the loop, after stop() returns. Once `done` has run, the
  // client may be destroyed (also from inside `done`) and, the client destroyed, the loop has
  // nothing of it left (uv_loop_close() can return 0). Idempotent; later commands get kStopped.
  void stop(std::function<void()> done = {});

  // Called each time a connection is ready: hand-shake done and, for a subscriber, every
  // channel (re)subscribed. Owners re-run their set-up here (recreate a consumer group, re-read
  // state a subscriber may have missed). Runs on the loop, outside command().
  void onConnected(std::function<void()> hook) { on_connected_ = std::move(hook); }
  // Called when a connection that was reported by onConnected is lost (not on stop(), not for
  // failed attempts to connect); the client is already reconnecting.
  void onDisconnected(std::function<void(std::string_view reason)> hook) {
    on_disconnected_ = std::move(hook);
  }

  // Sends one command (binary-safe arguments, hiredis copies them before returning). `callback`
  // runs exactly once, never from inside this call. `timeout_ms`: default the configured
  // command timeout; a blocking command passes its block time plus commandTimeoutMs();
  // kNoTimeout waits forever. A command that times out completes with kTimeout and resets the
  // connection. Refused at once, while disconnected or connecting: kNotConnected; with
  // max_inflight pending: kOverloaded; after stop(): kStopped; no arguments, a (P|S)(UN)SUBSCRIBE
  // or MONITOR verb, or any command on a subscriber: kInvalid. Commands that change the
  // connection's own state (SELECT, AUTH, CLIENT REPLY, RESET, HELLO) are not supported.
  void command(std::span<const std::string_view> args, Callback callback,
               std::optional<uint32_t> timeout_ms = std::nullopt);
  void command(std::initializer_list<std::string_view> args, Callback callback,
               std::optional<uint32_t> timeout_ms = std::nullopt) {
    command(std::span<const std::string_view>(args.begin(), args.size()), std::move(callback),
            timeout_ms);
  }
  void command(const RedisArgs& args, Callback callback,
               std::optional<uint32_t> timeout_ms = std::nullopt) {
    command(args.views(), std::move(callback), timeout_ms);
  }
  void command(const std::vector<std::string>& args, Callback callback,
               std::optional<uint32_t> timeout_ms = std::nullopt);

  // Runs a Lua script: with EVAL the first time on each connection (so that a script's first
  // run is never reordered behind later commands), then with EVALSHA; on NOSCRIPT (a SCRIPT
  // FLUSH) it sends it again with EVAL, transparently: `callback` sees only the final result,
  // exactly once.
  void evalScript(const RedisScript& script, std::vector<std::string> keys,
                  std::vector<std::string> args, Callback callback,
                  std::optional<uint32_t> timeout_ms = std::nullopt);

  // Makes this a subscriber client (command() is then refused) and subscribes to `channels`,
  // now if connected and again after every reconnect, before onConnected runs. Messages
  // published while disconnected are lost (pub/sub is at most once): re-read in onConnected.
  // A channel subscribed twice keeps the latest callback.
  void subscribe(const std::vector<std::string>& channels, MessageCallback on_message);

  State state() const { return state_; }
  bool connected() const { return state_ == State::kConnected; }
  uint32_t commandTimeoutMs() const { return options_.redis.command_timeout_ms; }
  const std::string& name() const { return options_.name; }
  // The URL with the password masked, for logs ("" before start()).
  const std::string& maskedUrl() const { return masked_url_; }
  RedisClientStats stats() const;

 private:
  struct Pending {
    Callback callback;
    uint64_t deadline;  // loop time (uv_now), kNever for none
    uint64_t seq;
  };
  struct Deadline {
    uint64_t seq;
    uint64_t at;
  };
  // A completion or hook to deliver from the idle handle.
  struct Deferred {
    Callback callback;
    RedisError error = RedisError::kNone;
    std::shared_ptr<const std::string> message;
    std::function<void()> hook;
  };
  struct Resolve;
  static constexpr uint64_t kNever = UINT64_MAX;

  // Connection life.
  void halt(const char* reason);
  void connect();
  void startResolve();
  void onResolved(int status, const std::string& address);
  void openContext(const std::string& address);
  void sendHandshake();
  void handshakeStep(std::initializer_list<std::string_view> args, std::string_view step,
                     bool last);
  void subscribeAll();
  void markConnected();
  void closeLink(RedisError error, const std::string& reason);
  void onLinkLost(const redisAsyncContext* context);
  void afterLinkGone(RedisError error, const std::string& reason);
  void reportLoss(const std::string& reason);
  void reportFailedAttempt(const std::string& reason);
  void scheduleReconnect();
  void cancelResolve();
  void sendSubscribe(const std::vector<std::string>& channels);

  // Commands.
  void send(std::span<const std::string_view> args, Callback callback, uint64_t deadline);
  uint64_t deadlineFor(std::optional<uint32_t> timeout_ms) const;
  void completeHead(const redisReply* reply);
  void failPending(RedisError error, const std::string& reason);
  void armSweep(uint64_t deadline);
  void onSweep();
  void onSubscriptionReply(const redisReply* reply);

  // Deferred delivery.
  void refuse(Callback callback, RedisError error, std::string message);
  void defer(Deferred deferred);
  void wakeIdle();
  void onIdle();
  void runDeferred(Deferred& deferred);

  static void onConnectThunk(const redisAsyncContext* context, int status) noexcept;
  static void onDisconnectThunk(const redisAsyncContext* context, int status) noexcept;
  static void onReplyThunk(redisAsyncContext* context, void* reply, void* privdata) noexcept;
  static void onSubscribeThunk(redisAsyncContext* context, void* reply, void* privdata) noexcept;

  uv_loop_t* loop_;
  Options options_;
  RedisUrl url_;
  std::string masked_url_;
  State state_ = State::kIdle;
  redisAsyncContext* context_ = nullptr;  // ours until we free it or hiredis reports its end
  Resolve* resolve_ = nullptr;
  uint64_t attempt_ = 0;  // connection attempts; tags hand-shake callbacks
  Backoff backoff_;
  bool outage_logged_ = false;

  std::deque<Pending> pending_;
  std::deque<Deadline> deadlines_;  // increasing `at`: front is the earliest pending deadline
  uint64_t next_seq_ = 0;
  uint64_t sweep_due_ = 0;  // when the sweep timer fires; 0: not armed

  // SHA-1s of the scripts already sent with EVAL on the current connection (see evalScript).
  std::unordered_set<std::string> scripts_sent_;

  bool subscriber_ = false;
  bool subscribing_ = false;  // hand-shake done, waiting for SUBSCRIBE confirmations
  size_t unconfirmed_ = 0;
  std::map<std::string, MessageCallback, std::less<>> channels_;

  std::function<void()> on_connected_;
  std::function<void(std::string_view)> on_disconnected_;
  std::vector<std::function<void()>> stop_done_;
  std::deque<Deferred> deferred_;
  int dispatching_ = 0;  // > 0 while user code runs from a hiredis callback or the idle flush

  RedisClientStats stats_;
  Timer connect_timer_;
  Timer reconnect_timer_;
  Timer sweep_timer_;
  UvHandle<uv_idle_t> idle_;
};

}  // namespace sg
