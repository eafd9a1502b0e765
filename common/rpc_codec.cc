// Gateway calls (bus protocol section 3): the reply map, and the typed results of the three v1
// methods. Replies are decoded with the envelope's strictness and reason vocabulary; the
// encoders serve test gateways.
#include <algorithm>
#include <array>

#include "common/bus_codec.h"
#include "common/field_reader.h"
#include "common/incoming_message_codec.h"
#include "common/msgpack_writer.h"

namespace sg {
namespace {

enum ReplyKey { kV, kRpcId, kOk, kResult, kError, kReplyKeys };
constexpr std::array<std::string_view, kReplyKeys> kReplyNames = {"v", "rpc_id", "ok", "result",
                                                                  "error"};

enum UserKey { kUserId, kUserName, kUserDisplayName, kUserRoles, kUserJoinedAt, kUserKeys };
constexpr std::array<std::string_view, kUserKeys> kUserNames = {"id", "name", "display_name",
                                                                "roles", "joined_at"};

enum ChannelKey { kChannelId, kChannelName, kChannelTopic, kChannelKind, kChannelKeys };
constexpr std::array<std::string_view, kChannelKeys> kChannelNames = {"id", "name", "topic",
                                                                      "kind"};

uint64_t maxReplyBytes(const LimitsConfig& limits) {
  return uint64_t{kMaxFetchMessages} * limits.payload_bytes;
}

// Runs the payload checks, then `read` on a fresh value; fills `result` either way.
template <typename T, typename Read>
Decoded<T> decodeWith(std::string_view payload, const LimitsConfig& limits, uint32_t max_depth,
                      TopLevel top, Read read) {
  Decoded<T> result;
  const std::string_view problem = checkPayload(payload, maxReplyBytes(limits), max_depth, top);
  if (!problem.empty()) {
    result.reason.assign(problem);
    return result;
  }
  FieldReader reader(payload, limits);
  if (!read(reader, &result.value.emplace())) {
    result.value.reset();
    result.reason = std::move(reader.reason());
  }
  return result;
}

bool readReply(FieldReader& r, RpcReply* reply) {
  const FieldPath root;
  std::array<size_t, kReplyKeys> s;
  if (!r.map(0, root, kReplyNames, s)) return false;
  auto key = [&](ReplyKey k) { return root.key(kReplyNames[k]); };
  int64_t v;
  if (!r.version(s[kV], key(kV), &v)) return false;
  if (!r.str(s[kRpcId], key(kRpcId), &reply->rpc_id) || !r.boolean(s[kOk], key(kOk), &reply->ok)) {
    return false;
  }
  if (!reply->ok) return r.str(s[kError], key(kError), &reply->error);
  if (s[kResult] == kAbsent) return r.fail(reason::kMissingField, key(kResult));
  size_t after;
  if (!r.end(s[kResult], &after)) return false;
  reply->result.assign(r.data().substr(s[kResult], after - s[kResult]));
  return true;
}

bool readMessages(FieldReader& r, std::vector<IncomingMessage>* messages) {
  const FieldPath root;
  const FieldPath path = root.key("result");
  uint32_t count;
  size_t element;
  if (!r.array(0, path, &count, &element)) return false;
  if (count > kMaxFetchMessages) return r.fail(reason::kTooLarge, path);
  messages->resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (!readIncomingMessage(r, element, path.index(i), &(*messages)[i])) return false;
    if (!r.end(element, &element)) return false;
  }
  return true;
}

bool readUser(FieldReader& r, RpcUser* user) {
  const FieldPath root;
  const FieldPath path = root.key("result");
  std::array<size_t, kUserKeys> s;
  if (!r.map(0, path, kUserNames, s)) return false;
  auto key = [&](UserKey k) { return path.key(kUserNames[k]); };
  return r.str(s[kUserId], key(kUserId), &user->id) &&
         r.str(s[kUserName], key(kUserName), &user->name) &&
         r.optStr(s[kUserDisplayName], key(kUserDisplayName), Nil::kAllowed,
                  &user->display_name) &&
         r.strArray(s[kUserRoles], key(kUserRoles), &user->roles) &&
         r.optTime(s[kUserJoinedAt], key(kUserJoinedAt), Nil::kAllowed, &user->joined_at);
}

bool readChannel(FieldReader& r, RpcChannel* channel) {
  const FieldPath root;
  const FieldPath path = root.key("result");
  std::array<size_t, kChannelKeys> s;
  if (!r.map(0, path, kChannelNames, s)) return false;
  auto key = [&](ChannelKey k) { return path.key(kChannelNames[k]); };
  return r.str(s[kChannelId], key(kChannelId), &channel->id) &&
         r.optStr(s[kChannelName], key(kChannelName), Nil::kAllowed, &channel->name) &&
         r.optStr(s[kChannelTopic], key(kChannelTopic), Nil::kAllowed, &channel->topic) &&
         r.str(s[kChannelKind], key(kChannelKind), &channel->kind);
}

}  // namespace

Decoded<RpcReply> decodeRpcReply(std::string_view payload, const LimitsConfig& limits) {
  const uint32_t max_depth = std::min(limits.depth, mp::kMaxScanDepth - 1) + 1;
  return decodeWith<RpcReply>(payload, limits, max_depth, TopLevel::kMap, readReply);
}

Decoded<std::vector<IncomingMessage>> decodeFetchMessagesResult(std::string_view result,
                                                                const LimitsConfig& limits) {
  return decodeWith<std::vector<IncomingMessage>>(result, limits, limits.depth, TopLevel::kAny,
                                                  readMessages);
}

Decoded<RpcUser> decodeGetUserResult(std::string_view result, const LimitsConfig& limits) {
  return decodeWith<RpcUser>(result, limits, limits.depth, TopLevel::kAny, readUser);
}

Decoded<RpcChannel> decodeGetChannelResult(std::string_view result, const LimitsConfig& limits) {
  return decodeWith<RpcChannel>(result, limits, limits.depth, TopLevel::kAny, readChannel);
}

std::string encodeRpcReply(const RpcReply& reply) {
  MsgpackWriter w(64 + reply.result.size() + reply.error.size());
  w.map(4);
  w.str("v");
  w.integer(1);
  w.field("rpc_id", reply.rpc_id);
  w.str("ok");
  w.boolean(reply.ok);
  if (!reply.ok) {
    w.field("error", reply.error);
  } else if (reply.result.empty()) {
    w.str("result");
    w.nil();
  } else {
    w.str("result");
    w.raw(reply.result);
  }
  return w.take();
}

std::string encodeFetchMessagesResult(const std::vector<IncomingMessage>& messages) {
  MsgpackWriter w(512 * (messages.size() + 1));
  w.array(static_cast<uint32_t>(messages.size()));
  for (const IncomingMessage& message : messages) writeIncomingMessage(w, message);
  return w.take();
}

std::string encodeGetUserResult(const RpcUser& user) {
  MsgpackWriter w;
  w.map(5);
  w.field("id", user.id);
  w.field("name", user.name);
  w.str("display_name");
  w.optStr(user.display_name);
  w.str("roles");
  w.array(static_cast<uint32_t>(user.roles.size()));
  for (const std::string& role : user.roles) w.str(role);
  w.str("joined_at");
  if (user.joined_at) {
    w.float64(*user.joined_at);
  } else {
    w.nil();
  }
  return w.take();
}

std::string encodeGetChannelResult(const RpcChannel& channel) {
  MsgpackWriter w;
  w.map(4);
  w.field("id", channel.id);
  w.str("name");
  w.optStr(channel.name);
  w.str("topic");
  w.optStr(channel.topic);
  w.field("kind", channel.kind);
  return w.take();
}

}  // namespace sg
