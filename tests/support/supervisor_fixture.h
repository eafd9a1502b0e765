// Test fixture: a real sg-supervisor process (running real sg-worker processes, or another worker
// binary) against a RedisServer, with a temporary configuration file merged over test defaults
// (echo processor, fast leases and restarts, a free health port), and blocking accessors for its
// health endpoint. Logs go to a file in the test's directory, for printing on failure.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/json.h"
#include "support/child_process.h"
#include "support/redis_server.h"

namespace sg::test {

// The test-default supervisor configuration for `redis` and `health_port`, `extra_json`
// merge-patched over it.
std::string supervisorConfigJson(const RedisServer& redis, int health_port,
                                 const std::string& extra_json);

class SupervisorProcess {
 public:
  SupervisorProcess(const RedisServer& redis, std::string name, const std::string& extra_json,
                    const TempDir& dir);

  // Starts it with --config, --instance-id <name>, --worker-binary and `flags`.
  bool start(const std::vector<std::string>& flags = {},
             const std::map<std::string, std::string>& env = {});
  // Rewrites the configuration file (test defaults + `extra_json`); send SIGHUP to apply.
  void writeConfig(const std::string& extra_json);

  // GET `path` on the health port; `*status` 0 when it did not answer.
  std::string get(const std::string& path, long* status) const;
  JsonPtr status() const;  // /status parsed (null when unreachable)
  bool waitReady(int timeout_ms = 20000) const;
  // The pids of its workers as /status lists them (state "ready" only when `ready_only`).
  std::vector<pid_t> workerPids(bool ready_only = true) const;
  // Waits until `predicate(/status)` holds.
  bool waitStatus(const std::function<bool(const cJSON* status)>& predicate,
                  int timeout_ms = 20000) const;
  // Waits for the process to exit; its exit code, or -1 (timeout or killed by a signal).
  int waitExit(int timeout_ms = 30000);

  ChildProcess& process() { return process_; }
  const std::string& name() const { return name_; }
  const std::string& configPath() const { return config_path_; }
  int healthPort() const { return health_port_; }
  std::string log() const { return process_.logText(); }
  void setWorkerBinary(std::string path) { worker_binary_ = std::move(path); }

 private:
  const RedisServer& redis_;
  std::string name_;
  std::string config_path_;
  std::string log_path_;
  std::string worker_binary_;
  int health_port_;
  ChildProcess process_;
};

// Counts the workers listed in a /status document.
size_t statusWorkerCount(const cJSON* status, bool ready_only = true);

}  // namespace sg::test
