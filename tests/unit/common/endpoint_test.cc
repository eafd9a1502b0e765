// Redis URLs and listen addresses: what is accepted, what each part becomes, and that a password
// never shows in a mask or in a reason.
#include "common/endpoint.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

RedisUrl parsedUrl(std::string_view text) {
  RedisUrl url;
  std::string error = parseRedisUrl(text, &url);
  EXPECT_EQ(error, "") << text;
  return url;
}

std::string urlError(std::string_view text) {
  RedisUrl url;
  return parseRedisUrl(text, &url);
}

TEST(RedisUrl, TcpForms) {
  RedisUrl plain = parsedUrl("redis://127.0.0.1:6380/3");
  EXPECT_FALSE(plain.unix_socket);
  EXPECT_EQ(plain.host, "127.0.0.1");
  EXPECT_EQ(plain.port, 6380);
  EXPECT_EQ(plain.db, 3u);
  EXPECT_TRUE(plain.password.empty());

  RedisUrl defaults = parsedUrl("redis://cache.internal");
  EXPECT_EQ(defaults.host, "cache.internal");
  EXPECT_EQ(defaults.port, 6379);
  EXPECT_EQ(defaults.db, 0u);

  RedisUrl v6 = parsedUrl("redis://[::1]:7000/");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 7000);
}

TEST(RedisUrl, Credentials) {
  RedisUrl both = parsedUrl("redis://app:p%40ss:w/rd@db:6379/1");
  EXPECT_EQ(both.username, "app");
  EXPECT_EQ(both.password.reveal(), "p@ss:w/rd");
  EXPECT_EQ(both.host, "db");
  RedisUrl password_only = parsedUrl("redis://:secret@db");
  EXPECT_EQ(password_only.username, "");
  EXPECT_EQ(password_only.password.reveal(), "secret");
  RedisUrl lone = parsedUrl("redis://secret@db");
  EXPECT_EQ(lone.password.reveal(), "secret");
}

TEST(RedisUrl, UnixSockets) {
  RedisUrl url = parsedUrl("unix:///run/redis/redis.sock?db=4");
  EXPECT_TRUE(url.unix_socket);
  EXPECT_EQ(url.path, "/run/redis/redis.sock");
  EXPECT_EQ(url.db, 4u);
  RedisUrl with_password = parsedUrl("unix://:pw@/tmp/r.sock");
  EXPECT_EQ(with_password.path, "/tmp/r.sock");
  EXPECT_EQ(with_password.password.reveal(), "pw");
}

TEST(RedisUrl, Refusals) {
  EXPECT_EQ(urlError("http://h"), "unsupported scheme \"http\" (expected redis:// or unix://)");
  EXPECT_EQ(urlError("rediss://h"), "unsupported scheme \"rediss\" (expected redis:// or unix://)");
  EXPECT_EQ(urlError("127.0.0.1:6379"),
            "must be a URL such as redis://127.0.0.1:6379/0 or unix:///run/redis/redis.sock");
  EXPECT_EQ(urlError("redis://:6379"), "empty host");
  EXPECT_EQ(urlError("redis://h:0"), "port must be a number between 1 and 65535, got \"0\"");
  EXPECT_EQ(urlError("redis://h:"), "empty port");
  EXPECT_EQ(urlError("redis://h/x"), "database must be a number, got \"x\"");
  EXPECT_EQ(urlError("redis://h?db=1"), "query parameters are not supported");
  EXPECT_EQ(urlError("unix://relative.sock"),
            "unix:// needs an absolute socket path (unix:///run/redis/redis.sock)");
  EXPECT_EQ(urlError("unix:///s?timeout=1"), "the only query parameter supported is db=N");
  EXPECT_EQ(urlError("redis://:bad%zz@h"), "invalid percent-encoding in the user name or password");
}

TEST(RedisUrl, MaskHidesOnlyThePassword) {
  EXPECT_EQ(maskRedisUrl("redis://:secret@host:6379/0"), "redis://:***@host:6379/0");
  EXPECT_EQ(maskRedisUrl("redis://app:secret@host"), "redis://app:***@host");
  EXPECT_EQ(maskRedisUrl("redis://secret@host"), "redis://:***@host");
  EXPECT_EQ(maskRedisUrl("redis://host:6379/0"), "redis://host:6379/0");
  EXPECT_EQ(maskRedisUrl("unix://:pw@/tmp/r.sock"), "unix://:***@/tmp/r.sock");
  EXPECT_EQ(maskRedisUrl("not a url"), "not a url");
}

TEST(HostPort, ParsesAndRefuses) {
  std::string host;
  uint16_t port = 0;
  EXPECT_EQ(parseHostPort("127.0.0.1:9464", &host, &port), "");
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9464);
  EXPECT_EQ(parseHostPort("[::1]:80", &host, &port), "");
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(parseHostPort("localhost:65535", &host, &port), "");
  EXPECT_EQ(parseHostPort("9464", &host, &port), "missing port");
  EXPECT_EQ(parseHostPort(":9464", &host, &port), "empty host");
  EXPECT_EQ(parseHostPort("h:65536", &host, &port),
            "port must be a number between 1 and 65535, got \"65536\"");
  EXPECT_EQ(parseHostPort("[::1]9", &host, &port), "unexpected text after ']'");
}

}  // namespace
}  // namespace sg
