// Worker: the top object of an sg-worker process. Owns the libuv loop's lifetime, the two Redis
// connections (commands, and one for blocking reads), the processor, the consumer, the liveness
// record and the signal handlers, and runs the loop until a drain completes.
//
// Standalone (`sg-worker --config FILE`) it builds its configuration itself; under the supervisor
// the configuration arrives on the control pipe (see supervisor_link.h). Either way the snapshot
// is validated before anything starts. Not here: argument parsing (main.cc).
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "common/config.h"
#include "common/heartbeat.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"
#include "worker/consumer.h"
#include "worker/gateway_rpc.h"
#include "worker/echo_processor.h"
#include "worker/message_processor.h"
#include "worker/processor.h"

namespace sg {

// Exit statuses of sg-worker (stable; documented in sg-worker(8)).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;   // EX_USAGE
inline constexpr int kExitConfig = 78;  // EX_CONFIG: the configuration was refused

class Worker {
 public:
  Worker(uv_loop_t* loop, std::string instance_id, ConfigPtr config);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Connects and starts consuming; false (and why) when it cannot start.
  [[nodiscard]] bool start(std::string* error);
  // Applies a new validated snapshot in place (live keys); false (and why), keeping the running
  // snapshot, when the processor refuses it (an unreadable or invalid prompt template).
  [[nodiscard]] bool updateConfig(ConfigPtr config, std::string* error);
  // Graceful stop: drain within shutdown.drain_s, release locks, close connections; `done` runs
  // when everything is closed and the loop may end.
  void drain(std::function<void()> done);
  // During a drain (second signal): abandon work in progress now (it stays pending in Redis
  // for another worker); the drain's `done` follows.
  void stopNow();

  const std::string& instanceId() const { return instance_id_; }
  const ConsumerStats& stats() const { return consumer_->stats(); }
  // The LLM processor (its counters and the LLM client's), or null with the echo processor.
  const LlmMessageProcessor* llmProcessor() const { return llm_; }

 private:
  void closeConnections(std::function<void()> done);
  // The processor consumer.processor names: "llm" (LlmMessageProcessor) or "echo".
  [[nodiscard]] bool makeProcessor(std::string* error);

  uv_loop_t* loop_;
  std::string instance_id_;
  ConfigPtr config_;
  std::unique_ptr<RedisClient> commands_;
  std::unique_ptr<RedisClient> blocking_;
  std::unique_ptr<RedisClient> rpc_replies_;  // blocking reads of sg:rpc:reply:<id> (LLM only)
  std::unique_ptr<GatewayRpc> gateway_;
  std::unique_ptr<MessageProcessor> processor_;
  LlmMessageProcessor* llm_ = nullptr;  // processor_ when it is the LLM one
  EchoProcessor* echo_ = nullptr;       // processor_ when it is the echo double
  std::unique_ptr<Consumer> consumer_;
  std::unique_ptr<Heartbeat> heartbeat_;
  bool stopping_ = false;
  bool consuming_ = false;
};

}  // namespace sg
