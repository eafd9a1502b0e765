// The shared fixture itself: a real redis-server starts on a free port, answers, and is gone
// after the fixture is destroyed.
#include <gtest/gtest.h>

#include "support/redis_server.h"

namespace sg::test {
namespace {

TEST(RedisFixture, StartsAnswersAndStops) {
  int port = -1;
  {
    RedisServer server;
    ASSERT_TRUE(server.ok()) << server.logText();
    port = server.port();
    auto redis = server.client();
    EXPECT_EQ(redis->string({"SET", "k", "v"}), "OK");
    EXPECT_EQ(redis->string({"GET", "k"}), "v");
  }
  SyncRedis after(port);
  EXPECT_FALSE(after.connected() && after.string({"PING"}) == "PONG");
}

TEST(RedisFixture, RestartComesBackEmpty) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  server.client()->command({"SET", "k", "v"});
  ASSERT_TRUE(server.restart());
  EXPECT_EQ(server.client()->integer({"EXISTS", "k"}), 0);
}

}  // namespace
}  // namespace sg::test
