// LlmMessageProcessor in-process, against a real redis-server and the real sg-fake-llm: jobs
// never finish inside process(); a cancelled job stops its model call and timers and never
// finishes; a configuration whose template is bad is refused live and the running one stays;
// with conversation.summarize the oldest turns are folded into a summary that becomes the
// prompt's memory; and the loop closes cleanly afterwards.
#include "worker/message_processor.h"

#include <gtest/gtest.h>

#include <optional>

#include "common/bus_codec.h"
#include "common/clock.h"
#include "common/config_loader.h"
#include "support/child_process.h"
#include "support/fake_llm.h"
#include "support/loop_redis.h"
#include "worker/test_tools.h"

namespace sg {
namespace {

struct JobProbe {
  std::vector<std::string> published;
  std::optional<ProcessResult> result;
  bool in_process = false;
  bool finished_inside = false;
};

Envelope mention(const std::string& event, const std::string& content, bool mentions = true) {
  Envelope envelope;
  envelope.event_id = event;
  envelope.platform = "discord";
  envelope.sent_at = unixNow();
  IncomingMessage& message = envelope.message;
  message.id = "m-" + event;
  message.channel_id = "c1";
  message.guild_id = "g1";
  message.author.id = "u1";
  message.author.name = "alice";
  message.content = content;
  message.created_at = envelope.sent_at;
  message.mentions_bot = mentions;
  message.bot_user_id = "999";
  return envelope;
}

class MessageProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << server_.logText();
    ASSERT_TRUE(fake_.ok()) << fake_.logText();
    redis_ = std::make_unique<test::LoopRedis>(loop_, server_);
    ASSERT_TRUE(redis_->connected());
  }

  void TearDown() override {
    processor_.reset();
    redis_.reset();
    EXPECT_EQ(loop_.close(), 0);
  }

  ConfigPtr config(const std::string& extra = "{}") {
    std::string base = R"({"llm": {"base_url": ")" + fake_.baseUrl() +
                       R"(", "model": "fake/model", "api_key": "sk-test", "max_retries": 0}})";
    ConfigResult result = buildConfig({.file_text = base, .cli = {}});
    EXPECT_TRUE(result.ok()) << result.errorText();
    JsonPtr merged = applyMergePatch(configJson(*result.config), parseJson(extra).get());
    result = buildConfig({.file_text = printJson(merged.get())});
    EXPECT_TRUE(result.ok()) << result.errorText();
    return result.config;
  }

  void startProcessor(ConfigPtr config) {
    processor_ = std::make_unique<LlmMessageProcessor>(loop_.get(), redis_->client(),
                                                       std::move(config), "worker-t");
    std::string error;
    ASSERT_TRUE(processor_->start(&error)) << error;
  }

  std::shared_ptr<ProcessJob> process(const Envelope& envelope, JobProbe& probe) {
    auto job = std::make_shared<ProcessJob>(
        envelope, "worker-t", 1,
        [&probe](ProcessResult result) {
          if (probe.in_process) probe.finished_inside = true;
          probe.result = std::move(result);
        },
        [&probe](std::vector<std::string> payloads, std::function<void(bool)> done) {
          for (auto& payload : payloads) probe.published.push_back(std::move(payload));
          if (done) done(true);
        });
    probe.in_process = true;
    processor_->process(job);
    probe.in_process = false;
    return job;
  }

  ProcessResult answer(const Envelope& envelope) {
    JobProbe probe;
    auto job = process(envelope, probe);
    EXPECT_TRUE(loop_.runUntil([&] { return probe.result.has_value(); }));
    EXPECT_FALSE(probe.finished_inside);
    return probe.result.value_or(ProcessResult{});
  }

  // The system prompt of the last request that answered a message (summaries have their own).
  std::string lastSystemPrompt() {
    std::vector<JsonPtr> bodies = fake_.bodies();
    for (auto it = bodies.rbegin(); it != bodies.rend(); ++it) {
      const cJSON* first = cJSON_GetArrayItem(jsonField(it->get(), "messages"), 0);
      std::string prompt(jsonString(first, "content"));
      if (prompt.rfind("You keep the memory", 0) != 0) return prompt;
    }
    return "";
  }

  test::RedisServer server_;
  test::FakeLlm fake_;
  test::TestLoop loop_;
  std::unique_ptr<test::LoopRedis> redis_;
  std::unique_ptr<LlmMessageProcessor> processor_;
};

TEST_F(MessageProcessorTest, AnUnaddressedMessageFinishesLaterWithoutActions) {
  startProcessor(config());
  ProcessResult result = answer(mention("ev-1", "chatting", false));
  EXPECT_EQ(result.status, ProcessStatus::kDone);
  EXPECT_EQ(result.outcome, "ignored");
  EXPECT_TRUE(result.actions.empty());
  EXPECT_EQ(processor_->stats().ignored, 1u);
  EXPECT_TRUE(fake_.bodies().empty());
}

TEST_F(MessageProcessorTest, CancellationStopsTheModelCallAndNeverFinishes) {
  startProcessor(config());
  ASSERT_TRUE(fake_.script(R"({"stall": "before_headers"})"));
  JobProbe probe;
  auto job = process(mention("ev-1", "hello"), probe);
  ASSERT_TRUE(loop_.runUntil([&] { return fake_.bodies().size() == 1; }));
  EXPECT_EQ(probe.published.size(), 1u) << "the typing action";
  EXPECT_EQ(processor_->activeRuns(), 1u);
  job->cancel();
  EXPECT_EQ(processor_->activeRuns(), 0u);
  const auto& outcomes = processor_->llmStats().outcomes;
  ASSERT_TRUE(
      loop_.runUntil([&] { return outcomes[static_cast<size_t>(ChatError::kCancelled)] == 1; }));
  EXPECT_FALSE(probe.result.has_value());
  EXPECT_EQ(processor_->stats().cancelled, 1u);
  EXPECT_EQ(processor_->llmStats().outcomes[0], 0u);
}

TEST_F(MessageProcessorTest, ABadTemplateIsRefusedLiveAndTheRunningConfigurationStays) {
  startProcessor(config());
  test::TempDir dir;
  std::string file = dir.file("prompt.txt");
  ASSERT_TRUE(test::writeFile(file, "Broken {{#user}} never closed"));
  std::string error;
  EXPECT_FALSE(processor_->updateConfig(
      config(R"({"bot": {"system_prompt_file": ")" + file + R"("}})"), &error));
  EXPECT_NE(error.find("unclosed section {{user}}"), std::string::npos) << error;
  EXPECT_EQ(answer(mention("ev-1", "hello")).outcome, "answered");
  EXPECT_NE(lastSystemPrompt().find("You are Stargazer"), std::string::npos);

  ASSERT_TRUE(test::writeFile(file, "Custom prompt for {{user}}."));
  ASSERT_TRUE(processor_->updateConfig(
      config(R"({"bot": {"system_prompt_file": ")" + file + R"("}})"), &error))
      << error;
  EXPECT_EQ(answer(mention("ev-2", "hello again")).outcome, "answered");
  EXPECT_EQ(lastSystemPrompt(), "Custom prompt for alice.");
}

TEST_F(MessageProcessorTest, SummariesFoldTheOldestTurnsIntoTheMemory) {
  startProcessor(config(R"({"conversation": {"max_tokens": 60, "summarize": true}})"));
  for (int i = 0; i < 4; ++i) {
    std::string event = "ev-" + std::to_string(i);
    ProcessResult result = answer(mention(event, "tell me fact number " + std::to_string(i)));
    ASSERT_EQ(result.outcome, "answered");
    ASSERT_EQ(result.actions.size(), 1u);
  }
  // Every summary settled (a later one may fold the memory again), so the history read next is
  // the one the next request is built from.
  ASSERT_TRUE(loop_.runUntil([&] {
    return processor_->stats().summaries >= 1 && processor_->summariesInFlight() == 0;
  })) << "failures: " << processor_->stats().summary_failures;
  ConversationManager history(redis_->client());
  std::optional<History> loaded;
  history.load("sg:conv:discord:c1", "", [&](History h) { loaded = std::move(h); });
  ASSERT_TRUE(loop_.runUntil([&] { return loaded.has_value(); }));
  ASSERT_FALSE(loaded->exchanges.empty());
  EXPECT_TRUE(loaded->exchanges.front().isSummary());
  std::string memory = loaded->exchanges.front().messages.at(0).content;
  // The fake answers "Echo: <last message>": here, the transcript it was asked to summarise.
  EXPECT_NE(memory.find("alice: tell me fact number 0"), std::string::npos) << memory;

  ASSERT_EQ(answer(mention("ev-next", "what do you remember?")).outcome, "answered");
  EXPECT_NE(lastSystemPrompt().find("What you remember of earlier conversation here:\n" + memory),
            std::string::npos)
      << lastSystemPrompt();
}

TEST_F(MessageProcessorTest, AfterTheLastToolRoundTheModelMustAnswer) {
  startProcessor(config(R"({"llm": {"max_tool_rounds": 1}})"));
  registerTestTools(processor_->tools());
  ASSERT_TRUE(fake_.script(R"([
      {"tool_calls": [{"id": "call_1", "name": "sg_test_echo", "arguments": {"text": "a"}}]},
      {"match": {"tool_message": true}, "content": "done with tools"}])"));
  ProcessResult result = answer(mention("ev-1", "use tools"));
  EXPECT_EQ(result.outcome, "answered");
  std::vector<JsonPtr> bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(jsonString(bodies[0].get(), "tool_choice"), "");
  EXPECT_NE(jsonField(bodies[0].get(), "tools"), nullptr);
  EXPECT_EQ(jsonString(bodies[1].get(), "tool_choice"), "none")
      << "the last call keeps the tools defined and forbids calls";
  EXPECT_NE(jsonField(bodies[1].get(), "tools"), nullptr);
  EXPECT_EQ(processor_->stats().rounds_exhausted, 1u);
  EXPECT_EQ(processor_->stats().tool_calls_ok, 1u);
}

}  // namespace
}  // namespace sg
