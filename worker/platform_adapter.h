// ProxyPlatformAdapter: what the bot does on a chat platform, as bus actions for the Gateway
// (bus protocol section 2). The worker holds no platform SDK: a send, a file, a reaction, a typing
// indicator or an edit of a streamed reply each becomes an encoded action with a deterministic
// action_id from the job (`<event_id>:<n>` for lasting actions, `<event_id>:<kind>:<k>` for
// transient ones). Lasting actions are returned to the caller, who hands them to the consumer's
// commit in order; transient ones are published at once through the job's fenced publishNow.
// Cheap: a job pointer and a limit; getAdapter() makes one per job.
//
// Not here: deciding what to say (the processor), splitting rules (reply_splitter.h).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "worker/processor.h"

namespace sg {

// The most characters (code points) a message may hold on `platform`: 2000 for discord (its
// limit); for a platform we do not know, also 2000, the smallest limit among the platforms we
// expect, so that an unknown platform never gets a part it must refuse.
[[nodiscard]] size_t platformMessageLimit(std::string_view platform);

// A lasting action and its id, so that callers can keep lasting actions in id order.
struct LastingAction {
  std::string action_id;
  std::string payload;
};

class ProxyPlatformAdapter {
 public:
  explicit ProxyPlatformAdapter(std::shared_ptr<ProcessJob> job);

  size_t messageLimit() const { return limit_; }
  const std::shared_ptr<ProcessJob>& job() const { return job_; }

  // A reply split into parts of at most messageLimit() characters, each a send_message with the
  // next lasting id, part/parts set, the first replying to `reply_to` (when given). Empty when
  // `text` is blank.
  [[nodiscard]] std::vector<LastingAction> reply(std::string_view text,
                                                 const std::optional<std::string>& reply_to);
  // One send_message part with an id chosen by the caller (a streamed reply's first part).
  [[nodiscard]] std::string sendMessagePart(const std::string& action_id, std::string content,
                                            const std::optional<std::string>& reply_to,
                                            int64_t part, int64_t parts) const;
  [[nodiscard]] LastingAction sendFile(std::string filename, std::string content_type,
                                       std::string data, std::optional<std::string> caption);
  [[nodiscard]] LastingAction addReaction(std::string message_id, std::string emoji);
  // The next lasting id, reserved now (a streamed reply's first part takes its id when it starts).
  [[nodiscard]] std::string reserveLastingId() { return job_->nextLastingActionId(); }

  // Transient actions, published now (fenced); `done(false)` when they could not be.
  void typing(std::function<void(bool)> done = {});
  void edit(const std::string& target_action_id, std::string content,
            std::function<void(bool)> done = {});
  // The encoded edit, for callers that commit it with the lasting actions instead.
  [[nodiscard]] std::string editAction(const std::string& target_action_id, std::string content);
  // Publishes an already encoded action now (a streamed reply's first part).
  void publish(std::string payload, std::function<void(bool)> done = {});

 private:
  ActionCommon common(std::string action_id) const;

  std::shared_ptr<ProcessJob> job_;
  size_t limit_;
};

// A fresh adapter for `job`, bound to the job's platform and fenced publishing.
[[nodiscard]] ProxyPlatformAdapter getAdapter(std::shared_ptr<ProcessJob> job);

}  // namespace sg
