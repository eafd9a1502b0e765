// sd_notify from the supervisor's loop (see systemd_notifier.h).
#include "supervisor/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <ctime>

#include "common/log.h"

namespace sg {
namespace {

uint64_t monotonicUsec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return uint64_t(now.tv_sec) * 1'000'000 + uint64_t(now.tv_nsec) / 1000;
}

}  // namespace

SystemdNotifier::SystemdNotifier(uv_loop_t* loop) : watchdog_(loop) {}

void SystemdNotifier::start() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  watchdog_usec_ = usec;
  uint64_t period_ms = std::max<uint64_t>(usec / 2000, 1);
  log::get("sup").info("systemd watchdog: pinging every {} ms", period_ms);
  watchdog_.start(
      0, [this] { notify("WATCHDOG=1"); }, period_ms);
}

void SystemdNotifier::stop() {
  watchdog_.stop();
}

void SystemdNotifier::ready() {
  notify("READY=1");
}

// systemd (253+) wants the monotonic time of the reload's start with RELOADING=1.
void SystemdNotifier::reloading() {
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonicUsec()));
}

void SystemdNotifier::stopping() {
  notify("STOPPING=1");
}

void SystemdNotifier::status(std::string_view text) {
  if (text == last_status_) return;
  last_status_ = text;
  notify("STATUS=" + last_status_);
}

void SystemdNotifier::notify(const std::string& state) {
  int rc = sd_notify(0, state.c_str());
  if (rc < 0) log::get("sup").debug("sd_notify failed: {}", rc);
}

}  // namespace sg
