// The bus codec: MessagePack to and from the values of bus_types.h, exactly as bus protocol v1
// says (man/bus-protocol.md). Decoders take untrusted bytes and return either the value or the
// protocol's dead-letter reason; they never throw, crash or read out of bounds (fuzzed: see
// tests/fuzz/envelope_fuzz.cc). Encoders write with msgpack-c. This file does not talk to Redis.
//
// Decoding rules where the protocol is silent:
// - Order of checks (the first failure is the reason): payload size (`too_large:payload`), then
//   well-formedness of the whole payload (`malformed_msgpack`: truncated, a byte that is never
//   used, or anything after the first object), then `not_a_map`, then nesting (`too_deep`; the
//   top map is depth 1, `message` 2, `message.extra` 3), then the fields in the protocol table's
//   order, `v` and `type` first (`unsupported_version`, `unknown_type`). For one field: missing,
//   wrong type, too large, invalid UTF-8, then its value rule.
// - Paths are dotted keys; array elements are their zero-based index: `message.attachments.2.url`,
//   `message.mentions.0`. RPC results are under `result`: `result.3.author.id`.
// - A duplicated key: the last one wins (as in Python, Lua and JSON decoders, so that the
//   consumer's Lua script and this decoder agree on `message.channel_id`).
// - Keys that are not str, and unknown keys with their values, are ignored without inspection.
//   UTF-8 is validated on every str the decoder keeps; `extra` is opaque and kept as it came.
// - nil is accepted where the table says "or nil", and for `trace_id` (the vectors send it).
// - Integers are accepted where a float64 is expected; a time must be finite (NaN and
//   infinities are `invalid_value`). `v` must be an int equal to 1.
// - Length rules of a field are `invalid_value` (event_id 1-128 bytes, platform
//   [a-z0-9_]{1,32}, trace_id <= 64 bytes); the configurable limits are `too_large`
//   (`message.content` and `message.reply_to.content` > limits.content_bytes,
//   `message.attachments` > limits.attachments).
// - An attachment needs `id`, `filename`, `url` and `size` (int >= 0); `content_type` may be
//   absent or nil. `reply_to.is_bot` absent reads false.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus_types.h"
#include "common/config.h"

namespace sg {

// ---- Dead-letter reasons (section 1). Field reasons are "<kind>:<path>". ----
namespace reason {
inline constexpr std::string_view kMalformedMsgpack = "malformed_msgpack";
inline constexpr std::string_view kNotAMap = "not_a_map";
inline constexpr std::string_view kMissingPayload = "missing_payload";  // set by the consumer
inline constexpr std::string_view kUnsupportedVersion = "unsupported_version";
inline constexpr std::string_view kUnknownType = "unknown_type";
inline constexpr std::string_view kTooDeep = "too_deep";
inline constexpr std::string_view kTooLargePayload = "too_large:payload";
inline constexpr std::string_view kMissingField = "missing_field";
inline constexpr std::string_view kWrongType = "wrong_type";
inline constexpr std::string_view kInvalidValue = "invalid_value";
inline constexpr std::string_view kTooLarge = "too_large";
inline constexpr std::string_view kInvalidUtf8 = "invalid_utf8";
}  // namespace reason

// A decoded value, or the reason it could not be decoded (exactly one of the two is set).
template <typename T>
struct Decoded {
  std::optional<T> value;
  std::string reason;

  bool ok() const { return value.has_value(); }
};

using DecodeResult = Decoded<Envelope>;

// ---- Section 1: the inbound envelope ----

// A platform name as the protocol allows it: [a-z0-9_]{1,32}.
bool isPlatformName(std::string_view name);

[[nodiscard]] DecodeResult decodeEnvelope(std::string_view payload, const LimitsConfig& limits);

// The gateway's side (tests and benchmarks write inbound entries with it). Absent "or nil"
// fields and trace_id are written as nil, an absent bot_user_id is left out, `extra` is copied
// as kept. decodeEnvelope(encodeEnvelope(e)) == e for every envelope decodeEnvelope produced.
[[nodiscard]] std::string encodeEnvelope(const Envelope& envelope);
[[nodiscard]] std::string encodeIncomingMessage(const IncomingMessage& message);

// ---- Section 2: outbound actions ----

// `<event_id>:<n>`: the n-th (from 0) lasting action (send_message, send_file, add_reaction) of
// an event. A redelivered event produces the same ids, so the gateway drops the duplicates.
[[nodiscard]] std::string lastingActionId(std::string_view event_id, uint32_t n);
// `<event_id>:<kind>:<k>`: transient actions (typing, edit_message, rpc_request), numbered apart
// so that how many a run sent never shifts the lasting ones.
[[nodiscard]] std::string transientActionId(std::string_view event_id, std::string_view kind,
                                            uint32_t k);

// Each writes the map {v: 1, action, action_id, event_id, worker, trace_id, created_at, ...the
// action's own keys} in the protocol table's order.
[[nodiscard]] std::string encodeAction(const SendMessage& action);
[[nodiscard]] std::string encodeAction(const EditMessage& action);
[[nodiscard]] std::string encodeAction(const SendFile& action);
[[nodiscard]] std::string encodeAction(const AddReaction& action);
[[nodiscard]] std::string encodeAction(const Typing& action);
[[nodiscard]] std::string encodeAction(const SetPresence& action);
[[nodiscard]] std::string encodeAction(const RpcRequest& action);
[[nodiscard]] std::string encodeAction(const Action& action);

// ---- Section 3: gateway calls ----

inline constexpr std::string_view kFetchMessages = "fetch_messages";
inline constexpr std::string_view kGetUser = "get_user";
inline constexpr std::string_view kGetChannel = "get_channel";
inline constexpr uint32_t kMaxFetchMessages = 100;

// `params` maps for RpcRequest (limit is clamped to kMaxFetchMessages).
[[nodiscard]] std::string fetchMessagesParams(std::string_view channel_id, uint32_t limit,
                                              const std::optional<std::string>& before);
[[nodiscard]] std::string getUserParams(std::string_view user_id,
                                        const std::optional<std::string>& guild_id);
[[nodiscard]] std::string getChannelParams(std::string_view channel_id);

// A reply: {v: 1, rpc_id, ok, result (when ok, any value, kept whole) | error (when not)}.
// Size limit: kMaxFetchMessages * limits.payload_bytes (a full fetch of envelope-sized
// messages); depth limit: limits.depth + 1 (a fetched message sits one level deeper than in an
// envelope). Reasons as for envelopes; `v` other than 1 is unsupported_version.
[[nodiscard]] Decoded<RpcReply> decodeRpcReply(std::string_view payload,
                                               const LimitsConfig& limits);
[[nodiscard]] std::string encodeRpcReply(const RpcReply& reply);

// Typed results, from RpcReply::result. Paths start at `result`. fetch_messages: an array of at
// most kMaxFetchMessages IncomingMessage maps, newest first, each under the envelope's rules.
// get_user: {id str, name str, display_name str|nil, roles [str], joined_at float64|nil}.
// get_channel: {id str, name str|nil, topic str|nil, kind str}.
[[nodiscard]] Decoded<std::vector<IncomingMessage>> decodeFetchMessagesResult(
    std::string_view result, const LimitsConfig& limits);
[[nodiscard]] Decoded<RpcUser> decodeGetUserResult(std::string_view result,
                                                   const LimitsConfig& limits);
[[nodiscard]] Decoded<RpcChannel> decodeGetChannelResult(std::string_view result,
                                                         const LimitsConfig& limits);
[[nodiscard]] std::string encodeFetchMessagesResult(const std::vector<IncomingMessage>& messages);
[[nodiscard]] std::string encodeGetUserResult(const RpcUser& user);
[[nodiscard]] std::string encodeGetChannelResult(const RpcChannel& channel);

}  // namespace sg
