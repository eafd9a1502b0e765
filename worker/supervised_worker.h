// A worker run by sg-supervisor (`sg-worker --control-fd N`): the session on the control pipe
// around one Worker. It waits for the first `config` message, validates it as a configuration
// file would be (refused: an `error` message, then exit 78), starts the Worker, sends `ready` and
// then `stats` every second, while draining too (the supervisor's liveness check counts on them).
// Later `config` messages apply live; `drain`, `stop` and `reopen_logs` do what they say; end of
// file (the supervisor is gone) stops consuming and exits after a short drain, so that an orphan
// never keeps reading the stream.
//
// Not here: argument parsing (main.cc), the work itself (worker.h), the pipe (supervisor_link.h).
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <memory>
#include <string>

#include "common/config.h"
#include "common/json.h"
#include "worker/supervisor_link.h"
#include "worker/worker.h"

namespace sg {

class SupervisedWorker {
 public:
  static constexpr uint32_t kStatsIntervalMs = 1000;
  static constexpr uint64_t kOrphanDrainMs = 2000;  // finishing in-flight work with no supervisor

  SupervisedWorker(uv_loop_t* loop, std::string instance_id);
  ~SupervisedWorker();
  SupervisedWorker(const SupervisedWorker&) = delete;
  SupervisedWorker& operator=(const SupervisedWorker&) = delete;

  // Opens the control pipe on `fd` (see SupervisorLink::open). False, with `*error`, when the
  // supervisor is already gone or the descriptor is unusable.
  [[nodiscard]] bool open(int fd, pid_t supervisor_pid, std::string* error);

  // A termination signal (SIGTERM from PR_SET_PDEATHSIG or an operator): drain as if asked; a
  // second one stops at once.
  void terminate();
  void reopenLogs();

  // The process's exit status once the loop has run out (see sg-worker(8), EXIT STATUS).
  int exitStatus() const { return exit_status_; }
  // Runs when the session is over and every handle of it is closed or closing.
  void onFinished(std::function<void()> callback) { on_finished_ = std::move(callback); }

 private:
  void onConfig(const cJSON& config);
  [[nodiscard]] ConfigPtr buildFromPipe(const cJSON& config);
  void start(ConfigPtr config);
  void drain(uint64_t deadline_ms);
  void onStop();
  void onOrphaned(const std::string& reason);
  void finish(int status);

  uv_loop_t* loop_;
  std::string instance_id_;
  SupervisorLink link_;
  std::unique_ptr<Worker> worker_;
  std::function<void()> on_finished_;
  int exit_status_ = kExitOk;
  bool draining_ = false;
  bool finished_ = false;
};

}  // namespace sg
