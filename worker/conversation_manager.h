// ConversationManager: the history of each channel (each thread) that the model sees again, in
// Redis, so that it survives worker restarts and any worker can continue any conversation.
//
// Design. The unit of history is the exchange: one answered message with everything it caused
// (the user turn, the assistant's tool calls with their results, the final reply). Exchanges are
// stored whole and dropped whole, so a tool call is never separated from its result; the system
// prompt is never stored (it is rendered per message). Keys: sg:conv:<platform>:<channel> is the
// list of exchange ids (the event ids, oldest first) and sg:conv:<...>:x the hash id ->
// "<tokens>\t<json>". Writes are Lua scripts, atomic and idempotent per event id: a redelivered
// event replaces its exchange in place instead of appending it twice, and a load leaves out the
// exchange of the event being processed. The budget (conversation.max_tokens, estimated tokens)
// drops the oldest exchanges, never the newest; with conversation.summarize the processor folds
// the oldest ones into a summary exchange ("!summary", kept at the head) instead, and the list
// then tolerates twice the budget until the fold lands. Every key expires after
// conversation.ttl_s without a write.
//
// Not here: what goes into an exchange or a summary (the processor), the model calls.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus_types.h"
#include "common/config.h"
#include "common/redis_client.h"
#include "worker/processor.h"
#include "worker/chat_types.h"

namespace sg {

inline constexpr std::string_view kSummaryExchangeId = "!summary";

struct Exchange {
  std::string id;                     // the event id (kSummaryExchangeId for the summary)
  std::string message_id;             // the platform message answered ("" for the summary)
  std::vector<ChatMessage> messages;  // for the summary: one user message holding it
  uint32_t tokens = 0;

  bool isSummary() const { return id == kSummaryExchangeId; }
};

struct History {
  bool ok = true;                   // false: Redis failed (the history is then empty)
  std::vector<Exchange> exchanges;  // oldest first; a summary, when present, is the first
};

// Estimated tokens: a quarter of the ASCII bytes, one per other character (a conservative
// figure for non-Latin scripts), four per message for the framing.
[[nodiscard]] uint32_t estimateTokens(std::string_view text);
[[nodiscard]] uint32_t estimateTokens(const ChatMessage& message);
[[nodiscard]] uint32_t estimateTokens(const std::vector<ChatMessage>& messages);

// How many of the oldest exchanges (by their token estimates, oldest first) to drop so that the
// rest fits in `budget`; never the newest one.
[[nodiscard]] size_t evictionCount(const std::vector<uint32_t>& tokens, uint64_t budget);

// The exchange as stored (JSON) and back; decode returns false for text it cannot read.
[[nodiscard]] std::string encodeExchange(const Exchange& exchange);
[[nodiscard]] bool decodeExchange(std::string_view json, Exchange* exchange);

class ConversationManager {
 public:
  // `redis` must outlive the manager and every request in flight.
  explicit ConversationManager(RedisClient& redis) : redis_(redis) {}

  // sg:conv:<platform>:<thread or channel id>.
  static std::string keyFor(const Envelope& envelope);

  using LoadCallback = std::function<void(History)>;
  using DoneCallback = std::function<void(bool ok)>;

  // The stored exchanges, oldest first, without the one of `skip_event_id` (a redelivery of the
  // event being processed must not see its own earlier answer).
  void load(const std::string& key, const std::string& skip_event_id, LoadCallback done);

  // Stores `exchange` (replacing the one with its id, else appending it), then drops the oldest
  // exchanges while the total is over `trim_budget` (0: keep all). Refreshes the expiry. With a
  // fence, nothing is written (done(false)) unless the channel lock still holds its token.
  void append(const std::string& key, const Exchange& exchange, uint64_t trim_budget,
              uint32_t ttl_s, DoneCallback done, const Fence& fence = {});

  // Replaces the first exchanges, when they are still exactly `head_ids`, with `summary`;
  // `done(false)` when they changed meanwhile (another worker folded or trimmed them).
  void fold(const std::string& key, const std::vector<std::string>& head_ids,
            const Exchange& summary, uint32_t ttl_s, DoneCallback done);

  // Drops the oldest exchanges while the total is over `budget`.
  void trim(const std::string& key, uint64_t budget, DoneCallback done);

 private:
  RedisClient& redis_;
};

}  // namespace sg
