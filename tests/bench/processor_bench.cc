// Processor benchmark (prints figures; not a test): the whole LLM message processor in real
// sg-worker processes against a fresh redis-server and sg-fake-llm over HTTP. Every message
// mentions the bot, so each one costs a typing action, the cache write, the history load and
// write, one model call and the commit.
//  - backlog drain: messages/s through W workers, CPU per message (workers, redis-server,
//    sg-fake-llm), RSS per worker;
//  - steady offered rate: inbound -> typing and inbound -> reply latency, p50/p99/max (Redis
//    clock, 1 ms resolution).
// Usage: processor_bench [--messages N] [--channels M] [--workers W] [--rate R] [--seconds S]
//                        [--llm-latency-ms L] [--extra JSON]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "support/bench_stats.h"
#include "support/bus_fixture.h"
#include "support/fake_llm.h"

namespace sg::test {
namespace {

struct Args {
  int messages = 5000;
  int channels = 500;
  int workers = 2;
  int rate = 200;
  int seconds = 5;
  int llm_latency_ms = 0;
  std::string extra;
};

struct GroupState {
  long long read = -1;  // entries-read
  long long pending = -1;
};

GroupState groupState(SyncRedis& redis) {
  GroupState state;
  Reply reply = redis.command({"XINFO", "GROUPS", "sg:stream:inbound"});
  if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return state;
  const redisReply* group = reply->element[0];
  for (size_t i = 0; i + 1 < group->elements; i += 2) {
    std::string name(group->element[i]->str, group->element[i]->len);
    const redisReply* value = group->element[i + 1];
    if (value->type != REDIS_REPLY_INTEGER) continue;
    if (name == "entries-read") state.read = value->integer;
    if (name == "pending") state.pending = value->integer;
  }
  return state;
}

bool drained(SyncRedis& redis, long long total, int timeout_ms) {
  return waitFor(
      [&] {
        GroupState state = groupState(redis);
        return state.read >= total && state.pending == 0;
      },
      timeout_ms, 5);
}

// Adds a mention and records its entry time (ms, Redis clock) under its event id.
void sendMention(SyncRedis& redis, int i, int channels, const std::string& prefix,
                 std::map<std::string, uint64_t>* sent) {
  std::string event = prefix + std::to_string(i);
  std::string id = addInbound(
      redis, makeEnvelope({.event_id = event,
                           .channel_id = "bench-" + std::to_string(i % channels),
                           .content = "tell me about star number " + std::to_string(i)}));
  (*sent)[event] = streamIdMs(id);
}

std::string workerConfig(const FakeLlm& fake, const std::string& extra) {
  std::string base = R"({"consumer": {"processor": "llm", "claim_idle_ms": 10000, "block_ms": 1000},
      "llm": {"base_url": ")" +
                     fake.baseUrl() + R"(", "model": "fake/model", "api_key": "sk-bench"},
      "log": {"level": "warn"}})";
  JsonPtr config = parseJson(base);
  if (!extra.empty()) config = applyMergePatch(std::move(config), parseJson(extra).get());
  return printJson(config.get());
}

void printLatency(const char* what, const std::vector<double>& values) {
  std::printf("  inbound -> %s: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu samples)\n", what,
              percentile(values, 0.5), percentile(values, 0.99),
              values.empty() ? 0.0 : values.back(), values.size());
}

int run(const Args& args) {
  RedisServer redis;
  FakeLlm fake({"--latency-ms", std::to_string(args.llm_latency_ms), "--record", "0"});
  if (!redis.ok() || !fake.ok()) {
    std::fprintf(stderr, "cannot start redis-server or sg-fake-llm\n");
    return 1;
  }
  auto client = redis.client();
  TempDir dir;
  std::printf(
      "processor benchmark: %d mentions over %d channels, %d workers, model latency %d ms\n",
      args.messages, args.channels, args.workers, args.llm_latency_ms);
  std::map<std::string, uint64_t> sent;
  for (int i = 0; i < args.messages; ++i) sendMention(*client, i, args.channels, "ev-", &sent);
  pid_t redis_pid = redisServerPid(*client);
  double redis_cpu0 = cpuSeconds(redis_pid);
  double fake_cpu0 = cpuSeconds(fake.pid());

  std::vector<std::unique_ptr<WorkerProcess>> workers;
  std::string config = workerConfig(fake, args.extra);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < args.workers; ++i) {
    workers.push_back(
        std::make_unique<WorkerProcess>(redis, "worker-pbench" + std::to_string(i), config, dir));
    workers.back()->start();
  }
  if (!drained(*client, args.messages, 600000)) {
    std::fprintf(stderr, "backlog not drained; worker log:\n%s\n", workers[0]->log().c_str());
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double worker_cpu = 0;
  for (auto& worker : workers) worker_cpu += cpuSeconds(worker->process().pid());
  double redis_cpu = cpuSeconds(redis_pid) - redis_cpu0;
  double fake_cpu = cpuSeconds(fake.pid()) - fake_cpu0;
  std::printf("backlog drain: %.0f messages/s (%d in %.2f s, includes worker start-up)\n",
              args.messages / seconds, args.messages, seconds);
  std::printf(
      "cpu per message: workers %.0f us, redis-server %.0f us, sg-fake-llm %.0f us (%d "
      "cores)\n",
      worker_cpu * 1e6 / args.messages, redis_cpu * 1e6 / args.messages,
      fake_cpu * 1e6 / args.messages, int(sysconf(_SC_NPROCESSORS_ONLN)));
  std::printf("model calls: %ld\n", fake.stat("requests"));
  for (auto& worker : workers) {
    std::printf("rss %s: %ld KiB\n", worker->id().c_str(), rssKiB(worker->process().pid()));
  }

  // Steady rate: latency when the service keeps up.
  client->command({"DEL", "sg:stream:outbound:discord", "sg:stream:inbound"});
  client->command({"XGROUP", "CREATE", "sg:stream:inbound", "sg:workers", "$", "MKSTREAM"});
  int total = args.rate * args.seconds;
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(begin +
                                  std::chrono::microseconds(int64_t(i) * 1000000 / args.rate));
    sendMention(*client, i, args.channels, "steady-", &sent);
  }
  drained(*client, total, 60000);
  std::printf("steady %d messages/s for %d s:\n", args.rate, args.seconds);
  printLatency("typing", inboundToOutboundMs(*client, sent, "typing"));
  printLatency("reply", inboundToOutboundMs(*client, sent, "send_message"));
  return 0;
}

}  // namespace
}  // namespace sg::test

int main(int argc, char** argv) {
  sg::test::Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--messages")
      args.messages = std::stoi(value);
    else if (flag == "--channels")
      args.channels = std::stoi(value);
    else if (flag == "--workers")
      args.workers = std::stoi(value);
    else if (flag == "--rate")
      args.rate = std::stoi(value);
    else if (flag == "--seconds")
      args.seconds = std::stoi(value);
    else if (flag == "--llm-latency-ms")
      args.llm_latency_ms = std::stoi(value);
    else if (flag == "--extra")
      args.extra = value;
  }
  return sg::test::run(args);
}
