// sg-fake-llm's server: the OpenAI/OpenRouter endpoints (chat completions streamed and whole,
// embeddings, models) on common/http_server, answering by default with deterministic text derived
// from the request, or with what a test scripted (reply_script.h); the control API
// (/_control/...) to script replies, read the recorded requests and counters, and reset; pacing
// (latency, delays between events, chunk sizes), stalls and cuts. One libuv loop; a reply without
// pacing is written in one burst from the request handler.
//
// It does not check keys or bill anything: it records the headers for tests to look at.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/http_server.h"
#include "common/uv_handle.h"
#include "tests/fake_llm/reply_script.h"

namespace sg::fake {

struct FakeLlmOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  int latency_ms = 0;          // before the response head
  int token_delay_ms = 0;      // between streamed events
  int chunk_bytes = 0;         // 0: every event split in two HTTP chunks at an odd offset
  int comments = 1;            // ": OPENROUTER PROCESSING" lines before a stream's first chunk
  int reply_words = 0;         // > 0: default answers are this many words
  size_t record_limit = 1000;  // recorded requests kept (the oldest go first)
  int embedding_dim = 16;
  std::vector<std::string> models = {"fake/model", "fake/fallback"};
  bool strict_models = false;  // unknown models get 404
  size_t max_connections = 20000;
};

class FakeLlmServer {
 public:
  FakeLlmServer(uv_loop_t* loop, FakeLlmOptions options);
  ~FakeLlmServer();

  [[nodiscard]] bool start(std::string* error);
  void stop();
  uint16_t port() const { return http_.port(); }

 private:
  struct Plan;
  struct Exchange;
  struct Record {
    uint64_t seq = 0;
    uint64_t time_ms = 0;
    std::string method;
    std::string path;
    HttpHeaders headers;
    std::string body;
  };

  void handle(HttpRequest request, HttpResponse response);
  void handleControl(const HttpRequest& request, HttpResponse& response);
  void handleChat(const HttpRequest& request, HttpResponse response);
  void handleEmbeddings(const HttpRequest& request, HttpResponse response);
  void handleModels(HttpResponse& response);
  void record(const HttpRequest& request);
  std::string recordsJson() const;
  std::string statsJson() const;

  void play(Plan plan, HttpResponse response);
  void step(Exchange& exchange);
  void release(uint64_t id);

  uv_loop_t* loop_;
  FakeLlmOptions options_;
  HttpServer http_;
  ReplyScript script_;
  std::deque<Record> records_;
  uint64_t next_seq_ = 1;
  uint64_t served_ = 0;
  uint64_t next_generation_ = 1;
  uint64_t next_exchange_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Exchange>> exchanges_;
  std::vector<std::unique_ptr<Exchange>> finished_;
  Timer sweeper_;
};

}  // namespace sg::fake
