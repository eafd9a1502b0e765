// Named loggers over one shared, reopenable sink; text or JSON-lines formatting (see log.h).
#include "common/log.h"

#include <spdlog/details/os.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

namespace sg::log {
namespace {

// Writes to stderr or to an appended file that reopen() can swap after rotation.
class ReopenableSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool open(const std::string& path, std::string* error) {
    std::lock_guard<std::mutex> lock(mutex_);
    FILE* next = stderr;
    if (!path.empty()) {
      next = std::fopen(path.c_str(), "ae");
      if (next == nullptr) {
        if (error) *error = "cannot open log file " + path + ": " + std::strerror(errno);
        return false;
      }
    }
    closeLocked();
    file_ = next;
    path_ = path;
    return true;
  }
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (path_.empty()) return;
    FILE* next = std::fopen(path_.c_str(), "ae");
    if (next == nullptr) return;  // keep writing to the old file rather than lose lines
    closeLocked();
    file_ = next;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::fwrite(formatted.data(), 1, formatted.size(), file_);
    std::fflush(file_);
  }
  void flush_() override { std::fflush(file_); }

 private:
  void closeLocked() {
    if (file_ != nullptr && file_ != stderr) std::fclose(file_);
    file_ = stderr;
  }
  FILE* file_ = stderr;
  std::string path_;
};

void appendJsonString(std::string_view text, spdlog::memory_buf_t& out) {
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// One JSON object per line: ts (Unix seconds), level, logger, instance, pid, msg.
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string instance) : instance_(std::move(instance)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    double ts = duration<double>(msg.time.time_since_epoch()).count();
    fmt::format_to(std::back_inserter(dest), "{{\"ts\":{:.6f},\"level\":", ts);
    auto level = spdlog::level::to_string_view(msg.level);
    appendJsonString(std::string_view(level.data(), level.size()), dest);
    dest.append(std::string_view(",\"logger\":"));
    appendJsonString(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    if (!instance_.empty()) {
      dest.append(std::string_view(",\"instance\":"));
      appendJsonString(instance_, dest);
    }
    fmt::format_to(std::back_inserter(dest), ",\"pid\":{},\"msg\":", pid_);
    appendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(instance_);
  }

 private:
  std::string instance_;
  int pid_ = static_cast<int>(spdlog::details::os::pid());
};

struct Registry {
  std::mutex mutex;
  std::shared_ptr<ReopenableSink> sink = std::make_shared<ReopenableSink>();
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  spdlog::level::level_enum level = spdlog::level::info;
};

Registry& registry() {
  static Registry* instance = new Registry();  // never destroyed: loggers outlive static teardown
  return *instance;
}

std::unique_ptr<spdlog::formatter> makeFormatter(const Options& options) {
  if (options.format == Format::kJson) return std::make_unique<JsonFormatter>(options.instance);
  std::string pattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n]";
  if (!options.instance.empty()) pattern += " " + options.instance;
  pattern += " %v";
  return std::make_unique<spdlog::pattern_formatter>(pattern);
}

bool parseLevel(std::string_view text, spdlog::level::level_enum* level) {
  static const std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [name, value] : kLevels) {
    if (name == text) {
      *level = value;
      return true;
    }
  }
  return false;
}

}  // namespace

bool parseFormat(std::string_view text, Format* format) {
  if (text == "text") {
    *format = Format::kText;
  } else if (text == "json") {
    *format = Format::kJson;
  } else {
    return false;
  }
  return true;
}

bool init(const Options& options, std::string* error) {
  spdlog::level::level_enum level;
  if (!parseLevel(options.level, &level)) {
    if (error) *error = "unknown log level " + options.level;
    return false;
  }
  auto& reg = registry();
  if (!reg.sink->open(options.file, error)) return false;
  std::lock_guard<std::mutex> lock(reg.mutex);
  reg.sink->set_formatter(makeFormatter(options));
  reg.level = level;
  for (auto& [name, logger] : reg.loggers) logger->set_level(level);
  return true;
}

bool setLevel(std::string_view text) {
  spdlog::level::level_enum level;
  if (!parseLevel(text, &level)) return false;
  auto& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  reg.level = level;
  for (auto& [name, logger] : reg.loggers) logger->set_level(level);
  return true;
}

void reopen() { registry().sink->reopen(); }

spdlog::logger& get(std::string_view name) {
  auto& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto found = reg.loggers.find(name);
  if (found != reg.loggers.end()) return *found->second;
  auto logger = std::make_shared<spdlog::logger>(std::string(name), reg.sink);
  logger->set_level(reg.level);
  logger->flush_on(spdlog::level::trace);
  auto [it, inserted] = reg.loggers.emplace(std::string(name), std::move(logger));
  return *it->second;
}

}  // namespace sg::log
