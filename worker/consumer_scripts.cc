// Assembles each consumer script from the shared prelude and its body (see consumer_scripts.h).
#include "worker/consumer_scripts.h"

#include <string>

namespace sg {
namespace {

RedisScript withPrelude(const char* body) { return RedisScript(std::string(lua::prelude) + body); }

}  // namespace

const ConsumerScripts& ConsumerScripts::get() {
  static const ConsumerScripts scripts{
      withPrelude(lua::read),        withPrelude(lua::begin),   withPrelude(lua::commit),
      withPrelude(lua::dead_letter), withPrelude(lua::publish), withPrelude(lua::renew),
      withPrelude(lua::release),     withPrelude(lua::recover), withPrelude(lua::trim),
      withPrelude(lua::reap_consumers), withPrelude(lua::queue_depths)};
  return scripts;
}

}  // namespace sg
