// ReplySplitter: parts never longer than the limit in code points, cut at the best boundary,
// never inside a character, with every code block closed and reopened (with its language) across
// parts, and no text lost.
#include "worker/reply_splitter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/utf8.h"

namespace sg {
namespace {

bool isFenceLine(std::string_view line) {
  size_t indent = line.find_first_not_of(' ');
  return indent != std::string_view::npos && indent <= 3 && line.substr(indent, 3) == "```";
}

// The text without whitespace and without fence lines: what must survive the split unchanged
// (the splitter adds fences and drops whitespace at cuts, nothing else).
std::string essence(const std::vector<std::string>& parts) {
  std::string squeezed;
  for (const std::string& part : parts) {
    size_t start = 0;
    while (start <= part.size()) {
      size_t end = std::min(part.find('\n', start), part.size());
      std::string_view line(part.data() + start, end - start);
      if (!isFenceLine(line)) {
        for (char c : line) {
          if (c != ' ' && c != '\t') squeezed += c;
        }
      }
      start = end + 1;
    }
  }
  return squeezed;
}

std::string squeeze(const std::string& text) {
  return essence({text});
}

size_t fenceLines(const std::string& part) {
  size_t count = 0;
  size_t start = 0;
  while (start <= part.size()) {
    size_t end = std::min(part.find('\n', start), part.size());
    count += isFenceLine(std::string_view(part.data() + start, end - start));
    start = end + 1;
  }
  return count;
}

void expectValidParts(const std::vector<std::string>& parts, size_t limit) {
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(codePointCount(parts[i]), limit) << "part " << i;
    EXPECT_TRUE(isValidUtf8(parts[i])) << "part " << i;
    EXPECT_EQ(fenceLines(parts[i]) % 2, 0u) << "part " << i << ":\n" << parts[i];
    EXPECT_NE(parts[i].find_first_not_of(" \n"), std::string::npos) << "blank part " << i;
  }
}

std::string longReplyWithCode() {
  std::string text;
  for (int section = 0; section < 6; ++section) {
    text += "## Section " + std::to_string(section) + "\n\n";
    for (int sentence = 0; sentence < 8; ++sentence) {
      text += "This is sentence " + std::to_string(sentence) + " of a paragraph about stars. ";
    }
    text += "\n\n```python\n";
    for (int line = 0; line < 12; ++line) {
      text += "def function_" + std::to_string(section) + "_" + std::to_string(line) +
              "(x):\n    return x * " + std::to_string(line) + "\n";
    }
    text += "```\n\n";
  }
  return text;
}

TEST(ReplySplitter, ShortTextIsOnePartAndBlankTextNone) {
  EXPECT_EQ(splitReply("hello", 2000), std::vector<std::string>{"hello"});
  EXPECT_EQ(splitReply("  hello \n", 2000), std::vector<std::string>{"hello"});
  EXPECT_TRUE(splitReply(" \n\t ", 2000).empty());
  EXPECT_TRUE(splitReply("", 2000).empty());
}

TEST(ReplySplitter, FiveThousandCharactersWithCodeBlocks) {
  std::string text = longReplyWithCode();
  while (codePointCount(text) < 5000) text += longReplyWithCode();
  text = std::string(truncateCodePoints(text, 5000));
  std::vector<std::string> parts = splitReply(text, 2000);
  ASSERT_GE(parts.size(), 3u);
  expectValidParts(parts, 2000);
  EXPECT_EQ(essence(parts), squeeze(text));
}

TEST(ReplySplitter, CodeBlockCutIsClosedAndReopenedWithItsLanguage) {
  std::string text = "Here is the code:\n\n```cpp\n";
  for (int i = 0; i < 200; ++i)
    text += "int value_" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  text += "```\nThat was it.";
  std::vector<std::string> parts = splitReply(text, 500);
  ASSERT_GE(parts.size(), 3u);
  expectValidParts(parts, 500);
  for (size_t i = 1; i + 1 < parts.size(); ++i) {
    EXPECT_EQ(parts[i].rfind("```cpp\n", 0), 0u) << parts[i];
    EXPECT_EQ(parts[i].substr(parts[i].size() - 3), "```");
  }
  EXPECT_NE(parts.back().find("That was it."), std::string::npos);
  // No line of code is cut or lost: every one appears whole in some part.
  for (int i = 0; i < 200; ++i) {
    std::string line = "int value_" + std::to_string(i) + " = " + std::to_string(i) + ";";
    bool found = false;
    for (const auto& part : parts) found = found || part.find(line + "\n") != std::string::npos;
    EXPECT_TRUE(found) << line;
  }
}

TEST(ReplySplitter, PrefersParagraphsThenLinesThenWords) {
  std::string paragraph(60, 'a');
  std::string text = paragraph + "\n\n" + paragraph + "\n\n" + paragraph;
  std::vector<std::string> parts = splitReply(text, 130);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], paragraph + "\n\n" + paragraph);
  EXPECT_EQ(parts[1], paragraph);

  std::string lines =
      std::string(50, 'b') + "\n" + std::string(50, 'c') + " " + std::string(50, 'd');
  parts = splitReply(lines, 80);
  EXPECT_EQ(parts, (std::vector<std::string>{std::string(50, 'b'), std::string(50, 'c'),
                                             std::string(50, 'd')}));

  std::string words;
  for (int i = 0; i < 40; ++i) words += "word" + std::to_string(i) + " ";
  parts = splitReply(words, 50);
  expectValidParts(parts, 50);
  for (const auto& part : parts) {
    EXPECT_NE(part.back(), ' ');
    EXPECT_EQ(part.rfind("word", 0), 0u) << "a word was cut: " << part;
  }
  EXPECT_EQ(essence(parts), squeeze(words));
}

TEST(ReplySplitter, MultiByteTextIsNeverCutInsideACharacter) {
  // A run without spaces forces hard cuts; shifting it by one byte at a time puts the cut at
  // every byte position of 2-, 3- and 4-byte characters.
  const std::string unit = "é漢😀a";
  for (size_t shift = 0; shift < 12; ++shift) {
    std::string text(shift, 'x');
    for (int i = 0; i < 60; ++i) text += unit;
    for (size_t limit : {16u, 17u, 23u, 40u}) {
      std::vector<std::string> parts = splitReply(text, limit);
      expectValidParts(parts, limit);
      std::string joined;
      for (const auto& part : parts) joined += part;
      EXPECT_EQ(joined, text) << "shift " << shift << " limit " << limit;
    }
  }
}

TEST(ReplySplitter, CountsCodePointsNotBytes) {
  std::string text;
  for (int i = 0; i < 1999; ++i) text += "é";  // 3998 bytes, 1999 characters
  EXPECT_EQ(splitReply(text, 2000).size(), 1u);
  text += "éé";
  EXPECT_EQ(splitReply(text, 2000).size(), 2u);
}

TEST(ReplySplitter, TruncateKeepsWholeCharacters) {
  EXPECT_EQ(truncateCodePoints("a😀b", 2), "a😀");
  EXPECT_EQ(truncateCodePoints("abc", 10), "abc");
  EXPECT_EQ(codePointCount("a😀b漢"), 4u);
}

TEST(ReplySplitter, UnclosedFenceInTheReplyIsClosed) {
  std::vector<std::string> parts = splitReply("look:\n```js\nlet x = 1;", 2000);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(fenceLines(parts[0]), 2u);
}

}  // namespace
}  // namespace sg
