// Redis key and stream names of bus protocol v1, in one place. Nothing here talks to Redis.
#pragma once

#include <string>
#include <string_view>

namespace sg::keys {

inline constexpr std::string_view kInboundStream = "sg:stream:inbound";
inline constexpr std::string_view kDeadLetterStream = "sg:stream:inbound:dead";
inline constexpr std::string_view kWorkersGroup = "sg:workers";
inline constexpr std::string_view kStatusLeader = "sg:status:leader";
inline constexpr std::string_view kConfigOverrides = "sg:config:overrides";
inline constexpr std::string_view kConfigVersion = "sg:config:version";
inline constexpr std::string_view kConfigUpdatesChannel = "sg:config:updates";

inline std::string outboundStream(std::string_view platform) {
  return "sg:stream:outbound:" + std::string(platform);
}
inline std::string rpcReplyStream(std::string_view worker) {
  return "sg:rpc:reply:" + std::string(worker);
}
inline std::string heartbeat(std::string_view instance_id) {
  return "sg:heartbeat:" + std::string(instance_id);
}

}  // namespace sg::keys
