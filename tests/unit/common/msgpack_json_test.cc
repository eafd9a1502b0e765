// msgpackToJson: the rendering used to look into opaque payloads (tests, logs). What it must
// keep: a bounded output for any input, keys that are not strings shown as quoted text.
#include "common/msgpack_json.h"

#include <gtest/gtest.h>

#include "support/child_process.h"

namespace sg {
namespace {

TEST(MsgpackJson, KeysThatAreNotStringsAreQuoted) {
  // {1: true, [1]: nil, {"a": 1}: 2}
  static const char kBytes[] = "\x83\x01\xc3\x91\x01\xc0\x81\xa1" "a" "\x01\x02";
  const std::string bytes(kBytes, sizeof kBytes - 1);
  EXPECT_EQ(msgpackToJson(bytes), R"({"1":true,"$array":null,"$map":2})");
}

// Found by fuzzing: maps used as keys of maps, nested, used to be rendered and then escaped once
// per level, doubling the output with each level (1 KB in, hundreds of MB out).
TEST(MsgpackJson, OutputStaysProportionalToTheInput) {
  std::string input = test::readFile(std::string(SG_SOURCE_DIR) +
                                     "/tests/fuzz/seeds/nested_map_keys.msgpack");
  ASSERT_FALSE(input.empty());
  auto json = msgpackToJson(input);
  ASSERT_TRUE(json.has_value());
  EXPECT_LT(json->size(), 16 * input.size());
  // The same shape built directly: 40 levels of {key-map: 1}.
  std::string nested;
  for (int i = 0; i < 40; ++i) nested += "\x81";
  nested += "\x80";
  for (int i = 0; i < 40; ++i) nested += "\x01";
  auto deep = msgpackToJson(nested);
  ASSERT_TRUE(deep.has_value());
  EXPECT_LT(deep->size(), 1000u);
}

}  // namespace
}  // namespace sg
