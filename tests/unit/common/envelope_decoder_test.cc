// decodeEnvelope beyond the golden vectors: every required key, nil where allowed and not, wrong
// types at nested paths, each invalid_utf8 path, the limits at their boundary, the order of the
// checks, and byte-level oddities (concatenated objects, duplicate keys, non-str keys, float32).
#include <gtest/gtest.h>

#include <string>

#include "common/bus_codec.h"
#include "common/msgpack_writer.h"
#include "support/json_msgpack.h"

namespace sg::test {
namespace {

// A valid envelope using every field (as JSON; integral numbers become ints).
constexpr std::string_view kFull = R"({
  "v": 1, "type": "message", "event_id": "ev-1", "platform": "discord",
  "sent_at": 1764300000.5, "trace_id": "t-1",
  "message": {
    "id": "m1", "channel_id": "c1", "guild_id": "g1", "thread_id": null,
    "author": {"id": "u1", "name": "alice", "display_name": "Alice", "is_bot": false,
               "roles": ["r1", "r2"]},
    "content": "hello", "created_at": 1764300000.25, "is_dm": false, "mentions_bot": true,
    "mentions": ["b1", "u2"], "bot_user_id": "b1",
    "reply_to": {"message_id": "m0", "author_id": "b1", "content": "earlier", "is_bot": true},
    "attachments": [
      {"id": "a1", "filename": "x.png", "url": "https://x/a1", "content_type": "image/png",
       "size": 10},
      {"id": "a2", "filename": "y.txt", "url": "https://x/a2", "content_type": null, "size": 0}],
    "extra": {"nonce": "n", "deep": {"list": [1, 2.5, {"$bin": "ff00"}]}}
  }
})";

DecodeResult decode(std::string_view payload, const LimitsConfig& limits = {}) {
  DecodeResult result = decodeEnvelope(payload, limits);
  EXPECT_NE(result.ok(), !result.reason.empty()) << "exactly one of value and reason";
  return result;
}

std::string reasonOf(std::string_view payload, const LimitsConfig& limits = {}) {
  const DecodeResult result = decode(payload, limits);
  return result.ok() ? "ok" : result.reason;
}

// The full envelope with `path` set to `value` (JSON text) or removed (nullopt).
std::string edited(std::string_view path, std::optional<std::string_view> value) {
  return editedMsgpack(kFull, path, value);
}

TEST(EnvelopeDecoder, DecodesEveryField) {
  const DecodeResult result = decode(jsonToMsgpack(kFull));
  ASSERT_TRUE(result.ok()) << result.reason;
  const Envelope& e = *result.value;
  EXPECT_EQ(e.event_id, "ev-1");
  EXPECT_EQ(e.trace_id, "t-1");
  EXPECT_EQ(e.sent_at, 1764300000.5);
  const IncomingMessage& m = e.message;
  EXPECT_EQ(m.guild_id, "g1");
  EXPECT_EQ(m.thread_id, std::nullopt);
  EXPECT_EQ(m.author.roles, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(m.mentions, (std::vector<std::string>{"b1", "u2"}));
  ASSERT_TRUE(m.reply_to.has_value());
  EXPECT_EQ(m.reply_to->author_id, "b1");
  EXPECT_TRUE(m.reply_to->is_bot);
  ASSERT_EQ(m.attachments.size(), 2u);
  EXPECT_EQ(m.attachments[0].content_type, "image/png");
  EXPECT_EQ(m.attachments[1].content_type, std::nullopt);
  EXPECT_EQ(m.extra,
            jsonToMsgpack(R"({"nonce": "n", "deep": {"list": [1, 2.5, {"$bin": "ff00"}]}})"));
}

struct EditCase {
  std::string path;
  std::optional<std::string> value;  // JSON text; nullopt removes the key
  std::string reason;                // "ok" when the envelope stays valid
};

void PrintTo(const EditCase& c, std::ostream* os) {
  *os << c.path << " = " << c.value.value_or("<removed>") << " -> " << c.reason;
}

class EnvelopeEdits : public ::testing::TestWithParam<EditCase> {};

TEST_P(EnvelopeEdits, GiveTheListedReason) {
  const EditCase& c = GetParam();
  EXPECT_EQ(reasonOf(edited(c.path, c.value)), c.reason);
}

const EditCase kMissing[] = {
    {"v", {}, "missing_field:v"},
    {"type", {}, "missing_field:type"},
    {"event_id", {}, "missing_field:event_id"},
    {"platform", {}, "missing_field:platform"},
    {"sent_at", {}, "missing_field:sent_at"},
    {"message", {}, "missing_field:message"},
    {"message.id", {}, "missing_field:message.id"},
    {"message.channel_id", {}, "missing_field:message.channel_id"},
    {"message.author", {}, "missing_field:message.author"},
    {"message.author.id", {}, "missing_field:message.author.id"},
    {"message.author.name", {}, "missing_field:message.author.name"},
    {"message.author.is_bot", {}, "missing_field:message.author.is_bot"},
    {"message.content", {}, "missing_field:message.content"},
    {"message.created_at", {}, "missing_field:message.created_at"},
    {"message.is_dm", {}, "missing_field:message.is_dm"},
    {"message.reply_to.message_id", {}, "missing_field:message.reply_to.message_id"},
    {"message.attachments.1.id", {}, "missing_field:message.attachments.1.id"},
    {"message.attachments.1.filename", {}, "missing_field:message.attachments.1.filename"},
    {"message.attachments.1.url", {}, "missing_field:message.attachments.1.url"},
    {"message.attachments.1.size", {}, "missing_field:message.attachments.1.size"},
};
INSTANTIATE_TEST_SUITE_P(Missing, EnvelopeEdits, ::testing::ValuesIn(kMissing));

const EditCase kOptionalAbsent[] = {
    {"trace_id", {}, "ok"},
    {"message.guild_id", {}, "ok"},
    {"message.thread_id", {}, "ok"},
    {"message.author.display_name", {}, "ok"},
    {"message.author.roles", {}, "ok"},
    {"message.mentions_bot", {}, "ok"},
    {"message.mentions", {}, "ok"},
    {"message.bot_user_id", {}, "ok"},
    {"message.reply_to", {}, "ok"},
    {"message.reply_to.author_id", {}, "ok"},
    {"message.reply_to.content", {}, "ok"},
    {"message.reply_to.is_bot", {}, "ok"},
    {"message.attachments", {}, "ok"},
    {"message.attachments.0.content_type", {}, "ok"},
    {"message.extra", {}, "ok"},
};
INSTANTIATE_TEST_SUITE_P(OptionalAbsent, EnvelopeEdits, ::testing::ValuesIn(kOptionalAbsent));

const EditCase kNil[] = {
    // Allowed: the table's "or nil", and trace_id (the golden vectors send it).
    {"trace_id", "null", "ok"},
    {"message.guild_id", "null", "ok"},
    {"message.thread_id", "null", "ok"},
    {"message.author.display_name", "null", "ok"},
    {"message.reply_to", "null", "ok"},
    {"message.reply_to.author_id", "null", "ok"},
    {"message.reply_to.content", "null", "ok"},
    {"message.attachments.0.content_type", "null", "ok"},
    // Not allowed.
    {"v", "null", "wrong_type:v"},
    {"type", "null", "wrong_type:type"},
    {"event_id", "null", "wrong_type:event_id"},
    {"platform", "null", "wrong_type:platform"},
    {"sent_at", "null", "wrong_type:sent_at"},
    {"message", "null", "wrong_type:message"},
    {"message.id", "null", "wrong_type:message.id"},
    {"message.channel_id", "null", "wrong_type:message.channel_id"},
    {"message.author", "null", "wrong_type:message.author"},
    {"message.author.id", "null", "wrong_type:message.author.id"},
    {"message.author.name", "null", "wrong_type:message.author.name"},
    {"message.author.is_bot", "null", "wrong_type:message.author.is_bot"},
    {"message.author.roles", "null", "wrong_type:message.author.roles"},
    {"message.content", "null", "wrong_type:message.content"},
    {"message.created_at", "null", "wrong_type:message.created_at"},
    {"message.is_dm", "null", "wrong_type:message.is_dm"},
    {"message.mentions_bot", "null", "wrong_type:message.mentions_bot"},
    {"message.mentions", "null", "wrong_type:message.mentions"},
    {"message.bot_user_id", "null", "wrong_type:message.bot_user_id"},
    {"message.reply_to.message_id", "null", "wrong_type:message.reply_to.message_id"},
    {"message.reply_to.is_bot", "null", "wrong_type:message.reply_to.is_bot"},
    {"message.attachments", "null", "wrong_type:message.attachments"},
    {"message.attachments.0.id", "null", "wrong_type:message.attachments.0.id"},
    {"message.attachments.0.size", "null", "wrong_type:message.attachments.0.size"},
    {"message.extra", "null", "wrong_type:message.extra"},
};
INSTANTIATE_TEST_SUITE_P(Nil, EnvelopeEdits, ::testing::ValuesIn(kNil));

const EditCase kWrongTypes[] = {
    {"v", R"("1")", "wrong_type:v"},
    {"v", "1.5", "wrong_type:v"},
    {"type", "7", "wrong_type:type"},
    {"sent_at", "true", "wrong_type:sent_at"},
    {"sent_at", R"("1764300000")", "wrong_type:sent_at"},
    {"message", "[]", "wrong_type:message"},
    {"message.id", R"({"$bin": "6d31"})", "wrong_type:message.id"},
    {"message.content", R"({"$bin": "68"})", "wrong_type:message.content"},
    {"message.author", R"("alice")", "wrong_type:message.author"},
    {"message.author.roles", R"("r1")", "wrong_type:message.author.roles"},
    {"message.author.roles.1", "5", "wrong_type:message.author.roles.1"},
    {"message.mentions.1", "true", "wrong_type:message.mentions.1"},
    {"message.created_at", R"("x")", "wrong_type:message.created_at"},
    {"message.reply_to", "[]", "wrong_type:message.reply_to"},
    {"message.reply_to.is_bot", "1", "wrong_type:message.reply_to.is_bot"},
    {"message.attachments", "{}", "wrong_type:message.attachments"},
    {"message.attachments.1", R"("a2")", "wrong_type:message.attachments.1"},
    {"message.attachments.0.size", R"("10")", "wrong_type:message.attachments.0.size"},
    {"message.attachments.0.size", "1.5", "wrong_type:message.attachments.0.size"},
    {"message.attachments.1.content_type", "5", "wrong_type:message.attachments.1.content_type"},
    {"message.extra", "[1]", "wrong_type:message.extra"},
    {"message.extra", R"("x")", "wrong_type:message.extra"},
};
INSTANTIATE_TEST_SUITE_P(WrongTypes, EnvelopeEdits, ::testing::ValuesIn(kWrongTypes));

const EditCase kValues[] = {
    {"v", "2", "unsupported_version"},
    {"v", "0", "unsupported_version"},
    {"v", "-1", "unsupported_version"},
    {"type", R"("reaction")", "unknown_type"},
    {"type", R"("")", "unknown_type"},
    {"event_id", R"("")", "invalid_value:event_id"},
    {"event_id", "\"" + std::string(128, 'e') + "\"", "ok"},
    {"event_id", "\"" + std::string(129, 'e') + "\"", "invalid_value:event_id"},
    {"platform", R"("")", "invalid_value:platform"},
    {"platform", R"("Discord")", "invalid_value:platform"},
    {"platform", R"("dis-cord")", "invalid_value:platform"},
    {"platform", R"("my_platform_2")", "ok"},
    {"platform", "\"" + std::string(32, 'p') + "\"", "ok"},
    {"platform", "\"" + std::string(33, 'p') + "\"", "invalid_value:platform"},
    {"trace_id", "\"" + std::string(64, 't') + "\"", "ok"},
    {"trace_id", "\"" + std::string(65, 't') + "\"", "invalid_value:trace_id"},
    {"message.attachments.0.size", "-1", "invalid_value:message.attachments.0.size"},
    {"sent_at", "1764300000", "ok"},  // an int where a float64 is expected
    {"message.content", R"("")", "ok"},
    {"message.author.roles", "[]", "ok"},
    {"message.attachments", "[]", "ok"},
    {"message.extra", "{}", "ok"},
    // Unknown keys are ignored at every level, whatever they hold.
    {"future", R"({"a": [1, {"$bin": "00"}]})", "ok"},
    {"message.future", "[[[]]]", "ok"},
    {"message.author.future", "null", "ok"},
    {"message.reply_to.future", "1.5", "ok"},
    {"message.attachments.0.future", R"({"x": null})", "ok"},
};
INSTANTIATE_TEST_SUITE_P(Values, EnvelopeEdits, ::testing::ValuesIn(kValues));

// A string with bytes that are not UTF-8 (a lone continuation byte) at every kept path.
const EditCase kInvalidUtf8[] = {
    {"type", "\"mess\x80ge\"", "invalid_utf8:type"},
    {"event_id", "\"ev\x80\"", "invalid_utf8:event_id"},
    {"platform", "\"disc\x80rd\"", "invalid_utf8:platform"},
    {"trace_id", "\"t\x80\"", "invalid_utf8:trace_id"},
    {"message.id", "\"m\x80\"", "invalid_utf8:message.id"},
    {"message.channel_id", "\"c\x80\"", "invalid_utf8:message.channel_id"},
    {"message.guild_id", "\"g\x80\"", "invalid_utf8:message.guild_id"},
    {"message.thread_id", "\"t\x80\"", "invalid_utf8:message.thread_id"},
    {"message.author.id", "\"u\x80\"", "invalid_utf8:message.author.id"},
    {"message.author.name", "\"a\x80\"", "invalid_utf8:message.author.name"},
    {"message.author.display_name", "\"A\x80\"", "invalid_utf8:message.author.display_name"},
    {"message.author.roles.1", "\"r\x80\"", "invalid_utf8:message.author.roles.1"},
    {"message.content", "\"h\x80\"", "invalid_utf8:message.content"},
    {"message.mentions.0", "\"b\x80\"", "invalid_utf8:message.mentions.0"},
    {"message.bot_user_id", "\"b\x80\"", "invalid_utf8:message.bot_user_id"},
    {"message.reply_to.message_id", "\"m\x80\"", "invalid_utf8:message.reply_to.message_id"},
    {"message.reply_to.author_id", "\"b\x80\"", "invalid_utf8:message.reply_to.author_id"},
    {"message.reply_to.content", "\"e\x80\"", "invalid_utf8:message.reply_to.content"},
    {"message.attachments.1.id", "\"a\x80\"", "invalid_utf8:message.attachments.1.id"},
    {"message.attachments.1.filename", "\"y\x80\"", "invalid_utf8:message.attachments.1.filename"},
    {"message.attachments.1.url", "\"h\x80\"", "invalid_utf8:message.attachments.1.url"},
    {"message.attachments.1.content_type", "\"t\x80\"",
     "invalid_utf8:message.attachments.1.content_type"},
    // Overlong, surrogate, above U+10FFFF, truncated: all rejected.
    {"message.content", "\"\xc0\xaf\"", "invalid_utf8:message.content"},
    {"message.content", "\"\xed\xa0\x80\"", "invalid_utf8:message.content"},
    {"message.content", "\"\xf4\x90\x80\x80\"", "invalid_utf8:message.content"},
    {"message.content", "\"ok \xe2\x82\"", "invalid_utf8:message.content"},
    // Opaque or unknown values are not inspected.
    {"message.extra.nonce", "\"n\x80\"", "ok"},
    {"message.future", "\"f\x80\"", "ok"},
};
INSTANTIATE_TEST_SUITE_P(InvalidUtf8, EnvelopeEdits, ::testing::ValuesIn(kInvalidUtf8));

std::string jsonString(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

TEST(EnvelopeDecoder, ContentLimitAtTheBoundary) {
  EXPECT_EQ(reasonOf(edited("message.content", jsonString(std::string(16384, 'x')))), "ok");
  EXPECT_EQ(reasonOf(edited("message.content", jsonString(std::string(16385, 'x')))),
            "too_large:message.content");
  std::string accents;
  for (int i = 0; i < 8192; ++i) accents += "\xc3\xa9";  // 16384 bytes of 'é'
  EXPECT_EQ(reasonOf(edited("message.content", jsonString(accents))), "ok");
  EXPECT_EQ(reasonOf(edited("message.content", jsonString(accents + "x"))),
            "too_large:message.content");
  EXPECT_EQ(reasonOf(edited("message.reply_to.content", jsonString(std::string(16385, 'x')))),
            "too_large:message.reply_to.content");
  // Size is checked before UTF-8.
  EXPECT_EQ(reasonOf(edited("message.content", jsonString(std::string(16385, '\x80')))),
            "too_large:message.content");
}

std::string attachments(int count) {
  std::string list = "[";
  for (int i = 0; i < count; ++i) {
    if (i > 0) list += ",";
    list += R"({"id": "a", "filename": "f", "url": "u", "size": 1})";
  }
  return list + "]";
}

TEST(EnvelopeDecoder, AttachmentLimitAtTheBoundary) {
  EXPECT_EQ(reasonOf(edited("message.attachments", attachments(32))), "ok");
  EXPECT_EQ(reasonOf(edited("message.attachments", attachments(33))),
            "too_large:message.attachments");
}

// `extra` holding `levels` nested arrays: the top map is depth 1, message 2, extra 3.
std::string nested(int levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

TEST(EnvelopeDecoder, DepthLimitAtTheBoundary) {
  EXPECT_EQ(reasonOf(edited("message.extra", R"({"n": )" + nested(13) + "}")), "ok");
  EXPECT_EQ(reasonOf(edited("message.extra", R"({"n": )" + nested(14) + "}")), "too_deep");
  LimitsConfig deeper;
  deeper.depth = 17;
  EXPECT_EQ(reasonOf(edited("message.extra", R"({"n": )" + nested(14) + "}"), deeper), "ok");
  LimitsConfig shallow;
  shallow.depth = 2;  // message.author (depth 3) no longer fits
  EXPECT_EQ(reasonOf(edited("message.extra", {}), shallow), "too_deep");
}

TEST(EnvelopeDecoder, PayloadLimitAtTheBoundary) {
  const std::string payload = jsonToMsgpack(kFull);
  LimitsConfig limits;
  limits.payload_bytes = static_cast<uint32_t>(payload.size());
  EXPECT_EQ(reasonOf(payload, limits), "ok");
  limits.payload_bytes -= 1;
  EXPECT_EQ(reasonOf(payload, limits), "too_large:payload");
  EXPECT_EQ(reasonOf(std::string(256 * 1024 + 1, '\xc1')), "too_large:payload");
}

TEST(EnvelopeDecoder, ConfiguredLimitsApply) {
  LimitsConfig limits;
  limits.content_bytes = 7;  // "earlier" in reply_to.content fits exactly
  limits.attachments = 1;
  EXPECT_EQ(reasonOf(edited("message.attachments", attachments(1)), limits), "ok");
  EXPECT_EQ(reasonOf(edited("message.content", R"("hello!!!")"), limits),
            "too_large:message.content");
  EXPECT_EQ(reasonOf(jsonToMsgpack(kFull), limits), "too_large:message.attachments");
}

TEST(EnvelopeDecoder, MalformedBytes) {
  const std::string valid = jsonToMsgpack(kFull);
  EXPECT_EQ(reasonOf(""), "malformed_msgpack");
  EXPECT_EQ(reasonOf(valid + valid), "malformed_msgpack");  // concatenated objects
  EXPECT_EQ(reasonOf(valid + std::string(1, '\0')), "malformed_msgpack");
  EXPECT_EQ(reasonOf("\xc1"), "malformed_msgpack");
  for (size_t cut = 0; cut < valid.size(); ++cut) {
    ASSERT_EQ(reasonOf(valid.substr(0, cut)), "malformed_msgpack") << "cut at " << cut;
  }
  // A map that declares more pairs than follow, with absurd declared sizes.
  EXPECT_EQ(reasonOf("\xdf\xff\xff\xff\xff"), "malformed_msgpack");
  EXPECT_EQ(reasonOf("\x81\xa1v\xdb\xff\xff\xff\xff"), "malformed_msgpack");
}

TEST(EnvelopeDecoder, OrderOfChecks) {
  // Malformed wins over not-a-map and over too deep; not-a-map wins over too deep.
  const std::string deep_array = std::string(40, '\x91') + std::string(1, '\x01');
  EXPECT_EQ(reasonOf(deep_array), "not_a_map");
  EXPECT_EQ(reasonOf(deep_array.substr(0, 39)), "malformed_msgpack");
  const std::string too_deep = edited("message.extra", R"({"n": )" + nested(40) + "}");
  EXPECT_EQ(reasonOf(too_deep), "too_deep");
  EXPECT_EQ(reasonOf(too_deep.substr(0, too_deep.size() - 1)), "malformed_msgpack");
  EXPECT_EQ(reasonOf(too_deep + "x"), "malformed_msgpack");
  EXPECT_EQ(reasonOf("\x05"), "not_a_map");
  // The version is checked before anything else in the map, then the type.
  EXPECT_EQ(reasonOf(editedMsgpack(R"({"v": 2})", "type", R"("x")")), "unsupported_version");
  EXPECT_EQ(reasonOf(jsonToMsgpack(R"({"v": 1, "type": "reaction"})")), "unknown_type");
  // Fields fail in the table's order whatever the order on the wire.
  const std::string reordered = jsonToMsgpack(R"({
    "message": {"author": {"id": 5}}, "sent_at": 1, "platform": "discord", "type": "message",
    "v": 1})");
  EXPECT_EQ(reasonOf(reordered), "missing_field:event_id");
}

// Appends raw key/value pairs to the top-level map of `payload` (a fixmap).
std::string withPairs(std::string payload, int pairs, std::string_view raw) {
  EXPECT_EQ(payload[0] & 0xf0, 0x80);
  payload[0] = static_cast<char>(payload[0] + pairs);
  return payload + std::string(raw);
}

TEST(EnvelopeDecoder, DuplicateKeysLastWins) {
  const std::string base = jsonToMsgpack(kFull);
  MsgpackWriter w;
  w.field("event_id", "ev-2");
  const DecodeResult result = decode(withPairs(base, 1, w.bytes()));
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.value->event_id, "ev-2");
}

TEST(EnvelopeDecoder, NonStringKeysAreIgnored) {
  MsgpackWriter w;
  w.integer(1);
  w.str("v");  // an int key
  w.map(1);
  w.str("v");
  w.integer(2);  // a map key
  w.integer(3);
  w.bin("v");  // a bin key spelling "v"
  w.integer(9);
  const DecodeResult result = decode(withPairs(jsonToMsgpack(kFull), 3, w.bytes()));
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.value->v, 1);
}

TEST(EnvelopeDecoder, NumbersOfEveryWidth) {
  const std::string base = jsonToMsgpack(kFull);
  const auto sentAt = [&](std::string_view raw) {
    return decode(withPairs(base, 1, std::string("\xa7sent_at") + std::string(raw)));
  };
  EXPECT_EQ(sentAt(std::string("\xca\x3f\xc0\x00\x00", 5)).value->sent_at, 1.5);  // float32
  EXPECT_EQ(sentAt(std::string("\xcf\x00\x00\x00\x00\x69\x29\x8e\xe0", 9)).value->sent_at,
            1764331232.0);                                             // uint64
  EXPECT_EQ(sentAt(std::string("\xd0\xff", 2)).value->sent_at, -1.0);  // int8
  EXPECT_EQ(sentAt(std::string("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9)).reason,
            "invalid_value:sent_at");  // NaN
  EXPECT_EQ(sentAt(std::string("\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00", 9)).reason,
            "invalid_value:sent_at");  // +inf
  // v as a wide int that is 1, and as a huge uint64.
  EXPECT_TRUE(decode(withPairs(base, 1, std::string("\xa1v\xd3\0\0\0\0\0\0\0\x01", 11))).ok());
  EXPECT_EQ(decode(withPairs(base, 1, std::string("\xa1v\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 11)))
                .reason,
            "unsupported_version");
  const std::string max_size = editedMsgpack(kFull, "message.attachments.0.size", "0");
  std::string huge = max_size;
  const size_t at = huge.find("\xa4size\x00", 0, 6);
  ASSERT_NE(at, std::string::npos);
  huge.replace(at + 5, 1, std::string("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9));
  const DecodeResult result = decode(huge);
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.value->message.attachments[0].size, UINT64_MAX);
}

TEST(EnvelopeDecoder, ExtraIsKeptByteForByte) {
  // A non-minimal encoding (str8 for a short key, uint16 for 1) must survive as it came.
  const std::string extra("\x81\xd9\x01k\xcd\x00\x01", 7);
  const std::string base = editedMsgpack(kFull, "message.extra", {});
  MsgpackWriter w;
  w.str("extra");
  w.raw(extra);
  // message is the last key of the envelope; extend its map (fixmap) by one pair.
  const std::string message_key = "\xa7message";
  const size_t at = base.rfind(message_key) + message_key.size();  // the key, not type's value
  std::string payload = base;
  payload[at] = static_cast<char>(payload[at] + 1);
  payload += w.bytes();
  const DecodeResult result = decode(payload);
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.value->message.extra, extra);
  EXPECT_EQ(decode(encodeEnvelope(*result.value)).value->message.extra, extra);
}

TEST(EnvelopeDecoder, EncodeEnvelopeRoundTrips) {
  Envelope e;
  e.event_id = "ev-9";
  e.platform = "discord";
  e.sent_at = 1764300000.125;
  e.message.id = "m9";
  e.message.channel_id = "c9";
  e.message.author = {.id = "u9", .name = "zed", .display_name = {}, .is_bot = true, .roles = {}};
  e.message.content = "snowflakes ❄";
  e.message.created_at = 1764300000;
  e.message.is_dm = true;
  e.message.bot_user_id = "b9";
  e.message.reply_to =
      ReplyRef{.message_id = "m8", .author_id = {}, .content = "x", .is_bot = false};
  e.message.attachments.push_back({"a", "f.bin", "https://x/f", {}, 42});
  e.message.extra = jsonToMsgpack(R"({"k": [1, "two"]})");
  const DecodeResult result = decode(encodeEnvelope(e));
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(*result.value, e);
  e.trace_id = "t9";
  e.message.bot_user_id.reset();
  e.message.extra.clear();
  EXPECT_EQ(*decode(encodeEnvelope(e)).value, e);
}

}  // namespace
}  // namespace sg::test
