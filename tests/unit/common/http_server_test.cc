// The HTTP/1.1 server driven by a raw TCP client on the same loop, so that every byte on the wire
// is the test's choice: keep-alive, pipelining with answers given later, request bodies (fixed and
// chunked), streamed chunked responses, limits, bad requests, clients that leave, and a clean stop.
#include "common/http_server.h"

#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "support/test_loop.h"

namespace sg {
namespace {

using test::TestLoop;

// A TCP client that sends raw bytes and collects whatever comes back.
class RawClient {
 public:
  RawClient(uv_loop_t* loop, int port) {
    uv_tcp_init(loop, tcp_.get());
    tcp_.get()->data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", port, &addr);
    connect_.data = this;
    uv_tcp_connect(&connect_, tcp_.get(), reinterpret_cast<const sockaddr*>(&addr),
                   [](uv_connect_t* req, int status) {
                     auto* self = static_cast<RawClient*>(req->data);
                     if (self == nullptr || status != 0) return;
                     self->connected = true;
                     self->startReading();
                   });
  }
  ~RawClient() {
    connect_.data = nullptr;
    tcp_.close();
  }

  void send(const std::string& bytes) {
    auto* request = new Write{{}, bytes};
    request->req.data = request;
    uv_buf_t buf = uv_buf_init(request->data.data(), static_cast<unsigned>(request->data.size()));
    uv_write(&request->req, reinterpret_cast<uv_stream_t*>(tcp_.get()), &buf, 1,
             [](uv_write_t* req, int) { delete static_cast<Write*>(req->data); });
  }
  void startReading() {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(tcp_.get()),
        [](uv_handle_t*, size_t size, uv_buf_t* buf) { *buf = uv_buf_init(new char[size], size); },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
          auto* self = static_cast<RawClient*>(stream->data);
          if (self != nullptr && nread > 0) self->received.append(buf->base, nread);
          if (self != nullptr && nread < 0) self->eof = true;
          delete[] buf->base;
        });
  }
  void stopReading() { uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp_.get())); }
  void close() { tcp_.close(); }

  size_t count(const std::string& needle) const {
    size_t n = 0;
    for (size_t at = received.find(needle); at != std::string::npos;
         at = received.find(needle, at + 1))
      ++n;
    return n;
  }

  std::string received;
  bool connected = false;
  bool eof = false;

 private:
  struct Write {
    uv_write_t req;
    std::string data;
  };
  UvHandle<uv_tcp_t> tcp_;
  uv_connect_t connect_{};
};

class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }  // as every daemon of ours does

  void startServer(HttpServer::Options options = {}) {
    server_ = std::make_unique<HttpServer>(
        loop_.get(), options, [this](HttpRequest request, HttpResponse response) {
          requests_.push_back(request);
          if (handler_) {
            handler_(requests_.back(), std::move(response));
          } else {
            response.send(200, "text/plain", "hello " + request.path);
          }
        });
    std::string error;
    ASSERT_TRUE(server_->start(&error)) << error;
  }
  void TearDown() override {
    clients_.clear();
    server_.reset();
    std::string leftovers;
    EXPECT_EQ(loop_.close(&leftovers), 0) << leftovers;
  }
  RawClient& connect() {
    clients_.push_back(std::make_unique<RawClient>(loop_.get(), server_->port()));
    RawClient& client = *clients_.back();
    EXPECT_TRUE(loop_.runUntil([&] { return client.connected; }));
    return client;
  }

  TestLoop loop_;
  std::unique_ptr<HttpServer> server_;
  std::vector<HttpRequest> requests_;
  std::function<void(HttpRequest&, HttpResponse)> handler_;
  std::vector<HttpResponse> held_;
  std::vector<std::unique_ptr<RawClient>> clients_;
};

TEST_F(HttpServerTest, KeepsTheConnectionAliveAcrossRequests) {
  startServer();
  RawClient& client = connect();
  client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return client.count("hello /a") == 1; }));
  client.send("GET /b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return client.count("hello /b") == 1; }));
  EXPECT_EQ(client.count("HTTP/1.1 200 OK\r\n"), 2u);
  EXPECT_EQ(client.count("Content-Length: 8\r\n"), 2u);
  EXPECT_FALSE(client.eof);
  EXPECT_EQ(server_->accepted(), 1u);
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(requests_[1].path, "/b");
  EXPECT_EQ(requests_[1].query, "q=1");
  EXPECT_EQ(requests_[1].header("host"), "x");
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrderEvenWhenTheFirstAnswersLater) {
  handler_ = [this](HttpRequest& request, HttpResponse response) {
    if (request.path == "/slow") {
      held_.push_back(std::move(response));  // answered below, after the others arrived
    } else {
      response.send(200, "text/plain", "fast" + request.path);
    }
  };
  startServer();
  RawClient& client = connect();
  client.send("GET /slow HTTP/1.1\r\n\r\nGET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return held_.size() == 1; }));
  // All three arrived in one read: had the server answered /1 out of turn, it would be here.
  EXPECT_EQ(requests_.size(), 1u);
  EXPECT_EQ(client.received, "");
  held_[0].send(200, "text/plain", "slow done");
  ASSERT_TRUE(loop_.runUntil([&] { return client.count("fast/2") == 1; }));
  size_t slow = client.received.find("slow done");
  size_t one = client.received.find("fast/1");
  EXPECT_LT(slow, one);
  EXPECT_LT(one, client.received.find("fast/2"));
}

TEST_F(HttpServerTest, ReadsFixedAndChunkedRequestBodies) {
  startServer();
  RawClient& client = connect();
  client.send("POST /f HTTP/1.1\r\nContent-Length: 11\r\nContent-Type: a/b\r\n\r\nhello");
  client.send(" world");
  client.send(
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nchunk\r\n3\r\ned!\r\n0\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return requests_.size() == 2; }));
  EXPECT_EQ(requests_[0].method, "POST");
  EXPECT_EQ(requests_[0].body, "hello world");
  EXPECT_EQ(requests_[0].header("content-type"), "a/b");
  EXPECT_EQ(requests_[1].body, "chunked!");
}

TEST_F(HttpServerTest, StreamsAChunkedResponsePieceByPiece) {
  handler_ = [this](HttpRequest&, HttpResponse response) {
    ASSERT_TRUE(response.start(200, {{"Content-Type", "text/event-stream"}}));
    ASSERT_TRUE(response.write("data: 1\n\n"));
    held_.push_back(std::move(response));
  };
  startServer();
  RawClient& client = connect();
  client.send("GET /events HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return client.count("data: 1\n\n") == 1; }));
  EXPECT_EQ(client.count("Transfer-Encoding: chunked\r\n"), 1u);
  EXPECT_EQ(client.count("9\r\ndata: 1\n\n\r\n"), 1u);
  EXPECT_EQ(client.count("0\r\n\r\n"), 0u);
  ASSERT_TRUE(held_[0].write(std::vector<std::string_view>{"da", "ta: 2\n\n"}));
  held_[0].end();
  EXPECT_FALSE(held_[0].open());
  ASSERT_TRUE(loop_.runUntil([&] { return client.count("0\r\n\r\n") == 1; }));
  EXPECT_EQ(client.count("2\r\nda\r\n7\r\nta: 2\n\n\r\n"), 1u);
}

TEST_F(HttpServerTest, RefusesOversizedHeadersAndBodies) {
  HttpServer::Options options;
  options.max_header_bytes = 1024;
  options.max_body_bytes = 100;
  startServer(options);
  RawClient& big_header = connect();
  big_header.send("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return big_header.eof; }));
  EXPECT_EQ(big_header.count("HTTP/1.1 431 "), 1u);
  RawClient& big_body = connect();
  big_body.send("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return big_body.eof; }));
  EXPECT_EQ(big_body.count("HTTP/1.1 413 "), 1u);
  RawClient& big_chunks = connect();
  big_chunks.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n" +
                  std::string(128, 'b') + "\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return big_chunks.eof; }));
  EXPECT_EQ(big_chunks.count("HTTP/1.1 413 "), 1u);
  EXPECT_TRUE(requests_.empty());
}

TEST_F(HttpServerTest, AnswersGarbageWith400AndCloses) {
  startServer();
  RawClient& client = connect();
  client.send("NOT HTTP AT ALL\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return client.eof; }));
  EXPECT_EQ(client.count("HTTP/1.1 400 "), 1u);
}

TEST_F(HttpServerTest, HonoursConnectionCloseAndHttp10) {
  startServer();
  RawClient& closing = connect();
  closing.send("GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return closing.eof; }));
  EXPECT_EQ(closing.count("Connection: close\r\n"), 1u);
  EXPECT_EQ(closing.count("hello /x"), 1u);
  RawClient& old = connect();
  old.send("GET /y HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return old.eof; }));
  EXPECT_EQ(old.count("hello /y"), 1u);
}

TEST_F(HttpServerTest, SendsContinueWhenAsked) {
  startServer();
  RawClient& client = connect();
  client.send("POST /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return client.count("HTTP/1.1 100 Continue\r\n\r\n") == 1; }));
  client.send("ok");
  ASSERT_TRUE(loop_.runUntil([&] { return client.count("hello /e") == 1; }));
}

TEST_F(HttpServerTest, TellsAPendingHandlerThatTheClientLeft) {
  int closed = 0;
  handler_ = [&](HttpRequest&, HttpResponse response) {
    response.onClose([&closed] { ++closed; });
    held_.push_back(std::move(response));
  };
  startServer();
  RawClient& client = connect();
  client.send("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return held_.size() == 1; }));
  client.close();
  ASSERT_TRUE(loop_.runUntil([&] { return closed == 1; }));
  EXPECT_FALSE(held_[0].open());
  held_[0].send(200, "text/plain", "too late");  // a no-op, not a crash
  EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(HttpServerTest, ADroppedResponseClosesTheConnection) {
  handler_ = [](HttpRequest&, HttpResponse) {};
  startServer();
  RawClient& client = connect();
  client.send("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return client.eof; }));
  EXPECT_EQ(client.received, "");
}

TEST_F(HttpServerTest, AbortCutsAStreamAfterWhatWasWritten) {
  handler_ = [](HttpRequest&, HttpResponse response) {
    response.start(200, {});
    response.write("partial");
    response.abort();
  };
  startServer();
  RawClient& client = connect();
  client.send("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return client.eof; }));
  EXPECT_EQ(client.count("7\r\npartial\r\n"), 1u);
  EXPECT_EQ(client.count("0\r\n\r\n"), 0u);
}

TEST_F(HttpServerTest, DisconnectsAReaderThatFallsTooFarBehind) {
  HttpServer::Options options;
  options.max_output_bytes = 64 * 1024;
  handler_ = [this](HttpRequest&, HttpResponse response) {
    response.start(200, {});
    held_.push_back(std::move(response));
  };
  startServer(options);
  RawClient& client = connect();
  client.send("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return held_.size() == 1; }));
  client.stopReading();
  std::string block(64 * 1024, 'x');
  bool refused = false;
  for (int i = 0; i < 2000 && !refused; ++i) {
    refused = !held_[0].write(block);
    loop_.runUntil([] { return true; });
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(held_[0].open());
}

TEST_F(HttpServerTest, StopClosesEveryConnection) {
  int closed = 0;
  handler_ = [&](HttpRequest&, HttpResponse response) {
    response.onClose([&closed] { ++closed; });
    held_.push_back(std::move(response));
  };
  startServer();
  RawClient& idle = connect();
  RawClient& waiting = connect();
  waiting.send("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(loop_.runUntil([&] { return held_.size() == 1; }));
  server_->stop();
  EXPECT_EQ(closed, 1);
  ASSERT_TRUE(loop_.runUntil([&] { return idle.eof && waiting.eof; }));
}

TEST_F(HttpServerTest, ClosesIdleConnections) {
  HttpServer::Options options;
  options.idle_timeout_ms = 50;
  startServer(options);
  RawClient& client = connect();
  ASSERT_TRUE(loop_.runUntil([&] { return client.eof; }));
}

TEST(HttpServerAddress, ListensOnLoopbackByDefault) {
  EXPECT_EQ(HttpServer::Options{}.host, "127.0.0.1");
}

}  // namespace
}  // namespace sg
