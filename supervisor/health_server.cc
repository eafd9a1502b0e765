// Routes of the health endpoint (see health_server.h).
#include "supervisor/health_server.h"

#include "common/endpoint.h"
#include "common/log.h"

namespace sg {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kMetrics = "text/plain; version=0.0.4; charset=utf-8";

std::string errorJson(std::string_view message) {
  JsonPtr body(cJSON_CreateObject());
  cJSON_AddStringToObject(body.get(), "error", std::string(message).c_str());
  return printJson(body.get()) + "\n";
}

}  // namespace

HealthServer::HealthServer(uv_loop_t* loop, const HealthSource& source)
    : loop_(loop), source_(source) {}

bool HealthServer::start(const std::string& listen, std::string* error) {
  HttpServer::Options options;
  std::string problem = parseHostPort(listen, &options.host, &options.port, true);
  if (!problem.empty()) {
    *error = "health.listen " + listen + ": " + problem;
    return false;
  }
  options.max_body_bytes = 64 * 1024;  // health checks carry no bodies
  options.max_connections = 256;
  server_ = std::make_unique<HttpServer>(
      loop_, options,
      [this](HttpRequest request, HttpResponse response) { handle(request, std::move(response)); });
  if (!server_->start(error)) {
    *error = "health server on " + listen + ": " + *error;
    server_.reset();
    return false;
  }
  log::get("http").info("health server listening on {}:{}", options.host, server_->port());
  return true;
}

void HealthServer::stop() {
  if (server_) server_->stop();
}

void HealthServer::handle(const HttpRequest& request, HttpResponse response) const {
  const std::string& path = request.path;
  bool known = path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/status";
  if (!known) {
    response.send(404, kJson, errorJson("not found: try /healthz, /readyz, /metrics, /status"));
  } else if (request.method != "GET") {
    response.send(405, {{"Content-Type", std::string(kJson)}, {"Allow", "GET"}},
                  errorJson("method not allowed"));
  } else if (path == "/healthz") {
    response.send(200, "text/plain; charset=utf-8", "ok\n");
  } else if (path == "/readyz") {
    ready(response);
  } else if (path == "/metrics") {
    response.send(200, kMetrics, source_.metricsText());
  } else {
    response.send(200, kJson, printJson(source_.statusJson().get(), true) + "\n");
  }
}

void HealthServer::ready(HttpResponse& response) const {
  std::vector<std::string> reasons = source_.notReadyReasons();
  JsonPtr body(cJSON_CreateObject());
  cJSON_AddBoolToObject(body.get(), "ready", reasons.empty());
  if (!reasons.empty()) {
    cJSON* list = cJSON_AddArrayToObject(body.get(), "reasons");
    for (const std::string& reason : reasons) {
      cJSON_AddItemToArray(list, cJSON_CreateString(reason.c_str()));
    }
  }
  response.send(reasons.empty() ? 200 : 503, kJson, printJson(body.get()) + "\n");
}

}  // namespace sg
