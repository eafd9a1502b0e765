// Supervisor as a HealthSource: readiness, /metrics and /status (see supervisor.h and
// health_server.h). Rendering only: nothing here changes the supervisor's state.
#include <unistd.h>

#include "common/clock.h"
#include "supervisor/prometheus_text.h"
#include "supervisor/supervisor.h"

namespace sg {
namespace {

std::string_view phaseName(bool starting, bool stopping) {
  return stopping ? "stopping" : starting ? "starting" : "running";
}

void gauge(PrometheusText& out, std::string_view name, std::string_view help, double value) {
  out.family(name, MetricType::kGauge, help);
  out.sample(name, {}, value);
}

void counter(PrometheusText& out, std::string_view name, std::string_view help, double value) {
  out.family(name, MetricType::kCounter, help);
  out.sample(name, {}, value);
}

}  // namespace

std::vector<std::string> Supervisor::notReadyReasons() const {
  std::vector<std::string> reasons;
  if (phase_ == Phase::kStopping) reasons.emplace_back("shutting down");
  if (phase_ == Phase::kStarting) reasons.emplace_back("starting: reading the Redis overrides");
  if (!redis_ || !redis_->connected()) {
    reasons.push_back("Redis unreachable at " + (redis_ ? redis_->maskedUrl() : std::string()));
  }
  WorkerPoolHealth health = pool_->health();
  if (health.gave_up) reasons.push_back("gave up on the workers: " + health.last_failure);
  if (health.crash_looping) reasons.push_back("workers crash looping: " + health.last_failure);
  if (workers_started_ && health.ready < health.target) {
    std::string reason = fmt::format("workers ready: {} of {}", health.ready, health.target);
    if (!health.last_failure.empty()) reason += " (last failure: " + health.last_failure + ")";
    reasons.push_back(std::move(reason));
  }
  return reasons;
}

std::string Supervisor::metricsText() const {
  PrometheusText out;
  writeSupervisorMetrics(out);
  worker_metrics_.write(out);
  return out.text();
}

void Supervisor::writeSupervisorMetrics(PrometheusText& out) const {
  out.family("sg_supervisor_info", MetricType::kGauge, "This supervisor (always 1).");
  out.sample("sg_supervisor_info", {{"instance", instance_id_}, {"version", SG_VERSION}}, 1);
  gauge(out, "sg_supervisor_start_time_seconds", "Unix time the supervisor started.", started_at_);
  gauge(out, "sg_supervisor_redis_connected", "1 when the supervisor's Redis connection is up.",
        redis_ && redis_->connected() ? 1 : 0);

  WorkerPoolHealth health = pool_->health();
  out.family("sg_supervisor_workers", MetricType::kGauge, "Workers by state.");
  out.sample("sg_supervisor_workers", {{"state", "target"}}, health.target);
  out.sample("sg_supervisor_workers", {{"state", "ready"}}, health.ready);
  out.sample("sg_supervisor_workers", {{"state", "live"}}, health.live);
  gauge(out, "sg_supervisor_crash_looping", "1 while the workers are in a crash loop.",
        health.crash_looping ? 1 : 0);
  gauge(out, "sg_supervisor_gave_up", "1 once the restart intensity limit was exceeded.",
        health.gave_up ? 1 : 0);

  const WorkerPoolCounters& c = pool_->counters();
  counter(out, "sg_supervisor_worker_spawns_total", "Worker processes started.", c.spawned);
  counter(out, "sg_supervisor_worker_restarts_total",
          "Workers started to replace one that exited unasked.", c.restarts);
  out.family("sg_supervisor_worker_exits_total", MetricType::kCounter, "Worker exits by kind.");
  out.sample("sg_supervisor_worker_exits_total", {{"kind", "clean"}}, c.exits_clean);
  out.sample("sg_supervisor_worker_exits_total", {{"kind", "cannot_start"}}, c.exits_cannot_start);
  out.sample("sg_supervisor_worker_exits_total", {{"kind", "crashed"}}, c.exits_crashed);
  out.sample("sg_supervisor_worker_exits_total", {{"kind", "killed"}}, c.exits_killed);
  counter(out, "sg_supervisor_workers_hung_total", "Workers put down for not reporting.", c.hung);
  counter(out, "sg_supervisor_crash_loops_total", "Times the workers entered a crash loop.",
          c.crash_loops);
  counter(out, "sg_supervisor_rolling_restarts_total", "Rolling restarts requested.",
          c.rolling_restarts);

  gauge(out, "sg_supervisor_leader", "1 while this supervisor holds the status lease.",
        leader_ && leader_->isLeader() ? 1 : 0);
  const StatusLeaderCounters leadership = leader_ ? leader_->counters() : StatusLeaderCounters{};
  out.family("sg_supervisor_leadership_changes_total", MetricType::kCounter,
             "Times this supervisor became or stopped being the status leader.");
  out.sample("sg_supervisor_leadership_changes_total", {{"change", "acquired"}},
             leadership.acquired);
  out.sample("sg_supervisor_leadership_changes_total", {{"change", "lost"}}, leadership.lost);
  counter(out, "sg_supervisor_lease_renew_failures_total",
          "Lease renewals that failed for transport reasons.", leadership.renew_failures);
  const StatusManagerCounters presence = status_ ? status_->counters() : StatusManagerCounters{};
  out.family("sg_supervisor_presence_updates_total", MetricType::kCounter,
             "set_presence publications by result.");
  out.sample("sg_supervisor_presence_updates_total", {{"result", "published"}}, presence.published);
  out.sample("sg_supervisor_presence_updates_total", {{"result", "fenced"}}, presence.fenced);
  out.sample("sg_supervisor_presence_updates_total", {{"result", "failed"}}, presence.failed);

  out.family("sg_supervisor_reloads_total", MetricType::kCounter,
             "Configuration rebuilds by trigger and outcome.");
  for (const auto& [key, count] : reloads_) {
    out.sample("sg_supervisor_reloads_total", {{"outcome", key.second}, {"trigger", key.first}},
               double(count));
  }
  gauge(out, "sg_supervisor_config_version", "Configurations adopted since start.",
        double(config_version_));
  gauge(out, "sg_supervisor_config_restart_pending",
        "Changed full_restart keys waiting for a restart of the supervisor.",
        double(restart_pending_.size()));
}

JsonPtr Supervisor::statusJson() const {
  JsonPtr status(cJSON_CreateObject());
  cJSON* root = status.get();
  cJSON_AddStringToObject(root, "instance_id", instance_id_.c_str());
  cJSON_AddNumberToObject(root, "pid", getpid());
  cJSON_AddStringToObject(root, "version", SG_VERSION);
  std::string phase(phaseName(phase_ == Phase::kStarting, phase_ == Phase::kStopping));
  cJSON_AddStringToObject(root, "state", phase.c_str());
  cJSON_AddNumberToObject(root, "started_at", started_at_);
  cJSON_AddBoolToObject(root, "ready", notReadyReasons().empty());

  cJSON* config = cJSON_AddObjectToObject(root, "config");
  cJSON_AddNumberToObject(config, "version", double(config_version_));
  cJSON_AddStringToObject(config, "digest", config_digest_.c_str());
  cJSON_AddStringToObject(config, "file", options_.sources.file_path.c_str());
  cJSON_AddStringToObject(config, "overrides_version",
                          config_source_ ? config_source_->overridesVersion().c_str() : "");
  // Secrets masked, as --check-config shows it.
  cJSON_AddItemToObject(config, "effective", parseJson(renderEffective(*running_)).release());
  cJSON* pending = cJSON_AddArrayToObject(config, "restart_pending");
  for (const std::string& key : restart_pending_) {
    cJSON_AddItemToArray(pending, cJSON_CreateString(key.c_str()));
  }

  cJSON* redis = cJSON_AddObjectToObject(root, "redis");
  cJSON_AddBoolToObject(redis, "connected", redis_ && redis_->connected());
  cJSON_AddStringToObject(redis, "url", redis_ ? redis_->maskedUrl().c_str() : "");

  cJSON* leader = cJSON_AddObjectToObject(root, "leader");
  cJSON_AddBoolToObject(leader, "is_leader", leader_ && leader_->isLeader());
  cJSON_AddStringToObject(leader, "holder", leader_ ? leader_->holder().c_str() : "");

  cJSON_AddItemToObject(root, "workers", workersJson().release());
  return status;
}

JsonPtr Supervisor::workersJson() const {
  WorkerPoolHealth health = pool_->health();
  JsonPtr workers(cJSON_CreateObject());
  cJSON_AddNumberToObject(workers.get(), "target", health.target);
  cJSON_AddNumberToObject(workers.get(), "ready", health.ready);
  cJSON_AddNumberToObject(workers.get(), "live", health.live);
  cJSON_AddBoolToObject(workers.get(), "crash_looping", health.crash_looping);
  cJSON_AddBoolToObject(workers.get(), "gave_up", health.gave_up);
  cJSON_AddStringToObject(workers.get(), "last_failure", health.last_failure.c_str());
  cJSON* list = cJSON_AddArrayToObject(workers.get(), "list");
  uint64_t now = monoMs();
  pool_->forEachWorker([&](const WorkerProcess& worker) {
    cJSON* item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "id", worker.id().c_str());
    cJSON_AddNumberToObject(item, "pid", worker.pid());
    cJSON_AddStringToObject(item, "state", std::string(workerStateName(worker.state())).c_str());
    cJSON_AddStringToObject(item, "version", worker.version().c_str());
    cJSON_AddNumberToObject(item, "uptime_ms", double(now - worker.startedAtMs()));
    if (worker.lastReportMs() != 0) {
      cJSON_AddNumberToObject(item, "last_report_ms_ago", double(now - worker.lastReportMs()));
    }
    const cJSON* stats = worker.lastStats();
    for (const char* field : {"config_digest", "redis_connected", "processed", "inflight"}) {
      if (const cJSON* value = jsonField(stats, field)) {
        cJSON_AddItemToObject(item, field, cJSON_Duplicate(value, true));
      }
    }
    cJSON_AddItemToArray(list, item);
  });
  return workers;
}

}  // namespace sg
