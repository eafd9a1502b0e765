// InboundReader: keeps the worker supplied with channels to drain. While the worker has room
// (Consumer::freeCapacity) it runs the READ script, which takes new entries for the group,
// queues them per channel and locks free channels for us; when READ finds the stream exhausted
// it waits with a blocking XREAD on the blocking connection (scripts may not block) for the
// next entry, then reads again. When the worker is full it stops until kick() says there is
// room. It never holds entries in memory: they wait in Redis.
#pragma once

#include <string>

#include "common/backoff.h"
#include "common/life_token.h"
#include "common/redis_client.h"
#include "common/uv_handle.h"

namespace sg {

class Consumer;

class InboundReader {
 public:
  explicit InboundReader(Consumer& consumer);
  void start();
  // No more reads or waits; replies still in flight are ignored.
  void stop();
  // There may be entries to read or room to take channels: read soon.
  void kick();

 private:
  void read();
  void onRead(const RedisResult& result);
  void wait();
  void onWait(const RedisResult& result);
  void retryLater(const char* what, const RedisResult& result);

  Consumer& consumer_;
  bool running_ = false;
  bool reading_ = false;
  bool waiting_ = false;
  bool again_ = false;
  std::string wait_from_ = "0-0";
  Backoff backoff_{100, 2000};
  Timer retry_timer_;
  LifeToken life_;
};

}  // namespace sg
