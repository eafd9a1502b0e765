// The messages of the bus protocol v1 (man/bus-protocol.md) as plain values: the inbound
// envelope and its IncomingMessage (section 1), the outbound actions (section 2), and the gateway
// calls' replies with the typed results of the three v1 methods (section 3). Encoding and
// decoding are in bus_codec.h; nothing here validates or allocates beyond the members.
//
// Optional protocol strings are std::optional: absent and nil both read as nullopt (the protocol
// gives them the same meaning). Times are Unix seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sg {

// ---- Section 1: inbound ----

struct Attachment {
  std::string id;
  std::string filename;
  std::string url;
  std::optional<std::string> content_type;
  uint64_t size = 0;

  bool operator==(const Attachment&) const = default;
};

// `message.reply_to`: the message this one answers.
struct ReplyRef {
  std::string message_id;
  std::optional<std::string> author_id;
  std::optional<std::string> content;
  bool is_bot = false;  // absent reads as false

  bool operator==(const ReplyRef&) const = default;
};

struct Author {
  std::string id;
  std::string name;
  std::optional<std::string> display_name;
  bool is_bot = false;
  std::vector<std::string> roles;

  bool operator==(const Author&) const = default;
};

struct IncomingMessage {
  std::string id;
  std::string channel_id;  // for a thread: the thread's id
  std::optional<std::string> guild_id;
  std::optional<std::string> thread_id;
  Author author;
  std::string content;  // may be empty
  double created_at = 0;
  bool is_dm = false;
  bool mentions_bot = false;  // absent reads as false
  std::vector<std::string> mentions;
  std::optional<std::string> bot_user_id;
  std::optional<ReplyRef> reply_to;
  std::vector<Attachment> attachments;
  // The `extra` map exactly as its MessagePack bytes arrived (empty when absent). Opaque: kept
  // and passed through, never interpreted (render it with msgpackToJson to look inside).
  std::string extra;

  bool operator==(const IncomingMessage&) const = default;
};

struct Envelope {
  int64_t v = 1;
  std::string type = "message";
  std::string event_id;
  std::string platform;
  double sent_at = 0;
  std::optional<std::string> trace_id;
  IncomingMessage message;

  bool operator==(const Envelope&) const = default;
};

// ---- Section 2: outbound actions ----

// The keys every action carries besides `v` (always 1) and `action` (the struct's kName).
struct ActionCommon {
  std::string action_id;                // see lastingActionId / transientActionId
  std::optional<std::string> event_id;  // nil for actions no event caused
  std::string worker;                   // producer's instance id
  std::optional<std::string> trace_id;
  double created_at = 0;

  bool operator==(const ActionCommon&) const = default;
};

struct SendMessage {
  static constexpr std::string_view kName = "send_message";
  ActionCommon common;
  std::string channel_id;
  std::string content;
  std::optional<std::string> reply_to_message_id;
  int64_t part = 1;  // the processor's numbering of a split reply (1-based by convention)
  int64_t parts = 1;

  bool operator==(const SendMessage&) const = default;
};

struct EditMessage {
  static constexpr std::string_view kName = "edit_message";
  ActionCommon common;
  std::string channel_id;
  std::string target_action_id;  // action_id of an earlier send_message of the same event
  std::string content;

  bool operator==(const EditMessage&) const = default;
};

struct SendFile {
  static constexpr std::string_view kName = "send_file";
  ActionCommon common;
  std::string channel_id;
  std::string filename;
  std::string content_type;
  std::string data;                    // written as bin
  std::optional<std::string> content;  // caption

  bool operator==(const SendFile&) const = default;
};

struct AddReaction {
  static constexpr std::string_view kName = "add_reaction";
  ActionCommon common;
  std::string channel_id;
  std::string message_id;
  std::string emoji;

  bool operator==(const AddReaction&) const = default;
};

struct Typing {
  static constexpr std::string_view kName = "typing";
  ActionCommon common;
  std::string channel_id;

  bool operator==(const Typing&) const = default;
};

struct SetPresence {
  static constexpr std::string_view kName = "set_presence";
  ActionCommon common;
  std::string status;  // online, idle, dnd
  std::string activity;

  bool operator==(const SetPresence&) const = default;
};

struct RpcRequest {
  static constexpr std::string_view kName = "rpc_request";
  ActionCommon common;
  std::string rpc_id;
  std::string method;
  // One encoded MessagePack map (build it with fetchMessagesParams & co); empty writes {}.
  std::string params;
  std::string reply_stream;  // sg:rpc:reply:<worker>
  double deadline = 0;

  bool operator==(const RpcRequest&) const = default;
};

using Action =
    std::variant<SendMessage, EditMessage, SendFile, AddReaction, Typing, SetPresence, RpcRequest>;

// ---- Section 3: gateway call replies ----

struct RpcReply {
  std::string rpc_id;
  bool ok = false;
  std::string result;  // when ok: the `result` value's MessagePack bytes, whole (any type)
  std::string error;   // when not ok

  bool operator==(const RpcReply&) const = default;
};

// get_user's result.
struct RpcUser {
  std::string id;
  std::string name;
  std::optional<std::string> display_name;
  std::vector<std::string> roles;
  std::optional<double> joined_at;

  bool operator==(const RpcUser&) const = default;
};

// get_channel's result.
struct RpcChannel {
  std::string id;
  std::optional<std::string> name;  // DM channels have none
  std::optional<std::string> topic;
  std::string kind;

  bool operator==(const RpcChannel&) const = default;
};

}  // namespace sg
