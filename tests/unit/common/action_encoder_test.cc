// Every outbound action our encoder writes decodes, in two other MessagePack implementations,
// to exactly the map the protocol describes (section 2): msgpack-cxx checks keys and wire types
// exactly (int vs float64, str vs bin, nil); Redis's Lua cmsgpack, in a real redis-server, is
// what the gateway-side scripts see. Also: the action id helpers, and that Lua reads
// `platform` and `message.channel_id` from envelopes (the consumer's script relies on it).
#define MSGPACK_NO_BOOST
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <msgpack.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/bus_codec.h"
#include "support/json_msgpack.h"
#include "support/redis_server.h"

namespace sg::test {
namespace {

// One leaf of the expected map: nested maps are flattened as "params.limit".
struct Field {
  std::string key;
  std::string type;  // int, float64, str, bin, nil, bool
  std::string value;
};

struct ActionCase {
  std::string name;
  std::string bytes;
  std::vector<Field> fields;
};

std::string number(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

const double kCreatedAt = 1764300000.25;

ActionCommon common(std::string action_id) {
  return {.action_id = std::move(action_id),
          .event_id = "ev-1",
          .worker = "worker-ab12",
          .trace_id = "t-1",
          .created_at = kCreatedAt};
}

std::vector<Field> commonFields(std::string action, std::string action_id, bool from_event = true) {
  return {{"v", "int", "1"},
          {"action", "str", std::move(action)},
          {"action_id", "str", std::move(action_id)},
          {"event_id", from_event ? "str" : "nil", from_event ? "ev-1" : ""},
          {"worker", "str", "worker-ab12"},
          {"trace_id", from_event ? "str" : "nil", from_event ? "t-1" : ""},
          {"created_at", "float64", number(kCreatedAt)}};
}

void PrintTo(const ActionCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<Field> plus(std::vector<Field> fields, std::vector<Field> more) {
  fields.insert(fields.end(), more.begin(), more.end());
  return fields;
}

const std::string kFileData("\x89PNG\x00\xff\x01", 7);

std::vector<ActionCase> actionCases() {
  std::vector<ActionCase> cases;
  SendMessage send{.common = common(lastingActionId("ev-1", 0)),
                   .channel_id = "c1",
                   .content = "Hello ✨",
                   .reply_to_message_id = "m1",
                   .part = 1,
                   .parts = 2};
  cases.push_back(
      {"send_message", encodeAction(send),
       plus(commonFields("send_message", "ev-1:0"), {{"channel_id", "str", "c1"},
                                                     {"content", "str", "Hello ✨"},
                                                     {"reply_to_message_id", "str", "m1"},
                                                     {"part", "int", "1"},
                                                     {"parts", "int", "2"}})});
  send.reply_to_message_id.reset();
  cases.push_back({"send_message_no_reply", encodeAction(Action(send)),
                   plus(commonFields("send_message", "ev-1:0"), {{"channel_id", "str", "c1"},
                                                                 {"content", "str", "Hello ✨"},
                                                                 {"reply_to_message_id", "nil", ""},
                                                                 {"part", "int", "1"},
                                                                 {"parts", "int", "2"}})});
  EditMessage edit{.common = common(transientActionId("ev-1", "edit", 3)),
                   .channel_id = "c1",
                   .target_action_id = "ev-1:0",
                   .content = "Hello wor"};
  cases.push_back(
      {"edit_message", encodeAction(edit),
       plus(commonFields("edit_message", "ev-1:edit:3"), {{"channel_id", "str", "c1"},
                                                          {"target_action_id", "str", "ev-1:0"},
                                                          {"content", "str", "Hello wor"}})});
  SendFile file{.common = common(lastingActionId("ev-1", 1)),
                .channel_id = "c1",
                .filename = "plot.png",
                .content_type = "image/png",
                .data = kFileData,
                .content = std::nullopt};
  cases.push_back({"send_file", encodeAction(file),
                   plus(commonFields("send_file", "ev-1:1"), {{"channel_id", "str", "c1"},
                                                              {"filename", "str", "plot.png"},
                                                              {"content_type", "str", "image/png"},
                                                              {"data", "bin", kFileData},
                                                              {"content", "nil", ""}})});
  AddReaction reaction{.common = common(lastingActionId("ev-1", 2)),
                       .channel_id = "c1",
                       .message_id = "m1",
                       .emoji = "👍"};
  cases.push_back(
      {"add_reaction", encodeAction(reaction),
       plus(commonFields("add_reaction", "ev-1:2"),
            {{"channel_id", "str", "c1"}, {"message_id", "str", "m1"}, {"emoji", "str", "👍"}})});
  Typing typing{.common = common(transientActionId("ev-1", "typing", 0)), .channel_id = "c1"};
  cases.push_back({"typing", encodeAction(typing),
                   plus(commonFields("typing", "ev-1:typing:0"), {{"channel_id", "str", "c1"}})});
  SetPresence presence{.common = {.action_id = "presence:7",
                                  .event_id = std::nullopt,
                                  .worker = "worker-ab12",
                                  .trace_id = std::nullopt,
                                  .created_at = kCreatedAt},
                       .status = "idle",
                       .activity = "watching the stars"};
  cases.push_back({"set_presence", encodeAction(presence),
                   plus(commonFields("set_presence", "presence:7", false),
                        {{"status", "str", "idle"}, {"activity", "str", "watching the stars"}})});
  RpcRequest rpc{.common = common(transientActionId("ev-1", "rpc", 0)),
                 .rpc_id = "r-1",
                 .method = std::string(kFetchMessages),
                 .params = fetchMessagesParams("c1", 50, std::nullopt),
                 .reply_stream = "sg:rpc:reply:worker-ab12",
                 .deadline = 1764300030.5};
  cases.push_back({"rpc_request", encodeAction(rpc),
                   plus(commonFields("rpc_request", "ev-1:rpc:0"),
                        {{"rpc_id", "str", "r-1"},
                         {"method", "str", "fetch_messages"},
                         {"params.channel_id", "str", "c1"},
                         {"params.limit", "int", "50"},
                         {"params.before", "nil", ""},
                         {"reply_stream", "str", "sg:rpc:reply:worker-ab12"},
                         {"deadline", "float64", number(1764300030.5)}})});
  rpc.method = std::string(kGetUser);
  rpc.params = getUserParams("u1", "g1");
  cases.push_back({"rpc_get_user", encodeAction(rpc),
                   plus(commonFields("rpc_request", "ev-1:rpc:0"),
                        {{"rpc_id", "str", "r-1"},
                         {"method", "str", "get_user"},
                         {"params.user_id", "str", "u1"},
                         {"params.guild_id", "str", "g1"},
                         {"reply_stream", "str", "sg:rpc:reply:worker-ab12"},
                         {"deadline", "float64", number(1764300030.5)}})});
  rpc.method = std::string(kGetChannel);
  rpc.params = getChannelParams("c9");
  cases.push_back({"rpc_get_channel", encodeAction(rpc),
                   plus(commonFields("rpc_request", "ev-1:rpc:0"),
                        {{"rpc_id", "str", "r-1"},
                         {"method", "str", "get_channel"},
                         {"params.channel_id", "str", "c9"},
                         {"reply_stream", "str", "sg:rpc:reply:worker-ab12"},
                         {"deadline", "float64", number(1764300030.5)}})});
  return cases;
}

// ---- msgpack-cxx: exact wire types ----

std::string cxxLeaf(const msgpack::object& value) {
  switch (value.type) {
    case msgpack::type::NIL:
      return "nil:";
    case msgpack::type::BOOLEAN:
      return value.via.boolean ? "bool:true" : "bool:false";
    case msgpack::type::POSITIVE_INTEGER:
      return "int:" + std::to_string(value.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
      return "int:" + std::to_string(value.via.i64);
    case msgpack::type::FLOAT64:
      return "float64:" + number(value.via.f64);
    case msgpack::type::FLOAT32:
      return "float32:" + number(value.via.f64);
    case msgpack::type::STR:
      return "str:" + std::string(value.via.str.ptr, value.via.str.size);
    case msgpack::type::BIN:
      return "bin:" + std::string(value.via.bin.ptr, value.via.bin.size);
    default:
      return "other:";
  }
}

void cxxFlatten(const std::string& prefix, const msgpack::object& map, std::set<std::string>* out,
                size_t* pairs) {
  ASSERT_EQ(map.type, msgpack::type::MAP);
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    const msgpack::object_kv& kv = map.via.map.ptr[i];
    ASSERT_EQ(kv.key.type, msgpack::type::STR);
    const std::string key = prefix + kv.key.as<std::string>();
    if (kv.val.type == msgpack::type::MAP) {
      cxxFlatten(key + ".", kv.val, out, pairs);
    } else {
      ++*pairs;
      out->insert(key + "=" + cxxLeaf(kv.val));
    }
  }
}

std::set<std::string> cxxExpected(const std::vector<Field>& fields) {
  std::set<std::string> out;
  for (const Field& f : fields) out.insert(f.key + "=" + f.type + ":" + f.value);
  return out;
}

class ActionInterop : public ::testing::TestWithParam<ActionCase> {};

TEST_P(ActionInterop, MsgpackCxxReadsTheProtocolMap) {
  const ActionCase& c = GetParam();
  size_t offset = 0;
  const msgpack::object_handle handle = msgpack::unpack(c.bytes.data(), c.bytes.size(), offset);
  EXPECT_EQ(offset, c.bytes.size()) << "one object, nothing after it";
  std::set<std::string> got;
  size_t pairs = 0;
  cxxFlatten("", handle.get(), &got, &pairs);
  EXPECT_EQ(got, cxxExpected(c.fields));
  EXPECT_EQ(got.size(), pairs) << "no duplicate keys";
}

// ---- Redis Lua cmsgpack ----
// Redis 7.0 ships lua-cmsgpack 0.4.0, which knows no bin (0xc4-0xc6) nor ext: unpacking any
// payload that holds one raises "Bad data format in input". Actions with bin (send_file) are
// checked with msgpack-cxx only; see also CmsgpackRejectsBin below.

bool hasBin(const ActionCase& c) {
  for (const Field& f : c.fields) {
    if (f.type == "bin") return true;
  }
  return false;
}

constexpr const char* kLuaFlatten = R"(
local out = {}
local function walk(prefix, t)
  for k, v in pairs(t) do
    local key = prefix .. tostring(k)
    local kind = type(v)
    if kind == 'table' then
      walk(key .. '.', v)
    elseif kind == 'number' then
      out[#out + 1] = key .. '=number:' .. string.format('%.17g', v)
    else
      out[#out + 1] = key .. '=' .. kind .. ':' .. tostring(v)
    end
  end
end
walk('', cmsgpack.unpack(ARGV[1]))
return out
)";

// What Lua sees of the protocol map: numbers are numbers, str and bin are strings, nil vanishes.
std::set<std::string> luaExpected(const std::vector<Field>& fields) {
  std::set<std::string> out;
  for (const Field& f : fields) {
    if (f.type == "nil") continue;
    const std::string kind = f.type == "int" || f.type == "float64" ? "number"
                             : f.type == "bool"                     ? "boolean"
                                                                    : "string";
    out.insert(f.key + "=" + kind + ":" + f.value);
  }
  return out;
}

class LuaInterop : public ::testing::Test {
 protected:
  // One redis-server for the suite: the scripts keep no state between calls.
  static void SetUpTestSuite() { server_ = std::make_unique<RedisServer>(); }
  static void TearDownTestSuite() { server_.reset(); }

  // The error text of a script that fails ("" when it does not).
  std::string evalError(const std::string& script, const std::string& arg) {
    Reply reply = server_->client()->command({"EVAL", script, "0", arg});
    if (!reply || reply->type != REDIS_REPLY_ERROR) return "";
    return std::string(reply->str, reply->len);
  }

  std::vector<std::string> eval(const std::string& script, const std::string& arg) {
    std::vector<std::string> out;
    auto redis = server_->client();
    Reply reply = redis->command({"EVAL", script, "0", arg});
    EXPECT_TRUE(reply && reply->type == REDIS_REPLY_ARRAY)
        << (reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "no array");
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return out;
    for (size_t i = 0; i < reply->elements; ++i) {
      out.emplace_back(reply->element[i]->str, reply->element[i]->len);
    }
    return out;
  }

  static std::unique_ptr<RedisServer> server_;
};

std::unique_ptr<RedisServer> LuaInterop::server_;

TEST_F(LuaInterop, CmsgpackReadsEveryAction) {
  ASSERT_TRUE(server_->ok()) << server_->logText();
  for (const ActionCase& c : actionCases()) {
    if (hasBin(c)) continue;
    const std::vector<std::string> lines = eval(kLuaFlatten, c.bytes);
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), luaExpected(c.fields)) << c.name;
  }
}

constexpr const char* kLuaRouting = R"(
local e = cmsgpack.unpack(ARGV[1])
return {e.platform, e.message.channel_id}
)";

TEST_F(LuaInterop, CmsgpackReadsPlatformAndChannelOfEnvelopes) {
  ASSERT_TRUE(server_->ok()) << server_->logText();
  for (const char* file :
       {"basic_mention.msgpack", "dm_minimal.msgpack", "reply_with_attachments.msgpack",
        "thread_message.msgpack", "empty_content_attachment_only.msgpack", "bot_author.msgpack"}) {
    const std::string payload = readVector(file);
    const DecodeResult decoded = decodeEnvelope(payload, LimitsConfig{});
    ASSERT_TRUE(decoded.ok()) << file;
    const std::vector<std::string> expected = {decoded.value->platform,
                                               decoded.value->message.channel_id};
    EXPECT_EQ(eval(kLuaRouting, payload), expected) << file;
    EXPECT_EQ(eval(kLuaRouting, encodeEnvelope(*decoded.value)), expected) << file;
  }
}

// What the consumer's Lua script must know: a whole-envelope cmsgpack.unpack fails as soon as
// the gateway puts bytes anywhere (here in `extra`), although the envelope is valid. Route on
// fields the worker decoded and passes as arguments instead.
TEST_F(LuaInterop, CmsgpackRejectsBin) {
  ASSERT_TRUE(server_->ok()) << server_->logText();
  const std::string payload = readVector("unicode_and_extra.msgpack");
  ASSERT_TRUE(decodeEnvelope(payload, LimitsConfig{}).ok());
  EXPECT_NE(evalError(kLuaRouting, payload).find("Bad data format"), std::string::npos);
  for (const ActionCase& c : actionCases()) {
    if (hasBin(c)) {
      EXPECT_NE(evalError(kLuaFlatten, c.bytes), "") << c.name;
    }
  }
}

TEST(ActionIds, FollowTheProtocol) {
  EXPECT_EQ(lastingActionId("ev-1", 0), "ev-1:0");
  EXPECT_EQ(lastingActionId("ev-1", 12), "ev-1:12");
  EXPECT_EQ(transientActionId("ev-1", "typing", 0), "ev-1:typing:0");
  EXPECT_EQ(transientActionId("1184567890123456789", "edit", 3), "1184567890123456789:edit:3");
}

TEST(ActionEncoder, EmptyParamsAreAnEmptyMap) {
  RpcRequest rpc{.common = common("ev-1:rpc:1"),
                 .rpc_id = "r",
                 .method = "get_channel",
                 .params = {},
                 .reply_stream = "s",
                 .deadline = 1};
  const std::string bytes = encodeAction(rpc);
  const msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
  const msgpack::object& map = handle.get();
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    if (map.via.map.ptr[i].key.as<std::string>() != "params") continue;
    EXPECT_EQ(map.via.map.ptr[i].val.type, msgpack::type::MAP);
    EXPECT_EQ(map.via.map.ptr[i].val.via.map.size, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Actions, ActionInterop, ::testing::ValuesIn(actionCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace sg::test
