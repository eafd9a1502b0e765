// OpenRouterClient against the real sg-fake-llm process over real HTTP: streamed and whole
// answers, tool-call rounds, the request fields and headers OpenRouter relies on, errors in every
// place, the retry schedule with Retry-After, timeouts, cancellation, cooldown and fallbacks, live
// configuration, and no handle, transfer or socket left behind.
#include "worker/openrouter_client.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/log.h"
#include "support/child_process.h"
#include "support/fake_llm.h"
#include "support/test_loop.h"

namespace sg {
namespace {

using test::FakeLlm;
using test::TestLoop;

int openFds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

// Everything one call told its owner, and whether it told it too early.
struct Probe {
  std::string streamed;
  int deltas = 0;
  std::vector<ChatRetry> retries;
  int completions = 0;
  bool completed_inside_call = false;
  bool in_call = false;
  ChatResult result;

  ChatCallbacks callbacks() {
    ChatCallbacks callbacks;
    callbacks.onDelta = [this](std::string_view text) {
      streamed += text;
      ++deltas;
    };
    callbacks.onRetry = [this](const ChatRetry& retry) { retries.push_back(retry); };
    callbacks.onComplete = [this](ChatResult r) {
      if (in_call) completed_inside_call = true;
      ++completions;
      result = std::move(r);
    };
    return callbacks;
  }
};

ChatRequest hello(const std::string& text = "hello there") {
  ChatRequest request;
  request.messages.push_back(ChatMessage::system("You are a test."));
  request.messages.push_back(ChatMessage::user(text));
  request.subject = "test";
  return request;
}

class OpenRouterClientTest : public ::testing::Test {
 protected:
  // libuv opens a process-wide pipe with the first loop: open it before counting descriptors.
  static void SetUpTestSuite() {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_loop_close(&loop);
  }

  void SetUp() override {
    ASSERT_TRUE(fake_.ok()) << fake_.logText();
    multi_ = std::make_unique<CurlMulti>(loop_.get());
    client_ = std::make_unique<OpenRouterClient>(*multi_, makeConfig());
  }

  void TearDown() override {
    client_.reset();
    multi_.reset();
    EXPECT_EQ(loop_.close(), 0);
    EXPECT_EQ(openFds(), fds_before_) << "a socket or file was left open";
  }

  std::shared_ptr<LlmConfig> makeConfig() {
    auto config = std::make_shared<LlmConfig>();
    config->base_url = fake_.baseUrl();
    config->model = "fake/model";
    config->api_key = Secret("sk-or-test-0123456789");
    config->dialect = "openai";
    config->retry_base_ms = 5;
    config->retry_max_ms = 200;
    config->timeout_ms = 15000;
    config->attempt_timeout_ms = 10000;
    config->first_token_timeout_ms = 10000;
    config->max_retries = 2;
    config->cooldown_failures = 100;
    return config;
  }

  void configure(const std::function<void(LlmConfig&)>& change) {
    auto config = std::make_shared<LlmConfig>(*client_->config());
    change(*config);
    client_->setConfig(config);
  }

  uint64_t start(Probe& probe, ChatRequest request) {
    probe.in_call = true;
    uint64_t id = client_->chat(std::move(request), probe.callbacks());
    probe.in_call = false;
    return id;
  }

  ChatResult run(Probe& probe, ChatRequest request = hello()) {
    start(probe, std::move(request));
    EXPECT_TRUE(loop_.runUntil([&] { return probe.completions > 0; }));
    EXPECT_EQ(probe.completions, 1);
    EXPECT_FALSE(probe.completed_inside_call);
    return probe.result;
  }

  ChatResult run(ChatRequest request = hello()) {
    Probe probe;
    return run(probe, std::move(request));
  }

  void script(const std::string& json) { ASSERT_TRUE(fake_.script(json)) << json; }

  int fds_before_ = openFds();  // first member: counted before the loop opens its own
  TestLoop loop_;
  FakeLlm fake_;
  std::unique_ptr<CurlMulti> multi_;
  std::unique_ptr<OpenRouterClient> client_;
};

TEST_F(OpenRouterClientTest, StreamsAnAnswerAndCompletesOnce) {
  Probe probe;
  ChatResult result = run(probe);
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.content, "Echo: hello there");
  EXPECT_EQ(probe.streamed, result.content);
  EXPECT_GT(probe.deltas, 1);
  EXPECT_EQ(result.finish_reason, "stop");
  EXPECT_EQ(result.model, "fake/model");
  EXPECT_EQ(result.generation_id.rfind("gen-fake-", 0), 0u);
  EXPECT_TRUE(result.usage.reported);
  EXPECT_GT(result.usage.prompt_tokens, 0u);
  EXPECT_EQ(result.usage.total_tokens, result.usage.prompt_tokens + result.usage.completion_tokens);
  EXPECT_TRUE(result.usage.cost.has_value());
  EXPECT_EQ(result.attempts, 1u);
  EXPECT_EQ(client_->stats().outcomes[0], 1u);
  EXPECT_EQ(client_->inflight(), 0u);
}

TEST_F(OpenRouterClientTest, ReadsWholeAnswersWhenNotStreaming) {
  ChatRequest request = hello("whole please");
  request.stream = false;
  Probe probe;
  ChatResult result = run(probe, std::move(request));
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.content, "Echo: whole please");
  EXPECT_EQ(probe.deltas, 0);
  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_TRUE(cJSON_IsFalse(jsonField(bodies[0].get(), "stream")));
}

TEST_F(OpenRouterClientTest, StreamsCutAtOddPlacesWithEveryLineEnd) {
  for (const char* line_end : {"\\n", "\\r\\n", "\\r"}) {
    for (int chunk : {1, 3, 7}) {
      script(
          std::string(
              R"({"content":"h\u00e9llo w\u00f6rld \ud83c\udf0d done","comments":2,"line_ending":")") +
          line_end + R"(","chunk_bytes":)" + std::to_string(chunk) + "}");
      ChatResult result = run();
      ASSERT_TRUE(result.ok()) << result.message;
      EXPECT_EQ(result.content, "h\xC3\xA9llo w\xC3\xB6rld \xF0\x9F\x8C\x8D done");
    }
  }
}

TEST_F(OpenRouterClientTest, ToolCallRoundTripSendsToolsAndReasoningBackUnchanged) {
  const std::string details =
      R"([{"type":"reasoning.text","text":"I should look it up","signature":"sig-1","format":"anthropic-claude-v1","index":0}])";
  script(R"({"tool_calls":[{"id":"call_1","name":"lookup","arguments":{"q":"weather","days":2}},)"
         R"({"id":"call_2","name":"clock","arguments":""}],"reasoning_details":)" +
         details + "}");
  script(R"({"match":{"tool_message":true},"content":"It is sunny."})");
  ChatRequest request = hello("weather?");
  request.tools.push_back(ToolSpec{"lookup", "Look something up",
                                   R"({"type":"object","properties":{"q":{"type":"string"}}})"});
  request.tools.push_back(ToolSpec{"clock", "The time", R"({"type":"object","properties":{}})"});
  request.tool_choice = "auto";
  ChatResult first = run(request);
  ASSERT_TRUE(first.ok()) << first.message;
  EXPECT_EQ(first.finish_reason, "tool_calls");
  ASSERT_EQ(first.tool_calls.size(), 2u);
  EXPECT_EQ(first.tool_calls[0].id, "call_1");
  EXPECT_EQ(first.tool_calls[0].name, "lookup");
  EXPECT_EQ(first.tool_calls[0].arguments, R"({"q":"weather","days":2})");
  EXPECT_EQ(first.tool_calls[1].arguments, "{}");
  JsonPtr got_details = parseJson(first.reasoning_details_json);
  JsonPtr want_details = parseJson(details);
  ASSERT_TRUE(got_details) << first.reasoning_details_json;
  EXPECT_TRUE(cJSON_Compare(got_details.get(), want_details.get(), true))
      << first.reasoning_details_json;

  request.messages.push_back(ChatMessage::assistantFrom(first));
  request.messages.push_back(ChatMessage::tool("call_1", "sunny, 25C"));
  request.messages.push_back(ChatMessage::tool("call_2", "12:00"));
  ChatResult second = run(request);
  ASSERT_TRUE(second.ok()) << second.message;
  EXPECT_EQ(second.content, "It is sunny.");

  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_TRUE(cJSON_Compare(jsonField(bodies[0].get(), "tools"),
                            jsonField(bodies[1].get(), "tools"), true));
  EXPECT_EQ(cJSON_GetArraySize(jsonField(bodies[1].get(), "tools")), 2);
  EXPECT_EQ(jsonString(bodies[1].get(), "tool_choice"), "auto");
  const cJSON* messages = jsonField(bodies[1].get(), "messages");
  const cJSON* assistant = cJSON_GetArrayItem(messages, 2);
  EXPECT_EQ(jsonString(assistant, "role"), "assistant");
  EXPECT_TRUE(cJSON_Compare(jsonField(assistant, "reasoning_details"), want_details.get(), true));
  const cJSON* sent_call = cJSON_GetArrayItem(jsonField(assistant, "tool_calls"), 0);
  EXPECT_EQ(jsonString(sent_call, "id"), "call_1");
  EXPECT_EQ(jsonString(jsonField(sent_call, "function"), "arguments"),
            R"({"q":"weather","days":2})");
  const cJSON* tool = cJSON_GetArrayItem(messages, 3);
  EXPECT_EQ(jsonString(tool, "role"), "tool");
  EXPECT_EQ(jsonString(tool, "tool_call_id"), "call_1");
}

TEST_F(OpenRouterClientTest, ARepeatedFinishReasonGivesTheToolCallsOnce) {
  script(R"({"tool_calls":[{"id":"a","name":"f","arguments":"{}"}],"repeat_finish_reason":true})");
  Probe probe;
  ChatResult result = run(probe);
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.tool_calls.size(), 1u);
  EXPECT_EQ(probe.completions, 1);
}

TEST_F(OpenRouterClientTest, InvalidToolArgumentsNeverReachATool) {
  script(R"({"tool_calls":[{"id":"a","name":"f","arguments":"{\"x\":1}{\"y\":2}"}]})");
  ChatResult result = run();
  EXPECT_EQ(result.error, ChatError::kBadToolCall);
  EXPECT_TRUE(result.tool_calls.empty());
  EXPECT_EQ(result.attempts, 1u);
}

TEST_F(OpenRouterClientTest, SendsOpenRouterRequestFields) {
  configure([](LlmConfig& c) {
    c.dialect = "openrouter";
    c.fallback_models = {"fake/fallback"};
    c.provider_json = R"({"order":["Fake"],"allow_fallbacks":true})";
    c.max_completion_tokens = 321;
    c.temperature = 0.5;
  });
  ChatRequest request = hello();
  request.session_id = "channel-42";
  ASSERT_TRUE(run(request).ok());
  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  const cJSON* body = bodies[0].get();
  double tokens = 0;
  EXPECT_TRUE(jsonNumber(body, "max_completion_tokens", &tokens));
  EXPECT_EQ(tokens, 321);
  EXPECT_EQ(jsonField(body, "max_tokens"), nullptr);
  EXPECT_EQ(jsonString(body, "session_id"), "channel-42");
  const cJSON* transforms = jsonField(body, "transforms");
  ASSERT_TRUE(cJSON_IsArray(transforms));
  EXPECT_EQ(cJSON_GetArraySize(transforms), 0);
  JsonPtr provider = parseJson(R"({"order":["Fake"],"allow_fallbacks":true})");
  EXPECT_TRUE(cJSON_Compare(jsonField(body, "provider"), provider.get(), true));
  JsonPtr models = parseJson(R"(["fake/model","fake/fallback"])");
  EXPECT_TRUE(cJSON_Compare(jsonField(body, "models"), models.get(), true));
  EXPECT_EQ(jsonString(body, "model"), "fake/model");
  EXPECT_TRUE(cJSON_IsTrue(jsonField(jsonField(body, "stream_options"), "include_usage")));
  double temperature = 0;
  EXPECT_TRUE(jsonNumber(body, "temperature", &temperature));
}

TEST_F(OpenRouterClientTest, LeavesOpenRouterFieldsOutElsewhere) {
  configure([](LlmConfig& c) {
    c.fallback_models = {"fake/fallback"};
    c.provider_json = R"({"order":["Fake"]})";
  });
  ChatRequest request = hello();
  request.session_id = "channel-42";
  ASSERT_TRUE(run(request).ok());
  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  for (const char* field : {"models", "session_id", "transforms", "provider", "max_tokens"}) {
    EXPECT_EQ(jsonField(bodies[0].get(), field), nullptr) << field;
  }
  EXPECT_NE(jsonField(bodies[0].get(), "max_completion_tokens"), nullptr);
}

TEST_F(OpenRouterClientTest, SendsHeadersButNeverLogsTheKey) {
  test::TempDir dir;
  log::Options options;
  options.level = "trace";
  options.file = dir.file("llm.log");
  ASSERT_TRUE(log::init(options));
  configure([](LlmConfig& c) {
    c.http_referer = "https://stargazer.example";
    c.title = "Stargazer";
  });
  script(R"({"status":500})");
  ChatResult result = run();
  ASSERT_TRUE(result.ok()) << result.message;
  JsonPtr requests = fake_.requests();
  ASSERT_EQ(cJSON_GetArraySize(requests.get()), 2);
  const cJSON* headers = jsonField(cJSON_GetArrayItem(requests.get(), 0), "headers");
  EXPECT_EQ(jsonString(headers, "authorization"), "Bearer sk-or-test-0123456789");
  EXPECT_EQ(jsonString(headers, "http-referer"), "https://stargazer.example");
  EXPECT_EQ(jsonString(headers, "x-title"), "Stargazer");
  EXPECT_EQ(jsonString(headers, "content-type"), "application/json");
  EXPECT_EQ(jsonString(headers, "accept"), "text/event-stream");
  log::Options back;
  back.level = "warn";
  ASSERT_TRUE(log::init(back));
  std::string logged = test::readFile(dir.file("llm.log"));
  EXPECT_NE(logged.find("llm: call"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("sk-or-test"), std::string::npos) << logged;
}

TEST_F(OpenRouterClientTest, DoesNotRetryRequestErrors) {
  const std::pair<int, ChatError> cases[] = {
      {400, ChatError::kClientError}, {401, ChatError::kAuth},
      {403, ChatError::kAuth},        {404, ChatError::kClientError},
      {413, ChatError::kClientError}, {422, ChatError::kClientError},
      {402, ChatError::kAuth}};
  for (auto [status, error] : cases) {
    ASSERT_TRUE(fake_.reset());
    script(R"({"status":)" + std::to_string(status) + R"(,"error":{"code":)" +
           std::to_string(status) + R"(,"message":"no way"}})");
    ChatResult result = run();
    EXPECT_EQ(result.error, error) << status;
    EXPECT_EQ(result.http_status, status);
    EXPECT_EQ(result.attempts, 1u) << status;
    EXPECT_NE(result.message.find("no way"), std::string::npos) << result.message;
    EXPECT_EQ(fake_.bodies().size(), 1u) << status;
  }
}

TEST_F(OpenRouterClientTest, RetriesTransientStatuses) {
  for (int status : {408, 429, 500, 502, 503, 524, 529}) {
    script(R"({"status":)" + std::to_string(status) + "}");
    Probe probe;
    ChatResult result = run(probe);
    ASSERT_TRUE(result.ok()) << status << ": " << result.message;
    EXPECT_EQ(result.attempts, 2u) << status;
    ASSERT_EQ(probe.retries.size(), 1u);
    EXPECT_EQ(probe.retries[0].http_status, status);
    EXPECT_FALSE(probe.retries[0].fallback);
  }
  script(R"({"status":402,"headers":{"Retry-After":"0"}})");
  EXPECT_TRUE(run().ok());
}

TEST_F(OpenRouterClientTest, HonoursRetryAfterUpToTheCap) {
  configure([](LlmConfig& c) { c.retry_max_ms = 5000; });
  script(R"({"status":429,"headers":{"Retry-After":"1"}})");
  Probe probe;
  ChatResult result = run(probe);
  ASSERT_TRUE(result.ok()) << result.message;
  ASSERT_EQ(probe.retries.size(), 1u);
  EXPECT_EQ(probe.retries[0].delay_ms, 1000u);
  EXPECT_EQ(probe.retries[0].reason, ChatError::kRateLimited);
  JsonPtr requests = fake_.requests();
  double first = 0, second = 0;
  jsonNumber(cJSON_GetArrayItem(requests.get(), 0), "time_ms", &first);
  jsonNumber(cJSON_GetArrayItem(requests.get(), 1), "time_ms", &second);
  EXPECT_GE(second - first, 1000);  // a lower bound only: the timer cannot fire early

  configure([](LlmConfig& c) { c.retry_max_ms = 150; });
  script(R"({"status":503,"headers":{"Retry-After":"3600"}})");
  Probe capped;
  ASSERT_TRUE(run(capped).ok());
  ASSERT_EQ(capped.retries.size(), 1u);
  EXPECT_EQ(capped.retries[0].delay_ms, 150u);
}

TEST_F(OpenRouterClientTest, BacksOffUntilRetriesRunOut) {
  script(R"({"status":500,"times":-1})");
  Probe probe;
  ChatResult result = run(probe);
  EXPECT_EQ(result.error, ChatError::kServerError);
  EXPECT_EQ(result.attempts, 3u);  // max_retries 2
  ASSERT_EQ(probe.retries.size(), 2u);
  for (const auto& retry : probe.retries) EXPECT_LE(retry.delay_ms, 200u);
  EXPECT_EQ(fake_.bodies().size(), 3u);
  EXPECT_EQ(client_->stats().retries, 2u);
}

TEST_F(OpenRouterClientTest, ErrorsInsideSuccessfulResponses) {
  struct Case {
    const char* spec;
    ChatError first_failure;
  };
  const Case cases[] = {
      {R"({"content":"partial","stream_error":{"code":"server_error","message":"provider died"}})",
       ChatError::kUpstream},
      {R"({"content":"partial","stream_error":{"code":502,"message":"bad gateway"},"done_after_error":true})",
       ChatError::kServerError},
      {R"({"stream":false,"finish_error":true,"error":{"code":"provider_error","message":"x"}})",
       ChatError::kUpstream},
      {R"({"stream":false,"finish_error":true})", ChatError::kUpstream},
      {R"({"stream":false,"error":{"code":503,"message":"overloaded"}})", ChatError::kServerError},
      {R"({"stream":false,"body":"<html>not json</html>"})", ChatError::kMalformed},
      {R"({"body":"data: {broken\n\n"})", ChatError::kMalformed},
      {R"({"omit_done":true,"omit_finish_reason":true})", ChatError::kTruncated},
      {R"({"truncate_after_bytes":200})", ChatError::kTruncated},
      {R"({"stream":false,"truncate_after_bytes":20})", ChatError::kTruncated},
      // Twice: libcurl itself retries a request once when a reused connection was closed.
      {R"({"close":true,"times":2})", ChatError::kConnection},
  };
  for (const auto& c : cases) {
    script(c.spec);
    Probe probe;
    ChatResult result = run(probe);
    ASSERT_TRUE(result.ok()) << c.spec << ": " << result.message;
    EXPECT_EQ(result.content, "Echo: hello there") << c.spec;
    ASSERT_GE(probe.retries.size(), 1u) << c.spec;
    EXPECT_EQ(probe.retries[0].reason, c.first_failure)
        << c.spec << ": " << chatErrorName(probe.retries[0].reason) << " "
        << probe.retries[0].message;
  }
}

TEST_F(OpenRouterClientTest, AFailedStreamNeverYieldsToolCalls) {
  script(
      R"({"tool_calls":[{"name":"f","arguments":"{\"a\":1}"}],"truncate_after_bytes":900,"times":-1})");
  ChatResult result = run();
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.tool_calls.empty());
}

TEST_F(OpenRouterClientTest, RequestErrorsInsideAStreamAreNotRetried) {
  script(R"({"content":"x","stream_error":{"code":400,"message":"bad request"}})");
  ChatResult result = run();
  EXPECT_EQ(result.error, ChatError::kClientError);
  EXPECT_EQ(result.attempts, 1u);
}

TEST_F(OpenRouterClientTest, FirstTokenTimeout) {
  configure([](LlmConfig& c) {
    c.first_token_timeout_ms = 200;
    c.max_retries = 1;
  });
  // Nothing at all, a head and nothing, then only keep-alive comments: none is a first token.
  script(R"({"stall":"before_headers"})");
  script(R"({"stall":"after_headers"})");
  Probe probe;
  ChatResult result = run(probe);
  EXPECT_EQ(result.error, ChatError::kFirstTokenTimeout) << result.message;
  EXPECT_EQ(result.attempts, 2u);
  ASSERT_EQ(probe.retries.size(), 1u);
  EXPECT_EQ(probe.retries[0].reason, ChatError::kFirstTokenTimeout);
  script(
      R"({"body":": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n","stall":"after_first_event","times":2})");
  EXPECT_EQ(run().error, ChatError::kFirstTokenTimeout);
  loop_.runUntil([&] { return fake_.stat("active") == 0; }, 5000);
  EXPECT_EQ(fake_.stat("active"), 0);  // the server saw every abandoned attempt go
}

TEST_F(OpenRouterClientTest, AttemptTimeout) {
  configure([](LlmConfig& c) {
    c.attempt_timeout_ms = 300;
    c.max_retries = 0;
  });
  script(R"({"stall":"after_first_event"})");
  Probe probe;
  ChatResult result = run(probe);
  EXPECT_EQ(result.error, ChatError::kAttemptTimeout) << result.message;
  EXPECT_GT(probe.deltas, 0);
}

TEST_F(OpenRouterClientTest, AnAnswerEndedByDoneIsCompleteEvenIfTheBodyNeverEnds) {
  configure([](LlmConfig& c) { c.attempt_timeout_ms = 60000; });
  script(R"({"content":"all here","stall":"before_end"})");
  ChatResult result = run();
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.content, "all here");
  EXPECT_EQ(result.attempts, 1u);
}

TEST_F(OpenRouterClientTest, OverallDeadline) {
  configure([](LlmConfig& c) {
    c.timeout_ms = 400;
    c.first_token_timeout_ms = 150;
    c.max_retries = 100;
  });
  script(R"({"stall":"before_headers","times":-1})");
  ChatResult result = run();
  EXPECT_TRUE(result.error == ChatError::kDeadline || result.error == ChatError::kFirstTokenTimeout)
      << chatErrorName(result.error);
  EXPECT_GE(result.attempts, 2u);
  EXPECT_LT(result.attempts, 100u);
}

TEST_F(OpenRouterClientTest, CancelFreesTheTransferAtOnceAndCompletesLater) {
  script(R"({"stall":"before_headers"})");
  Probe probe;
  uint64_t id = start(probe, hello());
  ASSERT_TRUE(loop_.runUntil([&] { return fake_.stat("active") == 1; }, 10000));
  EXPECT_EQ(multi_->transfers(), 1u);
  EXPECT_TRUE(client_->cancel(id));
  EXPECT_EQ(multi_->transfers(), 0u);  // freed now, not at the next loop turn
  EXPECT_EQ(probe.completions, 0);     // but the owner hears of it later
  EXPECT_FALSE(client_->cancel(id));
  ASSERT_TRUE(loop_.runUntil([&] { return probe.completions == 1; }));
  EXPECT_EQ(probe.result.error, ChatError::kCancelled);
  ASSERT_TRUE(loop_.runUntil([&] { return fake_.stat("active") == 0; }, 10000));
}

TEST_F(OpenRouterClientTest, CancelFromInsideADeltaStopsTheStream) {
  script(R"({"content":"one two three four five","token_delay_ms":20})");
  Probe probe;
  uint64_t id = 0;
  ChatCallbacks callbacks = probe.callbacks();
  callbacks.onDelta = [&](std::string_view text) {
    probe.streamed += text;
    ++probe.deltas;
    client_->cancel(id);
  };
  id = client_->chat(hello(), std::move(callbacks));
  ASSERT_TRUE(loop_.runUntil([&] { return probe.completions == 1; }));
  EXPECT_EQ(probe.deltas, 1);
  EXPECT_EQ(probe.result.error, ChatError::kCancelled);
  EXPECT_TRUE(loop_.runUntil([&] { return multi_->transfers() == 0; }));
}

TEST_F(OpenRouterClientTest, CallbacksMayStartCalls) {
  Probe from_delta, from_complete;
  bool started_from_delta = false;
  ChatCallbacks callbacks;
  callbacks.onDelta = [&](std::string_view) {
    if (started_from_delta) return;
    started_from_delta = true;  // inside libcurl's write callback: the add must wait for it
    start(from_delta, hello("from a delta"));
  };
  callbacks.onComplete = [&](ChatResult result) {
    EXPECT_TRUE(result.ok()) << result.message;
    start(from_complete, hello("from a completion"));
  };
  client_->chat(hello(), std::move(callbacks));
  ASSERT_TRUE(loop_.runUntil([&] { return from_delta.completions + from_complete.completions == 2; }));
  EXPECT_EQ(from_delta.result.content, "Echo: from a delta");
  EXPECT_EQ(from_complete.result.content, "Echo: from a completion");
}

TEST_F(OpenRouterClientTest, CancelAll) {
  script(R"({"stall":"after_headers","times":3})");
  Probe probes[3];
  for (auto& probe : probes) start(probe, hello());
  ASSERT_TRUE(loop_.runUntil([&] { return fake_.stat("active") == 3; }, 10000));
  client_->cancelAll();
  EXPECT_EQ(client_->inflight(), 0u);
  EXPECT_EQ(multi_->transfers(), 0u);
  ASSERT_TRUE(loop_.runUntil(
      [&] { return probes[0].completions + probes[1].completions + probes[2].completions == 3; }));
  for (auto& probe : probes) EXPECT_EQ(probe.result.error, ChatError::kCancelled);
  EXPECT_EQ(client_->stats().outcomes[static_cast<size_t>(ChatError::kCancelled)], 3u);
}

TEST_F(OpenRouterClientTest, FallsBackClientSideAndCoolsDownAFailingModel) {
  configure([](LlmConfig& c) {
    c.fallback_models = {"fake/fallback"};
    c.cooldown_failures = 2;
    c.cooldown_s = 60;
    c.max_retries = 0;
  });
  script(R"({"match":{"model":"fake/model"},"status":500,"times":-1})");
  for (int call = 0; call < 2; ++call) {
    Probe probe;
    ChatResult result = run(probe);
    ASSERT_TRUE(result.ok()) << result.message;
    EXPECT_EQ(result.model, "fake/fallback");
    EXPECT_EQ(result.attempts, 2u);
    ASSERT_EQ(probe.retries.size(), 1u);
    EXPECT_TRUE(probe.retries[0].fallback);
    EXPECT_EQ(probe.retries[0].next_model, "fake/fallback");
  }
  EXPECT_TRUE(client_->coolingDown("fake/model"));
  EXPECT_EQ(client_->stats().cooldowns, 1u);
  ChatResult straight = run();
  ASSERT_TRUE(straight.ok());
  EXPECT_EQ(straight.model, "fake/fallback");
  EXPECT_EQ(straight.attempts, 1u);  // the cooled model was not tried
  auto bodies = fake_.bodies();
  int primary = 0;
  for (const auto& body : bodies) primary += jsonString(body.get(), "model") == "fake/model";
  EXPECT_EQ(primary, 2);
}

TEST_F(OpenRouterClientTest, OpenRouterGetsTheFallbacksAsAModelsArray) {
  configure([](LlmConfig& c) {
    c.dialect = "openrouter";
    c.fallback_models = {"fake/fallback", "fake/third"};
    c.cooldown_failures = 1;
    c.max_retries = 1;
  });
  script(R"({"match":{"model":"fake/model"},"status":503})");
  Probe probe;
  ChatResult result = run(probe);
  ASSERT_TRUE(result.ok()) << result.message;
  ASSERT_EQ(probe.retries.size(), 1u);
  EXPECT_TRUE(probe.retries[0].fallback);  // the cooled primary went last in the array
  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  JsonPtr first = parseJson(R"(["fake/model","fake/fallback","fake/third"])");
  JsonPtr second = parseJson(R"(["fake/fallback","fake/third","fake/model"])");
  EXPECT_TRUE(cJSON_Compare(jsonField(bodies[0].get(), "models"), first.get(), true));
  EXPECT_TRUE(cJSON_Compare(jsonField(bodies[1].get(), "models"), second.get(), true));
  EXPECT_EQ(jsonString(bodies[1].get(), "model"), "fake/fallback");
}

TEST_F(OpenRouterClientTest, NewConfigurationAppliesToCallsStartedAfterIt) {
  script(R"({"latency_ms":200})");
  Probe slow;
  start(slow, hello());
  configure([](LlmConfig& c) { c.model = "fake/other"; });
  Probe fast;
  start(fast, hello());
  ASSERT_TRUE(loop_.runUntil([&] { return slow.completions + fast.completions == 2; }));
  EXPECT_EQ(slow.result.model, "fake/model");
  EXPECT_EQ(fast.result.model, "fake/other");
}

TEST_F(OpenRouterClientTest, ABadRequestCompletesLaterWithoutSendingAnything) {
  ChatRequest request = hello();
  request.tools.push_back(ToolSpec{"f", "", "{not json"});
  ChatResult result = run(request);
  EXPECT_EQ(result.error, ChatError::kInvalidRequest);
  EXPECT_EQ(fake_.bodies().size(), 0u);
}

TEST_F(OpenRouterClientTest, ConnectionRefusedIsRetriedThenNamed) {
  configure([&](LlmConfig& c) {
    c.base_url = "http://127.0.0.1:" + std::to_string(test::freePort()) + "/v1";
    c.max_retries = 1;
  });
  ChatResult result = run();
  EXPECT_EQ(result.error, ChatError::kConnection);
  EXPECT_EQ(result.attempts, 2u);
}

TEST_F(OpenRouterClientTest, ManyConcurrentCallsShareConnections) {
  constexpr int kCalls = 200;
  std::vector<Probe> probes(kCalls);
  for (int i = 0; i < kCalls; ++i) start(probes[i], hello("call " + std::to_string(i)));
  ASSERT_TRUE(loop_.runUntil([&] {
    int done = 0;
    for (auto& probe : probes) done += probe.completions;
    return done == kCalls;
  }));
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(probes[i].result.ok()) << probes[i].result.message;
    EXPECT_EQ(probes[i].result.content, "Echo: call " + std::to_string(i));
  }
  long accepted = fake_.stat("accepted");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(run().ok());
  EXPECT_EQ(fake_.stat("accepted"), accepted + 1);  // +1: the stats request; calls reused theirs
}

}  // namespace
}  // namespace sg
