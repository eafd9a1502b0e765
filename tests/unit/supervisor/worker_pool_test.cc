// WorkerPool against real processes (the fake worker): configuration broadcast, restarts after
// kill -9, crash loops with growing backoff, "cannot start", the restart-intensity give-up, hung
// workers, scaling, rolling restarts and drains with a deadline. Assertions are about the order
// of events and the counters, never about how long anything took.
#include "supervisor/worker_pool.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/test_loop.h"

namespace sg {
namespace {

std::shared_ptr<Config> testConfig(uint32_t workers) {
  auto config = std::make_shared<Config>();
  config->workers = workers;
  config->supervisor.restart_base_ms = 20;
  config->supervisor.restart_max_ms = 400;
  config->supervisor.restart_intensity = 100;
  config->supervisor.restart_period_s = 60;
  config->supervisor.worker_timeout_ms = 30000;
  config->shutdown.drain_s = 10;
  return config;
}

std::string configJson(const std::string& model) {
  return R"({"workers":1,"llm":{"model":")" + model + R"("}})";
}

class WorkerPoolTest : public ::testing::Test {
 protected:
  void makePool(std::vector<std::string> args, uint32_t kill_grace_ms = 2000) {
    WorkerPoolOptions options;
    options.executable = SG_FAKE_WORKER_BIN;
    options.extra_args = std::move(args);
    options.kill_grace_ms = kill_grace_ms;
    WorkerPool::Callbacks callbacks;
    callbacks.onWorkerStarted = [this](const WorkerProcess& w) { note("start", w.id()); };
    callbacks.onWorkerReady = [this](const WorkerProcess& w) { note("ready", w.id()); };
    callbacks.onWorkerExit = [this](const WorkerProcess& w, const WorkerExit& exit) {
      note("exit", w.id());
      exits_.push_back(exit);
    };
    callbacks.onRestartScheduled = [this](const RestartPlan& plan) { plans_.push_back(plan); };
    callbacks.onGiveUp = [this](const std::string& reason) { give_ups_.push_back(reason); };
    callbacks.onHealthChanged = [this] {
      if (pool_) min_ready_ = std::min(min_ready_, pool_->health().ready);
    };
    pool_ = std::make_unique<WorkerPool>(loop_.get(), std::move(options), std::move(callbacks));
  }
  void note(const std::string& what, const std::string& id) { events_.push_back(what + ":" + id); }
  // Index of an event in the log, or -1.
  long at(const std::string& event) const {
    auto found = std::find(events_.begin(), events_.end(), event);
    return found == events_.end() ? -1 : found - events_.begin();
  }
  bool waitReady(uint32_t count) {
    return loop_.runUntil([&] { return pool_->health().ready == count; });
  }
  std::vector<std::string> currentIds() const {
    std::vector<std::string> ids;
    pool_->forEachWorker([&](const WorkerProcess& w) { ids.push_back(w.id()); });
    return ids;
  }
  std::string echoedModel(const WorkerProcess& worker) const {
    const cJSON* config = cJSON_GetObjectItem(worker.lastStats(), "config");
    const cJSON* model = cJSON_GetObjectItem(cJSON_GetObjectItem(config, "llm"), "model");
    return cJSON_IsString(model) ? model->valuestring : "";
  }
  // Drains what is left, frees the pool and checks that the loop closes cleanly.
  void finish() {
    bool drained = false;
    pool_->stopAll([&] { drained = true; });
    EXPECT_TRUE(loop_.runUntil([&] { return drained; }));
    pool_.reset();
    std::string open;
    EXPECT_EQ(loop_.close(&open), 0) << open;
  }

  test::TestLoop loop_;
  std::unique_ptr<WorkerPool> pool_;
  std::vector<std::string> events_;
  std::vector<WorkerExit> exits_;
  std::vector<RestartPlan> plans_;
  std::vector<std::string> give_ups_;
  uint32_t min_ready_ = UINT32_MAX;
};

TEST_F(WorkerPoolTest, StartsWorkersAndBroadcastsConfigurationToEach) {
  makePool({});
  auto config = testConfig(3);
  ASSERT_TRUE(pool_->start(config, configJson("model-a")));
  ASSERT_TRUE(waitReady(3));
  EXPECT_TRUE(pool_->health().allReady());

  ASSERT_TRUE(pool_->setConfig(config, configJson("model-b")));
  ASSERT_TRUE(loop_.runUntil([&] {
    int updated = 0;
    pool_->forEachWorker([&](const WorkerProcess& w) { updated += echoedModel(w) == "model-b"; });
    return updated == 3;
  }));
  EXPECT_FALSE(pool_->setConfig(config, "[1,2]"));  // not an object: refused, nothing sent
  EXPECT_EQ(pool_->counters().spawned, 3u);
  EXPECT_EQ(pool_->counters().restarts, 0u);
  finish();
  EXPECT_EQ(pool_ == nullptr, true);
}

TEST_F(WorkerPoolTest, KillNineOfAWorkerIsFollowedByARestart) {
  makePool({});
  ASSERT_TRUE(pool_->start(testConfig(2), configJson("m")));
  ASSERT_TRUE(waitReady(2));
  std::vector<std::string> before = currentIds();
  pid_t victim_pid = 0;
  std::string victim;
  pool_->forEachWorker([&](const WorkerProcess& w) {
    if (victim.empty()) {
      victim = w.id();
      victim_pid = w.pid();
    }
  });
  ASSERT_EQ(::kill(victim_pid, SIGKILL), 0);
  ASSERT_TRUE(loop_.runUntil([&] { return pool_->counters().restarts == 1 && waitReady(2); }));

  std::vector<std::string> after = currentIds();
  ASSERT_EQ(after.size(), 2u);
  std::string replacement = after[0] == before[1] ? after[1] : after[0];
  EXPECT_EQ(std::count(after.begin(), after.end(), victim), 0);
  EXPECT_LT(at("exit:" + victim), at("start:" + replacement));
  EXPECT_LT(at("start:" + replacement), at("ready:" + replacement));
  ASSERT_EQ(plans_.size(), 1u);
  EXPECT_EQ(plans_[0].replaces, victim);
  EXPECT_EQ(exits_[0].kind, WorkerExitKind::kCrashed);
  EXPECT_EQ(exits_[0].signal, SIGKILL);
  EXPECT_NE(pool_->health().last_failure.find(victim), std::string::npos);
  finish();
}

TEST_F(WorkerPoolTest, CrashLoopGrowsTheBackoffAndThePoolStaysUp) {
  makePool({"--crash-after-ms", "0"});
  auto config = testConfig(1);
  config->supervisor.restart_intensity = 8;  // a crash loop from 4 exits, give up above 8
  ASSERT_TRUE(pool_->start(config, configJson("m")));
  ASSERT_TRUE(loop_.runUntil([&] { return plans_.size() == 5; }));

  EXPECT_EQ(plans_[0].attempt, 1u);
  EXPECT_EQ(plans_[4].attempt, 5u);
  EXPECT_GT(plans_[4].delay_ms, plans_[0].delay_ms);
  EXPECT_FALSE(plans_[2].crash_looping);
  EXPECT_TRUE(plans_[3].crash_looping);
  // The 4th delay: at most 160 ms by the backoff alone, multiplied because of the crash loop.
  EXPECT_GT(plans_[3].delay_ms, 160u);
  EXPECT_EQ(pool_->counters().crash_loops, 1u);
  EXPECT_EQ(pool_->counters().exits_crashed, 5u);
  WorkerPoolHealth health = pool_->health();
  EXPECT_TRUE(health.crash_looping);
  EXPECT_FALSE(health.gave_up);
  EXPECT_FALSE(health.allReady());
  EXPECT_NE(health.last_failure.find("SIGSEGV"), std::string::npos) << health.last_failure;
  EXPECT_TRUE(give_ups_.empty());
  finish();
}

TEST_F(WorkerPoolTest, CannotStartIsReportedAsSuch) {
  makePool({"--exit-at-start", "78"});
  ASSERT_TRUE(pool_->start(testConfig(1), configJson("m")));
  ASSERT_TRUE(loop_.runUntil([&] { return !plans_.empty(); }));
  EXPECT_EQ(exits_[0].kind, WorkerExitKind::kCannotStart);
  EXPECT_EQ(pool_->counters().exits_cannot_start, 1u);
  std::string why = pool_->health().last_failure;
  EXPECT_NE(why.find("cannot_start"), std::string::npos) << why;
  EXPECT_NE(why.find("EX_CONFIG"), std::string::npos) << why;
  finish();
}

TEST_F(WorkerPoolTest, RestartIntensityExceededGivesUp) {
  makePool({"--exit-at-start", "78"});
  auto config = testConfig(1);
  config->supervisor.restart_intensity = 2;
  ASSERT_TRUE(pool_->start(config, configJson("m")));
  ASSERT_TRUE(loop_.runUntil([&] { return !give_ups_.empty(); }));
  EXPECT_EQ(give_ups_.size(), 1u);
  EXPECT_NE(give_ups_[0].find("restart_intensity 2"), std::string::npos) << give_ups_[0];
  EXPECT_EQ(pool_->counters().spawned, 3u);  // the first start and two restarts, no more
  EXPECT_EQ(plans_.size(), 2u);
  WorkerPoolHealth health = pool_->health();
  EXPECT_TRUE(health.gave_up);
  EXPECT_EQ(health.live, 0u);
  pool_->setWorkerCount(3);  // nothing starts any more
  EXPECT_EQ(pool_->counters().spawned, 3u);
  finish();
}

TEST_F(WorkerPoolTest, HungWorkerGetsSigabrtThenSigkillAndIsReplaced) {
  test::TempDir dir;
  makePool({"--hang-after-ms", "0", "--abort-marker", dir.file("abort"), "--fault-budget",
            dir.file("budget") + ":1"},
           300);
  auto config = testConfig(1);
  config->supervisor.worker_timeout_ms = 1000;
  ASSERT_TRUE(pool_->start(config, configJson("m")));
  ASSERT_TRUE(loop_.runUntil([&] { return pool_->counters().restarts == 1 && waitReady(1); }));
  EXPECT_EQ(pool_->counters().hung, 1u);
  ASSERT_EQ(exits_.size(), 1u);
  EXPECT_TRUE(exits_[0].hung);
  EXPECT_EQ(exits_[0].signal, SIGKILL);  // it caught SIGABRT, so the escalation finished it
  EXPECT_EQ(test::readFile(dir.file("abort")), "SIGABRT\n");
  finish();
}

TEST_F(WorkerPoolTest, ScalesUpAndDownDrainingTheNewest) {
  makePool({});
  ASSERT_TRUE(pool_->start(testConfig(1), configJson("m")));
  ASSERT_TRUE(waitReady(1));
  std::string oldest = currentIds()[0];
  pool_->setWorkerCount(3);
  EXPECT_EQ(pool_->workerCount(), 3u);
  ASSERT_TRUE(waitReady(3));
  std::vector<std::string> started;
  for (const auto& event : events_) {
    if (event.rfind("start:", 0) == 0) started.push_back(event.substr(6));
  }
  ASSERT_EQ(started.size(), 3u);

  pool_->setWorkerCount(1);
  EXPECT_EQ(pool_->health().target, 1u);
  ASSERT_TRUE(loop_.runUntil([&] { return pool_->health().live == 1; }));
  EXPECT_EQ(currentIds(), std::vector<std::string>{oldest});
  ASSERT_EQ(exits_.size(), 2u);
  for (const auto& exit : exits_) EXPECT_EQ(exit.kind, WorkerExitKind::kClean) << exit.reason;
  EXPECT_GE(at("exit:" + started[1]), 0);
  EXPECT_GE(at("exit:" + started[2]), 0);
  EXPECT_EQ(pool_->counters().restarts, 0u);
  finish();
}

TEST_F(WorkerPoolTest, RollingRestartReplacesWorkersOneByOne) {
  makePool({});
  ASSERT_TRUE(pool_->start(testConfig(2), configJson("m")));
  ASSERT_TRUE(waitReady(2));
  std::vector<std::string> old_ids = currentIds();
  size_t first_new_event = events_.size();
  min_ready_ = UINT32_MAX;
  std::optional<bool> completed;
  pool_->restartAll([&](bool ok) { completed = ok; });
  ASSERT_TRUE(loop_.runUntil([&] { return completed.has_value() && pool_->health().live == 2; }));
  EXPECT_TRUE(*completed);

  std::vector<std::string> new_ids = currentIds();
  ASSERT_EQ(new_ids.size(), 2u);
  for (const auto& id : new_ids) EXPECT_EQ(std::count(old_ids.begin(), old_ids.end(), id), 0);
  std::vector<std::string> started;
  for (size_t i = first_new_event; i < events_.size(); ++i) {
    if (events_[i].rfind("start:", 0) == 0) started.push_back(events_[i].substr(6));
  }
  ASSERT_EQ(started.size(), 2u);
  // One by one: the second replacement starts only after the first is ready, and each old worker
  // leaves only after a replacement is ready.
  EXPECT_LT(at("ready:" + started[0]), at("start:" + started[1]));
  for (const auto& old : old_ids) EXPECT_LT(at("ready:" + started[0]), at("exit:" + old));
  EXPECT_GE(min_ready_, 2u);  // capacity never dropped
  for (const auto& exit : exits_) EXPECT_EQ(exit.kind, WorkerExitKind::kClean) << exit.reason;
  EXPECT_EQ(pool_->counters().rolling_replaced, 2u);
  EXPECT_EQ(pool_->counters().restarts, 0u);
  finish();
}

TEST_F(WorkerPoolTest, DrainAllKillsWorkersPastTheDeadline) {
  test::TempDir dir;
  // The first worker ignores drain; the second drains cleanly.
  makePool({"--ignore-drain", "--fault-budget", dir.file("budget") + ":1"}, 200);
  ASSERT_TRUE(pool_->start(testConfig(2), configJson("m")));
  ASSERT_TRUE(waitReady(2));
  bool drained = false;
  pool_->drainAll(200, [&] { drained = true; });
  EXPECT_FALSE(drained);
  EXPECT_TRUE(pool_->health().stopping);
  ASSERT_TRUE(loop_.runUntil([&] { return drained; }));
  EXPECT_EQ(pool_->health().live, 0u);
  EXPECT_EQ(pool_->counters().exits_clean, 1u);
  EXPECT_EQ(pool_->counters().exits_killed, 1u);
  EXPECT_TRUE(plans_.empty());  // nothing restarts while stopping
  pool_->restartAll([&](bool ok) { EXPECT_FALSE(ok); });
  finish();
}

}  // namespace
}  // namespace sg
