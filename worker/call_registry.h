// The calls an asynchronous client has in flight, by id, and the hand-over of finished ones to
// their owners on a later loop turn: a call that finishes inside a libcurl callback, a timer or
// even the method that started it is moved aside and delivered from a fresh timer callback, so
// that completions never run inside the client's own methods and a call is never destroyed from
// inside its own callbacks.
//
// It does not know what a call is beyond cancel(): the client gives the function that delivers one.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/life_token.h"
#include "common/uv_handle.h"

namespace sg {

template <typename Call>
class CallRegistry {
 public:
  // `deliver` gets each finished call, owning it; it runs on the loop, one call at a time.
  using Deliver = std::function<void(std::unique_ptr<Call> call)>;

  CallRegistry(uv_loop_t* loop, Deliver deliver)
      : dispatcher_(loop), deliver_(std::move(deliver)) {}

  uint64_t nextId() { return next_id_++; }
  Call* insert(uint64_t id, std::unique_ptr<Call> call) {
    Call* raw = call.get();
    calls_.emplace(id, std::move(call));
    return raw;
  }
  Call* find(uint64_t id) const {
    auto found = calls_.find(id);
    return found == calls_.end() ? nullptr : found->second.get();
  }
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> out;
    out.reserve(calls_.size());
    for (const auto& entry : calls_) out.push_back(entry.first);
    return out;
  }
  size_t size() const { return calls_.size(); }

  // Asks a call in flight to finish as cancelled (Call::cancel()); false when it is not in flight.
  bool cancel(uint64_t id) {
    Call* call = find(id);
    if (call == nullptr) return false;
    call->cancel();
    return true;
  }
  void cancelAll() {
    for (uint64_t id : ids()) cancel(id);
  }

  // The call has its result: deliver it on the next loop turn.
  void finished(uint64_t id) {
    auto found = calls_.find(id);
    if (found == calls_.end()) return;
    finished_.push_back(std::move(found->second));
    calls_.erase(found);
    if (!dispatcher_.active()) dispatcher_.start(0, [this] { deliverAll(); });
  }

  // Drops everything without delivering (the owner is going away).
  void clear() {
    calls_.clear();
    finished_.clear();
  }

 private:
  void deliverAll() {
    std::vector<std::unique_ptr<Call>> batch;
    batch.swap(finished_);  // calls finishing during delivery go to the next turn
    LifeToken::Watch alive = life_.watch();
    for (auto& call : batch) {
      // A delivery may destroy the owner, and this registry with it: stop there (the rest of
      // the batch goes with `batch`, undelivered, as clear() would drop it).
      if (alive.expired()) return;
      deliver_(std::move(call));
    }
  }

  Timer dispatcher_;
  Deliver deliver_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Call>> calls_;
  std::vector<std::unique_ptr<Call>> finished_;
  LifeToken life_;
};

}  // namespace sg
