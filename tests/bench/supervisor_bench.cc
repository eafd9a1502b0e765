// Supervisor benchmark (prints figures; not a test). Runs a real sg-supervisor with W real
// sg-worker processes against a fresh redis-server and measures, over R rounds each:
//  - start to ready (/readyz 200),
//  - kill -9 of a worker to its replacement being ready,
//  - SIGHUP (a live key changed) to every worker reporting the new configuration,
//  - a Redis override published to every worker reporting it,
//  - kill -9 of the status leader to the other supervisor leading (lease L ms),
//  - GET /metrics: size and time, and the supervisor's idle CPU and RSS.
// Times are wall clock seen from outside, polling every 2 ms.
// Usage: supervisor_bench [--workers W] [--rounds R] [--lease-ms L]
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support/bus_fixture.h"
#include "support/bench_stats.h"
#include "support/supervisor_fixture.h"

namespace sg::test {
namespace {

struct Args {
  int workers = 2;
  int rounds = 5;
  int lease_ms = 2000;
};

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Waits (polling every 2 ms) and returns the milliseconds it took, or -1 after 30 s.
double timeUntil(const std::function<bool()>& predicate) {
  auto start = Clock::now();
  return waitFor(predicate, 30000, 2) ? msSince(start) : -1;
}

void report(const char* what, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::printf("%-44s median %8.1f ms  min %8.1f  max %8.1f  (n=%zu)\n", what,
              values[values.size() / 2], values.front(), values.back(), values.size());
}

std::string digestOf(const cJSON* status) {
  return std::string(jsonString(jsonField(status, "config"), "digest"));
}

bool allWorkersOn(const SupervisorProcess& supervisor, size_t count) {
  JsonPtr status = supervisor.status();
  if (!status) return false;
  std::string digest = digestOf(status.get());
  size_t on = 0;
  const cJSON* worker = nullptr;
  cJSON_ArrayForEach(worker, jsonField(jsonField(status.get(), "workers"), "list")) {
    on += jsonString(worker, "state") == "ready" && jsonString(worker, "config_digest") == digest;
  }
  return on == count;
}

void restarts(SupervisorProcess& supervisor, const Args& args) {
  std::vector<double> times;
  for (int round = 0; round < args.rounds; ++round) {
    std::vector<pid_t> pids = supervisor.workerPids();
    pid_t victim = pids.front();
    ::kill(victim, SIGKILL);
    times.push_back(timeUntil([&] {
      std::vector<pid_t> now = supervisor.workerPids();
      return now.size() == size_t(args.workers) &&
             std::find(now.begin(), now.end(), victim) == now.end();
    }));
  }
  report("kill -9 worker -> replacement ready", times);
}

void reloads(SupervisorProcess& supervisor, SyncRedis& redis, const Args& args) {
  std::vector<double> hup, override_times;
  for (int round = 0; round < args.rounds; ++round) {
    JsonPtr before = supervisor.status();
    std::string old_digest = digestOf(before.get());
    supervisor.writeConfig(R"({"workers": )" + std::to_string(args.workers) +
                           R"(, "llm": {"model": "bench/hup-)" + std::to_string(round) + "\"}}");
    auto start = Clock::now();
    supervisor.process().signal(SIGHUP);
    waitFor(
        [&] {
          JsonPtr now = supervisor.status();
          return now && digestOf(now.get()) != old_digest && allWorkersOn(supervisor, args.workers);
        },
        30000, 2);
    hup.push_back(msSince(start));

    before = supervisor.status();
    old_digest = digestOf(before.get());
    redis.command({"SET", "sg:config:overrides",
                   R"({"consumer": {"echo_delay_ms": )" + std::to_string(round + 1) + "}}"});
    start = Clock::now();
    redis.command({"PUBLISH", "sg:config:updates", std::to_string(round)});
    waitFor(
        [&] {
          JsonPtr now = supervisor.status();
          return now && digestOf(now.get()) != old_digest && allWorkersOn(supervisor, args.workers);
        },
        30000, 2);
    override_times.push_back(msSince(start));
  }
  report("SIGHUP -> every worker on the new config", hup);
  report("override published -> every worker on it", override_times);
}

void metrics(SupervisorProcess& supervisor) {
  long code = 0;
  size_t bytes = 0;
  const int requests = 200;
  auto start = Clock::now();
  for (int i = 0; i < requests; ++i) bytes = supervisor.get("/metrics", &code).size();
  std::printf("%-44s %zu bytes, %.2f ms per request (%d sequential)\n", "GET /metrics", bytes,
              msSince(start) / requests, requests);
}

void idle(SupervisorProcess& supervisor) {
  pid_t pid = supervisor.process().pid();
  double cpu = cpuSeconds(pid);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  std::printf("%-44s %.2f%% of a core, RSS %ld KiB\n", "supervisor idle (5 s)",
              (cpuSeconds(pid) - cpu) / 5 * 100, rssKiB(pid));
}

void takeovers(const RedisServer& redis, SyncRedis& client, const TempDir& dir, const Args& args) {
  std::vector<double> times;
  std::string extra =
      R"({"workers": 1, "status": {"lease_ms": )" + std::to_string(args.lease_ms) + "}}";
  auto standby = std::make_unique<SupervisorProcess>(redis, "bench-standby-0", extra, dir);
  standby->start();
  for (int round = 0; round < args.rounds; ++round) {
    auto leader = std::make_unique<SupervisorProcess>(
        redis, "bench-leader-" + std::to_string(round), extra, dir);
    // The standby leads at first; make the new one the leader by restarting the standby.
    leader->start();
    leader->waitReady();
    standby->process().kill9();
    waitFor([&] { return client.string({"GET", "sg:status:leader"}) == leader->name(); }, 30000, 2);
    standby = std::make_unique<SupervisorProcess>(
        redis, "bench-standby-" + std::to_string(round + 1), extra, dir);
    standby->start();
    standby->waitReady();
    auto start = Clock::now();
    leader->process().kill9();
    waitFor(
        [&] {
          return client.string({"GET", "sg:status:leader"}) == standby->name();
        },
        30000, 2);
    times.push_back(msSince(start));
  }
  char what[64];
  std::snprintf(what, sizeof what, "kill -9 leader -> other leads (lease %d ms)", args.lease_ms);
  report(what, times);
}

int run(const Args& args) {
  TempDir dir;
  RedisServer redis;
  if (!redis.ok()) {
    std::fprintf(stderr, "redis-server did not start\n");
    return 1;
  }
  auto client = redis.client();
  std::vector<double> starts;
  std::unique_ptr<SupervisorProcess> supervisor;
  std::string extra = R"({"workers": )" + std::to_string(args.workers) + "}";
  for (int round = 0; round < args.rounds; ++round) {
    if (supervisor) {
      supervisor->process().signal(SIGTERM);
      supervisor->waitExit();
    }
    supervisor =
        std::make_unique<SupervisorProcess>(redis, "bench-" + std::to_string(round), extra, dir);
    auto start = Clock::now();
    supervisor->start();
    supervisor->waitReady(30000);
    starts.push_back(msSince(start));
  }
  std::printf("supervisor benchmark: %d workers, %d rounds\n", args.workers, args.rounds);
  report("start -> /readyz 200", starts);
  restarts(*supervisor, args);
  reloads(*supervisor, *client, args);
  metrics(*supervisor);
  idle(*supervisor);
  supervisor->process().signal(SIGTERM);
  supervisor->waitExit();
  takeovers(redis, *client, dir, args);
  return 0;
}

}  // namespace
}  // namespace sg::test

int main(int argc, char** argv) {
  sg::test::Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--workers") == 0) args.workers = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) args.rounds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--lease-ms") == 0) args.lease_ms = std::atoi(argv[i + 1]);
  }
  return sg::test::run(args);
}
