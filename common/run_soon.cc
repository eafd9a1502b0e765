// runSoon: a self-freeing zero timer (see run_soon.h).
#include "common/run_soon.h"

namespace sg {
namespace {

struct Soon {
  uv_timer_t timer;
  std::function<void()> callback;
};

void onClosed(uv_handle_t* handle) noexcept {
  delete static_cast<Soon*>(handle->data);
}

void onTimer(uv_timer_t* timer) noexcept {
  auto* soon = static_cast<Soon*>(timer->data);
  std::function<void()> callback = std::move(soon->callback);
  uv_close(reinterpret_cast<uv_handle_t*>(timer), onClosed);
  if (callback) callback();
}

}  // namespace

void runSoon(uv_loop_t* loop, std::function<void()> callback) {
  auto* soon = new Soon{};
  soon->callback = std::move(callback);
  uv_timer_init(loop, &soon->timer);
  soon->timer.data = soon;
  uv_timer_start(&soon->timer, onTimer, 0, 0);
}

}  // namespace sg
