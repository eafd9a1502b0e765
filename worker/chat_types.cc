// Names and constructors of the chat model (see chat_types.h).
#include "worker/chat_types.h"

namespace sg {

const char* chatErrorName(ChatError error) {
  switch (error) {
    case ChatError::kNone:
      return "ok";
    case ChatError::kCancelled:
      return "cancelled";
    case ChatError::kDeadline:
      return "deadline";
    case ChatError::kFirstTokenTimeout:
      return "first_token_timeout";
    case ChatError::kAttemptTimeout:
      return "attempt_timeout";
    case ChatError::kConnection:
      return "connection";
    case ChatError::kRateLimited:
      return "rate_limited";
    case ChatError::kServerError:
      return "server_error";
    case ChatError::kClientError:
      return "client_error";
    case ChatError::kAuth:
      return "auth";
    case ChatError::kUpstream:
      return "upstream";
    case ChatError::kTruncated:
      return "truncated";
    case ChatError::kMalformed:
      return "malformed";
    case ChatError::kBadToolCall:
      return "bad_tool_call";
    case ChatError::kInvalidRequest:
      return "invalid_request";
    case ChatError::kInternal:
      return "internal";
  }
  return "unknown";
}

const char* chatRoleName(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem:
      return "system";
    case ChatRole::kUser:
      return "user";
    case ChatRole::kAssistant:
      return "assistant";
    case ChatRole::kTool:
      return "tool";
  }
  return "user";
}

ChatMessage ChatMessage::system(std::string text) {
  ChatMessage message;
  message.role = ChatRole::kSystem;
  message.content = std::move(text);
  return message;
}

ChatMessage ChatMessage::user(std::string text) {
  ChatMessage message;
  message.content = std::move(text);
  return message;
}

ChatMessage ChatMessage::assistant(std::string text) {
  ChatMessage message;
  message.role = ChatRole::kAssistant;
  message.content = std::move(text);
  return message;
}

ChatMessage ChatMessage::tool(std::string tool_call_id, std::string content) {
  ChatMessage message;
  message.role = ChatRole::kTool;
  message.tool_call_id = std::move(tool_call_id);
  message.content = std::move(content);
  return message;
}

ChatMessage ChatMessage::assistantFrom(const ChatResult& result) {
  ChatMessage message;
  message.role = ChatRole::kAssistant;
  message.content = result.content;
  message.tool_calls = result.tool_calls;
  message.reasoning_details_json = result.reasoning_details_json;
  return message;
}

}  // namespace sg
