// Tells systemd (Type=notify) what the supervisor is doing: READY=1, RELOADING=1 with
// MONOTONIC_USEC, STOPPING=1, a one-line STATUS=, and watchdog pings from a timer on the loop when
// the unit sets WatchdogSec= (so a stuck loop stops the pings and systemd restarts us). Outside
// systemd (no NOTIFY_SOCKET) every call is a cheap no-op. Nothing here decides when to notify.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/uv_handle.h"

namespace sg {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(uv_loop_t* loop);

  // Starts the watchdog pings (every half of WATCHDOG_USEC) when systemd asked for them.
  void start();
  void stop();

  void ready();
  void reloading();
  void stopping();
  // STATUS=<text>, sent only when it changed.
  void status(std::string_view text);

  uint64_t watchdogUsec() const { return watchdog_usec_; }

 private:
  void notify(const std::string& state);

  Timer watchdog_;
  uint64_t watchdog_usec_ = 0;
  std::string last_status_;
};

}  // namespace sg
