// AnswerPolicy: whether the bot answers a message, and why (bus protocol section 8 plus the
// configuration). Never: a bot author, the bot itself, an ignored user or channel, a scope set
// to "never". Always: a scope set to "always", a channel of bot.answer_channels. Otherwise:
// direct messages, mentions of the bot, replies to one of the bot's own messages, and messages
// holding a trigger word (whole word, case-insensitive). A pure function of the message and the
// effective settings; messages it declines are still cached by the processor.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/bus_types.h"
#include "common/config.h"
#include "worker/scope_settings.h"

namespace sg {

struct AnswerDecision {
  bool answer = false;
  // Why, for logs and metrics: dm, mention, reply_to_bot, trigger_word, answer_channel,
  // scope_always; or bot_author, self, ignored_user, ignored_channel, scope_never,
  // not_addressed.
  std::string_view reason;
};

// `settings.config` carries the scope's bot.ignore_users and bot.trigger_words.
[[nodiscard]] AnswerDecision decideAnswer(const IncomingMessage& message,
                                          const ScopeSettings& settings);

// True when `text` holds one of `words` as a whole word (or phrase), ignoring ASCII case: the
// characters around the match are not letters, digits or '_' (bytes of non-ASCII characters
// count as letters, so "bötstar" does not hold "star").
[[nodiscard]] bool containsTriggerWord(std::string_view text,
                                       const std::vector<std::string>& words);

// True when the message replies to one of the bot's own messages.
[[nodiscard]] bool repliesToBot(const IncomingMessage& message);

}  // namespace sg
