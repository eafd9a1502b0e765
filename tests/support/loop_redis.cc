// A connected RedisClient for loop-driven tests (see loop_redis.h).
#include "support/loop_redis.h"

namespace sg::test {

LoopRedis::LoopRedis(TestLoop& loop, const RedisServer& server) : loop_(loop) {
  RedisClient::Options options;
  options.redis.url = server.url();
  options.name = "sg-test";
  client_ = std::make_unique<RedisClient>(loop.get(), options);
  if (client_->start()) loop.runUntil([&] { return client_->connected(); });
}

LoopRedis::~LoopRedis() {
  bool stopped = false;
  client_->stop([&] { stopped = true; });
  loop_.runUntil([&] { return stopped; });
  client_.reset();
}

}  // namespace sg::test
