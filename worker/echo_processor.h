// EchoProcessor: a diagnostic and benchmark stand-in for the message processor
// (`consumer.processor: "echo"`). It answers every message with one send_message quoting it,
// after a random delay of up to consumer.echo_delay_ms; when that delay is above zero it first
// sends a typing action, as the real processor does, so ordering tests can see when work
// started. Content containing "#fail" fails every time (a poison message), "#crash" aborts the
// worker. It calls no LLM and keeps no history.
#pragma once

#include <uv.h>

#include <memory>
#include <unordered_map>

#include "common/config.h"
#include "common/uv_handle.h"
#include "worker/processor.h"

namespace sg {

class EchoProcessor final : public MessageProcessor {
 public:
  EchoProcessor(uv_loop_t* loop, ConfigPtr config);
  ~EchoProcessor() override;
  void process(std::shared_ptr<ProcessJob> job) override;
  void updateConfig(ConfigPtr config) { config_ = std::move(config); }

 private:
  void complete(const std::shared_ptr<ProcessJob>& job);

  uv_loop_t* loop_;
  ConfigPtr config_;
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Timer>> timers_;
};

}  // namespace sg
