// The supervisor's signals, watched with uv_signal_t: the C-level handler (libuv's) only notes the
// signal, and the callback here runs later on the loop, where the work happens. This file maps
// signals to what they ask for; it does not act on them (the supervisor does).
//
//   SIGTERM, SIGINT  drain (a second one: stop at once)   SIGHUP   reload the configuration
//   SIGTTIN          one worker more                       SIGTTOU  one worker fewer
//   SIGUSR1          reopen log files
#pragma once

#include <uv.h>

#include <functional>
#include <string_view>
#include <vector>

#include "common/uv_handle.h"

namespace sg {

enum class SupervisorSignal { kTerminate, kReload, kMoreWorkers, kFewerWorkers, kReopenLogs };

std::string_view supervisorSignalName(SupervisorSignal signal);

class SignalWatcher {
 public:
  // `signum` is the signal received; `count` how many of that kind (kTerminate counts SIGTERM and
  // SIGINT together) have arrived since start(), so a second termination request can be told apart.
  using Callback = std::function<void(SupervisorSignal signal, int signum, unsigned count)>;

  SignalWatcher(uv_loop_t* loop, Callback callback);
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Watches the six signals. Returns 0 or the first libuv error (then none is watched).
  [[nodiscard]] int start();
  // Stops watching; the signals get their default dispositions back. No callback afterwards.
  void stop();

 private:
  struct Watch {
    UvHandle<uv_signal_t> handle;
    SupervisorSignal kind;
  };
  static void onSignal(uv_signal_t* handle, int signum) noexcept;

  uv_loop_t* loop_;
  Callback callback_;
  std::vector<Watch> watches_;
  unsigned counts_[5] = {};
};

}  // namespace sg
