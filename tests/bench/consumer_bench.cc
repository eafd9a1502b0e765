// Consumer benchmark (prints figures; not a test). Loads N messages over M channels into
// sg:stream:inbound of a fresh redis-server, starts W real sg-worker processes and measures:
//  - drain throughput (messages/s) of a backlog,
//  - inbound -> outbound latency p50/p99 at a steady offered rate (Redis clock, ms resolution),
//  - Redis commands per message (INFO commandstats: script calls and the commands they ran),
//  - CPU per message of the workers and of redis-server, RSS per worker.
// Usage: consumer_bench [--messages N] [--channels M] [--workers W] [--rate R] [--seconds S]
//                       [--processor echo|llm] [--extra JSON]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/bench_stats.h"
#include "support/bus_fixture.h"

namespace sg::test {
namespace {

struct Args {
  int messages = 50000;
  int channels = 1000;
  int workers = 2;
  int rate = 2000;
  int seconds = 5;
  std::string extra;
};

std::map<std::string, long long> commandStats(SyncRedis& redis) {
  std::map<std::string, long long> calls;
  std::istringstream in(redis.string({"INFO", "commandstats"}));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cmdstat_", 0) != 0) continue;
    size_t colon = line.find(':');
    size_t at = line.find("calls=");
    calls[line.substr(8, colon - 8)] = std::stoll(line.substr(at + 6));
  }
  return calls;
}

void loadBacklog(SyncRedis& redis, const Args& args, int offset) {
  for (int i = 0; i < args.messages; ++i) {
    int channel = i % args.channels;
    std::string event = "ev-" + std::to_string(offset + i);
    addInbound(redis, makeEnvelope({.event_id = event,
                                    .channel_id = "bench-" + std::to_string(channel),
                                    .content = "benchmark message " + std::to_string(i)}));
  }
}

long long xlen(SyncRedis& redis, const std::string& key) { return redis.integer({"XLEN", key}); }

int run(const Args& args) {
  RedisServer redis;
  if (!redis.ok()) {
    std::fprintf(stderr, "cannot start redis-server\n");
    return 1;
  }
  auto client = redis.client();
  TempDir dir;
  std::printf("consumer benchmark: %d messages over %d channels, %d workers\n", args.messages,
              args.channels, args.workers);
  loadBacklog(*client, args, 0);
  client->command({"CONFIG", "RESETSTAT"});
  pid_t redis_pid = redisServerPid(*client);
  double redis_cpu0 = cpuSeconds(redis_pid);

  std::vector<std::unique_ptr<WorkerProcess>> workers;
  std::string extra = args.extra.empty()
                          ? R"({"consumer": {"claim_idle_ms": 10000, "block_ms": 1000}, "log": {"level": "warn"}})"
                          : args.extra;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < args.workers; ++i) {
    workers.push_back(std::make_unique<WorkerProcess>(redis, "worker-bench" + std::to_string(i),
                                                      extra, dir));
    workers.back()->start();
  }
  bool drained = waitFor([&] { return xlen(*client, "sg:stream:outbound:discord") >= args.messages; },
                         600000, 5);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!drained) {
    std::fprintf(stderr, "backlog not drained; worker log:\n%s\n", workers[0]->log().c_str());
    return 1;
  }
  double worker_cpu = 0;
  for (auto& worker : workers) worker_cpu += cpuSeconds(worker->process().pid());
  double redis_cpu = cpuSeconds(redis_pid) - redis_cpu0;
  auto calls = commandStats(*client);
  long long script_calls = calls["evalsha"] + calls["eval"];
  long long total_calls = 0;
  for (const auto& [name, count] : calls) {
    if (name != "info" && name != "xlen" && name != "config") total_calls += count;
  }
  std::printf("backlog drain: %.0f messages/s (%d in %.2f s, includes worker start-up)\n",
              args.messages / seconds, args.messages, seconds);
  // Client round trips: the scripts and the blocking XREAD (heartbeats and gauges are periodic,
  // not per message, and commands run inside scripts are counted below).
  std::printf("redis round trips per message: %.2f (scripts %.2f, blocking reads %.2f)\n",
              double(script_calls + calls["xread"]) / args.messages,
              double(script_calls) / args.messages, double(calls["xread"]) / args.messages);
  std::printf("redis commands per message, counting those run inside scripts: %.1f\n",
              double(total_calls) / args.messages);
  std::printf("cpu per message: workers %.1f us, redis-server %.1f us; utilisation over the "
              "drain: workers %.0f%% (of %d cores), redis %.0f%%\n",
              worker_cpu * 1e6 / args.messages, redis_cpu * 1e6 / args.messages,
              100 * worker_cpu / seconds, int(sysconf(_SC_NPROCESSORS_ONLN)),
              100 * redis_cpu / seconds);
  for (auto& worker : workers) {
    std::printf("rss %s: %ld KiB\n", worker->id().c_str(), rssKiB(worker->process().pid()));
  }

  // Steady rate: latency when the service keeps up.
  client->command({"DEL", "sg:stream:outbound:discord", "sg:stream:inbound"});
  client->command({"XGROUP", "CREATE", "sg:stream:inbound", "sg:workers", "$", "MKSTREAM"});
  int total = args.rate * args.seconds;
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < total; ++i) {
    auto due = begin + std::chrono::microseconds(int64_t(i) * 1000000 / args.rate);
    std::this_thread::sleep_until(due);
    addInbound(*client, makeEnvelope({.event_id = "ev-" + std::to_string(1000000 + i),
                                      .channel_id = "bench-" + std::to_string(i % args.channels),
                                      .content = "steady " + std::to_string(i)}));
  }
  waitFor([&] { return xlen(*client, "sg:stream:outbound:discord") >= total; }, 60000, 5);
  auto values = inboundToOutboundMs(*client, inboundTimes(*client));
  std::printf("steady %d messages/s for %d s: inbound->outbound latency p50 %.0f ms, p99 %.0f "
              "ms, max %.0f ms (%zu samples; Redis clock, 1 ms resolution)\n",
              args.rate, args.seconds, percentile(values, 0.5), percentile(values, 0.99),
              values.empty() ? 0.0 : values.back(), values.size());
  return 0;
}

}  // namespace
}  // namespace sg::test

int main(int argc, char** argv) {
  sg::test::Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--messages") args.messages = std::stoi(value);
    else if (flag == "--channels") args.channels = std::stoi(value);
    else if (flag == "--workers") args.workers = std::stoi(value);
    else if (flag == "--rate") args.rate = std::stoi(value);
    else if (flag == "--seconds") args.seconds = std::stoi(value);
    else if (flag == "--extra") args.extra = value;
  }
  return sg::test::run(args);
}
