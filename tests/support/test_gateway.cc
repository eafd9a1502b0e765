// The stand-in Gateway (see test_gateway.h).
#include "support/test_gateway.h"

#include <algorithm>

#include "common/bus_codec.h"
#include "common/bus_keys.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/msgpack_json.h"

namespace sg::test {
namespace {

constexpr int kMaxBlockMs = 50;  // bounds how long stop() waits for the thread

std::string text(const redisReply* reply) {
  return reply != nullptr && reply->str != nullptr ? std::string(reply->str, reply->len) : "";
}

IncomingMessage cannedMessage(const std::string& channel_id, const std::string& id,
                              const std::string& author, const std::string& content,
                              double created_at) {
  IncomingMessage message;
  message.id = id;
  message.channel_id = channel_id;
  message.guild_id = "g1";
  message.author.id = author;
  message.author.name = "name-" + author;
  message.content = content;
  message.created_at = created_at;
  return message;
}

}  // namespace

TestGateway::TestGateway(int redis_port, std::string platform)
    : port_(redis_port), platform_(std::move(platform)), responder_(&TestGateway::cannedAnswer) {}

TestGateway::~TestGateway() {
  stop();
}

bool TestGateway::start() {
  writer_ = std::make_unique<SyncRedis>(port_);
  if (!writer_->connected() || running_) return false;
  running_ = true;
  thread_ = std::thread([this] { run(); });
  return true;
}

void TestGateway::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

void TestGateway::setResponder(Responder responder) {
  std::lock_guard lock(mutex_);
  responder_ = std::move(responder);
}

void TestGateway::answerAll(GatewayAnswer answer) {
  setResponder([answer](const GatewayRequest&) { return answer; });
}

void TestGateway::reply(const GatewayRequest& request, const RpcReply& reply) {
  RpcReply sent = reply;
  if (sent.rpc_id.empty()) sent.rpc_id = request.rpc_id;
  replyRaw(request.reply_stream, encodeRpcReply(sent));
}

void TestGateway::replyRaw(const std::string& reply_stream, const std::string& payload) {
  std::lock_guard lock(mutex_);
  if (writer_ == nullptr) writer_ = std::make_unique<SyncRedis>(port_);
  writer_->command({"XADD", reply_stream, "*", "payload", payload});
  ++replies_sent_;
}

std::vector<GatewayRequest> TestGateway::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t TestGateway::requestCount() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::vector<std::string> TestGateway::actions() const {
  std::lock_guard lock(mutex_);
  return actions_;
}

GatewayAnswer TestGateway::cannedAnswer(const GatewayRequest& request) {
  JsonPtr params = parseJson(request.params_json);
  std::string channel_id(jsonString(params.get(), "channel_id", "c1"));
  GatewayAnswer answer;
  if (request.method == kFetchMessages) {
    answer.result =
        encodeFetchMessagesResult({cannedMessage(channel_id, "m2", "u2", "second", 1700000060),
                                   cannedMessage(channel_id, "m1", "u1", "first", 1700000000)});
  } else if (request.method == kGetUser) {
    std::string id(jsonString(params.get(), "user_id"));
    answer.result = encodeGetUserResult({id, "user-" + id, "User " + id, {"r1"}, 1700000000});
  } else if (request.method == kGetChannel) {
    answer.result = encodeGetChannelResult({channel_id, "general", "talk", "text"});
  } else {
    answer.mode = GatewayMode::kError;
    answer.error = "unknown method";
  }
  return answer;
}

// ---- the thread -------------------------------------------------------------------------------

void TestGateway::run() {
  SyncRedis redis(port_);
  std::string last_id = "0-0";
  while (running_) {
    readBatch(redis, last_id, blockMs());
    sendDue(redis);
  }
}

// Blocks until an action arrives, the next delayed answer is due, or kMaxBlockMs (never 0:
// BLOCK 0 waits forever).
int TestGateway::blockMs() const {
  std::lock_guard lock(mutex_);
  int block = kMaxBlockMs;
  uint64_t now = monoMs();
  for (const Delayed& delayed : delayed_) {
    int until = delayed.due_ms > now ? static_cast<int>(delayed.due_ms - now) : 0;
    block = std::min(block, until);
  }
  return std::max(block, 1);
}

void TestGateway::readBatch(SyncRedis& redis, std::string& last_id, int block_ms) {
  Reply reply = redis.command({"XREAD", "COUNT", "100", "BLOCK", std::to_string(block_ms),
                               "STREAMS", keys::outboundStream(platform_), last_id});
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return;
  for (size_t s = 0; s < reply->elements; ++s) {
    const redisReply* entries = reply->element[s]->element[1];
    for (size_t e = 0; e < entries->elements; ++e) {
      const redisReply* entry = entries->element[e];
      last_id = text(entry->element[0]);
      const redisReply* fields = entry->element[1];
      for (size_t f = 0; f + 1 < fields->elements; f += 2) {
        if (text(fields->element[f]) == "payload") onAction(last_id, text(fields->element[f + 1]));
      }
    }
  }
}

void TestGateway::onAction(const std::string& stream_id, const std::string& payload) {
  std::string rendered = msgpackToJson(payload).value_or("null");
  JsonPtr json = parseJson(rendered);
  {
    std::lock_guard lock(mutex_);
    actions_.push_back(rendered);
  }
  if (jsonString(json.get(), "action") != RpcRequest::kName) return;
  GatewayRequest request;
  request.stream_id = stream_id;
  request.action_id = jsonString(json.get(), "action_id");
  request.event_id = jsonString(json.get(), "event_id");
  request.worker = jsonString(json.get(), "worker");
  request.rpc_id = jsonString(json.get(), "rpc_id");
  request.method = jsonString(json.get(), "method");
  request.params_json = printJson(jsonField(json.get(), "params"));
  request.reply_stream = jsonString(json.get(), "reply_stream");
  jsonNumber(json.get(), "deadline", &request.deadline);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  answer(request);
}

void TestGateway::answer(const GatewayRequest& request) {
  Responder responder;
  {
    std::lock_guard lock(mutex_);
    responder = responder_;
  }
  GatewayAnswer answer = responder(request);
  if (answer.mode == GatewayMode::kSilent) return;
  uint64_t due = monoMs() + answer.delay_ms;
  RpcReply reply{request.rpc_id, answer.mode != GatewayMode::kError, answer.result, answer.error};
  std::string payload = encodeRpcReply(reply);
  if (answer.mode == GatewayMode::kLate) {
    double until_deadline_ms = std::max(0.0, (request.deadline - unixNow()) * 1000);
    due = monoMs() + static_cast<uint64_t>(until_deadline_ms) + answer.delay_ms;
  } else if (answer.mode == GatewayMode::kGarbage) {
    payload = answer.payload.empty() ? std::string("\xc1 not msgpack") : answer.payload;
  }
  std::lock_guard lock(mutex_);
  delayed_.push_back({due, request.reply_stream, std::move(payload)});
}

void TestGateway::sendDue(SyncRedis& redis) {
  std::vector<Delayed> due;
  {
    std::lock_guard lock(mutex_);
    uint64_t now = monoMs();
    auto split = std::stable_partition(delayed_.begin(), delayed_.end(),
                                       [now](const Delayed& d) { return d.due_ms > now; });
    due.assign(std::make_move_iterator(split), std::make_move_iterator(delayed_.end()));
    delayed_.erase(split, delayed_.end());
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const Delayed& a, const Delayed& b) { return a.due_ms < b.due_ms; });
  for (const Delayed& reply : due) {
    redis.command({"XADD", reply.reply_stream, "*", "payload", reply.payload});
    ++replies_sent_;
  }
}

}  // namespace sg::test
