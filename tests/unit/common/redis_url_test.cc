// Redis URL parsing: the accepted forms, the defaults, the errors, and masking of the password.
#include "common/redis_url.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

RedisUrl parse(std::string_view text) {
  RedisUrl url;
  std::string error;
  EXPECT_TRUE(parseRedisUrl(text, &url, &error)) << text << ": " << error;
  return url;
}

std::string failure(std::string_view text) {
  RedisUrl url;
  std::string error;
  EXPECT_FALSE(parseRedisUrl(text, &url, &error)) << text;
  return error;
}

TEST(RedisUrl, TcpFormsAndDefaults) {
  RedisUrl url = parse("redis://127.0.0.1:6379/0");
  EXPECT_EQ(url.kind, RedisUrl::Kind::kTcp);
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.db, 0u);
  EXPECT_TRUE(url.password.empty());

  url = parse("redis://redis.internal");
  EXPECT_EQ(url.host, "redis.internal");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.db, 0u);

  url = parse("redis://:p%40ss:w%3Ard@host:7000/5");
  EXPECT_EQ(url.password.reveal(), "p@ss:w:rd");
  EXPECT_TRUE(url.username.empty());
  EXPECT_EQ(url.port, 7000);
  EXPECT_EQ(url.db, 5u);

  url = parse("redis://worker:secret@host/");
  EXPECT_EQ(url.username, "worker");
  EXPECT_EQ(url.password.reveal(), "secret");
  EXPECT_EQ(url.db, 0u);

  url = parse("redis://lonely@host");  // like redis-cli: a lone userinfo is the password
  EXPECT_EQ(url.password.reveal(), "lonely");

  url = parse("redis://[::1]:6380/1");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 6380);
  EXPECT_EQ(url.masked(), "redis://[::1]:6380/1");
}

TEST(RedisUrl, UnixForms) {
  RedisUrl url = parse("unix:///run/redis/redis.sock");
  EXPECT_EQ(url.kind, RedisUrl::Kind::kUnix);
  EXPECT_EQ(url.path, "/run/redis/redis.sock");
  EXPECT_EQ(url.db, 0u);
  url = parse("unix:///tmp/r.sock?db=4&password=a%26b");
  EXPECT_EQ(url.db, 4u);
  EXPECT_EQ(url.password.reveal(), "a&b");
  EXPECT_EQ(url.masked(), "unix:///tmp/r.sock?db=4&password=***");
}

TEST(RedisUrl, MaskedNeverShowsThePassword) {
  RedisUrl url = parse("redis://user:hunter2@10.0.0.1:6379/3");
  EXPECT_EQ(url.masked(), "redis://user:***@10.0.0.1:6379/3");
  EXPECT_EQ(parse("redis://:hunter2@h").masked(), "redis://:***@h:6379/0");
  EXPECT_EQ(parse("redis://h:1").masked(), "redis://h:1/0");
}

TEST(RedisUrl, Errors) {
  EXPECT_NE(failure("http://host").find("expected"), std::string::npos);
  EXPECT_NE(failure("redis://host:0").find("port"), std::string::npos);
  EXPECT_NE(failure("redis://host:65536").find("port"), std::string::npos);
  EXPECT_NE(failure("redis://host:x").find("port"), std::string::npos);
  EXPECT_NE(failure("redis://host:").find("port"), std::string::npos);
  EXPECT_NE(failure("redis://host/x").find("database"), std::string::npos);
  EXPECT_NE(failure("redis://host/-1").find("database"), std::string::npos);
  EXPECT_NE(failure("redis://").find("host"), std::string::npos);
  EXPECT_NE(failure("redis://:pw@").find("host"), std::string::npos);
  EXPECT_NE(failure("redis://[::1").find("["), std::string::npos);
  EXPECT_NE(failure("unix://relative.sock").find("absolute"), std::string::npos);
  EXPECT_NE(failure("unix:///s.sock?bogus=1").find("bogus"), std::string::npos);
  EXPECT_NE(failure("redis://:bad%zz@h").find("percent"), std::string::npos);
  // The password never appears in an error.
  EXPECT_EQ(failure("redis://:topsecret@host:bad").find("topsecret"), std::string::npos);
}

}  // namespace
}  // namespace sg

namespace sg {
namespace {

// Found in review: the malformed part of a URL was quoted in the error, and errors reach logs.
TEST(RedisUrlErrors, NeverQuoteWhatMayHoldAPassword) {
  for (std::string_view text : {"redis://h:6391?password=hunter2", "redis://h/0?password=hunter2",
                                "unix:///s?db=x&password=hunter2", "unix:///s?db=hunter2!"}) {
    RedisUrl url;
    std::string error;
    EXPECT_FALSE(parseRedisUrl(text, &url, &error)) << text;
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  }
  RedisUrl url;
  std::string error;
  EXPECT_FALSE(parseRedisUrl("redis://h:99999", &url, &error));
  EXPECT_NE(error.find("99999"), std::string::npos) << "plain numbers are still shown: " << error;
}

}  // namespace
}  // namespace sg
