// Benchmark of the LLM client against sg-fake-llm on loopback: calls per second and CPU per call
// (client and server) for streamed and whole answers at a fixed concurrency, then how many slow
// streaming calls one worker loop holds at once, with the memory of both processes. Prints
// figures; asserts nothing but that calls succeed.
//
//   llm_client_bench [--calls N] [--concurrency C] [--slow N] [--slow-words W] [--slow-delay-ms D]
#include <sys/resource.h>
#include <uv.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/fd_limit.h"
#include "common/log.h"
#include "common/uv_handle.h"
#include "support/fake_llm.h"
#include "worker/curl_multi.h"
#include "worker/openrouter_client.h"

namespace {

struct Args {
  int calls = 20000;
  int concurrency = 64;
  int slow = 10000;
  int slow_words = 5;
  int slow_delay_ms = 1000;
};

bool parseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    int* target = nullptr;
    if (std::strcmp(argv[i], "--calls") == 0) target = &args->calls;
    if (std::strcmp(argv[i], "--concurrency") == 0) target = &args->concurrency;
    if (std::strcmp(argv[i], "--slow") == 0) target = &args->slow;
    if (std::strcmp(argv[i], "--slow-words") == 0) target = &args->slow_words;
    if (std::strcmp(argv[i], "--slow-delay-ms") == 0) target = &args->slow_delay_ms;
    if (target == nullptr) return false;
    std::from_chars(argv[i + 1], argv[i + 1] + std::strlen(argv[i + 1]), *target);
  }
  return true;
}

double cpuSecondsSelf() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double cpuSecondsOf(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long rssKb(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

sg::ChatRequest request(int i) {
  sg::ChatRequest request;
  request.messages.push_back(sg::ChatMessage::system("You are a benchmark."));
  request.messages.push_back(
      sg::ChatMessage::user("call number " + std::to_string(i) + " says hi"));
  return request;
}

std::shared_ptr<sg::LlmConfig> config(const sg::test::FakeLlm& fake) {
  auto config = std::make_shared<sg::LlmConfig>();
  config->base_url = fake.baseUrl();
  config->model = "fake/model";
  config->dialect = "openai";
  config->timeout_ms = 300000;
  config->attempt_timeout_ms = 300000;
  config->first_token_timeout_ms = 120000;
  config->connect_timeout_ms = 60000;
  config->max_retries = 0;
  return config;
}

// Keeps `concurrency` calls in flight until `total` have completed.
struct Driver {
  sg::OpenRouterClient* client;
  int total;
  int concurrency;
  bool stream;
  int started = 0;
  int done = 0;
  int failed = 0;
  std::string first_error;
  uv_loop_t* loop;

  void startOne() {
    sg::ChatRequest next = request(started++);
    next.stream = stream;
    sg::ChatCallbacks callbacks;
    callbacks.onComplete = [this](sg::ChatResult result) {
      ++done;
      if (!result.ok()) {
        if (failed++ == 0) first_error = result.message;
      }
      if (started < total) startOne();
      if (done == total) uv_stop(loop);
    };
    client->chat(std::move(next), std::move(callbacks));
  }
  void run() {
    for (int i = 0; i < concurrency && started < total; ++i) startOne();
    uv_run(loop, UV_RUN_DEFAULT);
  }
};

void throughput(uv_loop_t* loop, sg::test::FakeLlm& fake, const Args& args, bool stream) {
  sg::CurlMulti multi(loop);
  sg::OpenRouterClient client(multi, config(fake));
  Driver warmup{&client, 500, args.concurrency, stream, 0, 0, 0, {}, loop};
  warmup.run();
  Driver driver{&client, args.calls, args.concurrency, stream, 0, 0, 0, {}, loop};
  double cpu = cpuSecondsSelf();
  double server_cpu = cpuSecondsOf(fake.pid());
  uint64_t start = sg::monoUs();
  driver.run();
  double seconds = static_cast<double>(sg::monoUs() - start) / 1e6;
  double client_us = (cpuSecondsSelf() - cpu) * 1e6 / args.calls;
  double server_us = (cpuSecondsOf(fake.pid()) - server_cpu) * 1e6 / args.calls;
  std::printf(
      "%-9s %6d calls, %3d in flight: %8.0f calls/s, client CPU %5.1f us/call, "
      "server CPU %5.1f us/call, %d failed%s%s\n",
      stream ? "streamed" : "whole", args.calls, args.concurrency, args.calls / seconds, client_us,
      server_us, driver.failed, driver.failed ? ": " : "", driver.first_error.c_str());
}

// Starts `args.slow` streaming calls at once against a server that paces its words, and looks at
// both processes when every call has its first word and they all stream together.
void slowStreams(uv_loop_t* loop, const Args& args) {
  sg::test::FakeLlm fake({"--token-delay-ms", std::to_string(args.slow_delay_ms), "--reply-words",
                          std::to_string(args.slow_words), "--record", "0", "--max-connections",
                          std::to_string(args.slow + 100)});
  if (!fake.ok()) {
    std::printf("slow streams: sg-fake-llm did not start\n");
    return;
  }
  long rss_before = rssKb("self");
  sg::CurlMulti multi(loop);
  sg::OpenRouterClient client(multi, config(fake));
  std::vector<char> streaming(static_cast<size_t>(args.slow), 0);
  int started_streams = 0, done = 0, failed = 0;
  std::string first_error;
  uint64_t start = sg::monoUs();
  for (int i = 0; i < args.slow; ++i) {
    sg::ChatCallbacks callbacks;
    callbacks.onDelta = [&, i](std::string_view) {
      if (!streaming[static_cast<size_t>(i)]) {
        streaming[static_cast<size_t>(i)] = 1;
        ++started_streams;
      }
    };
    callbacks.onComplete = [&](sg::ChatResult result) {
      if (!result.ok() && failed++ == 0) first_error = result.message;
      if (++done == args.slow) uv_stop(loop);
    };
    client.chat(request(i), std::move(callbacks));
  }
  bool measured = false;
  sg::Timer probe(loop);
  probe.start(
      50,
      [&] {
        if (measured || started_streams < args.slow - failed) return;
        measured = true;
        double ramp = static_cast<double>(sg::monoUs() - start) / 1e6;
        long client_rss = rssKb("self");
        long server_rss = rssKb(std::to_string(fake.pid()));
        std::printf(
            "slow      %6d streams in flight on one loop after %.1f s (server holds %ld, "
            "client %zu transfers): client RSS %ld MB (+%.1f KB/call), server RSS %ld MB\n",
            args.slow, ramp, fake.stat("active"), multi.transfers(), client_rss / 1024,
            static_cast<double>(client_rss - rss_before) / args.slow, server_rss / 1024);
      },
      50);
  uv_run(loop, UV_RUN_DEFAULT);
  probe.stop();
  double seconds = static_cast<double>(sg::monoUs() - start) / 1e6;
  std::printf("slow      %6d streams of %d words at %d ms: all done in %.1f s, %d failed%s%s\n",
              args.slow, args.slow_words, args.slow_delay_ms, seconds, failed, failed ? ": " : "",
              first_error.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: llm_client_bench [--calls N] [--concurrency C] [--slow N] "
                 "[--slow-words W] [--slow-delay-ms D]\n");
    return 2;
  }
  sg::log::Options options;
  options.level = "warn";
  if (!sg::log::init(options)) return 1;
  uint64_t fds = sg::raiseFdLimit();
  std::printf("llm_client_bench: file descriptors %lu\n", static_cast<unsigned long>(fds));
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    sg::test::FakeLlm fake({"--record", "0"});
    if (!fake.ok()) {
      std::fprintf(stderr, "sg-fake-llm did not start\n");
      return 1;
    }
    throughput(&loop, fake, args, true);
    throughput(&loop, fake, args, false);
  }
  if (args.slow > 0) slowStreams(&loop, args);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 1;
}
