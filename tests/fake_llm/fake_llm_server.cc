// sg-fake-llm's endpoints, control API and paced replies (see fake_llm_server.h).
#include "tests/fake_llm/fake_llm_server.h"

#include <algorithm>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "tests/fake_llm/completion_builder.h"

namespace sg::fake {
namespace {

constexpr size_t kMaxDefaultEcho = 500;

// What a chat request says that the server answers on.
struct ChatFacts {
  std::string model;
  bool stream = false;
  bool tool_message = false;
  std::string last_role;
  std::string last_text;
};

std::string messageText(const cJSON* message) {
  const cJSON* content = jsonField(message, "content");
  if (content != nullptr && cJSON_IsString(content)) return content->valuestring;
  std::string text;
  const cJSON* part = nullptr;
  if (content != nullptr && cJSON_IsArray(content)) {
    cJSON_ArrayForEach(part, content) text += jsonString(part, "text");
  }
  return text;
}

ChatFacts readFacts(const cJSON* body) {
  ChatFacts facts;
  facts.model = jsonString(body, "model");
  const cJSON* models = jsonField(body, "models");
  if (facts.model.empty() && cJSON_IsArray(models) && cJSON_GetArraySize(models) > 0) {
    facts.model = cJSON_GetStringValue(cJSON_GetArrayItem(models, 0));
  }
  facts.stream = cJSON_IsTrue(jsonField(body, "stream"));
  const cJSON* message = nullptr;
  cJSON_ArrayForEach(message, jsonField(body, "messages")) {
    std::string_view role = jsonString(message, "role");
    if (role == "tool") facts.tool_message = true;
    facts.last_role = role;
    facts.last_text = messageText(message);
  }
  return facts;
}

std::string defaultAnswer(const ChatFacts& facts, int reply_words) {
  if (reply_words > 0) {
    std::string text;
    for (int i = 0; i < reply_words; ++i) text += (i > 0 ? " word" : "word") + std::to_string(i);
    return text;
  }
  std::string text = facts.last_text.substr(0, kMaxDefaultEcho);
  if (facts.last_role == "tool") return "Tool result: " + text;
  return "Echo: " + text;
}

void sendJson(HttpResponse& response, int status, const std::string& body) {
  response.send(status, "application/json", body);
}

void sendError(HttpResponse& response, int status, const std::string& message) {
  std::string body = "{\"error\":{\"code\":" + std::to_string(status) + ",\"message\":";
  appendJsonString(body, message);
  sendJson(response, status, body + "}}");
}

}  // namespace

// Everything needed to write one reply.
struct FakeLlmServer::Plan {
  int status = 200;
  HttpHeaders headers;
  bool stream = false;              // chunked events; else one fixed-length body
  std::vector<std::string> events;  // stream: the events; else events[0] is the body
  Stall stall = Stall::kNone;
  long truncate_after_bytes = -1;
  int latency_ms = 0;
  int token_delay_ms = 0;
  int chunk_bytes = 0;
  bool close = false;
};

// A reply in progress that waits for time to pass (latency, pacing) or for ever (stalls).
struct FakeLlmServer::Exchange {
  uint64_t id = 0;
  Plan plan;
  HttpResponse response;
  std::unique_ptr<Timer> timer;
  bool head_sent = false;
  size_t next = 0;  // next event
  long sent = 0;    // body bytes written
  bool held = false;
};

namespace {

// Cuts one event into the HTTP chunks it is written as: halves at an odd offset by default,
// or pieces of `chunk_bytes`.
void chunksOf(std::string_view event, int chunk_bytes, std::vector<std::string_view>* out) {
  if (chunk_bytes <= 0) {
    size_t cut = (event.size() / 2) | 1;
    if (cut >= event.size()) {
      out->push_back(event);
      return;
    }
    out->push_back(event.substr(0, cut));
    out->push_back(event.substr(cut));
    return;
  }
  for (size_t start = 0; start < event.size(); start += static_cast<size_t>(chunk_bytes)) {
    out->push_back(event.substr(start, static_cast<size_t>(chunk_bytes)));
  }
}

// Writes events [from, to) in one burst, cut at the truncation point if it falls inside.
// False when the connection is gone or was cut on purpose.
bool writeEvents(HttpResponse& response, const std::vector<std::string>& events, size_t from,
                 size_t to, int chunk_bytes, long truncate_after, long* sent) {
  std::vector<std::string_view> pieces;
  bool cut = false;
  for (size_t i = from; i < to && !cut; ++i) {
    std::string_view event = events[i];
    if (truncate_after >= 0 && *sent + static_cast<long>(event.size()) >= truncate_after) {
      event = event.substr(0, static_cast<size_t>(std::max(0L, truncate_after - *sent)));
      cut = true;
    }
    chunksOf(event, chunk_bytes, &pieces);
    *sent += static_cast<long>(event.size());
  }
  bool ok = response.write(pieces);
  if (cut) {
    response.abort();
    return false;
  }
  return ok;
}

}  // namespace

FakeLlmServer::FakeLlmServer(uv_loop_t* loop, FakeLlmOptions options)
    : loop_(loop),
      options_(std::move(options)),
      http_(
          loop,
          [this] {
            HttpServer::Options http;
            http.host = options_.host;
            http.port = options_.port;
            http.max_connections = options_.max_connections;
            http.max_body_bytes = 64 * 1024 * 1024;
            http.idle_timeout_ms = 0;  // clients hold idle keep-alive connections
            return http;
          }(),
          [this](HttpRequest request, HttpResponse response) {
            handle(std::move(request), std::move(response));
          }),
      sweeper_(loop) {}

FakeLlmServer::~FakeLlmServer() {
  stop();
}

bool FakeLlmServer::start(std::string* error) {
  return http_.start(error);
}

void FakeLlmServer::stop() {
  http_.stop();
  exchanges_.clear();
  finished_.clear();
}

void FakeLlmServer::handle(HttpRequest request, HttpResponse response) {
  if (request.path.rfind("/_control/", 0) == 0) {
    handleControl(request, response);
    return;
  }
  record(request);
  ++served_;
  if (request.method == "POST" && request.path == "/v1/chat/completions") {
    handleChat(request, std::move(response));
  } else if (request.method == "POST" && request.path == "/v1/embeddings") {
    handleEmbeddings(request, std::move(response));
  } else if (request.method == "GET" && request.path == "/v1/models") {
    handleModels(response);
  } else {
    sendError(response, 404, "no such endpoint: " + request.method + " " + request.path);
  }
}

void FakeLlmServer::handleControl(const HttpRequest& request, HttpResponse& response) {
  if (request.method == "POST" && request.path == "/_control/script") {
    size_t added = 0;
    std::string error;
    if (!script_.add(request.body, &added, &error)) {
      sendError(response, 400, error);
      return;
    }
    sendJson(response, 200, "{\"queued\":" + std::to_string(added) + "}");
  } else if (request.method == "GET" && request.path == "/_control/requests") {
    sendJson(response, 200, recordsJson());
  } else if (request.method == "GET" && request.path == "/_control/stats") {
    sendJson(response, 200, statsJson());
  } else if (request.method == "POST" && request.path == "/_control/reset") {
    script_.clear();
    records_.clear();
    served_ = 0;
    sendJson(response, 200, "{\"reset\":true}");
  } else {
    sendError(response, 404, "no such control endpoint");
  }
}

void FakeLlmServer::record(const HttpRequest& request) {
  if (options_.record_limit == 0) return;
  if (records_.size() >= options_.record_limit) records_.pop_front();
  records_.push_back(
      Record{next_seq_++, monoMs(), request.method, request.path, request.headers, request.body});
}

std::string FakeLlmServer::recordsJson() const {
  JsonPtr root(cJSON_CreateObject());
  cJSON* list = cJSON_AddArrayToObject(root.get(), "requests");
  for (const auto& record : records_) {
    cJSON* item = cJSON_CreateObject();
    cJSON_AddNumberToObject(item, "seq", static_cast<double>(record.seq));
    cJSON_AddNumberToObject(item, "time_ms", static_cast<double>(record.time_ms));
    cJSON_AddStringToObject(item, "method", record.method.c_str());
    cJSON_AddStringToObject(item, "path", record.path.c_str());
    cJSON* headers = cJSON_AddObjectToObject(item, "headers");
    for (const auto& header : record.headers) {
      if (!cJSON_HasObjectItem(headers, header.name.c_str())) {
        cJSON_AddStringToObject(headers, header.name.c_str(), header.value.c_str());
      }
    }
    cJSON_AddStringToObject(item, "body", record.body.c_str());
    JsonPtr parsed = parseJson(record.body);
    cJSON_AddItemToObject(item, "json", parsed ? parsed.release() : cJSON_CreateNull());
    cJSON_AddItemToArray(list, item);
  }
  return printJson(root.get());
}

std::string FakeLlmServer::statsJson() const {
  return "{\"requests\":" + std::to_string(served_) +
         ",\"connections\":" + std::to_string(http_.connections()) +
         ",\"accepted\":" + std::to_string(http_.accepted()) +
         ",\"active\":" + std::to_string(exchanges_.size()) +
         ",\"scripts\":" + std::to_string(script_.size()) + "}";
}

void FakeLlmServer::handleModels(HttpResponse& response) {
  std::string body = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < options_.models.size(); ++i) {
    if (i > 0) body += ",";
    body += "{\"id\":";
    appendJsonString(body, options_.models[i]);
    body += ",\"object\":\"model\",\"created\":0,\"owned_by\":\"sg-fake-llm\"}";
  }
  sendJson(response, 200, body + "]}");
}

void FakeLlmServer::handleChat(const HttpRequest& request, HttpResponse response) {
  JsonPtr body = parseJson(request.body);
  if (!body || !cJSON_IsObject(body.get()) || !cJSON_IsArray(jsonField(body.get(), "messages"))) {
    sendError(response, 400, "the body must be a JSON object with a messages array");
    return;
  }
  ChatFacts facts = readFacts(body.get());
  auto known = std::find(options_.models.begin(), options_.models.end(), facts.model);
  if (options_.strict_models && known == options_.models.end()) {
    sendError(response, 404, "no such model: " + facts.model);
    return;
  }
  RequestFacts match{request.path, facts.model, facts.tool_message, &request.body};
  Reply reply = script_.take(match).value_or(Reply{});
  Plan plan;
  plan.stream =
      reply.stream.value_or(facts.stream) && reply.status == 200 && reply.error_json.empty();
  plan.status = reply.status;
  plan.headers = reply.headers;
  std::string generation = "gen-fake-" + std::to_string(next_generation_++);
  plan.headers.push_back({"X-Generation-Id", generation});
  if (reply.body) {
    plan.events.push_back(*reply.body);
  } else {
    CompletionContext context;
    context.model = reply.model.empty() ? facts.model : reply.model;
    context.generation_id = generation;
    // A scripted tool call comes without text unless the script gives some.
    std::string fallback =
        reply.tool_calls.empty() ? defaultAnswer(facts, options_.reply_words) : "";
    context.content = reply.content.value_or(fallback);
    context.prompt_tokens = request.body.size() / 4 + 1;
    context.created = static_cast<int64_t>(unixNow());
    if (plan.stream) {
      plan.events =
          streamEvents(reply, context, reply.comments >= 0 ? reply.comments : options_.comments);
    } else {
      plan.events.push_back(reply.status == 200 ? wholeBody(reply, context) : errorBody(reply));
    }
  }
  plan.headers.push_back({"Content-Type", plan.stream ? "text/event-stream" : "application/json"});
  if (plan.stream) plan.headers.push_back({"Cache-Control", "no-cache"});
  plan.stall = reply.stall;
  plan.truncate_after_bytes = reply.truncate_after_bytes;
  plan.latency_ms = reply.latency_ms >= 0 ? reply.latency_ms : options_.latency_ms;
  plan.token_delay_ms = reply.token_delay_ms >= 0 ? reply.token_delay_ms : options_.token_delay_ms;
  plan.chunk_bytes = reply.chunk_bytes >= 0 ? reply.chunk_bytes : options_.chunk_bytes;
  plan.close = reply.close;
  play(std::move(plan), std::move(response));
}

void FakeLlmServer::handleEmbeddings(const HttpRequest& request, HttpResponse response) {
  JsonPtr body = parseJson(request.body);
  const cJSON* input = jsonField(body.get(), "input");
  std::vector<std::string> inputs;
  if (input != nullptr && cJSON_IsString(input)) inputs.push_back(input->valuestring);
  const cJSON* item = nullptr;
  if (input != nullptr && cJSON_IsArray(input)) {
    cJSON_ArrayForEach(item, input) {
      if (cJSON_IsString(item)) inputs.push_back(item->valuestring);
    }
  }
  if (inputs.empty()) {
    sendError(response, 400, "input must be a string or an array of strings");
    return;
  }
  std::string model(jsonString(body.get(), "model", "fake/embedding"));
  double dimensions = options_.embedding_dim;
  jsonNumber(body.get(), "dimensions", &dimensions);
  RequestFacts match{request.path, model, false, &request.body};
  Reply reply = script_.take(match).value_or(Reply{});
  Plan plan;
  plan.status = reply.status;
  plan.headers = reply.headers;
  plan.headers.push_back({"Content-Type", "application/json"});
  if (reply.body) {
    plan.events.push_back(*reply.body);
  } else if (reply.status != 200 || !reply.error_json.empty()) {
    plan.events.push_back(errorBody(reply));
  } else {
    plan.events.push_back(embeddingsBody(inputs, model, static_cast<int>(dimensions)));
  }
  plan.stall = reply.stall;
  plan.latency_ms = reply.latency_ms >= 0 ? reply.latency_ms : options_.latency_ms;
  plan.truncate_after_bytes = reply.truncate_after_bytes;
  plan.close = reply.close;
  play(std::move(plan), std::move(response));
}

// Writes a reply now when nothing makes it wait, else hands it to an Exchange and its timer.
void FakeLlmServer::play(Plan plan, HttpResponse response) {
  if (plan.close) {
    response.abort();
    return;
  }
  // A whole body that must be cut goes out chunked, so that it can stop anywhere.
  if (!plan.stream && plan.truncate_after_bytes >= 0) plan.stream = true;
  auto exchange = std::make_unique<Exchange>();
  exchange->plan = std::move(plan);
  exchange->response = std::move(response);
  bool waits = exchange->plan.latency_ms > 0 || exchange->plan.token_delay_ms > 0 ||
               exchange->plan.stall != Stall::kNone;
  if (!waits) {
    step(*exchange);  // the whole reply, written from this handler
    return;
  }
  uint64_t id = next_exchange_++;
  exchange->id = id;
  exchange->timer = std::make_unique<Timer>(loop_);
  exchange->response.onClose([this, id] { release(id); });
  Exchange& playing = *exchanges_.emplace(id, std::move(exchange)).first->second;
  if (playing.plan.latency_ms > 0) {
    playing.timer->start(static_cast<uint64_t>(playing.plan.latency_ms),
                         [this, &playing] { step(playing); });
  } else {
    step(playing);
  }
}

// Advances a reply as far as it may go now: head, then events until a pause, stall or the end.
void FakeLlmServer::step(Exchange& exchange) {
  Plan& plan = exchange.plan;
  if (!exchange.head_sent) {
    if (plan.stall == Stall::kBeforeHeaders) return;  // held until the client leaves
    exchange.head_sent = true;
    if (!plan.stream) {
      exchange.response.send(plan.status, plan.headers, plan.events.front());
      return release(exchange.id);
    }
    exchange.response.start(plan.status, plan.headers);
    if (plan.stall == Stall::kAfterHeaders) return;
  }
  while (exchange.next < plan.events.size()) {
    size_t to = plan.events.size();
    bool first_data_stall = plan.stall == Stall::kAfterFirstEvent;
    if (plan.token_delay_ms > 0 || first_data_stall) {
      to = exchange.next + 1;
      while (to < plan.events.size() && plan.events[to - 1].rfind("data:", 0) != 0) ++to;
    }
    if (!writeEvents(exchange.response, plan.events, exchange.next, to, plan.chunk_bytes,
                     plan.truncate_after_bytes, &exchange.sent)) {
      return release(exchange.id);
    }
    exchange.next = to;
    if (first_data_stall) return;  // held until the client leaves
    if (plan.token_delay_ms > 0 && exchange.next < plan.events.size()) {
      exchange.timer->start(static_cast<uint64_t>(plan.token_delay_ms),
                            [this, &exchange] { step(exchange); });
      return;
    }
  }
  if (plan.stall == Stall::kBeforeEnd) return;  // every event sent, the body never ended
  exchange.response.end();
  release(exchange.id);
}

void FakeLlmServer::release(uint64_t id) {
  auto found = exchanges_.find(id);
  if (found == exchanges_.end()) return;
  // Not destroyed here: this may run inside the exchange's own timer or close callback.
  finished_.push_back(std::move(found->second));
  exchanges_.erase(found);
  if (!sweeper_.active()) sweeper_.start(0, [this] { finished_.clear(); });
}

}  // namespace sg::fake
