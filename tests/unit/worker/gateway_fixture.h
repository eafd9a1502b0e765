// Test fixture for gateway calls: a real redis-server, a test loop, the two connections a worker
// gives (commands for the jobs' publishNow, a dedicated one for GatewayRpc's replies), a
// TestGateway answering on the bus, a GatewayRpc, and ProcessJobs built directly whose publishNow
// XADDs to sg:stream:outbound:discord as the consumer's fenced publish would. TearDown stops
// everything and asserts that the loop closes cleanly.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/bus_keys.h"
#include "common/redis_client.h"
#include "support/redis_server.h"
#include "support/test_gateway.h"
#include "support/test_loop.h"
#include "worker/gateway_rpc.h"
#include "worker/processor.h"

namespace sg::test {

// A valid envelope of event `event_id`: message m-<event_id> by u1 in channel c1 of guild g1.
inline Envelope testEnvelope(const std::string& event_id) {
  Envelope envelope;
  envelope.event_id = event_id;
  envelope.platform = "discord";
  envelope.sent_at = 1700000000;
  envelope.trace_id = "trace-" + event_id;
  IncomingMessage& message = envelope.message;
  message.id = "m-" + event_id;
  message.channel_id = "c1";
  message.guild_id = "g1";
  message.author = {"u1", "alice", std::nullopt, false, {"r1"}};
  message.content = "hello";
  message.created_at = 1700000000;
  return envelope;
}

class GatewayFixture : public ::testing::Test {
 protected:
  static constexpr const char* kWorker = "worker-t1";

  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    auto config = std::make_shared<Config>();
    config->redis.url = server_.url();
    config->redis.reconnect_base_ms = 20;
    config->redis.reconnect_max_ms = 200;
    config_ = config;
    commands_ = connect("sg-test:commands");
    replies_ = connect("sg-test:replies");
    gateway_ = std::make_unique<TestGateway>(server_.port());
    ASSERT_TRUE(gateway_->start());
    rpc_ = std::make_unique<GatewayRpc>(loop_.get(), *replies_, kWorker, config_);
  }

  void TearDown() override {
    if (rpc_ != nullptr) {
      bool stopped = false;
      rpc_->stop([&] { stopped = true; });
      EXPECT_TRUE(loop_.runUntil([&] { return stopped; }));
      rpc_.reset();
    }
    gateway_.reset();
    int clients = 0;
    for (auto* client : {commands_.get(), replies_.get()}) {
      if (client != nullptr) client->stop([&] { ++clients; });
    }
    EXPECT_TRUE(loop_.runUntil([&] { return clients == 2; }));
    commands_.reset();
    replies_.reset();
    EXPECT_EQ(loop_.close(), 0);
  }

  std::unique_ptr<RedisClient> connect(const std::string& name) {
    RedisClient::Options options;
    options.redis = config_->redis;
    options.name = name;
    auto client = std::make_unique<RedisClient>(loop_.get(), options);
    bool up = false;
    client->onConnected([&up] { up = true; });
    EXPECT_TRUE(client->start());
    EXPECT_TRUE(loop_.runUntil([&] { return up; })) << server_.logText();
    client->onConnected({});
    return client;
  }

  // A job whose publishNow XADDs each payload to the outbound stream, or (publish_ok false)
  // fails as a lost channel lock does.
  std::shared_ptr<ProcessJob> makeJob(const std::string& event_id = "e1", bool publish_ok = true) {
    auto publish = [this, publish_ok](std::vector<std::string> payloads,
                                      std::function<void(bool)> done) {
      if (!publish_ok) {
        if (done) done(false);
        return;
      }
      auto remaining = std::make_shared<size_t>(payloads.size());
      auto all_ok = std::make_shared<bool>(true);
      for (const std::string& payload : payloads) {
        commands_->command({"XADD", keys::outboundStream("discord"), "*", "payload", payload},
                           [remaining, all_ok, done](const RedisResult& result) {
                             *all_ok = *all_ok && result.ok();
                             if (--*remaining == 0 && done) done(*all_ok);
                           });
      }
    };
    return std::make_shared<ProcessJob>(
        testEnvelope(event_id), kWorker, 1, [](ProcessResult) {}, publish);
  }

  RedisServer server_;
  TestLoop loop_;
  ConfigPtr config_;
  std::unique_ptr<RedisClient> commands_;
  std::unique_ptr<RedisClient> replies_;
  std::unique_ptr<TestGateway> gateway_;
  std::unique_ptr<GatewayRpc> rpc_;
};

}  // namespace sg::test
