// Drives a hiredis async context from a libuv loop: hiredis's read/write interest becomes a
// uv_poll_t on the context's socket.
//
// Why not <hiredis/adapters/libuv.h>: in Debian's hiredis 0.14.1 its poll callback returns on a
// poll error (libuv reports POLLERR, e.g. a refused connect or a reset socket, as a status and
// stops the handle), so hiredis never learns of the error and the connection hangs silently
// until something else times out: forever for an idle subscriber. Upstream fixed it later
// (hiredis PR #624); this adapter does the same by letting hiredis read or write the socket and
// find the error itself. It does not own the context: hiredis calls cleanup when it frees it.
#pragma once

#include <hiredis/async.h>
#include <uv.h>

namespace sg {

// Attaches `context` (not yet attached) to `loop`. False if the poll handle cannot be set up;
// the caller then frees the context with redisAsyncFree().
[[nodiscard]] bool attachRedisToLoop(redisAsyncContext* context, uv_loop_t* loop);

}  // namespace sg
