// Test helpers for the bus: envelopes written as a gateway would, outbound actions read back and
// decoded, real sg-worker processes with a temporary configuration, and polling on observable
// state (what Redis holds, what a process printed) instead of sleeping.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/json.h"
#include "support/child_process.h"
#include "support/redis_server.h"

namespace sg::test {

struct EnvelopeSpec {
  std::string event_id;
  std::string channel_id = "c1";
  std::string content = "hello";
  std::string platform = "discord";
  std::string message_id;  // default: "m-" + event_id
  bool mentions_bot = true;
  bool author_is_bot = false;
  double sent_at = 0;  // 0: now
  std::string extra;   // raw MessagePack map for message.extra ("": none)
};

// A valid v1 envelope (encoded with the product's encodeEnvelope).
std::string makeEnvelope(const EnvelopeSpec& spec);
// XADD sg:stream:inbound * payload <bytes>; returns the entry id.
std::string addInbound(SyncRedis& redis, const std::string& payload);

struct OutboundAction {
  std::string stream_id;
  std::string action;
  std::string action_id;
  std::string event_id;
  std::string channel_id;
  std::string content;
  std::string worker;
  JsonPtr json;  // the whole payload rendered as JSON
};

// Every entry of sg:stream:outbound:<platform>, in stream order, decoded.
std::vector<OutboundAction> readOutbound(SyncRedis& redis, const std::string& platform = "discord");

struct DeadLetter {
  std::string reason;
  std::string source_id;
  std::string deliveries;
  std::string payload;
};
std::vector<DeadLetter> readDeadLetters(SyncRedis& redis);

// Polls `predicate` every poll_ms until it holds or timeout_ms passes.
bool waitFor(const std::function<bool()>& predicate, int timeout_ms, int poll_ms = 20);

// A real sg-worker process against a RedisServer, with a JSON configuration merged over test
// defaults (fast leases and retries, echo processor).
class WorkerProcess {
 public:
  WorkerProcess(const RedisServer& redis, std::string instance_id, const std::string& extra_json,
                const TempDir& dir);
  // `env`: extra environment variables (STARGAZER_TEST_TOOLS=1 registers the test tools).
  bool start(const std::map<std::string, std::string>& env = {});
  ChildProcess& process() { return process_; }
  const std::string& id() const { return instance_id_; }
  std::string log() const { return process_.logText(); }

 private:
  std::string instance_id_;
  std::string config_path_;
  std::string log_path_;
  ChildProcess process_;
};

// The test-default worker configuration for `redis` with `extra_json` merge-patched over it.
std::string workerConfigJson(const RedisServer& redis, const std::string& extra_json);

}  // namespace sg::test
