// The asynchronous Redis client (see redis_client.h for the design).
#include "common/redis_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>

#include <cstdlib>
#include <exception>

#include "common/redis_uv_adapter.h"

namespace sg {
namespace {

spdlog::logger& logger() {
  return log::get("redis");
}

// Runs user code from a C callback: nothing may escape (the trampolines are noexcept).
template <typename F>
void guarded(std::string_view what, F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    logger().error("exception escaped a Redis {}: {}", what, e.what());
  } catch (...) {
    logger().error("unknown exception escaped a Redis {}", what);
  }
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Verbs that switch hiredis into pub/sub or monitor mode: replies would no longer match the
// FIFO of pending commands (subscribe() is the way to subscribe).
bool isModeVerb(std::string_view verb) {
  for (std::string_view mode : {"subscribe", "psubscribe", "ssubscribe", "unsubscribe",
                                "punsubscribe", "sunsubscribe", "monitor"}) {
    if (equalsNoCase(verb, mode)) return true;
  }
  return false;
}

bool isNumericHost(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// Detects a peer that vanished without a FIN (host down, partition) on an idle connection, such
// as a subscriber's, within about 30 s. Failure is harmless: commands still have deadlines.
void enableKeepAlive(int fd) {
  int on = 1, idle = 15, interval = 5, count = 3;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

std::string contextError(const redisAsyncContext* context, std::string_view fallback) {
  if (context->c.err != 0 && context->c.errstr[0] != '\0') return context->c.errstr;
  return std::string(fallback);
}

}  // namespace

// A name resolution in flight. libuv owns it until its callback, which frees it; `owner` is
// cleared when the client no longer wants the answer (timeout, stop, destruction).
struct RedisClient::Resolve {
  uv_getaddrinfo_t request;
  RedisClient* owner;
};

RedisClient::RedisClient(uv_loop_t* loop, Options options)
    : loop_(loop),
      options_(std::move(options)),
      backoff_(options_.redis.reconnect_base_ms, options_.redis.reconnect_max_ms),
      connect_timer_(loop),
      reconnect_timer_(loop),
      sweep_timer_(loop) {
  uv_idle_init(loop_, idle_.get());
  idle_.get()->data = this;
}

RedisClient::~RedisClient() {
  if (dispatching_ > 0) {
    logger().critical("redis {}: client destroyed from inside its own callback", options_.name);
    std::abort();
  }
  halt("client destroyed");
  // The loop will not call us again: complete what is left now (hooks and `done` are dropped).
  while (!deferred_.empty()) {
    Deferred deferred = std::move(deferred_.front());
    deferred_.pop_front();
    if (!deferred.hook) runDeferred(deferred);
  }
}

bool RedisClient::start(std::string* error) {
  if (state_ != State::kIdle) {
    if (error) *error = "already started";
    return false;
  }
  if (options_.name.find_first_of(" \r\n") != std::string::npos) {
    if (error) *error = "a Redis client name cannot contain spaces or newlines";
    return false;
  }
  std::string why;
  if (!parseRedisUrl(options_.redis.url, &url_, &why)) {
    logger().error("redis {}: bad redis.url: {}", options_.name, why);
    if (error) *error = "bad redis.url: " + why;
    return false;
  }
  masked_url_ = url_.masked();
  logger().debug("redis {}: connecting to {}", options_.name, masked_url_);
  connect();
  return true;
}

void RedisClient::stop(std::function<void()> done) {
  if (done) stop_done_.push_back(std::move(done));
  halt("client stopped");
  wakeIdle();
}

void RedisClient::halt(const char* reason) {
  if (state_ == State::kStopped) return;
  state_ = State::kStopped;
  reconnect_timer_.stop();
  cancelResolve();
  closeLink(RedisError::kStopped, reason);
}

RedisClientStats RedisClient::stats() const {
  RedisClientStats stats = stats_;
  stats.inflight = pending_.size();
  return stats;
}

// ---- connection life ------------------------------------------------------------------------

void RedisClient::connect() {
  state_ = State::kConnecting;
  ++attempt_;
  if (options_.redis.connect_timeout_ms > 0) {
    connect_timer_.start(options_.redis.connect_timeout_ms, [this] {
      cancelResolve();
      closeLink(RedisError::kConnectionLost,
                fmt::format("connect timed out after {} ms", options_.redis.connect_timeout_ms));
    });
  }
  if (url_.kind == RedisUrl::Kind::kTcp && !isNumericHost(url_.host)) {
    startResolve();
  } else {
    openContext(url_.kind == RedisUrl::Kind::kTcp ? url_.host : url_.path);
  }
}

void RedisClient::startResolve() {
  auto* resolve = new Resolve{{}, this};
  resolve->request.data = resolve;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  auto onResolved = [](uv_getaddrinfo_t* request, int status, addrinfo* result) {
    auto* resolve = static_cast<Resolve*>(request->data);
    // IPv4 first, as hiredis does: "localhost" often lists ::1 first while Redis listens on
    // 127.0.0.1 only.
    std::string address;
    for (int family : {AF_INET, AF_INET6}) {
      for (addrinfo* ai = status == 0 ? result : nullptr; ai && address.empty(); ai = ai->ai_next) {
        char text[INET6_ADDRSTRLEN] = "";
        if (ai->ai_family != family) continue;
        if (family == AF_INET) {
          uv_ip4_name(reinterpret_cast<sockaddr_in*>(ai->ai_addr), text, sizeof text);
        } else {
          uv_ip6_name(reinterpret_cast<sockaddr_in6*>(ai->ai_addr), text, sizeof text);
        }
        address = text;
      }
    }
    uv_freeaddrinfo(result);
    RedisClient* owner = resolve->owner;
    delete resolve;
    if (owner != nullptr) {
      owner->resolve_ = nullptr;
      owner->onResolved(status, address);
    }
  };
  int rc = uv_getaddrinfo(loop_, &resolve->request, onResolved, url_.host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete resolve;
    afterLinkGone(RedisError::kConnectionLost,
                  fmt::format("cannot resolve {}: {}", url_.host, uv_strerror(rc)));
    return;
  }
  resolve_ = resolve;
}

void RedisClient::onResolved(int status, const std::string& address) {
  if (status != 0 || address.empty()) {
    afterLinkGone(RedisError::kConnectionLost,
                  fmt::format("cannot resolve {}: {}", url_.host,
                              status != 0 ? uv_strerror(status) : "no address"));
    return;
  }
  openContext(address);
}

void RedisClient::cancelResolve() {
  if (resolve_ == nullptr) return;
  resolve_->owner = nullptr;  // its callback still runs (and frees it), but reports to no one
  uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_->request));
  resolve_ = nullptr;
}

void RedisClient::openContext(const std::string& address) {
  bool tcp = url_.kind == RedisUrl::Kind::kTcp;
  redisAsyncContext* context =
      tcp ? redisAsyncConnect(address.c_str(), url_.port) : redisAsyncConnectUnix(address.c_str());
  if (context == nullptr) {
    afterLinkGone(RedisError::kConnectionLost, "out of memory");
    return;
  }
  if (context->err != 0 || !attachRedisToLoop(context, loop_)) {
    std::string reason = contextError(context, "cannot watch the socket");
    redisAsyncFree(context);  // not attached to the loop yet: freed at once, no callbacks
    afterLinkGone(RedisError::kConnectionLost, reason);
    return;
  }
  if (tcp) enableKeepAlive(context->c.fd);
  context->data = this;
  context_ = context;
  redisAsyncSetConnectCallback(context, &RedisClient::onConnectThunk);
  redisAsyncSetDisconnectCallback(context, &RedisClient::onDisconnectThunk);
}

void RedisClient::sendHandshake() {
  if (!url_.password.empty()) {
    if (url_.username.empty()) {
      handshakeStep({"AUTH", url_.password.reveal()}, "AUTH", false);
    } else {
      handshakeStep({"AUTH", url_.username, url_.password.reveal()}, "AUTH", false);
    }
  }
  std::string db = std::to_string(url_.db);
  if (url_.db != 0) handshakeStep({"SELECT", db}, "SELECT", false);
  if (!options_.name.empty()) handshakeStep({"CLIENT", "SETNAME", options_.name}, "SETNAME", false);
  handshakeStep({"PING"}, "PING", true);
}

// One hand-shake command. Its reply only matters while this attempt is current: errors of the
// connection itself are handled where the connection fails, so only server errors count here.
void RedisClient::handshakeStep(std::initializer_list<std::string_view> args, std::string_view step,
                                bool last) {
  auto onReply = [this, attempt = attempt_, step, last](const RedisResult& result) {
    if (attempt != attempt_ || state_ != State::kConnecting) return;
    if (result.error() == RedisError::kServer) {
      closeLink(RedisError::kConnectionLost, fmt::format("{} failed: {}", step, result.message()));
    } else if (result.ok() && last) {
      subscriber_ ? subscribeAll() : markConnected();
    }
  };
  send(std::span<const std::string_view>(args.begin(), args.size()), std::move(onReply), kNever);
}

void RedisClient::subscribeAll() {
  if (channels_.empty()) return markConnected();
  subscribing_ = true;
  std::vector<std::string> names;
  for (const auto& [channel, callback] : channels_) names.push_back(channel);
  sendSubscribe(names);
}

void RedisClient::sendSubscribe(const std::vector<std::string>& channels) {
  if (channels.empty()) return;
  std::vector<const char*> argv = {"SUBSCRIBE"};
  std::vector<size_t> lens = {9};
  for (const auto& channel : channels) {
    argv.push_back(channel.data());
    lens.push_back(channel.size());
  }
  if (redisAsyncCommandArgv(context_, &RedisClient::onSubscribeThunk, this,
                            static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK) {
    return;  // the context is closing: the next connection subscribes to everything
  }
  ++stats_.sent;
  if (subscribing_) unconfirmed_ += channels.size();
}

void RedisClient::markConnected() {
  state_ = State::kConnected;
  scripts_sent_.clear();  // a new connection: each script's first run is an EVAL again
  connect_timer_.stop();
  ++stats_.connects;
  if (outage_logged_) {
    logger().info("redis {}: connected to {} after {} retries", options_.name, masked_url_,
                  backoff_.attempts());
  } else {
    logger().info("redis {}: connected to {}", options_.name, masked_url_);
  }
  outage_logged_ = false;
  backoff_.reset();
  if (on_connected_) guarded("onConnected hook", on_connected_);
}

// We give the connection up (timeout, hand-shake failure, stop). Forgetting the context first
// makes every callback hiredis still delivers for it (NULL replies while freeing, the
// disconnect callback) find it is not ours and return.
void RedisClient::closeLink(RedisError error, const std::string& reason) {
  if (redisAsyncContext* context = std::exchange(context_, nullptr)) {
    // Inside a hiredis callback this only marks the context: hiredis frees it on return.
    redisAsyncFree(context);
  }
  afterLinkGone(error, reason);
}

// hiredis found the connection dead and is freeing the context itself: never free it here.
void RedisClient::onLinkLost(const redisAsyncContext* context) {
  std::string reason = contextError(context, "connection closed");
  context_ = nullptr;
  afterLinkGone(RedisError::kConnectionLost, reason);
}

void RedisClient::afterLinkGone(RedisError error, const std::string& reason) {
  connect_timer_.stop();
  sweep_timer_.stop();
  sweep_due_ = 0;
  subscribing_ = false;
  unconfirmed_ = 0;
  bool was_connected = state_ == State::kConnected;
  failPending(error, reason);
  if (state_ == State::kStopped) return;
  state_ = State::kDisconnected;
  was_connected ? reportLoss(reason) : reportFailedAttempt(reason);
  scheduleReconnect();
}

void RedisClient::reportLoss(const std::string& reason) {
  ++stats_.disconnects;
  logger().warn("redis {}: connection to {} lost: {}; reconnecting", options_.name, masked_url_,
                reason);
  outage_logged_ = true;
  Deferred hook;
  hook.hook = [this, reason] {
    if (on_disconnected_) on_disconnected_(reason);
  };
  defer(std::move(hook));
}

// Logged once per outage at warn level (Redis may stay down for long), then at debug level.
void RedisClient::reportFailedAttempt(const std::string& reason) {
  ++stats_.connect_failures;
  if (outage_logged_) {
    logger().debug("redis {}: cannot connect to {}: {}", options_.name, masked_url_, reason);
    return;
  }
  logger().warn("redis {}: cannot connect to {}: {}; retrying with backoff", options_.name,
                masked_url_, reason);
  outage_logged_ = true;
}

void RedisClient::scheduleReconnect() {
  reconnect_timer_.start(backoff_.next(), [this] {
    if (state_ == State::kDisconnected) connect();
  });
}

// ---- commands -------------------------------------------------------------------------------

void RedisClient::command(std::span<const std::string_view> args, Callback callback,
                          std::optional<uint32_t> timeout_ms) {
  if (args.empty()) return refuse(std::move(callback), RedisError::kInvalid, "empty command");
  if (isModeVerb(args[0])) {
    return refuse(std::move(callback), RedisError::kInvalid,
                  "pub/sub and MONITOR verbs are not commands: use subscribe()");
  }
  if (subscriber_) {
    return refuse(std::move(callback), RedisError::kInvalid,
                  "a subscriber client only receives messages");
  }
  if (state_ != State::kConnected) {
    if (state_ == State::kStopped) {
      return refuse(std::move(callback), RedisError::kStopped, "client stopped");
    }
    return refuse(std::move(callback), RedisError::kNotConnected, "not connected to Redis");
  }
  if (pending_.size() >= options_.max_inflight) {
    return refuse(std::move(callback), RedisError::kOverloaded,
                  fmt::format("{} commands already awaiting replies", pending_.size()));
  }
  send(args, std::move(callback), deadlineFor(timeout_ms));
}

void RedisClient::command(const std::vector<std::string>& args, Callback callback,
                          std::optional<uint32_t> timeout_ms) {
  constexpr size_t kInline = 16;
  std::string_view inline_views[kInline];
  std::vector<std::string_view> heap_views;
  std::string_view* views = inline_views;
  if (args.size() > kInline) {
    heap_views.resize(args.size());
    views = heap_views.data();
  }
  for (size_t i = 0; i < args.size(); ++i) views[i] = args[i];
  command(std::span<const std::string_view>(views, args.size()), std::move(callback), timeout_ms);
}

void RedisClient::evalScript(const RedisScript& script, std::vector<std::string> keys,
                             std::vector<std::string> args, Callback callback,
                             std::optional<uint32_t> timeout_ms) {
  // Kept until the final reply: EVAL needs the arguments again after a NOSCRIPT.
  struct Call {
    RedisScript script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    Callback callback;
    std::optional<uint32_t> timeout_ms;

    RedisArgs build(std::string_view verb, const std::string& body) const {
      RedisArgs argv;
      argv.reserve(3 + keys.size() + args.size());
      argv.add(verb).add(body).add(keys.size()).addAll(keys).addAll(args);
      return argv;
    }
  };
  auto call = std::make_shared<Call>(
      Call{script, std::move(keys), std::move(args), std::move(callback), timeout_ms});
  // The first run of a script on a connection is an EVAL (which also caches it): a NOSCRIPT
  // fallback would re-send it behind commands sent after it, and scripts of one caller must run
  // in the order they were called (a channel's typing action before its reply). After that,
  // EVALSHA; a NOSCRIPT then only follows a SCRIPT FLUSH on a live server.
  if (connected() && scripts_sent_.insert(script.sha1()).second) {
    command(call->build("EVAL", call->script.source()), std::move(call->callback), timeout_ms);
    return;
  }
  auto onReply = [this, call](const RedisResult& result) {
    if (!result.isServerError("NOSCRIPT")) {
      if (call->callback) call->callback(result);
      return;
    }
    logger().debug("redis {}: script {} not in the server's cache; sending it with EVAL",
                   options_.name, call->script.sha1());
    command(call->build("EVAL", call->script.source()), std::move(call->callback),
            call->timeout_ms);
  };
  command(call->build("EVALSHA", call->script.sha1()), std::move(onReply), timeout_ms);
}

void RedisClient::subscribe(const std::vector<std::string>& channels, MessageCallback on_message) {
  subscriber_ = true;
  std::vector<std::string> fresh;
  for (const auto& channel : channels) {
    auto [it, inserted] = channels_.insert_or_assign(channel, on_message);
    if (inserted) fresh.push_back(channel);
  }
  // Connected (or confirming the others): subscribe now. Otherwise subscribeAll() will.
  if (context_ != nullptr && (state_ == State::kConnected || subscribing_)) sendSubscribe(fresh);
}

uint64_t RedisClient::deadlineFor(std::optional<uint32_t> timeout_ms) const {
  uint32_t timeout = timeout_ms.value_or(options_.redis.command_timeout_ms);
  return timeout == kNoTimeout ? kNever : uv_now(loop_) + timeout;
}

void RedisClient::send(std::span<const std::string_view> args, Callback callback,
                       uint64_t deadline) {
  constexpr size_t kInline = 16;
  const char* inline_argv[kInline];
  size_t inline_lens[kInline];
  std::vector<const char*> heap_argv;
  std::vector<size_t> heap_lens;
  const char** argv = inline_argv;
  size_t* lens = inline_lens;
  if (args.size() > kInline) {
    heap_argv.resize(args.size());
    heap_lens.resize(args.size());
    argv = heap_argv.data();
    lens = heap_lens.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].empty() ? "" : args[i].data();  // never a null pointer into memcpy
    lens[i] = args[i].size();
  }
  if (redisAsyncCommandArgv(context_, &RedisClient::onReplyThunk, this,
                            static_cast<int>(args.size()), argv, lens) != REDIS_OK) {
    return refuse(std::move(callback), RedisError::kConnectionLost, "connection closing");
  }
  ++stats_.sent;
  uint64_t seq = next_seq_++;
  pending_.push_back(Pending{std::move(callback), deadline, seq});
  if (deadline == kNever) return;
  while (!deadlines_.empty() && deadlines_.back().at >= deadline) deadlines_.pop_back();
  deadlines_.push_back(Deadline{seq, deadline});
  armSweep(deadline);
}

void RedisClient::completeHead(const redisReply* reply) {
  if (pending_.empty()) {
    // Replies and pending commands are paired one to one; if that ever breaks, start afresh.
    logger().error("redis {}: reply with no pending command; resetting", options_.name);
    closeLink(RedisError::kConnectionLost, "protocol desynchronised");
    return;
  }
  Pending head = std::move(pending_.front());
  pending_.pop_front();
  if (!deadlines_.empty() && deadlines_.front().seq == head.seq) deadlines_.pop_front();
  if (head.callback) {
    RedisResult result = RedisResult::fromReply(reply);
    guarded("command callback", [&] { head.callback(result); });
  }
}

void RedisClient::failPending(RedisError error, const std::string& reason) {
  if (pending_.empty()) return;
  auto message = std::make_shared<const std::string>(reason);
  uint64_t now = uv_now(loop_);
  for (Pending& pending : pending_) {
    RedisError cause = error;
    if (error != RedisError::kStopped && pending.deadline <= now) {
      cause = RedisError::kTimeout;
      ++stats_.timeouts;
    }
    if (pending.callback) defer(Deferred{std::move(pending.callback), cause, message, {}});
  }
  pending_.clear();
  deadlines_.clear();
}

// One timer for all deadlines: armed for the earliest; re-armed lazily when it fires.
void RedisClient::armSweep(uint64_t deadline) {
  if (sweep_due_ != 0 && sweep_due_ <= deadline) return;
  sweep_due_ = deadline;
  uint64_t now = uv_now(loop_);
  sweep_timer_.start(deadline > now ? deadline - now : 0, [this] { onSweep(); });
}

void RedisClient::onSweep() {
  sweep_due_ = 0;
  if (deadlines_.empty()) return;
  uint64_t earliest = deadlines_.front().at;
  if (earliest > uv_now(loop_)) {
    armSweep(earliest);
    return;
  }
  logger().warn("redis {}: a command got no reply in time from {}; resetting the connection",
                options_.name, masked_url_);
  closeLink(RedisError::kConnectionLost, "connection reset: a command timed out");
}

void RedisClient::onSubscriptionReply(const redisReply* reply) {
  RedisReply view(reply);
  std::string_view kind = view[0].str();
  if (kind == "message" && view.size() >= 3) {
    auto found = channels_.find(view[1].str());
    if (found != channels_.end() && found->second) {
      guarded("message callback", [&] { found->second(view[1].str(), view[2].str()); });
    }
  } else if (kind == "subscribe" && subscribing_ && unconfirmed_ > 0 && --unconfirmed_ == 0) {
    subscribing_ = false;
    markConnected();
  }
}

// ---- deferred delivery ----------------------------------------------------------------------

void RedisClient::refuse(Callback callback, RedisError error, std::string message) {
  ++stats_.refused;
  if (!callback) return;
  defer(Deferred{std::move(callback), error, std::make_shared<const std::string>(message), {}});
}

void RedisClient::defer(Deferred deferred) {
  deferred_.push_back(std::move(deferred));
  wakeIdle();
}

void RedisClient::wakeIdle() {
  uv_idle_start(idle_.get(), [](uv_idle_t* idle) {
    if (idle->data != nullptr) static_cast<RedisClient*>(idle->data)->onIdle();
  });
}

void RedisClient::runDeferred(Deferred& deferred) {
  if (deferred.hook) {
    guarded("onDisconnected hook", deferred.hook);
  } else if (deferred.callback) {
    RedisResult result = RedisResult::failure(deferred.error, *deferred.message);
    guarded("command callback", [&] { deferred.callback(result); });
  }
}

// Delivers what was deferred so far; what those callbacks defer in turn waits for the next
// loop iteration (a caller retrying in a tight loop cannot starve the loop). `done` of stop()
// runs last, and nothing here touches the client after it (it may destroy the client).
void RedisClient::onIdle() {
  std::deque<Deferred> batch;
  batch.swap(deferred_);
  ++dispatching_;
  for (Deferred& deferred : batch) runDeferred(deferred);
  --dispatching_;
  if (!deferred_.empty()) return;
  uv_idle_stop(idle_.get());
  if (state_ != State::kStopped || stop_done_.empty()) return;
  std::vector<std::function<void()>> done;
  done.swap(stop_done_);
  for (auto& callback : done) guarded("stop callback", callback);
}

// ---- hiredis trampolines --------------------------------------------------------------------

void RedisClient::onConnectThunk(const redisAsyncContext* context, int status) noexcept {
  auto* self = static_cast<RedisClient*>(context->data);
  if (self == nullptr || context != self->context_) return;
  if (status != REDIS_OK) {
    self->onLinkLost(context);  // hiredis frees the context when this returns
    return;
  }
  // No user code here: hiredis is inside its write handler and must not see the context freed.
  self->sendHandshake();
}

void RedisClient::onDisconnectThunk(const redisAsyncContext* context, int) noexcept {
  auto* self = static_cast<RedisClient*>(context->data);
  if (self == nullptr || context != self->context_) return;
  self->onLinkLost(context);
}

void RedisClient::onReplyThunk(redisAsyncContext* context, void* reply, void* privdata) noexcept {
  auto* self = static_cast<RedisClient*>(privdata);
  if (context != self->context_) return;  // a context we gave up: late or NULL replies
  if (reply == nullptr) {
    self->onLinkLost(context);  // hiredis is failing its callbacks before freeing the context
    return;
  }
  ++self->dispatching_;
  self->completeHead(static_cast<const redisReply*>(reply));
  --self->dispatching_;
}

void RedisClient::onSubscribeThunk(redisAsyncContext* context, void* reply,
                                   void* privdata) noexcept {
  auto* self = static_cast<RedisClient*>(privdata);
  if (context != self->context_) return;
  if (reply == nullptr) {
    self->onLinkLost(context);
    return;
  }
  ++self->dispatching_;
  self->onSubscriptionReply(static_cast<const redisReply*>(reply));
  --self->dispatching_;
}

}  // namespace sg
