// The message cache in a real Redis: every message of a channel kept (answered or not), in time
// order, bounded in count and age, a redelivered message stored once, keys expiring.
#include "worker/message_cache.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "support/loop_redis.h"

namespace sg {
namespace {

Envelope messageAt(const std::string& id, double created_at, const std::string& content = "hi") {
  Envelope envelope;
  envelope.event_id = "ev-" + id;
  envelope.platform = "discord";
  envelope.message.id = id;
  envelope.message.channel_id = "c1";
  envelope.message.author.id = "u1";
  envelope.message.author.name = "alice";
  envelope.message.author.display_name = "Alice";
  envelope.message.content = content;
  envelope.message.created_at = created_at;
  return envelope;
}

class MessageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << server_.logText();
    redis_ = std::make_unique<test::LoopRedis>(loop_, server_);
    ASSERT_TRUE(redis_->connected());
    cache_ = std::make_unique<MessageCache>(redis_->client());
  }
  void TearDown() override {
    cache_.reset();
    redis_.reset();
    EXPECT_EQ(loop_.close(), 0);
  }

  MessageCache::Recent add(const Envelope& envelope, bool read_back = true) {
    std::optional<MessageCache::Recent> recent;
    cache_->add(envelope, config_, read_back,
                [&](MessageCache::Recent r) { recent = std::move(r); });
    EXPECT_TRUE(loop_.runUntil([&] { return recent.has_value(); }));
    EXPECT_TRUE(recent && recent->ok);
    return recent.value_or(MessageCache::Recent{});
  }

  std::vector<std::string> ids(const MessageCache::Recent& recent) {
    std::vector<std::string> out;
    for (const CachedMessage& message : recent.messages) out.push_back(message.id);
    return out;
  }

  test::RedisServer server_;
  test::TestLoop loop_;
  std::unique_ptr<test::LoopRedis> redis_;
  std::unique_ptr<MessageCache> cache_;
  CacheConfig config_{.max_messages = 3, .max_age_s = 600};
};

TEST_F(MessageCacheTest, KeepsTheNewestInTimeOrderAndStoresARedeliveryOnce) {
  double now = unixNow();
  EXPECT_TRUE(add(messageAt("m2", now - 20), false).messages.empty()) << "not read back";
  add(messageAt("m1", now - 30));
  add(messageAt("m3", now - 10));
  MessageCache::Recent recent = add(messageAt("m3", now - 10));  // redelivered
  EXPECT_EQ(ids(recent), (std::vector<std::string>{"m1", "m2", "m3"}));
  EXPECT_EQ(recent.messages[0].author, "Alice");
  recent = add(messageAt("m4", now - 5, "the newest"));
  EXPECT_EQ(ids(recent), (std::vector<std::string>{"m2", "m3", "m4"}));
  EXPECT_EQ(recent.messages[2].content, "the newest");
  auto sync = server_.client();
  EXPECT_EQ(sync->integer({"HLEN", "sg:cache:discord:c1:m"}), 3) << "dropped records are deleted";
  EXPECT_GT(sync->integer({"PTTL", "sg:cache:discord:c1"}), 0);
}

TEST_F(MessageCacheTest, DropsMessagesOlderThanTheMaximumAge) {
  double now = unixNow();
  add(messageAt("old", now - 1000));
  MessageCache::Recent recent = add(messageAt("new", now));
  EXPECT_EQ(ids(recent), std::vector<std::string>{"new"});
}

TEST(CachedMessage, RecordsRoundTripAndDescribeAttachments) {
  IncomingMessage message = messageAt("m1", 1700000000.5).message;
  message.reply_to = ReplyRef{"m0", "u2", std::nullopt, false};
  message.attachments.push_back({"a1", "moon.png", "https://x/moon.png", "image/png", 1234});
  message.attachments.push_back({"a2", "notes", "https://x/notes", std::nullopt, 5});
  CachedMessage cached = cachedFrom(message);
  EXPECT_EQ(cached.attachments, "moon.png (image/png, 1234 bytes); notes (unknown type, 5 bytes)");
  auto decoded = decodeCachedMessage(encodeCachedMessage(cached));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->reply_to_id, "m0");
  EXPECT_EQ(decoded->created_at, 1700000000.5);
  EXPECT_EQ(decoded->attachments, cached.attachments);
  EXPECT_FALSE(decodeCachedMessage("{}"));
}

}  // namespace
}  // namespace sg
