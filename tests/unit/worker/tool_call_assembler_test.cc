// Tool calls assembled from streamed fragments: by index (ids and names only in first fragments,
// indexes interleaved), "" arguments read as {}, anything but one JSON object refused.
#include "worker/tool_call_assembler.h"

#include <gtest/gtest.h>

#include "common/json.h"

namespace sg {
namespace {

bool add(ToolCallAssembler& assembler, const std::string& fragments) {
  JsonPtr parsed = parseJson(fragments);
  std::string error;
  bool ok = assembler.addDelta(parsed.get(), &error);
  EXPECT_TRUE(ok) << error;
  return ok;
}

TEST(ToolCallAssembler, AssemblesInterleavedParallelCallsByIndex) {
  ToolCallAssembler assembler;
  add(assembler,
      R"([{"index":1,"id":"call_b","type":"function","function":{"name":"put","arguments":""}}])");
  add(assembler,
      R"([{"index":0,"id":"call_a","type":"function","function":{"name":"get","arguments":"{\"q\""}}])");
  add(assembler,
      R"([{"index":1,"function":{"arguments":"{\"k\":"}},{"index":0,"function":{"arguments":":\"x"}}])");
  add(assembler, R"([{"index":0,"function":{"arguments":"y\"}"}}])");
  add(assembler, R"([{"index":1,"id":"another_id_ignored","function":{"arguments":"2}"}}])");
  std::vector<ToolCall> calls;
  std::string error;
  ASSERT_TRUE(assembler.finish(&calls, &error)) << error;
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].id, "call_a");
  EXPECT_EQ(calls[0].name, "get");
  EXPECT_EQ(calls[0].arguments, R"({"q":"xy"})");
  EXPECT_EQ(calls[1].id, "call_b");
  EXPECT_EQ(calls[1].name, "put");
  EXPECT_EQ(calls[1].arguments, R"({"k":2})");
}

TEST(ToolCallAssembler, EmptyArgumentsReadAsAnEmptyObject) {
  ToolCallAssembler assembler;
  add(assembler, R"([{"index":0,"id":"c","function":{"name":"now","arguments":""}}])");
  std::vector<ToolCall> calls;
  std::string error;
  ASSERT_TRUE(assembler.finish(&calls, &error)) << error;
  EXPECT_EQ(calls[0].arguments, "{}");
}

TEST(ToolCallAssembler, RefusesAnythingButOneJsonObject) {
  for (const char* arguments :
       {R"({\"a\":1}{\"b\":2})", R"([1,2])", R"({\"a\":)", R"(\"text\")", R"({\"a\":1} x)"}) {
    ToolCallAssembler assembler;
    add(assembler, std::string(R"([{"index":0,"id":"c","function":{"name":"f","arguments":")") +
                       arguments + "\"}}]");
    std::vector<ToolCall> calls;
    std::string error;
    EXPECT_FALSE(assembler.finish(&calls, &error)) << arguments;
    EXPECT_TRUE(calls.empty());
    EXPECT_NE(error.find("tool call 0 (f)"), std::string::npos) << error;
  }
}

TEST(ToolCallAssembler, RefusesACallWithoutAName) {
  ToolCallAssembler assembler;
  add(assembler, R"([{"index":0,"id":"c","function":{"arguments":"{}"}}])");
  std::vector<ToolCall> calls;
  std::string error;
  EXPECT_FALSE(assembler.finish(&calls, &error));
}

TEST(ToolCallAssembler, GivesAnIdToCallsWithoutOne) {
  ToolCallAssembler assembler;
  add(assembler, R"([{"index":0,"function":{"name":"f","arguments":"{}"}}])");
  std::vector<ToolCall> calls;
  std::string error;
  ASSERT_TRUE(assembler.finish(&calls, &error));
  EXPECT_EQ(calls[0].id.rfind("call_", 0), 0u);
}

TEST(ToolCallAssembler, WholeCallsWithoutIndexAreSeparateCalls) {
  ToolCallAssembler assembler;
  add(assembler, R"([{"id":"a","function":{"name":"f","arguments":"{\"x\":1}"}}])");
  add(assembler, R"([{"id":"b","function":{"name":"g","arguments":"{}"}}])");
  std::vector<ToolCall> calls;
  std::string error;
  ASSERT_TRUE(assembler.finish(&calls, &error));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].name, "g");
}

TEST(ToolCallAssembler, ReadsTheCompleteArrayOfAWholeAnswer) {
  ToolCallAssembler assembler;
  JsonPtr calls_json = parseJson(
      R"([{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},
          {"id":"b","type":"function","function":{"name":"g","arguments":""}}])");
  std::string error;
  ASSERT_TRUE(assembler.addComplete(calls_json.get(), &error));
  std::vector<ToolCall> calls;
  ASSERT_TRUE(assembler.finish(&calls, &error));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].arguments, "{}");
}

TEST(ToolCallAssembler, RefusesFragmentsOfTheWrongShape) {
  ToolCallAssembler assembler;
  JsonPtr not_array = parseJson(R"({"index":0})");
  std::string error;
  EXPECT_FALSE(assembler.addDelta(not_array.get(), &error));
  JsonPtr bad_arguments = parseJson(R"([{"index":0,"function":{"name":"f","arguments":5}}])");
  EXPECT_FALSE(assembler.addDelta(bad_arguments.get(), &error));
}

}  // namespace
}  // namespace sg
