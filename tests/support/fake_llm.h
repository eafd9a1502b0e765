// Test fixture: the real sg-fake-llm process on a free loopback port, killed when the fixture is
// destroyed, and a blocking client for its control API (script replies, read recorded requests
// and counters, reset). Blocking calls are fine here: tests make them between loop runs.
#pragma once

#include <string>
#include <vector>

#include "common/json.h"
#include "support/child_process.h"

namespace sg::test {

class FakeLlm {
 public:
  // Starts sg-fake-llm (SG_FAKE_LLM_BIN) with extra flags and waits until it listens.
  explicit FakeLlm(std::vector<std::string> flags = {});
  ~FakeLlm();
  FakeLlm(const FakeLlm&) = delete;
  FakeLlm& operator=(const FakeLlm&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  std::string logText() const { return process_.logText(); }

  // Queues reply specs (see sg-fake-llm --help); false when the server refuses them.
  bool script(const std::string& json);
  // The recorded requests (the "requests" array of /_control/requests), oldest first.
  JsonPtr requests();
  // Recorded requests to `path`, as parsed JSON bodies.
  std::vector<JsonPtr> bodies(const std::string& path = "/v1/chat/completions");
  JsonPtr stats();
  long stat(const char* name);
  bool reset();

  // One blocking HTTP request; returns the body and sets `status` (0 on transport failure).
  std::string http(const std::string& method, const std::string& path, const std::string& body,
                   long* status);

 private:
  TempDir dir_;
  ChildProcess process_;
  int port_ = -1;
};

}  // namespace sg::test
