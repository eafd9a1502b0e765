// MessageCache: the recent messages of each channel, answered or not, in Redis, so that the model
// sees what was said around the message it answers and a reply can be woven to the message it
// answers (reply chains).
//
// Design. sg:cache:<platform>:<channel> is a sorted set of message ids scored by their time,
// sg:cache:<...>:m a hash id -> record (JSON). One Lua script adds a message and trims both by
// count (cache.max_messages) and age (cache.max_age_s); adding the same id again rewrites the same
// record, so a redelivered entry never duplicates. The same script returns the channel's records
// when asked, saving a round trip on the answering path. Both keys expire after max_age_s.
//
// Not here: how records are shown to the model (the processor).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/bus_types.h"
#include "common/config.h"
#include "common/redis_client.h"

namespace sg {

struct CachedMessage {
  std::string id;
  std::string author_id;
  std::string author;  // display name, else name
  bool is_bot = false;
  std::string content;
  double created_at = 0;
  std::string reply_to_id;  // "" when it replies to nothing
  std::string attachments;  // short description ("" when none)
};

// The record of an incoming message (content cut to kMaxCachedContentChars code points).
inline constexpr size_t kMaxCachedContentChars = 1000;
[[nodiscard]] CachedMessage cachedFrom(const IncomingMessage& message);
[[nodiscard]] std::string encodeCachedMessage(const CachedMessage& message);
[[nodiscard]] std::optional<CachedMessage> decodeCachedMessage(std::string_view json);

// "name.png (image/png, 12345 bytes); notes.txt (text/plain, 80 bytes)".
[[nodiscard]] std::string describeAttachments(const std::vector<Attachment>& attachments);

class MessageCache {
 public:
  // `redis` must outlive the cache and every request in flight.
  explicit MessageCache(RedisClient& redis) : redis_(redis) {}

  // sg:cache:<platform>:<channel id>.
  static std::string keyFor(const Envelope& envelope);

  struct Recent {
    bool ok = true;                       // false: Redis failed
    std::vector<CachedMessage> messages;  // oldest first (empty unless asked for)
  };
  using Callback = std::function<void(Recent)>;

  // Adds the envelope's message and trims; with `read_back`, completes with the channel's
  // records (the new one included). With cache.max_messages 0 nothing is stored.
  void add(const Envelope& envelope, const CacheConfig& config, bool read_back, Callback done);

 private:
  RedisClient& redis_;
};

}  // namespace sg
