// The consumer's Redis scripts (worker/lua/*.lua, embedded at build time by lua/embed.cmake).
// Each script is the shared prelude followed by its body; see lua/prelude.lua for the key layout
// and the ordering design, and sg-worker(8) for the operator's view.
#pragma once

namespace sg::lua {
extern const char* const prelude;
extern const char* const read;
extern const char* const begin;
extern const char* const commit;
extern const char* const dead_letter;
extern const char* const publish;
extern const char* const renew;
extern const char* const release;
extern const char* const recover;
extern const char* const trim;
extern const char* const reap_consumers;
}  // namespace sg::lua
