// Chat responses read into results: a full OpenRouter stream split at every byte position gives
// one and the same answer (tool calls once despite a repeated finish_reason), and every place a
// server puts an error is found.
#include "worker/chat_response_reader.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

LlmResponseHead streamHead() {
  LlmResponseHead head;
  head.status = 200;
  head.content_type = "text/event-stream";
  head.generation_id = "gen-header";
  return head;
}

std::string chunk(const std::string& choices_or_more) {
  return "data: {\"id\":\"gen-1\",\"model\":\"m/used\",\"object\":\"chat.completion.chunk\"," +
         choices_or_more + "}\n\n";
}

const std::string kToolStream =
    ": OPENROUTER PROCESSING\n\n" +
    chunk(
        R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Let me ","reasoning_details":[{"type":"reasoning.text","text":"th","index":0,"format":"f"}]},"finish_reason":null}])") +
    chunk(
        R"("choices":[{"index":0,"delta":{"content":"check.","reasoning_details":[{"type":"reasoning.text","text":"ink","signature":"s1","index":0}]},"finish_reason":null}])") +
    chunk(
        R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c0","type":"function","function":{"name":"get","arguments":""}}]}}])") +
    chunk(
        R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"c1","type":"function","function":{"name":"put","arguments":"{\"v\""}}]}}])") +
    chunk(
        R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"k\":\"é\"}"}},{"index":1,"function":{"arguments":":1}"}}]}}])") +
    chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}])") +
    chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}])") +
    chunk(
        R"("choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"cost":0.25,"prompt_tokens_details":{"cached_tokens":4}})") +
    "data: [DONE]\n\n";

struct Outcome {
  std::optional<AttemptFailure> failure;
  ChatResult result;
  std::string streamed;
};

Outcome read(const LlmResponseHead& head, const std::string& body, std::vector<size_t> cuts = {},
             CURLcode code = CURLE_OK, bool stream = true) {
  Outcome out;
  ChatResponseReader reader(stream, [&](std::string_view text) { out.streamed += text; });
  size_t start = 0;
  cuts.push_back(body.size());
  bool go_on = true;
  for (size_t cut : cuts) {
    if (go_on) go_on = reader.feed(head, std::string_view(body).substr(start, cut - start));
    start = cut;
  }
  if (!go_on && code == CURLE_OK) code = CURLE_WRITE_ERROR;
  out.failure = reader.finish(head, code, "", !body.empty(), &out.result);
  return out;
}

TEST(ChatResponseReader, ReadsAStreamWithParallelToolCallsOnceAtEverySplit) {
  for (size_t cut = 0; cut <= kToolStream.size(); ++cut) {
    Outcome out = read(streamHead(), kToolStream, {cut});
    ASSERT_FALSE(out.failure) << out.failure->message << " at " << cut;
    const ChatResult& r = out.result;
    ASSERT_EQ(r.content, "Let me check.");
    ASSERT_EQ(out.streamed, "Let me check.");
    ASSERT_EQ(r.finish_reason, "tool_calls");  // the first of the repeated finish_reasons
    ASSERT_EQ(r.tool_calls.size(), 2u);
    EXPECT_EQ(r.tool_calls[0].id, "c0");
    EXPECT_EQ(r.tool_calls[0].arguments, "{\"k\":\"é\"}");
    EXPECT_EQ(r.tool_calls[1].name, "put");
    EXPECT_EQ(r.tool_calls[1].arguments, "{\"v\":1}");
    EXPECT_EQ(r.usage.prompt_tokens, 10u);
    EXPECT_EQ(r.usage.cached_tokens, 4u);
    EXPECT_EQ(r.usage.cost.value_or(0), 0.25);
    EXPECT_EQ(r.model, "m/used");
    EXPECT_EQ(r.generation_id, "gen-header");
    JsonPtr details = parseJson(r.reasoning_details_json);
    ASSERT_TRUE(details) << r.reasoning_details_json;
    ASSERT_EQ(cJSON_GetArraySize(details.get()), 1);
    const cJSON* detail = cJSON_GetArrayItem(details.get(), 0);
    EXPECT_EQ(jsonString(detail, "text"), "think");
    EXPECT_EQ(jsonString(detail, "signature"), "s1");
    EXPECT_EQ(jsonString(detail, "format"), "f");
  }
}

TEST(ChatResponseReader, AStreamEndingWithoutDoneOrFinishReasonIsTruncated) {
  std::string body = chunk(R"("choices":[{"index":0,"delta":{"content":"half"}}])");
  Outcome out = read(streamHead(), body);
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->error, ChatError::kTruncated);
  EXPECT_TRUE(out.failure->retryable);
  Outcome cut_event = read(streamHead(), body + "data: {\"choi");
  ASSERT_TRUE(cut_event.failure);
  EXPECT_EQ(cut_event.failure->error, ChatError::kTruncated);
}

TEST(ChatResponseReader, AFinishReasonWithoutDoneIsAnAnswer) {
  std::string body =
      chunk(R"("choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}])");
  Outcome out = read(streamHead(), body);
  ASSERT_FALSE(out.failure);
  EXPECT_EQ(out.result.content, "ok");
}

TEST(ChatResponseReader, ACutConnectionLosesTheToolCalls) {
  std::string body = kToolStream.substr(0, kToolStream.find("\"finish_reason\":\"tool_calls\""));
  Outcome out = read(streamHead(), body, {}, CURLE_PARTIAL_FILE);
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->error, ChatError::kTruncated);
  EXPECT_TRUE(out.result.tool_calls.empty());
}

TEST(ChatResponseReader, MidStreamErrorsWithStringOrNumberCodes) {
  std::string text = chunk(R"("choices":[{"index":0,"delta":{"content":"par"}}])");
  Outcome string_code = read(
      streamHead(),
      text +
          chunk(
              R"("error":{"code":"server_error","message":"provider died"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}])"));
  ASSERT_TRUE(string_code.failure);
  EXPECT_EQ(string_code.failure->error, ChatError::kUpstream);
  EXPECT_TRUE(string_code.failure->retryable);
  EXPECT_NE(string_code.failure->message.find("provider died"), std::string::npos);
  Outcome number_code = read(
      streamHead(),
      text +
          chunk(
              R"("error":{"code":429,"message":"slow down"},"choices":[{"index":0,"delta":{},"finish_reason":"error"}])"));
  ASSERT_TRUE(number_code.failure);
  EXPECT_EQ(number_code.failure->error, ChatError::kRateLimited);
  Outcome bare = read(
      streamHead(), text + chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"error"}])"));
  ASSERT_TRUE(bare.failure);
  EXPECT_EQ(bare.failure->error, ChatError::kUpstream);
}

TEST(ChatResponseReader, MalformedEventsFailTheAttempt) {
  Outcome out = read(streamHead(), "data: {not json\n\ndata: [DONE]\n\n");
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->error, ChatError::kMalformed);
}

TEST(ChatResponseReader, ErrorStatusWithJsonBody) {
  LlmResponseHead head;
  head.status = 429;
  head.content_type = "application/json";
  head.retry_after_ms = 2000;
  Outcome out = read(
      head,
      R"({"error":{"code":429,"message":"Rate limit exceeded","metadata":{"provider_name":"P"}}})");
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->error, ChatError::kRateLimited);
  EXPECT_EQ(out.failure->http_status, 429);
  EXPECT_EQ(out.failure->retry_after_ms.value_or(0), 2000u);
  EXPECT_NE(out.failure->message.find("Rate limit exceeded"), std::string::npos);
}

TEST(ChatResponseReader, WholeBodiesWithErrorsInside) {
  LlmResponseHead head;
  head.status = 200;
  head.content_type = "application/json";
  Outcome no_choices =
      read(head, R"({"error":{"code":502,"message":"bad gateway"}})", {}, CURLE_OK, false);
  ASSERT_TRUE(no_choices.failure);
  EXPECT_EQ(no_choices.failure->error, ChatError::kServerError);
  Outcome finish_error = read(
      head,
      R"({"id":"g","choices":[{"index":0,"finish_reason":"error","message":{"role":"assistant","content":""}}]})",
      {}, CURLE_OK, false);
  ASSERT_TRUE(finish_error.failure);
  EXPECT_EQ(finish_error.failure->error, ChatError::kUpstream);
  Outcome garbage = read(head, "<html>oops</html>", {}, CURLE_OK, false);
  ASSERT_TRUE(garbage.failure);
  EXPECT_EQ(garbage.failure->error, ChatError::kMalformed);
}

TEST(ChatResponseReader, AJsonAnswerToAStreamRequestIsReadWhole) {
  LlmResponseHead head;
  head.status = 200;
  head.content_type = "application/json";
  Outcome out = read(
      head,
      R"({"id":"g","model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"whole"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}})");
  ASSERT_FALSE(out.failure) << out.failure->message;
  EXPECT_EQ(out.result.content, "whole");
  EXPECT_EQ(out.result.usage.total_tokens, 2u);
}

TEST(ChatResponseReader, InvalidToolArgumentsAreNotRetried) {
  std::string body =
      chunk(
          R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{}{}"}}]}}])") +
      chunk(R"("choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}])") +
      "data: [DONE]\n\n";
  Outcome out = read(streamHead(), body);
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->error, ChatError::kBadToolCall);
  EXPECT_FALSE(out.failure->retryable);
}

}  // namespace
}  // namespace sg
