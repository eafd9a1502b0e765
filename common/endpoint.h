// Addresses in the configuration: Redis URLs (redis://, unix://) and HOST:PORT listen addresses.
// Parsing only: nothing here resolves names or opens sockets. A Redis password is held as a
// Secret and masked in every text this file produces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/log.h"

namespace sg {

struct RedisUrl {
  bool unix_socket = false;
  std::string host;  // TCP: a name or an IP address (IPv6 without brackets)
  uint16_t port = 6379;
  std::string path;      // unix socket path
  std::string username;  // empty: the default user
  Secret password;       // empty: no AUTH
  uint32_t db = 0;
};

// Parses redis://[[user]:password@]host[:port][/db] or unix://[[user]:password@]/path[?db=N]
// (user and password percent-decoded). Returns "" and fills `out`, or why the URL is wrong; the
// reason never contains the password.
[[nodiscard]] std::string parseRedisUrl(std::string_view url, RedisUrl* out);

// The URL with its password replaced by "***" (redis://:***@host:6379/0); other text unchanged.
std::string maskRedisUrl(std::string_view url);

// Parses HOST:PORT ([v6]:PORT for IPv6). Returns "" and fills `host` and `port`, or the reason.
[[nodiscard]] std::string parseHostPort(std::string_view text, std::string* host, uint16_t* port);

}  // namespace sg
