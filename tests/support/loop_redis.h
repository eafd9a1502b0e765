// Test helper: a RedisClient on a TestLoop, connected to a RedisServer before the constructor
// returns (check connected()), and stopped on destruction with the loop run until its commands
// completed, so that the test can then assert the loop closes cleanly.
#pragma once

#include <memory>

#include "common/redis_client.h"
#include "support/redis_server.h"
#include "support/test_loop.h"

namespace sg::test {

class LoopRedis {
 public:
  LoopRedis(TestLoop& loop, const RedisServer& server);
  ~LoopRedis();
  LoopRedis(const LoopRedis&) = delete;
  LoopRedis& operator=(const LoopRedis&) = delete;

  bool connected() const { return client_->connected(); }
  RedisClient& client() { return *client_; }

 private:
  TestLoop& loop_;
  std::unique_ptr<RedisClient> client_;
};

}  // namespace sg::test
