// Test fixture implementation: a real redis-server per test (see redis_server.h).
#include "support/redis_server.h"

#include <chrono>
#include <thread>

namespace sg::test {

SyncRedis::SyncRedis(int port, const std::string& password) {
  timeval timeout{5, 0};
  context_ = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (context_ != nullptr && context_->err == 0) redisSetTimeout(context_, timeout);
  if (!password.empty() && connected()) command({"AUTH", password});
}

SyncRedis::~SyncRedis() {
  if (context_ != nullptr) redisFree(context_);
}

Reply SyncRedis::command(const std::vector<std::string>& args) {
  if (!connected()) return nullptr;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lens.push_back(arg.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

long long SyncRedis::integer(const std::vector<std::string>& args) {
  Reply reply = command(args);
  return reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
}

std::string SyncRedis::string(const std::vector<std::string>& args) {
  Reply reply = command(args);
  if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) return "";
  return std::string(reply->str, reply->len);
}

RedisServer::RedisServer() : RedisServer(RedisServerOptions{}) {}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  for (int attempt = 0; attempt < 5 && !ok_; ++attempt) {
    port_ = freePort();
    ok_ = start();
  }
}

RedisServer::~RedisServer() { process_.kill9(); }

bool RedisServer::start() {
  std::vector<std::string> argv = {"/usr/bin/redis-server", "--port", std::to_string(port_),
                                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                   "--dir", dir_.path(), "--daemonize", "no",
                                   "--maxmemory-policy", "noeviction"};
  if (!options_.password.empty()) argv.insert(argv.end(), {"--requirepass", options_.password});
  if (options_.unix_socket) {
    argv.insert(argv.end(), {"--unixsocket", unixSocket(), "--unixsocketperm", "700"});
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  if (!process_.start(argv, dir_.file("redis.log"))) return false;
  for (int i = 0; i < 500; ++i) {
    if (!process_.running()) return false;
    SyncRedis probe(port_, options_.password);
    if (probe.connected() && probe.string({"PING"}) == "PONG") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process_.kill9();
  return false;
}

void RedisServer::kill9() { process_.kill9(); }

bool RedisServer::restart() {
  process_.kill9();
  ok_ = start();
  return ok_;
}

}  // namespace sg::test
