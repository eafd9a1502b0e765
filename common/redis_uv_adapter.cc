// hiredis event hooks over a uv_poll_t (see redis_uv_adapter.h).
//
// The poll state is a C-owned block: hiredis holds it in ev.data and calls cleanup() exactly
// once when it frees the context; cleanup closes the handle and the close callback frees the
// block, so that a poll event libuv still delivers finds `context` null and does nothing.
#include "common/redis_uv_adapter.h"

namespace sg {
namespace {

struct PollState {
  uv_poll_t handle;
  redisAsyncContext* context = nullptr;  // null once hiredis has freed (is freeing) it
  int events = 0;                        // UV_READABLE | UV_WRITABLE wanted by hiredis
};

void onPoll(uv_poll_t* handle, int status, int events) noexcept {
  auto* state = static_cast<PollState*>(handle->data);
  // On a poll error libuv has stopped the handle: let hiredis try what it was waiting for, so
  // that it reads the socket error (connect refused, reset) and tears the context down.
  int ready = status < 0 ? state->events : events;
  if (state->context != nullptr && (ready & UV_READABLE)) redisAsyncHandleRead(state->context);
  if (state->context != nullptr && (ready & UV_WRITABLE)) redisAsyncHandleWrite(state->context);
  if (status < 0 && state->context != nullptr && state->events != 0) {
    uv_poll_start(&state->handle, state->events, onPoll);  // still alive: keep watching
  }
}

void update(PollState* state, int events) {
  if (state->context == nullptr) return;
  state->events = events;
  if (events != 0) {
    uv_poll_start(&state->handle, events, onPoll);
  } else {
    uv_poll_stop(&state->handle);
  }
}

void addRead(void* data) {
  auto* state = static_cast<PollState*>(data);
  update(state, state->events | UV_READABLE);
}

void delRead(void* data) {
  auto* state = static_cast<PollState*>(data);
  update(state, state->events & ~UV_READABLE);
}

void addWrite(void* data) {
  auto* state = static_cast<PollState*>(data);
  update(state, state->events | UV_WRITABLE);
}

void delWrite(void* data) {
  auto* state = static_cast<PollState*>(data);
  update(state, state->events & ~UV_WRITABLE);
}

void cleanup(void* data) {
  auto* state = static_cast<PollState*>(data);
  if (state->context == nullptr) return;
  state->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&state->handle),
           [](uv_handle_t* handle) { delete static_cast<PollState*>(handle->data); });
}

}  // namespace

bool attachRedisToLoop(redisAsyncContext* context, uv_loop_t* loop) {
  if (context->ev.data != nullptr) return false;
  auto* state = new PollState();
  if (uv_poll_init(loop, &state->handle, context->c.fd) != 0) {
    delete state;  // never initialised: nothing for libuv to close
    return false;
  }
  state->handle.data = state;
  state->context = context;
  context->ev.data = state;
  context->ev.addRead = addRead;
  context->ev.delRead = delRead;
  context->ev.addWrite = addWrite;
  context->ev.delWrite = delWrite;
  context->ev.cleanup = cleanup;
  return true;
}

}  // namespace sg
