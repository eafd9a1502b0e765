// Conversation history in a real Redis: exchanges stored whole and in order, idempotent per
// event id (a redelivery replaces, never appends twice), the token budget dropping the oldest
// exchanges first (never splitting a tool call from its result, never the newest), the summary
// fold applied only when the head is unchanged, expiry, and the load leaving out the event being
// processed.
#include "worker/conversation_manager.h"

#include <gtest/gtest.h>

#include <memory>

#include "support/loop_redis.h"

namespace sg {
namespace {

using test::LoopRedis;
using test::RedisServer;
using test::TestLoop;

Exchange toolExchange(const std::string& id, size_t padding = 0) {
  Exchange exchange;
  exchange.id = id;
  exchange.message_id = "m-" + id;
  exchange.messages.push_back(
      ChatMessage::user("alice: question " + id + std::string(padding, '.')));
  ChatMessage call = ChatMessage::assistant("");
  call.tool_calls.push_back({"call-" + id, "lookup", R"({"q":")" + id + R"("})"});
  exchange.messages.push_back(call);
  exchange.messages.push_back(ChatMessage::tool("call-" + id, "result of " + id));
  exchange.messages.push_back(ChatMessage::assistant("answer " + id));
  exchange.tokens = estimateTokens(exchange.messages);
  return exchange;
}

TEST(TokenBudget, EstimatesAndEvictions) {
  EXPECT_EQ(estimateTokens(""), 0u);
  EXPECT_EQ(estimateTokens("abcd"), 1u);
  EXPECT_EQ(estimateTokens("abcde"), 2u);
  EXPECT_EQ(estimateTokens("漢字"), 2u);  // one per non-ASCII character
  EXPECT_EQ(estimateTokens(ChatMessage::user("abcd")), 5u);
  EXPECT_EQ(evictionCount({10, 10, 10}, 30), 0u);
  EXPECT_EQ(evictionCount({10, 10, 10}, 25), 1u);
  EXPECT_EQ(evictionCount({10, 10, 10}, 10), 2u);
  EXPECT_EQ(evictionCount({10, 10, 10}, 0), 2u) << "the newest is always kept";
  EXPECT_EQ(evictionCount({}, 0), 0u);
}

TEST(TokenBudget, ExchangeEncodingRoundTrips) {
  Exchange exchange = toolExchange("e1");
  Exchange decoded;
  ASSERT_TRUE(decodeExchange(encodeExchange(exchange), &decoded));
  ASSERT_EQ(decoded.messages.size(), 4u);
  EXPECT_EQ(decoded.message_id, "m-e1");
  EXPECT_EQ(decoded.messages[1].role, ChatRole::kAssistant);
  ASSERT_EQ(decoded.messages[1].tool_calls.size(), 1u);
  EXPECT_EQ(decoded.messages[1].tool_calls[0].id, "call-e1");
  EXPECT_EQ(decoded.messages[1].tool_calls[0].arguments, R"({"q":"e1"})");
  EXPECT_EQ(decoded.messages[2].role, ChatRole::kTool);
  EXPECT_EQ(decoded.messages[2].tool_call_id, "call-e1");
  EXPECT_FALSE(decodeExchange("not json", &decoded));
}

class ConversationManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << server_.logText();
    redis_ = std::make_unique<LoopRedis>(loop_, server_);
    ASSERT_TRUE(redis_->connected());
    manager_ = std::make_unique<ConversationManager>(redis_->client());
  }

  void TearDown() override {
    manager_.reset();
    redis_.reset();
    EXPECT_EQ(loop_.close(), 0);
  }

  bool append(const Exchange& exchange, uint64_t budget, const Fence& fence = {}) {
    std::optional<bool> ok;
    manager_->append(
        kKey, exchange, budget, 3600, [&](bool result) { ok = result; }, fence);
    EXPECT_TRUE(loop_.runUntil([&] { return ok.has_value(); }));
    return ok.value_or(false);
  }

  History load(const std::string& skip = "") {
    std::optional<History> history;
    manager_->load(kKey, skip, [&](History result) { history = std::move(result); });
    EXPECT_TRUE(loop_.runUntil([&] { return history.has_value(); }));
    return history.value_or(History{});
  }

  std::vector<std::string> ids(const History& history) {
    std::vector<std::string> out;
    for (const Exchange& exchange : history.exchanges) out.push_back(exchange.id);
    return out;
  }

  static constexpr const char* kKey = "sg:conv:discord:c1";
  RedisServer server_;
  TestLoop loop_;
  std::unique_ptr<LoopRedis> redis_;
  std::unique_ptr<ConversationManager> manager_;
};

TEST_F(ConversationManagerTest, AppendsInOrderAndLoadsWhole) {
  EXPECT_TRUE(load().exchanges.empty());
  ASSERT_TRUE(append(toolExchange("e1"), 100000));
  ASSERT_TRUE(append(toolExchange("e2"), 100000));
  History history = load();
  ASSERT_TRUE(history.ok);
  EXPECT_EQ(ids(history), (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(history.exchanges[1].messages.size(), 4u);
  EXPECT_EQ(history.exchanges[1].tokens, toolExchange("e2").tokens);
  EXPECT_EQ(ids(load("e2")), std::vector<std::string>{"e1"}) << "the current event is left out";
  auto redis = server_.client();
  EXPECT_GT(redis->integer({"PTTL", kKey}), 0);
  EXPECT_GT(redis->integer({"PTTL", std::string(kKey) + ":x"}), 0);
}

// A holder that lost its channel lock (it stalled past the lease; another worker took over and
// may have answered the same event) writes no history.
TEST_F(ConversationManagerTest, AppendIsFencedOnTheChannelLock) {
  auto redis = server_.client();
  redis->command({"SET", "sg:chlock:discord:c1", "token-new"});
  EXPECT_FALSE(append(toolExchange("e1"), 100000, {"sg:chlock:discord:c1", "token-old"}));
  EXPECT_TRUE(load().exchanges.empty());
  EXPECT_TRUE(append(toolExchange("e1"), 100000, {"sg:chlock:discord:c1", "token-new"}));
  EXPECT_EQ(ids(load()), std::vector<std::string>{"e1"});
  redis->command({"DEL", "sg:chlock:discord:c1"});
  EXPECT_FALSE(append(toolExchange("e2"), 100000, {"sg:chlock:discord:c1", "token-new"}));
  EXPECT_EQ(ids(load()), std::vector<std::string>{"e1"});
}

TEST_F(ConversationManagerTest, ARedeliveredEventReplacesItsExchange) {
  ASSERT_TRUE(append(toolExchange("e1"), 100000));
  ASSERT_TRUE(append(toolExchange("e2"), 100000));
  Exchange again = toolExchange("e1");
  again.messages.back().content = "a different answer";
  ASSERT_TRUE(append(again, 100000));
  History history = load();
  EXPECT_EQ(ids(history), (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(history.exchanges[0].messages.back().content, "a different answer");
}

TEST_F(ConversationManagerTest, BudgetDropsWholeOldestExchangesAndKeepsTheNewest) {
  uint32_t each = toolExchange("e0").tokens;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(append(toolExchange("e" + std::to_string(i)), each * 3));
  History history = load();
  EXPECT_EQ(ids(history), (std::vector<std::string>{"e2", "e3", "e4"}));
  for (const Exchange& exchange : history.exchanges) {
    // Every tool call is still followed by its result.
    ASSERT_EQ(exchange.messages.size(), 4u);
    EXPECT_EQ(exchange.messages[2].tool_call_id, exchange.messages[1].tool_calls[0].id);
  }
  // One exchange larger than the whole budget is still kept, alone.
  ASSERT_TRUE(append(toolExchange("big", 4000), each * 3));
  EXPECT_EQ(ids(load()), std::vector<std::string>{"big"});
}

TEST_F(ConversationManagerTest, FoldReplacesTheHeadOnlyWhenUnchanged) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(append(toolExchange("e" + std::to_string(i)), 0));
  Exchange summary;
  summary.id = std::string(kSummaryExchangeId);
  summary.messages = {ChatMessage::user("alice asked about e0 and e1")};
  summary.tokens = estimateTokens(summary.messages);
  std::optional<bool> applied;
  manager_->fold(kKey, {"e0", "e1"}, summary, 3600, [&](bool ok) { applied = ok; });
  ASSERT_TRUE(loop_.runUntil([&] { return applied.has_value(); }));
  EXPECT_TRUE(*applied);
  History history = load();
  EXPECT_EQ(ids(history), (std::vector<std::string>{"!summary", "e2", "e3"}));
  EXPECT_TRUE(history.exchanges[0].isSummary());
  EXPECT_EQ(history.exchanges[0].messages[0].content, "alice asked about e0 and e1");

  // A second fold over the old head finds it changed and does nothing.
  applied.reset();
  manager_->fold(kKey, {"e0", "e1"}, summary, 3600, [&](bool ok) { applied = ok; });
  ASSERT_TRUE(loop_.runUntil([&] { return applied.has_value(); }));
  EXPECT_FALSE(*applied);
  // Folding the summary itself with the next exchange keeps one summary at the head.
  applied.reset();
  manager_->fold(kKey, {"!summary", "e2"}, summary, 3600, [&](bool ok) { applied = ok; });
  ASSERT_TRUE(loop_.runUntil([&] { return applied.has_value(); }));
  EXPECT_TRUE(*applied);
  EXPECT_EQ(ids(load()), (std::vector<std::string>{"!summary", "e3"}));

  // trim() drops by budget (the summary first, being the oldest).
  std::optional<bool> trimmed;
  manager_->trim(kKey, 1, [&](bool ok) { trimmed = ok; });
  ASSERT_TRUE(loop_.runUntil([&] { return trimmed.has_value(); }));
  EXPECT_EQ(ids(load()), std::vector<std::string>{"e3"});
}

TEST_F(ConversationManagerTest, KeyIsPerThreadOrChannel) {
  Envelope envelope;
  envelope.platform = "discord";
  envelope.message.channel_id = "c1";
  EXPECT_EQ(ConversationManager::keyFor(envelope), "sg:conv:discord:c1");
  envelope.message.thread_id = "t7";
  EXPECT_EQ(ConversationManager::keyFor(envelope), "sg:conv:discord:t7");
}

}  // namespace
}  // namespace sg
