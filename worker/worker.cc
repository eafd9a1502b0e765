// Worker: wiring of one sg-worker process (see worker.h).
#include "worker/worker.h"

#include <unistd.h>

#include "common/config_loader.h"
#include "common/log.h"
#include "worker/builtin_tools.h"
#include "worker/echo_processor.h"
#include "worker/message_processor.h"
#include "worker/test_tools.h"

namespace sg {
namespace {

RedisClient::Options redisOptions(const Config& config, const std::string& name) {
  RedisClient::Options options;
  options.redis = config.redis;
  options.name = name;
  return options;
}

}  // namespace

Worker::Worker(uv_loop_t* loop, std::string instance_id, ConfigPtr config)
    : loop_(loop),
      instance_id_(std::move(instance_id)),
      config_(std::move(config)),
      config_digest_(configDigest(*config_)) {}

Worker::~Worker() = default;

bool Worker::start(std::string* error) {
  commands_ = std::make_unique<RedisClient>(loop_, redisOptions(*config_, instance_id_ + ":cmd"));
  blocking_ = std::make_unique<RedisClient>(loop_, redisOptions(*config_, instance_id_ + ":block"));
  // The processor first: a configuration it refuses (a prompt template) stops the start here.
  if (!makeProcessor(error)) return false;
  if (!commands_->start(error) || !blocking_->start(error)) return false;
  if (rpc_replies_ && !rpc_replies_->start(error)) return false;
  consumer_ =
      std::make_unique<Consumer>(loop_, *commands_, *blocking_, *processor_, instance_id_, config_);
  heartbeat_ =
      std::make_unique<Heartbeat>(loop_, *commands_, instance_id_, "worker", [this](cJSON* record) {
        const ConsumerStats& stats = consumer_->stats();
        cJSON_AddNumberToObject(record, "processed", double(stats.processed));
        cJSON_AddNumberToObject(record, "inflight", double(stats.inflight));
        if (llm_ != nullptr) {
          JsonPtr processor = processorStatsJson(llm_->stats(), llm_->llmStats());
          cJSON_AddItemToObject(record, "processor", processor.release());
        }
      });
  // Start consuming once connected; READ creates the group if it is missing.
  commands_->onConnected([this] {
    log::get("main").info("connected to Redis at {}", commands_->maskedUrl());
    if (!consuming_ && !stopping_) {
      consuming_ = true;
      consumer_->start();
      heartbeat_->start(config_->heartbeat.interval_ms);
    }
  });
  commands_->onDisconnected([](std::string_view reason) {
    log::get("main").warn("lost Redis connection ({}); reconnecting", reason);
  });
  return true;
}

bool Worker::makeProcessor(std::string* error) {
  if (config_->consumer.processor == "echo") {
    auto echo = std::make_unique<EchoProcessor>(loop_, config_);
    echo_ = echo.get();
    processor_ = std::move(echo);
    return true;
  }
  auto llm = std::make_unique<LlmMessageProcessor>(loop_, *commands_, config_, instance_id_);
  if (!llm->start(error)) return false;
  // Gateway calls read their replies on a connection of their own (blocking reads).
  rpc_replies_ = std::make_unique<RedisClient>(loop_, redisOptions(*config_, instance_id_ + ":rpc"));
  gateway_ = std::make_unique<GatewayRpc>(loop_, *rpc_replies_, instance_id_, config_);
  llm->setGateway(gateway_.get());
  registerBuiltinTools(llm->tools());
  if (testToolsRequested()) {
    registerTestTools(llm->tools());
    log::get("main").warn("test tools registered ({}=1): not for production", kTestToolsEnv);
  }
  llm_ = llm.get();
  processor_ = std::move(llm);
  return true;
}

bool Worker::updateConfig(ConfigPtr config, std::string* error) {
  // The processor may refuse it (a prompt template): then nothing changes.
  if (llm_ != nullptr && !llm_->updateConfig(config, error)) return false;
  for (const ConfigChange& change : diffConfig(*config_, *config)) {
    if (change.reload == ReloadClass::kLive) continue;
    log::get("main").warn("{} changed ({}): this worker keeps its running value until restarted",
                          change.key, reloadClassName(change.reload));
  }
  config_ = std::move(config);
  config_digest_ = configDigest(*config_);
  log::setLevel(config_->log.level);
  if (consumer_) consumer_->updateConfig(config_);
  if (echo_ != nullptr) echo_->updateConfig(config_);
  if (gateway_) gateway_->updateConfig(config_);
  if (heartbeat_) heartbeat_->setInterval(config_->heartbeat.interval_ms);
  return true;
}

void Worker::drain(std::function<void()> done) {
  drain(uint64_t{config_->shutdown.drain_s} * 1000, std::move(done));
}

void Worker::drain(uint64_t deadline_ms, std::function<void()> done) {
  if (stopping_) return;
  stopping_ = true;
  if (!consumer_) {  // never started: nothing to finish
    if (done) done();
    return;
  }
  log::get("main").info("draining (deadline {} ms)", deadline_ms);
  if (llm_ != nullptr) llm_->stopBackground();
  consumer_->drain(deadline_ms, [this, done = std::move(done)]() mutable {
    closeConnections(std::move(done));
  });
}

void Worker::stopNow() {
  if (!consumer_) return;
  log::get("main").warn("stopping now; work in progress stays pending for other workers");
  consumer_->hurry();
}

void Worker::addMetricsSource(std::function<void(MetricsReport&)> source) {
  metrics_sources_.push_back(std::move(source));
}

JsonPtr Worker::statsJson() const {
  JsonPtr stats(cJSON_CreateObject());
  cJSON_AddStringToObject(stats.get(), "instance_id", instance_id_.c_str());
  cJSON_AddNumberToObject(stats.get(), "pid", static_cast<double>(getpid()));
  cJSON_AddStringToObject(stats.get(), "config_digest", config_digest_.c_str());
  cJSON_AddBoolToObject(stats.get(), "redis_connected", commands_ && commands_->connected());
  cJSON_AddBoolToObject(stats.get(), "draining", stopping_);
  MetricsReport report;
  if (consumer_) {
    cJSON_AddNumberToObject(stats.get(), "processed", double(consumer_->stats().processed));
    cJSON_AddNumberToObject(stats.get(), "inflight", double(consumer_->stats().inflight));
    reportConsumerMetrics(report);
  }
  if (processor_) processor_->reportMetrics(report);
  for (const auto& source : metrics_sources_) source(report);
  cJSON_AddItemToObject(stats.get(), "metrics", report.take().release());
  return stats;
}

void Worker::reportConsumerMetrics(MetricsReport& report) const {
  const ConsumerStats& s = consumer_->stats();
  report.counter("received_total", "Inbound entries taken from the stream.", double(s.received));
  constexpr std::string_view kOutcomes = "Inbound entries settled, by outcome.";
  report.counter("messages_total", kOutcomes, double(s.answered), {{"outcome", "answered"}});
  report.counter("messages_total", kOutcomes, double(s.ignored), {{"outcome", "ignored"}});
  report.counter("messages_total", kOutcomes, double(s.stale), {{"outcome", "stale"}});
  report.counter("messages_total", kOutcomes, double(s.duplicates), {{"outcome", "duplicate"}});
  report.counter("messages_total", kOutcomes, double(s.dead_lettered),
                 {{"outcome", "dead_lettered"}});
  report.counter("processing_failures_total", "Processing attempts that failed (retried).",
                 double(s.failed));
  report.counter("dead_letters_total", "Entries moved to sg:stream:inbound:dead.",
                 double(s.dead_lettered));
  report.counter("lock_waits_total", "Entries queued behind a channel already in progress.",
                 double(s.lock_waits));
  report.counter("locks_lost_total", "Channel locks lost while held.", double(s.locks_lost));
  report.counter("takeovers_total", "Channels taken over from a dead or stalled holder.",
                 double(s.takeovers));
  report.counter("redis_errors_total", "Consumer commands that failed for transport reasons.",
                 double(s.redis_errors));
  report.gauge("inflight", "Channels held now (one entry in progress each).", double(s.inflight));
  report.gauge("pending", "Entries read by the group and not yet acknowledged.", double(s.pending));
  if (s.lag >= 0) {
    report.gauge("lag", "Entries in the stream not yet read by the group.", double(s.lag));
  }
}

void Worker::closeConnections(std::function<void()> done) {
  heartbeat_->stop([this, done = std::move(done)]() mutable {
    auto stopClients = [this, done = std::move(done)]() mutable {
      auto remaining = std::make_shared<int>(rpc_replies_ ? 3 : 2);
      auto finish = [remaining, done = std::move(done)] {
        if (--*remaining == 0 && done) done();
      };
      if (rpc_replies_) rpc_replies_->stop(finish);
      blocking_->stop(finish);
      commands_->stop(finish);
    };
    // Pending gateway calls fail as "stopped" and the reply stream is deleted first.
    if (gateway_) {
      gateway_->stop(std::move(stopClients));
    } else {
      stopClients();
    }
  });
}

}  // namespace sg
