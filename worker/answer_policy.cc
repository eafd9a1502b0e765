// AnswerPolicy: whom the bot answers (see answer_policy.h).
#include "worker/answer_policy.h"

#include <algorithm>

namespace sg {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool isWordByte(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte >= 0x80 || (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'z') || c == '_';
}

bool equalsFolded(std::string_view text, size_t at, std::string_view word) {
  for (size_t i = 0; i < word.size(); ++i) {
    if (lower(text[at + i]) != lower(word[i])) return false;
  }
  return true;
}

bool holdsWord(std::string_view text, std::string_view word) {
  if (word.empty() || word.size() > text.size()) return false;
  for (size_t at = 0; at + word.size() <= text.size(); ++at) {
    if (!equalsFolded(text, at, word)) continue;
    bool starts = at == 0 || !isWordByte(text[at - 1]) || !isWordByte(word.front());
    size_t end = at + word.size();
    bool ends = end == text.size() || !isWordByte(text[end]) || !isWordByte(word.back());
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

bool containsTriggerWord(std::string_view text, const std::vector<std::string>& words) {
  return std::any_of(words.begin(), words.end(),
                     [&](const std::string& word) { return holdsWord(text, word); });
}

bool repliesToBot(const IncomingMessage& message) {
  if (!message.reply_to || !message.bot_user_id || !message.reply_to->author_id) return false;
  return *message.reply_to->author_id == *message.bot_user_id;
}

AnswerDecision decideAnswer(const IncomingMessage& message, const ScopeSettings& settings) {
  const BotConfig& bot = settings.config->bot;
  if (message.bot_user_id && message.author.id == *message.bot_user_id) return {false, "self"};
  if (message.author.is_bot) return {false, "bot_author"};
  if (contains(bot.ignore_users, message.author.id)) return {false, "ignored_user"};
  if (contains(bot.ignore_channels, message.channel_id)) return {false, "ignored_channel"};
  if (settings.answer == AnswerMode::kNever) return {false, "scope_never"};
  if (settings.answer == AnswerMode::kAlways) return {true, "scope_always"};
  if (contains(bot.answer_channels, message.channel_id)) return {true, "answer_channel"};
  if (message.is_dm) return {true, "dm"};
  if (message.mentions_bot) return {true, "mention"};
  if (repliesToBot(message)) return {true, "reply_to_bot"};
  if (containsTriggerWord(message.content, bot.trigger_words)) return {true, "trigger_word"};
  return {false, "not_addressed"};
}

}  // namespace sg
