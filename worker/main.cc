// sg-worker entry point: parses arguments, then either builds the configuration and a Worker
// (standalone, --config) or opens the control-pipe session (under sg-supervisor, --control-fd),
// wires the signals, and runs the loop until the worker has drained. See sg-worker(8).
#include <signal.h>
#include <uv.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/fd_limit.h"
#include "common/config_loader.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "common/log_config.h"
#include "common/random.h"
#include "common/uv_handle.h"
#include "worker/supervised_worker.h"
#include "worker/worker.h"

namespace {

struct Arguments {
  sg::ConfigSources sources;
  std::string instance_id;
  int control_fd = -1;
  pid_t supervisor_pid = 0;
  bool check_config = false;
  bool help = false;
  bool version = false;
};

bool parseControlFd(std::string_view value, int* fd, std::string* error) {
  unsigned long long number = 0;
  if (!sg::parseUnsigned(value, 65535, &number) || number < 3) {
    *error = "expected a file descriptor number of 3 or more";
    return false;
  }
  *fd = static_cast<int>(number);
  return true;
}

bool parsePid(std::string_view value, pid_t* pid, std::string* error) {
  unsigned long long number = 0;
  if (!sg::parseUnsigned(value, 4194304, &number) || number == 0) {
    *error = "expected a process id";
    return false;
  }
  *pid = static_cast<pid_t>(number);
  return true;
}

std::vector<sg::CliOption> options(Arguments& args) {
  std::vector<std::string>* cli = &args.sources.cli;
  return {
      {"config", "FILE", "configuration file (JSON); see stargazer.conf(5)",
       [&args](std::string_view value, std::string*) {
         args.sources.file_path = value;
         return true;
       }},
      sg::configSetOption(cli),
      sg::configKeyOption("redis-url", "URL", "redis.url", "same as --set redis.url=URL", cli),
      sg::configKeyOption("log-level", "LEVEL", "log.level", "same as --set log.level=LEVEL", cli),
      sg::configKeyOption("log-format", "FORMAT", "log.format",
                          "same as --set log.format=FORMAT (text or json)", cli),
      {"instance-id", "ID", "consumer name in sg:workers (default worker-<random hex>)",
       [&args](std::string_view value, std::string*) {
         args.instance_id = value;
         return true;
       }},
      {"control-fd", "N",
       "run under sg-supervisor: configuration and commands on the control pipe on fd N",
       [&args](std::string_view value, std::string* error) {
         return parseControlFd(value, &args.control_fd, error);
       }},
      {"supervisor-pid", "PID", "with --control-fd: exit if the parent is not this process",
       [&args](std::string_view value, std::string* error) {
         return parsePid(value, &args.supervisor_pid, error);
       }},
      sg::switchOption("check-config",
                       "validate, print the effective configuration (secrets masked), exit",
                       &args.check_config),
      sg::switchOption("help", "print this help and exit", &args.help),
      sg::switchOption("version", "print the version and exit", &args.version),
  };
}

// Notes signals; the loop does the work (SIGTERM/SIGINT: drain, again: stop now; SIGUSR1:
// reopen the log file).
class Signals {
 public:
  Signals(uv_loop_t* loop, std::function<void()> on_terminate, std::function<void()> on_reopen)
      : on_terminate_(std::move(on_terminate)), on_reopen_(std::move(on_reopen)) {
    watch(loop, term_, SIGTERM);
    watch(loop, int_, SIGINT);
    watch(loop, usr1_, SIGUSR1);
  }
  void close() {
    term_.close();
    int_.close();
    usr1_.close();
  }

 private:
  void watch(uv_loop_t* loop, sg::UvHandle<uv_signal_t>& handle, int signo) {
    uv_signal_init(loop, handle.get());
    handle.get()->data = this;
    uv_signal_start(handle.get(), &Signals::onSignal, signo);
  }
  static void onSignal(uv_signal_t* handle, int signo) noexcept {
    auto* self = static_cast<Signals*>(handle->data);
    if (self == nullptr) return;
    if (signo == SIGUSR1) {
      self->on_reopen_();
    } else {
      self->on_terminate_();
    }
  }

  std::function<void()> on_terminate_;
  std::function<void()> on_reopen_;
  sg::UvHandle<uv_signal_t> term_, int_, usr1_;
};

// Lets the closed handles' callbacks run, then requires a clean loop.
void closeLoop(uv_loop_t* loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  if (uv_loop_close(loop) != 0) sg::log::get("main").warn("loop still had handles at exit");
}

std::string instanceId(const Arguments& args) {
  return args.instance_id.empty() ? "worker-" + sg::randomHex(6) : args.instance_id;
}

int runStandalone(const Arguments& args, const sg::ConfigPtr& config) {
  std::string instance = instanceId(args);
  std::string error;
  if (!sg::applyLogConfig(config->log, instance, &error)) {
    std::fprintf(stderr, "sg-worker: %s\n", error.c_str());
    return sg::kExitConfig;
  }
  uv_loop_t* loop = uv_default_loop();
  {
    sg::Worker worker(loop, instance, config);
    if (!worker.start(&error)) {
      sg::log::get("main").error("cannot start: {}", error);
      return sg::kExitConfig;
    }
    sg::log::get("main").info("sg-worker {} started as {}", SG_VERSION, instance);
    bool draining = false;
    Signals signals(
        loop,
        [&] {
          if (draining) return worker.stopNow();
          draining = true;
          sg::log::get("main").info("signal: draining");
          worker.drain([&signals] { signals.close(); });
        },
        [] { sg::log::reopen(); });
    uv_run(loop, UV_RUN_DEFAULT);
    sg::log::get("main").info("drained; exiting");
  }
  closeLoop(loop);
  return sg::kExitOk;
}

int runSupervised(const Arguments& args) {
  std::string instance = instanceId(args);
  uv_loop_t* loop = uv_default_loop();
  int status = sg::kExitOk;
  {
    sg::SupervisedWorker session(loop, instance);
    Signals signals(
        loop, [&session] { session.terminate(); }, [&session] { session.reopenLogs(); });
    session.onFinished([&signals] { signals.close(); });
    std::string error;
    if (session.open(args.control_fd, args.supervisor_pid, &error)) {
      uv_run(loop, UV_RUN_DEFAULT);
      status = session.exitStatus();
    } else {
      sg::log::get("main").error("{}: {}", instance, error);
      signals.close();
      status = sg::kExitFailure;
    }
  }
  closeLoop(loop);
  return status;
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
  signal(SIGPIPE, SIG_IGN);
  // Many concurrent LLM calls each hold a socket: use the whole allowance.
  sg::raiseFdLimit();
  if (args.control_fd >= 0) {
    // Under the supervisor the configuration comes whole over the pipe; a second source here
    // would silently disagree with what the supervisor validated and reports.
    if (!args.sources.file_path.empty() || !args.sources.cli.empty() || args.check_config) {
      std::fprintf(stderr, "sg-worker: --control-fd takes no configuration options\n");
      return sg::kExitUsage;
    }
    return runSupervised(args);
  }
  args.sources.environment = sg::environmentFromProcess();
  sg::ConfigResult built = sg::buildConfig(args.sources);
  if (!built.ok()) {
    std::fprintf(stderr, "sg-worker: configuration refused:\n%s\n", built.errorText().c_str());
    return sg::kExitConfig;
  }
  for (const auto& warning : built.warnings) {
    std::fprintf(stderr, "sg-worker: %s\n", warning.c_str());
  }
  if (args.check_config) {
    std::printf("%s\n", sg::renderEffective(*built.config).c_str());
    return sg::kExitOk;
  }
  return runStandalone(args, built.config);
}
