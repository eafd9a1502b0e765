// Test tools: two harmless tools that integration tests and benchmarks register in a real
// sg-worker, so that a tool round trip can be driven end to end before (and apart from) the
// built-in tools. sg-worker registers them only when the environment variable
// STARGAZER_TEST_TOOLS is "1"; their names start with "sg_test_" so they never clash with a
// built-in. Not for production use.
#pragma once

#include <string_view>

#include "worker/tool_registry.h"

namespace sg {

inline constexpr std::string_view kTestToolsEnv = "STARGAZER_TEST_TOOLS";

// sg_test_echo: returns {"echo": <its arguments>}; sg_test_fail: always fails with "test failure".
void registerTestTools(ToolRegistry& registry);

// True when the environment asks for the test tools.
bool testToolsRequested();

}  // namespace sg
