// Supervisor: life cycle, configuration reloads and events (see supervisor.h).
#include "supervisor/supervisor.h"

#include <signal.h>
#include <spdlog/fmt/fmt.h>
#include <unistd.h>

#include <algorithm>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "common/log_config.h"
#include "common/random.h"

namespace sg {
namespace {

spdlog::logger& logger() {
  return log::get("sup");
}

spdlog::logger& configLogger() {
  return log::get("config");
}

RedisClient::Options redisOptions(const Config& config, std::string name) {
  RedisClient::Options options;
  options.redis = config.redis;
  options.name = std::move(name);
  return options;
}

}  // namespace

Supervisor::Supervisor(uv_loop_t* loop, SupervisorOptions options)
    : loop_(loop),
      options_(std::move(options)),
      instance_id_(options_.instance_id.empty() ? "supervisor-" + randomHex(6)
                                                : options_.instance_id),
      notifier_(loop),
      signals_(loop,
               [this](SupervisorSignal signal, int, unsigned count) { onSignal(signal, count); }),
      health_(loop, *this),
      startup_timer_(loop) {
  adopt(options_.config);
  config_version_ = 1;
  started_at_ = unixNow();
  for (ConfigTrigger trigger :
       {ConfigTrigger::kStart, ConfigTrigger::kSignal, ConfigTrigger::kOverrides}) {
    for (std::string_view outcome : {"applied", "unchanged", "refused"}) {
      reloads_[{std::string(configTriggerName(trigger)), std::string(outcome)}] = 0;
    }
  }
}

Supervisor::~Supervisor() = default;

bool Supervisor::start(std::string* error) {
  if (!health_.start(running_->health.listen, error)) return false;
  int rc = signals_.start();
  if (rc != 0) {
    *error = std::string("cannot watch signals: ") + uv_strerror(rc);
    health_.stop();
    return false;
  }
  logger().info("sg-supervisor {} started as {} (pid {})", SG_VERSION, instance_id_, getpid());
  notifier_.start();
  makePool();
  startRedis();
  // Workers wait for the overrides, but not for ever: Redis may be down, and they are applied
  // as soon as it answers.
  startup_timer_.start(options_.overrides_wait_ms, [this] {
    logger().warn("Redis overrides not read after {} ms; starting the workers without them",
                  options_.overrides_wait_ms);
    startWorkers("overrides not read yet");
  });
  updateSystemdStatus();
  return true;
}

void Supervisor::startRedis() {
  redis_ = std::make_unique<RedisClient>(loop_, redisOptions(*running_, instance_id_ + ":cmd"));
  redis_->onConnected([this] {
    logger().info("connected to Redis at {}", redis_->maskedUrl());
    config_source_->fetchOverrides();
    leader_->onConnected();
    updateSystemdStatus();
  });
  redis_->onDisconnected([this](std::string_view reason) {
    logger().warn("lost Redis connection ({}); reconnecting", reason);
    updateSystemdStatus();
  });
  config_source_ = std::make_unique<ConfigSource>(
      loop_, options_.sources, running_->redis, instance_id_ + ":sub",
      [this](ConfigUpdate update) { onConfigUpdate(std::move(update)); });
  leader_ = std::make_unique<StatusLeader>(loop_, *redis_, instance_id_, running_->status.lease_ms,
                                           [this](bool leader) { onLeadership(leader); });
  status_ = std::make_unique<StatusManager>(loop_, *redis_, *leader_, running_);
  heartbeat_ = std::make_unique<Heartbeat>(loop_, *redis_, instance_id_, "supervisor",
                                           [this](cJSON* record) { fillHeartbeat(record); });
  std::string error;
  // The URL was validated with the configuration: these cannot fail.
  if (!redis_->start(&error) || !config_source_->start(*redis_, &error)) {
    logger().critical("cannot use Redis: {}", error);
  }
  leader_->start();
  heartbeat_->start(running_->heartbeat.interval_ms);
}

void Supervisor::makePool() {
  WorkerPoolOptions options;
  options.executable = options_.worker_executable;
  options.kill_grace_ms = options_.kill_grace_ms;
  WorkerPool::Callbacks callbacks;
  callbacks.onWorkerStats = [this](const WorkerProcess& worker) {
    worker_metrics_.update(worker.id(), jsonField(worker.lastStats(), "metrics"));
  };
  callbacks.onWorkerExit = [this](const WorkerProcess& worker, const WorkerExit&) {
    worker_metrics_.retire(worker.id());
  };
  callbacks.onGiveUp = [this](const std::string& reason) {
    shutdown(kExitSoftware, "gave up on the workers: " + reason);
  };
  callbacks.onHealthChanged = [this] { updateSystemdStatus(); };
  pool_ = std::make_unique<WorkerPool>(loop_, std::move(options), std::move(callbacks));
}

void Supervisor::startWorkers(std::string_view why) {
  if (workers_started_ || phase_ != Phase::kStarting) return;
  workers_started_ = true;
  startup_timer_.stop();
  phase_ = Phase::kRunning;
  logger().info("starting the workers ({}); configuration {}", why, config_digest_);
  if (!pool_->start(running_, config_text_)) {
    shutdown(kExitFailure, "the worker pool refused the configuration");
    return;
  }
  notifier_.ready();
  updateSystemdStatus();
}

// ---- configuration -------------------------------------------------------------------------

void Supervisor::onConfigUpdate(ConfigUpdate update) {
  if (phase_ == Phase::kStopping) return;
  bool running = phase_ == Phase::kRunning;
  if (running) notifier_.reloading();
  if (update.result.ok()) {
    for (const std::string& warning : update.result.warnings) configLogger().warn("{}", warning);
    apply(update.result, update.trigger);
  } else {
    refuse(update);
  }
  if (running) notifier_.ready();
  if (update.trigger == ConfigTrigger::kStart) startWorkers("overrides read");
  updateSystemdStatus();
}

void Supervisor::refuse(const ConfigUpdate& update) {
  std::string_view trigger = configTriggerName(update.trigger);
  configLogger().error(
      "configuration ({}{}) refused; keeping configuration {}:", trigger,
      update.overrides_version.empty() ? "" : ", overrides version " + update.overrides_version,
      config_digest_);
  for (const ConfigError& error : update.result.errors) configLogger().error("  {}", error.text());
  countReload(update.trigger, "refused");
}

void Supervisor::apply(const ConfigResult& result, ConfigTrigger trigger) {
  ReloadPlan plan = planReload(running_, *result.config);
  warnDeferred(plan, *result.config);
  if (!plan.changed()) {
    configLogger().info("configuration ({}) unchanged{}", configTriggerName(trigger),
                        plan.deferred.empty() ? "" : " apart from keys that need a restart");
    countReload(trigger, "unchanged");
    return;
  }
  for (const ConfigChange& change : plan.applied) {
    const KeySpec* key = findKey(change.key);
    configLogger().info("{} ({}): {} -> {}", change.key, reloadClassName(change.reload),
                        displayValue(*key, *running_), displayValue(*key, *plan.adopted));
  }
  ConfigPtr previous = running_;
  adopt(plan.adopted);
  ++config_version_;
  applyOwnSettings(*previous);
  configLogger().info("configuration {} (version {}) applied ({})", config_digest_, config_version_,
                      configTriggerName(trigger));
  countReload(trigger, "applied");
  if (!workers_started_) return;  // they will start with it
  if (!pool_->setConfig(running_, config_text_)) {
    logger().error("the worker pool refused the configuration text");
  }
  if (plan.scale) pool_->setWorkerCount(running_->workers);
  if (plan.restart_workers) {
    if (previous->redis.url != running_->redis.url) {
      logger().warn(
          "redis.url changed: the workers move to {}; this supervisor's own connection "
          "(lease, presence, overrides) stays on {} until it is restarted",
          displayValue(*findKey("redis.url"), *running_), redis_->maskedUrl());
    }
    pool_->restartAll([](bool completed) {
      logger().info("rolling restart {}", completed ? "complete" : "interrupted");
    });
  }
}

// full_restart keys cannot change under a running supervisor: say so every time, never silently.
void Supervisor::warnDeferred(const ReloadPlan& plan, const Config& next) {
  restart_pending_.clear();
  for (const ConfigChange& change : plan.deferred) {
    const KeySpec* key = findKey(change.key);
    restart_pending_.emplace_back(change.key);
    configLogger().warn(
        "{} changed to {} but needs a restart of sg-supervisor (full_restart); "
        "still running with {}",
        change.key, displayValue(*key, next), displayValue(*key, *running_));
  }
}

void Supervisor::adopt(ConfigPtr config) {
  running_ = std::move(config);
  config_text_ = renderEffective(*running_, false);
  config_digest_ = configDigest(*running_);
}

void Supervisor::applyOwnSettings(const Config& previous) {
  if (!(previous.log.level == running_->log.level && previous.log.format == running_->log.format &&
        previous.log.file == running_->log.file)) {
    std::string error;
    if (!applyLogConfig(running_->log, instance_id_, &error)) configLogger().error("{}", error);
  }
  if (leader_) leader_->setLeaseMs(running_->status.lease_ms);
  if (status_) status_->setConfig(running_);
}

void Supervisor::countReload(ConfigTrigger trigger, std::string_view outcome) {
  ++reloads_[{std::string(configTriggerName(trigger)), std::string(outcome)}];
}

// ---- events --------------------------------------------------------------------------------

void Supervisor::onSignal(SupervisorSignal signal, unsigned count) {
  switch (signal) {
    case SupervisorSignal::kTerminate:
      if (count == 1) {
        shutdown(kExitOk, "termination signal");
      } else {
        logger().warn("second termination signal: stopping the workers now");
        if (pool_) pool_->stopAll();
      }
      return;
    case SupervisorSignal::kReload:
      if (phase_ == Phase::kStopping) return;
      configLogger().info("SIGHUP: reading the configuration again");
      config_source_->reloadFile();
      return;
    case SupervisorSignal::kMoreWorkers:
      scaleBy(+1);
      return;
    case SupervisorSignal::kFewerWorkers:
      scaleBy(-1);
      return;
    case SupervisorSignal::kReopenLogs:
      log::reopen();
      logger().info("log file reopened; asking the workers to reopen theirs");
      if (pool_) pool_->reopenLogs();
      return;
  }
}

// SIGTTIN/SIGTTOU: the count holds until the configuration's `workers` changes or a restart.
void Supervisor::scaleBy(int delta) {
  if (phase_ != Phase::kRunning) return;
  uint32_t count = pool_->workerCount();
  if (delta < 0 && count <= 1) {
    logger().warn("SIGTTOU: keeping the last worker (stop the supervisor to stop them all)");
    return;
  }
  uint32_t target = delta > 0 ? count + 1 : count - 1;
  logger().info("{}: {} -> {} workers", delta > 0 ? "SIGTTIN" : "SIGTTOU", count, target);
  pool_->setWorkerCount(target);
}

void Supervisor::onLeadership(bool leader) {
  status_->onLeadership(leader);
  updateSystemdStatus();
}

void Supervisor::updateSystemdStatus() {
  WorkerPoolHealth health = pool_ ? pool_->health() : WorkerPoolHealth{};
  std::string text =
      fmt::format("{}; workers {}/{} ready{}; Redis {}; {}; configuration {}",
                  phase_ == Phase::kStopping   ? "stopping"
                  : phase_ == Phase::kStarting ? "starting"
                                               : "running",
                  health.ready, health.target, health.crash_looping ? " (crash loop)" : "",
                  redis_ && redis_->connected() ? "up" : "down",
                  leader_ && leader_->isLeader() ? "status leader" : "not leader", config_digest_);
  notifier_.status(text);
}

void Supervisor::fillHeartbeat(cJSON* record) const {
  double processed = 0, inflight = 0;
  pool_->forEachWorker([&](const WorkerProcess& worker) {
    double value = 0;
    if (jsonNumber(worker.lastStats(), "processed", &value)) processed += value;
    if (jsonNumber(worker.lastStats(), "inflight", &value)) inflight += value;
  });
  WorkerPoolHealth health = pool_->health();
  cJSON_AddNumberToObject(record, "processed", processed);
  cJSON_AddNumberToObject(record, "inflight", inflight);
  cJSON_AddNumberToObject(record, "workers", health.target);
  cJSON_AddNumberToObject(record, "workers_ready", health.ready);
  cJSON_AddBoolToObject(record, "leader", leader_->isLeader());
  cJSON_AddStringToObject(record, "config_digest", config_digest_.c_str());
}

// ---- shutdown ------------------------------------------------------------------------------

void Supervisor::shutdown(int status, const std::string& why) {
  if (phase_ == Phase::kStopping) return;
  phase_ = Phase::kStopping;
  exit_status_ = status;
  auto level = status == kExitOk ? spdlog::level::info : spdlog::level::critical;
  logger().log(level, "shutting down ({}): draining the workers within {} s", why,
               running_->shutdown.drain_s);
  notifier_.stopping();
  startup_timer_.stop();
  status_->stop();
  // The lease goes first: another supervisor can take the presence over while we drain.
  leader_->release([this] {
    lease_released_ = true;
    maybeFinish();
  });
  if (workers_started_) {
    pool_->drainAll(running_->shutdown.drain_s * 1000, [this] {
      workers_done_ = true;
      maybeFinish();
    });
  } else {
    workers_done_ = true;
  }
  updateSystemdStatus();
}

void Supervisor::maybeFinish() {
  if (!lease_released_ || !workers_done_ || closing_) return;
  closing_ = true;
  logger().info("workers stopped and lease released; closing");
  heartbeat_->stop([this] { closeAll(); });
}

// Closes every handle so that the loop runs out.
void Supervisor::closeAll() {
  config_source_->stop({});
  redis_->stop({});
  health_.stop();
  signals_.stop();
  notifier_.stop();
  startup_timer_.stop();
  logger().info("sg-supervisor {} exits with status {}", instance_id_, exit_status_);
}

}  // namespace sg
