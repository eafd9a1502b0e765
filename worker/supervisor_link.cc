// Worker side of the control pipe (see supervisor_link.h).
#include "worker/supervisor_link.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/log.h"

namespace sg {

SupervisorLink::SupervisorLink(uv_loop_t* loop, Callbacks callbacks, ControlPipeOptions options)
    : callbacks_(std::move(callbacks)), pipe_(loop, options), report_timer_(loop) {}

bool SupervisorLink::open(int fd, pid_t supervisor_pid, std::string* error) {
  if (supervisor_pid > 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
      *error = std::string("prctl(PR_SET_PDEATHSIG): ") + std::strerror(errno);
      return false;
    }
    // The supervisor may have died between our fork and the prctl: then nothing would signal us.
    pid_t parent = getppid();
    if (parent != supervisor_pid) {
      *error = "supervisor " + std::to_string(supervisor_pid) + " is gone (parent is now " +
               std::to_string(parent) + ")";
      return false;
    }
  }
  int rc = pipe_.open(fd);
  if (rc == 0) {
    rc = pipe_.start([this](control::Message message) { onMessage(std::move(message)); },
                     [this](ControlPipe::CloseReason reason, const std::string& detail) {
                       onClose(reason, detail);
                     });
  }
  if (rc != 0) {
    *error = "control fd " + std::to_string(fd) + ": " + uv_strerror(rc);
    return false;
  }
  return true;
}

bool SupervisorLink::sendReady(const std::string& instance_id, const std::string& version) {
  return send(control::makeReady({instance_id, static_cast<int64_t>(getpid()), version}));
}

bool SupervisorLink::sendStats(JsonPtr stats) {
  return send(control::makeStats(std::move(stats)));
}
bool SupervisorLink::sendError(std::string_view message) {
  return send(control::makeError(message));
}
bool SupervisorLink::sendDraining() {
  return send(control::makeDraining());
}
bool SupervisorLink::sendStopped() {
  return send(control::makeStopped());
}

void SupervisorLink::startReporting(uint32_t interval_ms, std::function<JsonPtr()> collect) {
  collect_ = std::move(collect);
  report();
  report_timer_.start(
      interval_ms, [this] { report(); }, interval_ms);
}

void SupervisorLink::close() {
  report_timer_.stop();
  pipe_.close();
}

bool SupervisorLink::send(JsonPtr message) {
  return message && pipe_.send(*message);
}

void SupervisorLink::report() {
  if (!collect_) return;
  JsonPtr stats = collect_();
  if (!stats) stats.reset(cJSON_CreateObject());
  sendStats(std::move(stats));
}

void SupervisorLink::onMessage(control::Message message) {
  using control::Type;
  switch (message.type) {
    case Type::kConfig:
      onConfigMessage(message);
      return;
    case Type::kDrain:
      onDrainMessage(message);
      return;
    case Type::kStop:
      if (callbacks_.onStop) callbacks_.onStop();
      return;
    case Type::kReopenLogs:
      if (callbacks_.onReopenLogs) callbacks_.onReopenLogs();
      return;
    default:
      // A newer supervisor may know more types; an older worker ignores them.
      log::get("pipe").warn("ignoring control message of type \"{}\"", message.type_name);
      return;
  }
}

void SupervisorLink::onConfigMessage(const control::Message& message) {
  const cJSON* config = control::configOf(message);
  if (config == nullptr) {
    log::get("pipe").error("config message without a config object; keeping the current one");
    sendError("config message without a config object");
    return;
  }
  if (callbacks_.onConfig) callbacks_.onConfig(*config);
}

void SupervisorLink::onDrainMessage(const control::Message& message) {
  auto deadline = control::drainDeadlineOf(message);
  if (!deadline) {
    log::get("pipe").error("drain message without a valid deadline_ms; using the configured one");
  }
  if (callbacks_.onDrain) callbacks_.onDrain(deadline.value_or(0));
}

void SupervisorLink::onClose(ControlPipe::CloseReason reason, const std::string& detail) {
  report_timer_.stop();
  orphaned(std::string("control pipe ") + std::string(ControlPipe::reasonName(reason)) + ": " +
           detail);
}

void SupervisorLink::orphaned(const std::string& reason) {
  if (orphaned_) return;
  orphaned_ = true;
  log::get("pipe").warn("supervisor gone: {}", reason);
  if (callbacks_.onOrphaned) callbacks_.onOrphaned(reason);
}

}  // namespace sg
