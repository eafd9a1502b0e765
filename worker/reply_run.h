// ReplyRun: one answered message from its decision to the reply, owned by the processor.
//
// Steps: a typing action at once (renewed every 8 s while it works); the message cached and the
// channel's history loaded (in parallel); the context built; then the tool loop: the model is
// called with the tools the scope allows, the calls it asks for run concurrently (each result,
// or error, fed back with its tool_call_id after the assistant turn as the model returned it),
// and again, until it answers or llm.max_tool_rounds is reached (then one last call with
// tool_choice "none"). The reply is split into parts (lasting actions, after those the tools
// added), the exchange is stored in the history, and the job finishes; the consumer commits the
// actions with the acknowledgement. When the model fails for good, a short apology is sent
// instead (a normal lasting reply) and counted.
//
// Streaming (bot.stream_edits with llm.stream): the first part is published early through the
// job's fenced publishNow as soon as text arrives, under the lasting id it will keep, then edited
// at most once a second; the commit carries that send_message again (the Gateway drops it as a
// duplicate of the same action_id, or sends it if the early one never arrived) and an
// edit_message with the final text. A redelivered event takes the same ids, so its early send is
// dropped as a duplicate and its edits turn the message already shown into the new answer.
//
// Cancellation (job->onCancel: the lock was lost or the worker stops) cancels the model call and
// every timer at once; late results of tools and Redis find the run cancelled and do nothing.
// All callbacks hold weak references: a run the processor dropped is never touched.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/uv_handle.h"
#include "worker/answer_policy.h"
#include "worker/context_builder.h"
#include "worker/conversation_manager.h"
#include "worker/message_cache.h"
#include "worker/openrouter_client.h"
#include "worker/platform_adapter.h"
#include "worker/processor.h"
#include "worker/processor_stats.h"
#include "worker/prompt_renderer.h"
#include "worker/scope_settings.h"
#include "worker/tool_registry.h"

namespace sg {

inline constexpr uint64_t kTypingIntervalMs = 8000;     // platforms expire typing after ~10 s
inline constexpr uint64_t kEditIntervalMs = 1000;       // at most one edit per second per reply
inline constexpr uint64_t kToolTimeoutMs = 60000;       // a tool round's deadline
inline constexpr size_t kMaxToolResultChars = 16000;    // fed back to the model
inline constexpr size_t kStoredToolResultChars = 2000;  // kept in the history
inline constexpr std::string_view kApologyText =
    "Sorry, I could not answer that just now. Please try again in a moment.";

// What a run borrows from its processor (which outlives every run it owns).
struct RunServices {
  uv_loop_t* loop = nullptr;
  OpenRouterClient* llm = nullptr;
  const ToolRegistry* tools = nullptr;
  GatewayRpc* gateway = nullptr;
  MessageCache* cache = nullptr;
  ConversationManager* conversations = nullptr;
  ProcessorStats* stats = nullptr;
  // The run is over (finished or cancelled): the processor forgets it.
  std::function<void(uint64_t run_id)> onEnded;
  // After a reply was stored: the history may be over its budget (conversation.summarize).
  std::function<void(const std::string& key, std::vector<Exchange> exchanges, ConfigPtr config)>
      onStored;
};

class ReplyRun : public std::enable_shared_from_this<ReplyRun> {
 public:
  ReplyRun(uint64_t id, RunServices services, std::shared_ptr<ProcessJob> job,
           ScopeSettings settings, std::shared_ptr<const PromptRenderer> prompts);
  ~ReplyRun();
  ReplyRun(const ReplyRun&) = delete;
  ReplyRun& operator=(const ReplyRun&) = delete;

  void start();
  // Stops everything now without finishing the job (it was cancelled, or the processor stops).
  void cancel();

 private:
  struct ToolRound;
  struct Stream;

  const Config& config() const { return *settings_.config; }
  void startTyping();
  void onCached(MessageCache::Recent recent);
  void onHistory(History history);
  void contextReady();
  void callModel();
  ChatRequest buildRequest();
  void onDelta(std::string_view text);
  void onModelResult(ChatResult result);
  void runTools(const ChatResult& result);
  void onToolDone(uint64_t round, size_t index, ToolOutcome outcome);
  void toolsTimedOut(uint64_t round);
  void finishRound(uint64_t round);
  void answer(std::string text, std::string outcome);
  void storeAndFinish(std::vector<std::string> actions, std::string outcome, bool store);
  std::vector<std::string> replyActions(const std::string& text);
  void finish(ProcessResult result);
  void end();
  void streamDelta();
  void publishEdit();
  template <typename F>
  auto guarded(F f);

  uint64_t id_;
  RunServices services_;
  std::shared_ptr<ProcessJob> job_;
  ScopeSettings settings_;
  std::shared_ptr<const PromptRenderer> prompts_;
  ProxyPlatformAdapter adapter_;
  std::string history_key_;
  bool cancelled_ = false;
  bool ended_ = false;

  // Context loading.
  int loads_pending_ = 0;
  std::vector<CachedMessage> recent_;
  History history_;
  Context context_;

  // Tool loop.
  std::vector<ChatMessage> messages_;  // the request's messages, growing per round
  std::vector<ChatMessage> exchange_;  // what the history keeps: the turn, calls, results
  std::vector<ToolSpec> tools_;
  uint64_t call_id_ = 0;     // the model call in flight (0: none)
  uint32_t rounds_ = 0;      // tool rounds done
  bool final_call_ = false;  // the call without tools after the last round
  std::unique_ptr<ToolRound> round_;
  std::vector<LastingAction> lasting_;  // in id order: tool actions, the streamed first part
  std::unique_ptr<Stream> stream_;

  Timer typing_timer_;
  Timer edit_timer_;
  Timer tool_timer_;
};

}  // namespace sg
