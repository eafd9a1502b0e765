// A small HTTP/1.1 server on the caller's libuv loop (Debian's http-parser underneath), for the
// supervisor's health endpoint and the local LLM test server. It keeps connections alive, reads
// request bodies (fixed-length or chunked), and lets a handler answer at once or later, with a
// fixed-length body or a chunked body written piece by piece (server-sent events).
//
// Design: one HttpConnection per socket, owned by the server. Requests on a connection are
// answered in order: once a request is complete the parser pauses, and the next pipelined request
// is parsed only after the response to this one has ended (its bytes wait in a bounded buffer).
// Reads go into one buffer shared by all connections (the loop is single-threaded, and every
// read is consumed before the next one); writes are tried at once and queued only when the socket
// is full. Every buffer is bounded: oversized headers get 431, oversized bodies 413, and a reader
// too slow for a streaming response is disconnected.
//
// It does not do TLS, HTTP/2, upgrades or compression, and it listens on 127.0.0.1 unless told
// otherwise. libuv writes with write(2): the process must ignore SIGPIPE, as daemons do.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/uv_handle.h"

namespace sg {

struct HttpHeader {
  std::string name;
  std::string value;
};
using HttpHeaders = std::vector<HttpHeader>;

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // as sent: path and query
  std::string path;     // target up to '?'
  std::string query;    // after '?', undecoded
  HttpHeaders headers;  // names in lower case, in arrival order
  std::string body;

  // The first value of a header (name in lower case), or "" when absent.
  std::string_view header(std::string_view lower_name) const;
};

class HttpConnection;

// The handler's way to answer one request, now or later. Move-only. Every method is a no-op once
// the connection is gone (check open()). Destroying an HttpResponse whose answer is unfinished
// closes the connection, so a dropped request never leaves a client waiting.
class HttpResponse {
 public:
  HttpResponse() = default;
  HttpResponse(std::weak_ptr<HttpConnection> connection, uint64_t exchange);
  HttpResponse(HttpResponse&& other) noexcept;
  HttpResponse& operator=(HttpResponse&& other) noexcept;
  HttpResponse(const HttpResponse&) = delete;
  HttpResponse& operator=(const HttpResponse&) = delete;
  ~HttpResponse();

  // The connection is there and this response has not ended.
  bool open() const;

  // A complete response with a Content-Length body. Ends the response.
  void send(int status, const HttpHeaders& headers, std::string_view body);
  void send(int status, std::string_view content_type, std::string_view body);

  // A streaming response: the status line and headers now (Transfer-Encoding: chunked), then
  // each write() is one HTTP chunk, and end() sends the last chunk. write() returns false when
  // the connection is gone or when more than Options::max_output_bytes are already waiting to be
  // sent (the connection is then closed: the reader is too slow).
  bool start(int status, const HttpHeaders& headers);
  bool write(std::string_view data);
  // Several chunks at once, in one write to the socket (each piece stays its own HTTP chunk).
  bool write(const std::vector<std::string_view>& pieces);
  void end();

  // Closes the connection once what was written has been sent, without ending the response
  // (a cut stream, as a crashing server would leave it).
  void abort();

  // Called once if the connection goes away before this response has ended (the client left, or
  // the server stopped). Not called after end() or send().
  void onClose(std::function<void()> callback);

  // Bytes written but not yet accepted by the kernel.
  size_t pendingBytes() const;

 private:
  HttpConnection* live() const;

  std::weak_ptr<HttpConnection> connection_;
  uint64_t exchange_ = 0;
};

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: any free port (see port())
    size_t max_connections = 4096;
    size_t max_header_bytes = 64 * 1024;
    size_t max_body_bytes = 8 * 1024 * 1024;
    size_t max_output_bytes = 4 * 1024 * 1024;  // queued bytes of a streaming response
    uint32_t idle_timeout_ms = 60000;           // waiting for a request; 0: never
    int backlog = 4096;
  };
  // Called once per complete request, on the loop. The handler answers through `response` now
  // or later (keep it); it must not throw.
  using Handler = std::function<void(HttpRequest request, HttpResponse response)>;

  HttpServer(uv_loop_t* loop, Options options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; false with a message on failure (address in use, bad host).
  [[nodiscard]] bool start(std::string* error);
  // Stops listening and closes every connection (pending handlers see onClose).
  void stop();

  uint16_t port() const { return port_; }
  size_t connections() const { return connections_.size(); }
  uint64_t requests() const { return requests_; }
  uint64_t accepted() const { return accepted_; }
  const Options& options() const { return options_; }

 private:
  friend class HttpConnection;
  static void onConnection(uv_stream_t* listener, int status) noexcept;
  void accept();
  void release(HttpConnection* connection);  // closed: freed at the next loop turn

  uv_loop_t* loop_;
  Options options_;
  Handler handler_;
  UvHandle<uv_tcp_t> listener_;
  Timer sweeper_;
  uint16_t port_ = 0;
  uint64_t requests_ = 0;
  uint64_t accepted_ = 0;
  std::unique_ptr<char[]> read_buffer_;
  std::unordered_map<HttpConnection*, std::shared_ptr<HttpConnection>> connections_;
  std::vector<std::shared_ptr<HttpConnection>> closed_;
};


// The standard reason phrase of a status code ("Unknown" for others).
const char* httpReason(int status);

}  // namespace sg
