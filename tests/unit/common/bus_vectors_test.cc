// Every case of the protocol's golden vectors (tests/vectors/cases.json): valid envelopes decode
// to exactly the listed values, with `extra` kept whole; invalid ones give exactly the listed
// dead-letter reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/bus_codec.h"
#include "common/msgpack_json.h"
#include "support/json_msgpack.h"

namespace sg::test {
namespace {

struct VectorCase {
  std::string name;
  std::string file;
  std::string expect;
  std::string reason;
  std::string decoded_json;  // ok cases: the listed object, as JSON text
};

// gtest prints parameters in failure messages and test listings: name the case rather than let it
// dump the struct's bytes (padding included, which valgrind rightly calls uninitialised).
void PrintTo(const VectorCase& c, std::ostream* out) { *out << c.name; }

std::vector<VectorCase> loadCases(bool only_valid = false) {
  const Json cases = parseJson(readVector("cases.json"));
  std::vector<VectorCase> out;
  const cJSON* list = cJSON_GetObjectItemCaseSensitive(cases.get(), "cases");
  const cJSON* item;
  cJSON_ArrayForEach(item, list) {
    VectorCase c;
    c.name = cJSON_GetObjectItemCaseSensitive(item, "name")->valuestring;
    c.file = cJSON_GetObjectItemCaseSensitive(item, "file")->valuestring;
    c.expect = cJSON_GetObjectItemCaseSensitive(item, "expect")->valuestring;
    if (const cJSON* reason = cJSON_GetObjectItemCaseSensitive(item, "reason")) {
      c.reason = reason->valuestring;
    }
    if (const cJSON* decoded = cJSON_GetObjectItemCaseSensitive(item, "decoded")) {
      char* text = cJSON_PrintUnformatted(decoded);
      c.decoded_json = text;
      cJSON_free(text);
    }
    if (!only_valid || c.expect == "ok") out.push_back(std::move(c));
  }
  return out;
}

// Expected optional string: absent or null in the JSON both mean nullopt.
std::optional<std::string> optString(const cJSON* parent, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(parent, key);
  if (item == nullptr || cJSON_IsNull(item)) return std::nullopt;
  return std::string(item->valuestring);
}

std::string string(const cJSON* parent, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(parent, key);
  return cJSON_IsString(item) ? item->valuestring : "<not a string>";
}

double number(const cJSON* parent, const char* key) {
  return cJSON_GetObjectItemCaseSensitive(parent, key)->valuedouble;
}

bool flag(const cJSON* parent, const char* key, bool absent) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(parent, key);
  return item == nullptr ? absent : cJSON_IsTrue(item);
}

std::vector<std::string> strings(const cJSON* parent, const char* key) {
  std::vector<std::string> out;
  const cJSON* item;
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(parent, key)) {
    out.emplace_back(item->valuestring);
  }
  return out;
}

void expectAuthor(const cJSON* json, const Author& author) {
  EXPECT_EQ(author.id, string(json, "id"));
  EXPECT_EQ(author.name, string(json, "name"));
  EXPECT_EQ(author.display_name, optString(json, "display_name"));
  EXPECT_EQ(author.is_bot, flag(json, "is_bot", false));
  EXPECT_EQ(author.roles, strings(json, "roles"));
}

void expectReplyTo(const cJSON* json, const std::optional<ReplyRef>& reply_to) {
  if (json == nullptr || cJSON_IsNull(json)) {
    EXPECT_FALSE(reply_to.has_value());
    return;
  }
  ASSERT_TRUE(reply_to.has_value());
  EXPECT_EQ(reply_to->message_id, string(json, "message_id"));
  EXPECT_EQ(reply_to->author_id, optString(json, "author_id"));
  EXPECT_EQ(reply_to->content, optString(json, "content"));
  EXPECT_EQ(reply_to->is_bot, flag(json, "is_bot", false));
}

void expectAttachments(const cJSON* json, const std::vector<Attachment>& attachments) {
  ASSERT_EQ(attachments.size(), static_cast<size_t>(cJSON_GetArraySize(json)));
  for (size_t i = 0; i < attachments.size(); ++i) {
    const cJSON* a = cJSON_GetArrayItem(json, static_cast<int>(i));
    EXPECT_EQ(attachments[i].id, string(a, "id"));
    EXPECT_EQ(attachments[i].filename, string(a, "filename"));
    EXPECT_EQ(attachments[i].url, string(a, "url"));
    EXPECT_EQ(attachments[i].content_type, optString(a, "content_type"));
    EXPECT_EQ(attachments[i].size, static_cast<uint64_t>(number(a, "size")));
  }
}

// `extra` is kept whole: its bytes render to exactly the listed object.
void expectExtra(const cJSON* json, const std::string& extra) {
  if (json == nullptr) {
    EXPECT_TRUE(extra.empty());
    return;
  }
  const std::optional<std::string> rendered = msgpackToJson(extra);
  ASSERT_TRUE(rendered.has_value());
  const Json kept = parseJson(*rendered);
  EXPECT_TRUE(cJSON_Compare(json, kept.get(), true)) << *rendered;
}

void expectMessage(const cJSON* json, const IncomingMessage& m) {
  EXPECT_EQ(m.id, string(json, "id"));
  EXPECT_EQ(m.channel_id, string(json, "channel_id"));
  EXPECT_EQ(m.guild_id, optString(json, "guild_id"));
  EXPECT_EQ(m.thread_id, optString(json, "thread_id"));
  expectAuthor(cJSON_GetObjectItemCaseSensitive(json, "author"), m.author);
  EXPECT_EQ(m.content, string(json, "content"));
  EXPECT_EQ(m.created_at, number(json, "created_at"));
  EXPECT_EQ(m.is_dm, flag(json, "is_dm", false));
  EXPECT_EQ(m.mentions_bot, flag(json, "mentions_bot", false));
  EXPECT_EQ(m.mentions, strings(json, "mentions"));
  EXPECT_EQ(m.bot_user_id, optString(json, "bot_user_id"));
  expectReplyTo(cJSON_GetObjectItemCaseSensitive(json, "reply_to"), m.reply_to);
  expectAttachments(cJSON_GetObjectItemCaseSensitive(json, "attachments"), m.attachments);
  expectExtra(cJSON_GetObjectItemCaseSensitive(json, "extra"), m.extra);
}

void expectEnvelope(const cJSON* json, const Envelope& e) {
  EXPECT_EQ(e.v, static_cast<int64_t>(number(json, "v")));
  EXPECT_EQ(e.type, string(json, "type"));
  EXPECT_EQ(e.event_id, string(json, "event_id"));
  EXPECT_EQ(e.platform, string(json, "platform"));
  EXPECT_EQ(e.sent_at, number(json, "sent_at"));
  EXPECT_EQ(e.trace_id, optString(json, "trace_id"));
  expectMessage(cJSON_GetObjectItemCaseSensitive(json, "message"), e.message);
}

class BusVectors : public ::testing::TestWithParam<VectorCase> {};

TEST_P(BusVectors, DecodesAsListed) {
  const VectorCase& c = GetParam();
  const std::string payload = readVector(c.file);
  ASSERT_FALSE(payload.empty()) << c.file;
  const DecodeResult result = decodeEnvelope(payload, LimitsConfig{});
  if (c.expect == "dead_letter") {
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.reason, c.reason);
    return;
  }
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_TRUE(result.reason.empty());
  const Json expected = parseJson(c.decoded_json);
  expectEnvelope(expected.get(), *result.value);
}

class ValidBusVectors : public ::testing::TestWithParam<VectorCase> {};

// What our gateway-side encoder writes from a decoded vector decodes to the same values.
TEST_P(ValidBusVectors, SurviveReencoding) {
  const VectorCase& c = GetParam();
  const DecodeResult first = decodeEnvelope(readVector(c.file), LimitsConfig{});
  ASSERT_TRUE(first.ok());
  const DecodeResult second = decodeEnvelope(encodeEnvelope(*first.value), LimitsConfig{});
  ASSERT_TRUE(second.ok()) << second.reason;
  EXPECT_EQ(*second.value, *first.value);
}

TEST(BusVectorsList, HasAllTwentyOneCases) {
  const std::vector<VectorCase> cases = loadCases();
  EXPECT_EQ(cases.size(), 21u);
}

INSTANTIATE_TEST_SUITE_P(Cases, BusVectors, ::testing::ValuesIn(loadCases()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Cases, ValidBusVectors, ::testing::ValuesIn(loadCases(true)),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace sg::test
