// Test fixture: a real redis-server on a free loopback port, in its own temp dir, with
// persistence off. Stopped (SIGKILL) when the object is destroyed, even when the test failed,
// and killed with the test process if that dies. Tests talk to it with SyncRedis (blocking
// hiredis: test code only).
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "support/child_process.h"

namespace sg::test {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// A blocking connection for test set-up and assertions; AUTHs first when given a password.
class SyncRedis {
 public:
  explicit SyncRedis(int port, const std::string& password = "");
  ~SyncRedis();
  SyncRedis(const SyncRedis&) = delete;
  SyncRedis& operator=(const SyncRedis&) = delete;

  bool connected() const { return context_ != nullptr && context_->err == 0; }
  // Runs a command given as separate binary-safe arguments; null reply on I/O error.
  Reply command(const std::vector<std::string>& args);
  // Convenience accessors for common reply shapes.
  long long integer(const std::vector<std::string>& args);
  std::string string(const std::vector<std::string>& args);

 private:
  redisContext* context_ = nullptr;
};

struct RedisServerOptions {
  std::string password;                 // --requirepass; client() then AUTHs with it
  bool unix_socket = false;             // also listen on unixSocket(), a file in dir()
  std::vector<std::string> extra_args;  // appended to the command line ("--enable-debug-command")
};

class RedisServer {
 public:
  RedisServer();  // starts it and waits until it answers PING (check ok())
  explicit RedisServer(RedisServerOptions options);
  ~RedisServer();

  bool ok() const { return ok_; }
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  const std::string& dir() const { return dir_.path(); }
  std::string unixSocket() const { return dir_.file("redis.sock"); }
  std::unique_ptr<SyncRedis> client() const {
    return std::make_unique<SyncRedis>(port_, options_.password);
  }

  void kill9();                 // SIGKILL; the data is gone (no persistence)
  bool restart();               // start again on the same port, empty
  std::string logText() const { return process_.logText(); }

 private:
  bool start();
  RedisServerOptions options_;
  TempDir dir_;
  ChildProcess process_;
  int port_ = -1;
  bool ok_ = false;
};

}  // namespace sg::test
