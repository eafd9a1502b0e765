// ProxyPlatformAdapter: platform operations as bus actions (see platform_adapter.h).
#include "worker/platform_adapter.h"

#include "common/bus_codec.h"
#include "common/clock.h"
#include "worker/reply_splitter.h"

namespace sg {
namespace {

constexpr size_t kDiscordLimit = 2000;
constexpr size_t kUnknownPlatformLimit = 2000;

}  // namespace

size_t platformMessageLimit(std::string_view platform) {
  if (platform == "discord") return kDiscordLimit;
  return kUnknownPlatformLimit;
}

ProxyPlatformAdapter::ProxyPlatformAdapter(std::shared_ptr<ProcessJob> job)
    : job_(std::move(job)), limit_(platformMessageLimit(job_->envelope().platform)) {}

ActionCommon ProxyPlatformAdapter::common(std::string action_id) const {
  const Envelope& envelope = job_->envelope();
  return {std::move(action_id), envelope.event_id, job_->workerId(), envelope.trace_id, unixNow()};
}

std::vector<LastingAction> ProxyPlatformAdapter::reply(std::string_view text,
                                                       const std::optional<std::string>& reply_to) {
  std::vector<std::string> parts = splitReply(text, limit_);
  std::vector<LastingAction> actions;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string id = job_->nextLastingActionId();
    std::string payload =
        sendMessagePart(id, std::move(parts[i]), i == 0 ? reply_to : std::nullopt,
                        static_cast<int64_t>(i + 1), static_cast<int64_t>(parts.size()));
    actions.push_back({std::move(id), std::move(payload)});
  }
  return actions;
}

std::string ProxyPlatformAdapter::sendMessagePart(const std::string& action_id, std::string content,
                                                  const std::optional<std::string>& reply_to,
                                                  int64_t part, int64_t parts) const {
  SendMessage message;
  message.common = common(action_id);
  message.channel_id = job_->envelope().message.channel_id;
  message.content = std::move(content);
  message.reply_to_message_id = reply_to;
  message.part = part;
  message.parts = parts;
  return encodeAction(message);
}

LastingAction ProxyPlatformAdapter::sendFile(std::string filename, std::string content_type,
                                             std::string data, std::optional<std::string> caption) {
  SendFile file;
  file.common = common(job_->nextLastingActionId());
  file.channel_id = job_->envelope().message.channel_id;
  file.filename = std::move(filename);
  file.content_type = std::move(content_type);
  file.data = std::move(data);
  file.content = std::move(caption);
  return {file.common.action_id, encodeAction(file)};
}

LastingAction ProxyPlatformAdapter::addReaction(std::string message_id, std::string emoji) {
  AddReaction reaction;
  reaction.common = common(job_->nextLastingActionId());
  reaction.channel_id = job_->envelope().message.channel_id;
  reaction.message_id = std::move(message_id);
  reaction.emoji = std::move(emoji);
  return {reaction.common.action_id, encodeAction(reaction)};
}

void ProxyPlatformAdapter::typing(std::function<void(bool)> done) {
  Typing typing;
  typing.common = common(job_->nextTransientActionId("typing"));
  typing.channel_id = job_->envelope().message.channel_id;
  publish(encodeAction(typing), std::move(done));
}

std::string ProxyPlatformAdapter::editAction(const std::string& target_action_id,
                                             std::string content) {
  EditMessage edit;
  edit.common = common(job_->nextTransientActionId("edit"));
  edit.channel_id = job_->envelope().message.channel_id;
  edit.target_action_id = target_action_id;
  edit.content = std::move(content);
  return encodeAction(edit);
}

void ProxyPlatformAdapter::edit(const std::string& target_action_id, std::string content,
                                std::function<void(bool)> done) {
  publish(editAction(target_action_id, std::move(content)), std::move(done));
}

void ProxyPlatformAdapter::publish(std::string payload, std::function<void(bool)> done) {
  job_->publishNow({std::move(payload)}, std::move(done));
}

ProxyPlatformAdapter getAdapter(std::shared_ptr<ProcessJob> job) {
  return ProxyPlatformAdapter(std::move(job));
}

}  // namespace sg
