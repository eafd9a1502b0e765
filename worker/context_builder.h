// ContextBuilder: what the model is shown for one message. In order: the system prompt (rendered
// from the scope's template, with the conversation summary as {{memory}}), the stored history of
// the channel (exchanges, oldest first), then the message being answered. That last turn carries
// the channel's recent messages that are not already in the history (from the cache, newest
// kept within a budget, marked as context), the reply chain the message belongs to (the message
// it replies to, taken from the envelope's reply_to or the cache, and up to two more levels from
// the cache: "threadweave"), and its attachments: image parts for a vision model, a line naming
// each file otherwise. A pure function: no I/O.
//
// Not here: loading the history or the cache (conversation_manager, message_cache), the model.
#pragma once

#include <string>
#include <vector>

#include "common/bus_types.h"
#include "common/config.h"
#include "worker/chat_types.h"
#include "worker/conversation_manager.h"
#include "worker/message_cache.h"
#include "worker/prompt_renderer.h"

namespace sg {

// Budget (estimated tokens) of the recent-messages block of the last turn.
inline constexpr uint32_t kRecentContextTokens = 1500;
// How far a reply chain is followed (the replied-to message, then its own, ...).
inline constexpr int kReplyChainDepth = 3;
// Quotes in a reply chain are cut to this many characters.
inline constexpr size_t kQuoteChars = 300;

struct ContextInput {
  const Envelope* envelope = nullptr;
  const Config* config = nullptr;  // the scope's effective configuration
  const PromptRenderer* prompts = nullptr;
  const History* history = nullptr;
  const std::vector<CachedMessage>* recent = nullptr;  // the channel's cache, oldest first
  double now = 0;                                      // Unix seconds
};

struct Context {
  std::vector<ChatMessage> messages;  // to send: system, history, the current turn
  ChatMessage user_turn;  // the current turn as stored in the history (text only, no context)
  std::string system_prompt;
};

[[nodiscard]] Context buildContext(const ContextInput& input);

// The prompt variables for a message (see prompt_renderer.h).
[[nodiscard]] PromptVariables promptVariables(const Envelope& envelope, const Config& config,
                                              const std::string& memory, double now);

// "alice (replying to bob: "quoted"): text" plus an attachments line; the stored user turn.
[[nodiscard]] std::string userTurnText(const Envelope& envelope, const Config& config,
                                       const std::vector<CachedMessage>& recent);

// True when the model accepts image parts (listed in llm.vision_models).
[[nodiscard]] bool isVisionModel(const Config& config, const std::string& model);
// True for an attachment the model can be shown as an image.
[[nodiscard]] bool isImageAttachment(const Attachment& attachment);

}  // namespace sg
