// The supervisor's signals (see signals.h).
#include "supervisor/signals.h"

#include <signal.h>

#include <iterator>
#include <utility>

namespace sg {
namespace {

constexpr std::pair<int, SupervisorSignal> kSignals[] = {
    {SIGTERM, SupervisorSignal::kTerminate},    {SIGINT, SupervisorSignal::kTerminate},
    {SIGHUP, SupervisorSignal::kReload},        {SIGTTIN, SupervisorSignal::kMoreWorkers},
    {SIGTTOU, SupervisorSignal::kFewerWorkers}, {SIGUSR1, SupervisorSignal::kReopenLogs},
};

}  // namespace

std::string_view supervisorSignalName(SupervisorSignal signal) {
  switch (signal) {
    case SupervisorSignal::kTerminate:
      return "terminate";
    case SupervisorSignal::kReload:
      return "reload";
    case SupervisorSignal::kMoreWorkers:
      return "more_workers";
    case SupervisorSignal::kFewerWorkers:
      return "fewer_workers";
    case SupervisorSignal::kReopenLogs:
      return "reopen_logs";
  }
  return "unknown";
}

SignalWatcher::SignalWatcher(uv_loop_t* loop, Callback callback)
    : loop_(loop), callback_(std::move(callback)) {}

int SignalWatcher::start() {
  if (!watches_.empty()) return UV_EALREADY;
  watches_.reserve(std::size(kSignals));
  for (const auto& [signum, kind] : kSignals) {
    Watch& watch = watches_.emplace_back(Watch{UvHandle<uv_signal_t>(), kind});
    uv_signal_init(loop_, watch.handle.get());
    watch.handle.get()->data = this;
    int rc = uv_signal_start(watch.handle.get(), &SignalWatcher::onSignal, signum);
    if (rc != 0) {
      stop();
      return rc;
    }
  }
  return 0;
}

void SignalWatcher::stop() {
  watches_.clear();
}  // each UvHandle closes its signal handle

void SignalWatcher::onSignal(uv_signal_t* handle, int signum) noexcept {
  auto* self = static_cast<SignalWatcher*>(handle->data);
  if (self == nullptr) return;
  for (const auto& [known, kind] : kSignals) {
    if (known != signum) continue;
    unsigned count = ++self->counts_[static_cast<int>(kind)];
    if (self->callback_) self->callback_(kind, signum, count);
    return;
  }
}

}  // namespace sg
