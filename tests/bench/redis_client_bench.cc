// Benchmark: command throughput of RedisClient on one libuv loop against a local redis-server
// started by the test fixture, pipelined (a window of commands in flight) and one at a time, with
// the client process's own CPU time per command (Redis runs in its own process, so this is what
// the client costs the worker). Prints figures; asserts nothing.
//   redis_client_bench [commands per run, default 500000] [window, default 1000]
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/redis_client.h"
#include "support/redis_server.h"
#include "support/test_loop.h"

namespace sg::test {
namespace {

uint64_t cpuUs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto us = [](const timeval& tv) { return uint64_t(tv.tv_sec) * 1000000 + uint64_t(tv.tv_usec); };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

// Keeps `window` commands in flight until `total` have completed.
struct Run {
  RedisClient& client;
  std::function<void(Run&, uint64_t)> issue_one;  // sends command number i
  uint64_t total;
  uint64_t window;
  uint64_t issued = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;

  void fill() {
    while (issued < total && issued - completed < window) issue_one(*this, issued++);
  }
  RedisClient::Callback done() {
    return [this](const RedisResult& result) {
      if (!result.ok()) ++failed;
      ++completed;
      fill();
    };
  }
};

void measure(TestLoop& loop, RedisClient& client, const char* label, uint64_t total,
             uint64_t window, std::function<void(Run&, uint64_t)> issue_one) {
  Run run{client, std::move(issue_one), total, window};
  uint64_t wall0 = monoUs(), cpu0 = cpuUs();
  run.fill();
  loop.runUntil([&] { return run.completed == total; }, 600000);
  double seconds = double(monoUs() - wall0) / 1e6;
  double cpu_us = double(cpuUs() - cpu0);
  std::printf(
      "%-34s window %5llu: %8llu commands in %6.2f s = %9.0f commands/s, client CPU %.2f "
      "us/command%s\n",
      label, static_cast<unsigned long long>(window),
      static_cast<unsigned long long>(run.completed), seconds, double(run.completed) / seconds,
      cpu_us / double(run.completed), run.failed ? " (FAILURES)" : "");
}

int main(int argc, char** argv) {
  uint64_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 500000;
  uint64_t window = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000;
  log::get("redis").set_level(spdlog::level::warn);
  RedisServer server;
  if (!server.ok()) {
    std::fprintf(stderr, "cannot start redis-server\n");
    return 1;
  }
  TestLoop loop;
  RedisClient::Options options;
  options.redis.url = server.url();
  options.name = "bench";
  auto client = std::make_unique<RedisClient>(loop.get(), options);
  bool up = false;
  client->onConnected([&] { up = true; });
  if (!client->start() || !loop.runUntil([&] { return up; })) return 1;

  std::string value(64, 'v');
  RedisScript script("return redis.call('INCR', KEYS[1])");
  auto ping = [](Run& run, uint64_t) { run.client.command({"PING"}, run.done()); };
  auto incr = [](Run& run, uint64_t) { run.client.command({"INCR", "bench:counter"}, run.done()); };
  auto set = [&](Run& run, uint64_t i) {
    RedisArgs args;
    args.add("SET").addCopy("bench:key:" + std::to_string(i % 10000)).add(value);
    run.client.command(args, run.done());
  };
  auto eval = [&](Run& run, uint64_t) {
    run.client.evalScript(script, {"bench:script"}, {}, run.done());
  };
  std::printf("RedisClient on one loop against redis-server %s (this machine: %u cores)\n",
              server.url().c_str(), std::thread::hardware_concurrency());
  measure(loop, *client, "PING pipelined", total, window, ping);
  measure(loop, *client, "INCR pipelined", total, window, incr);
  measure(loop, *client, "SET 64-byte value pipelined", total, window, set);
  measure(loop, *client, "EVALSHA (INCR script) pipelined", total / 2, window, eval);
  measure(loop, *client, "PING one at a time", total / 20, 1, ping);
  RedisClientStats stats = client->stats();
  std::printf("sent %llu, timeouts %llu, reconnects %llu\n",
              static_cast<unsigned long long>(stats.sent),
              static_cast<unsigned long long>(stats.timeouts),
              static_cast<unsigned long long>(stats.disconnects));

  bool stopped = false;
  client->stop([&] { stopped = true; });
  loop.runUntil([&] { return stopped; });
  client.reset();
  return loop.close() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sg::test

int main(int argc, char** argv) {
  return sg::test::main(argc, argv);
}
