// Parsing and masking of Redis URLs (see redis_url.h).
#include "common/redis_url.h"

#include <cctype>

#include <charconv>
#include <limits>

namespace sg {
namespace {

// `, got "text"` when the text is plain (letters and digits only), else nothing: a malformed
// part of a URL may hold a password (redis://h:6379?password=...), and errors reach logs.
std::string gotIfPlain(std::string_view text) {
  if (text.empty() || text.size() > 32) return "";
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return "";
  }
  return ", got \"" + std::string(text) + "\"";
}


bool percentDecode(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out->push_back(text[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) return false;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return false;
    out->push_back(static_cast<char>(value));
    i += 2;
  }
  return true;
}

template <typename T>
bool parseNumber(std::string_view text, T max, T* out) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max) {
    return false;
  }
  *out = static_cast<T>(value);
  return true;
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// [[user]:password] (already split off the host part).
bool parseUserinfo(std::string_view info, RedisUrl* url, std::string* error) {
  size_t colon = info.find(':');
  std::string user, password;
  if (colon == std::string_view::npos) {
    // A lone "secret@" is taken as the password (redis-cli does the same), never as a user.
    if (!percentDecode(info, &password)) return fail(error, "bad percent-encoding in password");
  } else if (!percentDecode(info.substr(0, colon), &user) ||
             !percentDecode(info.substr(colon + 1), &password)) {
    return fail(error, "bad percent-encoding in user or password");
  }
  url->username = std::move(user);
  url->password = Secret(std::move(password));
  return true;
}

bool parseHostPort(std::string_view hostport, RedisUrl* url, std::string* error) {
  std::string_view host = hostport, port;
  if (hostport.starts_with('[')) {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return fail(error, "unclosed '[' in host");
    host = hostport.substr(1, close - 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return fail(error, "junk after ']' in host");
    if (!after.empty()) port = after.substr(1);
    if (after == ":") return fail(error, "empty port");
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    if (port.empty()) return fail(error, "empty port");
  }
  if (host.empty()) return fail(error, "missing host");
  if (host.find_first_of("/?#@ ") != std::string_view::npos) return fail(error, "bad host");
  url->host = std::string(host);
  if (!port.empty() && (!parseNumber<uint16_t>(port, 65535, &url->port) || url->port == 0)) {
    return fail(error, "port must be a number between 1 and 65535" + gotIfPlain(port));
  }
  return true;
}

bool parseTcp(std::string_view rest, RedisUrl* url, std::string* error) {
  // The password may hold any character once percent-encoded; the last '@' ends the userinfo.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    if (!parseUserinfo(rest.substr(0, at), url, error)) return false;
    rest = rest.substr(at + 1);
  }
  size_t slash = rest.find('/');
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (!parseHostPort(rest.substr(0, slash), url, error)) return false;
  if (!path.empty() &&
      !parseNumber<uint32_t>(path, std::numeric_limits<int32_t>::max(), &url->db)) {
    return fail(error, "bad database number" + gotIfPlain(path));
  }
  return true;
}

bool parseUnixQuery(std::string_view query, RedisUrl* url, std::string* error) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    if (key == "db") {
      if (!parseNumber<uint32_t>(value, std::numeric_limits<int32_t>::max(), &url->db)) {
        return fail(error, "bad database number" + gotIfPlain(value));
      }
    } else if (key == "password") {
      std::string password;
      if (!percentDecode(value, &password)) return fail(error, "bad percent-encoding in password");
      url->password = Secret(std::move(password));
    } else {
      return fail(error, "unknown parameter '" + std::string(key) + "' (expected db, password)");
    }
  }
  return true;
}

bool parseUnix(std::string_view rest, RedisUrl* url, std::string* error) {
  size_t question = rest.find('?');
  std::string_view path = rest.substr(0, question);
  if (!path.starts_with('/') || path.size() < 2) {
    return fail(error, "a unix socket URL needs an absolute path: unix:///path/to/redis.sock");
  }
  url->kind = RedisUrl::Kind::kUnix;
  url->path = std::string(path);
  return question == std::string_view::npos ||
         parseUnixQuery(rest.substr(question + 1), url, error);
}

}  // namespace

bool parseRedisUrl(std::string_view text, RedisUrl* out, std::string* error) {
  RedisUrl url;
  bool ok = false;
  if (text.starts_with("redis://")) {
    ok = parseTcp(text.substr(8), &url, error);
  } else if (text.starts_with("unix://")) {
    ok = parseUnix(text.substr(7), &url, error);
  } else if (size_t colon = text.find("://"); colon != std::string_view::npos) {
    std::string scheme = gotIfPlain(text.substr(0, colon)).empty()
                             ? std::string()
                             : " \"" + std::string(text.substr(0, colon)) + "\"";
    return fail(error, "unsupported scheme" + scheme + " (expected redis:// or unix://)");
  } else {
    return fail(error, "expected redis://[:password@]host[:port][/db] or unix:///path[?db=N]");
  }
  if (ok) *out = std::move(url);
  return ok;
}

std::string RedisUrl::masked() const {
  std::string auth;
  if (!username.empty() || !password.empty()) {
    auth = username + (password.empty() ? "" : ":***") + "@";
  }
  if (kind == Kind::kUnix) {
    std::string out = "unix://" + path + "?db=" + std::to_string(db);
    if (!password.empty()) out += "&password=***";
    return out;
  }
  bool v6 = host.find(':') != std::string::npos;
  return "redis://" + auth + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
         std::to_string(db);
}

}  // namespace sg
