// sg-test-fake-worker: a stand-in for sg-worker in the supervisor's tests. It speaks the control
// pipe through the real SupervisorLink and misbehaves on request, so that tests can watch the
// supervisor's side react to real processes. It consumes nothing and talks to no Redis.
//
// Flags (after the supervisor's --control-fd, --instance-id, --supervisor-pid):
//   --stats-interval-ms N   report stats every N ms (default 100); stats echo the last config
//   --exit-at-start CODE    exit with CODE before opening the pipe           } faults, applied
//   --crash-after-ms N      raise SIGSEGV N ms after ready                   } only while the
//   --hang-after-ms N       block forever (no reports) N ms after ready      } fault budget lasts
//   --abort-marker PATH     while hung, catch SIGABRT, note it in PATH and keep hanging
//   --fault-budget PATH:N   apply the faults only to the first N starts (counted in PATH)
//   --drain-delay-ms N      on drain, exit 0 after N ms (default 0)
//   --ignore-drain          on drain, never exit (a fault: subject to the budget)
//   --orphan-marker PATH    when orphaned, write the reason to PATH before exiting
// Exits with _exit(): a test double need not unwind, and LeakSanitizer must not judge it.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "common/json.h"
#include "common/uv_handle.h"
#include "worker/supervisor_link.h"

namespace {

struct Flags {
  int control_fd = -1;
  std::string instance_id;
  pid_t supervisor_pid = 0;
  uint32_t stats_interval_ms = 100;
  int exit_at_start = -1;
  int64_t crash_after_ms = -1;
  int64_t hang_after_ms = -1;
  std::string abort_marker;
  std::string fault_file;
  unsigned fault_budget = 0;
  int64_t drain_delay_ms = 0;
  bool ignore_drain = false;
  std::string orphan_marker;
};

[[noreturn]] void usage(const char* what) {
  std::fprintf(stderr, "sg-test-fake-worker: bad arguments (%s)\n", what);
  _exit(64);
}

void parseBudget(const std::string& value, Flags& flags) {
  size_t colon = value.rfind(':');
  if (colon == std::string::npos) usage("--fault-budget PATH:N");
  flags.fault_file = value.substr(0, colon);
  flags.fault_budget = static_cast<unsigned>(std::stoul(value.substr(colon + 1)));
}

Flags parseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--ignore-drain") {
      flags.ignore_drain = true;
      continue;
    }
    if (i + 1 >= argc) usage(name.c_str());
    std::string value = argv[++i];
    if (name == "--control-fd")
      flags.control_fd = std::stoi(value);
    else if (name == "--instance-id")
      flags.instance_id = value;
    else if (name == "--supervisor-pid")
      flags.supervisor_pid = std::stoi(value);
    else if (name == "--stats-interval-ms")
      flags.stats_interval_ms = std::stoul(value);
    else if (name == "--exit-at-start")
      flags.exit_at_start = std::stoi(value);
    else if (name == "--crash-after-ms")
      flags.crash_after_ms = std::stoll(value);
    else if (name == "--hang-after-ms")
      flags.hang_after_ms = std::stoll(value);
    else if (name == "--abort-marker")
      flags.abort_marker = value;
    else if (name == "--fault-budget")
      parseBudget(value, flags);
    else if (name == "--drain-delay-ms")
      flags.drain_delay_ms = std::stoll(value);
    else if (name == "--orphan-marker")
      flags.orphan_marker = value;
    else
      usage(name.c_str());
  }
  if (flags.control_fd < 0 || flags.instance_id.empty()) usage("--control-fd and --instance-id");
  return flags;
}

// True while the fault budget lasts (each faulty start appends a line to the budget file).
bool faultApplies(const Flags& flags) {
  if (flags.fault_file.empty()) return true;
  std::ifstream in(flags.fault_file);
  unsigned used = 0;
  for (std::string line; std::getline(in, line);) ++used;
  if (used >= flags.fault_budget) return false;
  std::ofstream(flags.fault_file, std::ios::app) << "fault\n";
  return true;
}

int g_abort_marker_fd = -1;

void onAbort(int) {
  static const char kNote[] = "SIGABRT\n";
  ssize_t ignored = write(g_abort_marker_fd, kNote, sizeof kNote - 1);
  (void)ignored;
}

[[noreturn]] void hangForever(const Flags& flags) {
  if (!flags.abort_marker.empty()) {
    g_abort_marker_fd = ::open(flags.abort_marker.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    struct sigaction action {};
    action.sa_handler = onAbort;
    sigaction(SIGABRT, &action, nullptr);
  }
  for (;;) pause();  // the loop is stuck: no more reports
}

[[noreturn]] void crash() {
  ::signal(SIGSEGV, SIG_DFL);  // a real default death, even under a sanitizer's handler
  raise(SIGSEGV);
  _exit(99);
}

class FakeWorker {
 public:
  FakeWorker(uv_loop_t* loop, Flags flags, bool faulty)
      : flags_(std::move(flags)),
        faulty_(faulty),
        link_(loop, callbacks()),
        fault_timer_(loop),
        drain_timer_(loop) {}

  void open() {
    std::string error;
    if (!link_.open(flags_.control_fd, flags_.supervisor_pid, &error)) {
      std::fprintf(stderr, "fake worker %s: %s\n", flags_.instance_id.c_str(), error.c_str());
      _exit(1);
    }
  }

 private:
  sg::SupervisorLink::Callbacks callbacks() {
    sg::SupervisorLink::Callbacks callbacks;
    callbacks.onConfig = [this](const cJSON& config) { onConfig(config); };
    callbacks.onDrain = [this](uint32_t) { onDrain(); };
    callbacks.onStop = [] { _exit(0); };
    callbacks.onReopenLogs = [this] { ++reopened_; };
    callbacks.onOrphaned = [this](const std::string& reason) { onOrphaned(reason); };
    return callbacks;
  }

  void onConfig(const cJSON& config) {
    config_ = sg::copyJson(&config);
    ++configs_;
    if (ready_) return;
    ready_ = true;
    if (!link_.sendReady(flags_.instance_id, SG_VERSION)) return;
    link_.startReporting(flags_.stats_interval_ms, [this] { return stats(); });
    armFaults();
  }

  void armFaults() {
    if (!faulty_) return;
    if (flags_.crash_after_ms >= 0) fault_timer_.start(flags_.crash_after_ms, [] { crash(); });
    if (flags_.hang_after_ms >= 0) {
      fault_timer_.start(flags_.hang_after_ms, [this] { hangForever(flags_); });
    }
  }

  sg::JsonPtr stats() {
    sg::JsonPtr stats(cJSON_CreateObject());
    cJSON_AddNumberToObject(stats.get(), "received", configs_);
    cJSON_AddNumberToObject(stats.get(), "processed", ++reports_);
    cJSON_AddNumberToObject(stats.get(), "inflight", 0);
    cJSON_AddNumberToObject(stats.get(), "reopened_logs", reopened_);
    if (config_) cJSON_AddItemToObject(stats.get(), "config", sg::copyJson(config_.get()).release());
    return stats;
  }

  void onDrain() {
    if (!link_.sendDraining() || (faulty_ && flags_.ignore_drain)) return;
    drain_timer_.start(flags_.drain_delay_ms, [this] {
      link_.sendStopped();
      _exit(0);
    });
  }

  void onOrphaned(const std::string& reason) {
    if (!flags_.orphan_marker.empty()) std::ofstream(flags_.orphan_marker) << reason << "\n";
    std::fprintf(stderr, "fake worker %s orphaned: %s\n", flags_.instance_id.c_str(),
                 reason.c_str());
    _exit(0);
  }

  Flags flags_;
  bool faulty_;
  sg::SupervisorLink link_;
  sg::Timer fault_timer_;
  sg::Timer drain_timer_;
  sg::JsonPtr config_;
  bool ready_ = false;
  int configs_ = 0;
  int reports_ = 0;
  int reopened_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags = parseFlags(argc, argv);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);  // tests crash it on purpose: leave no core files behind
  bool faulty = faultApplies(flags);
  if (faulty && flags.exit_at_start >= 0) _exit(flags.exit_at_start);
  uv_loop_t loop;
  uv_loop_init(&loop);
  FakeWorker worker(&loop, flags, faulty);
  worker.open();
  uv_run(&loop, UV_RUN_DEFAULT);
  _exit(0);
}
