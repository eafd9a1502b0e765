// What the model is shown: the system prompt first (never part of the history), the history in
// order, then the current turn with the recent channel messages not already shown, the reply
// chain woven in (from the envelope or the cache), and attachments as image parts for vision
// models or described otherwise.
#include "worker/context_builder.h"

#include <gtest/gtest.h>

#include "common/json.h"

namespace sg {
namespace {

Envelope current() {
  Envelope envelope;
  envelope.event_id = "ev9";
  envelope.platform = "discord";
  IncomingMessage& message = envelope.message;
  message.id = "m9";
  message.channel_id = "c1";
  message.guild_id = "g1";
  message.author.id = "u1";
  message.author.name = "alice";
  message.content = "what about Saturn?";
  message.bot_user_id = "999";
  message.mentions_bot = true;
  return envelope;
}

CachedMessage cached(const std::string& id, const std::string& author_id, const std::string& author,
                     const std::string& content, double at, const std::string& reply_to = "") {
  CachedMessage message;
  message.id = id;
  message.author_id = author_id;
  message.author = author;
  message.content = content;
  message.created_at = at;
  message.reply_to_id = reply_to;
  return message;
}

class ContextBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    prompts_ = PromptRenderer::load(config_, &error);
    ASSERT_NE(prompts_, nullptr) << error;
  }

  Context build(const Envelope& envelope) {
    ContextInput input{&envelope, &config_, prompts_.get(), &history_, &recent_, 1767225600};
    return buildContext(input);
  }

  Config config_;
  std::shared_ptr<const PromptRenderer> prompts_;
  History history_;
  std::vector<CachedMessage> recent_;
};

TEST_F(ContextBuilderTest, SystemPromptThenHistoryThenTheTurnWithRecentMessages) {
  Exchange earlier;
  earlier.id = "ev1";
  earlier.message_id = "m1";
  earlier.messages = {ChatMessage::user("alice: hi"), ChatMessage::assistant("Hello alice!")};
  Exchange summary;
  summary.id = std::string(kSummaryExchangeId);
  summary.messages = {ChatMessage::user("alice studies the planets")};
  history_.exchanges = {summary, earlier};
  recent_ = {cached("m1", "u1", "alice", "hi", 1767225000),
             cached("m2", "u2", "bob", "Jupiter is bigger", 1767225060),
             cached("m9", "u1", "alice", "what about Saturn?", 1767225500)};
  Context context = build(current());
  ASSERT_EQ(context.messages.size(), 4u);
  EXPECT_EQ(context.messages[0].role, ChatRole::kSystem);
  EXPECT_NE(context.messages[0].content.find("You are Stargazer"), std::string::npos);
  EXPECT_NE(context.messages[0].content.find("2026-01-01"), std::string::npos);
  EXPECT_NE(context.messages[0].content.find("alice studies the planets"), std::string::npos)
      << "the summary is the prompt's memory";
  EXPECT_EQ(context.messages[1].content, "alice: hi");
  EXPECT_EQ(context.messages[2].content, "Hello alice!");
  const std::string& turn = context.messages[3].content;
  EXPECT_EQ(turn,
            "Recent messages in this channel, for context:\n[23:51] bob: Jupiter is bigger\n\n"
            "alice: what about Saturn?");
  EXPECT_EQ(context.user_turn.content, "alice: what about Saturn?") << "stored without context";
}

TEST_F(ContextBuilderTest, ReplyChainFromTheEnvelopeAndTheCache) {
  recent_ = {cached("m1", "u2", "bob", "Is Pluto a planet?", 1767225000),
             cached("m2", "999", "", "It is a dwarf planet.", 1767225010, "m1")};
  Envelope envelope = current();
  envelope.message.content = "why?";
  envelope.message.reply_to = ReplyRef{"m2", "999", std::nullopt, true};
  Context context = build(envelope);
  EXPECT_EQ(context.user_turn.content,
            "alice (replying to Stargazer: \"It is a dwarf planet.\", which replied to bob: \"Is "
            "Pluto a planet?\"): why?");
  EXPECT_EQ(context.messages.back().content, context.user_turn.content)
      << "woven messages are not repeated as context";

  envelope.message.reply_to = ReplyRef{"m-unknown", "u3", std::string("from the envelope"), false};
  EXPECT_EQ(build(envelope).user_turn.content,
            "alice (replying to u3: \"from the envelope\"): why?");
}

TEST_F(ContextBuilderTest, ImagesArePartsForVisionModelsAndDescribedOtherwise) {
  Envelope envelope = current();
  envelope.message.attachments.push_back(
      {"a1", "saturn.jpg", "https://cdn/saturn.jpg", std::nullopt, 2048});
  envelope.message.attachments.push_back(
      {"a2", "notes.txt", "https://cdn/notes.txt", "text/plain", 10});
  Context plain = build(envelope);
  EXPECT_TRUE(plain.messages.back().content_parts_json.empty());
  EXPECT_NE(
      plain.user_turn.content.find(
          "[attachments: saturn.jpg (unknown type, 2048 bytes); notes.txt (text/plain, 10 bytes)]"),
      std::string::npos)
      << plain.user_turn.content;

  config_.llm.vision_models = {config_.llm.model};
  Context vision = build(envelope);
  JsonPtr parts = parseJson(vision.messages.back().content_parts_json);
  ASSERT_TRUE(cJSON_IsArray(parts.get()));
  ASSERT_EQ(cJSON_GetArraySize(parts.get()), 2);
  EXPECT_EQ(jsonString(cJSON_GetArrayItem(parts.get(), 0), "type"), "text");
  const cJSON* image = cJSON_GetArrayItem(parts.get(), 1);
  EXPECT_EQ(jsonString(jsonField(image, "image_url"), "url"), "https://cdn/saturn.jpg");
  EXPECT_TRUE(vision.user_turn.content_parts_json.empty()) << "the history keeps text only";
}

}  // namespace
}  // namespace sg
