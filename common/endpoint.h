// Addresses in the configuration: HOST:PORT listen addresses, and masking the password of a Redis
// URL in any text (even one that does not parse; redis_url.h parses them). Parsing only: nothing
// here resolves names or opens sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/log.h"

namespace sg {

// The URL with its password replaced by "***" (redis://:***@host:6379/0); other text unchanged.
std::string maskRedisUrl(std::string_view url);

// Parses HOST:PORT ([v6]:PORT for IPv6). Returns "" and fills `host` and `port`, or the reason.
// Port 0 ("any free port") only with allow_port_zero.
[[nodiscard]] std::string parseHostPort(std::string_view text, std::string* host, uint16_t* port,
                                        bool allow_port_zero = false);

}  // namespace sg
