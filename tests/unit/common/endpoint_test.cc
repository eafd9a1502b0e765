// Listen addresses and masking of Redis URLs: what is accepted, and that a password never shows
// in a mask or in a reason. (Parsing Redis URLs is tested in redis_url_test.cc.)
#include "common/endpoint.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

TEST(RedisUrlMask, HidesOnlyThePassword) {
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
