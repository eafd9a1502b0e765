// GatewayRpc: rpc_request out through the job, replies in from sg:rpc:reply:<worker> (see
// gateway_rpc.h for the design).
#include "worker/gateway_rpc.h"

#include <algorithm>
#include <charconv>

#include "common/bus_codec.h"
#include "common/bus_keys.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/msgpack_reader.h"
#include "common/random.h"

namespace sg {
namespace {

spdlog::logger& logger() {
  return log::get("bus");
}

// Now on the clock libuv's timers use, read afresh: uv_now() is the time the current loop turn
// began, and a deadline counted from it could fall before the one the Gateway is sent.
uint64_t nowMs() {
  return uv_hrtime() / 1'000'000;
}

// The rpc_id of a reply that failed to decode, when its top level is still a readable map with
// an `rpc_id` str; "" otherwise.
std::string peekRpcId(std::string_view payload) {
  mp::Reader reader(payload);
  mp::Item top;
  if (!reader.read(&top) || top.type != mp::Type::kMap) return "";
  for (uint32_t i = 0; i < top.count; ++i) {
    mp::Reader key_reader(payload, reader.offset());
    mp::Item key;
    if (!key_reader.read(&key)) return "";
    if (key.type == mp::Type::kStr && key.bytes == "rpc_id") {
      mp::Item value;
      if (!key_reader.read(&value) || value.type != mp::Type::kStr) return "";
      return std::string(value.bytes);
    }
    if (!reader.skipValues(2)) return "";  // the key and its value
  }
  return "";
}

// The `payload` field of a stream entry's field/value array.
std::string_view payloadField(const RedisReply& fields) {
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str() == "payload") return fields[i + 1].str();
  }
  return {};
}

}  // namespace

const char* rpcOutcomeName(RpcOutcome outcome) {
  switch (outcome) {
    case RpcOutcome::kOk:
      return "ok";
    case RpcOutcome::kGatewayError:
      return "gateway_error";
    case RpcOutcome::kMalformed:
      return "malformed";
    case RpcOutcome::kTimeout:
      return "timeout";
    case RpcOutcome::kPublishFailed:
      return "publish_failed";
    case RpcOutcome::kCancelled:
      return "cancelled";
    case RpcOutcome::kStopped:
      return "stopped";
  }
  return "unknown";
}

GatewayRpc::GatewayRpc(uv_loop_t* loop, RedisClient& replies, std::string worker_id,
                       ConfigPtr config)
    : loop_(loop),
      replies_(replies),
      worker_id_(std::move(worker_id)),
      config_(std::move(config)),
      stream_(keys::rpcReplyStream(worker_id_)),
      rpc_prefix_(worker_id_ + ":" + randomHex(4) + ":"),
      calls_(loop, [this](std::unique_ptr<Call> call) { deliver(std::move(call)); }),
      deadline_timer_(loop),
      retry_timer_(loop) {}

GatewayRpc::~GatewayRpc() {
  calls_.clear();
}

void GatewayRpc::updateConfig(ConfigPtr config) {
  config_ = std::move(config);
}

GatewayRpcStats GatewayRpc::stats() const {
  GatewayRpcStats stats = stats_;
  stats.pending = calls_.size();
  return stats;
}

// ---- calls ----------------------------------------------------------------------------------

void GatewayRpc::call(const std::shared_ptr<ProcessJob>& job, std::string method,
                      std::string params, uint32_t timeout_ms, Callback done) {
  ++stats_.calls;
  uint64_t id = calls_.nextId();
  auto owned = std::make_unique<Call>();
  Call* call = owned.get();
  call->rpc_id = rpc_prefix_ + std::to_string(id);
  call->method = std::move(method);
  call->job_key = job.get();
  call->job = job;
  call->started = nowMs();
  call->deadline = call->started + timeout_ms;
  call->done = std::move(done);
  calls_.insert(id, std::move(owned));
  if (stopping_ || !job) {
    complete(id, stopping_ ? RpcOutcome::kStopped : RpcOutcome::kPublishFailed,
             stopping_ ? "stopped" : "publish failed");
    return;
  }
  deadlines_.emplace(call->deadline, id);
  armDeadlines();

  const Envelope& envelope = job->envelope();
  RpcRequest request;
  request.common = {job->nextTransientActionId("rpc"), envelope.event_id, worker_id_,
                    envelope.trace_id, unixNow()};
  request.rpc_id = call->rpc_id;
  request.method = call->method;
  request.params = std::move(params);
  request.reply_stream = stream_;
  request.deadline = request.common.created_at + timeout_ms / 1000.0;
  logger().debug("rpc {} {} for event {} (channel {}), deadline in {} ms", call->rpc_id,
                 call->method, envelope.event_id, envelope.message.channel_id, timeout_ms);
  read();
  // publishNow may answer synchronously (job already cancelled): complete() defers delivery.
  job->publishNow({encodeAction(request)}, [this, id, alive = life_.watch()](bool ok) {
    if (!alive.expired() && !ok) complete(id, RpcOutcome::kPublishFailed, "publish failed");
  });
}

void GatewayRpc::cancel(const ProcessJob& job) {
  for (uint64_t id : calls_.ids()) {
    const Call* call = calls_.find(id);
    if (call != nullptr && call->job_key == &job) complete(id, RpcOutcome::kCancelled, "cancelled");
  }
}

// Records the outcome and hands the call over for delivery on a later loop turn; a call that
// already completed is not found, so every call completes once.
void GatewayRpc::complete(uint64_t id, RpcOutcome outcome, std::string text) {
  Call* call = calls_.find(id);
  if (call == nullptr) return;
  call->result.outcome = outcome;
  call->result.ok = outcome == RpcOutcome::kOk;
  if (call->result.ok) {
    call->result.result = std::move(text);
  } else {
    call->result.error = std::move(text);
  }
  if (deadlines_.erase({call->deadline, id}) > 0) armDeadlines();
  count(*call);
  calls_.finished(id);
}

void GatewayRpc::count(const Call& call) {
  uint64_t* counters[] = {&stats_.ok,       &stats_.gateway_errors, &stats_.malformed,
                          &stats_.timeouts, &stats_.publish_failed, &stats_.cancelled,
                          &stats_.stopped};
  ++*counters[static_cast<size_t>(call.result.outcome)];
  RpcOutcome outcome = call.result.outcome;
  uint64_t elapsed = nowMs() - call.started;
  if (outcome == RpcOutcome::kOk || outcome == RpcOutcome::kGatewayError ||
      outcome == RpcOutcome::kMalformed) {
    ++stats_.answered;
    stats_.latency_ms_sum += elapsed;
    stats_.latency_ms_max = std::max(stats_.latency_ms_max, elapsed);
  }
  auto level = outcome == RpcOutcome::kOk || outcome == RpcOutcome::kStopped ||
                       outcome == RpcOutcome::kCancelled
                   ? spdlog::level::debug
                   : spdlog::level::warn;
  logger().log(level, "rpc {} {}: {} after {} ms{}{}", call.rpc_id, call.method,
               rpcOutcomeName(outcome), elapsed, call.result.ok ? "" : ": ", call.result.error);
}

void GatewayRpc::deliver(std::unique_ptr<Call> call) {
  if (call->after_stop) {
    call->after_stop();
    return;
  }
  Callback done = std::move(call->done);
  RpcResult result = std::move(call->result);
  call.reset();  // nothing of the call is left when its owner hears of it
  if (done) done(std::move(result));
}

// The call id in `rpc_id` when it is one of this instance's ids, else 0 (never a call id).
uint64_t GatewayRpc::callIdOf(std::string_view rpc_id) const {
  if (rpc_id.size() <= rpc_prefix_.size() || rpc_id.substr(0, rpc_prefix_.size()) != rpc_prefix_) {
    return 0;
  }
  std::string_view digits = rpc_id.substr(rpc_prefix_.size());
  uint64_t id = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  return error == std::errc() && end == digits.data() + digits.size() ? id : 0;
}

// ---- deadlines --------------------------------------------------------------------------------

void GatewayRpc::armDeadlines() {
  if (deadlines_.empty()) {
    deadline_timer_.stop();
    return;
  }
  uint64_t now = uv_now(loop_);
  uint64_t at = deadlines_.begin()->first;
  deadline_timer_.start(at > now ? at - now : 0, [this] { onDeadlines(); });
}

void GatewayRpc::onDeadlines() {
  uint64_t now = std::max(nowMs(), uv_now(loop_));
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    complete(deadlines_.begin()->second, RpcOutcome::kTimeout, "timeout");
  }
  armDeadlines();
}

// ---- replies ----------------------------------------------------------------------------------

void GatewayRpc::read() {
  if (reading_ || stopping_ || calls_.size() == 0 || retry_timer_.active()) return;
  reading_ = true;
  static const std::string block = std::to_string(kBlockMs);
  static const std::string count = std::to_string(kReadCount);
  replies_.command(
      {"XREAD", "COUNT", count, "BLOCK", block, "STREAMS", stream_, "0-0"},
      [this, alive = life_.watch()](const RedisResult& result) {
        if (alive.expired()) return;
        reading_ = false;
        onRead(result);
      },
      kBlockMs + replies_.commandTimeoutMs());
}

void GatewayRpc::onRead(const RedisResult& result) {
  if (stopping_) return;  // stop() has failed every call; its DEL removes what is left
  if (!result.ok()) {
    retryRead(result);
    return;
  }
  backoff_.reset();
  std::vector<std::string> entry_ids;
  RedisReply streams = result.reply();  // nil when the block ended with nothing
  for (size_t s = 0; s < streams.size(); ++s) {
    RedisReply entries = streams[s][1];
    for (size_t e = 0; e < entries.size(); ++e) {
      entry_ids.emplace_back(entries[e][0].str());
      onEntry(entry_ids.back(), payloadField(entries[e][1]));
    }
  }
  if (!entry_ids.empty()) deleteEntries(entry_ids);
  read();  // pipelined after the XDEL: it cannot return what was just handled
}

void GatewayRpc::retryRead(const RedisResult& result) {
  ++stats_.read_errors;
  uint64_t delay = backoff_.next();
  if (backoff_.attempts() == 1 || backoff_.attempts() % 50 == 0) {
    logger().warn("rpc: reading {} failed ({}: {}); retrying in {} ms", stream_,
                  toString(result.error()), result.message(), delay);
  }
  retry_timer_.start(delay, [this] {
    retry_timer_.stop();
    read();
  });
}

void GatewayRpc::onEntry(std::string_view entry_id, std::string_view payload) {
  Decoded<RpcReply> decoded = decodeRpcReply(payload, config_->limits);
  std::string rpc_id = decoded.ok() ? decoded.value->rpc_id : peekRpcId(payload);
  if (rpc_id.empty()) {
    ++stats_.unreadable_replies;
    logger().warn("rpc: dropped reply {} on {}: {} and no readable rpc_id", entry_id, stream_,
                  decoded.reason);
    return;
  }
  uint64_t id = callIdOf(rpc_id);
  Call* call = id == 0 ? nullptr : calls_.find(id);
  if (call == nullptr || nowMs() >= call->deadline) {
    ++stats_.ignored_replies;
    logger().debug("rpc: ignored reply {} for {}: late, or no such pending call", entry_id, rpc_id);
    if (call != nullptr) complete(id, RpcOutcome::kTimeout, "timeout");
    return;
  }
  std::shared_ptr<ProcessJob> job = call->job.lock();
  if (job == nullptr || job->cancelled()) {
    complete(id, RpcOutcome::kCancelled, "cancelled");
  } else if (!decoded.ok()) {
    complete(id, RpcOutcome::kMalformed, "malformed reply: " + decoded.reason);
  } else if (!decoded.value->ok) {
    complete(id, RpcOutcome::kGatewayError, std::move(decoded.value->error));
  } else {
    complete(id, RpcOutcome::kOk, std::move(decoded.value->result));
  }
}

// XDEL keeps the stream small; PEXPIRE lets it vanish once no worker reads it. Both are
// pipelined before the next XREAD; a failure only leaves entries that are read again and ignored.
void GatewayRpc::deleteEntries(const std::vector<std::string>& entry_ids) {
  RedisArgs xdel{"XDEL", stream_};
  xdel.addAll(entry_ids);
  auto on_error = [this](const RedisResult& result) {
    if (!result.ok()) {
      logger().debug("rpc: cleaning {} failed ({}: {})", stream_, toString(result.error()),
                     result.message());
    }
  };
  replies_.command(xdel, on_error);
  static const std::string ttl = std::to_string(kStreamTtlMs);
  replies_.command({"PEXPIRE", stream_, ttl}, on_error);
}

// ---- stop -------------------------------------------------------------------------------------

void GatewayRpc::stop(std::function<void()> done) {
  if (done) stop_done_.push_back(std::move(done));
  if (stream_deleted_) {
    onStreamDeleted();
    return;
  }
  if (stopping_) return;
  stopping_ = true;
  retry_timer_.stop();
  for (uint64_t id : calls_.ids()) complete(id, RpcOutcome::kStopped, "stopped");
  deadline_timer_.stop();
  replies_.command({"DEL", stream_}, [this, alive = life_.watch()](const RedisResult& result) {
    if (alive.expired()) return;
    if (!result.ok()) {
      logger().info("rpc: could not delete {} ({}); it expires on its own", stream_,
                    toString(result.error()));
    }
    stream_deleted_ = true;
    onStreamDeleted();
  });
}

// stop()'s callbacks ride the delivery queue as a marker call, so they run after every "stopped"
// completion queued before them and never inside stop().
void GatewayRpc::onStreamDeleted() {
  if (stop_done_.empty()) return;
  auto marker = std::make_unique<Call>();
  marker->after_stop = [callbacks = std::move(stop_done_)] {
    for (const auto& callback : callbacks) callback();
  };
  stop_done_.clear();
  uint64_t id = calls_.nextId();
  calls_.insert(id, std::move(marker));
  calls_.finished(id);
}

}  // namespace sg
