// A small table-driven command-line parser shared by sg-worker and sg-supervisor: long options
// (--name VALUE, --name=VALUE, or flags without a value), the usage text generated from the same
// table so that --help and the man pages list the same flags. It does not know what the flags
// mean; the mains do.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sg {

struct CliOption {
  std::string_view name;      // "config" for --config
  std::string_view argument;  // "FILE"; empty for a flag without a value
  std::string_view help;
  std::function<bool(std::string_view value, std::string* error)> apply;
};

// Parses argv[1..]; returns "" or a message naming the offending argument.
[[nodiscard]] std::string parseCli(int argc, char** argv, const std::vector<CliOption>& options);

// "Usage: <program> <synopsis>\n\nOptions:\n  --config FILE   ...".
std::string cliUsage(std::string_view program, std::string_view synopsis,
                     const std::vector<CliOption>& options);

// `--set KEY=VALUE` (repeatable): appends the assignment to `assignments` (ConfigSources::cli).
CliOption configSetOption(std::vector<std::string>* assignments);
// A flag standing for one configuration key (`--redis-url URL` is `--set redis.url=URL`). `help`
// must outlive the option (a literal).
CliOption configKeyOption(std::string_view name, std::string_view argument, std::string_view key,
                          std::string_view help, std::vector<std::string>* assignments);
// A flag without a value that sets `*flag`.
CliOption switchOption(std::string_view name, std::string_view help, bool* flag);

// Parses a non-negative decimal integer that fits `max`; false on anything else.
bool parseUnsigned(std::string_view text, unsigned long long max, unsigned long long* out);

}  // namespace sg
