// runSoon: runs a function once on a later turn of a libuv loop, for asynchronous APIs whose
// contract is "never completes inside the call that started it" and that own no handle of their
// own to defer with (tool handlers, small helpers). Each call costs one short-lived timer handle
// that frees itself; an owner with many completions should batch them (CallRegistry) instead.
#pragma once

#include <uv.h>

#include <functional>

namespace sg {

// `callback` runs once, from a timer callback of `loop`, never inside runSoon(). It and what it
// captures live until then: a loop that is closed without being run again leaks them (and
// uv_loop_close() reports the handle), as with any pending handle.
void runSoon(uv_loop_t* loop, std::function<void()> callback);

}  // namespace sg
