// GatewayRpc against a real redis-server and the test gateway: what an rpc_request carries, a
// call answered, a gateway error, a timeout at the deadline with the late reply ignored, calls
// answered out of order, malformed and unreadable replies, a lost publish, cancellation, the
// reader surviving a Redis restart, and stop() failing pending calls, deleting the reply stream
// and leaving a loop that closes cleanly (GatewayFixture's TearDown).
#include "worker/gateway_rpc.h"

#include <gtest/gtest.h>

#include <atomic>

#include "common/bus_codec.h"
#include "common/clock.h"
#include "common/json.h"
#include "support/json_msgpack.h"
#include "unit/worker/gateway_fixture.h"

namespace sg::test {
namespace {

// What one call completed with, and whether it completed too early or twice.
struct Probe {
  int completions = 0;
  bool inside_call = false;
  bool in_call = false;
  RpcResult result;

  GatewayRpc::Callback callback() {
    return [this](RpcResult r) {
      if (in_call) inside_call = true;
      ++completions;
      result = std::move(r);
    };
  }
  bool done() const { return completions > 0; }
};

// The decoded result's name or id, "" when it does not decode.
std::string userName(const RpcResult& result, const LimitsConfig& limits) {
  Decoded<RpcUser> user = decodeGetUserResult(result.result, limits);
  return user.ok() ? user.value->name : "";
}
std::string channelId(const RpcResult& result, const LimitsConfig& limits) {
  Decoded<RpcChannel> channel = decodeGetChannelResult(result.result, limits);
  return channel.ok() ? channel.value->id : "";
}

class GatewayRpcTest : public GatewayFixture {
 protected:
  // Starts a call (checking it does not complete inside call()).
  void start(Probe& probe, const std::shared_ptr<ProcessJob>& job, std::string_view method,
             std::string params, uint32_t timeout_ms = 5000) {
    probe.in_call = true;
    rpc_->call(job, std::string(method), std::move(params), timeout_ms, probe.callback());
    probe.in_call = false;
  }

  // Runs one call to completion.
  RpcResult run(const std::shared_ptr<ProcessJob>& job, std::string_view method, std::string params,
                uint32_t timeout_ms = 5000) {
    Probe probe;
    start(probe, job, method, std::move(params), timeout_ms);
    EXPECT_TRUE(loop_.runUntil([&] { return probe.done(); }));
    EXPECT_EQ(probe.completions, 1);
    EXPECT_FALSE(probe.inside_call);
    return probe.result;
  }

  long long replyStreamLength() {
    return server_.client()->integer({"XLEN", keys::rpcReplyStream(kWorker)});
  }
};

TEST_F(GatewayRpcTest, AnsweredCallCarriesTheProtocolFieldsAndCleansItsReply) {
  auto job = makeJob("e1");
  double before = unixNow();
  RpcResult result = run(job, kGetChannel, getChannelParams("c42"), 5000);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.outcome, RpcOutcome::kOk);
  Decoded<RpcChannel> channel = decodeGetChannelResult(result.result, config_->limits);
  ASSERT_TRUE(channel.ok()) << channel.reason;
  EXPECT_EQ(channel.value->id, "c42");
  EXPECT_EQ(channel.value->name, "general");

  std::vector<GatewayRequest> requests = gateway_->requests();
  ASSERT_EQ(requests.size(), 1u);
  const GatewayRequest& request = requests[0];
  EXPECT_EQ(request.method, "get_channel");
  EXPECT_EQ(request.action_id, "e1:rpc:0");
  EXPECT_EQ(request.event_id, "e1");
  EXPECT_EQ(request.worker, kWorker);
  EXPECT_EQ(request.reply_stream, "sg:rpc:reply:worker-t1");
  EXPECT_EQ(request.rpc_id.rfind("worker-t1:", 0), 0u) << request.rpc_id;
  EXPECT_EQ(request.params_json, R"({"channel_id":"c42"})");
  // The deadline is the call's timeout from when it was made, as Unix seconds.
  EXPECT_GE(request.deadline, before + 5.0);
  EXPECT_LE(request.deadline, unixNow() + 5.0);

  // The reply was deleted and the stream given a TTL.
  EXPECT_TRUE(loop_.runUntil([&] { return replyStreamLength() == 0; }));
  EXPECT_TRUE(loop_.runUntil([&] {
    return server_.client()->integer({"PTTL", keys::rpcReplyStream(kWorker)}) > 0;
  }));

  // A second call of the same job: the next transient id and another rpc id.
  RpcResult user = run(job, kGetUser, getUserParams("u7", std::nullopt));
  ASSERT_TRUE(user.ok) << user.error;
  EXPECT_EQ(userName(user, config_->limits), "user-u7");
  requests = gateway_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].action_id, "e1:rpc:1");
  EXPECT_NE(requests[1].rpc_id, requests[0].rpc_id);

  GatewayRpcStats stats = rpc_->stats();
  EXPECT_EQ(stats.calls, 2u);
  EXPECT_EQ(stats.ok, 2u);
  EXPECT_EQ(stats.answered, 2u);
  EXPECT_EQ(stats.pending, 0u);
}

TEST_F(GatewayRpcTest, GatewayErrorFailsTheCallWithItsText) {
  gateway_->answerAll({.mode = GatewayMode::kError, .error = "Missing Access"});
  RpcResult result = run(makeJob(), kGetChannel, getChannelParams("c9"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.outcome, RpcOutcome::kGatewayError);
  EXPECT_EQ(result.error, "Missing Access");
  EXPECT_EQ(rpc_->stats().gateway_errors, 1u);
}

TEST_F(GatewayRpcTest, NoAnswerTimesOutAtTheDeadlineAndTheLateReplyIsIgnored) {
  std::atomic<int> seen{0};
  gateway_->setResponder([&seen](const GatewayRequest& request) {
    if (seen++ == 0) return GatewayAnswer{.mode = GatewayMode::kLate, .delay_ms = 20};
    return TestGateway::cannedAnswer(request);
  });
  auto job = makeJob();
  RpcResult result = run(job, kGetChannel, getChannelParams("c1"), 300);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.outcome, RpcOutcome::kTimeout);
  EXPECT_EQ(result.error, "timeout");

  // The late reply lands in the stream while nothing reads it; the next call's read takes it,
  // ignores it and still gets its own answer.
  ASSERT_TRUE(loop_.runUntil([&] { return gateway_->repliesSent() == 1; }));
  RpcResult next = run(job, kGetChannel, getChannelParams("c2"));
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(channelId(next, config_->limits), "c2");
  GatewayRpcStats stats = rpc_->stats();
  EXPECT_EQ(stats.timeouts, 1u);
  EXPECT_EQ(stats.ignored_replies, 1u);
  EXPECT_EQ(stats.ok, 1u);
  EXPECT_TRUE(loop_.runUntil([&] { return replyStreamLength() == 0; }));
}

TEST_F(GatewayRpcTest, ConcurrentCallsAnsweredOutOfOrderEachGetTheirOwnReply) {
  gateway_->answerAll({.mode = GatewayMode::kSilent});
  auto job = makeJob();
  Probe first, second;
  std::vector<std::string> order;
  rpc_->call(job, std::string(kGetUser), getUserParams("u1", std::nullopt), 5000, [&](RpcResult r) {
    order.push_back("first");
    first.result = std::move(r);
    ++first.completions;
  });
  rpc_->call(job, std::string(kGetUser), getUserParams("u2", std::nullopt), 5000, [&](RpcResult r) {
    order.push_back("second");
    second.result = std::move(r);
    ++second.completions;
  });
  ASSERT_TRUE(loop_.runUntil([&] { return gateway_->requestCount() == 2; }));
  std::vector<GatewayRequest> requests = gateway_->requests();
  gateway_->reply(requests[1], {"", true, encodeGetUserResult({"u2", "bob", {}, {}, {}}), ""});
  gateway_->reply(requests[0], {"", true, encodeGetUserResult({"u1", "alice", {}, {}, {}}), ""});
  ASSERT_TRUE(loop_.runUntil([&] { return first.done() && second.done(); }));
  EXPECT_EQ(order, (std::vector<std::string>{"second", "first"}));
  EXPECT_EQ(userName(first.result, config_->limits), "alice");
  EXPECT_EQ(userName(second.result, config_->limits), "bob");
  EXPECT_EQ(first.completions + second.completions, 2);
}

TEST_F(GatewayRpcTest, MalformedReplyFailsItsCallAndUnreadableOneIsDropped) {
  // ok is a string: the rpc_id is readable, so that call fails with the decode reason.
  gateway_->setResponder([](const GatewayRequest& request) {
    GatewayAnswer answer{.mode = GatewayMode::kGarbage};
    answer.payload = jsonToMsgpack(R"({"v":1,"rpc_id":")" + request.rpc_id + R"(","ok":"yes"})");
    return answer;
  });
  RpcResult result = run(makeJob(), kGetChannel, getChannelParams("c1"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.outcome, RpcOutcome::kMalformed);
  EXPECT_NE(result.error.find("wrong_type:ok"), std::string::npos) << result.error;

  // Bytes that are not MessagePack name no call: dropped, and the call times out.
  gateway_->answerAll({.mode = GatewayMode::kGarbage});
  RpcResult garbage = run(makeJob("e2"), kGetChannel, getChannelParams("c1"), 300);
  EXPECT_EQ(garbage.outcome, RpcOutcome::kTimeout);
  GatewayRpcStats stats = rpc_->stats();
  EXPECT_EQ(stats.malformed, 1u);
  EXPECT_EQ(stats.unreadable_replies, 1u);
  EXPECT_EQ(stats.timeouts, 1u);
}

TEST_F(GatewayRpcTest, LostPublishFailsAtOnceButNeverInsideCall) {
  RpcResult lost = run(makeJob("e1", false), kGetChannel, getChannelParams("c1"));
  EXPECT_EQ(lost.outcome, RpcOutcome::kPublishFailed);
  EXPECT_EQ(lost.error, "publish failed");

  auto cancelled = makeJob("e2");
  cancelled->cancel();  // publishNow now answers false synchronously
  RpcResult refused = run(cancelled, kGetChannel, getChannelParams("c1"));
  EXPECT_EQ(refused.outcome, RpcOutcome::kPublishFailed);
  EXPECT_EQ(gateway_->requestCount(), 0u);
  EXPECT_EQ(rpc_->stats().publish_failed, 2u);
}

TEST_F(GatewayRpcTest, CancelCompletesTheJobsCallsOnly) {
  gateway_->answerAll({.mode = GatewayMode::kSilent});
  auto job = makeJob("e1");
  auto other = makeJob("e2");
  Probe mine, theirs;
  start(mine, job, kGetChannel, getChannelParams("c1"));
  start(theirs, other, kGetChannel, getChannelParams("c1"));
  ASSERT_TRUE(loop_.runUntil([&] { return gateway_->requestCount() == 2; }));
  rpc_->cancel(*job);
  EXPECT_FALSE(mine.done());  // on a later loop turn
  ASSERT_TRUE(loop_.runUntil([&] { return mine.done(); }));
  EXPECT_EQ(mine.result.outcome, RpcOutcome::kCancelled);
  EXPECT_FALSE(theirs.done());
  EXPECT_EQ(rpc_->stats().pending, 1u);

  // A reply for a job cancelled meanwhile completes its call as cancelled.
  other->cancel();
  std::vector<GatewayRequest> requests = gateway_->requests();
  gateway_->reply(requests[1], {"", true, encodeGetChannelResult({"c1", {}, {}, "text"}), ""});
  ASSERT_TRUE(loop_.runUntil([&] { return theirs.done(); }));
  EXPECT_EQ(theirs.result.outcome, RpcOutcome::kCancelled);
  EXPECT_EQ(rpc_->stats().cancelled, 2u);
}

TEST_F(GatewayRpcTest, StopFailsPendingCallsThenDeletesTheStream) {
  RpcResult answered = run(makeJob("e1"), kGetChannel, getChannelParams("c1"));
  ASSERT_TRUE(answered.ok);
  ASSERT_EQ(server_.client()->integer({"EXISTS", keys::rpcReplyStream(kWorker)}), 1);

  gateway_->answerAll({.mode = GatewayMode::kSilent});
  Probe pending;
  auto job = makeJob("e2");
  start(pending, job, kGetChannel, getChannelParams("c1"));
  ASSERT_TRUE(loop_.runUntil([&] { return gateway_->requestCount() == 2; }));
  bool stopped = false;
  bool pending_first = false;
  rpc_->stop([&] {
    stopped = true;
    pending_first = pending.done();
  });
  EXPECT_FALSE(pending.done());
  EXPECT_FALSE(stopped);
  ASSERT_TRUE(loop_.runUntil([&] { return stopped; }));
  EXPECT_TRUE(pending_first);
  EXPECT_EQ(pending.result.outcome, RpcOutcome::kStopped);
  EXPECT_EQ(pending.result.error, "stopped");
  EXPECT_EQ(server_.client()->integer({"EXISTS", keys::rpcReplyStream(kWorker)}), 0);

  // After stop: calls fail with "stopped", a second stop() still calls back.
  RpcResult late = run(makeJob("e3"), kGetChannel, getChannelParams("c1"));
  EXPECT_EQ(late.outcome, RpcOutcome::kStopped);
  bool again = false;
  rpc_->stop([&] { again = true; });
  EXPECT_TRUE(loop_.runUntil([&] { return again; }));
}

TEST_F(GatewayRpcTest, MayBeDestroyedFromInsideStopsCallback) {
  gateway_->answerAll({.mode = GatewayMode::kSilent});
  Probe pending;
  auto job = makeJob();
  start(pending, job, kGetChannel, getChannelParams("c1"));
  bool stopped = false;
  rpc_->stop([&] {
    stopped = true;
    rpc_.reset();
  });
  ASSERT_TRUE(loop_.runUntil([&] { return stopped; }));
  EXPECT_EQ(pending.result.outcome, RpcOutcome::kStopped);
  EXPECT_EQ(rpc_, nullptr);  // TearDown then closes the loop without it
}

TEST_F(GatewayRpcTest, ReaderSurvivesARedisRestart) {
  gateway_->answerAll({.mode = GatewayMode::kSilent});
  Probe probe;
  auto job = makeJob();  // held, as the processor holds a job while its tools run
  start(probe, job, kGetChannel, getChannelParams("c1"), 20000);
  ASSERT_TRUE(loop_.runUntil([&] { return gateway_->requestCount() == 1; }));
  GatewayRequest request = gateway_->requests()[0];
  gateway_->stop();
  server_.kill9();
  ASSERT_TRUE(loop_.runUntil([&] { return rpc_->stats().read_errors > 0; }));
  ASSERT_TRUE(server_.restart());
  // The reply, written once Redis is back, is read once the connection is.
  server_.client()->command(
      {"XADD", request.reply_stream, "*", "payload",
       encodeRpcReply({request.rpc_id, true, encodeGetChannelResult({"c1", {}, {}, "text"}), ""})});
  ASSERT_TRUE(loop_.runUntil([&] { return probe.done(); }));
  EXPECT_TRUE(probe.result.ok) << probe.result.error;
  EXPECT_EQ(probe.completions, 1);
}

}  // namespace
}  // namespace sg::test
