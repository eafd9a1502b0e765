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

// The checks of a reply or a result: up to a full fetch of envelope-sized messages.
PayloadRules rules(const LimitsConfig& limits, uint32_t max_depth, TopLevel top) {
  return {uint64_t{kMaxFetchMessages} * limits.payload_bytes, max_depth, top};
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
  return r.arrayOf(0, root.key("result"), kMaxFetchMessages, messages, readIncomingMessage);
}

bool readUser(FieldReader& r, RpcUser* user) {
  const FieldPath root;
  const FieldPath path = root.key("result");
  std::array<size_t, kUserKeys> s;
  if (!r.map(0, path, kUserNames, s)) return false;
  auto key = [&](UserKey k) { return path.key(kUserNames[k]); };
  return r.str(s[kUserId], key(kUserId), &user->id) &&
         r.str(s[kUserName], key(kUserName), &user->name) &&
         r.optStr(s[kUserDisplayName], key(kUserDisplayName), Nil::kAllowed, &user->display_name) &&
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
  return decodePayload<RpcReply>(payload, limits, rules(limits, max_depth, TopLevel::kMap),
                                 readReply);
}

Decoded<std::vector<IncomingMessage>> decodeFetchMessagesResult(std::string_view result,
                                                                const LimitsConfig& limits) {
  return decodePayload<std::vector<IncomingMessage>>(
      result, limits, rules(limits, limits.depth, TopLevel::kAny), readMessages);
}

Decoded<RpcUser> decodeGetUserResult(std::string_view result, const LimitsConfig& limits) {
  return decodePayload<RpcUser>(result, limits, rules(limits, limits.depth, TopLevel::kAny),
                                readUser);
}

Decoded<RpcChannel> decodeGetChannelResult(std::string_view result, const LimitsConfig& limits) {
  return decodePayload<RpcChannel>(result, limits, rules(limits, limits.depth, TopLevel::kAny),
                                   readChannel);
}

std::string encodeRpcReply(const RpcReply& reply) {
  MsgpackWriter w(64 + reply.result.size() + reply.error.size());
  w.map(4);
  w.intField("v", 1);
  w.field("rpc_id", reply.rpc_id);
  w.boolField("ok", reply.ok);
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
  w.optField("display_name", user.display_name);
  w.strArrayField("roles", user.roles);
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
  w.optField("name", channel.name);
  w.optField("topic", channel.topic);
  w.field("kind", channel.kind);
  return w.take();
}

}  // namespace sg
