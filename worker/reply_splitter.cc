// ReplySplitter: platform-sized parts at the best boundary, code fences closed and reopened
// (see reply_splitter.h).
//
// One pass, part by part. A part is the reopened fence (when the previous part cut a code block),
// then the longest stretch of the remaining text that still leaves room to close a fence, cut at
// the best boundary inside it, then the closing fence when the stretch ends inside a code block.
// The fence state at a cut comes from scanning the stretch's lines: a line whose first non-space
// characters (at most three spaces) are ``` opens a block with the rest of the line as its
// language, or closes the open one.
#include "worker/reply_splitter.h"

#include <algorithm>
#include <optional>

#include "common/utf8.h"

namespace sg {
namespace {

constexpr size_t kMinLimit = 16;
constexpr std::string_view kFence = "```";
constexpr std::string_view kClose = "\n```";
constexpr std::string_view kSpace = " \t\r\n";

// Bytes of the character at `pos` (an invalid byte counts as a character of its own).
size_t charBytes(std::string_view text, size_t pos) {
  size_t length = utf8CharLength(text, pos);
  return length == 0 ? 1 : length;
}

// Byte length of the longest prefix of `text` holding at most `count` code points.
size_t prefixBytes(std::string_view text, size_t count) {
  size_t pos = 0;
  for (size_t n = 0; n < count && pos < text.size(); ++n) pos += charBytes(text, pos);
  return pos;
}

std::string_view trimEnd(std::string_view text) {
  size_t end = text.find_last_not_of(kSpace);
  return end == std::string_view::npos ? std::string_view() : text.substr(0, end + 1);
}

std::string_view trimStart(std::string_view text) {
  size_t begin = text.find_first_not_of(kSpace);
  return begin == std::string_view::npos ? std::string_view() : text.substr(begin);
}

// The fence marker of a line, when the line is a fence: its text after up to three spaces.
std::optional<std::string_view> fenceLine(std::string_view line) {
  size_t indent = 0;
  while (indent < 3 && indent < line.size() && line[indent] == ' ') ++indent;
  line.remove_prefix(indent);
  if (line.substr(0, kFence.size()) != kFence) return std::nullopt;
  return line;
}

// The fence state after `text`, from `open` (the language of the open block, or nullopt).
std::optional<std::string> fenceAfter(std::string_view text, std::optional<std::string> open) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find('\n', start), text.size());
    if (auto marker = fenceLine(text.substr(start, end - start))) {
      if (open) {
        open.reset();
      } else {
        size_t ticks = std::min(marker->find_first_not_of('`'), marker->size());
        std::string_view lang = trimStart(marker->substr(ticks));
        open = std::string(lang.substr(0, std::min(lang.find_first_of(kSpace), lang.size())));
      }
    }
    start = end + 1;
  }
  return open;
}

struct Cut {
  size_t at;    // bytes of the window kept in this part
  size_t skip;  // separator bytes dropped after it
};

// Last occurrence of `separator` in `window` at or after `from`, as a cut.
std::optional<Cut> lastSeparator(std::string_view window, std::string_view separator, size_t from) {
  size_t at = window.rfind(separator);
  if (at == std::string_view::npos || at == 0 || at < from) return std::nullopt;
  return Cut{at, separator.size()};
}

// Moves a cut that falls inside a fence line back to the start of that line, so a fence is
// never split.
Cut avoidFenceLine(std::string_view rest, Cut cut) {
  size_t line_start = cut.at == 0 ? 0 : rest.rfind('\n', cut.at - 1);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  size_t line_end = std::min(rest.find('\n', line_start), rest.size());
  if (line_start > 0 && line_end > cut.at &&
      fenceLine(rest.substr(line_start, line_end - line_start))) {
    return Cut{line_start, 0};
  }
  return cut;
}

// The best cut of `rest` within its first `window_bytes`: a paragraph break, else a line break
// (either in the second half of the window), else the last space, else a break anywhere, else
// the window's end (a character boundary).
Cut bestCut(std::string_view rest, size_t window_bytes) {
  std::string_view window = rest.substr(0, window_bytes);
  size_t half = window.size() / 2;
  std::optional<Cut> cut = lastSeparator(window, "\n\n", half);
  if (!cut) cut = lastSeparator(window, "\n", half);
  if (!cut) cut = lastSeparator(window, " ", 1);
  if (!cut) cut = lastSeparator(window, "\n", 1);
  if (!cut) cut = Cut{window.size(), 0};
  return avoidFenceLine(rest, *cut);
}

class Splitter {
 public:
  Splitter(std::string_view text, size_t limit) : rest_(trimEnd(text)), limit_(limit) {
    rest_ = trimStart(rest_);
  }

  std::vector<std::string> run() {
    while (!trimStart(rest_).empty()) nextPart();
    return std::move(parts_);
  }

 private:
  std::string reopenPrefix() const {
    if (!open_) return "";
    std::string prefix = std::string(kFence) + *open_ + "\n";
    // An absurd language tag must not eat the part: reopen without it.
    if (codePointCount(prefix) + kClose.size() > limit_ / 2) prefix = std::string(kFence) + "\n";
    return prefix;
  }

  void nextPart() {
    std::string prefix = reopenPrefix();
    size_t prefix_points = codePointCount(prefix);
    std::optional<std::string> open_after_all = fenceAfter(rest_, open_);
    size_t close_points = open_after_all ? kClose.size() : 0;
    if (prefix_points + codePointCount(rest_) + close_points <= limit_) {
      emit(prefix, rest_, open_after_all.has_value());
      open_.reset();
      rest_ = {};
      return;
    }
    size_t budget = limit_ - prefix_points - kClose.size();
    Cut cut = bestCut(rest_, prefixBytes(rest_, budget));
    std::string_view chunk = rest_.substr(0, cut.at);
    open_ = fenceAfter(chunk, open_);
    emit(prefix, chunk, open_.has_value());
    rest_.remove_prefix(cut.at + cut.skip);
    if (!open_) rest_ = trimStart(rest_);
  }

  void emit(const std::string& prefix, std::string_view chunk, bool close) {
    std::string_view body = close ? chunk : trimEnd(chunk);
    if (trimStart(body).empty()) return;
    std::string part = prefix;
    part += body;
    if (close) part += part.back() == '\n' ? kFence : kClose;
    parts_.push_back(std::move(part));
  }

  std::string_view rest_;
  size_t limit_;
  std::optional<std::string> open_;  // language of the code block open where rest_ starts
  std::vector<std::string> parts_;
};

}  // namespace

size_t codePointCount(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); pos += charBytes(text, pos)) ++count;
  return count;
}

std::string_view truncateCodePoints(std::string_view text, size_t limit) {
  return text.substr(0, prefixBytes(text, limit));
}

std::vector<std::string> splitReply(std::string_view text, size_t limit) {
  return Splitter(text, std::max(limit, kMinLimit)).run();
}

}  // namespace sg
