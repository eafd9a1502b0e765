// JSON helpers: parse errors with positions, exact comparison, and RFC 7396 merge patch checked
// against the RFC's own examples (section 3 and appendix A).
#include "common/json.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

JsonPtr parsed(std::string_view text) {
  JsonParseError error;
  JsonPtr value = parseJson(text, &error);
  EXPECT_NE(value, nullptr) << text << ": " << error.text();
  return value;
}

std::string merged(std::string_view target, std::string_view patch) {
  JsonPtr patch_value = parsed(patch);
  return printJson(applyMergePatch(parsed(target), patch_value.get()).get());
}

TEST(Json, ParsesAndPrintsCompactly) {
  JsonPtr value = parsed(" {\"a\": [1, true, null, \"x\"]}\n");
  EXPECT_EQ(printJson(value.get()), R"({"a":[1,true,null,"x"]})");
}

TEST(Json, SyntaxErrorNamesLineAndColumn) {
  JsonParseError error;
  EXPECT_EQ(parseJson("{\n  \"a\": 1,\n  \"b\": }\n", &error), nullptr);
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 8);
  EXPECT_EQ(error.text(), "line 3, column 8: expected a value, got '}'");
}

TEST(Json, TruncatedInputIsUnexpectedEnd) {
  JsonParseError error;
  EXPECT_EQ(parseJson("{\"a\": [1, 2", &error), nullptr);
  EXPECT_EQ(error.message, "expected ',' or ']', got end of input");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.column, 12);
  EXPECT_EQ(parseJson("", &error), nullptr);
  EXPECT_EQ(error.text(), "line 1, column 1: expected a value, got end of input");
}

TEST(Json, TrailingTextIsAnError) {
  JsonParseError error;
  EXPECT_EQ(parseJson("{} x", &error), nullptr);
  EXPECT_EQ(error.column, 4);
  EXPECT_EQ(error.message, "expected end of input after the value, got 'x'");
  EXPECT_EQ(parseJson(std::string_view("{}\0", 3), &error), nullptr);
  EXPECT_EQ(error.message, "expected end of input after the value, got byte 0x00");
}

TEST(Json, SyntaxErrorsSayWhatWasExpected) {
  struct Case {
    const char* text;
    int column;
    const char* message;
  };
  const Case cases[] = {
      {R"({"a": 1,})", 9, "expected a member name (a string), got '}'"},
      {R"({"a" 1})", 6, "expected ':' after the member name, got '1'"},
      {R"({"a": 1 "b": 2})", 9, "expected ',' or '}', got '\"'"},
      {R"([1 2])", 4, "expected ',' or ']', got '2'"},
      {R"({"a": tru})", 7, "expected a value, got 't'"},
      {R"({"a": "x)", 7, "unterminated string"},
      {R"(["\q"])", 4, "invalid escape in a string"},
      {R"([-])", 3, "expected a digit, got ']'"},
      {R"([1e])", 4, "expected a digit, got ']'"},
  };
  for (const Case& c : cases) {
    JsonParseError error;
    EXPECT_EQ(parseJson(c.text, &error), nullptr) << c.text;
    EXPECT_EQ(error.column, c.column) << c.text;
    EXPECT_EQ(error.message, c.message) << c.text;
  }
}

TEST(Json, EqualityIsDeepAndIgnoresMemberOrder) {
  EXPECT_TRUE(jsonEqual(parsed(R"({"a":1,"b":[1,{"c":null}]})").get(),
                        parsed(R"({"b":[1,{"c":null}],"a":1})").get()));
  EXPECT_FALSE(jsonEqual(parsed("[1,2]").get(), parsed("[2,1]").get()));
  EXPECT_FALSE(jsonEqual(parsed(R"({"a":1})").get(), parsed(R"({"a":1,"b":2})").get()));
  EXPECT_FALSE(jsonEqual(parsed(R"({"a":1})").get(), parsed(R"({"a":"1"})").get()));
  EXPECT_FALSE(jsonEqual(parsed("1").get(), parsed("1.0000001").get()));
  EXPECT_TRUE(jsonEqual(nullptr, nullptr));
  EXPECT_FALSE(jsonEqual(parsed("null").get(), nullptr));
}

TEST(Json, DescribeQuotesAndCutsLongStrings) {
  EXPECT_EQ(describeJson(parsed(R"("abc")").get()), R"("abc")");
  EXPECT_EQ(describeJson(parsed("[1]").get()), "an array");
  EXPECT_EQ(describeJson(parsed("{}").get()), "an object");
  EXPECT_EQ(describeJson(parsed("-2.5").get()), "-2.5");
  std::string long_text = "\"" + std::string(100, 'x') + "\"";
  EXPECT_EQ(describeJson(parsed(long_text).get()), "\"" + std::string(60, 'x') + "...\"");
}

// RFC 7396 appendix A, every row.
TEST(MergePatch, RfcAppendixA) {
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  };
  const Case cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    JsonPtr expected = parsed(c.result);
    JsonPtr patch = parsed(c.patch);
    JsonPtr result = applyMergePatch(parsed(c.target), patch.get());
    EXPECT_TRUE(jsonEqual(result.get(), expected.get()))
        << c.target << " + " << c.patch << " gave " << printJson(result.get());
  }
}

// RFC 7396 section 3: the worked example.
TEST(MergePatch, RfcSectionThreeExample) {
  const char* target = R"({
    "title": "Goodbye!",
    "author": {"givenName": "John", "familyName": "Doe"},
    "tags": ["example", "sample"],
    "content": "This will be unchanged"
  })";
  const char* patch = R"({
    "title": "Hello!",
    "phoneNumber": "+01-123-456-7890",
    "author": {"familyName": null},
    "tags": ["example"]
  })";
  JsonPtr expected = parsed(R"({
    "title": "Hello!",
    "author": {"givenName": "John"},
    "tags": ["example"],
    "content": "This will be unchanged",
    "phoneNumber": "+01-123-456-7890"
  })");
  JsonPtr patch_value = parsed(patch);
  EXPECT_TRUE(jsonEqual(applyMergePatch(parsed(target), patch_value.get()).get(), expected.get()));
}

TEST(MergePatch, NullTargetAndPatchUntouched) {
  JsonPtr patch = parsed(R"({"a":{"b":null,"c":[null]}})");
  std::string before = printJson(patch.get());
  EXPECT_EQ(printJson(applyMergePatch(nullptr, patch.get()).get()), R"({"a":{"c":[null]}})");
  EXPECT_EQ(printJson(patch.get()), before);
}

TEST(MergePatch, NestedObjectsMergeArraysReplaceWhole) {
  EXPECT_EQ(merged(R"({"llm":{"model":"a","fallback_models":["x","y"]},"workers":2})",
                   R"({"llm":{"fallback_models":["z"]}})"),
            R"({"llm":{"model":"a","fallback_models":["z"]},"workers":2})");
  EXPECT_EQ(merged(R"({"a":1,"a":2})", R"({"a":null})"), "{}");  // duplicates all removed
}

}  // namespace
}  // namespace sg
