// RedisArgs: builds a command's arguments for RedisClient::command() without copying the strings
// it is given. It holds views: each added string must stay valid until command() returns (hiredis
// copies the arguments into its output buffer there). Numbers and addCopy() strings are kept in
// storage the builder owns. Arguments are binary-safe. Movable, not copyable (views into its own
// storage would dangle).
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <concepts>
#include <deque>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sg {

class RedisArgs {
 public:
  RedisArgs() = default;
  RedisArgs(std::initializer_list<std::string_view> args) : views_(args) {}
  RedisArgs(RedisArgs&&) = default;
  RedisArgs& operator=(RedisArgs&&) = default;
  RedisArgs(const RedisArgs&) = delete;
  RedisArgs& operator=(const RedisArgs&) = delete;

  RedisArgs& add(std::string_view arg) {
    views_.push_back(arg);
    return *this;
  }
  RedisArgs& add(const char* arg) { return add(std::string_view(arg)); }
  RedisArgs& add(const std::string& arg) { return add(std::string_view(arg)); }
  RedisArgs& add(std::string&&) = delete;  // would dangle: use addCopy()
  template <std::integral T>
  RedisArgs& add(T value) {
    char text[24];
    auto result = std::to_chars(text, text + sizeof text, value);
    return addCopy(std::string(text, result.ptr));
  }
  template <std::floating_point T>
  RedisArgs& add(T value) {
    return addCopy(fmt::format("{}", value));  // shortest form that reads back exactly
  }
  // Keeps its own copy (for temporaries).
  RedisArgs& addCopy(std::string arg) {
    owned_.push_back(std::move(arg));  // deque: earlier elements never move
    return add(std::string_view(owned_.back()));
  }
  template <typename Range>
  RedisArgs& addAll(const Range& range) {
    for (const auto& arg : range) add(arg);
    return *this;
  }

  std::span<const std::string_view> views() const { return views_; }
  size_t size() const { return views_.size(); }
  bool empty() const { return views_.empty(); }
  void reserve(size_t count) { views_.reserve(count); }

 private:
  std::vector<std::string_view> views_;
  std::deque<std::string> owned_;
};

}  // namespace sg
