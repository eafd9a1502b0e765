// deferCall: runs a function on a later turn of the loop, for asynchronous interfaces that must
// never complete from inside the call that started them (a refused tool call, a job that needs
// no I/O). A zero-delay timer that frees itself after running; the function must guard its own
// captures (a weak pointer, a LifeToken), since its owner may be gone by then.
#pragma once

#include <uv.h>

#include <functional>

namespace sg {

void deferCall(uv_loop_t* loop, std::function<void()> fn);

}  // namespace sg
