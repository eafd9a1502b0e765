// The supervisor's set of workers: keeps `workers` worker processes running, restarts those that
// exit with exponential backoff, detects crash loops, gives up past a restart-intensity limit,
// scales up and down, restarts all workers one by one, broadcasts configuration and drains.
//
// Design: the pool is a row of slots. Each slot holds its current worker, at most one `incoming`
// replacement (during a rolling restart) and its own backoff, so one worker's crash loop does not
// delay another's restart. Workers leaving the pool on purpose (scale-down, replaced) are drained
// from a separate retiring list. Exited workers are freed at a later turn of the loop, never
// inside their own callbacks. Failures (exits not asked for) feed one pool-wide window:
//   - at half the restart intensity within restart_period_s: a crash loop (logged, counted,
//     reported in health(), backoff delays multiplied by 4);
//   - above restart_intensity: give up (onGiveUp; no more restarts; the supervisor drains, releases
//     its lease and exits non-zero so that systemd's restart policy takes over).
// This file does not read configuration files, decide which keys need what (the supervisor does),
// or export metrics; it offers counters and per-worker stats.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/backoff.h"
#include "common/config.h"
#include "common/json.h"
#include "common/uv_handle.h"
#include "supervisor/worker_process.h"

namespace sg {

struct WorkerPoolOptions {
  std::string executable;               // empty: defaultWorkerExecutable()
  std::vector<std::string> extra_args;  // appended to every worker's argv (log flags)
  uint32_t kill_grace_ms = 5000;        // SIGABRT or stop → SIGKILL; added to drain deadlines
  ControlPipeOptions pipe;
};

struct WorkerPoolCounters {
  uint64_t spawned = 0;   // worker processes started, for any reason
  uint64_t restarts = 0;  // started to replace one that exited unasked
  uint64_t exits_clean = 0;
  uint64_t exits_cannot_start = 0;
  uint64_t exits_crashed = 0;
  uint64_t exits_killed = 0;      // SIGKILLed after a drain or stop deadline
  uint64_t hung = 0;              // put down by the liveness watchdog
  uint64_t crash_loops = 0;       // times the pool entered a crash loop
  uint64_t rolling_restarts = 0;  // restartAll() passes requested
  uint64_t rolling_replaced = 0;  // workers replaced by them
};

struct WorkerPoolHealth {
  uint32_t target = 0;  // workers wanted
  uint32_t ready = 0;   // slots whose current worker is ready
  uint32_t live = 0;    // worker processes running, draining ones included
  bool crash_looping = false;
  bool gave_up = false;
  bool stopping = false;
  std::string last_failure;  // "<worker id>: <kind>: <reason>" of the last unasked exit
  bool allReady() const { return !stopping && !gave_up && !crash_looping && ready >= target; }
};

struct RestartPlan {
  std::string replaces;  // id of the worker that exited
  uint64_t delay_ms = 0;
  unsigned attempt = 0;  // 1 for the first restart since the slot's backoff was reset
  bool crash_looping = false;
};

class WorkerPool {
 public:
  // All run on the loop. Most come from worker events; some run from inside the pool's own
  // methods (onWorkerStarted from start(), setWorkerCount() and restartAll(); onHealthChanged;
  // restartAll's done(false) from drainAll() and stopAll()). They may call the pool's methods but
  // must not destroy it.
  struct Callbacks {
    std::function<void(const WorkerProcess&)> onWorkerStarted;
    std::function<void(const WorkerProcess&)> onWorkerReady;
    std::function<void(const WorkerProcess&)> onWorkerStats;  // lastStats() is the new report
    std::function<void(const WorkerProcess&, const std::string& message)> onWorkerError;
    std::function<void(const WorkerProcess&, const WorkerExit&)>
        onWorkerExit;  // before it is freed
    std::function<void(const RestartPlan&)> onRestartScheduled;
    std::function<void(const std::string& reason)> onGiveUp;  // once
    std::function<void()> onHealthChanged;  // health() may have changed (readiness, sd_notify)
  };

  WorkerPool(uv_loop_t* loop, WorkerPoolOptions options, Callbacks callbacks);
  // Workers still running are SIGKILLed and reaped (see ~WorkerProcess): drain or stop first.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts config->workers workers, each sent `config_json` (the full validated effective
  // configuration, a JSON object) on its pipe. False when config_json is not a JSON object.
  [[nodiscard]] bool start(ConfigPtr config, std::string_view config_json);

  // Sends a new configuration to every worker and uses it for later spawns and for the pool's
  // own settings (supervisor.*, shutdown.drain_s). It does not scale or restart: the caller
  // decides that from the changed keys (setWorkerCount, restartAll). False: not a JSON object.
  [[nodiscard]] bool setConfig(ConfigPtr config, std::string_view config_json);

  // Scales to `count` workers: starts new ones, or drains the newest ones (those waiting for a
  // restart go first). Ignored once stopping or given up.
  void setWorkerCount(uint32_t count);
  uint32_t workerCount() const { return static_cast<uint32_t>(slots_.size()); }

  // Restarts every worker one by one: starts a replacement, waits for its `ready`, then drains the
  // old one. A call during a pass starts the pass over (so every worker ends up started after the
  // latest call). `done(true)` when all are replaced; `done(false)` if the pool stops or gives up
  // first (called at once when it already has).
  void restartAll(std::function<void(bool completed)> done = {});

  void reopenLogs();

  // Stops restarting and asks every worker to drain within deadline_ms; SIGKILL for those still
  // running at the deadline plus the grace period. `done` runs from the loop once none is left.
  void drainAll(uint32_t deadline_ms, std::function<void()> done = {});
  // The same with `stop` (exit now; SIGKILL after the grace period): a second SIGTERM.
  void stopAll(std::function<void()> done = {});

  WorkerPoolHealth health() const;
  const WorkerPoolCounters& counters() const { return counters_; }
  // Every worker process the pool runs: current, incoming replacements and retiring ones.
  void forEachWorker(const std::function<void(const WorkerProcess&)>& visit) const;

 private:
  struct Slot;
  enum class Role { kCurrent, kIncoming, kRetiring, kUnknown };
  struct Place {
    Slot* slot = nullptr;
    Role role = Role::kUnknown;
    size_t retiring_index = 0;
  };

  bool adoptConfig(ConfigPtr config, std::string_view config_json);
  void addSlot();
  void removeSlot(size_t index);
  size_t pickVictim() const;
  Slot* findSlot(uint64_t id) const;
  Place locate(const WorkerProcess& worker) const;
  std::unique_ptr<WorkerProcess> take(const Place& place);
  void spawnInto(Slot& slot, std::unique_ptr<WorkerProcess>& place);
  void retire(std::unique_ptr<WorkerProcess> worker);
  void fillSlot(Slot& slot);

  void onReady(WorkerProcess& worker);
  void promote(Slot& slot);
  void onExit(WorkerProcess& worker, const WorkerExit& exit);
  void countExit(const WorkerExit& exit);
  [[nodiscard]] bool recordFailure(const WorkerProcess& worker, const WorkerExit& exit);
  void scheduleRestart(Slot& slot, const WorkerProcess& exited);
  void updateCrashLoop();
  void giveUp(const std::string& reason);

  void rollingStep();
  void finishRolling(bool completed);
  void beginStopping();
  void bury(std::unique_ptr<WorkerProcess> worker);
  void reap();
  void forEachOwned(const std::function<void(WorkerProcess&)>& visit);
  std::vector<WorkerProcess*> ownedWorkers() const;
  uint32_t liveCount() const;
  void healthChanged();

  uint64_t drainMs() const;
  uint64_t periodMs() const;
  size_t crashLoopThreshold() const;

  uv_loop_t* loop_;
  WorkerPoolOptions options_;
  Callbacks callbacks_;
  ConfigPtr config_;
  JsonPtr config_message_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::unique_ptr<WorkerProcess>> retiring_;
  std::vector<std::unique_ptr<WorkerProcess>> graveyard_;  // exited; freed by reap()
  Timer reap_timer_;
  Timer crash_loop_timer_;
  std::deque<uint64_t> failures_ms_;    // unasked exits within the restart period
  std::deque<uint64_t> rolling_queue_;  // slot ids still to replace
  uint64_t rolling_slot_ = 0;           // slot being replaced now (0: none)
  std::vector<std::function<void(bool)>> rolling_waiters_;
  std::vector<std::function<void()>> stop_waiters_;
  uint64_t next_slot_id_ = 1;
  uint64_t spawn_sequence_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool gave_up_ = false;
  bool crash_looping_ = false;
  std::string last_failure_;
  WorkerPoolCounters counters_;
};

}  // namespace sg
