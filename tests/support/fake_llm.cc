// The sg-fake-llm test fixture (see fake_llm.h).
#include "support/fake_llm.h"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include "support/http_client.h"

namespace sg::test {
namespace {

int portFromLog(const std::string& log) {
  const std::string marker = "listening on ";
  size_t at = log.find(marker);
  if (at == std::string::npos) return -1;
  size_t colon = log.find(':', at + marker.size());
  size_t end = log.find('\n', at);
  if (colon == std::string::npos || end == std::string::npos) return -1;
  return std::atoi(log.substr(colon + 1, end - colon - 1).c_str());
}

}  // namespace

FakeLlm::FakeLlm(std::vector<std::string> flags) {
  std::vector<std::string> argv = {SG_FAKE_LLM_BIN, "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  if (!process_.start(argv, dir_.file("fake-llm.log"))) return;
  for (int i = 0; i < 1000 && port_ <= 0; ++i) {
    if (!process_.running()) return;
    port_ = portFromLog(process_.logText());
    if (port_ <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

FakeLlm::~FakeLlm() {
  process_.kill9();
}

std::string FakeLlm::http(const std::string& method, const std::string& path,
                          const std::string& body, long* status) {
  return httpRequest(port_, method, path, body, status);
}

bool FakeLlm::script(const std::string& json) {
  long status = 0;
  http("POST", "/_control/script", json, &status);
  return status == 200;
}

JsonPtr FakeLlm::requests() {
  long status = 0;
  JsonPtr root = parseJson(http("GET", "/_control/requests", "", &status));
  if (!root) return JsonPtr(cJSON_CreateArray());
  return JsonPtr(cJSON_DetachItemFromObjectCaseSensitive(root.get(), "requests"));
}

std::vector<JsonPtr> FakeLlm::bodies(const std::string& path) {
  std::vector<JsonPtr> out;
  JsonPtr all = requests();
  const cJSON* request = nullptr;
  cJSON_ArrayForEach(request, all.get()) {
    if (jsonString(request, "path") != path) continue;
    out.push_back(JsonPtr(cJSON_Duplicate(jsonField(request, "json"), true)));
  }
  return out;
}

JsonPtr FakeLlm::stats() {
  long status = 0;
  return parseJson(http("GET", "/_control/stats", "", &status));
}

long FakeLlm::stat(const char* name) {
  JsonPtr all = stats();
  double value = -1;
  jsonNumber(all.get(), name, &value);
  return static_cast<long>(value);
}

bool FakeLlm::reset() {
  long status = 0;
  http("POST", "/_control/reset", "", &status);
  return status == 200;
}

}  // namespace sg::test
