// Test helper: one blocking HTTP request to a local server (libcurl easy), for the fixtures that
// talk to sg-fake-llm and to the supervisor's health endpoint. Test code only.
#pragma once

#include <string>

namespace sg::test {

// Sends `method` `path` (with `body` for POST) to 127.0.0.1:`port`; returns the response body and
// sets `*status` (0 when the request failed: refused, timed out).
std::string httpRequest(int port, const std::string& method, const std::string& path,
                        const std::string& body, long* status, long timeout_ms = 10000);

}  // namespace sg::test
