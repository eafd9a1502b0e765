// Reply views and results (see redis_reply.h).
#include "common/redis_reply.h"

#include <charconv>

namespace sg {

std::string_view toString(RedisError error) {
  switch (error) {
    case RedisError::kNone:
      return "ok";
    case RedisError::kNotConnected:
      return "not connected";
    case RedisError::kTimeout:
      return "timeout";
    case RedisError::kConnectionLost:
      return "connection lost";
    case RedisError::kServer:
      return "server error";
    case RedisError::kStopped:
      return "stopped";
    case RedisError::kOverloaded:
      return "overloaded";
    case RedisError::kInvalid:
      return "invalid";
  }
  return "unknown";
}

RedisReply::Type RedisReply::type() const {
  if (reply_ == nullptr) return Type::kNone;
  switch (reply_->type) {
    case REDIS_REPLY_STRING:
      return Type::kString;
    case REDIS_REPLY_ARRAY:
      return Type::kArray;
    case REDIS_REPLY_INTEGER:
      return Type::kInteger;
    case REDIS_REPLY_NIL:
      return Type::kNil;
    case REDIS_REPLY_STATUS:
      return Type::kStatus;
    case REDIS_REPLY_ERROR:
      return Type::kError;
    default:
      return Type::kNone;
  }
}

std::string_view RedisReply::str() const {
  Type t = type();
  if (t != Type::kString && t != Type::kStatus && t != Type::kError) return {};
  return std::string_view(reply_->str, reply_->len);
}

long long RedisReply::integer() const {
  return isInteger() ? reply_->integer : 0;
}

std::optional<long long> RedisReply::toInteger() const {
  if (isInteger()) return reply_->integer;
  if (!isString()) return std::nullopt;
  std::string_view text = str();
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

size_t RedisReply::size() const {
  return isArray() ? reply_->elements : 0;
}

RedisReply RedisReply::operator[](size_t i) const {
  return i < size() ? RedisReply(reply_->element[i]) : RedisReply();
}

std::string RedisReply::debugString() const {
  switch (type()) {
    case Type::kNone:
      return "(none)";
    case Type::kNil:
      return "(nil)";
    case Type::kInteger:
      return "(integer) " + std::to_string(integer());
    case Type::kStatus:
      return std::string(str());
    case Type::kError:
      return "(error) " + std::string(str());
    case Type::kString:
      return "\"" + std::string(str()) + "\"";
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < size(); ++i) out += (i ? ", " : "") + (*this)[i].debugString();
      return out + "]";
    }
  }
  return {};
}

RedisResult RedisResult::fromReply(const redisReply* reply) {
  if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
    return RedisResult(RedisError::kServer, std::string_view(reply->str, reply->len), nullptr);
  }
  return RedisResult(RedisError::kNone, {}, reply);
}

bool RedisResult::isServerError(std::string_view code) const {
  if (error_ != RedisError::kServer || !message_.starts_with(code)) return false;
  return message_.size() == code.size() || message_[code.size()] == ' ';
}

}  // namespace sg
