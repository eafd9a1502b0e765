// IncomingMessage, its author, reply reference and attachments: one reader and one writer per
// map, fields in the protocol table's order (which is also the order failures are reported in).
#include "common/incoming_message_codec.h"

#include <array>

#include "common/bus_codec.h"

namespace sg {
namespace {

enum MessageKey {
  kId,
  kChannelId,
  kGuildId,
  kThreadId,
  kAuthor,
  kContent,
  kCreatedAt,
  kIsDm,
  kMentionsBot,
  kMentions,
  kBotUserId,
  kReplyTo,
  kAttachments,
  kExtra,
  kMessageKeys
};
constexpr std::array<std::string_view, kMessageKeys> kMessageNames = {
    "id",    "channel_id",   "guild_id", "thread_id",   "author",   "content",     "created_at",
    "is_dm", "mentions_bot", "mentions", "bot_user_id", "reply_to", "attachments", "extra"};

enum AuthorKey { kAuthorId, kAuthorName, kDisplayName, kAuthorIsBot, kRoles, kAuthorKeys };
constexpr std::array<std::string_view, kAuthorKeys> kAuthorNames = {"id", "name", "display_name",
                                                                    "is_bot", "roles"};

enum ReplyKey { kReplyMessageId, kReplyAuthorId, kReplyContent, kReplyIsBot, kReplyKeys };
constexpr std::array<std::string_view, kReplyKeys> kReplyNames = {"message_id", "author_id",
                                                                  "content", "is_bot"};

enum AttachmentKey { kAttId, kAttFilename, kAttUrl, kAttContentType, kAttSize, kAttachmentKeys };
constexpr std::array<std::string_view, kAttachmentKeys> kAttachmentNames = {"id", "filename", "url",
                                                                            "content_type", "size"};

bool readAuthor(FieldReader& r, size_t at, const FieldPath& path, Author* author) {
  std::array<size_t, kAuthorKeys> s;
  if (!r.map(at, path, kAuthorNames, s)) return false;
  auto key = [&](AuthorKey k) { return path.key(kAuthorNames[k]); };
  return r.str(s[kAuthorId], key(kAuthorId), &author->id) &&
         r.str(s[kAuthorName], key(kAuthorName), &author->name) &&
         r.optStr(s[kDisplayName], key(kDisplayName), Nil::kAllowed, &author->display_name) &&
         r.boolean(s[kAuthorIsBot], key(kAuthorIsBot), &author->is_bot) &&
         r.strArray(s[kRoles], key(kRoles), &author->roles);
}

bool readReplyTo(FieldReader& r, size_t at, const FieldPath& path,
                 std::optional<ReplyRef>* reply_to) {
  reply_to->reset();
  std::array<size_t, kReplyKeys> s;
  bool present;
  if (!r.optMap(at, path, kReplyNames, s, &present)) return false;
  if (!present) return true;
  ReplyRef& ref = reply_to->emplace();
  auto key = [&](ReplyKey k) { return path.key(kReplyNames[k]); };
  return r.str(s[kReplyMessageId], key(kReplyMessageId), &ref.message_id) &&
         r.optStr(s[kReplyAuthorId], key(kReplyAuthorId), Nil::kAllowed, &ref.author_id) &&
         r.optStr(s[kReplyContent], key(kReplyContent), Nil::kAllowed, &ref.content,
                  r.limits().content_bytes) &&
         r.optBoolean(s[kReplyIsBot], key(kReplyIsBot), &ref.is_bot);
}

bool readAttachment(FieldReader& r, size_t at, const FieldPath& path, Attachment* attachment) {
  std::array<size_t, kAttachmentKeys> s;
  if (!r.map(at, path, kAttachmentNames, s)) return false;
  auto key = [&](AttachmentKey k) { return path.key(kAttachmentNames[k]); };
  return r.str(s[kAttId], key(kAttId), &attachment->id) &&
         r.str(s[kAttFilename], key(kAttFilename), &attachment->filename) &&
         r.str(s[kAttUrl], key(kAttUrl), &attachment->url) &&
         r.optStr(s[kAttContentType], key(kAttContentType), Nil::kAllowed,
                  &attachment->content_type) &&
         r.unsignedInteger(s[kAttSize], key(kAttSize), &attachment->size);
}

bool readAttachments(FieldReader& r, size_t at, const FieldPath& path,
                     std::vector<Attachment>* attachments) {
  attachments->clear();
  if (at == kAbsent) return true;
  return r.arrayOf(at, path, r.limits().attachments, attachments, readAttachment);
}

void writeAuthor(MsgpackWriter& w, const Author& author) {
  w.map(5);
  w.field("id", author.id);
  w.field("name", author.name);
  w.optField("display_name", author.display_name);
  w.boolField("is_bot", author.is_bot);
  w.strArrayField("roles", author.roles);
}

void writeReplyTo(MsgpackWriter& w, const std::optional<ReplyRef>& reply_to) {
  if (!reply_to) return w.nil();
  w.map(4);
  w.field("message_id", reply_to->message_id);
  w.optField("author_id", reply_to->author_id);
  w.optField("content", reply_to->content);
  w.boolField("is_bot", reply_to->is_bot);
}

void writeAttachment(MsgpackWriter& w, const Attachment& attachment) {
  w.map(5);
  w.field("id", attachment.id);
  w.field("filename", attachment.filename);
  w.field("url", attachment.url);
  w.optField("content_type", attachment.content_type);
  w.str("size");
  w.uinteger(attachment.size);
}

}  // namespace

bool readIncomingMessage(FieldReader& r, size_t at, const FieldPath& path, IncomingMessage* m) {
  std::array<size_t, kMessageKeys> s;
  if (!r.map(at, path, kMessageNames, s)) return false;
  auto key = [&](MessageKey k) { return path.key(kMessageNames[k]); };
  return r.str(s[kId], key(kId), &m->id) && r.str(s[kChannelId], key(kChannelId), &m->channel_id) &&
         r.optStr(s[kGuildId], key(kGuildId), Nil::kAllowed, &m->guild_id) &&
         r.optStr(s[kThreadId], key(kThreadId), Nil::kAllowed, &m->thread_id) &&
         readAuthor(r, s[kAuthor], key(kAuthor), &m->author) &&
         r.str(s[kContent], key(kContent), &m->content, r.limits().content_bytes) &&
         r.time(s[kCreatedAt], key(kCreatedAt), &m->created_at) &&
         r.boolean(s[kIsDm], key(kIsDm), &m->is_dm) &&
         r.optBoolean(s[kMentionsBot], key(kMentionsBot), &m->mentions_bot) &&
         r.strArray(s[kMentions], key(kMentions), &m->mentions) &&
         r.optStr(s[kBotUserId], key(kBotUserId), Nil::kRejected, &m->bot_user_id) &&
         readReplyTo(r, s[kReplyTo], key(kReplyTo), &m->reply_to) &&
         readAttachments(r, s[kAttachments], key(kAttachments), &m->attachments) &&
         r.optRaw(s[kExtra], key(kExtra), mp::Type::kMap, &m->extra);
}

void writeIncomingMessage(MsgpackWriter& w, const IncomingMessage& m) {
  const bool has_bot_user_id = m.bot_user_id.has_value();
  const bool has_extra = !m.extra.empty();
  w.map(12 + (has_bot_user_id ? 1 : 0) + (has_extra ? 1 : 0));
  w.field("id", m.id);
  w.field("channel_id", m.channel_id);
  w.optField("guild_id", m.guild_id);
  w.optField("thread_id", m.thread_id);
  w.str("author");
  writeAuthor(w, m.author);
  w.field("content", m.content);
  w.floatField("created_at", m.created_at);
  w.boolField("is_dm", m.is_dm);
  w.boolField("mentions_bot", m.mentions_bot);
  w.strArrayField("mentions", m.mentions);
  if (has_bot_user_id) w.field("bot_user_id", *m.bot_user_id);
  w.str("reply_to");
  writeReplyTo(w, m.reply_to);
  w.str("attachments");
  w.array(static_cast<uint32_t>(m.attachments.size()));
  for (const Attachment& attachment : m.attachments) writeAttachment(w, attachment);
  if (has_extra) {
    w.str("extra");
    w.raw(m.extra);
  }
}

}  // namespace sg
