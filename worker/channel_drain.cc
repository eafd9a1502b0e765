// ChannelDrain: the per-channel BEGIN -> process -> COMMIT loop (see channel_drain.h).
#include "worker/channel_drain.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/bus_codec.h"
#include "common/bus_keys.h"
#include "common/clock.h"
#include "common/log.h"
#include "worker/consumer.h"
#include "worker/consumer_scripts.h"

namespace sg {
namespace {

constexpr std::string_view kUndecodableChannel = "!undecodable";
constexpr uint64_t kMaxRetryDelayMs = 60000;

std::string nowText() { return fmt::format("{:.6f}", unixNow()); }

std::string_view fieldValue(const RedisReply& fields, std::string_view name, bool* found) {
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str() == name) {
      *found = true;
      return fields[i + 1].str();
    }
  }
  *found = false;
  return {};
}

}  // namespace

ChannelDrain::ChannelDrain(Consumer& consumer, std::string channel_key, std::string token)
    : consumer_(consumer),
      channel_key_(std::move(channel_key)),
      token_(std::move(token)),
      retry_timer_(consumer.loop()) {}

ChannelDrain::~ChannelDrain() {
  if (job_) job_->cancel();
}

void ChannelDrain::start() { begin(); }

std::vector<std::string> ChannelDrain::stepArgs() const {
  std::vector<std::string> args = consumer_.scriptArgs();
  args.push_back(channel_key_);
  args.push_back(token_);
  return args;
}

void ChannelDrain::call(const RedisScript& script, std::vector<std::string> args) {
  call_script_ = &script;
  call_args_ = std::make_shared<const std::vector<std::string>>(std::move(args));
  callAgain();
}

void ChannelDrain::callAgain() {
  if (ended_) return;
  step_in_flight_ = true;
  std::weak_ptr<ChannelDrain> weak = weak_from_this();
  consumer_.redis().evalScript(*call_script_, Consumer::scriptKeys(), *call_args_,
                               [weak](const RedisResult& result) {
                                 if (auto self = weak.lock()) self->onStep(result);
                               });
}

void ChannelDrain::begin() {
  if (ended_) return;
  const Config& config = consumer_.config();
  std::vector<std::string> args = stepArgs();
  args.push_back(std::to_string(config.consumer.claim_idle_ms));
  args.push_back(std::to_string(config.consumer.max_deliveries));
  args.push_back(nowText());
  call(ConsumerScripts::get().begin, std::move(args));
}

// Every script of the drain answers in begin_next's shape:
// {status, id, fields, attempts, duplicates, gone, dead_lettered}.
void ChannelDrain::onStep(const RedisResult& result) {
  step_in_flight_ = false;
  if (ended_) return;
  RedisReply reply = result.reply();
  if (!result.ok() || !reply.isArray() || reply.size() < 7) {
    consumer_.mutableStats().redis_errors++;
    uint64_t delay = redis_backoff_.next();
    if (result.error() == RedisError::kServer) {
      // Not the network: a script error repeats until someone looks, so say it every time.
      log::get("consumer").error("channel {} entry {}: script error: {}; retrying in {} ms",
                                 channel_key_, entry_id_, result.message(), delay);
    } else if (redis_backoff_.attempts() == 1) {
      log::get("consumer").warn("channel {}: script failed ({}: {}); retrying", channel_key_,
                                toString(result.error()), result.message());
    }
    retry_timer_.start(delay, [this] { callAgain(); });
    return;
  }
  redis_backoff_.reset();
  ConsumerStats& stats = consumer_.mutableStats();
  if (!pending_outcome_.empty()) {
    // The previous COMMIT (or DEAD_LETTER) ran: count its outcome once.
    if (reply[0].str() != "lost") {
      if (pending_outcome_ == "dead_letter") {
        stats.dead_lettered++;
      } else {
        stats.processed++;
        if (pending_outcome_ == "stale") stats.stale++;
        else if (pending_outcome_ == "ignored") stats.ignored++;
        else stats.answered++;
      }
    }
    pending_outcome_.clear();
  }
  stats.duplicates += static_cast<uint64_t>(reply[4].integer());
  stats.dead_lettered += static_cast<uint64_t>(reply[6].integer());
  std::string_view status = reply[0].str();
  if (status == "entry") {
    handleEntry(reply);
  } else if (status == "moved") {
    begin();
  } else if (status == "lost") {
    stats.locks_lost++;
    log::get("consumer").warn("channel {}: lock lost; another consumer has it", channel_key_);
    finish("lost", false);
  } else {
    finish(status == "released" ? "released" : "drained", false);
  }
}

void ChannelDrain::handleEntry(const RedisReply& entry) {
  entry_id_ = std::string(entry[1].str());
  attempts_ = static_cast<unsigned>(entry[3].integer());
  event_id_.clear();
  platform_.clear();
  bool has_payload = false;
  std::string_view payload = fieldValue(entry[2], "payload", &has_payload);
  if (!has_payload) {
    deadLetter(std::string(reason::kMissingPayload));
    return;
  }
  DecodeResult decoded = decodeEnvelope(payload, consumer_.config().limits);
  if (!decoded.ok()) {
    log::get("consumer").warn("entry {}: undecodable ({}); dead-lettered", entry_id_,
                              decoded.reason);
    deadLetter(std::move(decoded.reason));
    return;
  }
  if (channel_key_ == kUndecodableChannel) {
    log::get("consumer").warn("entry {}: the queue script could not read its channel but the "
                              "decoder could; processed outside its channel's order",
                              entry_id_);
  }
  startJob(std::move(*decoded.value), attempts_);
}

void ChannelDrain::startJob(Envelope envelope, unsigned attempts) {
  event_id_ = envelope.event_id;
  platform_ = envelope.platform;
  const Config& config = consumer_.config();
  if (unixNow() - envelope.sent_at > static_cast<double>(config.consumer.max_age_s)) {
    log::get("consumer").info("entry {} (event {}): stale, acknowledged without an answer",
                              entry_id_, event_id_);
    commit({}, "stale");
    return;
  }
  std::weak_ptr<ChannelDrain> weak = weak_from_this();
  job_ = std::make_shared<ProcessJob>(
      std::move(envelope), consumer_.name(), attempts,
      [weak](ProcessResult result) {
        if (auto self = weak.lock()) self->onProcessed(std::move(result));
      },
      [weak](std::vector<std::string> payloads, std::function<void(bool)> done) {
        if (auto self = weak.lock()) {
          self->publish(std::move(payloads), std::move(done));
        } else if (done) {
          done(false);
        }
      });
  // The processor's own writes (history) check the lock too: a holder that lost it writes
  // nothing more.
  job_->setFence({"sg:chlock:" + channel_key_, token_});
  consumer_.processor().process(job_);
}

void ChannelDrain::onProcessed(ProcessResult result) {
  job_.reset();
  if (ended_) return;
  if (result.status == ProcessStatus::kFailed) {
    consumer_.mutableStats().failed++;
    log::get("consumer").warn("entry {} (event {}): processing failed on delivery {}: {}",
                              entry_id_, event_id_, attempts_, result.error);
    retryAfterFailure();
    return;
  }
  std::string outcome = result.actions.empty() && result.outcome == "answered"
                            ? std::string("ignored")
                            : result.outcome;
  commit(std::move(result.actions), std::move(outcome));
}

void ChannelDrain::retryAfterFailure() {
  if (!keep_going_) {
    // Draining: leave the entry for another consumer rather than wait to retry it here.
    finish("failed while draining", true);
    return;
  }
  uint64_t base = consumer_.config().consumer.retry_delay_ms;
  uint64_t delay = std::min<uint64_t>(kMaxRetryDelayMs, base << std::min(attempts_ - 1, 10u));
  retry_timer_.start(delay, [this] { begin(); });
}

void ChannelDrain::commit(std::vector<std::string> actions, std::string outcome) {
  const Config& config = consumer_.config();
  std::vector<std::string> args = stepArgs();
  args.reserve(args.size() + 10 + actions.size());
  args.push_back(entry_id_);
  args.push_back(event_id_);
  args.push_back(std::to_string(config.consumer.claim_idle_ms));
  args.push_back(std::to_string(config.consumer.max_deliveries));
  args.push_back(nowText());
  args.push_back(std::to_string(uint64_t{config.consumer.max_age_s} * 1000));
  args.push_back(keys::outboundStream(platform_));
  args.push_back(std::to_string(config.outbound.maxlen));
  args.push_back(keep_going_ ? "1" : "0");
  args.push_back(std::to_string(actions.size()));
  for (auto& action : actions) args.push_back(std::move(action));
  pending_outcome_ = std::move(outcome);
  call(ConsumerScripts::get().commit, std::move(args));
}

void ChannelDrain::deadLetter(std::string reason) {
  const Config& config = consumer_.config();
  std::vector<std::string> args = stepArgs();
  args.push_back(entry_id_);
  args.push_back(std::move(reason));
  args.push_back(std::to_string(attempts_));
  args.push_back(std::to_string(config.consumer.claim_idle_ms));
  args.push_back(std::to_string(config.consumer.max_deliveries));
  args.push_back(nowText());
  args.push_back(keep_going_ ? "1" : "0");
  pending_outcome_ = "dead_letter";
  call(ConsumerScripts::get().dead_letter, std::move(args));
}

void ChannelDrain::publish(std::vector<std::string> payloads, std::function<void(bool)> done) {
  const Config& config = consumer_.config();
  std::vector<std::string> args = stepArgs();
  args.push_back(keys::outboundStream(platform_));
  args.push_back(std::to_string(config.outbound.maxlen));
  for (auto& payload : payloads) args.push_back(std::move(payload));
  std::weak_ptr<ChannelDrain> weak = weak_from_this();
  consumer_.redis().evalScript(
      ConsumerScripts::get().publish, Consumer::scriptKeys(), std::move(args),
      [weak, done = std::move(done)](const RedisResult& result) {
        bool published = result.ok() && result.reply().integer() == 1;
        auto self = weak.lock();
        if (self && result.ok() && !published) self->lockLost();
        if (done) done(published);
      });
}

void ChannelDrain::lockLost() {
  if (ended_) return;
  consumer_.mutableStats().locks_lost++;
  log::get("consumer").warn("channel {}: lock lost while held; dropping entry {}", channel_key_,
                            entry_id_);
  finish("lost", false);
}

bool ChannelDrain::stopAfterCurrent() {
  keep_going_ = false;
  // Idle only while waiting to retry: a step in flight may be handing us an entry (already
  // counted as a delivery), which we then process within the drain's deadline.
  return !step_in_flight_ && !job_;
}

void ChannelDrain::abandon() { finish("abandoned", true); }

void ChannelDrain::finish(const char* why, bool lock_held) {
  if (ended_) return;
  ended_ = true;
  retry_timer_.stop();
  if (job_) {
    auto job = std::move(job_);
    job->cancel();
  }
  log::get("consumer").debug("channel {}: drain ended ({})", channel_key_, why);
  consumer_.onDrainEnded(channel_key_, lock_held ? token_ : std::string());
}

}  // namespace sg
