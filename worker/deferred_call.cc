// deferCall: a self-freeing zero-delay timer (see deferred_call.h).
#include "worker/deferred_call.h"

#include <memory>

namespace sg {
namespace {

struct Deferred {
  uv_timer_t timer;
  std::function<void()> fn;
};

void onDeferred(uv_timer_t* timer) noexcept {
  auto* deferred = static_cast<Deferred*>(timer->data);
  std::function<void()> fn = std::move(deferred->fn);
  uv_close(reinterpret_cast<uv_handle_t*>(timer),
           [](uv_handle_t* handle) { delete static_cast<Deferred*>(handle->data); });
  if (fn) fn();
}

}  // namespace

void deferCall(uv_loop_t* loop, std::function<void()> fn) {
  auto* deferred = new Deferred{};
  deferred->fn = std::move(fn);
  uv_timer_init(loop, &deferred->timer);
  deferred->timer.data = deferred;
  uv_timer_start(&deferred->timer, &onDeferred, 0, 0);
}

}  // namespace sg
