// The status lease against a real redis-server: one leader among several, a fast takeover after a
// release, the lease given back on release, and, when renewals stall, stepping down while the
// lease still has time left in Redis (never acting as leader on an expired lease). Presence
// publication by the leader only, fenced on the lease.
#include "supervisor/status_leader.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/config.h"
#include "supervisor/status_manager.h"
#include "support/bus_fixture.h"
#include "support/redis_server.h"
#include "support/test_loop.h"

namespace sg::test {
namespace {

class StatusLeaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    sync_ = server_.client();
  }
  std::unique_ptr<RedisClient> client(uint32_t command_timeout_ms = 5000) {
    RedisClient::Options options;
    options.redis.url = server_.url();
    options.redis.command_timeout_ms = command_timeout_ms;
    options.redis.reconnect_base_ms = 20;
    options.redis.reconnect_max_ms = 100;
    auto made = std::make_unique<RedisClient>(loop_.get(), options);
    EXPECT_TRUE(made->start());
    return made;
  }
  void release(StatusLeader& leader) {
    bool done = false;
    leader.release([&] { done = true; });
    ASSERT_TRUE(loop_.runUntil([&] { return done; }));
  }
  void stop(RedisClient& redis) {
    bool done = false;
    redis.stop([&] { done = true; });
    ASSERT_TRUE(loop_.runUntil([&] { return done; }));
  }

  RedisServer server_;
  std::unique_ptr<SyncRedis> sync_;
  TestLoop loop_;
};

TEST_F(StatusLeaderTest, OneOfThreeLeadsAndAReleaseHandsOverAtOnce) {
  auto redis = client();
  std::vector<std::unique_ptr<StatusLeader>> leaders;
  std::vector<std::string> events;
  for (int i = 0; i < 3; ++i) {
    std::string id = "sup-" + std::to_string(i);
    leaders.push_back(std::make_unique<StatusLeader>(
        loop_.get(), *redis, id, 60000,
        [&events, id](bool leader) { events.push_back(id + (leader ? ":up" : ":down")); }));
    leaders.back()->start();
  }
  auto count = [&] {
    int n = 0;
    for (auto& leader : leaders) n += leader->isLeader();
    return n;
  };
  ASSERT_TRUE(loop_.runUntil([&] { return count() == 1; }));
  StatusLeader* first = nullptr;
  for (auto& leader : leaders) {
    if (leader->isLeader()) first = leader.get();
  }
  EXPECT_EQ(sync_->string({"GET", "sg:status:leader"}), first->instanceId());
  EXPECT_GT(sync_->integer({"PTTL", "sg:status:leader"}), 50000);

  release(*first);
  EXPECT_FALSE(first->isLeader());
  // The lease was 60 s: only the release lets another take over this soon.
  ASSERT_TRUE(loop_.runUntil([&] { return count() == 1; }));
  EXPECT_NE(sync_->string({"GET", "sg:status:leader"}), first->instanceId());
  EXPECT_EQ(count(), 1);
  for (auto& leader : leaders) {
    if (leader.get() != first) release(*leader);
  }
  EXPECT_EQ(sync_->integer({"EXISTS", "sg:status:leader"}), 0);
  leaders.clear();
  stop(*redis);
  redis.reset();
  EXPECT_EQ(loop_.close(), 0);
}

TEST_F(StatusLeaderTest, StepsDownBeforeItsLeaseCanExpireWhenRenewalsStall) {
  auto redis = client();
  long long ttl_at_step_down = -100;
  bool stepped_down = false;
  auto owned =
      std::make_unique<StatusLeader>(loop_.get(), *redis, "sup-stall", 1000, [&](bool leading) {
        if (leading) return;
        stepped_down = true;
        // Redis is paused for writes, not reads: the lease's remaining time is still visible.
        ttl_at_step_down = sync_->integer({"PTTL", "sg:status:leader"});
      });
  StatusLeader& leader = *owned;
  leader.start();
  ASSERT_TRUE(loop_.runUntil([&] { return leader.isLeader(); }));
  // Scripts that write are held while the pause lasts: renewals stall.
  sync_->command({"CLIENT", "PAUSE", "3000", "WRITE"});
  ASSERT_TRUE(loop_.runUntil([&] { return stepped_down; }));
  EXPECT_FALSE(leader.isLeader());
  EXPECT_GT(ttl_at_step_down, 0) << "stepped down only after the lease had expired";
  sync_->command({"CLIENT", "UNPAUSE"});
  // Once Redis answers again it leads again (the lease was its own).
  ASSERT_TRUE(loop_.runUntil([&] { return leader.isLeader(); }));
  release(leader);
  owned.reset();
  stop(*redis);
  redis.reset();
  EXPECT_EQ(loop_.close(), 0);
}

TEST_F(StatusLeaderTest, AnotherHolderTakesItFromUnderUs) {
  auto redis = client();
  std::vector<bool> changes;
  auto owned = std::make_unique<StatusLeader>(loop_.get(), *redis, "sup-mine", 1000,
                                              [&](bool leading) { changes.push_back(leading); });
  StatusLeader& leader = *owned;
  leader.start();
  ASSERT_TRUE(loop_.runUntil([&] { return leader.isLeader(); }));
  sync_->command({"SET", "sg:status:leader", "sup-intruder", "PX", "60000"});
  ASSERT_TRUE(loop_.runUntil([&] { return !leader.isLeader(); }));
  EXPECT_EQ(changes, (std::vector<bool>{true, false}));
  ASSERT_TRUE(loop_.runUntil([&] { return leader.holder() == "sup-intruder"; }));
  release(leader);
  EXPECT_EQ(sync_->string({"GET", "sg:status:leader"}), "sup-intruder") << "not ours to delete";
  owned.reset();
  stop(*redis);
  redis.reset();
  EXPECT_EQ(loop_.close(), 0);
}

TEST_F(StatusLeaderTest, OnlyTheLeaderPublishesPresenceRotatingWithTheClock) {
  auto redis = client();
  auto config = std::make_shared<Config>();
  config->status.interval_s = 1;
  config->status.presences = {{"online", "one"}, {"dnd", "two"}};
  config->status.platforms = {"discord", "matrix"};
  auto leader_owned =
      std::make_unique<StatusLeader>(loop_.get(), *redis, "sup-leader", 60000, nullptr);
  auto follower_owned =
      std::make_unique<StatusLeader>(loop_.get(), *redis, "sup-follower", 60000, nullptr);
  StatusLeader& leader = *leader_owned;
  StatusLeader& follower = *follower_owned;
  auto leading_owned = std::make_unique<StatusManager>(loop_.get(), *redis, leader, config);
  auto following_owned = std::make_unique<StatusManager>(loop_.get(), *redis, follower, config);
  StatusManager& leading = *leading_owned;
  StatusManager& following = *following_owned;
  leader.start();
  ASSERT_TRUE(loop_.runUntil([&] { return leader.isLeader(); }));
  follower.start();
  leading.onLeadership(true);
  following.onLeadership(true);  // wrongly told it leads: its own clock check and the fence refuse
  ASSERT_TRUE(loop_.runUntil([&] { return leading.counters().published >= 3; }));
  EXPECT_EQ(following.counters().published, 0u);

  std::vector<OutboundAction> discord = readOutbound(*sync_, "discord");
  std::vector<OutboundAction> matrix = readOutbound(*sync_, "matrix");
  ASSERT_GE(discord.size(), 3u);
  EXPECT_EQ(discord.size(), matrix.size());
  for (size_t i = 0; i < discord.size(); ++i) {
    EXPECT_EQ(discord[i].action, "set_presence");
    EXPECT_EQ(discord[i].worker, "sup-leader");
    EXPECT_EQ(discord[i].action_id, "presence:sup-leader:" + std::to_string(i));
    EXPECT_EQ(discord[i].action_id, matrix[i].action_id);
    EXPECT_TRUE(cJSON_IsNull(jsonField(discord[i].json.get(), "event_id")));
  }
  // Period boundaries alternate the two presences.
  std::string a(jsonString(discord[1].json.get(), "activity"));
  std::string b(jsonString(discord[2].json.get(), "activity"));
  EXPECT_NE(a, b);

  leading.stop();
  following.stop();
  release(leader);
  release(follower);
  leading_owned.reset();
  following_owned.reset();
  leader_owned.reset();
  follower_owned.reset();
  stop(*redis);
  redis.reset();
  EXPECT_EQ(loop_.close(), 0);
}

}  // namespace
}  // namespace sg::test
