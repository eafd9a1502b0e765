// The seam between the consumer and the message processor.
//
// The consumer owns the order and the fencing: for each inbound entry it hands a ProcessJob to a
// MessageProcessor and, when the job finishes, commits the job's lasting actions atomically with
// the acknowledgement (worker/lua/commit.lua). The processor owns what to answer. A processor
// never writes to Redis streams itself: transient actions go out through ProcessJob::publishNow,
// which is fenced on the channel lock too.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/bus_codec.h"
#include "common/bus_types.h"
#include "common/metrics_report.h"

namespace sg {

enum class ProcessStatus {
  kDone,    // finished: commit `actions` (possibly none: a message not addressed to the bot)
  kFailed,  // could not process: retry later (counts a delivery; dead letter after the maximum)
};

struct ProcessResult {
  ProcessStatus status = ProcessStatus::kDone;
  std::vector<std::string> actions;  // encoded lasting actions, in the order they are to happen
  std::string outcome = "answered";  // for metrics and logs: answered, ignored, apologized, ...
  std::string error;                 // why, when kFailed
};

// What fences a job's own Redis writes (history): the channel lock and the token under which the
// consumer holds it. Empty when there is no lock (unit tests): the writes are then not fenced.
struct Fence {
  std::string lock_key;
  std::string token;
};

// One entry being processed. Shared by the consumer and the processor's pending callbacks; the
// consumer detaches (cancels) it when the channel lock is lost or the worker stops, after which
// finish() and publishNow() are ignored. Callbacks run on the worker's loop.
class ProcessJob {
 public:
  using FinishCallback = std::function<void(ProcessResult)>;
  using PublishFn = std::function<void(std::vector<std::string> payloads,
                                       std::function<void(bool ok)> done)>;

  ProcessJob(Envelope envelope, std::string worker_id, unsigned attempt, FinishCallback on_finish,
             PublishFn publish)
      : envelope_(std::move(envelope)),
        worker_id_(std::move(worker_id)),
        attempt_(attempt),
        on_finish_(std::move(on_finish)),
        publish_(std::move(publish)) {}

  const Envelope& envelope() const { return envelope_; }
  const Fence& fence() const { return fence_; }
  void setFence(Fence fence) { fence_ = std::move(fence); }
  const std::string& workerId() const { return worker_id_; }
  unsigned attempt() const { return attempt_; }  // 1 for the first delivery
  bool cancelled() const { return cancelled_; }

  // `<event_id>:<n>` for the next lasting action of this event (send_message, send_file,
  // add_reaction); a redelivery produces the same sequence.
  std::string nextLastingActionId() { return lastingActionId(envelope_.event_id, lasting_++); }
  // `<event_id>:<kind>:<k>` for a transient action (typing, edit_message, rpc_request).
  // Numbered per kind and per delivery: k = 100000 × (delivery − 1) + n (typing:0, typing:1,
  // rpc:0; after a redelivery rpc:100000, ...). A Gateway that drops duplicate action ids must
  // not drop the gateway calls of a redelivered entry, whose replies it is waiting for.
  std::string nextTransientActionId(std::string_view kind) {
    auto found = transient_.find(kind);
    if (found == transient_.end()) found = transient_.emplace(std::string(kind), 0).first;
    uint32_t k = 100000 * (attempt_ > 0 ? attempt_ - 1 : 0) + found->second++;
    return transientActionId(envelope_.event_id, kind, k);
  }

  // Publishes transient actions now, fenced on the channel lock; `done(false)` when the lock
  // was lost or Redis failed (the job will be cancelled in the first case).
  void publishNow(std::vector<std::string> payloads, std::function<void(bool ok)> done = {}) {
    if (cancelled_ || !publish_) {
      if (done) done(false);
      return;
    }
    publish_(std::move(payloads), std::move(done));
  }

  // Completes the job exactly once; later calls and calls after cancel() are ignored.
  void finish(ProcessResult result) {
    if (cancelled_ || !on_finish_) return;
    auto callback = std::move(on_finish_);
    on_finish_ = nullptr;
    publish_ = nullptr;
    callback(std::move(result));
  }

  // Called by the processor to learn of cancellation (to stop LLM calls, timers...).
  void onCancel(std::function<void()> callback) { on_cancel_ = std::move(callback); }

  // Called by the consumer.
  void cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    on_finish_ = nullptr;
    publish_ = nullptr;
    if (auto callback = std::move(on_cancel_)) callback();
  }

 private:
  Envelope envelope_;
  Fence fence_;
  std::string worker_id_;
  unsigned attempt_;
  FinishCallback on_finish_;
  PublishFn publish_;
  std::function<void()> on_cancel_;
  bool cancelled_ = false;
  uint32_t lasting_ = 0;
  std::map<std::string, uint32_t, std::less<>> transient_;
};

class MessageProcessor {
 public:
  virtual ~MessageProcessor() = default;
  // Starts processing; must not call job->finish() synchronously from inside this call.
  virtual void process(std::shared_ptr<ProcessJob> job) = 0;
  // Adds the processor's metrics (LLM calls by outcome, latency histograms, tokens...) to the
  // worker's periodic report; the supervisor exports every family it finds (metrics_report.h).
  virtual void reportMetrics(MetricsReport& report) const { (void)report; }
};

}  // namespace sg
