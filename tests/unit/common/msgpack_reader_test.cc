// The MessagePack cursor and structural scan under the bus codec, and the JSON renderer and
// UTF-8 check beside it: every format family, exact ends, depth counting, hostile sizes.
#include "common/msgpack_reader.h"

#include <gtest/gtest.h>

#include "common/msgpack_json.h"
#include "common/utf8.h"
#include "support/json_msgpack.h"

namespace sg::test {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

mp::Item readOne(const std::string& data) {
  mp::Reader reader(data);
  mp::Item item;
  EXPECT_TRUE(reader.read(&item));
  EXPECT_TRUE(reader.atEnd());
  return item;
}

TEST(MsgpackReader, Integers) {
  EXPECT_EQ(readOne(bytes({0x7f})).u, 127u);
  EXPECT_EQ(readOne(bytes({0xe0})).i, -32);
  EXPECT_TRUE(readOne(bytes({0xe0})).negative);
  EXPECT_EQ(readOne(bytes({0xcc, 0xff})).u, 255u);
  EXPECT_EQ(readOne(bytes({0xcd, 0x01, 0x00})).u, 256u);
  EXPECT_EQ(readOne(bytes({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})).u, UINT64_MAX);
  EXPECT_EQ(readOne(bytes({0xd0, 0x80})).i, -128);
  EXPECT_EQ(readOne(bytes({0xd1, 0xff, 0xfe})).i, -2);
  EXPECT_EQ(readOne(bytes({0xd2, 0x00, 0x00, 0x00, 0x05})).u, 5u);  // a positive signed int
  EXPECT_FALSE(readOne(bytes({0xd2, 0x00, 0x00, 0x00, 0x05})).negative);
  EXPECT_EQ(readOne(bytes({0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0})).i, INT64_MIN);
}

TEST(MsgpackReader, StringsBinExtAndContainers) {
  EXPECT_EQ(readOne(bytes({0xa3, 'a', 'b', 'c'})).bytes, "abc");
  EXPECT_EQ(readOne(bytes({0xd9, 0x01, 'x'})).type, mp::Type::kStr);
  EXPECT_EQ(readOne(bytes({0xda, 0x00, 0x01, 'x'})).bytes, "x");
  EXPECT_EQ(readOne(bytes({0xdb, 0x00, 0x00, 0x00, 0x01, 'x'})).bytes, "x");
  EXPECT_EQ(readOne(bytes({0xc4, 0x02, 0x00, 0xff})).type, mp::Type::kBin);
  const mp::Item ext = readOne(bytes({0xd4, 0x05, 0x01}));
  EXPECT_EQ(ext.type, mp::Type::kExt);
  EXPECT_EQ(ext.ext_type, 5);
  EXPECT_EQ(ext.bytes.size(), 1u);
  EXPECT_EQ(readOne(bytes({0xc7, 0x02, 0xff, 0x01, 0x02})).ext_type, -1);
  EXPECT_EQ(readOne(bytes({0xca, 0x3f, 0xc0, 0x00, 0x00})).f, 1.5);
  EXPECT_EQ(readOne(bytes({0xdc, 0x00, 0x03})).count, 3u);  // header only
  EXPECT_EQ(readOne(bytes({0xdf, 0x00, 0x01, 0x00, 0x00})).count, 65536u);
}

TEST(MsgpackReader, RefusesTruncationAndTheUnusedByte) {
  mp::Item item;
  for (const std::string& data :
       {bytes({}), bytes({0xc1}), bytes({0xa3, 'a'}), bytes({0xcd, 0x01}), bytes({0xdb, 0xff}),
        bytes({0xc6, 0xff, 0xff, 0xff, 0xff, 0x00}), bytes({0xd8, 0x01})}) {
    mp::Reader reader(data);
    EXPECT_FALSE(reader.read(&item)) << testing::PrintToString(data);
  }
}

TEST(MsgpackScan, ExactlyOneObject) {
  EXPECT_EQ(mp::scan(bytes({0x01}), 16), mp::ScanStatus::kOk);
  EXPECT_EQ(mp::scan(bytes({0x01, 0x02}), 16), mp::ScanStatus::kMalformed);
  EXPECT_EQ(mp::scan(bytes({0x92, 0x01}), 16), mp::ScanStatus::kMalformed);
  EXPECT_EQ(mp::scan(bytes({0x81, 0x01}), 16), mp::ScanStatus::kMalformed);
  EXPECT_EQ(mp::scan(bytes({0x81, 0x01, 0x90}), 16), mp::ScanStatus::kOk);
  EXPECT_EQ(mp::scan(bytes({0xdd, 0xff, 0xff, 0xff, 0xff}), 16), mp::ScanStatus::kMalformed);
}

TEST(MsgpackScan, CountsContainerDepth) {
  const auto nested = [](int levels) { return std::string(levels, '\x91') + "\x01"; };
  EXPECT_EQ(mp::scan(nested(16), 16), mp::ScanStatus::kOk);
  EXPECT_EQ(mp::scan(nested(17), 16), mp::ScanStatus::kTooDeep);
  EXPECT_EQ(mp::scan(std::string(16, '\x91') + "\x90", 16), mp::ScanStatus::kTooDeep);
  EXPECT_EQ(mp::scan("\x01", 0), mp::ScanStatus::kOk);
  EXPECT_EQ(mp::scan("\x90", 0), mp::ScanStatus::kTooDeep);
  // Too deep but cut short, or followed by junk: malformed.
  EXPECT_EQ(mp::scan(std::string(40, '\x91'), 16), mp::ScanStatus::kMalformed);
  EXPECT_EQ(mp::scan(nested(40) + "\x01", 16), mp::ScanStatus::kMalformed);
  // Siblings after a closed deep branch are at the right depth again.
  const std::string wide = "\x92" + std::string(15, '\x91') + "\x01" + "\x91\x01";
  EXPECT_EQ(mp::scan(wide, 16), mp::ScanStatus::kOk);
  // Depth beyond kMaxScanDepth is clamped.
  EXPECT_EQ(mp::scan(nested(200), 1000), mp::ScanStatus::kTooDeep);
  EXPECT_EQ(mp::scan(nested(128), 1000), mp::ScanStatus::kOk);
}

TEST(MsgpackJson, RendersEveryType) {
  const std::string data = jsonToMsgpack(
      R"({"s": "a\"b\n", "i": -3, "u": 7, "f": 2.5, "t": true, "n": null, "a": [1, {"$bin": "00ff"}]})");
  EXPECT_EQ(*msgpackToJson(data),
            R"({"s":"a\"b\n","i":-3,"u":7,"f":2.5,"t":true,"n":null,"a":[1,{"$bin":"00ff"}]})");
  EXPECT_EQ(*msgpackToJson(bytes({0x81, 0x01, 0x02})), R"({"1":2})");
  EXPECT_EQ(*msgpackToJson(bytes({0xd4, 0x05, 0xab})), R"({"$ext":5,"hex":"ab"})");
  EXPECT_EQ(*msgpackToJson(bytes({0xa2, 'a', 0x80})), "\"a\xef\xbf\xbd\"");
  EXPECT_EQ(*msgpackToJson(bytes({0xa1, 0x01})), R"("\u0001")");
  EXPECT_EQ(*msgpackToJson(bytes({0xcb, 0x41, 0xda, 0x4a, 0x45, 0x38, 0x20, 0x00, 0x00})),
            "1764300000.5");
  EXPECT_EQ(*msgpackToJson(bytes({0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0})), "null");
  EXPECT_FALSE(msgpackToJson(bytes({0x92, 0x01})).has_value());
  EXPECT_FALSE(msgpackToJson(std::string(70, '\x91') + "\x01").has_value());
}

TEST(Utf8, AcceptsWellFormedAndRejectsTheRest) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii, long enough for the fast path"));
  EXPECT_TRUE(isValidUtf8("Ünïcødé ✨ 星 🚀 👩‍🚀"));
  EXPECT_TRUE(isValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_TRUE(isValidUtf8("\xed\x9f\xbf"));      // U+D7FF
  EXPECT_FALSE(isValidUtf8("\x80"));
  EXPECT_FALSE(isValidUtf8("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(isValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(isValidUtf8("abcdefgh\xe2\x82"));  // truncated after the fast path
  EXPECT_EQ(utf8CharLength("a\xe2\x9c\xa8", 1), 3u);
  EXPECT_EQ(utf8CharLength("a\xe2\x9c", 1), 0u);
  EXPECT_EQ(utf8CharLength("a", 1), 0u);
}

}  // namespace
}  // namespace sg::test
