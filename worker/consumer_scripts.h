// The consumer's Redis scripts (worker/lua/*.lua, embedded at build time by lua/embed.cmake).
// Each script is the shared prelude followed by its body; see lua/prelude.lua for the key layout
// and the ordering design, and sg-worker(8) for the operator's view. This file only holds the
// texts; consumer.cc and channel_drain.cc run them.
#pragma once

#include "common/redis_script.h"

namespace sg {

namespace lua {
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
extern const char* const queue_depths;
}  // namespace lua

struct ConsumerScripts {
  RedisScript read;
  RedisScript begin;
  RedisScript commit;
  RedisScript dead_letter;
  RedisScript publish;
  RedisScript renew;
  RedisScript release;
  RedisScript recover;
  RedisScript trim;
  RedisScript reap_consumers;
  RedisScript queue_depths;

  // Built once (SHA-1s computed at first use).
  static const ConsumerScripts& get();
};

}  // namespace sg
