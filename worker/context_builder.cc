// ContextBuilder: system prompt, history and the current turn (see context_builder.h).
#include "worker/context_builder.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include "common/json.h"
#include "worker/reply_splitter.h"

namespace sg {
namespace {

constexpr std::string_view kImageExtensions[] = {".png", ".jpg", ".jpeg", ".gif", ".webp"};

std::string timeText(double unix_seconds, const char* format) {
  std::time_t seconds = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  size_t length = std::strftime(text, sizeof text, format, &tm);
  return std::string(text, length);
}

const CachedMessage* findCached(const std::vector<CachedMessage>& recent, std::string_view id) {
  for (const CachedMessage& message : recent) {
    if (message.id == id) return &message;
  }
  return nullptr;
}

std::string authorName(const IncomingMessage& message) {
  return message.author.display_name.value_or(message.author.name);
}

struct Quote {
  std::string id;
  std::string author;
  std::string text;  // "" when unknown
};

std::string nameFor(const std::string& author_id, const std::string& cached_author,
                    const IncomingMessage& message, const Config& config) {
  if (message.bot_user_id && author_id == *message.bot_user_id) return config.bot.name;
  if (!cached_author.empty()) return cached_author;
  return author_id.empty() ? "someone" : author_id;
}

// The reply chain: the replied-to message, then the message it replied to, ... (cache only).
std::vector<Quote> replyChain(const IncomingMessage& message, const Config& config,
                              const std::vector<CachedMessage>& recent) {
  std::vector<Quote> chain;
  if (!message.reply_to) return chain;
  const ReplyRef& ref = *message.reply_to;
  const CachedMessage* cached = findCached(recent, ref.message_id);
  Quote first{ref.message_id,
              nameFor(ref.author_id.value_or(cached ? cached->author_id : ""),
                      cached ? cached->author : "", message, config),
              ref.content.value_or(cached ? cached->content : "")};
  chain.push_back(std::move(first));
  std::string next = cached ? cached->reply_to_id : "";
  while (!next.empty() && chain.size() < static_cast<size_t>(kReplyChainDepth)) {
    const CachedMessage* up = findCached(recent, next);
    if (up == nullptr) break;
    chain.push_back({up->id, nameFor(up->author_id, up->author, message, config), up->content});
    next = up->reply_to_id;
  }
  return chain;
}

std::string quoted(const Quote& quote) {
  if (quote.text.empty()) return quote.author;
  std::string_view cut = truncateCodePoints(quote.text, kQuoteChars);
  return fmt::format("{}: \"{}{}\"", quote.author, cut, cut.size() < quote.text.size() ? "…" : "");
}

std::string chainText(const std::vector<Quote>& chain) {
  if (chain.empty()) return "";
  std::string text = " (replying to " + quoted(chain[0]);
  for (size_t i = 1; i < chain.size(); ++i) text += ", which replied to " + quoted(chain[i]);
  return text + ")";
}

// The recent channel messages not already shown, newest kept within the budget, oldest first.
std::string recentBlock(const ContextInput& input, const std::set<std::string>& shown) {
  const IncomingMessage& message = input.envelope->message;
  std::vector<std::string> lines;
  uint32_t tokens = 0;
  for (auto it = input.recent->rbegin(); it != input.recent->rend(); ++it) {
    if (shown.count(it->id) != 0) continue;
    std::string author = nameFor(it->author_id, it->author, message, *input.config);
    std::string line =
        fmt::format("[{}] {}: {}", timeText(it->created_at, "%H:%M"), author, it->content);
    if (!it->attachments.empty()) line += " [attachments: " + it->attachments + "]";
    tokens += estimateTokens(line);
    if (tokens > kRecentContextTokens) break;
    lines.push_back(std::move(line));
  }
  if (lines.empty()) return "";
  std::string block = "Recent messages in this channel, for context:";
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) block += "\n" + *it;
  return block;
}

std::string imageParts(const std::string& text, const std::vector<Attachment>& attachments) {
  JsonPtr parts(cJSON_CreateArray());
  cJSON* first = cJSON_CreateObject();
  cJSON_AddStringToObject(first, "type", "text");
  cJSON_AddStringToObject(first, "text", text.c_str());
  cJSON_AddItemToArray(parts.get(), first);
  for (const Attachment& attachment : attachments) {
    if (!isImageAttachment(attachment)) continue;
    cJSON* part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "type", "image_url");
    cJSON* url = cJSON_AddObjectToObject(part, "image_url");
    cJSON_AddStringToObject(url, "url", attachment.url.c_str());
    cJSON_AddItemToArray(parts.get(), part);
  }
  return printJson(parts.get());
}

}  // namespace

bool isVisionModel(const Config& config, const std::string& model) {
  const auto& models = config.llm.vision_models;
  return std::find(models.begin(), models.end(), model) != models.end();
}

bool isImageAttachment(const Attachment& attachment) {
  if (attachment.content_type) return attachment.content_type->rfind("image/", 0) == 0;
  std::string name = attachment.filename;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(std::begin(kImageExtensions), std::end(kImageExtensions),
                     [&](std::string_view ext) {
                       return name.size() >= ext.size() &&
                              name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
                     });
}

PromptVariables promptVariables(const Envelope& envelope, const Config& config,
                                const std::string& memory, double now) {
  const IncomingMessage& message = envelope.message;
  return {{"bot_name", config.bot.name},
          {"date", timeText(now, "%Y-%m-%d")},
          {"time", timeText(now, "%H:%M")},
          {"weekday", timeText(now, "%A")},
          {"user", authorName(message)},
          {"user_id", message.author.id},
          {"channel", message.channel_id},
          {"guild", message.guild_id.value_or("")},
          {"thread", message.thread_id.value_or("")},
          {"platform", envelope.platform},
          {"model", config.llm.model},
          {"dm", message.is_dm ? "yes" : ""},
          {"memory", memory}};
}

std::string userTurnText(const Envelope& envelope, const Config& config,
                         const std::vector<CachedMessage>& recent) {
  const IncomingMessage& message = envelope.message;
  std::string text =
      authorName(message) + chainText(replyChain(message, config, recent)) + ": " + message.content;
  if (!message.attachments.empty()) {
    text += "\n[attachments: " + describeAttachments(message.attachments) + "]";
  }
  return text;
}

Context buildContext(const ContextInput& input) {
  const IncomingMessage& message = input.envelope->message;
  Context context;
  std::string memory;
  std::set<std::string> shown = {message.id};
  for (const Exchange& exchange : input.history->exchanges) {
    if (exchange.isSummary()) {
      if (!exchange.messages.empty()) memory = exchange.messages.front().content;
      continue;
    }
    shown.insert(exchange.message_id);
  }
  for (const Quote& quote : replyChain(message, *input.config, *input.recent)) {
    shown.insert(quote.id);
  }
  context.system_prompt =
      input.prompts->render(input.config->bot.system_prompt_file,
                            promptVariables(*input.envelope, *input.config, memory, input.now));
  context.messages.push_back(ChatMessage::system(context.system_prompt));
  for (const Exchange& exchange : input.history->exchanges) {
    if (exchange.isSummary()) continue;
    context.messages.insert(context.messages.end(), exchange.messages.begin(),
                            exchange.messages.end());
  }
  context.user_turn =
      ChatMessage::user(userTurnText(*input.envelope, *input.config, *input.recent));
  std::string block = recentBlock(input, shown);
  ChatMessage current = ChatMessage::user(
      block.empty() ? context.user_turn.content : block + "\n\n" + context.user_turn.content);
  bool images =
      std::any_of(message.attachments.begin(), message.attachments.end(), isImageAttachment);
  if (images && isVisionModel(*input.config, input.config->llm.model)) {
    current.content_parts_json = imageParts(current.content, message.attachments);
  }
  context.messages.push_back(std::move(current));
  return context;
}

}  // namespace sg
