// The sg-fake-llm test fixture (see fake_llm.h).
#include "support/fake_llm.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

namespace sg::test {
namespace {

size_t collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

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
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  std::string url = "http://127.0.0.1:" + std::to_string(port_) + path;
  std::string out;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  *status = 0;
  if (curl_easy_perform(easy.get()) == CURLE_OK) {
    curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, status);
  }
  return out;
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
