// InboundReader: READ while there is room, blocking XREAD while the stream is exhausted.
#include "worker/inbound_reader.h"

#include "common/bus_keys.h"
#include "common/log.h"
#include "worker/consumer.h"
#include "worker/consumer_scripts.h"

namespace sg {

InboundReader::InboundReader(Consumer& consumer)
    : consumer_(consumer), retry_timer_(consumer.loop()) {}

void InboundReader::start() {
  running_ = true;
  kick();
}

void InboundReader::stop() {
  running_ = false;
  retry_timer_.stop();
}

void InboundReader::kick() {
  if (!running_) return;
  if (reading_) {
    again_ = true;
    return;
  }
  if (retry_timer_.active()) return;  // a retry after an error is already scheduled
  read();
}

void InboundReader::read() {
  size_t capacity = consumer_.freeCapacity();
  if (!running_ || capacity == 0) return;  // Consumer::onDrainEnded kicks us when room frees up
  const Config& config = consumer_.config();
  std::vector<std::string> args = consumer_.scriptArgs();
  args.push_back(std::to_string(config.consumer.read_batch));
  args.push_back(std::to_string(config.consumer.claim_idle_ms));
  args.push_back(consumer_.nextTokenBase());
  args.push_back(std::to_string(capacity));
  args.push_back(std::to_string(config.limits.payload_bytes));
  reading_ = true;
  again_ = false;
  consumer_.redis().evalScript(ConsumerScripts::get().read, Consumer::scriptKeys(),
                               std::move(args),
                               [this, alive = life_.watch()](const RedisResult& result) {
                                 if (alive.expired()) return;
                                 reading_ = false;
                                 onRead(result);
                               });
}

void InboundReader::onRead(const RedisResult& result) {
  RedisReply reply = result.reply();
  if (!result.ok() || !reply.isArray() || reply.size() < 4) {
    if (running_) retryLater("read", result);
    return;
  }
  backoff_.reset();
  ConsumerStats& stats = consumer_.mutableStats();
  stats.received += static_cast<uint64_t>(reply[0].integer());
  stats.lock_waits += static_cast<uint64_t>(reply[3].integer());
  std::string wait_from(reply[1].str());
  // Even when stopped meanwhile (a drain began): the locks this READ took are ours, and
  // Consumer::adopt hands them straight back while draining.
  RedisReply owned = reply[2];
  for (size_t i = 0; i + 1 < owned.size(); i += 2) {
    consumer_.adopt(std::string(owned[i].str()), std::string(owned[i + 1].str()), false);
  }
  if (!running_) return;
  if (wait_from.empty() || again_) {
    read();  // a full batch: there may be more right now
    return;
  }
  wait_from_ = std::move(wait_from);
  wait();
}

void InboundReader::wait() {
  if (!running_ || waiting_) return;
  const Config& config = consumer_.config();
  std::string block = std::to_string(config.consumer.block_ms);
  waiting_ = true;
  RedisClient& blocking = consumer_.blockingRedis();
  blocking.command({"XREAD", "COUNT", "1", "BLOCK", block, "STREAMS", keys::kInboundStream,
                    wait_from_},
                   [this, alive = life_.watch()](const RedisResult& result) {
                     if (alive.expired()) return;
                     waiting_ = false;
                     onWait(result);
                   },
                   config.consumer.block_ms + blocking.commandTimeoutMs());
}

void InboundReader::onWait(const RedisResult& result) {
  if (!running_) return;
  if (!result.ok()) {
    retryLater("wait", result);
    return;
  }
  if (result.reply().isNil()) {
    wait();  // nothing new within block_ms: wait again
    return;
  }
  kick();  // something new: READ takes it (or finds another consumer did)
}

void InboundReader::retryLater(const char* what, const RedisResult& result) {
  consumer_.mutableStats().redis_errors++;
  uint64_t delay = backoff_.next();
  if (backoff_.attempts() == 1 || backoff_.attempts() % 50 == 0) {
    log::get("consumer").warn("{} failed ({}: {}); retrying in {} ms", what,
                              toString(result.error()), result.message(), delay);
  }
  retry_timer_.start(delay, [this] {
    retry_timer_.stop();
    kick();
  });
}

}  // namespace sg
