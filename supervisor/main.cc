// sg-supervisor entry point: parses arguments, builds and validates the configuration (a bad one
// is refused with its key paths, exit 78), takes the pid file, then builds the Supervisor and runs
// its loop until it has drained. See sg-supervisor(8).
#include <signal.h>
#include <uv.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/config_loader.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "common/log_config.h"
#include "common/random.h"
#include "supervisor/pidfile.h"
#include "supervisor/supervisor.h"

namespace {

struct Arguments {
  sg::ConfigSources sources;
  std::string worker_binary;
  std::string instance_id;
  bool check_config = false;
  bool help = false;
  bool version = false;
};

sg::CliOption valueOption(std::string_view name, std::string_view argument, std::string_view help,
                          std::string* target) {
  return {name, argument, help, [target](std::string_view value, std::string* error) {
            if (value.empty()) {
              *error = "must not be empty";
              return false;
            }
            *target = value;
            return true;
          }};
}

std::vector<sg::CliOption> options(Arguments& args) {
  std::vector<std::string>* cli = &args.sources.cli;
  return {
      valueOption("config", "FILE", "configuration file (JSON); see stargazer.conf(5)",
                  &args.sources.file_path),
      sg::configKeyOption("workers", "N", "workers", "same as --set workers=N", cli),
      sg::configKeyOption("redis-url", "URL", "redis.url", "same as --set redis.url=URL", cli),
      sg::configKeyOption("health-listen", "HOST:PORT", "health.listen",
                          "same as --set health.listen=HOST:PORT", cli),
      sg::configKeyOption("pidfile", "PATH", "supervisor.pidfile",
                          "same as --set supervisor.pidfile=PATH", cli),
      sg::configKeyOption("log-level", "LEVEL", "log.level", "same as --set log.level=LEVEL", cli),
      sg::configKeyOption("log-format", "FORMAT", "log.format",
                          "same as --set log.format=FORMAT (text or json)", cli),
      sg::configSetOption(cli),
      valueOption("worker-binary", "PATH", "the sg-worker executable (default: beside this one)",
                  &args.worker_binary),
      valueOption("instance-id", "ID",
                  "this supervisor's id in the lease and liveness record (default "
                  "supervisor-<random hex>)",
                  &args.instance_id),
      sg::switchOption("check-config",
                       "validate, print the effective configuration (secrets masked), exit",
                       &args.check_config),
      sg::switchOption("help", "print this help and exit", &args.help),
      sg::switchOption("version", "print the version and exit", &args.version),
  };
}

// Reads the file once: the text validated here is the text the supervisor starts with.
bool readFile(Arguments& args) {
  if (args.sources.file_path.empty()) return true;
  std::string text;
  std::string error;
  if (!sg::readConfigFile(args.sources.file_path, &text, &error)) {
    std::fprintf(stderr, "sg-supervisor: configuration refused:\n%s\n", error.c_str());
    return false;
  }
  args.sources.file_text = std::move(text);
  return true;
}

int run(const Arguments& args, const sg::ConfigPtr& config) {
  sg::Pidfile pidfile;
  if (!config->supervisor.pidfile.empty()) {
    std::string error;
    if (pidfile.acquire(config->supervisor.pidfile, &error) != sg::Pidfile::Result::kAcquired) {
      sg::log::get("main").critical("{}", error);
      return sg::kExitPidfile;
    }
  }
  uv_loop_t* loop = uv_default_loop();
  int status = sg::kExitOk;
  {
    sg::SupervisorOptions options;
    options.sources = args.sources;
    options.config = config;
    options.worker_executable = args.worker_binary;
    options.instance_id = args.instance_id;
    sg::Supervisor supervisor(loop, std::move(options));
    std::string error;
    if (supervisor.start(&error)) {
      uv_run(loop, UV_RUN_DEFAULT);
      status = supervisor.exitStatus();
    } else {
      sg::log::get("main").critical("cannot start: {}", error);
      status = sg::kExitFailure;
    }
  }
  // Let the closed handles' callbacks run, then require a clean loop.
  uv_run(loop, UV_RUN_DEFAULT);
  if (uv_loop_close(loop) != 0) sg::log::get("main").warn("loop still had handles at exit");
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  auto table = options(args);
  std::string error = sg::parseCli(argc, argv, table);
  if (!error.empty()) {
    std::fprintf(stderr, "sg-supervisor: %s\n%s", error.c_str(),
                 sg::cliUsage("sg-supervisor", "--config FILE [OPTIONS]", table).c_str());
    return sg::kExitUsage;
  }
  if (args.help) {
    std::printf("%s", sg::cliUsage("sg-supervisor", "--config FILE [OPTIONS]", table).c_str());
    return sg::kExitOk;
  }
  if (args.version) {
    std::printf("sg-supervisor %s\n", SG_VERSION);
    return sg::kExitOk;
  }
  args.sources.environment = sg::environmentFromProcess();
  if (!readFile(args)) return sg::kExitConfig;
  sg::ConfigResult built = sg::buildConfig(args.sources);
  if (!built.ok()) {
    std::fprintf(stderr, "sg-supervisor: configuration refused:\n%s\n", built.errorText().c_str());
    return sg::kExitConfig;
  }
  for (const auto& warning : built.warnings) {
    std::fprintf(stderr, "sg-supervisor: %s\n", warning.c_str());
  }
  if (args.check_config) {
    std::printf("%s", sg::renderEffective(*built.config).c_str());
    std::fprintf(stderr,
                 "sg-supervisor: configuration OK (Redis overrides, %s, are applied at run "
                 "time and not shown)\n",
                 "sg:config:overrides");
    return sg::kExitOk;
  }
  if (args.instance_id.empty()) args.instance_id = "supervisor-" + sg::randomHex(6);
  if (!sg::applyLogConfig(built.config->log, args.instance_id, &error)) {
    std::fprintf(stderr, "sg-supervisor: %s\n", error.c_str());
    return sg::kExitConfig;
  }
  signal(SIGPIPE, SIG_IGN);
  return run(args, built.config);
}
