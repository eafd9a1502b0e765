// sg-worker entry point: parses arguments, builds the configuration and the Worker, wires the
// signals, and runs the loop until the worker has drained. See sg-worker(8).
#include <signal.h>
#include <uv.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/config_loader.h"
#include "common/log.h"
#include "common/random.h"
#include "common/uv_handle.h"
#include "worker/worker.h"

namespace {

struct Arguments {
  sg::ConfigSources sources;
  std::string instance_id;
  bool check_config = false;
  bool help = false;
  bool version = false;
};

std::vector<sg::CliOption> options(Arguments& args) {
  auto set = [&args](std::string key) {
    return [&args, key](std::string_view value, std::string*) {
      args.sources.cli.push_back(key + "=" + std::string(value));
      return true;
    };
  };
  return {
      {"config", "FILE", "configuration file (JSON); see stargazer.conf(5)",
       [&args](std::string_view value, std::string*) {
         args.sources.file_path = value;
         return true;
       }},
      {"set", "KEY=VALUE", "override one configuration key (repeatable), e.g. llm.model=x",
       [&args](std::string_view value, std::string* error) {
         if (value.find('=') == std::string_view::npos) {
           *error = "expected KEY=VALUE";
           return false;
         }
         args.sources.cli.emplace_back(value);
         return true;
       }},
      {"redis-url", "URL", "same as --set redis.url=URL", set("redis.url")},
      {"log-level", "LEVEL", "same as --set log.level=LEVEL", set("log.level")},
      {"log-format", "FORMAT", "same as --set log.format=FORMAT (text or json)", set("log.format")},
      {"instance-id", "ID", "consumer name in sg:workers (default worker-<random hex>)",
       [&args](std::string_view value, std::string*) {
         args.instance_id = value;
         return true;
       }},
      {"check-config", "", "validate, print the effective configuration (secrets masked), exit",
       [&args](std::string_view, std::string*) { return args.check_config = true; }},
      {"help", "", "print this help and exit",
       [&args](std::string_view, std::string*) { return args.help = true; }},
      {"version", "", "print the version and exit",
       [&args](std::string_view, std::string*) { return args.version = true; }},
  };
}

// Notes signals; the loop does the work (SIGTERM/SIGINT: drain, again: stop now; SIGUSR1:
// reopen the log file).
class Signals {
 public:
  Signals(uv_loop_t* loop, sg::Worker& worker, std::function<void()> on_drained)
      : worker_(worker), on_drained_(std::move(on_drained)) {
    watch(loop, term_, SIGTERM);
    watch(loop, int_, SIGINT);
    watch(loop, usr1_, SIGUSR1);
  }

 private:
  void watch(uv_loop_t* loop, sg::UvHandle<uv_signal_t>& handle, int signo) {
    uv_signal_init(loop, handle.get());
    handle.get()->data = this;
    uv_signal_start(handle.get(), &Signals::onSignal, signo);
  }
  static void onSignal(uv_signal_t* handle, int signo) noexcept {
    auto* self = static_cast<Signals*>(handle->data);
    if (self != nullptr) self->handle(signo);
  }
  void handle(int signo) {
    if (signo == SIGUSR1) {
      sg::log::reopen();
      return;
    }
    if (draining_) {
      worker_.stopNow();
      return;
    }
    draining_ = true;
    sg::log::get("main").info("signal {}: draining", signo);
    worker_.drain([this] {
      term_.close();
      int_.close();
      usr1_.close();
      on_drained_();
    });
  }

  sg::Worker& worker_;
  std::function<void()> on_drained_;
  bool draining_ = false;
  sg::UvHandle<uv_signal_t> term_, int_, usr1_;
};

bool setUpLogging(const sg::Config& config, const std::string& instance) {
  sg::log::Options log_options;
  log_options.level = config.log.level;
  sg::log::parseFormat(config.log.format, &log_options.format);
  log_options.file = config.log.file;
  log_options.instance = instance;
  std::string error;
  if (!sg::log::init(log_options, &error)) {
    std::fprintf(stderr, "sg-worker: %s\n", error.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  auto table = options(args);
  std::string error = sg::parseCli(argc, argv, table);
  if (!error.empty()) {
    std::fprintf(stderr, "sg-worker: %s\n%s", error.c_str(),
                 sg::cliUsage("sg-worker", "[OPTIONS]", table).c_str());
    return sg::kExitUsage;
  }
  if (args.help) {
    std::printf("%s", sg::cliUsage("sg-worker", "[--config FILE] [OPTIONS]", table).c_str());
    return sg::kExitOk;
  }
  if (args.version) {
    std::printf("sg-worker %s\n", SG_VERSION);
    return sg::kExitOk;
  }
  args.sources.environment = sg::environmentFromProcess();
  sg::ConfigResult built = sg::buildConfig(args.sources);
  if (!built.ok()) {
    std::fprintf(stderr, "sg-worker: configuration refused:\n%s\n", built.errorText().c_str());
    return sg::kExitConfig;
  }
  for (const auto& warning : built.warnings) std::fprintf(stderr, "sg-worker: %s\n", warning.c_str());
  if (args.check_config) {
    std::printf("%s\n", sg::renderEffective(*built.config).c_str());
    return sg::kExitOk;
  }
  std::string instance = args.instance_id.empty() ? "worker-" + sg::randomHex(6) : args.instance_id;
  if (!setUpLogging(*built.config, instance)) return sg::kExitConfig;
  signal(SIGPIPE, SIG_IGN);

  uv_loop_t* loop = uv_default_loop();
  int status = sg::kExitOk;
  {
    sg::Worker worker(loop, instance, built.config);
    if (!worker.start(&error)) {
      sg::log::get("main").error("cannot start: {}", error);
      return sg::kExitConfig;
    }
    sg::log::get("main").info("sg-worker {} started as {}", SG_VERSION, instance);
    Signals signals(loop, worker, [] {});
    uv_run(loop, UV_RUN_DEFAULT);
    sg::log::get("main").info("drained; exiting");
  }
  // Let the closed handles' callbacks run, then require a clean loop.
  uv_run(loop, UV_RUN_DEFAULT);
  if (uv_loop_close(loop) != 0) {
    sg::log::get("main").warn("loop still had handles at exit");
    status = sg::kExitOk;
  }
  return status;
}
