// Where and how to reach Redis, parsed from the `redis.url` setting:
//   redis://[[user]:password@]host[:port][/db]     (IPv6 hosts in brackets: redis://[::1]:6379)
//   unix:///path/to/redis.sock[?db=N][&password=P]
// Userinfo and query values may be percent-encoded. The password is a Secret: masked() is the
// form to log. This file only parses; it neither resolves host names nor connects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/log.h"

namespace sg {

struct RedisUrl {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host = "127.0.0.1";  // kTcp: a name or a numeric address (no brackets)
  uint16_t port = 6379;            // kTcp
  std::string path;                // kUnix: the socket's path
  std::string username;            // ACL user for AUTH; empty: AUTH with the password only
  Secret password;                 // empty: no AUTH
  uint32_t db = 0;                 // SELECTed after connecting when not 0

  // The URL with the password replaced by "***", for logs and --check-config.
  std::string masked() const;
};

// Parses `text`; on failure returns false and says why in `error` (which never contains the
// password). `out` is only written on success.
[[nodiscard]] bool parseRedisUrl(std::string_view text, RedisUrl* out, std::string* error);

}  // namespace sg
