// The LLM message processor end to end: a real sg-worker (`consumer.processor: "llm"`) against a
// real redis-server and the real sg-fake-llm over HTTP. What users rely on: a mention gets a
// reply on the platform's outbound stream, replying to the right message, and the channel's
// history reaches the model's next request; messages not addressed to the bot and messages of
// bots get none (but are cached as context); a tool round trip feeds the result back under its
// tool_call_id; a long reply arrives in ordered parts within the platform limit with balanced
// code fences; streamed replies are published early and edited; a model that fails for good
// yields the apology and nothing stays pending.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "common/json.h"
#include "support/bus_fixture.h"
#include "support/fake_llm.h"
#include "support/test_gateway.h"
#include "worker/reply_run.h"
#include "worker/reply_splitter.h"

namespace sg::test {
namespace {

class ProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok()) << redis_.logText();
    ASSERT_TRUE(fake_.ok()) << fake_.logText();
    client_ = redis_.client();
  }

  void TearDown() override {
    if (HasFailure()) {
      for (auto& worker : workers_) {
        std::cerr << "---- log of " << worker->id() << " ----\n" << worker->log() << "\n";
      }
      std::cerr << "---- sg-fake-llm ----\n" << fake_.logText() << "\n";
    }
  }

  // A worker with the LLM processor pointed at the fake, `extra` merged over that.
  void startWorker(const std::string& extra = "", bool test_tools = false) {
    std::string config = R"({"consumer": {"processor": "llm"},
        "llm": {"base_url": ")" +
                         fake_.baseUrl() + R"(", "model": "fake/model",
                "api_key": "sk-test", "max_retries": 1, "retry_base_ms": 5,
                "retry_max_ms": 20, "timeout_ms": 20000,
                "attempt_timeout_ms": 10000, "first_token_timeout_ms": 10000}})";
    JsonPtr merged = parseJson(config);
    if (!extra.empty()) merged = applyMergePatch(std::move(merged), parseJson(extra).get());
    workers_.push_back(
        std::make_unique<WorkerProcess>(redis_, "worker-proc", printJson(merged.get()), dir_));
    std::map<std::string, std::string> env;
    if (test_tools) env["STARGAZER_TEST_TOOLS"] = "1";
    ASSERT_TRUE(workers_.back()->start(env));
  }

  void send(const EnvelopeSpec& spec) { addInbound(*client_, makeEnvelope(spec)); }

  std::vector<OutboundAction> actionsOf(const std::string& event_id, const std::string& kind) {
    std::vector<OutboundAction> out;
    for (auto& action : readOutbound(*client_)) {
      if (action.event_id == event_id && action.action == kind) out.push_back(std::move(action));
    }
    return out;
  }

  // Waits until `event_id` has a committed reply (the entry is acknowledged with its actions).
  std::vector<OutboundAction> awaitReply(const std::string& event_id, int timeout_ms = 20000) {
    bool done = waitFor(
        [&] {
          return client_->integer({"EXISTS", "sg:done:" + event_id}) == 1 &&
                 !actionsOf(event_id, "send_message").empty();
        },
        timeout_ms);
    EXPECT_TRUE(done) << "no reply for " << event_id;
    return actionsOf(event_id, "send_message");
  }

  long long pendingCount() {
    Reply reply = client_->command({"XPENDING", "sg:stream:inbound", "sg:workers"});
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) return -1;
    return reply->element[0]->integer;
  }

  // The messages array of the n-th chat request the fake received.
  JsonPtr requestMessages(size_t n) {
    std::vector<JsonPtr> bodies = fake_.bodies();
    if (n >= bodies.size()) return nullptr;
    return copyJson(jsonField(bodies[n].get(), "messages"));
  }

  static std::string field(const OutboundAction& action, const char* name) {
    return std::string(jsonString(action.json.get(), name));
  }

  static double number(const OutboundAction& action, const char* name) {
    double value = 0;
    jsonNumber(action.json.get(), name, &value);
    return value;
  }

  TempDir dir_;
  RedisServer redis_;
  FakeLlm fake_;
  std::unique_ptr<SyncRedis> client_;
  std::vector<std::unique_ptr<WorkerProcess>> workers_;
};

// Texts of the messages with `role`, in order.
std::vector<std::string> contents(const cJSON* messages, const std::string& role) {
  std::vector<std::string> out;
  for (const cJSON* item = messages != nullptr ? messages->child : nullptr; item != nullptr;
       item = item->next) {
    if (jsonString(item, "role") == role) out.emplace_back(jsonString(item, "content"));
  }
  return out;
}

TEST_F(ProcessorTest, MentionGetsAReplyAndTheChannelHistoryReachesTheNextRequest) {
  startWorker();
  send({.event_id = "ev-1", .channel_id = "c1", .content = "what is a pulsar?"});
  std::vector<OutboundAction> first = awaitReply("ev-1");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].channel_id, "c1");
  EXPECT_EQ(first[0].action_id, "ev-1:0");
  EXPECT_EQ(field(first[0], "reply_to_message_id"), "m-ev-1");
  EXPECT_EQ(first[0].content, "Echo: alice: what is a pulsar?");
  EXPECT_FALSE(actionsOf("ev-1", "typing").empty()) << "typing as soon as it decides to answer";
  EXPECT_EQ(first[0].worker, "worker-proc");

  // A message not addressed to the bot, then another mention in the same channel.
  send({.event_id = "ev-2",
        .channel_id = "c1",
        .content = "pulsars spin fast",
        .mentions_bot = false});
  send({.event_id = "ev-3", .channel_id = "c1", .content = "and a magnetar?"});
  std::vector<OutboundAction> third = awaitReply("ev-3");
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(field(third[0], "reply_to_message_id"), "m-ev-3");
  EXPECT_TRUE(actionsOf("ev-2", "send_message").empty());

  ASSERT_EQ(fake_.bodies().size(), 2u) << "the unaddressed message costs no model call";
  JsonPtr messages = requestMessages(1);
  ASSERT_NE(messages, nullptr);
  EXPECT_EQ(jsonString(cJSON_GetArrayItem(messages.get(), 0), "role"), "system");
  std::vector<std::string> users = contents(messages.get(), "user");
  std::vector<std::string> assistants = contents(messages.get(), "assistant");
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0], "alice: what is a pulsar?");
  ASSERT_EQ(assistants.size(), 1u);
  EXPECT_EQ(assistants[0], "Echo: alice: what is a pulsar?");
  EXPECT_NE(users[1].find("alice: pulsars spin fast"), std::string::npos)
      << "the unaddressed message is context: " << users[1];
  EXPECT_NE(users[1].find("alice: and a magnetar?"), std::string::npos);
  EXPECT_TRUE(waitFor([&] { return pendingCount() == 0; }, 5000));
}

TEST_F(ProcessorTest, NoReplyToUnaddressedMessagesOrToBots) {
  startWorker();
  send({.event_id = "ev-plain",
        .channel_id = "c2",
        .content = "just chatting",
        .mentions_bot = false});
  send({.event_id = "ev-bot",
        .channel_id = "c2",
        .content = "beep, hello bot",
        .author_is_bot = true});
  send({.event_id = "ev-sentinel", .channel_id = "c2", .content = "hello bot"});
  awaitReply("ev-sentinel");
  EXPECT_TRUE(actionsOf("ev-plain", "send_message").empty());
  EXPECT_TRUE(actionsOf("ev-bot", "send_message").empty());
  EXPECT_TRUE(actionsOf("ev-bot", "typing").empty());
  EXPECT_EQ(client_->integer({"EXISTS", "sg:done:ev-bot"}), 1) << "acknowledged all the same";
  EXPECT_EQ(fake_.bodies().size(), 1u);
  EXPECT_EQ(client_->integer({"ZCARD", "sg:cache:discord:c2"}), 3) << "all three are cached";
  EXPECT_TRUE(waitFor([&] { return pendingCount() == 0; }, 5000));
  // The counters reach the liveness record.
  std::string record;
  EXPECT_TRUE(waitFor(
      [&] {
        record = client_->string({"GET", "sg:heartbeat:worker-proc"});
        JsonPtr json = parseJson(record);
        const cJSON* processor = jsonField(json.get(), "processor");
        double answered = 0, ignored = 0;
        return jsonNumber(processor, "answered", &answered) && answered == 1 &&
               jsonNumber(processor, "ignored", &ignored) && ignored == 2;
      },
      5000))
      << record;
}

TEST_F(ProcessorTest, ToolCallRoundTripFeedsTheResultBackUnderItsId) {
  startWorker("", /*test_tools=*/true);
  ASSERT_TRUE(fake_.script(R"([
      {"tool_calls": [{"id": "call_42", "name": "sg_test_echo", "arguments": {"text": "ping"}},
                      {"id": "call_43", "name": "sg_test_fail", "arguments": {}}]},
      {"match": {"tool_message": true}, "content": "The tool said ping."}])"));
  send({.event_id = "ev-tool", .channel_id = "c3", .content = "use the tool"});
  std::vector<OutboundAction> reply = awaitReply("ev-tool");
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].content, "The tool said ping.");

  std::vector<JsonPtr> bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  const cJSON* tools = jsonField(bodies[0].get(), "tools");
  std::string offered = printJson(tools);
  EXPECT_NE(offered.find("sg_test_echo"), std::string::npos) << offered;
  const cJSON* messages = jsonField(bodies[1].get(), "messages");
  int size = cJSON_GetArraySize(messages);
  ASSERT_GE(size, 4);
  const cJSON* assistant = cJSON_GetArrayItem(messages, size - 3);
  EXPECT_EQ(jsonString(assistant, "role"), "assistant");
  EXPECT_EQ(jsonString(cJSON_GetArrayItem(jsonField(assistant, "tool_calls"), 0), "id"), "call_42");
  const cJSON* echo = cJSON_GetArrayItem(messages, size - 2);
  EXPECT_EQ(jsonString(echo, "role"), "tool");
  EXPECT_EQ(jsonString(echo, "tool_call_id"), "call_42");
  EXPECT_EQ(jsonString(echo, "content"), R"({"echo":{"text":"ping"}})");
  const cJSON* failed = cJSON_GetArrayItem(messages, size - 1);
  EXPECT_EQ(jsonString(failed, "tool_call_id"), "call_43");
  EXPECT_EQ(jsonString(failed, "content"), "error: test failure") << "errors go to the model";

  // The next turn sees the whole exchange, the call still followed by its result.
  send({.event_id = "ev-after", .channel_id = "c3", .content = "thanks"});
  awaitReply("ev-after");
  std::string history = printJson(requestMessages(2).get());
  size_t call = history.find("\"call_42\"");
  size_t result = history.find("\"tool_call_id\":\"call_42\"");
  EXPECT_NE(call, std::string::npos) << history;
  EXPECT_NE(result, std::string::npos) << history;
  EXPECT_LT(call, result);
}

// Gateway calls through the real worker: the model asks for get_channel, a test gateway answers
// it on the worker's reply stream, and the answer reaches the model's next request; when the
// gateway never answers, the model is told of the timeout and the user still gets the reply.
TEST_F(ProcessorTest, GatewayCallAnsweredAndGatewayCallTimedOutBothReachTheModel) {
  startWorker(R"({"gateway": {"timeout_ms": 300}})");
  TestGateway gateway(redis_.port());
  ASSERT_TRUE(gateway.start());
  const std::string round = R"([
      {"tool_calls": [{"id": "call_gw", "name": "get_channel", "arguments": {}}]},
      {"match": {"tool_message": true}, "content": "Checked the channel."}])";
  ASSERT_TRUE(fake_.script(round));
  send({.event_id = "ev-gw", .channel_id = "c7", .content = "what channel is this?"});
  ASSERT_EQ(awaitReply("ev-gw").size(), 1u);
  ASSERT_EQ(gateway.requestCount(), 1u);
  EXPECT_EQ(gateway.requests()[0].method, "get_channel");
  EXPECT_EQ(gateway.requests()[0].action_id, "ev-gw:rpc:0");
  std::string answered = printJson(requestMessages(1).get());
  EXPECT_NE(answered.find("general"), std::string::npos) << "the channel's name" << answered;

  gateway.answerAll({.mode = GatewayMode::kSilent});
  ASSERT_TRUE(fake_.script(round));
  send({.event_id = "ev-gw-silent", .channel_id = "c7", .content = "and now?"});
  ASSERT_EQ(awaitReply("ev-gw-silent").size(), 1u);
  std::string timed_out = printJson(requestMessages(3).get());
  EXPECT_NE(timed_out.find("did not answer within 300 ms"), std::string::npos) << timed_out;
  EXPECT_EQ(pendingCount(), 0);
}

TEST_F(ProcessorTest, LongReplyArrivesInOrderedPartsWithBalancedFences) {
  startWorker();
  std::string text;
  for (int block = 0; text.size() < 5000; ++block) {
    text += "Step " + std::to_string(block) + " explains the orbit of a planet around its star. ";
    text += "It is long enough to need several parts.\n\n```cpp\n";
    for (int line = 0; line < 10; ++line) {
      text += "double orbit_" + std::to_string(block) + "_" + std::to_string(line) +
              " = radius * " + std::to_string(line) + ";\n";
    }
    text += "```\n\n";
  }
  text = std::string(truncateCodePoints(text, 5000));
  JsonPtr spec(cJSON_CreateObject());
  cJSON_AddStringToObject(spec.get(), "content", text.c_str());
  ASSERT_TRUE(fake_.script(printJson(spec.get())));
  send({.event_id = "ev-long", .channel_id = "c4", .content = "explain orbits"});
  std::vector<OutboundAction> parts = awaitReply("ev-long");
  ASSERT_GE(parts.size(), 3u);
  for (size_t i = 0; i < parts.size(); ++i) {
    const OutboundAction& part = parts[i];
    EXPECT_EQ(part.action_id, "ev-long:" + std::to_string(i));
    EXPECT_EQ(number(part, "part"), double(i + 1));
    EXPECT_EQ(number(part, "parts"), double(parts.size()));
    EXPECT_LE(codePointCount(part.content), 2000u);
    size_t fences = 0;
    for (size_t at = part.content.find("```"); at != std::string::npos;
         at = part.content.find("```", at + 3)) {
      ++fences;
    }
    EXPECT_EQ(fences % 2, 0u) << "part " << i << ":\n" << part.content;
  }
  EXPECT_EQ(field(parts[0], "reply_to_message_id"), "m-ev-long");
  EXPECT_EQ(cJSON_IsNull(jsonField(parts[1].json.get(), "reply_to_message_id")), true);
}

TEST_F(ProcessorTest, StreamedReplyIsPublishedEarlyThenEditedToTheFinalText) {
  startWorker(R"({"bot": {"stream_edits": true}})");
  std::string words;
  for (int i = 0; i < 30; ++i) words += "word" + std::to_string(i) + " ";
  words += "end.";
  JsonPtr spec(cJSON_CreateObject());
  cJSON_AddStringToObject(spec.get(), "content", words.c_str());
  cJSON_AddNumberToObject(spec.get(), "token_delay_ms", 60);
  ASSERT_TRUE(fake_.script(printJson(spec.get())));
  send({.event_id = "ev-stream", .channel_id = "c5", .content = "stream please"});
  awaitReply("ev-stream");
  std::vector<OutboundAction> actions;
  for (auto& action : readOutbound(*client_)) {
    if (action.event_id == "ev-stream" && action.action != "typing")
      actions.push_back(std::move(action));
  }
  ASSERT_GE(actions.size(), 3u);
  EXPECT_EQ(actions.front().action, "send_message") << "the first part goes out early";
  EXPECT_EQ(actions.front().action_id, "ev-stream:0");
  EXPECT_LT(actions.front().content.size(), words.size());
  size_t edits = 0;
  for (const auto& action : actions) {
    if (action.action != "edit_message") continue;
    ++edits;
    EXPECT_EQ(field(action, "target_action_id"), "ev-stream:0");
  }
  EXPECT_GE(edits, 2u) << "progressive edits, then the final one";
  EXPECT_EQ(actions.back().action, "edit_message");
  EXPECT_EQ(actions.back().content, words);
  const OutboundAction& committed = actions[actions.size() - 2];
  EXPECT_EQ(committed.action_id, "ev-stream:0") << "committed again: the Gateway dedups it";
  EXPECT_EQ(committed.content, words);
}

TEST_F(ProcessorTest, ModelFailureEndToEndGivesTheApologyAndLeavesNothingPending) {
  startWorker();
  ASSERT_TRUE(fake_.script(R"({"status": 500, "error": {"code": 500, "message": "boom"},
                               "times": -1})"));
  send({.event_id = "ev-fail", .channel_id = "c6", .content = "are you there?"});
  std::vector<OutboundAction> reply = awaitReply("ev-fail");
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].content, std::string(kApologyText));
  EXPECT_EQ(field(reply[0], "reply_to_message_id"), "m-ev-fail");
  EXPECT_TRUE(waitFor([&] { return pendingCount() == 0; }, 5000));
  EXPECT_TRUE(readDeadLetters(*client_).empty());
  EXPECT_EQ(fake_.bodies().size(), 2u) << "the attempt and its one retry";

  ASSERT_TRUE(fake_.reset());
  ASSERT_TRUE(fake_.script(R"({"status": 429, "error": {"code": 429, "message": "slow down"},
                               "times": -1})"));
  send({.event_id = "ev-limited", .channel_id = "c6", .content = "still there?"});
  reply = awaitReply("ev-limited");
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].content, std::string(kApologyText));
  EXPECT_TRUE(waitFor([&] { return pendingCount() == 0; }, 5000));
  // The failed exchange is not stored: the next request's history has no apology in it.
  ASSERT_TRUE(fake_.reset());
  send({.event_id = "ev-ok", .channel_id = "c6", .content = "now?"});
  awaitReply("ev-ok");
  std::string history = printJson(requestMessages(0).get());
  EXPECT_EQ(history.find("Sorry"), std::string::npos) << history;
}

TEST_F(ProcessorTest, ABadPromptTemplateRefusesTheConfigurationAtStart) {
  std::string prompt = dir_.file("prompt.txt");
  ASSERT_TRUE(writeFile(prompt, "You are {{bot_name}}, talking to {{usr}}."));
  startWorker(R"({"bot": {"system_prompt_file": ")" + prompt + R"("}})");
  int status = workers_.back()->process().wait(10000);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 78);
  std::string log = workers_.back()->log();
  EXPECT_NE(log.find(prompt + ": line 1: unknown variable {{usr}}"), std::string::npos) << log;
}

}  // namespace
}  // namespace sg::test
