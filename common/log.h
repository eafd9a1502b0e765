// Logging: a fixed set of named spdlog loggers sharing one sink (stderr or a file), in text or
// JSON-lines format, with a level that can change at run time and a file that can be reopened
// (SIGUSR1, for logrotate). Secrets are wrapped in sg::Secret, whose formatter prints "***".
//
// Lines are written synchronously: a crashing worker loses no line, and writes to stderr or an
// appended file are short. This file does not decide what to log; callers name their subject
// (worker id, entry id, channel) in each line.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace sg {

// A value that must never reach a log: formatting it prints "***" (or "" when empty).
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const Secret& other) const { return value_ == other.value_; }

 private:
  std::string value_;
};

namespace log {

enum class Format { kText, kJson };

struct Options {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  Format format = Format::kText;
  std::string file;      // empty: stderr
  std::string instance;  // added to every line (e.g. worker-1a2b); may be empty
};

// (Re)configures the sink, format and level of every named logger. Safe to call again (reload).
// Returns false (and keeps the previous set-up) when the file cannot be opened.
[[nodiscard]] bool init(const Options& options, std::string* error = nullptr);

// Changes the level only; false for an unknown level name.
bool setLevel(std::string_view level);

// Reopens the log file (after rotation); no-op when logging to stderr.
void reopen();

// Parses "text"/"json"; false for anything else.
bool parseFormat(std::string_view text, Format* format);

// A named logger ("main", "config", "redis", "consumer", "llm", "proc", "sup", "http", "bus",
// "pipe", "test"). Unknown names are created on first use with the current set-up.
spdlog::logger& get(std::string_view name);

}  // namespace log
}  // namespace sg

template <>
struct fmt::formatter<sg::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const sg::Secret& secret, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(secret.empty() ? "" : "***", ctx);
  }
};
