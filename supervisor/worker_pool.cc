// The supervisor's set of workers (see worker_pool.h).
#include "supervisor/worker_pool.h"

#include <algorithm>
#include <utility>

#include "common/clock.h"
#include "common/control_message.h"
#include "common/log.h"

namespace sg {
namespace {

constexpr uint64_t kCrashLoopFactor = 4;  // backoff multiplier while crash looping

spdlog::logger& logger() {
  return log::get("sup");
}

Backoff makeBackoff(const SupervisorConfig& config) {
  return Backoff(config.restart_base_ms, config.restart_max_ms);
}

}  // namespace

struct WorkerPool::Slot {
  Slot(uv_loop_t* loop, uint64_t slot_id, Backoff slot_backoff)
      : id(slot_id), backoff(slot_backoff), restart_timer(loop) {}
  uint64_t id;
  uint64_t sequence = 0;  // spawn order of `current`, to find the newest worker
  std::unique_ptr<WorkerProcess> current;
  std::unique_ptr<WorkerProcess> incoming;
  Backoff backoff;
  Timer restart_timer;
};

WorkerPool::WorkerPool(uv_loop_t* loop, WorkerPoolOptions options, Callbacks callbacks)
    : loop_(loop),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      reap_timer_(loop),
      crash_loop_timer_(loop) {
  if (options_.executable.empty()) options_.executable = defaultWorkerExecutable();
}

WorkerPool::~WorkerPool() = default;

bool WorkerPool::start(ConfigPtr config, std::string_view config_json) {
  if (started_ || !adoptConfig(std::move(config), config_json)) return false;
  started_ = true;
  logger().info("starting {} workers ({})", config_->workers, options_.executable);
  setWorkerCount(config_->workers);
  return true;
}

bool WorkerPool::setConfig(ConfigPtr config, std::string_view config_json) {
  const SupervisorConfig old = config_ ? config_->supervisor : SupervisorConfig{};
  if (!adoptConfig(std::move(config), config_json)) return false;
  const SupervisorConfig& now = config_->supervisor;
  bool backoff_changed =
      old.restart_base_ms != now.restart_base_ms || old.restart_max_ms != now.restart_max_ms;
  for (auto& slot : slots_) {
    if (backoff_changed) slot->backoff = makeBackoff(now);
    for (auto* worker : {slot->current.get(), slot->incoming.get()}) {
      if (worker != nullptr && !worker->sendConfig(*config_message_)) {
        logger().warn("{}: configuration not delivered (pipe closed)", worker->id());
      }
    }
  }
  return true;
}

bool WorkerPool::adoptConfig(ConfigPtr config, std::string_view config_json) {
  JsonPtr parsed = parseJson(config_json);
  JsonPtr message = control::makeConfig(std::move(parsed));
  if (!config || !message) {
    logger().error("refusing a configuration that is not a JSON object");
    return false;
  }
  config_ = std::move(config);
  config_message_ = std::move(message);
  return true;
}

void WorkerPool::setWorkerCount(uint32_t count) {
  if (stopping_ || gave_up_ || !started_) return;
  if (count != slots_.size()) logger().info("workers: {} -> {}", slots_.size(), count);
  while (slots_.size() < count) addSlot();
  while (slots_.size() > count) removeSlot(pickVictim());
  healthChanged();
}

void WorkerPool::addSlot() {
  slots_.push_back(
      std::make_unique<Slot>(loop_, next_slot_id_++, makeBackoff(config_->supervisor)));
  Slot& slot = *slots_.back();
  spawnInto(slot, slot.current);
}

// The slot to give up when scaling down: one waiting for a restart costs nothing; otherwise the
// newest worker, so that the longest-running ones (warm connections, proven) stay.
size_t WorkerPool::pickVictim() const {
  size_t victim = slots_.size() - 1;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i]->current) return i;
    if (slots_[i]->sequence > slots_[victim]->sequence) victim = i;
  }
  return victim;
}

void WorkerPool::removeSlot(size_t index) {
  std::unique_ptr<Slot> slot = std::move(slots_[index]);
  slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(index));
  if (slot->current) retire(std::move(slot->current));
  if (slot->incoming) retire(std::move(slot->incoming));
  if (rolling_slot_ == slot->id) rollingStep();
  // Destroying the slot destroys its restart timer: a pending restart never runs.
}

WorkerPool::Slot* WorkerPool::findSlot(uint64_t id) const {
  for (const auto& slot : slots_) {
    if (slot->id == id) return slot.get();
  }
  return nullptr;
}

void WorkerPool::spawnInto(Slot& slot, std::unique_ptr<WorkerProcess>& place) {
  WorkerProcessOptions options;
  options.executable = options_.executable;
  options.extra_args = options_.extra_args;
  options.liveness_timeout_ms = config_->supervisor.worker_timeout_ms;
  options.kill_grace_ms = options_.kill_grace_ms;
  options.pipe = options_.pipe;
  WorkerProcess::Callbacks callbacks;
  callbacks.onReady = [this](WorkerProcess& worker) { onReady(worker); };
  callbacks.onStats = [this](WorkerProcess& worker) {
    if (callbacks_.onWorkerStats) callbacks_.onWorkerStats(worker);
  };
  callbacks.onError = [this](WorkerProcess& worker, const std::string& message) {
    if (callbacks_.onWorkerError) callbacks_.onWorkerError(worker, message);
  };
  callbacks.onExit = [this](WorkerProcess& worker, const WorkerExit& exit) {
    onExit(worker, exit);
  };
  place = std::make_unique<WorkerProcess>(loop_, std::move(options), std::move(callbacks));
  if (&place == &slot.current) slot.sequence = ++spawn_sequence_;
  ++counters_.spawned;
  place->start(*config_message_);
  if (callbacks_.onWorkerStarted) callbacks_.onWorkerStarted(*place);
}

void WorkerPool::retire(std::unique_ptr<WorkerProcess> worker) {
  worker->drain(static_cast<uint32_t>(drainMs()));
  retiring_.push_back(std::move(worker));
}

WorkerPool::Place WorkerPool::locate(const WorkerProcess& worker) const {
  for (const auto& slot : slots_) {
    if (slot->current.get() == &worker) return {slot.get(), Role::kCurrent};
    if (slot->incoming.get() == &worker) return {slot.get(), Role::kIncoming};
  }
  for (size_t i = 0; i < retiring_.size(); ++i) {
    if (retiring_[i].get() == &worker) return {nullptr, Role::kRetiring, i};
  }
  return {};
}

std::unique_ptr<WorkerProcess> WorkerPool::take(const Place& place) {
  std::unique_ptr<WorkerProcess> taken;
  switch (place.role) {
    case Role::kCurrent:
      taken = std::move(place.slot->current);
      break;
    case Role::kIncoming:
      taken = std::move(place.slot->incoming);
      break;
    case Role::kRetiring:
      taken = std::move(retiring_[place.retiring_index]);
      retiring_.erase(retiring_.begin() + static_cast<std::ptrdiff_t>(place.retiring_index));
      break;
    case Role::kUnknown:
      break;
  }
  return taken;
}

void WorkerPool::onReady(WorkerProcess& worker) {
  updateCrashLoop();
  if (callbacks_.onWorkerReady) callbacks_.onWorkerReady(worker);
  Place place = locate(worker);  // after the callback, which may have rescaled the pool
  if (place.role == Role::kIncoming) promote(*place.slot);
  healthChanged();
}

// Rolling restart: the slot's replacement is ready, so the old worker can go.
void WorkerPool::promote(Slot& slot) {
  std::unique_ptr<WorkerProcess> old = std::move(slot.current);
  slot.current = std::move(slot.incoming);
  slot.sequence = ++spawn_sequence_;
  ++counters_.rolling_replaced;
  if (old) {
    logger().info("{} replaced by {}", old->id(), slot.current->id());
    retire(std::move(old));
  }
  if (rolling_slot_ == slot.id) rollingStep();
}

void WorkerPool::onExit(WorkerProcess& worker, const WorkerExit& exit) {
  countExit(exit);
  Place place = locate(worker);
  std::unique_ptr<WorkerProcess> owned = take(place);
  if (!owned) return;      // not ours (cannot happen): leave it to its owner
  bury(std::move(owned));  // `worker` stays valid until reap()
  bool unasked = place.role != Role::kRetiring && !stopping_;
  uint64_t slot_id = place.slot != nullptr ? place.slot->id : 0;
  if (unasked) {
    last_failure_ =
        worker.id() + ": " + std::string(workerExitKindName(exit.kind)) + ": " + exit.reason;
  }
  if (callbacks_.onWorkerExit) callbacks_.onWorkerExit(worker, exit);
  if (unasked && !stopping_ && recordFailure(worker, exit)) {
    Slot* slot = findSlot(slot_id);  // the callback may have scaled the pool down
    // A slot whose replacement is already starting needs no restart of its own.
    bool covered = slot != nullptr && place.role == Role::kCurrent && slot->incoming;
    if (slot != nullptr && !covered) scheduleRestart(*slot, worker);
  }
  healthChanged();
}

void WorkerPool::countExit(const WorkerExit& exit) {
  switch (exit.kind) {
    case WorkerExitKind::kClean:
      ++counters_.exits_clean;
      break;
    case WorkerExitKind::kCannotStart:
      ++counters_.exits_cannot_start;
      break;
    case WorkerExitKind::kCrashed:
      ++counters_.exits_crashed;
      break;
    case WorkerExitKind::kKilled:
      ++counters_.exits_killed;
      break;
  }
  if (exit.hung) ++counters_.hung;
}

// Notes an unasked exit in the pool-wide window; false when the pool gives up because of it.
bool WorkerPool::recordFailure(const WorkerProcess& worker, const WorkerExit& exit) {
  if (gave_up_) return false;
  uint64_t now = monoMs();
  failures_ms_.push_back(now);
  while (!failures_ms_.empty() && now - failures_ms_.front() > periodMs()) failures_ms_.pop_front();
  const SupervisorConfig& config = config_->supervisor;
  if (failures_ms_.size() > config.restart_intensity) {
    giveUp(std::to_string(failures_ms_.size()) + " worker exits within " +
           std::to_string(config.restart_period_s) + " s (restart_intensity " +
           std::to_string(config.restart_intensity) + "); last: " + worker.id() + " " +
           exit.reason);
    return false;
  }
  if (!crash_looping_ && failures_ms_.size() >= crashLoopThreshold()) {
    crash_looping_ = true;
    ++counters_.crash_loops;
    logger().error("crash loop: {} worker exits within {} s; last: {} {}; restarting more slowly",
                   failures_ms_.size(), config.restart_period_s, worker.id(), exit.reason);
  }
  updateCrashLoop();
  return true;
}

void WorkerPool::scheduleRestart(Slot& slot, const WorkerProcess& exited) {
  const SupervisorConfig& config = config_->supervisor;
  // A worker that stayed ready as long as the longest delay was healthy: start over from base.
  if (exited.readyAtMs() != 0 && monoMs() - exited.readyAtMs() >= config.restart_max_ms) {
    slot.backoff.reset();
  }
  uint64_t delay = slot.backoff.next();
  if (crash_looping_) {
    delay = std::min(delay * kCrashLoopFactor, uint64_t{config.restart_max_ms} * kCrashLoopFactor);
  }
  RestartPlan plan{exited.id(), delay, slot.backoff.attempts(), crash_looping_};
  logger().info("restarting in place of {} in {} ms (attempt {}{})", plan.replaces, delay,
                plan.attempt, crash_looping_ ? ", crash loop" : "");
  Slot* target = &slot;
  slot.restart_timer.start(delay, [this, target] { fillSlot(*target); });
  if (callbacks_.onRestartScheduled) callbacks_.onRestartScheduled(plan);
}

void WorkerPool::fillSlot(Slot& slot) {
  if (stopping_ || gave_up_) return;
  uint64_t slot_id = slot.id;  // the slot may be gone once spawnInto's callback has run
  if (!slot.current) {
    ++counters_.restarts;
    spawnInto(slot, slot.current);
    // A fresh worker already runs the latest configuration: nothing left to roll in this slot.
    if (rolling_slot_ == slot_id) rollingStep();
  } else if (rolling_slot_ == slot_id && !slot.incoming) {
    ++counters_.restarts;
    spawnInto(slot, slot.incoming);
  }
}

// Re-evaluates the crash-loop state when the oldest failure leaves the window.
void WorkerPool::updateCrashLoop() {
  if (!crash_looping_) return;
  uint64_t now = monoMs();
  while (!failures_ms_.empty() && now - failures_ms_.front() > periodMs()) failures_ms_.pop_front();
  if (failures_ms_.size() < crashLoopThreshold()) {
    crash_looping_ = false;
    crash_loop_timer_.stop();
    logger().info("crash loop over: {} worker exits in the last {} s", failures_ms_.size(),
                  config_->supervisor.restart_period_s);
    healthChanged();
    return;
  }
  uint64_t due = failures_ms_.front() + periodMs() + 1;
  crash_loop_timer_.start(due > now ? due - now : 1, [this] { updateCrashLoop(); });
}

void WorkerPool::giveUp(const std::string& reason) {
  gave_up_ = true;
  logger().critical("giving up on workers: {}", reason);
  for (auto& slot : slots_) slot->restart_timer.stop();
  finishRolling(false);
  if (callbacks_.onGiveUp) callbacks_.onGiveUp(reason);
  healthChanged();
}

void WorkerPool::restartAll(std::function<void(bool completed)> done) {
  if (stopping_ || gave_up_ || !started_) {
    if (done) done(false);
    return;
  }
  if (done) rolling_waiters_.push_back(std::move(done));
  ++counters_.rolling_restarts;
  rolling_queue_.clear();
  for (const auto& slot : slots_) rolling_queue_.push_back(slot->id);
  logger().info("restarting {} workers one by one", slots_.size());
  if (rolling_slot_ == 0) rollingStep();
}

// Starts the replacement for the next slot still to roll, or finishes the pass.
void WorkerPool::rollingStep() {
  rolling_slot_ = 0;
  while (!rolling_queue_.empty()) {
    Slot* slot = findSlot(rolling_queue_.front());
    rolling_queue_.pop_front();
    // A slot waiting for a restart will start with the latest configuration anyway.
    if (slot == nullptr || !slot->current) continue;
    rolling_slot_ = slot->id;
    if (!slot->incoming) spawnInto(*slot, slot->incoming);
    return;
  }
  finishRolling(true);
}

void WorkerPool::finishRolling(bool completed) {
  rolling_slot_ = 0;
  rolling_queue_.clear();
  if (rolling_waiters_.empty()) return;
  if (completed) logger().info("all workers restarted");
  auto waiters = std::move(rolling_waiters_);
  rolling_waiters_.clear();
  for (auto& waiter : waiters) waiter(completed);
}

void WorkerPool::reopenLogs() {
  forEachOwned([](WorkerProcess& worker) { worker.reopenLogs(); });
}

void WorkerPool::beginStopping() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& slot : slots_) slot->restart_timer.stop();
  crash_loop_timer_.stop();
  finishRolling(false);
}

void WorkerPool::drainAll(uint32_t deadline_ms, std::function<void()> done) {
  beginStopping();
  if (done) stop_waiters_.push_back(std::move(done));
  logger().info("draining {} workers ({} ms)", liveCount(), deadline_ms);
  forEachOwned([deadline_ms](WorkerProcess& worker) { worker.drain(deadline_ms); });
  reap_timer_.start(0, [this] { reap(); });  // reports at once if none is running
  healthChanged();
}

void WorkerPool::stopAll(std::function<void()> done) {
  beginStopping();
  if (done) stop_waiters_.push_back(std::move(done));
  logger().info("stopping {} workers", liveCount());
  forEachOwned([](WorkerProcess& worker) { worker.stop(); });
  reap_timer_.start(0, [this] { reap(); });
  healthChanged();
}

void WorkerPool::bury(std::unique_ptr<WorkerProcess> worker) {
  graveyard_.push_back(std::move(worker));
  if (!reap_timer_.active()) reap_timer_.start(0, [this] { reap(); });
}

// A safe point: no worker callback is on the stack.
void WorkerPool::reap() {
  graveyard_.clear();
  if (!stopping_ || liveCount() != 0 || stop_waiters_.empty()) return;
  logger().info("all workers have exited");
  auto waiters = std::move(stop_waiters_);
  stop_waiters_.clear();
  for (auto& waiter : waiters) waiter();
}

uint32_t WorkerPool::liveCount() const {
  uint32_t live = 0;
  forEachWorker([&live](const WorkerProcess& worker) { live += worker.alive() ? 1 : 0; });
  return live;
}

WorkerPoolHealth WorkerPool::health() const {
  WorkerPoolHealth health;
  health.target = static_cast<uint32_t>(slots_.size());
  for (const auto& slot : slots_) {
    if (slot->current && slot->current->state() == WorkerState::kReady) ++health.ready;
  }
  health.live = liveCount();
  health.crash_looping = crash_looping_;
  health.gave_up = gave_up_;
  health.stopping = stopping_;
  health.last_failure = last_failure_;
  return health;
}

void WorkerPool::forEachWorker(const std::function<void(const WorkerProcess&)>& visit) const {
  for (WorkerProcess* worker : ownedWorkers()) visit(*worker);
}

void WorkerPool::forEachOwned(const std::function<void(WorkerProcess&)>& visit) {
  for (WorkerProcess* worker : ownedWorkers()) visit(*worker);
}

// A snapshot: drain() and stop() must not see the lists change under them.
std::vector<WorkerProcess*> WorkerPool::ownedWorkers() const {
  std::vector<WorkerProcess*> workers;
  for (const auto& slot : slots_) {
    if (slot->current) workers.push_back(slot->current.get());
    if (slot->incoming) workers.push_back(slot->incoming.get());
  }
  for (const auto& worker : retiring_) workers.push_back(worker.get());
  return workers;
}

void WorkerPool::healthChanged() {
  if (callbacks_.onHealthChanged) callbacks_.onHealthChanged();
}

uint64_t WorkerPool::drainMs() const {
  return uint64_t{config_->shutdown.drain_s} * 1000;
}
uint64_t WorkerPool::periodMs() const {
  return uint64_t{config_->supervisor.restart_period_s} * 1000;
}

// Half the restart intensity: the warning level before the give-up level.
size_t WorkerPool::crashLoopThreshold() const {
  return std::max<size_t>(2, config_->supervisor.restart_intensity / 2);
}

}  // namespace sg
