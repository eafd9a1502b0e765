// Whom the bot answers: the protocol's defaults (DMs, mentions, replies to the bot; never a bot
// author or itself), the configuration's lists and trigger words, and per-channel and per-guild
// overrides (a channel's over its guild's).
#include "worker/answer_policy.h"

#include <gtest/gtest.h>

#include <functional>

#include "common/config_loader.h"
#include "worker/scope_settings.h"

namespace sg {
namespace {

IncomingMessage plainMessage() {
  IncomingMessage message;
  message.id = "m1";
  message.channel_id = "c1";
  message.guild_id = "g1";
  message.author.id = "u1";
  message.author.name = "alice";
  message.content = "hello everyone";
  message.bot_user_id = "999";
  return message;
}

ConfigPtr configFrom(const std::string& json) {
  ConfigResult result = buildConfig({.file_text = json});
  EXPECT_TRUE(result.ok()) << result.errorText();
  return result.config;
}

struct Case {
  const char* name;
  std::function<void(IncomingMessage&)> change;
  bool answer;
  std::string_view reason;
};

TEST(AnswerPolicy, DefaultRulesTable) {
  ConfigPtr config = configFrom(R"({"bot": {"trigger_words": ["stargazer", "hey star"],
      "answer_channels": ["c-always"], "ignore_channels": ["c-quiet"], "ignore_users": ["u-bad"]}})");
  ScopeResolver scopes(config);
  const Case cases[] = {
      {"plain", [](IncomingMessage&) {}, false, "not_addressed"},
      {"dm", [](IncomingMessage& m) { m.is_dm = true; }, true, "dm"},
      {"mention", [](IncomingMessage& m) { m.mentions_bot = true; }, true, "mention"},
      {"reply to the bot",
       [](IncomingMessage& m) {
         m.reply_to = ReplyRef{"m0", "999", "earlier", true};
       },
       true, "reply_to_bot"},
      {"reply to someone else",
       [](IncomingMessage& m) {
         m.reply_to = ReplyRef{"m0", "u2", "earlier", false};
       },
       false, "not_addressed"},
      {"reply to another bot",
       [](IncomingMessage& m) {
         m.reply_to = ReplyRef{"m0", "777", "beep", true};
       },
       false, "not_addressed"},
      {"reply to the bot, bot id unknown",
       [](IncomingMessage& m) {
         m.bot_user_id.reset();
         m.reply_to = ReplyRef{"m0", "999", "earlier", true};
       },
       false, "not_addressed"},
      {"bot author mentioning",
       [](IncomingMessage& m) {
         m.author.is_bot = true;
         m.mentions_bot = true;
       },
       false, "bot_author"},
      {"bot author in a DM",
       [](IncomingMessage& m) {
         m.author.is_bot = true;
         m.is_dm = true;
       },
       false, "bot_author"},
      {"itself",
       [](IncomingMessage& m) {
         m.author.id = "999";
         m.mentions_bot = true;
       },
       false, "self"},
      {"trigger word", [](IncomingMessage& m) { m.content = "Ask StarGazer, please"; }, true,
       "trigger_word"},
      {"trigger phrase", [](IncomingMessage& m) { m.content = "hey star!"; }, true, "trigger_word"},
      {"trigger word inside a word", [](IncomingMessage& m) { m.content = "stargazers unite"; },
       false, "not_addressed"},
      {"answer channel", [](IncomingMessage& m) { m.channel_id = "c-always"; }, true,
       "answer_channel"},
      {"ignored channel even when mentioned",
       [](IncomingMessage& m) {
         m.channel_id = "c-quiet";
         m.mentions_bot = true;
       },
       false, "ignored_channel"},
      {"ignored user even in a DM",
       [](IncomingMessage& m) {
         m.author.id = "u-bad";
         m.is_dm = true;
       },
       false, "ignored_user"},
  };
  for (const Case& test : cases) {
    IncomingMessage message = plainMessage();
    test.change(message);
    AnswerDecision decision = decideAnswer(message, scopes.resolve(message));
    EXPECT_EQ(decision.answer, test.answer) << test.name;
    EXPECT_EQ(decision.reason, test.reason) << test.name;
  }
}

TEST(AnswerPolicy, TriggerWordsAreWholeWordsIgnoringCase) {
  std::vector<std::string> words = {"star", "c++"};
  EXPECT_TRUE(containsTriggerWord("STAR", words));
  EXPECT_TRUE(containsTriggerWord("a star, a bird", words));
  EXPECT_TRUE(containsTriggerWord("(star)", words));
  EXPECT_FALSE(containsTriggerWord("stars", words));
  EXPECT_FALSE(containsTriggerWord("superstar", words));
  EXPECT_FALSE(containsTriggerWord("star_gazer", words));
  EXPECT_FALSE(containsTriggerWord("éstar", words));  // a non-ASCII letter is a letter
  EXPECT_TRUE(containsTriggerWord("I like c++ a lot", words));
  EXPECT_FALSE(containsTriggerWord("", words));
  EXPECT_FALSE(containsTriggerWord("star", {}));
}

TEST(AnswerPolicy, ChannelOverridesWinOverGuildOverrides) {
  ConfigPtr config = configFrom(R"({
    "llm": {"model": "base/model"},
    "bot": {"overrides": {
      "guilds": {"g1": {"answer": "always", "model": "guild/model", "name": "GuildBot"}},
      "channels": {"c-never": {"answer": "never"},
                   "c-model": {"model": "channel/model", "trigger_words": ["bonjour"]}}}}})");
  ScopeResolver scopes(config);

  IncomingMessage message = plainMessage();
  ScopeSettings settings = scopes.resolve(message);
  EXPECT_EQ(settings.answer, AnswerMode::kAlways);
  EXPECT_EQ(settings.config->llm.model, "guild/model");
  EXPECT_EQ(settings.config->bot.name, "GuildBot");
  EXPECT_EQ(decideAnswer(message, settings).reason, "scope_always");

  message.channel_id = "c-never";
  message.mentions_bot = true;
  settings = scopes.resolve(message);
  EXPECT_EQ(decideAnswer(message, settings).reason, "scope_never");

  message.channel_id = "c-model";
  message.mentions_bot = false;
  settings = scopes.resolve(message);
  EXPECT_EQ(settings.config->llm.model, "channel/model");
  EXPECT_EQ(settings.config->bot.name, "GuildBot");  // the guild's, not overridden here
  EXPECT_EQ(settings.answer, AnswerMode::kAlways);   // likewise

  message.guild_id = "g-other";
  message.content = "Bonjour tout le monde";
  settings = scopes.resolve(message);
  EXPECT_EQ(settings.config->llm.model, "channel/model");
  EXPECT_EQ(decideAnswer(message, settings).reason, "trigger_word");

  message.channel_id = "c-plain";
  settings = scopes.resolve(message);
  EXPECT_EQ(settings.config, config) << "a scope without overrides shares the snapshot";
  EXPECT_EQ(settings.config->llm.model, "base/model");
}

}  // namespace
}  // namespace sg
