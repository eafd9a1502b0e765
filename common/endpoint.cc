// Redis URL and HOST:PORT parsing (see endpoint.h).
#include "common/endpoint.h"

#include <spdlog/fmt/fmt.h>

#include <charconv>

namespace sg {
namespace {

constexpr std::string_view kUrlExample =
    "must be a URL such as redis://127.0.0.1:6379/0 or unix:///run/redis/redis.sock";

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

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percentDecode(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out->push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return false;  // '%' needs two hex digits after it
    int high = hexDigit(text[i + 1]);
    int low = hexDigit(text[i + 2]);
    if (high < 0 || low < 0) return false;
    out->push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return true;
}

// user:password, :password, or a lone password (as Jedis and Lettuce read it).
std::string parseUserinfo(std::string_view userinfo, RedisUrl* out) {
  std::string_view user;
  std::string_view password = userinfo;
  size_t colon = userinfo.find(':');
  if (colon != std::string_view::npos) {
    user = userinfo.substr(0, colon);
    password = userinfo.substr(colon + 1);
  }
  std::string decoded;
  if (!percentDecode(user, &out->username) || !percentDecode(password, &decoded)) {
    return "invalid percent-encoding in the user name or password";
  }
  out->password = Secret(std::move(decoded));
  return "";
}

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

std::string parsePort(std::string_view text, uint16_t* port) {
  uint64_t value = 0;
  if (!parseNumber(text, 65535, &value) || value == 0) {
    return fmt::format("port must be a number between 1 and 65535, got \"{}\"", text);
  }
  *port = static_cast<uint16_t>(value);
  return "";
}

std::string parseDb(std::string_view text, uint32_t* db) {
  uint64_t value = 0;
  if (!parseNumber(text, 0x7fffffff, &value)) {
    return fmt::format("database must be a number, got \"{}\"", text);
  }
  *db = static_cast<uint32_t>(value);
  return "";
}

std::string parseTcp(std::string_view rest, RedisUrl* out) {
  if (rest.find('?') != std::string_view::npos) return "query parameters are not supported";
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view port_text;
  if (auto error = splitHostPort(authority, &out->host, &port_text); !error.empty()) return error;
  if (!port_text.empty()) {
    if (auto error = parsePort(port_text, &out->port); !error.empty()) return error;
  }
  if (slash == std::string_view::npos) return "";
  std::string_view db_text = rest.substr(slash + 1);
  return db_text.empty() ? "" : parseDb(db_text, &out->db);
}

std::string parseUnix(std::string_view rest, RedisUrl* out) {
  out->unix_socket = true;
  size_t question = rest.find('?');
  out->path = std::string(rest.substr(0, question));
  if (out->path.size() < 2 || out->path.front() != '/') {
    return "unix:// needs an absolute socket path (unix:///run/redis/redis.sock)";
  }
  if (question == std::string_view::npos) return "";
  std::string_view query = rest.substr(question + 1);
  if (query.substr(0, 3) != "db=") return "the only query parameter supported is db=N";
  return parseDb(query.substr(3), &out->db);
}

}  // namespace

std::string parseRedisUrl(std::string_view url, RedisUrl* out) {
  UrlParts parts;
  if (!splitUrl(url, &parts)) return std::string(kUrlExample);
  if (parts.scheme != "redis" && parts.scheme != "unix") {
    return fmt::format("unsupported scheme \"{}\" (expected redis:// or unix://)", parts.scheme);
  }
  RedisUrl result;
  if (parts.has_userinfo) {
    if (auto error = parseUserinfo(parts.userinfo, &result); !error.empty()) return error;
  }
  std::string error =
      parts.scheme == "unix" ? parseUnix(parts.rest, &result) : parseTcp(parts.rest, &result);
  if (!error.empty()) return error;
  *out = std::move(result);
  return "";
}

std::string maskRedisUrl(std::string_view url) {
  UrlParts parts;
  if (!splitUrl(url, &parts) || !parts.has_userinfo) return std::string(url);
  size_t colon = parts.userinfo.find(':');
  std::string_view user =
      colon == std::string_view::npos ? std::string_view() : parts.userinfo.substr(0, colon);
  return fmt::format("{}://{}:***@{}", parts.scheme, user, parts.rest);
}

std::string parseHostPort(std::string_view text, std::string* host, uint16_t* port) {
  std::string parsed_host;
  std::string_view port_text;
  if (auto error = splitHostPort(text, &parsed_host, &port_text); !error.empty()) return error;
  if (port_text.empty()) return "missing port";
  uint16_t parsed_port = 0;
  if (auto error = parsePort(port_text, &parsed_port); !error.empty()) return error;
  *host = std::move(parsed_host);
  *port = parsed_port;
  return "";
}

}  // namespace sg
