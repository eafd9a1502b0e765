// ToolRegistry: tools.disabled and tools.permissions (roles, channels, threads, guilds; a
// permission not listed is allowed) decide the specs offered and the calls run; unknown and
// forbidden calls complete with an error for the model; every call completes exactly once and
// never from inside run(), even when a handler answers synchronously.
#include "worker/tool_registry.h"

#include <gtest/gtest.h>

#include "common/config_loader.h"
#include "support/test_loop.h"
#include "common/run_soon.h"

namespace sg {
namespace {

ToolDefinition tool(const std::string& name, const std::string& permission, bool synchronous) {
  return {name, "the " + name + " tool", R"({"type":"object","properties":{}})", permission,
          [name, synchronous](const ToolCall& call, ToolContext& context, ToolDone done) {
            ToolOutcome outcome{true, name + " ran with " + call.arguments};
            if (synchronous) {
              done(outcome);  // misbehaving: the registry must still defer it
            } else {
              runSoon(context.loop, [done, outcome] { done(outcome); });
            }
          }};
}

Envelope envelopeIn(const std::string& channel, const std::string& guild,
                    std::vector<std::string> roles = {}) {
  Envelope envelope;
  envelope.event_id = "ev1";
  envelope.platform = "discord";
  envelope.message.channel_id = channel;
  envelope.message.guild_id = guild;
  envelope.message.author.id = "u1";
  envelope.message.author.roles = std::move(roles);
  return envelope;
}

ConfigPtr configFrom(const std::string& json) {
  ConfigResult result = buildConfig({.file_text = json});
  EXPECT_TRUE(result.ok()) << result.errorText();
  return result.config;
}

std::vector<std::string> names(const std::vector<ToolSpec>& specs) {
  std::vector<std::string> out;
  for (const ToolSpec& spec : specs) out.push_back(spec.name);
  return out;
}

class ToolRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.add(tool("clock", "", false));
    registry_.add(tool("react", "react", false));
    registry_.add(tool("lookup", "lookup", true));
  }
  void TearDown() override { EXPECT_EQ(loop_.close(), 0); }

  ToolOutcome run(const std::string& name, const Envelope& envelope, ConfigPtr config) {
    auto job = std::make_shared<ProcessJob>(envelope, "worker-t", 1, nullptr, nullptr);
    ToolContext context;
    context.loop = loop_.get();
    context.config = config.get();
    context.job = job;
    int calls = 0;
    bool inside = true;
    ToolOutcome outcome;
    registry_.run({"call-1", name, R"({"x":1})"}, context, [&](ToolOutcome result) {
      EXPECT_FALSE(inside) << "completed from inside run()";
      ++calls;
      outcome = std::move(result);
    });
    inside = false;
    EXPECT_TRUE(loop_.runUntil([&] { return calls > 0; }));
    EXPECT_TRUE(loop_.runUntil([] { return true; }));
    EXPECT_EQ(calls, 1);
    return outcome;
  }

  test::TestLoop loop_;
  ToolRegistry registry_;
};

TEST_F(ToolRegistryTest, EveryToolIsAllowedByDefault) {
  ConfigPtr config = configFrom("{}");
  EXPECT_EQ(names(registry_.specsFor(envelopeIn("c1", "g1"), *config)),
            (std::vector<std::string>{"clock", "react", "lookup"}));
  EXPECT_EQ(registry_.specsFor(envelopeIn("c1", "g1"), *config)[1].description, "the react tool");
}

TEST_F(ToolRegistryTest, DisabledAndPermissions) {
  ConfigPtr config = configFrom(R"({"tools": {"disabled": ["clock"], "permissions": {
      "react": {"channels": ["c-fun"], "guilds": ["g-fun"]},
      "lookup": {"roles": ["moderator"]}}}})");
  EXPECT_TRUE(names(registry_.specsFor(envelopeIn("c1", "g1"), *config)).empty());
  EXPECT_EQ(names(registry_.specsFor(envelopeIn("c-fun", "g1"), *config)),
            std::vector<std::string>{"react"});
  EXPECT_EQ(names(registry_.specsFor(envelopeIn("c1", "g-fun"), *config)),
            std::vector<std::string>{"react"});
  EXPECT_EQ(names(registry_.specsFor(envelopeIn("c1", "g1", {"member", "moderator"}), *config)),
            std::vector<std::string>{"lookup"});
  Envelope thread = envelopeIn("t1", "g1");
  thread.message.thread_id = "c-fun";
  EXPECT_TRUE(registry_.allowed("react", thread, *config));
  EXPECT_FALSE(registry_.allowed("clock", envelopeIn("c-fun", "g-fun"), *config));
  EXPECT_FALSE(registry_.allowed("nonexistent", envelopeIn("c1", "g1"), *config));
}

TEST_F(ToolRegistryTest, RunsAllowedCallsAndRefusesOthersAsToolResults) {
  ConfigPtr config = configFrom(R"({"tools": {"permissions": {"react": {"roles": ["mod"]}}}})");
  ToolOutcome ok = run("clock", envelopeIn("c1", "g1"), config);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.content, R"(clock ran with {"x":1})");

  ToolOutcome forbidden = run("react", envelopeIn("c1", "g1"), config);
  EXPECT_FALSE(forbidden.ok);
  EXPECT_EQ(forbidden.content, "error: the tool react is not allowed here");
  EXPECT_TRUE(run("react", envelopeIn("c1", "g1", {"mod"}), config).ok);

  ToolOutcome unknown = run("teleport", envelopeIn("c1", "g1"), config);
  EXPECT_FALSE(unknown.ok);
  EXPECT_EQ(unknown.content, "error: there is no tool named teleport");

  // A handler that calls done() synchronously is deferred by the registry.
  EXPECT_TRUE(run("lookup", envelopeIn("c1", "g1"), config).ok);
}

TEST(ToolPermissionsConfig, IsValidated) {
  ConfigResult bad = buildConfig({.file_text = R"({"tools": {"permissions": {
      "react": {"roles": "mod"}, "lookup": {"users": ["u"]}, "files": []}}})"});
  ASSERT_FALSE(bad.ok());
  std::string text = bad.errorText();
  EXPECT_NE(text.find("tools.permissions.react.roles: must be an array of strings"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tools.permissions.lookup.users: unknown key"), std::string::npos) << text;
  EXPECT_NE(text.find("tools.permissions.files: must be an object"), std::string::npos) << text;
  EXPECT_FALSE(buildConfig({.file_text = R"({"tools": {"permissions": []}})"}).ok());
  EXPECT_TRUE(buildConfig({.cli = {R"(tools.permissions={"react": {"channels": ["1"]}})"}}).ok());
}

}  // namespace
}  // namespace sg
