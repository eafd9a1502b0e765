// Test tools for end-to-end tool round trips (see test_tools.h).
#include "worker/test_tools.h"

#include <cstdlib>
#include <string>

#include "common/run_soon.h"

namespace sg {

void registerTestTools(ToolRegistry& registry) {
  registry.add(
      {"sg_test_echo", "Test tool: returns its arguments.",
       R"({"type":"object","properties":{"text":{"type":"string"}}})", "test",
       [](const ToolCall& call, ToolContext& context, ToolDone done) {
         std::string result = R"({"echo":)" + call.arguments + "}";
         runSoon(context.loop, [done = std::move(done), result] { done({true, result}); });
       }});
  registry.add(
      {"sg_test_fail", "Test tool: always fails.", R"({"type":"object","properties":{}})", "test",
       [](const ToolCall&, ToolContext& context, ToolDone done) {
         runSoon(context.loop, [done = std::move(done)] { done({false, "test failure"}); });
       }});
}

bool testToolsRequested() {
  const char* value = std::getenv(std::string(kTestToolsEnv).c_str());
  return value != nullptr && std::string_view(value) == "1";
}

}  // namespace sg
