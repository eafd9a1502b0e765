// One supervised worker process (see worker_process.h).
#include "supervisor/worker_process.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <utility>

#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"

namespace sg {
namespace {

constexpr int kControlFd = 3;

spdlog::logger& logger() {
  return log::get("sup");
}

std::string signalName(int signum) {
  const char* abbrev = sigabbrev_np(signum);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signum);
}

// Exit statuses that say "this worker cannot run here", whatever it did before.
std::string_view cannotStartMeaning(int64_t status) {
  switch (status) {
    case 64:
      return "usage error (EX_USAGE)";
    case 78:
      return "configuration refused (EX_CONFIG)";
    case 126:
      return "not executable";
    case 127:
      return "cannot execute (missing file or library)";
    default:
      return {};
  }
}

WorkerExit describeSignal(const WorkerExitFacts& facts, WorkerExit exit) {
  std::string name = signalName(facts.signal);
  if (facts.hung) {
    exit.kind = WorkerExitKind::kCrashed;
    exit.reason = "hung (stopped reporting), put down with " + name;
  } else if (facts.killed_at_deadline && facts.exit_requested) {
    exit.kind = WorkerExitKind::kKilled;
    exit.reason = "outlived its drain/stop deadline, killed with " + name;
  } else {
    exit.kind = WorkerExitKind::kCrashed;
    exit.reason = "killed by " + name + (facts.was_ready ? "" : " during start-up");
  }
  return exit;
}

WorkerExit describeStatus(const WorkerExitFacts& facts, WorkerExit exit) {
  std::string status = "exit status " + std::to_string(facts.status);
  std::string_view meaning = cannotStartMeaning(facts.status);
  if (!meaning.empty()) {
    exit.kind = WorkerExitKind::kCannotStart;
    exit.reason = status + ": " + std::string(meaning);
  } else if (!facts.was_ready) {
    exit.kind = WorkerExitKind::kCannotStart;
    exit.reason = status + " before ready";
  } else if (facts.status == 0 && facts.exit_requested) {
    exit.kind = WorkerExitKind::kClean;
    exit.reason = "exited cleanly";
  } else {
    exit.kind = WorkerExitKind::kCrashed;
    exit.reason = status + (facts.exit_requested ? " while draining" : " without being asked");
  }
  return exit;
}

}  // namespace

WorkerExit classifyWorkerExit(const WorkerExitFacts& facts) {
  WorkerExit exit;
  exit.status = facts.status;
  exit.signal = facts.signal;
  exit.was_ready = facts.was_ready;
  exit.hung = facts.hung;
  if (!facts.spawn_error.empty()) {
    exit.kind = WorkerExitKind::kCannotStart;
    exit.reason = "cannot execute " + facts.spawn_error;
    return exit;
  }
  if (facts.signal != 0) return describeSignal(facts, std::move(exit));
  return describeStatus(facts, std::move(exit));
}

std::string_view workerStateName(WorkerState state) {
  switch (state) {
    case WorkerState::kStarting:
      return "starting";
    case WorkerState::kReady:
      return "ready";
    case WorkerState::kDraining:
      return "draining";
    case WorkerState::kExited:
      return "exited";
  }
  return "unknown";
}

std::string_view workerExitKindName(WorkerExitKind kind) {
  switch (kind) {
    case WorkerExitKind::kClean:
      return "clean";
    case WorkerExitKind::kCannotStart:
      return "cannot_start";
    case WorkerExitKind::kCrashed:
      return "crashed";
    case WorkerExitKind::kKilled:
      return "killed";
  }
  return "unknown";
}

std::string defaultWorkerExecutable() {
  char path[PATH_MAX];
  size_t size = sizeof path;
  if (uv_exepath(path, &size) != 0) return "sg-worker";
  std::string self(path, size);
  size_t slash = self.rfind('/');
  if (slash == std::string::npos) return "sg-worker";
  return self.substr(0, slash + 1) + "sg-worker";
}

WorkerProcess::WorkerProcess(uv_loop_t* loop, WorkerProcessOptions options, Callbacks callbacks)
    : loop_(loop),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      pipe_(loop, options_.pipe),
      liveness_(loop),
      kill_timer_(loop),
      deferred_(loop) {
  if (options_.instance_id.empty()) options_.instance_id = "worker-" + randomHex(4);
}

WorkerProcess::~WorkerProcess() {
  if (!alive()) return;
  // The owner did not wait for the exit: do not leave a running worker or a zombie behind.
  uv_process_kill(process_.get(), SIGKILL);
  waitpid(pid_, nullptr, 0);
}

void WorkerProcess::start(const cJSON& config_message) {
  if (started_) return;
  started_ = true;
  started_at_ms_ = monoMs();
  int rc = spawn();
  if (rc != 0) {
    std::string error = options_.executable + ": " + uv_strerror(rc);
    // Reported from the loop, as the contract says, not from inside start().
    deferred_.start(0, [this, error] { exited({.spawn_error = error}); });
    return;
  }
  logger().info("{} started (pid {})", id(), pid_);
  rc = pipe_.start([this](control::Message message) { onMessage(std::move(message)); },
                   [this](ControlPipe::CloseReason reason, const std::string& detail) {
                     onPipeClosed(reason, detail);
                   });
  if (rc != 0 || !pipe_.send(config_message)) {
    // Cannot happen with a fresh socketpair; the exit callback reports it as a crash.
    logger().error("{}: control pipe unusable ({}); killing it", id(), uv_strerror(rc));
    uv_process_kill(process_.get(), SIGKILL);
    return;
  }
  touch();
}

std::vector<std::string> WorkerProcess::arguments() const {
  std::vector<std::string> args = {
      options_.executable,     "--control-fd", std::to_string(kControlFd),
      "--instance-id",         id(),           "--supervisor-pid",
      std::to_string(getpid())};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  return args;
}

int WorkerProcess::spawn() {
  std::vector<std::string> args = arguments();
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  uv_stdio_container_t stdio[kControlFd + 1];
  stdio[0].flags = UV_IGNORE;  // libuv points fds 0-2 marked UV_IGNORE at /dev/null
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[3].flags =
      static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
  stdio[3].data.stream = reinterpret_cast<uv_stream_t*>(pipe_.handle());

  uv_process_options_t options{};
  options.exit_cb = &WorkerProcess::onProcessExit;
  options.file = options_.executable.c_str();
  options.args = argv.data();
  options.stdio = stdio;
  options.stdio_count = kControlFd + 1;
  // Its own session: a terminal's Ctrl-C reaches the supervisor, which drains the workers in
  // order, rather than every process at once. PR_SET_PDEATHSIG still ties it to us.
  options.flags = UV_PROCESS_DETACHED;
  int rc = uv_spawn(loop_, process_.get(), &options);
  if (rc != 0) return rc;
  process_.get()->data = this;
  pid_ = process_.get()->pid;
  return 0;
}

bool WorkerProcess::sendConfig(const cJSON& config_message) {
  return alive() && pipe_.send(config_message);
}

bool WorkerProcess::reopenLogs() {
  JsonPtr message = control::makeReopenLogs();
  return alive() && message && pipe_.send(*message);
}

void WorkerProcess::drain(uint32_t deadline_ms) {
  if (!alive()) return;
  JsonPtr message = control::makeDrain(deadline_ms);
  if (message && pipe_.send(*message)) logger().info("{} draining ({} ms)", id(), deadline_ms);
  exit_requested_ = true;
  state_ = WorkerState::kDraining;
  armKill(static_cast<uint64_t>(deadline_ms) + options_.kill_grace_ms, true);
}

void WorkerProcess::stop() {
  if (!alive()) return;
  JsonPtr message = control::makeStop();
  if (message && pipe_.send(*message)) logger().info("{} stopping", id());
  exit_requested_ = true;
  state_ = WorkerState::kDraining;
  armKill(options_.kill_grace_ms, true);
}

void WorkerProcess::kill(int signum) {
  if (alive()) uv_process_kill(process_.get(), signum);
}

void WorkerProcess::onProcessExit(uv_process_t* process, int64_t status, int signal) noexcept {
  auto* self = static_cast<WorkerProcess*>(process->data);
  if (self == nullptr) return;
  WorkerExitFacts facts;
  facts.status = signal != 0 ? -1 : status;
  facts.signal = signal;
  self->exited(facts);
}

void WorkerProcess::exited(WorkerExitFacts facts) {
  facts.was_ready = ready_at_ms_ != 0;
  facts.exit_requested = exit_requested_;
  facts.hung = hung_;
  facts.killed_at_deadline = killed_at_deadline_;
  liveness_.stop();
  kill_timer_.stop();
  pipe_.close();
  state_ = WorkerState::kExited;
  exit_ = classifyWorkerExit(facts);
  auto level = exit_->kind == WorkerExitKind::kClean ? spdlog::level::info : spdlog::level::warn;
  logger().log(level, "{} (pid {}) {}: {}", id(), pid_, workerExitKindName(exit_->kind),
               exit_->reason);
  if (callbacks_.onExit) callbacks_.onExit(*this, *exit_);
}

void WorkerProcess::touch() {
  last_report_ms_ = monoMs();
  if (options_.liveness_timeout_ms == 0 || hung_) return;
  liveness_.start(options_.liveness_timeout_ms, [this] { onLivenessTimeout(); });
}

void WorkerProcess::onMessage(control::Message message) {
  touch();
  using control::Type;
  switch (message.type) {
    case Type::kReady:
      onReadyMessage(message);
      return;
    case Type::kStats:
      onStatsMessage(message);
      return;
    case Type::kError:
      onErrorMessage(message);
      return;
    case Type::kDraining:
    case Type::kStopped:
      logger().debug("{} reports {}", id(), message.type_name);
      return;
    default:
      logger().warn("{} sent unexpected message \"{}\"", id(), message.type_name);
      return;
  }
}

void WorkerProcess::onReadyMessage(const control::Message& message) {
  auto ready = control::readyOf(message);
  if (!ready) {
    logger().error("{} sent a malformed ready message; ignored", id());
    return;
  }
  if (ready->instance_id != id()) {
    logger().warn("{} calls itself {} in its ready message", id(), ready->instance_id);
  }
  if (ready_at_ms_ != 0) return;
  ready_at_ms_ = monoMs();
  version_ = ready->version;
  if (state_ == WorkerState::kStarting) state_ = WorkerState::kReady;
  logger().info("{} ready (pid {}, version {}, {} ms)", id(), pid_, version_,
                ready_at_ms_ - started_at_ms_);
  if (callbacks_.onReady) callbacks_.onReady(*this);
}

void WorkerProcess::onStatsMessage(control::Message& message) {
  if (control::statsOf(message) == nullptr) {
    logger().warn("{} sent stats without a stats object", id());
    return;
  }
  last_stats_.reset(cJSON_DetachItemFromObjectCaseSensitive(message.body.get(), "stats"));
  if (callbacks_.onStats) callbacks_.onStats(*this);
}

void WorkerProcess::onErrorMessage(const control::Message& message) {
  std::string text = control::errorOf(message).value_or("(error message without text)");
  logger().warn("{} reports: {}", id(), text);
  if (callbacks_.onError) callbacks_.onError(*this, text);
}

void WorkerProcess::onPipeClosed(ControlPipe::CloseReason reason, const std::string& detail) {
  liveness_.stop();
  switch (reason) {
    case ControlPipe::CloseReason::kEof:
    case ControlPipe::CloseReason::kIoError:
      // It closed its end: it is on its way out. Give it the grace period to finish exiting.
      logger().debug("{} closed its control pipe ({})", id(), detail);
      armKill(options_.kill_grace_ms, false);
      return;
    case ControlPipe::CloseReason::kProtocolError:
    case ControlPipe::CloseReason::kWriteStalled:
      abortThenKill(std::string(ControlPipe::reasonName(reason)) + ": " + detail);
      return;
  }
}

void WorkerProcess::onLivenessTimeout() {
  abortThenKill("no report on its control pipe for " +
                std::to_string(options_.liveness_timeout_ms) + " ms");
}

void WorkerProcess::abortThenKill(const std::string& why) {
  if (!alive() || hung_) return;
  hung_ = true;
  liveness_.stop();
  logger().error("{} (pid {}) hung: {}; sending SIGABRT, SIGKILL in {} ms", id(), pid_, why,
                 options_.kill_grace_ms);
  uv_process_kill(process_.get(), SIGABRT);
  armKill(options_.kill_grace_ms, false);
  if (callbacks_.onHung) callbacks_.onHung(*this);
}

void WorkerProcess::armKill(uint64_t delay_ms, bool deadline) {
  uint64_t due = monoMs() + delay_ms;
  if (kill_due_ms_ != 0 && kill_due_ms_ <= due) return;  // an earlier SIGKILL is already armed
  kill_due_ms_ = due;
  kill_is_deadline_ = deadline;
  kill_timer_.start(delay_ms, [this] {
    if (!alive()) return;
    killed_at_deadline_ = kill_is_deadline_;
    logger().error("{} (pid {}) still running; sending SIGKILL", id(), pid_);
    uv_process_kill(process_.get(), SIGKILL);
  });
}

}  // namespace sg
