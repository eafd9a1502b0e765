// RedisScript: a Lua script and its SHA-1, computed locally, so that RedisClient::evalScript()
// can run it with EVALSHA and fall back to EVAL when the server does not know it (NOSCRIPT: a
// restart or SCRIPT FLUSH emptied the script cache). Immutable and cheap to copy (shared text):
// in-flight calls keep their own reference, so a script may be destroyed while one runs.
#pragma once

#include <memory>
#include <string>

namespace sg {

class RedisScript {
 public:
  explicit RedisScript(std::string source);

  const std::string& source() const { return data_->source; }
  const std::string& sha1() const { return data_->sha1; }  // 40 lowercase hex characters

 private:
  struct Data {
    std::string source;
    std::string sha1;
  };
  std::shared_ptr<const Data> data_;
};

}  // namespace sg
