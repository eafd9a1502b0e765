// Outbound actions (bus protocol section 2) and their deterministic ids. Every action map is the
// seven common keys followed by the action's own, in the protocol table's order.
#include <variant>

#include "common/bus_codec.h"
#include "common/msgpack_writer.h"

namespace sg {
namespace {

constexpr uint32_t kCommonKeys = 7;

// Starts the action map: its header (common keys + `own_keys`) and the common keys.
void writeCommon(MsgpackWriter& w, std::string_view name, const ActionCommon& common,
                 uint32_t own_keys) {
  w.map(kCommonKeys + own_keys);
  w.intField("v", 1);
  w.field("action", name);
  w.field("action_id", common.action_id);
  w.optField("event_id", common.event_id);
  w.field("worker", common.worker);
  w.optField("trace_id", common.trace_id);
  w.floatField("created_at", common.created_at);
}

}  // namespace

std::string lastingActionId(std::string_view event_id, uint32_t n) {
  std::string id;
  id.reserve(event_id.size() + 11);
  id.append(event_id).append(":").append(std::to_string(n));
  return id;
}

std::string transientActionId(std::string_view event_id, std::string_view kind, uint32_t k) {
  std::string id;
  id.reserve(event_id.size() + kind.size() + 12);
  id.append(event_id).append(":").append(kind).append(":").append(std::to_string(k));
  return id;
}

std::string encodeAction(const SendMessage& a) {
  MsgpackWriter w(256 + a.content.size());
  writeCommon(w, SendMessage::kName, a.common, 5);
  w.field("channel_id", a.channel_id);
  w.field("content", a.content);
  w.optField("reply_to_message_id", a.reply_to_message_id);
  w.intField("part", a.part);
  w.intField("parts", a.parts);
  return w.take();
}

std::string encodeAction(const EditMessage& a) {
  MsgpackWriter w(256 + a.content.size());
  writeCommon(w, EditMessage::kName, a.common, 3);
  w.field("channel_id", a.channel_id);
  w.field("target_action_id", a.target_action_id);
  w.field("content", a.content);
  return w.take();
}

std::string encodeAction(const SendFile& a) {
  MsgpackWriter w(256 + a.data.size());
  writeCommon(w, SendFile::kName, a.common, 5);
  w.field("channel_id", a.channel_id);
  w.field("filename", a.filename);
  w.field("content_type", a.content_type);
  w.str("data");
  w.bin(a.data);
  w.optField("content", a.content);
  return w.take();
}

std::string encodeAction(const AddReaction& a) {
  MsgpackWriter w;
  writeCommon(w, AddReaction::kName, a.common, 3);
  w.field("channel_id", a.channel_id);
  w.field("message_id", a.message_id);
  w.field("emoji", a.emoji);
  return w.take();
}

std::string encodeAction(const Typing& a) {
  MsgpackWriter w;
  writeCommon(w, Typing::kName, a.common, 1);
  w.field("channel_id", a.channel_id);
  return w.take();
}

std::string encodeAction(const SetPresence& a) {
  MsgpackWriter w;
  writeCommon(w, SetPresence::kName, a.common, 2);
  w.field("status", a.status);
  w.field("activity", a.activity);
  return w.take();
}

std::string encodeAction(const RpcRequest& a) {
  MsgpackWriter w(256 + a.params.size());
  writeCommon(w, RpcRequest::kName, a.common, 5);
  w.field("rpc_id", a.rpc_id);
  w.field("method", a.method);
  w.str("params");
  if (a.params.empty()) {
    w.map(0);
  } else {
    w.raw(a.params);
  }
  w.field("reply_stream", a.reply_stream);
  w.floatField("deadline", a.deadline);
  return w.take();
}

std::string encodeAction(const Action& action) {
  return std::visit([](const auto& a) { return encodeAction(a); }, action);
}

std::string fetchMessagesParams(std::string_view channel_id, uint32_t limit,
                                const std::optional<std::string>& before) {
  MsgpackWriter w(64);
  w.map(3);
  w.field("channel_id", channel_id);
  w.str("limit");
  w.uinteger(std::min(limit, kMaxFetchMessages));
  w.optField("before", before);
  return w.take();
}

std::string getUserParams(std::string_view user_id, const std::optional<std::string>& guild_id) {
  MsgpackWriter w(64);
  w.map(2);
  w.field("user_id", user_id);
  w.optField("guild_id", guild_id);
  return w.take();
}

std::string getChannelParams(std::string_view channel_id) {
  MsgpackWriter w(64);
  w.map(1);
  w.field("channel_id", channel_id);
  return w.take();
}

}  // namespace sg
