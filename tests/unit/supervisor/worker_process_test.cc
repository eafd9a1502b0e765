// WorkerProcess against real processes (the fake worker): spawn, ready, stats, configuration,
// and every way out — clean drain, cannot start, crash, hang (SIGABRT then SIGKILL), a drain
// deadline. Only the order of events is asserted, never how long they took.
#include "supervisor/worker_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/test_loop.h"

namespace sg {
namespace {

TEST(ClassifyWorkerExit, TellsCannotStartFromCrashedFromClean) {
  auto kind = [](WorkerExitFacts facts) { return classifyWorkerExit(facts).kind; };
  EXPECT_EQ(kind({.spawn_error = "ENOENT"}), WorkerExitKind::kCannotStart);
  EXPECT_EQ(kind({.status = 78, .was_ready = true}), WorkerExitKind::kCannotStart);
  EXPECT_EQ(kind({.status = 64}), WorkerExitKind::kCannotStart);
  EXPECT_EQ(kind({.status = 127}), WorkerExitKind::kCannotStart);
  EXPECT_EQ(kind({.status = 1}), WorkerExitKind::kCannotStart);  // before ready
  EXPECT_EQ(kind({.status = 0}), WorkerExitKind::kCannotStart);  // before ready, even 0
  EXPECT_EQ(kind({.status = 1, .was_ready = true}), WorkerExitKind::kCrashed);
  EXPECT_EQ(kind({.status = 0, .was_ready = true}), WorkerExitKind::kCrashed);  // unasked
  EXPECT_EQ(kind({.signal = SIGSEGV}), WorkerExitKind::kCrashed);  // even during start-up
  EXPECT_EQ(kind({.signal = SIGKILL, .was_ready = true, .exit_requested = true, .hung = true}),
            WorkerExitKind::kCrashed);
  EXPECT_EQ(kind({.status = 0, .was_ready = true, .exit_requested = true}), WorkerExitKind::kClean);
  EXPECT_EQ(kind({.signal = SIGKILL,
                  .was_ready = true,
                  .exit_requested = true,
                  .killed_at_deadline = true}),
            WorkerExitKind::kKilled);
  EXPECT_NE(classifyWorkerExit({.signal = SIGSEGV}).reason.find("SIGSEGV"), std::string::npos);
  EXPECT_NE(classifyWorkerExit({.status = 78}).reason.find("EX_CONFIG"), std::string::npos);
}

TEST(DefaultWorkerExecutable, IsSgWorkerNextToThisExecutable) {
  std::string path = defaultWorkerExecutable();
  EXPECT_EQ(path.substr(path.rfind('/') + 1), "sg-worker");
  EXPECT_EQ(path.front(), '/');
}

class WorkerProcessTest : public ::testing::Test {
 protected:
  std::unique_ptr<WorkerProcess> start(std::vector<std::string> args, uint32_t liveness_ms = 30000,
                                       uint32_t grace_ms = 2000,
                                       std::string executable = SG_FAKE_WORKER_BIN) {
    WorkerProcessOptions options;
    options.executable = std::move(executable);
    options.extra_args = std::move(args);
    options.liveness_timeout_ms = liveness_ms;
    options.kill_grace_ms = grace_ms;
    WorkerProcess::Callbacks callbacks;
    callbacks.onReady = [this](WorkerProcess&) { events_.push_back("ready"); };
    callbacks.onStats = [this](WorkerProcess&) { ++stats_; };
    callbacks.onHung = [this](WorkerProcess&) { events_.push_back("hung"); };
    callbacks.onExit = [this](WorkerProcess&, const WorkerExit& exit) {
      events_.push_back("exit");
      exit_ = exit;
    };
    auto worker = std::make_unique<WorkerProcess>(loop_.get(), std::move(options), callbacks);
    JsonPtr config = control::makeConfig(parseJson(R"({"llm":{"model":"model-a"}})"));
    worker->start(*config);
    return worker;
  }
  bool waitExit() {
    return loop_.runUntil([this] { return exit_.has_value(); });
  }
  bool waitReady(WorkerProcess& worker) {
    return loop_.runUntil([&] { return worker.state() == WorkerState::kReady || exit_; });
  }
  void closeLoop() {
    std::string open;
    EXPECT_EQ(loop_.close(&open), 0) << open;
  }
  std::string echoedModel(const WorkerProcess& worker) {
    const cJSON* stats = worker.lastStats();
    const cJSON* model =
        stats ? cJSON_GetObjectItem(
                    cJSON_GetObjectItem(cJSON_GetObjectItem(stats, "config"), "llm"), "model")
              : nullptr;
    return cJSON_IsString(model) ? model->valuestring : "";
  }

  test::TestLoop loop_;
  std::vector<std::string> events_;
  std::optional<WorkerExit> exit_;
  int stats_ = 0;
};

TEST_F(WorkerProcessTest, ReadyStatsConfigThenStopIsClean) {
  {
    auto worker = start({});
    ASSERT_TRUE(waitReady(*worker));
    EXPECT_GT(worker->pid(), 0);
    EXPECT_EQ(worker->version(), SG_VERSION);
    ASSERT_TRUE(loop_.runUntil([&] { return echoedModel(*worker) == "model-a"; }));

    JsonPtr next = control::makeConfig(parseJson(R"({"llm":{"model":"model-b"}})"));
    ASSERT_TRUE(worker->sendConfig(*next));
    ASSERT_TRUE(loop_.runUntil([&] { return echoedModel(*worker) == "model-b"; }));
    ASSERT_TRUE(worker->reopenLogs());
    ASSERT_TRUE(loop_.runUntil([&] {
      const cJSON* reopened = cJSON_GetObjectItem(worker->lastStats(), "reopened_logs");
      return cJSON_IsNumber(reopened) && reopened->valueint == 1;
    }));

    worker->stop();
    EXPECT_EQ(worker->state(), WorkerState::kDraining);
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kClean) << exit_->reason;
    EXPECT_EQ(worker->state(), WorkerState::kExited);
    EXPECT_FALSE(worker->sendConfig(*next));
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, ExitWithExConfigAtStartCannotStart) {
  {
    auto worker = start({"--exit-at-start", "78"});
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kCannotStart);
    EXPECT_EQ(exit_->status, 78);
    EXPECT_FALSE(exit_->was_ready);
    EXPECT_NE(exit_->reason.find("EX_CONFIG"), std::string::npos) << exit_->reason;
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, AnyExitBeforeReadyCannotStart) {
  {
    auto worker = start({"--exit-at-start", "3"});
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kCannotStart);
    EXPECT_NE(exit_->reason.find("before ready"), std::string::npos) << exit_->reason;
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, MissingExecutableCannotStartAndIsReportedFromTheLoop) {
  {
    auto worker = start({}, 30000, 2000, "/nonexistent/sg-worker");
    EXPECT_FALSE(exit_.has_value());  // not from inside start()
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kCannotStart);
    EXPECT_NE(exit_->reason.find("/nonexistent/sg-worker"), std::string::npos) << exit_->reason;
    EXPECT_EQ(worker->pid(), 0);
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, SegfaultAfterReadyIsACrash) {
  {
    auto worker = start({"--crash-after-ms", "0"});
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(events_, (std::vector<std::string>{"ready", "exit"}));
    EXPECT_EQ(exit_->kind, WorkerExitKind::kCrashed);
    EXPECT_EQ(exit_->signal, SIGSEGV);
    EXPECT_TRUE(exit_->was_ready);
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, KillNineIsACrash) {
  {
    auto worker = start({});
    ASSERT_TRUE(waitReady(*worker));
    ASSERT_EQ(::kill(worker->pid(), SIGKILL), 0);
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kCrashed);
    EXPECT_EQ(exit_->signal, SIGKILL);
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, HungWorkerGetsSigabrtThenSigkill) {
  test::TempDir dir;
  std::string marker = dir.file("abort");
  {
    // The fake catches SIGABRT (noting it) and keeps hanging, so only SIGKILL ends it.
    auto worker = start({"--hang-after-ms", "0", "--abort-marker", marker}, 1000, 300);
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(events_, (std::vector<std::string>{"ready", "hung", "exit"}));
    EXPECT_EQ(exit_->kind, WorkerExitKind::kCrashed);
    EXPECT_TRUE(exit_->hung);
    EXPECT_EQ(exit_->signal, SIGKILL);
    EXPECT_EQ(test::readFile(marker), "SIGABRT\n");
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, HungWorkerWithoutAHandlerDiesOfSigabrt) {
  {
    auto worker = start({"--hang-after-ms", "0"}, 1000, 30000);
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(events_, (std::vector<std::string>{"ready", "hung", "exit"}));
    EXPECT_TRUE(exit_->hung);
    EXPECT_EQ(exit_->signal, SIGABRT);
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, DrainFinishesThenExitsCleanly) {
  {
    auto worker = start({"--drain-delay-ms", "50"});
    ASSERT_TRUE(waitReady(*worker));
    worker->drain(10000);
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kClean) << exit_->reason;
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, WorkerOutlivingItsDrainDeadlineIsKilled) {
  {
    auto worker = start({"--ignore-drain"}, 30000, 100);
    ASSERT_TRUE(waitReady(*worker));
    worker->drain(100);
    ASSERT_TRUE(waitExit());
    EXPECT_EQ(exit_->kind, WorkerExitKind::kKilled) << exit_->reason;
    EXPECT_EQ(exit_->signal, SIGKILL);
  }
  closeLoop();
}

TEST_F(WorkerProcessTest, DestroyingARunningWorkerKillsAndReapsIt) {
  pid_t pid = 0;
  {
    auto worker = start({});
    ASSERT_TRUE(waitReady(*worker));
    pid = worker->pid();
  }
  EXPECT_NE(::kill(pid, 0), 0);  // gone, and not a zombie of ours either
  closeLoop();
}

}  // namespace
}  // namespace sg
