// Worker: the top object of an sg-worker process. Owns the libuv loop's lifetime, the two Redis
// connections (commands, and one for blocking reads), the processor, the consumer, the liveness
// record and the signal handlers, and runs the loop until a drain completes.
//
// Standalone (`sg-worker --config FILE`) it builds its configuration itself; under the supervisor
// the configuration arrives on the control pipe (see supervisor_link.h). Either way the snapshot
// is validated before anything starts. Not here: argument parsing (main.cc).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/exit_codes.h"
#include "common/heartbeat.h"
#include "common/json.h"
#include "common/metrics_report.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"
#include "worker/consumer.h"
#include "worker/gateway_rpc.h"
#include "worker/echo_processor.h"
#include "worker/message_processor.h"
#include "worker/processor.h"

namespace sg {

class Worker {
 public:
  Worker(uv_loop_t* loop, std::string instance_id, ConfigPtr config);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Connects and starts consuming; false (and why) when it cannot start.
  [[nodiscard]] bool start(std::string* error);
  // Applies a new validated snapshot in place (live keys); false (and why), keeping the running
  // snapshot, when the processor refuses it (an unreadable or invalid prompt template). Keys of
  // the worker_restart class (redis.*, ...) keep their running values until this process is
  // replaced (the supervisor restarts its workers for those); a warning names them.
  [[nodiscard]] bool updateConfig(ConfigPtr config, std::string* error);
  // Graceful stop: drain within shutdown.drain_s (or deadline_ms), release locks, close
  // connections; `done` runs when everything is closed and the loop may end. Once only.
  void drain(std::function<void()> done);
  void drain(uint64_t deadline_ms, std::function<void()> done);
  // During a drain (second signal): abandon work in progress now (it stays pending in Redis
  // for another worker); the drain's `done` follows.
  void stopNow();

  // Adds a component's metrics to every report of statsJson() (the processor's are included
  // already, see MessageProcessor::reportMetrics).
  void addMetricsSource(std::function<void(MetricsReport&)> source);
  // The report sent to the supervisor as `stats`: {instance_id, pid, config_digest,
  // redis_connected, draining, processed, inflight, metrics: {families}} (metrics_report.h).
  [[nodiscard]] JsonPtr statsJson() const;

  const std::string& instanceId() const { return instance_id_; }
  const ConsumerStats& stats() const { return consumer_->stats(); }
  const ConfigPtr& config() const { return config_; }
  bool draining() const { return stopping_; }
  // The LLM processor (its counters and the LLM client's), or null with the echo processor.
  const LlmMessageProcessor* llmProcessor() const { return llm_; }

 private:
  void closeConnections(std::function<void()> done);
  void reportConsumerMetrics(MetricsReport& report) const;
  // The processor consumer.processor names: "llm" (LlmMessageProcessor) or "echo".
  [[nodiscard]] bool makeProcessor(std::string* error);

  uv_loop_t* loop_;
  std::string instance_id_;
  ConfigPtr config_;
  std::string config_digest_;
  std::vector<std::function<void(MetricsReport&)>> metrics_sources_;
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
