// RedisClient against a real redis-server: commands, pipelining, binary-safe arguments, named
// errors, scripts and the NOSCRIPT fallback, reconnection (server killed and restarted, CLIENT
// KILL, command timeouts on a paused or sleeping server), pub/sub resubscription, AUTH, unix
// sockets, and stop() completing every command exactly once with the loop closing cleanly.
#include "common/redis_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/redis_server.h"
#include "support/test_loop.h"

namespace sg::test {
namespace {

using namespace std::string_literals;

// What one command completed with, copied out of the callback.
struct Outcome {
  int calls = 0;
  RedisError error = RedisError::kNone;
  std::string message;
  std::string reply;  // debugString() of the reply
  std::string str;
  bool done() const { return calls > 0; }
};

RedisClient::Callback capture(std::shared_ptr<Outcome> outcome) {
  return [outcome](const RedisResult& result) {
    ++outcome->calls;
    outcome->error = result.error();
    outcome->message = std::string(result.message());
    outcome->reply = result.reply().debugString();
    outcome->str = std::string(result.reply().str());
  };
}

class RedisClientTest : public ::testing::Test {
 protected:
  RedisClient::Options options(const RedisServer& server) {
    RedisClient::Options options;
    options.redis.url = server.url();
    options.redis.connect_timeout_ms = 1000;
    options.redis.command_timeout_ms = 3000;
    options.redis.reconnect_base_ms = 20;
    options.redis.reconnect_max_ms = 200;
    options.name = "sg-test-client";
    return options;
  }

  // A started client whose hooks count into connects_ / disconnects_.
  std::unique_ptr<RedisClient> makeClient(RedisClient::Options options) {
    auto client = std::make_unique<RedisClient>(loop_.get(), std::move(options));
    client->onConnected([this] { ++connects_; });
    client->onDisconnected([this](std::string_view reason) {
      ++disconnects_;
      last_reason_ = std::string(reason);
    });
    EXPECT_TRUE(client->start());
    return client;
  }

  std::unique_ptr<RedisClient> connectedClient(const RedisServer& server) {
    auto client = makeClient(options(server));
    int before = connects_;
    EXPECT_TRUE(loop_.runUntil([&] { return connects_ > before; })) << server.logText();
    return client;
  }

  // Sends one command and runs the loop until it completes.
  Outcome run(RedisClient& client, std::initializer_list<std::string_view> args,
              std::optional<uint32_t> timeout_ms = std::nullopt) {
    auto outcome = std::make_shared<Outcome>();
    client.command(args, capture(outcome), timeout_ms);
    EXPECT_TRUE(loop_.runUntil([&] { return outcome->done(); }));
    EXPECT_EQ(outcome->calls, 1);
    return *outcome;
  }

  // stop(), wait for its callback, destroy the client, and check the loop closes cleanly.
  void finish(std::unique_ptr<RedisClient>& client) {
    bool stopped = false;
    client->stop([&] { stopped = true; });
    EXPECT_FALSE(stopped);  // never from inside stop()
    EXPECT_TRUE(loop_.runUntil([&] { return stopped; }));
    client.reset();
    EXPECT_EQ(loop_.close(), 0);
  }

  TestLoop loop_;
  int connects_ = 0;
  int disconnects_ = 0;
  std::string last_reason_;
};

TEST_F(RedisClientTest, ConnectsNamesItselfAndRunsCommands) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  EXPECT_TRUE(client->connected());
  EXPECT_EQ(run(*client, {"CLIENT", "GETNAME"}).str, "sg-test-client");
  EXPECT_EQ(run(*client, {"SET", "k", "v"}).reply, "OK");
  EXPECT_EQ(run(*client, {"GET", "k"}).str, "v");
  EXPECT_EQ(run(*client, {"GET", "missing"}).reply, "(nil)");
  EXPECT_EQ(run(*client, {"INCRBY", "n", "41"}).reply, "(integer) 41");
  run(*client, {"RPUSH", "list", "a", "b"});
  EXPECT_EQ(run(*client, {"LRANGE", "list", "0", "-1"}).reply, "[\"a\", \"b\"]");

  // The accessors, inside the callback where the reply is valid.
  std::optional<long long> counter;
  size_t elements = 0;
  bool done = false;
  client->command({"GET", "n"},
                  [&](const RedisResult& result) { counter = result.reply().toInteger(); });
  client->command({"LRANGE", "list", "0", "-1"}, [&](const RedisResult& result) {
    elements = result.reply().size();
    done = result.reply()[1].str() == "b" && result.reply()[5].type() == RedisReply::Type::kNone;
  });
  ASSERT_TRUE(loop_.runUntil([&] { return elements > 0; }));
  EXPECT_EQ(counter, 41);
  EXPECT_EQ(elements, 2u);
  EXPECT_TRUE(done);
  EXPECT_EQ(connects_, 1);
  EXPECT_EQ(client->stats().connects, 1u);
  finish(client);
}

TEST_F(RedisClientTest, NeverCompletesFromInsideCommandAndFailsFastWhileNotConnected) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = std::make_unique<RedisClient>(loop_.get(), options(server));
  auto early = std::make_shared<Outcome>();
  client->command({"PING"}, capture(early));  // not started: refused, but later
  EXPECT_EQ(early->calls, 0);
  ASSERT_TRUE(client->start());
  auto invalid = std::make_shared<Outcome>();
  client->command(std::vector<std::string>{}, capture(invalid));
  auto subscribe_verb = std::make_shared<Outcome>();
  client->command({"SUBSCRIBE", "x"}, capture(subscribe_verb));
  EXPECT_EQ(invalid->calls + subscribe_verb->calls, 0);
  ASSERT_TRUE(loop_.runUntil([&] { return early->done() && invalid->done(); }));
  EXPECT_EQ(early->error, RedisError::kNotConnected);
  EXPECT_EQ(invalid->error, RedisError::kInvalid);
  EXPECT_EQ(subscribe_verb->error, RedisError::kInvalid);
  bool stopped = false;
  client->stop([&] { stopped = true; });
  auto after = std::make_shared<Outcome>();
  client->command({"PING"}, capture(after));
  ASSERT_TRUE(loop_.runUntil([&] { return stopped && after->done(); }));
  EXPECT_EQ(after->error, RedisError::kStopped);
  client.reset();
  EXPECT_EQ(loop_.close(), 0);
}

TEST_F(RedisClientTest, PipelinesManyCommandsAndCompletesThemInOrder) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  constexpr int kCommands = 20000;
  int completed = 0;
  int out_of_order = 0;
  for (int i = 0; i < kCommands; ++i) {
    client->command({"INCR", "counter"}, [&, i](const RedisResult& result) {
      if (!result.ok() || result.reply().integer() != i + 1 || completed != i) ++out_of_order;
      ++completed;
    });
  }
  EXPECT_EQ(completed, 0);
  ASSERT_TRUE(loop_.runUntil([&] { return completed == kCommands; }));
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(server.client()->string({"GET", "counter"}), std::to_string(kCommands));
  EXPECT_EQ(client->stats().inflight, 0u);
  finish(client);
}

TEST_F(RedisClientTest, ArgumentsAreBinarySafe) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  std::string key("bin\0key\r\n", 9);
  std::string value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  value += std::string("\r\n$3\r\n", 6) + std::string(1, '\0');

  auto set = std::make_shared<Outcome>();
  client->command(std::vector<std::string>{"SET", key, value}, capture(set));
  std::string got;
  RedisArgs get;
  get.add("GET").add(key);
  client->command(get, [&](const RedisResult& result) { got = std::string(result.reply().str()); });
  RedisArgs numbers;
  numbers.add("MSET").add("int").add(-42).add("float").add(0.25).add("empty").add("");
  auto mset = std::make_shared<Outcome>();
  client->command(numbers, capture(mset));
  ASSERT_TRUE(loop_.runUntil([&] { return mset->done(); }));
  EXPECT_EQ(set->reply, "OK");
  EXPECT_EQ(got, value);
  EXPECT_EQ(server.client()->string({"GET", key}), value);
  EXPECT_EQ(run(*client, {"MGET", "int", "float", "empty"}).reply, "[\"-42\", \"0.25\", \"\"]");
  finish(client);
}

TEST_F(RedisClientTest, ServerErrorsAreNamedAndKeepTheConnection) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  Outcome unknown = run(*client, {"NOSUCHCOMMAND", "x"});
  EXPECT_EQ(unknown.error, RedisError::kServer);
  EXPECT_TRUE(unknown.message.starts_with("ERR unknown command")) << unknown.message;

  run(*client, {"SET", "s", "x"});
  bool wrongtype = false, nogroup = false, not_err = true;
  client->command({"LPUSH", "s", "y"}, [&](const RedisResult& result) {
    wrongtype = result.isServerError("WRONGTYPE");
  });
  client->command({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "nostream", ">"},
                  [&](const RedisResult& result) {
                    nogroup = result.isServerError("NOGROUP");
                    not_err = !result.isServerError("ERR") && !result.isServerError("NOGRO");
                  });
  EXPECT_EQ(run(*client, {"PING"}).reply, "PONG");
  EXPECT_TRUE(wrongtype);
  EXPECT_TRUE(nogroup);
  EXPECT_TRUE(not_err);
  EXPECT_EQ(client->stats().connects, 1u);
  EXPECT_EQ(disconnects_, 0);
  finish(client);
}

long long evalCalls(SyncRedis& redis) {
  std::string info = redis.string({"INFO", "commandstats"});
  size_t at = info.find("cmdstat_eval:calls=");
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + 19));
}

TEST_F(RedisClientTest, AScriptsFirstRunIsNotOvertakenByLaterCommands) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto redis = server.client();
  auto client = connectedClient(server);
  // Never run on this server: an EVALSHA would come back NOSCRIPT and its EVAL would then run
  // after the APPEND sent behind it.
  RedisScript script("return redis.call('SET', KEYS[1], 'a')");
  auto first = std::make_shared<Outcome>();
  auto second = std::make_shared<Outcome>();
  client->evalScript(script, {"order"}, {}, capture(first));
  client->command({"APPEND", "order", "b"}, capture(second));
  ASSERT_TRUE(loop_.runUntil([&] { return first->done() && second->done(); }));
  EXPECT_EQ(redis->string({"GET", "order"}), "ab");
  finish(client);
}

TEST_F(RedisClientTest, ScriptsRunBySha1AndFallBackToEvalAfterScriptFlush) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto redis = server.client();
  auto client = connectedClient(server);
  RedisScript script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
  EXPECT_EQ(redis->string({"SCRIPT", "LOAD", script.source()}), script.sha1());

  auto call = [&] {
    auto outcome = std::make_shared<Outcome>();
    client->evalScript(script, {"script:counter"}, {std::string("a\0b", 3)}, capture(outcome));
    EXPECT_TRUE(loop_.runUntil([&] { return outcome->done(); }));
    EXPECT_EQ(outcome->calls, 1);
    return *outcome;
  };
  EXPECT_EQ(call().reply, "[\"script:counter\", \"a\0b\", (integer) 1]"s);
  EXPECT_EQ(evalCalls(*redis), 1);  // the first run on a connection is an EVAL
  EXPECT_EQ(call().reply, "[\"script:counter\", \"a\0b\", (integer) 2]"s);
  EXPECT_EQ(evalCalls(*redis), 1);  // then EVALSHA finds it

  redis->command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(call().reply, "[\"script:counter\", \"a\0b\", (integer) 3]"s);
  EXPECT_EQ(evalCalls(*redis), 2);  // NOSCRIPT, then EVAL (which cached it again)
  EXPECT_EQ(call().reply, "[\"script:counter\", \"a\0b\", (integer) 4]"s);
  EXPECT_EQ(evalCalls(*redis), 2);

  auto failing = std::make_shared<Outcome>();
  client->evalScript(RedisScript("return redis.error_reply('MYCODE went wrong')"), {}, {},
                     capture(failing));
  ASSERT_TRUE(loop_.runUntil([&] { return failing->done(); }));
  EXPECT_EQ(failing->error, RedisError::kServer);
  EXPECT_TRUE(failing->message.starts_with("MYCODE went wrong")) << failing->message;
  finish(client);
}

TEST_F(RedisClientTest, ReconnectsAfterTheServerIsKilledAndRestarted) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  run(*client, {"SET", "k", "v"});

  server.kill9();
  auto cut = std::make_shared<Outcome>();
  client->command({"GET", "k"}, capture(cut));
  ASSERT_TRUE(loop_.runUntil([&] { return disconnects_ == 1 && cut->done(); }));
  EXPECT_TRUE(cut->error == RedisError::kConnectionLost || cut->error == RedisError::kNotConnected)
      << toString(cut->error);
  EXPECT_FALSE(last_reason_.empty());
  EXPECT_FALSE(client->connected());
  EXPECT_EQ(run(*client, {"GET", "k"}).error, RedisError::kNotConnected);
  uint64_t failures = client->stats().connect_failures;
  ASSERT_TRUE(loop_.runUntil([&] { return client->stats().connect_failures > failures + 2; }));

  ASSERT_TRUE(server.restart());
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 2; }));
  EXPECT_EQ(run(*client, {"GET", "k"}).reply, "(nil)");  // a new, empty server
  EXPECT_EQ(run(*client, {"SET", "k", "w"}).reply, "OK");
  EXPECT_EQ(client->stats().disconnects, 1u);
  finish(client);
}

TEST_F(RedisClientTest, RecoversFromClientKill) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  Outcome id = run(*client, {"CLIENT", "ID"});
  std::string own_id = id.reply.substr(std::string("(integer) ").size());
  EXPECT_EQ(server.client()->integer({"CLIENT", "KILL", "ID", own_id}), 1);
  ASSERT_TRUE(loop_.runUntil([&] { return disconnects_ == 1 && connects_ == 2; }));
  EXPECT_EQ(run(*client, {"PING"}).reply, "PONG");
  EXPECT_NE(run(*client, {"CLIENT", "ID"}).reply, id.reply);
  finish(client);
}

TEST_F(RedisClientTest, TimesOutOnAPausedServerIgnoresTheLateReplyAndReconnects) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  RedisClient::Options opts = options(server);
  opts.redis.command_timeout_ms = 200;
  opts.redis.connect_timeout_ms = 300;
  auto client = makeClient(opts);
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 1; }));

  EXPECT_EQ(server.client()->string({"CLIENT", "PAUSE", "1500", "ALL"}), "OK");
  auto timed_out = std::make_shared<Outcome>();
  auto cut = std::make_shared<Outcome>();
  client->command({"ECHO", "first"}, capture(timed_out));
  client->command({"ECHO", "second"}, capture(cut), 60000);  // its own deadline is far away
  ASSERT_TRUE(loop_.runUntil([&] { return timed_out->done() && cut->done(); }));
  EXPECT_EQ(timed_out->error, RedisError::kTimeout);
  EXPECT_EQ(cut->error, RedisError::kConnectionLost);
  EXPECT_EQ(client->stats().timeouts, 1u);
  EXPECT_EQ(disconnects_, 1);

  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 2; }));  // once the pause is over
  EXPECT_EQ(run(*client, {"ECHO", "after"}).str, "after");      // its own reply, not a late one
  EXPECT_EQ(timed_out->calls, 1);
  EXPECT_EQ(cut->calls, 1);
  finish(client);
}

TEST_F(RedisClientTest, TimesOutWhileTheServerSleeps) {
  RedisServer server(RedisServerOptions{.extra_args = {"--enable-debug-command", "yes"}});
  ASSERT_TRUE(server.ok());
  RedisClient::Options opts = options(server);
  opts.redis.command_timeout_ms = 200;
  opts.redis.connect_timeout_ms = 300;
  auto client = makeClient(opts);
  RedisClient::Options sleeper_opts = options(server);
  sleeper_opts.name = "sleeper";
  auto sleeper = std::make_unique<RedisClient>(loop_.get(), sleeper_opts);
  bool sleeper_up = false;
  sleeper->onConnected([&] { sleeper_up = true; });
  ASSERT_TRUE(sleeper->start());
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 1 && sleeper_up; }));

  auto slept = std::make_shared<Outcome>();
  sleeper->command({"DEBUG", "SLEEP", "1"}, capture(slept), 10000);
  auto timed_out = std::make_shared<Outcome>();
  client->command({"PING"}, capture(timed_out));
  ASSERT_TRUE(loop_.runUntil([&] { return timed_out->done(); }));
  EXPECT_EQ(timed_out->error, RedisError::kTimeout);
  ASSERT_TRUE(loop_.runUntil([&] { return slept->done() && connects_ == 2; }));
  EXPECT_EQ(slept->reply, "OK");
  EXPECT_EQ(run(*client, {"PING"}).reply, "PONG");
  bool sleeper_stopped = false;
  sleeper->stop([&] { sleeper_stopped = true; });
  ASSERT_TRUE(loop_.runUntil([&] { return sleeper_stopped; }));
  sleeper.reset();
  finish(client);
}

TEST_F(RedisClientTest, BlockingCommandsGetTheirBlockTimeAdded) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  RedisClient::Options opts = options(server);
  opts.redis.command_timeout_ms = 1000;  // shorter than the block: must be extended
  auto client = makeClient(opts);
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 1; }));
  Outcome read = run(*client, {"XREAD", "BLOCK", "1200", "STREAMS", "s", "$"},
                     client->commandTimeoutMs() + 1200);
  EXPECT_EQ(read.error, RedisError::kNone) << read.message;
  EXPECT_EQ(read.reply, "(nil)");
  EXPECT_EQ(client->stats().timeouts, 0u);
  finish(client);
}

TEST_F(RedisClientTest, SubscriberResubscribesAfterRestart) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  RedisClient::Options opts = options(server);
  opts.name = "sg-test:subscriber";
  auto subscriber = std::make_unique<RedisClient>(loop_.get(), opts);
  std::vector<std::pair<std::string, std::string>> messages;
  auto collect = [&](std::string_view channel, std::string_view message) {
    messages.emplace_back(channel, message);
  };
  subscriber->subscribe({"sg:config:updates"}, collect);
  subscriber->onConnected([&] { ++connects_; });
  ASSERT_TRUE(subscriber->start());
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 1; }));
  // onConnected came after the subscription was confirmed: nothing published now is missed.
  EXPECT_EQ(server.client()->integer({"PUBLISH", "sg:config:updates", std::string("7\0x", 3)}), 1);
  ASSERT_TRUE(loop_.runUntil([&] { return messages.size() == 1; }));
  EXPECT_EQ(messages[0], std::make_pair(std::string("sg:config:updates"), std::string("7\0x", 3)));

  auto refused = std::make_shared<Outcome>();
  subscriber->command({"PING"}, capture(refused));
  subscriber->subscribe({"other"}, collect);  // while connected: subscribed at once
  ASSERT_TRUE(loop_.runUntil([&] { return refused->done(); }));
  EXPECT_EQ(refused->error, RedisError::kInvalid);
  ASSERT_TRUE(loop_.runUntil([&] {
    return server.client()->integer({"PUBLISH", "other", "o"}) == 1;
  }));
  ASSERT_TRUE(
      loop_.runUntil([&] { return messages.size() == 2; }));  // before the kill: at most once

  server.kill9();
  ASSERT_TRUE(server.restart());
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 2; }));
  EXPECT_EQ(server.client()->integer({"PUBLISH", "sg:config:updates", "8"}), 1);
  EXPECT_EQ(server.client()->integer({"PUBLISH", "other", "p"}), 1);
  ASSERT_TRUE(loop_.runUntil([&] { return messages.size() >= 4; }, 3000)) << [&] {
    std::string all;
    for (const auto& [channel, message] : messages) all += channel + "=" + message + " ";
    return all;
  }();
  EXPECT_EQ(messages.back(), std::make_pair(std::string("other"), std::string("p")));
  finish(subscriber);
}

// Collects what the "redis" logger writes while it is alive.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    log::get("redis").sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = log::get("redis").sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

TEST_F(RedisClientTest, AuthenticatesSelectsTheDatabaseAndNeverLogsThePassword) {
  LogCapture logs;
  RedisServer server(RedisServerOptions{.password = "s3cret-pw"});
  ASSERT_TRUE(server.ok()) << server.logText();
  std::string base = "127.0.0.1:" + std::to_string(server.port());
  RedisClient::Options opts = options(server);
  opts.redis.url = "redis://:s3cret-pw@" + base + "/2";
  auto client = makeClient(options(server));  // no password: never gets past the hand-shake
  opts.name = "authed";
  auto authed = std::make_unique<RedisClient>(loop_.get(), opts);
  bool authed_up = false;
  authed->onConnected([&] { authed_up = true; });
  ASSERT_TRUE(authed->start());
  ASSERT_TRUE(loop_.runUntil([&] { return authed_up; }));
  EXPECT_EQ(authed->maskedUrl(), "redis://:***@" + base + "/2");
  auto set = std::make_shared<Outcome>();
  authed->command({"SET", "k", "in-db-2"}, capture(set));
  ASSERT_TRUE(loop_.runUntil([&] { return set->done(); }));
  auto redis = server.client();
  redis->command({"SELECT", "2"});
  EXPECT_EQ(redis->string({"GET", "k"}), "in-db-2");

  opts.redis.url = "redis://default:wrong-pw-123@" + base;
  opts.name = "wrong";
  auto wrong = std::make_unique<RedisClient>(loop_.get(), opts);
  ASSERT_TRUE(wrong->start());
  ASSERT_TRUE(loop_.runUntil([&] { return wrong->stats().connect_failures >= 2; }));
  EXPECT_FALSE(wrong->connected());
  auto refused = std::make_shared<Outcome>();
  wrong->command({"PING"}, capture(refused));
  ASSERT_TRUE(loop_.runUntil([&] { return refused->done(); }));
  EXPECT_EQ(refused->error, RedisError::kNotConnected);

  std::string text = logs.text();
  EXPECT_NE(text.find("AUTH failed"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cret-pw"), std::string::npos) << text;
  EXPECT_EQ(text.find("wrong-pw-123"), std::string::npos) << text;
  EXPECT_EQ(connects_, 0);  // the client without a password never got past the hand-shake
  int stopped = 0;
  wrong->stop([&] { ++stopped; });
  authed->stop([&] { ++stopped; });
  client->stop([&] { ++stopped; });
  ASSERT_TRUE(loop_.runUntil([&] { return stopped == 3; }));
  wrong.reset();
  authed.reset();
  client.reset();
  EXPECT_EQ(loop_.close(), 0);
}

TEST_F(RedisClientTest, ConnectsOverAUnixSocketAndByHostName) {
  RedisServer server(RedisServerOptions{.unix_socket = true});
  ASSERT_TRUE(server.ok()) << server.logText();
  RedisClient::Options opts = options(server);
  opts.redis.url = "unix://" + server.unixSocket() + "?db=3";
  auto client = makeClient(opts);
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 1; }));
  run(*client, {"SET", "k", "over-unix"});
  auto redis = server.client();
  redis->command({"SELECT", "3"});
  EXPECT_EQ(redis->string({"GET", "k"}), "over-unix");

  opts.redis.url = "redis://localhost:" + std::to_string(server.port());
  auto by_name = makeClient(opts);  // resolved with uv_getaddrinfo, IPv4 first
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 2; }));
  EXPECT_EQ(run(*by_name, {"PING"}).reply, "PONG");
  bool stopped = false;
  by_name->stop([&] { stopped = true; });
  ASSERT_TRUE(loop_.runUntil([&] { return stopped; }));
  by_name.reset();
  finish(client);
}

// A bare TCP listener on 127.0.0.1 driven by hand, without blocking (polled from runUntil()),
// for what redis-server cannot be made to do on demand: never answer, or reset a connection.
class RawListener {
 public:
  RawListener() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        listen(listen_fd_, 16) == 0 &&
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~RawListener() {
    if (conn_fd_ >= 0) ::close(conn_fd_);
    ::close(listen_fd_);
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool accepted() {
    if (conn_fd_ < 0)
      conn_fd_ = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return conn_fd_ >= 0;
  }
  // Everything received on the accepted connection so far.
  const std::string& received() {
    char buffer[4096];
    ssize_t got;
    while (conn_fd_ >= 0 && (got = ::read(conn_fd_, buffer, sizeof buffer)) > 0) {
      received_.append(buffer, static_cast<size_t>(got));
    }
    return received_;
  }
  bool send(std::string_view bytes) {
    return ::write(conn_fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  }
  // Closes the accepted connection with a TCP reset rather than a FIN.
  void reset() {
    linger abort{1, 0};
    setsockopt(conn_fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    ::close(conn_fd_);
    conn_fd_ = -1;
  }

 private:
  int listen_fd_ = -1;
  int conn_fd_ = -1;
  int port_ = -1;
  std::string received_;
};

TEST_F(RedisClientTest, RetriesAgainstAListenerThatNeverAnswers) {
  RawListener listener;  // TCP connects (the kernel's backlog), the hand-shake gets no reply
  RedisClient::Options opts;
  opts.redis.url = listener.url();
  opts.redis.connect_timeout_ms = 100;
  opts.redis.reconnect_base_ms = 10;
  opts.redis.reconnect_max_ms = 50;
  auto client = makeClient(opts);
  ASSERT_TRUE(loop_.runUntil([&] { return client->stats().connect_failures >= 3; }));
  EXPECT_EQ(connects_, 0);
  EXPECT_EQ(run(*client, {"PING"}).error, RedisError::kNotConnected);
  finish(client);
}

// A reset idle connection makes libuv report a poll error; Debian's hiredis libuv adapter
// dropped those, leaving the client deaf until the next command timed out (an idle subscriber:
// never). Ours hands it to hiredis, which sees the reset at once.
TEST_F(RedisClientTest, NoticesAResetIdleConnectionAtOnce) {
  RawListener listener;
  RedisClient::Options opts;
  opts.redis.url = listener.url();
  auto client = makeClient(opts);
  ASSERT_TRUE(loop_.runUntil([&] {
    return listener.accepted() && listener.received().find("PING") != std::string::npos;
  }));
  ASSERT_TRUE(listener.send("+PONG\r\n"));
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 1; }));
  listener.reset();
  ASSERT_TRUE(loop_.runUntil([&] { return disconnects_ == 1; }, 3000));
  EXPECT_NE(last_reason_.find("reset"), std::string::npos) << last_reason_;
  finish(client);
}

TEST_F(RedisClientTest, StopCompletesEveryPendingCommandExactlyOnce) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  constexpr int kCommands = 5000;
  std::vector<int> calls(kCommands, 0);
  int ok = 0, stopped = 0, other = 0;
  for (int i = 0; i < kCommands; ++i) {
    client->command({"INCR", "c"}, [&, i](const RedisResult& result) {
      ++calls[i];
      result.ok() ? ++ok : result.error() == RedisError::kStopped ? ++stopped : ++other;
    });
  }
  bool done = false;
  int completed_before_done = -1;
  client->stop([&] {
    done = true;
    completed_before_done = ok + stopped + other;
  });
  EXPECT_EQ(ok + stopped + other, 0);
  ASSERT_TRUE(loop_.runUntil([&] { return done; }));
  EXPECT_EQ(completed_before_done, kCommands);
  EXPECT_EQ(stopped, kCommands);  // stop() came before any reply could be read
  EXPECT_EQ(other, 0);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), 1), kCommands);
  client.reset();
  EXPECT_EQ(loop_.close(), 0);
}

TEST_F(RedisClientTest, StopFromInsideACallbackAndDestroyInDone) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  std::vector<RedisError> results;
  bool destroyed = false;
  auto after_stop = std::make_shared<Outcome>();
  client->command({"PING"}, [&](const RedisResult& result) {
    results.push_back(result.error());
    client->stop([&] {
      client.reset();  // allowed from inside done
      destroyed = true;
    });
    client->command({"PING"}, capture(after_stop));
  });
  for (int i = 0; i < 100; ++i) {
    client->command({"PING"},
                    [&](const RedisResult& result) { results.push_back(result.error()); });
  }
  ASSERT_TRUE(loop_.runUntil([&] { return destroyed; }));
  ASSERT_EQ(results.size(), 101u);
  EXPECT_EQ(results[0], RedisError::kNone);
  for (size_t i = 1; i < results.size(); ++i) EXPECT_EQ(results[i], RedisError::kStopped);
  EXPECT_EQ(after_stop->calls, 1);
  EXPECT_EQ(after_stop->error, RedisError::kStopped);
  EXPECT_EQ(loop_.close(), 0);
}

TEST_F(RedisClientTest, RefusesCommandsPastMaxInflight) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  RedisClient::Options opts = options(server);
  opts.max_inflight = 10;
  auto client = makeClient(opts);
  ASSERT_TRUE(loop_.runUntil([&] { return connects_ == 1; }));
  int ok = 0, overloaded = 0;
  for (int i = 0; i < 25; ++i) {
    client->command({"PING"}, [&](const RedisResult& result) {
      result.ok() ? ++ok : result.error() == RedisError::kOverloaded ? ++overloaded : 0;
    });
  }
  ASSERT_TRUE(loop_.runUntil([&] { return ok + overloaded == 25; }));
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(overloaded, 15);
  EXPECT_EQ(run(*client, {"PING"}).reply, "PONG");  // room again once replies came
  finish(client);
}

TEST_F(RedisClientTest, StopsCleanlyWhileResolvingTheHostName) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  RedisClient::Options opts = options(server);
  opts.redis.url = "redis://localhost:" + std::to_string(server.port());
  auto client = makeClient(opts);  // the uv_getaddrinfo request is in flight
  finish(client);                  // the loop still closes (the request ends on its own)
  EXPECT_EQ(connects_, 0);
}

TEST_F(RedisClientTest, DestroyingARunningClientCompletesItsCommands) {
  RedisServer server;
  ASSERT_TRUE(server.ok());
  auto client = connectedClient(server);
  auto pending = std::make_shared<Outcome>();
  client->command({"PING"}, capture(pending));
  client.reset();
  EXPECT_EQ(pending->calls, 1);
  EXPECT_EQ(pending->error, RedisError::kStopped);
  EXPECT_EQ(loop_.close(), 0);
}

}  // namespace
}  // namespace sg::test
