// GatewayRpc: calls into the Gateway for tools that need the platform SDK (bus protocol section
// 3). A call is an `rpc_request` action published through the calling job's fenced publishNow,
// answered by the Gateway on `sg:rpc:reply:<worker>`, which this class reads with a blocking XREAD
// on its own connection while calls are pending. Every call completes exactly once: with the
// reply, the Gateway's error, or a timeout at its deadline (a reply after the deadline is
// ignored). Not here: what the calls mean (builtin_tools.*).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/redis_client.h"
#include "worker/processor.h"

namespace sg {

struct RpcResult {
  bool ok = false;
  std::string error;   // when !ok: "timeout", the Gateway's error text, or a decode reason
  std::string result;  // when ok: the `result` value's MessagePack bytes
};

class GatewayRpc {
 public:
  // `replies` is a connection used only for the blocking reads of the reply stream.
  GatewayRpc(uv_loop_t* loop, RedisClient& replies, std::string worker_id, ConfigPtr config);
  ~GatewayRpc();
  GatewayRpc(const GatewayRpc&) = delete;
  GatewayRpc& operator=(const GatewayRpc&) = delete;

  using Callback = std::function<void(RpcResult)>;
  // Publishes an rpc_request for `job` (its event's transient id `<event_id>:rpc:<k>`) and waits
  // for the reply until `timeout_ms` from now. `done` never runs inside call().
  void call(const std::shared_ptr<ProcessJob>& job, std::string method, std::string params,
            uint32_t timeout_ms, Callback done);
  // Fails every pending call (reason "stopped"), stops reading, deletes the reply stream.
  void stop(std::function<void()> done);
  void updateConfig(ConfigPtr config);
};

}  // namespace sg
