// The sg-supervisor test fixture (see supervisor_fixture.h).
#include "support/supervisor_fixture.h"

#include <sys/wait.h>

#include "support/bus_fixture.h"
#include "support/http_client.h"

namespace sg::test {

std::string supervisorConfigJson(const RedisServer& redis, int health_port,
                                 const std::string& extra_json) {
  std::string defaults = R"({
    "workers": 2,
    "health": {"listen": "127.0.0.1:)" +
                         std::to_string(health_port) + R"("},
    "supervisor": {"restart_base_ms": 50, "restart_max_ms": 1000, "restart_intensity": 50,
                   "worker_timeout_ms": 10000},
    "status": {"lease_ms": 1000, "interval_s": 1,
               "presences": [{"status": "online", "activity": "one"},
                             {"status": "idle", "activity": "two"}]}
  })";
  JsonPtr config = parseJson(workerConfigJson(redis, defaults));
  if (!extra_json.empty()) {
    JsonPtr patch = parseJson(extra_json);
    if (patch) config = applyMergePatch(std::move(config), patch.get());
  }
  return printJson(config.get(), true);
}

SupervisorProcess::SupervisorProcess(const RedisServer& redis, std::string name,
                                     const std::string& extra_json, const TempDir& dir)
    : redis_(redis),
      name_(std::move(name)),
      config_path_(dir.file(name_ + ".json")),
      log_path_(dir.file(name_ + ".log")),
      worker_binary_(SG_WORKER_BIN),
      health_port_(freePort()) {
  writeConfig(extra_json);
}

void SupervisorProcess::writeConfig(const std::string& extra_json) {
  writeFile(config_path_, supervisorConfigJson(redis_, health_port_, extra_json));
}

bool SupervisorProcess::start(const std::vector<std::string>& flags,
                              const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {SG_SUPERVISOR_BIN, "--config", config_path_,
                                   "--instance-id",   name_,      "--worker-binary",
                                   worker_binary_};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return process_.start(argv, log_path_, env);
}

std::string SupervisorProcess::get(const std::string& path, long* status) const {
  return httpRequest(health_port_, "GET", path, "", status, 5000);
}

JsonPtr SupervisorProcess::status() const {
  long code = 0;
  std::string body = get("/status", &code);
  return code == 200 ? parseJson(body) : nullptr;
}

bool SupervisorProcess::waitReady(int timeout_ms) const {
  return waitFor(
      [&] {
        long code = 0;
        get("/readyz", &code);
        return code == 200;
      },
      timeout_ms, 50);
}

bool SupervisorProcess::waitStatus(const std::function<bool(const cJSON*)>& predicate,
                                   int timeout_ms) const {
  return waitFor(
      [&] {
        JsonPtr document = status();
        return document && predicate(document.get());
      },
      timeout_ms, 50);
}

std::vector<pid_t> SupervisorProcess::workerPids(bool ready_only) const {
  std::vector<pid_t> pids;
  JsonPtr document = status();
  const cJSON* list = jsonField(jsonField(document.get(), "workers"), "list");
  const cJSON* worker = nullptr;
  cJSON_ArrayForEach(worker, list) {
    if (ready_only && jsonString(worker, "state") != "ready") continue;
    double pid = 0;
    if (jsonNumber(worker, "pid", &pid)) pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

int SupervisorProcess::waitExit(int timeout_ms) {
  int status = process_.wait(timeout_ms);
  if (status < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

size_t statusWorkerCount(const cJSON* status, bool ready_only) {
  size_t count = 0;
  const cJSON* worker = nullptr;
  cJSON_ArrayForEach(worker, jsonField(jsonField(status, "workers"), "list")) {
    count += !ready_only || jsonString(worker, "state") == "ready";
  }
  return count;
}

}  // namespace sg::test
