// Supervisor: the top object of an sg-supervisor process, one per host. It runs the workers (a
// WorkerPool), keeps the configuration current (ConfigSource + ReloadPlan), competes for the
// status lease and publishes presence while it holds it (StatusLeader, StatusManager), keeps its
// liveness record, serves /healthz /readyz /metrics /status, answers signals and tells systemd.
// It never does message work itself.
//
// Life. start() listens, connects to Redis and subscribes to configuration updates; the workers
// start once the Redis overrides have been read (or after a short wait when Redis is not
// reachable: they are applied when it is), so they do not start with a configuration that is
// about to change. SIGTERM/SIGINT drain: the lease is released at once (another supervisor takes
// the presence over), the workers finish within shutdown.drain_s, the liveness record is deleted,
// every handle is closed and the loop runs out; exit 0. A second signal stops the workers at once.
// Past the restart-intensity limit the same shutdown ends with exit 70, for systemd to restart us.
//
// Reloads (SIGHUP, an override, the first read of the overrides) are validated whole; a refused
// one is logged with its key paths and counted, and the running configuration stays. An accepted
// one is applied by reload class: live keys go to every worker on its pipe, `workers` rescales,
// worker_restart keys (redis.*, ...) restart the workers one by one, full_restart keys keep their
// running values with a warning that names them (and /status and a gauge show them pending).
// The supervisor's own Redis connection keeps the redis.url it started with until it restarts.
//
// Not here: argument parsing and the pid file (main.cc), the /metrics and /status rendering
// (supervisor_health.cc), the parts' own logic (their files).
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/config_loader.h"
#include "common/heartbeat.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"
#include "supervisor/config_source.h"
#include "supervisor/health_server.h"
#include "supervisor/reload_plan.h"
#include "supervisor/signals.h"
#include "supervisor/status_leader.h"
#include "supervisor/status_manager.h"
#include "supervisor/systemd_notifier.h"
#include "supervisor/worker_metrics.h"
#include "supervisor/worker_pool.h"

namespace sg {

struct SupervisorOptions {
  ConfigSources sources;  // the file's path and text as read at start, environment, command line
  ConfigPtr config;       // built from `sources` and validated (before the Redis overrides)
  std::string worker_executable;      // "": sg-worker beside this executable
  std::string instance_id;            // "": supervisor-<random hex>
  uint32_t overrides_wait_ms = 5000;  // how long the workers wait for the first overrides read
  uint32_t kill_grace_ms = 5000;      // drain or stop deadline → SIGKILL
};

class Supervisor final : public HealthSource {
 public:
  Supervisor(uv_loop_t* loop, SupervisorOptions options);
  ~Supervisor() override;
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Listens, watches signals, connects. False, with `*error`, when it cannot (the health
  // address is taken, a signal cannot be watched); nothing is left running then.
  [[nodiscard]] bool start(std::string* error);

  // The exit status (common/exit_codes.h) once the loop has run out.
  int exitStatus() const { return exit_status_; }
  const std::string& instanceId() const { return instance_id_; }
  uint16_t healthPort() const { return health_.port(); }

  // HealthSource (supervisor_health.cc).
  std::vector<std::string> notReadyReasons() const override;
  std::string metricsText() const override;
  JsonPtr statusJson() const override;

 private:
  enum class Phase { kStarting, kRunning, kStopping };

  // Start-up and shutdown.
  void startRedis();
  void makePool();
  void startWorkers(std::string_view why);
  void shutdown(int status, const std::string& why);
  void maybeFinish();
  void closeAll();

  // Configuration.
  void onConfigUpdate(ConfigUpdate update);
  void refuse(const ConfigUpdate& update);
  void apply(const ConfigResult& result, ConfigTrigger trigger);
  void warnDeferred(const ReloadPlan& plan, const Config& next);
  void adopt(ConfigPtr config);
  void applyOwnSettings(const Config& previous);
  void countReload(ConfigTrigger trigger, std::string_view outcome);

  // Events.
  void onSignal(SupervisorSignal signal, unsigned count);
  void onLeadership(bool leader);
  void scaleBy(int delta);
  void updateSystemdStatus();
  void fillHeartbeat(cJSON* record) const;

  // Rendering helpers (supervisor_health.cc).
  void writeSupervisorMetrics(class PrometheusText& out) const;
  JsonPtr workersJson() const;

  uv_loop_t* loop_;
  SupervisorOptions options_;
  std::string instance_id_;
  ConfigPtr running_;
  std::string config_text_;  // renderEffective(*running_, false): what workers receive
  std::string config_digest_;
  uint64_t config_version_ = 1;               // configurations adopted by this process
  std::vector<std::string> restart_pending_;  // full_restart keys whose change waits for a restart
  std::map<std::pair<std::string, std::string>, uint64_t> reloads_;  // (trigger, outcome) → count
  double started_at_ = 0;

  SystemdNotifier notifier_;
  SignalWatcher signals_;
  HealthServer health_;
  WorkerMetrics worker_metrics_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<ConfigSource> config_source_;
  std::unique_ptr<StatusLeader> leader_;
  std::unique_ptr<StatusManager> status_;
  std::unique_ptr<Heartbeat> heartbeat_;
  std::unique_ptr<WorkerPool> pool_;
  Timer startup_timer_;

  Phase phase_ = Phase::kStarting;
  bool workers_started_ = false;
  bool workers_done_ = false;
  bool lease_released_ = false;
  bool closing_ = false;
  int exit_status_ = 0;
};

}  // namespace sg
