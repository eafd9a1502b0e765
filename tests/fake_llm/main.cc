// sg-fake-llm: a local OpenAI/OpenRouter-compatible server for tests, `make run` without an API
// key, and benchmarks. It answers like OpenRouter does, byte for byte where it matters, and can be
// told to fail in every way a real server does. This file parses the command line and runs the
// server (fake_llm_server.h).
//
// Protocol, in short (kUsage below is the full text that --help prints):
//   POST /v1/chat/completions  SSE stream (comments, role delta, word deltas, reasoning and tool
//                              call fragments by index, finish chunk, usage chunk with empty
//                              choices, [DONE]) or one chat.completion body; X-Generation-Id.
//   POST /v1/embeddings, GET /v1/models.
//   POST /_control/script      queue reply specs: match {path, model, tool_message, contains},
//                              times; content, tool_calls, reasoning(_details), usage, status,
//                              headers, error, finish_error, body, stream_error, omit_done,
//                              omit_finish_reason, repeat_finish_reason, truncate_after_bytes,
//                              stall, close, latency_ms, token_delay_ms, chunk_bytes, comments,
//                              line_ending.
//   GET /_control/requests, GET /_control/stats, POST /_control/reset.
// Unscripted requests get "Echo: <last message>" ("Tool result: <text>" after a tool message).
#include <uv.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "common/fd_limit.h"
#include "common/endpoint.h"
#include "common/http_server.h"
#include "common/log.h"
#include "common/uv_handle.h"
#include "tests/fake_llm/fake_llm_server.h"

namespace {

constexpr const char* kUsage = R"(usage: sg-fake-llm [options]

A local OpenAI/OpenRouter-compatible LLM server. Prints "sg-fake-llm listening on HOST:PORT"
on stdout once it accepts connections (use --listen 127.0.0.1:0 for any free port).

Options:
  --listen HOST:PORT     address to listen on (default 127.0.0.1:0)
  --latency-ms N         wait N ms before every response head (default 0)
  --token-delay-ms N     wait N ms between streamed events (default 0)
  --chunk-bytes N        cut streams into HTTP chunks of N bytes; 0 (default) cuts every event
                         in two at an odd offset
  --comments N           ": OPENROUTER PROCESSING" comments before a stream's first chunk (1)
  --reply-words N        default answers are N words instead of an echo
  --models A,B,...       the models GET /v1/models lists (default fake/model,fake/fallback)
  --strict-models        answer 404 to models not in --models
  --record N             keep the last N requests for /_control/requests (default 1000; 0: none)
  --embedding-dim N      embedding vector size when the request has no "dimensions" (16)
  --max-connections N    connections held at once (default 20000)
  --log-level LEVEL      trace, debug, info, warn (default), error
  --help                 this text

Endpoints (OpenAI/OpenRouter protocol):
  POST /v1/chat/completions   "stream": true gives server-sent events: comments, a first delta
                              with the role, content in word deltas, reasoning and
                              reasoning_details fragments, tool-call fragments by index (id and
                              name only in the first; parallel calls interleaved), a finish chunk,
                              a usage chunk with "choices": [], then "data: [DONE]". Otherwise one
                              chat.completion body. Header X-Generation-Id: gen-fake-N.
                              Default answer: "Echo: <last message text>", or "Tool result:
                              <text>" when the last message is a tool result.
  POST /v1/embeddings         deterministic unit vectors derived from each input's text
  GET  /v1/models             the --models list

Control API (for tests):
  POST /_control/script       queue reply specs: one object, an array, or {"responses": [...]}
  GET  /_control/requests     {"requests": [{seq, time_ms, method, path, headers (lower-case
                              names), body (text), json (parsed body or null)}]}
  GET  /_control/stats        {requests, connections, accepted, active, scripts}
  POST /_control/reset        forget scripts, recorded requests and counters

A reply spec (every field optional):
  match: {path: "/v1/chat/completions" (default) | "/v1/embeddings", model: "m",
          tool_message: true|false (the request has a role "tool" message), contains: "text"}
  times: 1 (default; -1: for ever)       the first queued spec that matches is used
  status: 200   headers: {"Retry-After": "2"}
  content: "text"   reasoning: "text"   reasoning_details: [...]   model: "reported/model"
  tool_calls: [{id, name, arguments: "text" (sent as is) or an object}]
  finish_reason: "stop" | "tool_calls" | "length" ... (default from the content)
  usage: {...} merged into the usage, or null for no usage
  stream: true|false                     override the request's choice
  error: {code: 429 | "server_error", message}  the body of a non-200; with 200, a body with
                                         "error" and no choices (whole answers)
  finish_error: true                     whole answer whose choice ends with "error"
  body: "raw"                            exact body bytes (streamed or whole), nothing generated
  stream_error: {code, message}          stream: an error event (finish_reason "error") after the
                                         content, then the end (done_after_error: true adds [DONE])
  omit_done, omit_finish_reason, repeat_finish_reason: true
  truncate_after_bytes: N                cut the connection after N body bytes
  stall: "before_headers" | "after_headers" | "after_first_event" | "before_end" (every event
         sent, [DONE] included, but the body never ended): hold until the client leaves
  close: true                            drop the connection without answering
  latency_ms, token_delay_ms, chunk_bytes, comments: N   per-reply pacing
  line_ending: "\n" (default) | "\r\n" | "\r"

Tool round trips: queue {"tool_calls": [...]} then {"match": {"tool_message": true}, "content":
"final answer"}; the second applies only once the request carries the tool results.
)";

bool parseNumber(std::string_view text, int* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 0;
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Reads the flags; returns 0 to run, 1 on a bad flag, 2 after --help.
int parseArgs(int argc, char** argv, sg::fake::FakeLlmOptions* options, std::string* log_level) {
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 2;
    }
    if (flag == "--strict-models") {
      options->strict_models = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "sg-fake-llm: %s needs a value\n", argv[i]);
      return 1;
    }
    std::string_view value = argv[++i];
    int number = 0;
    bool ok = true;
    if (flag == "--listen") {
      ok = sg::parseHostPort(value, &options->host, &options->port, true).empty();
    } else if (flag == "--models") {
      options->models = splitList(value);
    } else if (flag == "--log-level") {
      *log_level = value;
    } else if ((ok = parseNumber(value, &number))) {
      if (flag == "--latency-ms")
        options->latency_ms = number;
      else if (flag == "--token-delay-ms")
        options->token_delay_ms = number;
      else if (flag == "--chunk-bytes")
        options->chunk_bytes = number;
      else if (flag == "--comments")
        options->comments = number;
      else if (flag == "--reply-words")
        options->reply_words = number;
      else if (flag == "--record")
        options->record_limit = static_cast<size_t>(number);
      else if (flag == "--embedding-dim")
        options->embedding_dim = number;
      else if (flag == "--max-connections")
        options->max_connections = static_cast<size_t>(number);
      else
        ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "sg-fake-llm: bad option %s %s (see --help)\n", argv[i - 1], argv[i]);
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  sg::fake::FakeLlmOptions options;
  std::string log_level = "warn";
  int parsed = parseArgs(argc, argv, &options, &log_level);
  if (parsed != 0) return parsed == 2 ? 0 : 2;
  sg::log::Options log_options;
  log_options.level = log_level;
  log_options.instance = "fake-llm";
  std::string error;
  if (!sg::log::init(log_options, &error)) {
    std::fprintf(stderr, "sg-fake-llm: %s\n", error.c_str());
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  sg::raiseFdLimit();
  uv_loop_t* loop = uv_default_loop();
  auto server = std::make_unique<sg::fake::FakeLlmServer>(loop, options);
  if (!server->start(&error)) {
    std::fprintf(stderr, "sg-fake-llm: %s\n", error.c_str());
    return 1;
  }
  std::printf("sg-fake-llm listening on %s:%u\n", options.host.c_str(), server->port());
  std::fflush(stdout);
  sg::UvHandle<uv_signal_t> sigint, sigterm;
  auto onSignal = [](uv_signal_t* handle, int) { uv_stop(handle->loop); };
  uv_signal_init(loop, sigint.get());
  uv_signal_init(loop, sigterm.get());
  uv_signal_start(sigint.get(), onSignal, SIGINT);
  uv_signal_start(sigterm.get(), onSignal, SIGTERM);
  uv_run(loop, UV_RUN_DEFAULT);
  server.reset();
  sigint.close();
  sigterm.close();
  uv_run(loop, UV_RUN_DEFAULT);  // let the closed handles go
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
