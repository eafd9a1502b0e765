// Lua scripts named by their SHA-1, as Redis names them (see redis_script.h).
#include "common/redis_script.h"

#include "common/sha1.h"

namespace sg {

RedisScript::RedisScript(std::string source) {
  std::string sha1 = sha1Hex(source);
  data_ = std::make_shared<const Data>(Data{std::move(source), std::move(sha1)});
}

}  // namespace sg
