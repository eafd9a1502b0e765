// The supervisor's health endpoint, on its own loop (common/http_server.h, Debian's http-parser):
//   GET /healthz  200 "ok": the process and its loop are alive
//   GET /readyz   200 {"ready": true}, or 503 {"ready": false, "reasons": [...]}
//   GET /metrics  Prometheus text format
//   GET /status   the supervisor's state as JSON
// Other paths get 404 and other methods 405. The answers come from a HealthSource (the
// Supervisor); this file only routes and formats HTTP. Listens where health.listen says
// (loopback by default).
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "common/http_server.h"
#include "common/json.h"

namespace sg {

class HealthSource {
 public:
  virtual ~HealthSource() = default;
  // Why the supervisor is not ready; empty when it is.
  virtual std::vector<std::string> notReadyReasons() const = 0;
  virtual std::string metricsText() const = 0;
  virtual JsonPtr statusJson() const = 0;
};

class HealthServer {
 public:
  HealthServer(uv_loop_t* loop, const HealthSource& source);
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Listens on HOST:PORT; false with a message (bad address, address in use).
  [[nodiscard]] bool start(const std::string& listen, std::string* error);
  void stop();
  uint16_t port() const { return server_ ? server_->port() : 0; }

 private:
  void handle(const HttpRequest& request, HttpResponse response) const;
  void ready(HttpResponse& response) const;

  uv_loop_t* loop_;
  const HealthSource& source_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace sg
