// Redis URL and HOST:PORT parsing (see endpoint.h).
#include "common/endpoint.h"

#include <spdlog/fmt/fmt.h>

#include <charconv>

namespace sg {
namespace {

// The parts of scheme://[userinfo@]rest; userinfo is empty when there is none.
struct UrlParts {
  std::string_view scheme;
  std::string_view userinfo;
  std::string_view rest;
  bool has_userinfo = false;
};

bool splitUrl(std::string_view url, UrlParts* parts) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  parts->scheme = url.substr(0, scheme_end);
  std::string_view after = url.substr(scheme_end + 3);
  // The last '@' ends the user-info, so a password may hold '/' or ':' unencoded.
  size_t at = after.rfind('@');
  if (at == std::string_view::npos) {
    parts->rest = after;
    return true;
  }
  parts->has_userinfo = true;
  parts->userinfo = after.substr(0, at);
  parts->rest = after.substr(at + 1);
  return true;
}

bool parseNumber(std::string_view text, uint64_t max, uint64_t* out) {
  if (text.empty()) return false;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return false;
  *out = value;
  return true;
}

// user:password, :password, or a lone password (as Jedis and Lettuce read it).
std::string splitHostPort(std::string_view text, std::string* host, std::string_view* port) {
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return "unterminated '[' in the host";
    *host = std::string(text.substr(1, close - 1));
    std::string_view after = text.substr(close + 1);
    if (!after.empty() && after.front() != ':') return "unexpected text after ']'";
    *port = after.empty() ? std::string_view() : after.substr(1);
    if (!after.empty() && port->empty()) return "empty port";
  } else {
    size_t colon = text.rfind(':');
    *host = std::string(text.substr(0, colon));
    *port = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    if (colon != std::string_view::npos && port->empty()) return "empty port";
  }
  if (host->empty()) return "empty host";
  return "";
}

std::string parsePort(std::string_view text, uint16_t* port, bool allow_zero) {
  uint64_t value = 0;
  if (!parseNumber(text, 65535, &value) || (value == 0 && !allow_zero)) {
    return fmt::format("port must be a number between 1 and 65535, got \"{}\"", text);
  }
  *port = static_cast<uint16_t>(value);
  return "";
}

}  // namespace

std::string maskRedisUrl(std::string_view url) {
  UrlParts parts;
  if (!splitUrl(url, &parts) || !parts.has_userinfo) return std::string(url);
  size_t colon = parts.userinfo.find(':');
  std::string_view user =
      colon == std::string_view::npos ? std::string_view() : parts.userinfo.substr(0, colon);
  return fmt::format("{}://{}:***@{}", parts.scheme, user, parts.rest);
}

std::string parseHostPort(std::string_view text, std::string* host, uint16_t* port,
                          bool allow_port_zero) {
  std::string parsed_host;
  std::string_view port_text;
  if (auto error = splitHostPort(text, &parsed_host, &port_text); !error.empty()) return error;
  if (port_text.empty()) return "missing port";
  uint16_t parsed_port = 0;
  if (auto error = parsePort(port_text, &parsed_port, allow_port_zero); !error.empty()) {
    return error;
  }
  *host = std::move(parsed_host);
  *port = parsed_port;
  return "";
}

}  // namespace sg
