// One supervised worker process: spawned with uv_spawn (stdin /dev/null, stdout and stderr
// inherited, fd 3 the control pipe), tracked through its states, watched for liveness and told
// apart, when it exits, as a clean exit, a worker that cannot start, a crash or a kill at the
// end of a drain.
//
// Liveness: a worker reports on its pipe periodically (stats, ~1 s). Silence for longer than the
// liveness timeout gets SIGABRT (for a core) and, after a grace period, SIGKILL. This file does not
// restart anything or count restarts (worker_pool.h does); it owns exactly one child.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/control_pipe.h"
#include "common/json.h"
#include "common/uv_handle.h"

namespace sg {

enum class WorkerState {
  kStarting,  // spawned, no `ready` yet
  kReady,
  kDraining,  // asked to drain or stop
  kExited,
};

enum class WorkerExitKind {
  kClean,        // status 0 after we asked it to drain or stop
  kCannotStart,  // exec failed, exit 64/78/126/127, or any exit status before `ready`
  kCrashed,      // a signal, a non-zero or unasked exit after `ready`, or killed as hung
  kKilled,       // SIGKILLed by us because it outlived a drain or stop deadline
};

struct WorkerExit {
  WorkerExitKind kind = WorkerExitKind::kCrashed;
  int64_t status = -1;  // exit status; -1 when killed by a signal or never started
  int signal = 0;       // terminating signal, 0 if none
  bool was_ready = false;
  bool hung = false;   // put down by the liveness watchdog (or a stalled or garbled pipe)
  std::string reason;  // one line for logs and /status
};

// What is known when a child ends; classifyWorkerExit turns it into a WorkerExit.
struct WorkerExitFacts {
  std::string spawn_error;  // non-empty: uv_spawn failed with this
  int64_t status = -1;
  int signal = 0;
  bool was_ready = false;
  bool exit_requested = false;  // drain or stop was sent
  bool hung = false;
  bool killed_at_deadline = false;  // our SIGKILL after a drain or stop deadline
};
WorkerExit classifyWorkerExit(const WorkerExitFacts& facts);

std::string_view workerStateName(WorkerState state);
std::string_view workerExitKindName(WorkerExitKind kind);

// `sg-worker` in the directory of this process's own executable (/proc/self/exe); plain
// "sg-worker" (looked up in PATH) if that cannot be read.
std::string defaultWorkerExecutable();

struct WorkerProcessOptions {
  std::string executable;                // path of the worker image
  std::vector<std::string> extra_args;   // appended to the argv (e.g. pass-through log flags)
  std::string instance_id;               // empty: "worker-" + 8 random hex digits
  uint32_t liveness_timeout_ms = 30000;  // supervisor.worker_timeout_ms; 0: no watchdog
  uint32_t kill_grace_ms = 5000;  // SIGABRT or stop → SIGKILL; also added to drain deadlines
  ControlPipeOptions pipe;
};

class WorkerProcess {
 public:
  // All run on the loop, never from inside a call to this object. They may call this object's
  // methods but must not destroy it (an owner frees an exited worker at a later safe point).
  struct Callbacks {
    std::function<void(WorkerProcess&)> onReady;
    std::function<void(WorkerProcess&)> onStats;
    std::function<void(WorkerProcess&, const std::string& message)> onError;
    std::function<void(WorkerProcess&)> onHung;                     // SIGABRT was just sent
    std::function<void(WorkerProcess&, const WorkerExit&)> onExit;  // exactly once after start()
  };

  WorkerProcess(uv_loop_t* loop, WorkerProcessOptions options, Callbacks callbacks);
  // A child still running is SIGKILLed and reaped here (a brief blocking wait): owners that can
  // wait for onExit should.
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Spawns the worker and queues `config_message` (a control `config` message) for it. Call once.
  // Whatever happens, onExit follows exactly once; a spawn failure is reported as kCannotStart.
  void start(const cJSON& config_message);

  // Control messages. False when the worker is not reachable (not started, exited, pipe failed).
  bool sendConfig(const cJSON& config_message);
  bool reopenLogs();
  // Asks it to finish in-flight work within deadline_ms and exit; SIGKILL at deadline + grace.
  void drain(uint32_t deadline_ms);
  // Asks it to exit now; SIGKILL after the grace period.
  void stop();
  void kill(int signum);

  const std::string& id() const { return options_.instance_id; }
  pid_t pid() const { return pid_; }  // 0 before spawning or after a failed spawn
  WorkerState state() const { return state_; }
  bool alive() const { return pid_ > 0 && state_ != WorkerState::kExited; }
  const std::string& version() const { return version_; }  // from `ready`
  uint64_t startedAtMs() const { return started_at_ms_; }  // monotonic clock (clock.h)
  uint64_t readyAtMs() const { return ready_at_ms_; }      // 0 until ready
  uint64_t lastReportMs() const { return last_report_ms_; }
  const cJSON* lastStats() const { return last_stats_.get(); }  // null until the first stats
  const std::optional<WorkerExit>& exitInfo() const { return exit_; }

 private:
  static void onProcessExit(uv_process_t* process, int64_t status, int signal) noexcept;
  std::vector<std::string> arguments() const;
  int spawn();
  void onMessage(control::Message message);
  void onReadyMessage(const control::Message& message);
  void onStatsMessage(control::Message& message);
  void onErrorMessage(const control::Message& message);
  void onPipeClosed(ControlPipe::CloseReason reason, const std::string& detail);
  void onLivenessTimeout();
  void abortThenKill(const std::string& why);
  void armKill(uint64_t delay_ms, bool deadline);
  void exited(WorkerExitFacts facts);
  void touch();

  uv_loop_t* loop_;
  WorkerProcessOptions options_;
  Callbacks callbacks_;
  UvHandle<uv_process_t> process_;
  ControlPipe pipe_;
  Timer liveness_;
  Timer kill_timer_;
  Timer deferred_;
  pid_t pid_ = 0;
  WorkerState state_ = WorkerState::kStarting;
  std::string version_;
  uint64_t started_at_ms_ = 0;
  uint64_t ready_at_ms_ = 0;
  uint64_t last_report_ms_ = 0;
  uint64_t kill_due_ms_ = 0;  // 0: no SIGKILL armed
  bool kill_is_deadline_ = false;
  bool started_ = false;
  bool exit_requested_ = false;
  bool hung_ = false;
  bool killed_at_deadline_ = false;
  JsonPtr last_stats_;
  std::optional<WorkerExit> exit_;
};

}  // namespace sg
