// The SSE parser on real-shaped streams (OpenRouter's comments, CRLF and CR line ends, data with
// and without a space, multi-line data, split UTF-8), fed whole, split at every byte position,
// and byte by byte: the events must be the same every time.
#include "worker/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sg {
namespace {

struct Seen {
  std::string type;
  std::string data;
  std::string id;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> parseInPieces(const std::string& stream, const std::vector<size_t>& cuts,
                                SseParser* parser = nullptr) {
  SseParser local;
  SseParser& p = parser != nullptr ? *parser : local;
  std::vector<Seen> seen;
  auto onEvent = [&](const SseEvent& e) {
    seen.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
    return true;
  };
  size_t start = 0;
  for (size_t cut : cuts) {
    EXPECT_EQ(p.feed(std::string_view(stream).substr(start, cut - start), onEvent),
              SseParser::Status::kOk);
    start = cut;
  }
  EXPECT_EQ(p.feed(std::string_view(stream).substr(start), onEvent), SseParser::Status::kOk);
  return seen;
}

// An OpenRouter stream as it comes off the wire, with every kind of line end mixed in.
const std::string kStream =
    "\xEF\xBB\xBF"
    ": OPENROUTER PROCESSING\n\n"
    ": OPENROUTER PROCESSING\r\n\r\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9llo \xF0\x9F\x8C\x8D\"}}]}\n\n"
    "data:{\"choices\":[{\"delta\":{\"content\":\"no space\"}}]}\r\n\r\n"
    "event: message\rid: 7\rdata: first line\rdata: second line\r\r"
    "retry: 1000\n"
    "data\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3}}\r\n\n"
    "data: [DONE]\n\n";

const std::vector<Seen> kExpected = {
    {"", "{\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9llo \xF0\x9F\x8C\x8D\"}}]}", ""},
    {"", "{\"choices\":[{\"delta\":{\"content\":\"no space\"}}]}", ""},
    {"message", "first line\nsecond line", "7"},
    {"", "", "7"},
    {"", "{\"choices\":[],\"usage\":{\"prompt_tokens\":3}}", "7"},
    {"", "[DONE]", "7"},
};

TEST(SseParser, ParsesARealShapedStreamWhole) {
  SseParser parser;
  EXPECT_EQ(parseInPieces(kStream, {}, &parser), kExpected);
  EXPECT_EQ(parser.comments(), 2u);
  EXPECT_FALSE(parser.partial());
}

TEST(SseParser, SameEventsWhenSplitAtEveryBytePosition) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    EXPECT_EQ(parseInPieces(kStream, {cut}), kExpected) << "split at byte " << cut;
  }
}

TEST(SseParser, SameEventsWhenSplitAtEveryPairOfPositions) {
  for (size_t a = 0; a <= kStream.size(); a += 3) {
    for (size_t b = a; b <= kStream.size(); b += 5) {
      ASSERT_EQ(parseInPieces(kStream, {a, b}), kExpected) << "split at " << a << " and " << b;
    }
  }
}

TEST(SseParser, SameEventsByteByByte) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < kStream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(parseInPieces(kStream, cuts), kExpected);
}

TEST(SseParser, CarriageReturnAtTheEndOfAPiecePairsWithTheNextLineFeed) {
  std::string stream = "data: a\r\n\r\ndata: b\r\n\r\n";
  // Cut right after each "\r": the "\n" that follows must not make an extra blank line.
  EXPECT_EQ(parseInPieces(stream, {8, 10}), (std::vector<Seen>{{"", "a", ""}, {"", "b", ""}}));
}

TEST(SseParser, AnEventNotEndedByABlankLineIsNotDispatched) {
  SseParser parser;
  std::vector<Seen> seen = parseInPieces("data: complete\n\ndata: cut", {}, &parser);
  EXPECT_EQ(seen, (std::vector<Seen>{{"", "complete", ""}}));
  EXPECT_TRUE(parser.partial());
  SseParser line_only;
  parseInPieces("data: cut\n", {}, &line_only);
  EXPECT_TRUE(line_only.partial());
}

TEST(SseParser, OnlyOneLeadingSpaceIsDropped) {
  EXPECT_EQ(parseInPieces("data:  two\n\n", {}), (std::vector<Seen>{{"", " two", ""}}));
}

TEST(SseParser, HandlerCanStopParsing) {
  SseParser parser;
  int calls = 0;
  auto status = parser.feed("data: 1\n\ndata: 2\n\n", [&](const SseEvent&) {
    ++calls;
    return false;
  });
  EXPECT_EQ(status, SseParser::Status::kStopped);
  EXPECT_EQ(calls, 1);
}

TEST(SseParser, OversizedEventsAreRefused) {
  SseParser parser(64);
  std::string big = "data: " + std::string(100, 'x');
  EXPECT_EQ(parser.feed(big, [](const SseEvent&) { return true; }), SseParser::Status::kTooLarge);
  SseParser lines(64);
  std::string many;
  for (int i = 0; i < 20; ++i) many += "data: 0123456789\n";
  EXPECT_EQ(lines.feed(many, [](const SseEvent&) { return true; }), SseParser::Status::kTooLarge);
}

}  // namespace
}  // namespace sg
