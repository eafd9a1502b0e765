// Test fixture: a stand-in Gateway for bus protocol section 3. A thread reads
// sg:stream:outbound:<platform> of a real redis-server from the beginning (blocking hiredis:
// test code only), records every action, and answers each rpc_request on its `reply_stream` as
// the responder decides: a result, an error, never, late (after the deadline), or garbage.
// Replies are written with the product's encodeRpcReply. Not a gateway: it performs no action.
//
// Usage:
//   TestGateway gateway(server.port());
//   gateway.answerAll({.mode = GatewayMode::kError, .error = "unknown channel"});
//   ASSERT_TRUE(gateway.start());
//   ... run the loop until gateway.requestCount() == 1 or the call completes ...
//   EXPECT_EQ(gateway.requests()[0].method, "get_channel");
// The responder runs on the gateway's thread: it must only read what it captures (or lock).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/bus_types.h"
#include "support/redis_server.h"

namespace sg::test {

// One rpc_request as the gateway read it.
struct GatewayRequest {
  std::string stream_id;  // its entry id in the outbound stream
  std::string action_id;  // <event_id>:rpc:<k>
  std::string event_id;
  std::string worker;
  std::string rpc_id;
  std::string method;
  std::string params_json;  // the params map rendered as JSON ("{}" when empty)
  std::string reply_stream;
  double deadline = 0;  // Unix seconds
};

enum class GatewayMode {
  kAnswer,   // {ok: true, result}
  kError,    // {ok: false, error}
  kSilent,   // no reply (answer it later with reply(), or let it time out)
  kLate,     // {ok: true, result}, `delay_ms` after the request's deadline
  kGarbage,  // `payload` written as is (default: bytes that are not MessagePack)
};

struct GatewayAnswer {
  GatewayMode mode = GatewayMode::kAnswer;
  std::string result;  // kAnswer, kLate: the result's MessagePack bytes ("" sends nil)
  std::string error = "gateway error";  // kError
  std::string payload;                  // kGarbage ("" : "\xc1 not msgpack")
  uint32_t delay_ms = 0;                // kAnswer, kError: wait first; kLate: after the deadline
};

class TestGateway {
 public:
  using Responder = std::function<GatewayAnswer(const GatewayRequest&)>;

  // Answers with cannedAnswer() until told otherwise.
  explicit TestGateway(int redis_port, std::string platform = "discord");
  ~TestGateway();  // stop()
  TestGateway(const TestGateway&) = delete;
  TestGateway& operator=(const TestGateway&) = delete;

  // Connects and starts the reader thread; false when Redis is unreachable.
  [[nodiscard]] bool start();
  // Stops the thread (within about 50 ms); delayed answers not yet sent are dropped.
  void stop();

  // Decides the answer of each request read from now on. Thread-safe.
  void setResponder(Responder responder);
  // The same answer for every request.
  void answerAll(GatewayAnswer answer);

  // Writes a reply now, from the caller's thread (to answer kSilent requests in a chosen order,
  // or to send a late one by hand).
  void reply(const GatewayRequest& request, const RpcReply& reply);
  void replyRaw(const std::string& reply_stream, const std::string& payload);

  std::vector<GatewayRequest> requests() const;  // rpc_requests read, in stream order
  size_t requestCount() const;
  std::vector<std::string> actions() const;  // every action read, rendered as JSON, in order
  size_t repliesSent() const { return replies_sent_.load(); }

  // What the default responder answers: fetch_messages, two messages in the requested channel
  // ("m2" by u2 "second", then "m1" by u1 "first"; newest first), get_user {id, name "user-<id>",
  // display_name "User <id>", roles ["r1"], joined_at 1700000000}, get_channel {id, name
  // "general", topic "talk", kind "text"}; any other method, an error "unknown method".
  static GatewayAnswer cannedAnswer(const GatewayRequest& request);

 private:
  struct Delayed {
    uint64_t due_ms;  // steady clock
    std::string reply_stream;
    std::string payload;
  };

  void run();
  void readBatch(SyncRedis& redis, std::string& last_id, int block_ms);
  void onAction(const std::string& stream_id, const std::string& payload);
  void answer(const GatewayRequest& request);
  void sendDue(SyncRedis& redis);
  int blockMs() const;

  int port_;
  std::string platform_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<size_t> replies_sent_{0};
  mutable std::mutex mutex_;  // guards everything below
  Responder responder_;
  std::vector<GatewayRequest> requests_;
  std::vector<std::string> actions_;
  std::vector<Delayed> delayed_;
  std::unique_ptr<SyncRedis> writer_;  // for reply() from the caller's thread
};

}  // namespace sg::test
