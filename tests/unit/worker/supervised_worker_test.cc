// The real sg-worker under the supervisor's own WorkerProcess, over a real control pipe, against
// a real redis-server: a refused configuration is reported and ends in status 78; `ready`, then
// stats carrying the configuration digest and the consumer's metrics; a live configuration
// applied without a restart; stats keep coming while a slow drain runs, and the drain ends
// cleanly with the work done.
#include <gtest/gtest.h>

#include <optional>

#include "common/config_loader.h"
#include "common/control_message.h"
#include "supervisor/worker_process.h"
#include "support/bus_fixture.h"
#include "support/redis_server.h"
#include "support/test_loop.h"

namespace sg {
namespace {

class SupervisedWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.ok()); }

  std::unique_ptr<WorkerProcess> start(const std::string& config_json) {
    WorkerProcessOptions options;
    options.executable = SG_WORKER_BIN;
    options.instance_id = "worker-under-test";
    WorkerProcess::Callbacks callbacks;
    callbacks.onStats = [this](WorkerProcess& worker) {
      ++stats_;
      if (worker.state() == WorkerState::kDraining) ++stats_while_draining_;
    };
    callbacks.onError = [this](WorkerProcess&, const std::string& message) {
      errors_.push_back(message);
    };
    callbacks.onExit = [this](WorkerProcess&, const WorkerExit& exit) { exit_ = exit; };
    auto worker = std::make_unique<WorkerProcess>(loop_.get(), std::move(options), callbacks);
    JsonPtr message = control::makeConfig(parseJson(config_json));
    worker->start(*message);
    return worker;
  }
  std::string config(const std::string& extra) { return test::workerConfigJson(redis_, extra); }
  std::string digestOf(const std::string& json) {
    ConfigSources sources;
    sources.file_text = json;
    return configDigest(*buildConfig(sources).config);
  }
  static std::string reported(const WorkerProcess& worker, const char* field) {
    return std::string(jsonString(worker.lastStats(), field));
  }
  bool waitExit() {
    return loop_.runUntil([this] { return exit_.has_value(); }, 30000);
  }
  void closeLoop() {
    std::string open;
    EXPECT_EQ(loop_.close(&open), 0) << open;
  }

  test::RedisServer redis_;
  test::TestLoop loop_;
  std::optional<WorkerExit> exit_;
  std::vector<std::string> errors_;
  int stats_ = 0;
  int stats_while_draining_ = 0;
};

TEST_F(SupervisedWorkerTest, ARefusedConfigurationIsReportedAndEndsInStatus78) {
  {
    auto worker = start(R"({"consumer": {"max_inflight": "many"}})");
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kCannotStart);
    EXPECT_EQ(exit_->status, 78);
    ASSERT_EQ(errors_.size(), 1u);
    EXPECT_NE(errors_[0].find("control pipe: consumer.max_inflight: must be an integer"),
              std::string::npos)
        << errors_[0];
  }
  closeLoop();
}

TEST_F(SupervisedWorkerTest, ReportsItsConfigurationAndMetricsAndAppliesALiveChangeInPlace) {
  {
    std::string first = config(R"({"llm": {"model": "model-a"}})");
    auto worker = start(first);
    ASSERT_TRUE(loop_.runUntil([&] { return worker->lastStats() != nullptr; }));
    EXPECT_EQ(worker->state(), WorkerState::kReady);
    EXPECT_EQ(reported(*worker, "instance_id"), "worker-under-test");
    EXPECT_EQ(reported(*worker, "config_digest"), digestOf(first));
    ASSERT_TRUE(loop_.runUntil(
        [&] { return cJSON_IsTrue(jsonField(worker->lastStats(), "redis_connected")); }));
    const cJSON* metrics = jsonField(worker->lastStats(), "metrics");
    for (const char* family : {"messages_total", "dead_letters_total", "lock_waits_total",
                               "inflight", "received_total"}) {
      EXPECT_NE(jsonField(metrics, family), nullptr) << family;
    }
    pid_t pid = worker->pid();

    std::string second = config(R"({"llm": {"model": "model-b"}})");
    JsonPtr message = control::makeConfig(parseJson(second));
    ASSERT_TRUE(worker->sendConfig(*message));
    ASSERT_TRUE(
        loop_.runUntil([&] { return reported(*worker, "config_digest") == digestOf(second); }));
    EXPECT_EQ(worker->pid(), pid);

    // A later configuration it refuses: reported, and the running one stays.
    JsonPtr bad = control::makeConfig(parseJson(R"({"llm": {"model": ""}})"));
    ASSERT_TRUE(worker->sendConfig(*bad));
    ASSERT_TRUE(loop_.runUntil([&] { return !errors_.empty(); }));
    EXPECT_NE(errors_[0].find("llm.model: must not be empty"), std::string::npos) << errors_[0];
    EXPECT_TRUE(worker->alive());

    worker->stop();
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kClean) << exit_->reason;
  }
  closeLoop();
}

TEST_F(SupervisedWorkerTest, KeepsReportingWhileASlowDrainFinishesTheWorkInFlight) {
  auto sync = redis_.client();
  {
    auto worker = start(config(R"({"consumer": {"echo_delay_ms": 2500}})"));
    ASSERT_TRUE(loop_.runUntil(
        [&] { return cJSON_IsTrue(jsonField(worker->lastStats(), "redis_connected")); }));
    // Entries on two channels; wait until their work has begun (typing published).
    for (const char* channel : {"c1", "c2"}) {
      test::addInbound(*sync, test::makeEnvelope({.event_id = std::string("ev-") + channel,
                                                  .channel_id = channel}));
    }
    ASSERT_TRUE(loop_.runUntil([&] {
      size_t typing = 0;
      for (const auto& action : test::readOutbound(*sync)) typing += action.action == "typing";
      return typing == 2;
    }));
    worker->drain(20000);
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kClean) << exit_->reason;
    EXPECT_GT(stats_while_draining_, 0) << "no stats while draining";
    size_t replies = 0;
    for (const auto& action : test::readOutbound(*sync)) replies += action.action == "send_message";
    EXPECT_EQ(replies, 2u);
  }
  closeLoop();
}

}  // namespace
}  // namespace sg
