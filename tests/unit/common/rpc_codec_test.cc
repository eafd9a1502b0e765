// Gateway call replies (bus protocol section 3): the reply map with the envelope's strictness
// and reasons, and the typed results of fetch_messages, get_user and get_channel.
#include <gtest/gtest.h>

#include "common/bus_codec.h"
#include "common/msgpack_json.h"
#include "support/json_msgpack.h"

namespace sg::test {
namespace {

std::string reasonOf(const auto& decoded) {
  return decoded.ok() ? "ok" : decoded.reason;
}

IncomingMessage sampleMessage(std::string id) {
  IncomingMessage m;
  m.id = std::move(id);
  m.channel_id = "c1";
  m.guild_id = "g1";
  m.author = {
      .id = "u1", .name = "alice", .display_name = "Alice", .is_bot = false, .roles = {"r1"}};
  m.content = "earlier message";
  m.created_at = 1764300000.5;
  m.attachments.push_back({"a1", "x.png", "https://x/a1", "image/png", 12});
  return m;
}

TEST(RpcReply, OkReplyKeepsTheResultWhole) {
  const std::string result = encodeFetchMessagesResult({sampleMessage("m2"), sampleMessage("m1")});
  const RpcReply reply{.rpc_id = "r-1", .ok = true, .result = result, .error = ""};
  const Decoded<RpcReply> decoded = decodeRpcReply(encodeRpcReply(reply), LimitsConfig{});
  ASSERT_TRUE(decoded.ok()) << decoded.reason;
  EXPECT_EQ(*decoded.value, reply);
  const auto messages = decodeFetchMessagesResult(decoded.value->result, LimitsConfig{});
  ASSERT_TRUE(messages.ok()) << messages.reason;
  ASSERT_EQ(messages.value->size(), 2u);
  EXPECT_EQ((*messages.value)[0], sampleMessage("m2"));
  EXPECT_EQ((*messages.value)[1], sampleMessage("m1"));
}

TEST(RpcReply, ErrorReply) {
  const RpcReply reply{.rpc_id = "r-2", .ok = false, .result = "", .error = "unknown channel"};
  const Decoded<RpcReply> decoded = decodeRpcReply(encodeRpcReply(reply), LimitsConfig{});
  ASSERT_TRUE(decoded.ok()) << decoded.reason;
  EXPECT_EQ(*decoded.value, reply);
}

TEST(RpcReply, NilResultIsAResult) {
  const auto decoded = decodeRpcReply(
      jsonToMsgpack(R"({"v": 1, "rpc_id": "r", "ok": true, "result": null})"), LimitsConfig{});
  ASSERT_TRUE(decoded.ok()) << decoded.reason;
  EXPECT_EQ(decoded.value->result, std::string("\xc0"));
}

TEST(RpcReply, Reasons) {
  constexpr std::string_view kOk = R"({"v": 1, "rpc_id": "r", "ok": true, "result": [1]})";
  const LimitsConfig limits;
  const auto reason = [&](std::string_view path, std::optional<std::string_view> value) {
    return reasonOf(decodeRpcReply(editedMsgpack(kOk, path, value), limits));
  };
  EXPECT_EQ(reason("v", "2"), "unsupported_version");
  EXPECT_EQ(reason("v", {}), "missing_field:v");
  EXPECT_EQ(reason("rpc_id", {}), "missing_field:rpc_id");
  EXPECT_EQ(reason("rpc_id", "5"), "wrong_type:rpc_id");
  EXPECT_EQ(reason("rpc_id", "\"r\x80\""), "invalid_utf8:rpc_id");
  EXPECT_EQ(reason("ok", R"("yes")"), "wrong_type:ok");
  EXPECT_EQ(reason("result", {}), "missing_field:result");
  EXPECT_EQ(reason("ok", "false"), "missing_field:error");
  EXPECT_EQ(reason("future", "{}"), "ok");
  EXPECT_EQ(reasonOf(decodeRpcReply("\x93\x01\x02\x03", limits)), "not_a_map");
  EXPECT_EQ(reasonOf(decodeRpcReply("\x81", limits)), "malformed_msgpack");
  LimitsConfig small;
  small.payload_bytes = 1;  // a reply may be kMaxFetchMessages times that
  EXPECT_EQ(reasonOf(decodeRpcReply(std::string(101, '\xc0'), small)), "too_large:payload");
}

TEST(RpcReply, OneLevelDeeperThanAnEnvelope) {
  // fetch_messages puts each message one level deeper than an envelope does.
  IncomingMessage m = sampleMessage("m1");
  m.extra = jsonToMsgpack(R"({"n": )" + std::string(13, '[') + std::string(13, ']') + "}");
  const std::string result = encodeFetchMessagesResult({m});
  const RpcReply reply{.rpc_id = "r", .ok = true, .result = result, .error = ""};
  const auto decoded = decodeRpcReply(encodeRpcReply(reply), LimitsConfig{});
  ASSERT_TRUE(decoded.ok()) << decoded.reason;
  EXPECT_TRUE(decodeFetchMessagesResult(decoded.value->result, LimitsConfig{}).ok());
  m.extra = jsonToMsgpack(R"({"n": )" + std::string(14, '[') + std::string(14, ']') + "}");
  const RpcReply deeper{
      .rpc_id = "r", .ok = true, .result = encodeFetchMessagesResult({m}), .error = ""};
  EXPECT_EQ(reasonOf(decodeRpcReply(encodeRpcReply(deeper), LimitsConfig{})), "too_deep");
}

TEST(FetchMessagesResult, Reasons) {
  const LimitsConfig limits;
  const std::string two = encodeFetchMessagesResult({sampleMessage("m2"), sampleMessage("m1")});
  const std::string json = *msgpackToJson(two);
  const auto reason = [&](std::string_view path, std::optional<std::string_view> value) {
    return reasonOf(decodeFetchMessagesResult(editedMsgpack(json, path, value), limits));
  };
  EXPECT_EQ(reason("1.author.id", {}), "missing_field:result.1.author.id");
  EXPECT_EQ(reason("0.content", "7"), "wrong_type:result.0.content");
  EXPECT_EQ(reason("1.attachments.0.size", "-2"), "invalid_value:result.1.attachments.0.size");
  EXPECT_EQ(reason("0", "[]"), "wrong_type:result.0");
  EXPECT_EQ(reasonOf(decodeFetchMessagesResult(jsonToMsgpack("{}"), limits)), "wrong_type:result");
  EXPECT_EQ(reasonOf(decodeFetchMessagesResult(jsonToMsgpack("[]"), limits)), "ok");
  std::vector<IncomingMessage> many(101, sampleMessage("m"));
  EXPECT_EQ(reasonOf(decodeFetchMessagesResult(encodeFetchMessagesResult(many), limits)),
            "too_large:result");
  many.pop_back();
  EXPECT_EQ(reasonOf(decodeFetchMessagesResult(encodeFetchMessagesResult(many), limits)), "ok");
}

TEST(GetUserResult, RoundTripsAndReasons) {
  const RpcUser user{.id = "u1",
                     .name = "alice",
                     .display_name = "Alice",
                     .roles = {"r1", "r2"},
                     .joined_at = 1600000000.5};
  const auto decoded = decodeGetUserResult(encodeGetUserResult(user), LimitsConfig{});
  ASSERT_TRUE(decoded.ok()) << decoded.reason;
  EXPECT_EQ(*decoded.value, user);
  const RpcUser bare{.id = "u2", .name = "bob", .display_name = {}, .roles = {}, .joined_at = {}};
  EXPECT_EQ(*decodeGetUserResult(encodeGetUserResult(bare), LimitsConfig{}).value, bare);
  const auto reason = [](std::string_view json) {
    return reasonOf(decodeGetUserResult(jsonToMsgpack(json), LimitsConfig{}));
  };
  EXPECT_EQ(reason(R"({"id": "u", "name": "n", "joined_at": 1600000000})"), "ok");
  EXPECT_EQ(reason(R"({"name": "n"})"), "missing_field:result.id");
  EXPECT_EQ(reason(R"({"id": "u", "name": "n", "roles": [1]})"), "wrong_type:result.roles.0");
  EXPECT_EQ(reason(R"({"id": "u", "name": "n", "joined_at": "x"})"), "wrong_type:result.joined_at");
  EXPECT_EQ(reason(R"(["u"])"), "wrong_type:result");
}

TEST(GetChannelResult, RoundTripsAndReasons) {
  const RpcChannel channel{.id = "c1", .name = "general", .topic = "stars", .kind = "text"};
  const auto decoded = decodeGetChannelResult(encodeGetChannelResult(channel), LimitsConfig{});
  ASSERT_TRUE(decoded.ok()) << decoded.reason;
  EXPECT_EQ(*decoded.value, channel);
  const RpcChannel dm{.id = "d1", .name = {}, .topic = {}, .kind = "dm"};
  EXPECT_EQ(*decodeGetChannelResult(encodeGetChannelResult(dm), LimitsConfig{}).value, dm);
  const auto reason = [](std::string_view json) {
    return reasonOf(decodeGetChannelResult(jsonToMsgpack(json), LimitsConfig{}));
  };
  EXPECT_EQ(reason(R"({"id": "c"})"), "missing_field:result.kind");
  EXPECT_EQ(reason(R"({"id": "c", "kind": "text", "topic": 3})"), "wrong_type:result.topic");
}

TEST(RpcParams, BuildTheProtocolMaps) {
  EXPECT_EQ(*msgpackToJson(fetchMessagesParams("c1", 500, std::nullopt)),
            R"({"channel_id":"c1","limit":100,"before":null})");
  EXPECT_EQ(*msgpackToJson(fetchMessagesParams("c1", 20, "m9")),
            R"({"channel_id":"c1","limit":20,"before":"m9"})");
  EXPECT_EQ(*msgpackToJson(getUserParams("u1", std::nullopt)),
            R"({"user_id":"u1","guild_id":null})");
  EXPECT_EQ(*msgpackToJson(getChannelParams("c1")), R"({"channel_id":"c1"})");
}

}  // namespace
}  // namespace sg::test
