// What a Redis command completes with: RedisResult, either a reply (a RedisReply view) or a
// named RedisError. Both are views, valid only during the callback that receives them: the
// underlying redisReply is freed by hiredis when the callback returns, so copy out what you
// need. This file does not send anything (redis_client.h does).
#pragma once

#include <hiredis/hiredis.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sg {

enum class RedisError {
  kNone,            // a reply arrived (it may still be a nil, or an error nested in an array)
  kNotConnected,    // refused at once: no usable connection right now (fail fast, never queued)
  kTimeout,         // no reply within the command's timeout; the connection was then reset
  kConnectionLost,  // the connection failed or was reset before the reply arrived
  kServer,          // Redis answered with an error reply ("-ERR ...", "-NOGROUP ...")
  kStopped,         // the client was stopped (or destroyed) before the reply arrived
  kOverloaded,      // refused at once: too many commands already awaiting replies
  kInvalid,         // refused at once: misuse (no arguments, a pub/sub verb, a command on a
                    // subscriber client)
};

// "not connected", "timeout", ...: for logs and metrics labels.
std::string_view toString(RedisError error);

// A read-only view of a redisReply (or of nothing: type kNone).
class RedisReply {
 public:
  enum class Type { kNone, kString, kArray, kInteger, kNil, kStatus, kError };

  RedisReply() = default;
  explicit RedisReply(const redisReply* reply) : reply_(reply) {}

  Type type() const;
  bool isString() const { return type() == Type::kString; }
  bool isArray() const { return type() == Type::kArray; }
  bool isInteger() const { return type() == Type::kInteger; }
  bool isNil() const { return type() == Type::kNil; }
  bool isStatus() const { return type() == Type::kStatus; }
  bool isError() const { return type() == Type::kError; }
  bool isOk() const { return isStatus() && str() == "OK"; }

  // The bytes of a string, status or error reply; empty for other types.
  std::string_view str() const;
  // An integer reply's value; 0 for other types.
  long long integer() const;
  // An integer reply, or a string reply holding a decimal integer (GET of a counter).
  std::optional<long long> toInteger() const;
  // Number of elements of an array reply; 0 for other types.
  size_t size() const;
  // Element i of an array reply; a kNone view when out of range or not an array.
  RedisReply operator[](size_t i) const;

  // A redis-cli-like rendering (for tests and debug logs), e.g. `["a", (integer) 1, (nil)]`.
  std::string debugString() const;
  const redisReply* raw() const { return reply_; }

 private:
  const redisReply* reply_ = nullptr;
};

class RedisResult {
 public:
  // A top-level error reply becomes kServer with its text as the message.
  static RedisResult fromReply(const redisReply* reply);
  static RedisResult failure(RedisError error, std::string_view message) {
    return RedisResult(error, message, nullptr);
  }

  bool ok() const { return error_ == RedisError::kNone; }
  RedisError error() const { return error_; }
  // Empty when ok(); the server's error text for kServer ("NOGROUP No such key ..."); a
  // description of the failure otherwise.
  std::string_view message() const { return message_; }
  // True for a server error of this code: the message's first word ("NOGROUP", "NOSCRIPT",
  // "WRONGTYPE", "BUSYGROUP", "ERR").
  bool isServerError(std::string_view code) const;
  // The reply when ok(); a kNone view otherwise.
  RedisReply reply() const { return RedisReply(ok() ? reply_ : nullptr); }

 private:
  RedisResult(RedisError error, std::string_view message, const redisReply* reply)
      : error_(error), message_(message), reply_(reply) {}

  RedisError error_;
  std::string_view message_;
  const redisReply* reply_;
};

}  // namespace sg
