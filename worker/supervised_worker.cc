// The control-pipe session of a supervised worker (see supervised_worker.h).
#include "worker/supervised_worker.h"

#include <algorithm>
#include <utility>

#include "common/config_loader.h"
#include "common/log.h"
#include "common/log_config.h"

namespace sg {
namespace {

spdlog::logger& logger() {
  return log::get("main");
}

}  // namespace

SupervisedWorker::SupervisedWorker(uv_loop_t* loop, std::string instance_id)
    : loop_(loop),
      instance_id_(std::move(instance_id)),
      link_(loop, SupervisorLink::Callbacks{
                      .onConfig = [this](const cJSON& config) { onConfig(config); },
                      .onDrain = [this](uint32_t deadline_ms) { drain(deadline_ms); },
                      .onStop = [this] { onStop(); },
                      .onReopenLogs = [this] { reopenLogs(); },
                      .onOrphaned = [this](const std::string& reason) { onOrphaned(reason); },
                  }) {}

SupervisedWorker::~SupervisedWorker() = default;

bool SupervisedWorker::open(int fd, pid_t supervisor_pid, std::string* error) {
  return link_.open(fd, supervisor_pid, error);
}

void SupervisedWorker::onConfig(const cJSON& config) {
  ConfigPtr built = buildFromPipe(config);
  if (!built) {
    if (!worker_) finish(kExitConfig);  // nothing to keep running: cannot start
    return;
  }
  if (!worker_) {
    start(std::move(built));
    return;
  }
  std::string error;
  if (!worker_->updateConfig(built, &error)) {
    logger().error("configuration refused by the processor: {}", error);
    link_.sendError("configuration refused: " + error);
    return;
  }
  if (!applyLogConfig(built->log, instance_id_, &error)) logger().error("{}", error);
  logger().info("configuration {} applied", configDigest(*built));
  link_.sendStats(worker_->statsJson());  // the supervisor sees the new digest at once
}

// The supervisor validated it already; a worker of another version may still disagree, and then
// says why instead of running with something it does not understand.
ConfigPtr SupervisedWorker::buildFromPipe(const cJSON& config) {
  ConfigSources sources;
  sources.file_path = "control pipe";
  sources.file_text = printJson(&config);
  ConfigResult result = buildConfig(sources);
  if (result.ok()) return result.config;
  logger().error("configuration from the supervisor refused:\n{}", result.errorText());
  link_.sendError("configuration refused: " + result.errorText());
  return nullptr;
}

void SupervisedWorker::start(ConfigPtr config) {
  std::string error;
  if (!applyLogConfig(config->log, instance_id_, &error)) {
    link_.sendError(error);
    finish(kExitConfig);
    return;
  }
  worker_ = std::make_unique<Worker>(loop_, instance_id_, std::move(config));
  if (!worker_->start(&error)) {
    logger().error("cannot start: {}", error);
    link_.sendError("cannot start: " + error);
    finish(kExitConfig);
    return;
  }
  logger().info("sg-worker {} started as {} under supervisor", SG_VERSION, instance_id_);
  link_.sendReady(instance_id_, SG_VERSION);
  link_.startReporting(kStatsIntervalMs, [this] { return worker_->statsJson(); });
}

void SupervisedWorker::drain(uint64_t deadline_ms) {
  if (draining_) return;
  draining_ = true;
  link_.sendDraining();
  if (!worker_) {
    finish(kExitOk);
    return;
  }
  if (deadline_ms == 0) deadline_ms = uint64_t{worker_->config()->shutdown.drain_s} * 1000;
  // Reports go on while draining: the supervisor must not take a long drain for a hang.
  worker_->drain(deadline_ms, [this] {
    link_.sendStats(worker_->statsJson());
    link_.sendStopped();
    finish(kExitOk);
  });
}

void SupervisedWorker::onStop() {
  if (!worker_) {
    finish(kExitOk);
    return;
  }
  drain(0);
  worker_->stopNow();
}

void SupervisedWorker::terminate() {
  if (draining_) {
    if (worker_) worker_->stopNow();
    return;
  }
  logger().info("termination signal: draining");
  drain(0);
}

void SupervisedWorker::reopenLogs() {
  log::reopen();
}

void SupervisedWorker::onOrphaned(const std::string& reason) {
  logger().warn("supervisor gone ({}): stopping", reason);
  if (!worker_) {
    finish(kExitOk);
    return;
  }
  uint64_t configured = uint64_t{worker_->config()->shutdown.drain_s} * 1000;
  drain(std::max<uint64_t>(1, std::min(configured, kOrphanDrainMs)));
}

void SupervisedWorker::finish(int status) {
  if (finished_) return;
  finished_ = true;
  exit_status_ = status;
  link_.close();
  if (on_finished_) on_finished_();
}

}  // namespace sg
