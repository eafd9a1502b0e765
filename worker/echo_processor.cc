// EchoProcessor: quote the message back after a random delay (see echo_processor.h).
#include "worker/echo_processor.h"

#include <cstdlib>

#include "common/bus_codec.h"
#include "common/clock.h"
#include "common/random.h"

namespace sg {

EchoProcessor::EchoProcessor(uv_loop_t* loop, ConfigPtr config)
    : loop_(loop), config_(std::move(config)) {}

EchoProcessor::~EchoProcessor() = default;

void EchoProcessor::process(std::shared_ptr<ProcessJob> job) {
  const IncomingMessage& message = job->envelope().message;
  if (message.content.find("#crash") != std::string::npos) std::abort();
  uint32_t max_delay = config_->consumer.echo_delay_ms;
  uint64_t delay = max_delay == 0 ? 0 : static_cast<uint64_t>(randomUnit() * max_delay);
  if (max_delay > 0) {
    Typing typing;
    typing.common = {job->nextTransientActionId("typing"), job->envelope().event_id,
                     job->workerId(), job->envelope().trace_id, unixNow()};
    typing.channel_id = message.channel_id;
    job->publishNow({encodeAction(typing)});
  }
  // A timer even for a zero delay: a processor must not finish inside process().
  uint64_t id = next_id_++;
  auto timer = std::make_unique<Timer>(loop_);
  Timer* raw = timer.get();
  timers_.emplace(id, std::move(timer));
  raw->start(delay, [this, id, job] {
    timers_.erase(id);  // destroys the Timer; its handle closes after this callback
    complete(job);
  });
  job->onCancel([this, id] { timers_.erase(id); });
}

void EchoProcessor::complete(const std::shared_ptr<ProcessJob>& job) {
  const Envelope& envelope = job->envelope();
  if (envelope.message.content.find("#fail") != std::string::npos) {
    job->finish({ProcessStatus::kFailed, {}, "failed", "poison message (#fail)"});
    return;
  }
  SendMessage reply;
  reply.common = {job->nextLastingActionId(), envelope.event_id, job->workerId(),
                  envelope.trace_id, unixNow()};
  reply.channel_id = envelope.message.channel_id;
  reply.content = "echo: " + envelope.message.content.substr(0, 1900);
  reply.reply_to_message_id = envelope.message.id;
  job->finish({ProcessStatus::kDone, {encodeAction(reply)}, "answered", ""});
}

}  // namespace sg
