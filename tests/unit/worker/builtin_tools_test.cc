// The built-in tools, each handler run with a ToolContext built by hand (a ProcessJob made
// directly, lasting actions captured and decoded): add_reaction's action and ids, emoji rules,
// send_file's name sanitising, type allow-list and size cap, current_time in UTC, offsets and
// IANA zones, and the gateway tools against the test gateway on a real redis-server: arguments
// checked before anything is sent, results rendered for the model within their budget, and a
// timeout or gateway error reported as the tool's error. No handler completes inside its call.
#include "worker/builtin_tools.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "common/bus_codec.h"
#include "common/json.h"
#include "common/msgpack_json.h"
#include "common/utf8.h"
#include "support/test_loop.h"
#include "unit/worker/gateway_fixture.h"

namespace sg::test {
namespace {

constexpr double kNow = 1700000000;  // 2023-11-14T22:13:20Z, a Tuesday

// What one tool call completed with.
struct ToolRun {
  int completions = 0;
  bool inside_handler = false;
  ToolOutcome outcome;
  JsonPtr json;  // the outcome's content parsed, when it is JSON
};

std::map<std::string, ToolDefinition> toolsByName(const BuiltinToolsOptions& options) {
  std::map<std::string, ToolDefinition> tools;
  for (ToolDefinition& tool : builtinTools(options)) tools.emplace(tool.name, std::move(tool));
  return tools;
}

BuiltinToolsOptions testOptions() {
  BuiltinToolsOptions options;
  options.zoneinfo_dir = "";  // the tests that need IANA zones load them themselves
  options.clock = [] { return kNow; };
  return options;
}

// Shared by both fixtures: a context over `job`, lasting actions captured as JSON.
class ToolHarness {
 public:
  ToolContext context(uv_loop_t* loop, std::shared_ptr<ProcessJob> job, GatewayRpc* gateway) {
    ToolContext context;
    context.loop = loop;
    context.config = &tool_config_;
    context.job = std::move(job);
    context.gateway = gateway;
    context.addLastingAction = [this](std::string payload) {
      lasting_.push_back(parseJson(msgpackToJson(payload).value_or("null")));
    };
    return context;
  }

  ToolRun run(TestLoop& loop, const ToolDefinition& tool, ToolContext& context,
              const std::string& arguments) {
    ToolRun run;
    bool in_handler = true;
    tool.handler({"call-1", tool.name, arguments}, context, [&](ToolOutcome outcome) {
      run.inside_handler = in_handler;
      ++run.completions;
      run.outcome = std::move(outcome);
    });
    in_handler = false;
    EXPECT_TRUE(loop.runUntil([&] { return run.completions > 0; }));
    EXPECT_EQ(run.completions, 1);
    EXPECT_FALSE(run.inside_handler);
    run.json = parseJson(run.outcome.content);
    return run;
  }

  Config tool_config_;
  std::vector<JsonPtr> lasting_;
};

std::string field(const JsonPtr& json, const char* key) {
  return std::string(jsonString(json.get(), key));
}

// ---- tools without the gateway ----------------------------------------------------------------

class BuiltinToolsTest : public ::testing::Test, public ToolHarness {
 protected:
  void TearDown() override { EXPECT_EQ(loop_.close(), 0); }

  std::shared_ptr<ProcessJob> job() {
    return std::make_shared<ProcessJob>(
        testEnvelope("e1"), "worker-t1", 1, [](ProcessResult) {}, nullptr);
  }
  ToolRun call(const std::string& name, const std::string& arguments,
               const BuiltinToolsOptions& options = testOptions()) {
    auto tools = toolsByName(options);
    if (!job_) job_ = job();
    ToolContext ctx = context(loop_.get(), job_, nullptr);
    return run(loop_, tools.at(name), ctx, arguments);
  }

  TestLoop loop_;
  std::shared_ptr<ProcessJob> job_;
};

TEST_F(BuiltinToolsTest, DefinitionsNamePermissionsAndValidSchemas) {
  std::vector<ToolDefinition> tools = builtinTools(testOptions());
  std::vector<std::pair<std::string, std::string>> expected = {
      {"add_reaction", "react"},     {"send_file", "files"}, {"current_time", "basic"},
      {"fetch_messages", "history"}, {"get_user", "lookup"}, {"get_channel", "lookup"}};
  ASSERT_EQ(tools.size(), expected.size());
  for (size_t i = 0; i < tools.size(); ++i) {
    EXPECT_EQ(tools[i].name, expected[i].first);
    EXPECT_EQ(tools[i].permission, expected[i].second);
    EXPECT_FALSE(tools[i].description.empty());
    EXPECT_TRUE(tools[i].handler);
    JsonPtr schema = parseJson(tools[i].parameters_json);
    ASSERT_NE(schema, nullptr) << tools[i].name << ": " << tools[i].parameters_json;
    EXPECT_EQ(field(schema, "type"), "object") << tools[i].name;
  }
  // Without other_channels, the gateway tools do not offer a channel_id at all.
  JsonPtr fetch = parseJson(tools[3].parameters_json);
  EXPECT_EQ(jsonField(jsonField(fetch.get(), "properties"), "channel_id"), nullptr);
  BuiltinToolsOptions open = testOptions();
  open.other_channels = true;
  JsonPtr open_fetch = parseJson(builtinTools(open)[3].parameters_json);
  EXPECT_NE(jsonField(jsonField(open_fetch.get(), "properties"), "channel_id"), nullptr);
}

TEST_F(BuiltinToolsTest, AddReactionQueuesALastingActionWithTheNextId) {
  ToolRun run = call("add_reaction", R"({"emoji":"👍"})");
  ASSERT_TRUE(run.outcome.ok) << run.outcome.content;
  EXPECT_EQ(field(run.json, "message_id"), "m-e1");
  ASSERT_EQ(lasting_.size(), 1u);
  const JsonPtr& action = lasting_[0];
  EXPECT_EQ(field(action, "action"), "add_reaction");
  EXPECT_EQ(field(action, "action_id"), "e1:0");
  EXPECT_EQ(field(action, "event_id"), "e1");
  EXPECT_EQ(field(action, "worker"), "worker-t1");
  EXPECT_EQ(field(action, "trace_id"), "trace-e1");
  EXPECT_EQ(field(action, "channel_id"), "c1");
  EXPECT_EQ(field(action, "message_id"), "m-e1");
  EXPECT_EQ(field(action, "emoji"), "👍");

  // Another message of the channel, a custom emoji: the next lasting id.
  ToolRun other = call("add_reaction", R"({"emoji":"<:party:123456>","message_id":"m7"})");
  ASSERT_TRUE(other.outcome.ok) << other.outcome.content;
  ASSERT_EQ(lasting_.size(), 2u);
  EXPECT_EQ(field(lasting_[1], "action_id"), "e1:1");
  EXPECT_EQ(field(lasting_[1], "message_id"), "m7");
  EXPECT_EQ(field(lasting_[1], "emoji"), "<:party:123456>");
}

TEST_F(BuiltinToolsTest, AddReactionRefusesWhatIsNotOneEmoji) {
  struct Case {
    const char* arguments;
    const char* error;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"({"emoji":":thumbsup:"})", "not its name"},
           {R"({"emoji":"thumbs up"})", "not its name"},
           {R"({"emoji":"👍 👍"})", "without spaces"},
           {R"({"emoji":""})", "is empty"},
           {R"({"emoji":5})", "`emoji` must be a string (got 5)"},
           {R"({})", "`emoji` is required"},
           {R"({"emoji":null})", "`emoji` is required"},
           {R"({"emoji":"👍","message_id":"has space"})", "`message_id` is not an id"},
           {R"([1])", "one JSON object"},
       }) {
    ToolRun run = call("add_reaction", c.arguments);
    EXPECT_FALSE(run.outcome.ok) << c.arguments;
    EXPECT_NE(run.outcome.content.find(c.error), std::string::npos)
        << c.arguments << " -> " << run.outcome.content;
  }
  EXPECT_TRUE(lasting_.empty());
}

TEST(EmojiRule, AcceptsEmojiSequencesAndCustomEmoji) {
  for (const char* ok : {"👍", "❤️", "👨‍👩‍👧‍👦", "1️⃣", "🇫🇷", "👍🏽",
                         "©️", "<:party:1>", "<a:dance_2:123456789012345678>", "party:42"}) {
    EXPECT_EQ(checkEmoji(ok), "") << ok;
  }
  for (const char* bad : {"a", "1", "#", "<:p:1>", "<:party:abc>", "<party:1>", "é", "日", "\xff",
                          "‍", "️", "👍\n", "👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍"}) {
    EXPECT_NE(checkEmoji(bad), "") << bad;
  }
}

TEST_F(BuiltinToolsTest, SendFileSendsTheTextAsBinaryWithASafeName) {
  ToolRun run = call("send_file",
                     R"({"filename":"../../etc/My Notes.md","content":"# Hi\nthere",)"
                     R"("content_type":"text/markdown; charset=utf-8","caption":"here you go"})");
  ASSERT_TRUE(run.outcome.ok) << run.outcome.content;
  EXPECT_EQ(field(run.json, "filename"), "My_Notes.md");
  ASSERT_EQ(lasting_.size(), 1u);
  const JsonPtr& action = lasting_[0];
  EXPECT_EQ(field(action, "action"), "send_file");
  EXPECT_EQ(field(action, "action_id"), "e1:0");
  EXPECT_EQ(field(action, "channel_id"), "c1");
  EXPECT_EQ(field(action, "filename"), "My_Notes.md");
  EXPECT_EQ(field(action, "content_type"), "text/markdown");
  EXPECT_EQ(field(action, "content"), "here you go");
  // data is MessagePack bin, byte for byte the content.
  EXPECT_EQ(printJson(jsonField(action.get(), "data")), R"({"$bin":"232048690a7468657265"})");

  // Defaults: text/plain, no caption, an extension from the type when the name has none.
  ToolRun plain = call("send_file", R"({"filename":"report","content":"x"})");
  ASSERT_TRUE(plain.outcome.ok) << plain.outcome.content;
  ASSERT_EQ(lasting_.size(), 2u);
  EXPECT_EQ(field(lasting_[1], "action_id"), "e1:1");
  EXPECT_EQ(field(lasting_[1], "filename"), "report.txt");
  EXPECT_EQ(field(lasting_[1], "content_type"), "text/plain");
  EXPECT_TRUE(cJSON_IsNull(jsonField(lasting_[1].get(), "content")));
}

TEST_F(BuiltinToolsTest, SendFileRefusesOtherTypesAndOversizedContent) {
  BuiltinToolsOptions options = testOptions();
  options.max_file_bytes = 16;
  options.max_caption_chars = 5;
  struct Case {
    const char* arguments;
    const char* error;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"({"filename":"a.png","content":"x","content_type":"image/png"})",
            "`content_type` must be a text type"},
           {R"({"filename":"a.txt","content":"12345678901234567"})",
            "`content` is 17 bytes; the limit is 16 bytes"},
           {R"({"filename":"a.txt","content":""})", "`content` is empty"},
           {R"({"filename":"a.txt","content":"x","caption":"é12345"})", "at most 5 characters"},
           {R"({"filename":"a.txt"})", "`content` is required"},
           {R"({"filename":["a"],"content":"x"})", "`filename` must be a string (got an array)"},
       }) {
    ToolRun run = call("send_file", c.arguments, options);
    EXPECT_FALSE(run.outcome.ok) << c.arguments;
    EXPECT_NE(run.outcome.content.find(c.error), std::string::npos)
        << c.arguments << " -> " << run.outcome.content;
  }
  EXPECT_TRUE(lasting_.empty());
  // Exactly at the limits is fine.
  EXPECT_TRUE(
      call("send_file", R"({"filename":"a","content":"1234567890123456","caption":"éé"})", options)
          .outcome.ok);
}

TEST(FilenameRule, KeepsTheLastComponentWithoutHazards) {
  EXPECT_EQ(sanitizeFilename("notes.md", 100), "notes.md");
  EXPECT_EQ(sanitizeFilename("../../etc/passwd", 100), "passwd");
  EXPECT_EQ(sanitizeFilename("C:\\Users\\x\\evil.bat", 100), "evil.bat");
  EXPECT_EQ(sanitizeFilename(".bashrc", 100), "bashrc");
  EXPECT_EQ(sanitizeFilename("..", 100), "file");
  EXPECT_EQ(sanitizeFilename("", 100), "file");
  EXPECT_EQ(sanitizeFilename("-rf .txt", 100), "rf_.txt");
  EXPECT_EQ(sanitizeFilename("a<b>c:d\"e|f?g*h.txt", 100), "abcdefgh.txt");
  EXPECT_EQ(sanitizeFilename("tab\there\nnew.txt", 100), "tabherenew.txt");
  EXPECT_EQ(sanitizeFilename("café \xff.txt", 100), "café_.txt");
  EXPECT_EQ(sanitizeFilename("trailing...", 100), "trailing");
  // Cut on a character boundary, keeping the extension.
  std::string long_name;
  for (int i = 0; i < 60; ++i) long_name += "日";
  std::string cut = sanitizeFilename(long_name + ".csv", 100);
  EXPECT_LE(cut.size(), 100u);
  EXPECT_TRUE(isValidUtf8(cut));
  EXPECT_EQ(cut.substr(cut.size() - 4), ".csv");
  EXPECT_EQ(cut.size(), 3u * 32 + 4);
}

TEST_F(BuiltinToolsTest, CurrentTimeInUtcAndFixedOffsets) {
  ToolRun utc = call("current_time", "{}");
  ASSERT_TRUE(utc.outcome.ok) << utc.outcome.content;
  EXPECT_EQ(field(utc.json, "time"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(field(utc.json, "weekday"), "Tuesday");
  EXPECT_EQ(field(utc.json, "time_zone"), "UTC");
  double unix = 0;
  EXPECT_TRUE(jsonNumber(utc.json.get(), "unix", &unix));
  EXPECT_EQ(unix, kNow);

  ToolRun india = call("current_time", R"({"time_zone":"+05:30"})");
  ASSERT_TRUE(india.outcome.ok) << india.outcome.content;
  EXPECT_EQ(field(india.json, "time"), "2023-11-15T03:43:20+05:30");
  EXPECT_EQ(field(india.json, "weekday"), "Wednesday");
  EXPECT_EQ(field(india.json, "utc"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(field(call("current_time", R"({"time_zone":"UTC-3"})").json, "time"),
            "2023-11-14T19:13:20-03:00");

  ToolRun unknown = call("current_time", R"({"time_zone":"Mars/Olympus_Mons"})");
  EXPECT_FALSE(unknown.outcome.ok);
  EXPECT_NE(unknown.outcome.content.find("unknown time zone"), std::string::npos);
  EXPECT_FALSE(call("current_time", R"({"time_zone":3})").outcome.ok);
}

TEST_F(BuiltinToolsTest, CurrentTimeInIanaZonesReadAtStartUp) {
  struct stat info;
  if (stat("/usr/share/zoneinfo/Europe/Paris", &info) != 0) GTEST_SKIP() << "no zoneinfo";
  BuiltinToolsOptions options = testOptions();
  options.time_zones =
      TimeZones::load("/usr/share/zoneinfo", static_cast<int64_t>(kNow) - 86400 * 200);
  ToolRun paris = call("current_time", R"({"time_zone":"Europe/Paris"})", options);
  ASSERT_TRUE(paris.outcome.ok) << paris.outcome.content;
  EXPECT_EQ(field(paris.json, "time"), "2023-11-14T23:13:20+01:00");
  EXPECT_EQ(field(paris.json, "abbreviation"), "CET");
  ToolRun new_york = call("current_time", R"({"time_zone":"america/new_york"})", options);
  EXPECT_EQ(field(new_york.json, "time"), "2023-11-14T17:13:20-05:00");
  EXPECT_EQ(field(new_york.json, "time_zone"), "America/New_York");

  options.clock = [] { return 1690000000.0; };  // 2023-07-22T04:26:40Z: summer time
  ToolRun summer = call("current_time", R"({"time_zone":"Europe/Paris"})", options);
  EXPECT_EQ(field(summer.json, "time"), "2023-07-22T06:26:40+02:00");
  EXPECT_EQ(field(summer.json, "abbreviation"), "CEST");
  EXPECT_TRUE(cJSON_IsTrue(jsonField(summer.json.get(), "dst")));
}

// ---- the gateway tools ------------------------------------------------------------------------

class GatewayToolsTest : public GatewayFixture, public ToolHarness {
 protected:
  ToolRun call(const std::string& name, const std::string& arguments,
               const BuiltinToolsOptions& options = testOptions()) {
    auto tools = toolsByName(options);
    if (!job_) job_ = makeJob("e1");
    ToolContext ctx = context(loop_.get(), job_, rpc_.get());
    return run(loop_, tools.at(name), ctx, arguments);
  }

  std::shared_ptr<ProcessJob> job_;
};

TEST_F(GatewayToolsTest, FetchMessagesRendersTheChannelOldestFirst) {
  ToolRun run = call("fetch_messages", "{}");
  ASSERT_TRUE(run.outcome.ok) << run.outcome.content;
  std::vector<GatewayRequest> requests = gateway_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].params_json, R"({"channel_id":"c1","limit":20,"before":null})");
  EXPECT_EQ(requests[0].action_id, "e1:rpc:0");
  EXPECT_EQ(field(run.json, "channel_id"), "c1");
  const cJSON* messages = jsonField(run.json.get(), "messages");
  ASSERT_EQ(cJSON_GetArraySize(messages), 2);
  const cJSON* oldest = cJSON_GetArrayItem(messages, 0);
  EXPECT_EQ(jsonString(oldest, "id"), "m1");
  EXPECT_EQ(jsonString(oldest, "author"), "name-u1");
  EXPECT_EQ(jsonString(oldest, "author_id"), "u1");
  EXPECT_EQ(jsonString(oldest, "time"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(jsonString(oldest, "content"), "first");
  EXPECT_EQ(jsonString(cJSON_GetArrayItem(messages, 1), "id"), "m2");
  EXPECT_TRUE(lasting_.empty());

  ToolRun paged = call("fetch_messages", R"({"limit":5,"before":"m1"})");
  ASSERT_TRUE(paged.outcome.ok) << paged.outcome.content;
  EXPECT_EQ(gateway_->requests()[1].params_json, R"({"channel_id":"c1","limit":5,"before":"m1"})");
}

TEST_F(GatewayToolsTest, FetchMessagesChecksArgumentsBeforeAskingTheGateway) {
  for (const char* arguments : {R"({"limit":"ten"})", R"({"limit":500})", R"({"limit":0})",
                                R"({"before":""})", R"({"channel_id":"c2"})"}) {
    ToolRun run = call("fetch_messages", arguments);
    EXPECT_FALSE(run.outcome.ok) << arguments;
  }
  EXPECT_NE(call("fetch_messages", R"({"limit":"ten"})")
                .outcome.content.find("`limit` must be an integer from 1 to 100 (got \"ten\")"),
            std::string::npos);
  EXPECT_NE(call("fetch_messages", R"({"channel_id":"c2"})")
                .outcome.content.find("only the current channel"),
            std::string::npos);
  EXPECT_EQ(gateway_->requestCount(), 0u);

  // Allowed by the option: the channel named, and the current one stays fine.
  BuiltinToolsOptions open = testOptions();
  open.other_channels = true;
  ASSERT_TRUE(call("fetch_messages", R"({"channel_id":"c2","limit":3})", open).outcome.ok);
  ASSERT_TRUE(call("fetch_messages", R"({"channel_id":"c1"})").outcome.ok);
  EXPECT_EQ(gateway_->requests()[0].params_json, R"({"channel_id":"c2","limit":3,"before":null})");
}

TEST_F(GatewayToolsTest, FetchMessagesKeepsTheNewestWithinTheBudget) {
  gateway_->setResponder([](const GatewayRequest&) {
    std::vector<IncomingMessage> messages;
    for (int i = 100; i > 0; --i) {  // newest first
      IncomingMessage message = testEnvelope("x").message;
      message.id = "m" + std::to_string(i);
      message.content = std::string(3000, 'a');
      messages.push_back(message);
    }
    return GatewayAnswer{.result = encodeFetchMessagesResult(messages)};
  });
  BuiltinToolsOptions options = testOptions();
  options.result_budget_bytes = 4000;
  options.message_content_bytes = 500;
  ToolRun run = call("fetch_messages", R"({"limit":100})", options);
  ASSERT_TRUE(run.outcome.ok) << run.outcome.content;
  EXPECT_LE(run.outcome.content.size(), 4000u);
  const cJSON* messages = jsonField(run.json.get(), "messages");
  int kept = cJSON_GetArraySize(messages);
  ASSERT_GT(kept, 0);
  EXPECT_EQ(jsonString(cJSON_GetArrayItem(messages, kept - 1), "id"), "m100");  // the newest
  double omitted = 0;
  ASSERT_TRUE(jsonNumber(run.json.get(), "omitted", &omitted));
  EXPECT_EQ(omitted, 100 - kept);
  EXPECT_LE(std::string(jsonString(cJSON_GetArrayItem(messages, 0), "content")).size(), 500u);
}

TEST_F(GatewayToolsTest, GetUserAndGetChannelInTheCurrentGuild) {
  ToolRun user = call("get_user", R"({"user_id":"<@!u7>"})");
  ASSERT_TRUE(user.outcome.ok) << user.outcome.content;
  EXPECT_EQ(gateway_->requests()[0].params_json, R"({"user_id":"u7","guild_id":"g1"})");
  EXPECT_EQ(field(user.json, "name"), "user-u7");
  EXPECT_EQ(field(user.json, "display_name"), "User u7");
  EXPECT_EQ(field(user.json, "joined_at"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(printJson(jsonField(user.json.get(), "roles")), R"(["r1"])");

  ToolRun channel = call("get_channel", "{}");
  ASSERT_TRUE(channel.outcome.ok) << channel.outcome.content;
  EXPECT_EQ(gateway_->requests()[1].params_json, R"({"channel_id":"c1"})");
  EXPECT_EQ(channel.outcome.content,
            R"({"id":"c1","name":"general","topic":"talk","kind":"text"})");

  EXPECT_FALSE(call("get_user", R"({"user_id":42})").outcome.ok);
  EXPECT_FALSE(call("get_user", "{}").outcome.ok);
  EXPECT_EQ(gateway_->requestCount(), 2u);
}

TEST_F(GatewayToolsTest, TimeoutAndGatewayErrorsAreTheToolsErrorResult) {
  tool_config_.gateway.timeout_ms = 200;
  gateway_->answerAll({.mode = GatewayMode::kSilent});
  ToolRun timeout = call("get_channel", "{}");
  EXPECT_FALSE(timeout.outcome.ok);
  EXPECT_NE(timeout.outcome.content.find("did not answer within 200 ms (timeout)"),
            std::string::npos)
      << timeout.outcome.content;

  gateway_->answerAll({.mode = GatewayMode::kError, .error = "Missing Access"});
  ToolRun refused = call("fetch_messages", "{}");
  EXPECT_FALSE(refused.outcome.ok);
  EXPECT_EQ(refused.outcome.content, "fetch_messages failed: Missing Access");

  // A reply whose result is not what the method returns.
  gateway_->answerAll({.result = encodeGetChannelResult({"c1", {}, {}, "text"})});
  ToolRun wrong = call("get_user", R"({"user_id":"u1"})");
  EXPECT_FALSE(wrong.outcome.ok);
  EXPECT_NE(wrong.outcome.content.find("could not be read"), std::string::npos)
      << wrong.outcome.content;
}

TEST_F(GatewayToolsTest, WithoutAGatewayTheToolSaysSo) {
  auto tools = toolsByName(testOptions());
  ToolContext ctx = context(loop_.get(), makeJob("e1"), nullptr);
  ToolRun run = ToolHarness::run(loop_, tools.at("get_channel"), ctx, "{}");
  EXPECT_FALSE(run.outcome.ok);
  EXPECT_NE(run.outcome.content.find("not available"), std::string::npos);
}

}  // namespace
}  // namespace sg::test
