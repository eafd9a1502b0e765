// HTTP/1.1 server connections on libuv and http-parser (see http_server.h for the design).
#include "common/http_server.h"

#include <http_parser.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "common/log.h"

namespace sg {
namespace {

constexpr size_t kReadBufferBytes = 64 * 1024;
// Bytes of pipelined requests kept while a response is in progress; reading pauses beyond it.
constexpr size_t kMaxBufferedInput = 256 * 1024;

// A write in flight: libuv needs the request and the bytes until its callback.
struct WriteRequest {
  uv_write_t req;
  std::string data;
};

bool validHeaderText(std::string_view text) {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

void appendHeaders(std::string& out, const HttpHeaders& headers) {
  for (const auto& header : headers) {
    if (!validHeaderText(header.name) || !validHeaderText(header.value)) continue;
    out.append(header.name).append(": ").append(header.value).append("\r\n");
  }
}

void appendStatusLine(std::string& out, int status) {
  out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(httpReason(status));
  out.append("\r\n");
}

}  // namespace

// One accepted socket: parses requests, runs the handler, writes responses (see the header).
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  explicit HttpConnection(HttpServer& server);
  ~HttpConnection() { close(); }

  bool accept(uv_stream_t* listener);
  void startReading();
  void close();

  // Used by HttpResponse; `exchange` names the request being answered.
  bool current(uint64_t exchange) const {
    return !closed_ && in_exchange_ && exchange == exchange_;
  }
  void sendFixed(int status, const HttpHeaders& headers, std::string_view body);
  bool startChunked(int status, const HttpHeaders& headers);
  bool writeChunks(const std::vector<std::string_view>& pieces);
  void endChunked();
  void abortExchange();
  void setOnClose(std::function<void()> callback) { on_close_ = std::move(callback); }
  size_t pendingBytes() const { return inflight_bytes_ + pending_output_.size(); }

 private:
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void onWrite(uv_write_t* req, int status) noexcept;
  static void onIdle(uv_timer_t* timer) noexcept;

  static int onMessageBegin(http_parser* parser) noexcept;
  static int onUrl(http_parser* parser, const char* at, size_t length) noexcept;
  static int onHeaderField(http_parser* parser, const char* at, size_t length) noexcept;
  static int onHeaderValue(http_parser* parser, const char* at, size_t length) noexcept;
  static int onHeadersComplete(http_parser* parser) noexcept;
  static int onBody(http_parser* parser, const char* at, size_t length) noexcept;
  static int onMessageComplete(http_parser* parser) noexcept;
  static const http_parser_settings kSettings;

  void onData(const char* data, size_t length);
  void processInput();
  bool parseOne();
  void dispatch();
  void rejectRequest(int status);
  void finishExchange();
  void commitHeader();
  bool countHeaderBytes(size_t length);
  void restartIdleTimer();

  bool queueWrite(std::string data);
  void startWrite(std::string data);
  void afterFlush();

  HttpServer& server_;
  UvHandle<uv_tcp_t> tcp_;
  UvHandle<uv_timer_t> idle_timer_;
  http_parser parser_{};

  HttpRequest request_;
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  size_t header_bytes_ = 0;
  int reject_status_ = 0;  // set by a parser callback that refused the request
  bool message_complete_ = false;

  std::string input_;  // received, not yet parsed
  bool reading_ = false;
  bool processing_ = false;

  bool in_exchange_ = false;
  uint64_t exchange_ = 0;
  bool streaming_ = false;
  bool keep_alive_ = true;
  std::function<void()> on_close_;

  WriteRequest* inflight_ = nullptr;
  size_t inflight_bytes_ = 0;
  std::string pending_output_;
  bool close_after_flush_ = false;
  bool closed_ = false;
};

const http_parser_settings HttpConnection::kSettings = [] {
  http_parser_settings settings{};
  settings.on_message_begin = &HttpConnection::onMessageBegin;
  settings.on_url = &HttpConnection::onUrl;
  settings.on_header_field = &HttpConnection::onHeaderField;
  settings.on_header_value = &HttpConnection::onHeaderValue;
  settings.on_headers_complete = &HttpConnection::onHeadersComplete;
  settings.on_body = &HttpConnection::onBody;
  settings.on_message_complete = &HttpConnection::onMessageComplete;
  return settings;
}();

HttpConnection::HttpConnection(HttpServer& server) : server_(server) {
  uv_tcp_init(server.loop_, tcp_.get());
  tcp_.get()->data = this;
  uv_timer_init(server.loop_, idle_timer_.get());
  idle_timer_.get()->data = this;
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

bool HttpConnection::accept(uv_stream_t* listener) {
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(tcp_.get())) != 0) return false;
  uv_tcp_nodelay(tcp_.get(), 1);
  return true;
}

void HttpConnection::startReading() {
  if (closed_ || reading_) return;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(tcp_.get()), &onAlloc, &onRead) != 0) {
    close();
    return;
  }
  reading_ = true;
  restartIdleTimer();
}

void HttpConnection::close() {
  if (closed_) return;
  closed_ = true;
  tcp_.close();
  idle_timer_.close();
  auto on_close = std::move(on_close_);
  on_close_ = nullptr;
  bool unfinished = in_exchange_;
  in_exchange_ = false;
  server_.release(this);
  if (unfinished && on_close) on_close();
}

void HttpConnection::restartIdleTimer() {
  uint32_t timeout = server_.options_.idle_timeout_ms;
  if (closed_ || timeout == 0) return;
  uv_timer_start(idle_timer_.get(), &onIdle, timeout, 0);
}

void HttpConnection::onIdle(uv_timer_t* timer) noexcept {
  auto* self = static_cast<HttpConnection*>(timer->data);
  if (self == nullptr || self->in_exchange_) return;
  self->close();
}

void HttpConnection::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<HttpConnection*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  // One buffer for every connection: libuv hands it back to onRead before asking again.
  *buf = uv_buf_init(self->server_.read_buffer_.get(), kReadBufferBytes);
}

void HttpConnection::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<HttpConnection*>(stream->data);
  if (self == nullptr) return;
  if (nread < 0) {
    self->close();  // EOF or error: a pending handler learns it through onClose
    return;
  }
  if (nread > 0) self->onData(buf->base, static_cast<size_t>(nread));
}

void HttpConnection::onData(const char* data, size_t length) {
  auto keep = shared_from_this();  // a handler may close this connection
  input_.append(data, length);
  if (in_exchange_) {
    if (input_.size() > kMaxBufferedInput) {
      uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp_.get()));
      reading_ = false;
    }
    return;
  }
  restartIdleTimer();
  processInput();
}

// Parses and dispatches buffered requests one at a time until a response is pending.
void HttpConnection::processInput() {
  if (processing_) return;  // the loop below picks up what a synchronous response made ready
  processing_ = true;
  while (!closed_ && !in_exchange_ && !close_after_flush_ && !input_.empty()) {
    if (!parseOne()) break;
  }
  processing_ = false;
}

// Feeds the buffered bytes to the parser; false when it needs more bytes or the connection ends.
bool HttpConnection::parseOne() {
  size_t parsed = http_parser_execute(&parser_, &kSettings, input_.data(), input_.size());
  auto error = HTTP_PARSER_ERRNO(&parser_);
  if (error == HPE_PAUSED) {
    http_parser_pause(&parser_, 0);
  } else if (error != HPE_OK) {
    int status = reject_status_ != 0 ? reject_status_ : 400;
    log::get("http").debug("http: bad request ({}): {}", status, http_errno_description(error));
    rejectRequest(status);
    return false;
  }
  input_.erase(0, parsed);
  if (!message_complete_) return false;
  message_complete_ = false;
  dispatch();
  return true;
}

void HttpConnection::dispatch() {
  in_exchange_ = true;
  streaming_ = false;
  ++exchange_;
  ++server_.requests_;
  uv_timer_stop(idle_timer_.get());
  HttpResponse response(weak_from_this(), exchange_);
  try {
    server_.handler_(std::move(request_), std::move(response));
  } catch (const std::exception& e) {
    log::get("http").error("http: handler threw: {}", e.what());
    if (current(exchange_)) sendFixed(500, {}, "internal error\n");
  }
  request_ = HttpRequest{};
}

void HttpConnection::rejectRequest(int status) {
  keep_alive_ = false;
  in_exchange_ = true;
  ++exchange_;
  sendFixed(status, {{"Content-Type", "text/plain"}}, std::string(httpReason(status)) + "\n");
}

void HttpConnection::finishExchange() {
  in_exchange_ = false;
  streaming_ = false;
  on_close_ = nullptr;
  if (!keep_alive_) {
    close_after_flush_ = true;
    if (inflight_ == nullptr) close();
    return;
  }
  startReading();
  restartIdleTimer();
  processInput();
}

int HttpConnection::onMessageBegin(http_parser* parser) noexcept {
  auto* self = static_cast<HttpConnection*>(parser->data);
  self->request_ = HttpRequest{};
  self->field_.clear();
  self->value_.clear();
  self->in_value_ = false;
  self->header_bytes_ = 0;
  self->reject_status_ = 0;
  return 0;
}

bool HttpConnection::countHeaderBytes(size_t length) {
  header_bytes_ += length;
  if (header_bytes_ <= server_.options_.max_header_bytes) return true;
  reject_status_ = 431;
  return false;
}

int HttpConnection::onUrl(http_parser* parser, const char* at, size_t length) noexcept {
  auto* self = static_cast<HttpConnection*>(parser->data);
  if (!self->countHeaderBytes(length)) return 1;
  self->request_.target.append(at, length);
  return 0;
}

void HttpConnection::commitHeader() {
  if (field_.empty()) return;
  std::transform(field_.begin(), field_.end(), field_.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  request_.headers.push_back({std::move(field_), std::move(value_)});
  field_.clear();
  value_.clear();
}

int HttpConnection::onHeaderField(http_parser* parser, const char* at, size_t length) noexcept {
  auto* self = static_cast<HttpConnection*>(parser->data);
  if (!self->countHeaderBytes(length)) return 1;
  if (self->in_value_) {
    self->commitHeader();
    self->in_value_ = false;
  }
  self->field_.append(at, length);
  return 0;
}

int HttpConnection::onHeaderValue(http_parser* parser, const char* at, size_t length) noexcept {
  auto* self = static_cast<HttpConnection*>(parser->data);
  if (!self->countHeaderBytes(length)) return 1;
  self->in_value_ = true;
  self->value_.append(at, length);
  return 0;
}

int HttpConnection::onHeadersComplete(http_parser* parser) noexcept {
  auto* self = static_cast<HttpConnection*>(parser->data);
  self->commitHeader();
  HttpRequest& request = self->request_;
  request.method = http_method_str(static_cast<http_method>(parser->method));
  size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  bool has_length = (parser->flags & F_CONTENTLENGTH) != 0;
  if (has_length && parser->content_length > self->server_.options_.max_body_bytes) {
    self->reject_status_ = 413;
    return -1;  // http-parser treats any other non-zero value as an error too
  }
  if (request.header("expect") == "100-continue") {
    self->queueWrite("HTTP/1.1 100 Continue\r\n\r\n");
  }
  return 0;
}

int HttpConnection::onBody(http_parser* parser, const char* at, size_t length) noexcept {
  auto* self = static_cast<HttpConnection*>(parser->data);
  if (self->request_.body.size() + length > self->server_.options_.max_body_bytes) {
    self->reject_status_ = 413;
    return 1;
  }
  self->request_.body.append(at, length);
  return 0;
}

int HttpConnection::onMessageComplete(http_parser* parser) noexcept {
  auto* self = static_cast<HttpConnection*>(parser->data);
  self->keep_alive_ = http_should_keep_alive(parser) != 0;
  self->message_complete_ = true;
  http_parser_pause(parser, 1);  // one request at a time: the rest waits in input_
  return 0;
}

void HttpConnection::sendFixed(int status, const HttpHeaders& headers, std::string_view body) {
  std::string out;
  out.reserve(128 + body.size());
  appendStatusLine(out, status);
  appendHeaders(out, headers);
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  if (!keep_alive_) out.append("Connection: close\r\n");
  out.append("\r\n").append(body);
  queueWrite(std::move(out));
  finishExchange();
}

bool HttpConnection::startChunked(int status, const HttpHeaders& headers) {
  if (streaming_) return false;
  std::string out;
  appendStatusLine(out, status);
  appendHeaders(out, headers);
  out.append("Transfer-Encoding: chunked\r\n");
  if (!keep_alive_) out.append("Connection: close\r\n");
  out.append("\r\n");
  streaming_ = true;
  return queueWrite(std::move(out));
}

bool HttpConnection::writeChunks(const std::vector<std::string_view>& pieces) {
  if (!streaming_) return false;
  if (pendingBytes() > server_.options_.max_output_bytes) {
    log::get("http").debug("http: closing a connection whose reader is too slow");
    close();
    return false;
  }
  size_t total = 0;
  for (auto piece : pieces) total += piece.size() + 24;
  std::string out;
  out.reserve(total);
  char size[24];
  for (auto piece : pieces) {
    if (piece.empty()) continue;  // an empty chunk would end the body
    auto [end, ec] = std::to_chars(size, size + sizeof size, piece.size(), 16);
    out.append(size, end).append("\r\n").append(piece).append("\r\n");
  }
  if (out.empty()) return true;
  return queueWrite(std::move(out));
}

void HttpConnection::endChunked() {
  if (!streaming_) return;
  queueWrite("0\r\n\r\n");
  finishExchange();
}

void HttpConnection::abortExchange() {
  in_exchange_ = false;
  on_close_ = nullptr;
  keep_alive_ = false;
  close_after_flush_ = true;
  if (inflight_ == nullptr) close();
}

// Writes at once when the socket takes it; queues the rest behind the write in flight.
bool HttpConnection::queueWrite(std::string data) {
  if (closed_) return false;
  if (inflight_ != nullptr) {
    pending_output_.append(data);
    return true;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(tcp_.get());
  uv_buf_t buf = uv_buf_init(data.data(), static_cast<unsigned>(data.size()));
  int written = uv_try_write(stream, &buf, 1);
  if (written == static_cast<int>(data.size())) return true;
  if (written < 0 && written != UV_EAGAIN) {
    close();
    return false;
  }
  if (written > 0) data.erase(0, static_cast<size_t>(written));
  startWrite(std::move(data));
  return !closed_;
}

void HttpConnection::startWrite(std::string data) {
  auto* request = new WriteRequest{};
  request->req.data = request;
  request->data = std::move(data);
  uv_buf_t buf = uv_buf_init(request->data.data(), static_cast<unsigned>(request->data.size()));
  int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(tcp_.get()), &buf, 1, &onWrite);
  if (rc != 0) {
    delete request;
    close();
    return;
  }
  inflight_ = request;
  inflight_bytes_ = request->data.size();
}

void HttpConnection::onWrite(uv_write_t* req, int status) noexcept {
  auto* request = static_cast<WriteRequest*>(req->data);
  auto* self = static_cast<HttpConnection*>(req->handle->data);  // null once closed
  delete request;
  if (self == nullptr) return;
  self->inflight_ = nullptr;
  self->inflight_bytes_ = 0;
  if (status < 0) {
    self->close();
    return;
  }
  self->afterFlush();
}

void HttpConnection::afterFlush() {
  if (!pending_output_.empty()) {
    std::string next;
    next.swap(pending_output_);
    auto keep = shared_from_this();
    queueWrite(std::move(next));
    return;
  }
  if (close_after_flush_) close();
}

// --- HttpResponse -------------------------------------------------------------------------------

HttpResponse::HttpResponse(std::weak_ptr<HttpConnection> connection, uint64_t exchange)
    : connection_(std::move(connection)), exchange_(exchange) {}

HttpResponse::HttpResponse(HttpResponse&& other) noexcept
    : connection_(std::move(other.connection_)), exchange_(std::exchange(other.exchange_, 0)) {}

HttpResponse& HttpResponse::operator=(HttpResponse&& other) noexcept {
  if (this != &other) {
    abort();
    connection_ = std::move(other.connection_);
    exchange_ = std::exchange(other.exchange_, 0);
  }
  return *this;
}

HttpResponse::~HttpResponse() {
  abort();
}

HttpConnection* HttpResponse::live() const {
  auto connection = connection_.lock();
  if (!connection || !connection->current(exchange_)) return nullptr;
  return connection.get();  // kept alive by the server until at least the next loop turn
}

bool HttpResponse::open() const {
  return live() != nullptr;
}

void HttpResponse::send(int status, const HttpHeaders& headers, std::string_view body) {
  if (auto* connection = live()) connection->sendFixed(status, headers, body);
}

void HttpResponse::send(int status, std::string_view content_type, std::string_view body) {
  send(status, {{"Content-Type", std::string(content_type)}}, body);
}

bool HttpResponse::start(int status, const HttpHeaders& headers) {
  auto* connection = live();
  return connection != nullptr && connection->startChunked(status, headers);
}

bool HttpResponse::write(std::string_view data) {
  auto* connection = live();
  return connection != nullptr && connection->writeChunks({data});
}

bool HttpResponse::write(const std::vector<std::string_view>& pieces) {
  auto* connection = live();
  return connection != nullptr && connection->writeChunks(pieces);
}

void HttpResponse::end() {
  if (auto* connection = live()) connection->endChunked();
}

void HttpResponse::abort() {
  if (auto* connection = live()) connection->abortExchange();
}

void HttpResponse::onClose(std::function<void()> callback) {
  if (auto* connection = live()) connection->setOnClose(std::move(callback));
}

size_t HttpResponse::pendingBytes() const {
  auto* connection = live();
  return connection != nullptr ? connection->pendingBytes() : 0;
}

// --- HttpServer ---------------------------------------------------------------------------------

HttpServer::HttpServer(uv_loop_t* loop, Options options, Handler handler)
    : loop_(loop),
      options_(std::move(options)),
      handler_(std::move(handler)),
      sweeper_(loop),
      read_buffer_(new char[kReadBufferBytes]) {}

HttpServer::~HttpServer() {
  stop();
  closed_.clear();
}

bool HttpServer::start(std::string* error) {
  sockaddr_storage addr{};
  int rc = uv_ip4_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0) {
    rc = uv_ip6_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in6*>(&addr));
  }
  if (rc != 0) {
    if (error) *error = "bad listen address " + options_.host;
    return false;
  }
  uv_tcp_init(loop_, listener_.get());
  listener_.get()->data = this;
  rc = uv_tcp_bind(listener_.get(), reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), options_.backlog,
                   &HttpServer::onConnection);
  }
  if (rc != 0) {
    if (error)
      *error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
               uv_strerror(rc);
    listener_.close();
    return false;
  }
  sockaddr_storage bound{};
  int length = sizeof bound;
  uv_tcp_getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return true;
}

void HttpServer::stop() {
  listener_.close();
  std::vector<std::shared_ptr<HttpConnection>> open;
  open.reserve(connections_.size());
  for (auto& [raw, connection] : connections_) open.push_back(connection);
  for (auto& connection : open) connection->close();
}

void HttpServer::onConnection(uv_stream_t* listener, int status) noexcept {
  auto* self = static_cast<HttpServer*>(listener->data);
  if (self == nullptr || status < 0) return;
  self->accept();
}

void HttpServer::accept() {
  auto connection = std::make_shared<HttpConnection>(*this);
  if (!connection->accept(reinterpret_cast<uv_stream_t*>(listener_.get()))) return;
  ++accepted_;
  connections_.emplace(connection.get(), connection);
  if (connections_.size() > options_.max_connections) {
    log::get("http").warn("http: refusing a connection: {} open", connections_.size() - 1);
    connection->close();
    return;
  }
  connection->startReading();
}

void HttpServer::release(HttpConnection* connection) {
  auto found = connections_.find(connection);
  if (found == connections_.end()) return;
  closed_.push_back(std::move(found->second));
  connections_.erase(found);
  if (!sweeper_.active()) sweeper_.start(0, [this] { closed_.clear(); });
}

std::string_view HttpRequest::header(std::string_view lower_name) const {
  for (const auto& header : headers) {
    if (header.name == lower_name) return header.value;
  }
  return {};
}

const char* httpReason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 524:
      return "A Timeout Occurred";
    case 529:
      return "Site Overloaded";
    default:
      return "Unknown";
  }
}

}  // namespace sg
