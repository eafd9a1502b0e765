// Table-driven long-option parsing and usage text (see cli.h).
#include "common/cli.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace sg {
namespace {

const CliOption* findOption(std::string_view name, const std::vector<CliOption>& options) {
  for (const auto& option : options) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

}  // namespace

std::string parseCli(int argc, char** argv, const std::vector<CliOption>& options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return fmt::format("unexpected argument \"{}\"", arg);
    }
    std::string_view name = arg.substr(2);
    std::string_view value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const CliOption* option = findOption(name, options);
    if (option == nullptr) return fmt::format("unknown option --{}", name);
    if (option->argument.empty()) {
      if (has_value) return fmt::format("--{} takes no value", name);
    } else if (!has_value) {
      if (i + 1 >= argc) return fmt::format("--{} needs a value ({})", name, option->argument);
      value = argv[++i];
    }
    std::string error;
    if (!option->apply(value, &error)) return fmt::format("--{}: {}", name, error);
  }
  return "";
}

std::string cliUsage(std::string_view program, std::string_view synopsis,
                     const std::vector<CliOption>& options) {
  std::string text = fmt::format("Usage: {} {}\n\nOptions:\n", program, synopsis);
  size_t width = 0;
  for (const auto& option : options) {
    width = std::max(width, option.name.size() + option.argument.size() + 1);
  }
  for (const auto& option : options) {
    std::string left = fmt::format("--{} {}", option.name, option.argument);
    text += fmt::format("  {:<{}}  {}\n", left, width + 2, option.help);
  }
  return text;
}

CliOption configSetOption(std::vector<std::string>* assignments) {
  return {"set", "KEY=VALUE", "override one configuration key (repeatable), e.g. llm.model=x",
          [assignments](std::string_view value, std::string* error) {
            if (value.find('=') == std::string_view::npos) {
              *error = "expected KEY=VALUE";
              return false;
            }
            assignments->emplace_back(value);
            return true;
          }};
}

CliOption configKeyOption(std::string_view name, std::string_view argument, std::string_view key,
                          std::string_view help, std::vector<std::string>* assignments) {
  return {name, argument, help, [assignments, key](std::string_view value, std::string*) {
            assignments->push_back(fmt::format("{}={}", key, value));
            return true;
          }};
}

CliOption switchOption(std::string_view name, std::string_view help, bool* flag) {
  return {name, "", help, [flag](std::string_view, std::string*) {
            *flag = true;
            return true;
          }};
}

bool parseUnsigned(std::string_view text, unsigned long long max, unsigned long long* out) {
  unsigned long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value > max) {
    return false;
  }
  *out = value;
  return true;
}

}  // namespace sg
