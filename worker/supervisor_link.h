// The worker's end of the control pipe: opens the descriptor the supervisor passed (fd 3), makes
// sure the worker cannot outlive the supervisor, turns incoming messages into callbacks and sends
// ready, periodic stats and errors back.
//
// Orphan detection has three layers: PR_SET_PDEATHSIG(SIGTERM) for a supervisor that dies later;
// a getppid() check right after it, for one that died before the prctl took effect; end of file
// (or any failure) on the pipe, reported through onOrphaned. This file does not decide what the
// worker does about any of them, and it does not parse the worker's command line.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/control_pipe.h"
#include "common/json.h"
#include "common/uv_handle.h"

namespace sg {

class SupervisorLink {
 public:
  // All run on the loop. The owner may close() or destroy the link from inside any of them.
  struct Callbacks {
    std::function<void(const cJSON& config)> onConfig;  // the full effective configuration
    // Stop reading, finish in-flight work within deadline_ms, exit 0. A deadline of 0 means the
    // message carried none: use the configured shutdown.drain_s.
    std::function<void(uint32_t deadline_ms)> onDrain;
    std::function<void()> onStop;  // exit now
    std::function<void()> onReopenLogs;
    std::function<void(const std::string& reason)> onOrphaned;  // once: the supervisor is gone
  };

  SupervisorLink(uv_loop_t* loop, Callbacks callbacks, ControlPipeOptions options = {});
  SupervisorLink(const SupervisorLink&) = delete;
  SupervisorLink& operator=(const SupervisorLink&) = delete;

  // Arms PR_SET_PDEATHSIG(SIGTERM) and checks that the parent is still `supervisor_pid`, then
  // adopts `fd` and starts reading. `supervisor_pid` <= 0 skips the parent checks (a worker run by
  // hand). False, with `*error`, when the supervisor is already gone or the fd cannot be used.
  [[nodiscard]] bool open(int fd, pid_t supervisor_pid, std::string* error);

  // Sends return false once the pipe has failed (onOrphaned has been or will be called).
  bool sendReady(const std::string& instance_id, const std::string& version);
  bool sendStats(JsonPtr stats);
  bool sendError(std::string_view message);
  bool sendDraining();
  bool sendStopped();

  // Sends `collect()` as stats now and then every interval_ms. The supervisor's liveness check
  // relies on these, so they come from this loop's timer: a blocked loop stops them.
  void startReporting(uint32_t interval_ms, std::function<JsonPtr()> collect);
  void stopReporting() { report_timer_.stop(); }

  void close();
  bool isOpen() const { return pipe_.isOpen(); }

 private:
  void onMessage(control::Message message);
  void onClose(ControlPipe::CloseReason reason, const std::string& detail);
  void onConfigMessage(const control::Message& message);
  void onDrainMessage(const control::Message& message);
  void orphaned(const std::string& reason);
  bool send(JsonPtr message);
  void report();

  Callbacks callbacks_;
  ControlPipe pipe_;
  Timer report_timer_;
  std::function<JsonPtr()> collect_;
  bool orphaned_ = false;
};

}  // namespace sg
