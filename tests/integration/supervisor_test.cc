// sg-supervisor end to end: the real supervisor running real sg-worker processes (echo
// processor) against a real redis-server, driven with signals, Redis and its health endpoint.
// What operators rely on: a killed worker is replaced and nothing is lost; a worker that cannot
// start backs off and the supervisor says why; configuration changes (file + SIGHUP, Redis
// overrides) reach the workers without restarting them, and invalid ones are refused; one status
// leader and a takeover when it dies; SIGTERM drains and leaves nothing behind; SIGTTIN/SIGTTOU;
// /metrics parses; the pid file; systemd notifications. Assertions are about events and state,
// never about how long anything took.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>
#include <set>

#include "support/bus_fixture.h"
#include "support/fake_llm.h"
#include "support/prometheus_check.h"
#include "support/supervisor_fixture.h"

namespace sg::test {
namespace {

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok()) << redis_.logText();
    client_ = redis_.client();
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (auto& supervisor : supervisors_) {
      std::cerr << "---- log of " << supervisor->name() << " ----\n" << supervisor->log() << "\n";
    }
  }
  SupervisorProcess& makeSupervisor(const std::string& name, const std::string& extra = "") {
    supervisors_.push_back(std::make_unique<SupervisorProcess>(redis_, name, extra, dir_));
    return *supervisors_.back();
  }
  SupervisorProcess& startSupervisor(const std::string& name, const std::string& extra = "",
                                     const std::vector<std::string>& flags = {}) {
    SupervisorProcess& supervisor = makeSupervisor(name, extra);
    EXPECT_TRUE(supervisor.start(flags));
    return supervisor;
  }
  std::set<std::string> answeredEvents() {
    std::set<std::string> events;
    for (const auto& action : readOutbound(*client_)) {
      if (action.action == "send_message") events.insert(action.event_id);
    }
    return events;
  }
  size_t countActions(const std::string& kind) {
    size_t n = 0;
    for (const auto& action : readOutbound(*client_)) n += action.action == kind;
    return n;
  }
  long long pendingCount() {
    Reply reply = client_->command({"XPENDING", "sg:stream:inbound", "sg:workers"});
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) return -1;
    return reply->element[0]->integer;
  }
  size_t keyCount(const std::string& pattern) {
    Reply reply = client_->command({"KEYS", pattern});
    return reply && reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
  }
  std::string leaseHolder() { return client_->string({"GET", "sg:status:leader"}); }
  void addMessages(int channels, int per_channel, const std::string& prefix) {
    for (int m = 0; m < per_channel; ++m) {
      for (int c = 0; c < channels; ++c) {
        addInbound(*client_, makeEnvelope({.event_id = prefix + "-c" + std::to_string(c) + "-m" +
                                                       std::to_string(m),
                                           .channel_id = prefix + "-c" + std::to_string(c)}));
      }
    }
  }
  void setOverrides(const std::string& json, bool publish = true) {
    client_->command({"SET", "sg:config:overrides", json});
    long long version = client_->integer({"INCR", "sg:config:version"});
    if (publish) client_->command({"PUBLISH", "sg:config:updates", std::to_string(version)});
  }

  TempDir dir_;
  RedisServer redis_;
  std::unique_ptr<SyncRedis> client_;
  std::vector<std::unique_ptr<SupervisorProcess>> supervisors_;
};

std::string configDigestOf(const cJSON* status) {
  return std::string(jsonString(jsonField(status, "config"), "digest"));
}

std::string effectiveModel(const cJSON* status) {
  const cJSON* effective = jsonField(jsonField(status, "config"), "effective");
  return std::string(jsonString(jsonField(effective, "llm"), "model"));
}

// Every listed worker is ready and reports the supervisor's configuration digest.
bool workersRun(const cJSON* status, const std::string& digest, size_t count) {
  const cJSON* list = jsonField(jsonField(status, "workers"), "list");
  if (static_cast<size_t>(cJSON_GetArraySize(list)) != count) return false;
  const cJSON* worker = nullptr;
  cJSON_ArrayForEach(worker, list) {
    if (jsonString(worker, "state") != "ready" || jsonString(worker, "config_digest") != digest) {
      return false;
    }
  }
  return true;
}

// Position of the first line of `log` (from `from`) matching `pattern`, or npos.
size_t findLine(const std::string& log, const std::string& pattern, size_t from = 0) {
  size_t at = log.find(pattern, from);
  return at;
}

std::set<pid_t> asSet(const std::vector<pid_t>& pids) {
  return {pids.begin(), pids.end()};
}

TEST_F(SupervisorTest, KilledWorkerIsReplacedAndNothingIsLost) {
  SupervisorProcess& supervisor =
      startSupervisor("sup-kill", R"({"consumer": {"echo_delay_ms": 20}})");
  ASSERT_TRUE(supervisor.waitReady());
  std::vector<pid_t> before = supervisor.workerPids();
  ASSERT_EQ(before.size(), 2u);
  JsonPtr status = supervisor.status();
  std::string victim_id = std::string(jsonString(
      cJSON_GetArrayItem(jsonField(jsonField(status.get(), "workers"), "list"), 0), "id"));
  pid_t victim = before[0];

  addMessages(10, 10, "kill");
  ASSERT_TRUE(waitFor([&] { return !answeredEvents().empty(); }, 20000));
  ASSERT_EQ(::kill(victim, SIGKILL), 0);

  // A new worker takes the slot; the other one was left alone.
  ASSERT_TRUE(supervisor.waitStatus([&](const cJSON* s) {
    std::vector<pid_t> pids;
    const cJSON* worker = nullptr;
    cJSON_ArrayForEach(worker, jsonField(jsonField(s, "workers"), "list")) {
      if (jsonString(worker, "state") == "ready")
        pids.push_back(jsonField(worker, "pid")->valueint);
    }
    return pids.size() == 2 && std::find(pids.begin(), pids.end(), victim) == pids.end();
  }));
  EXPECT_TRUE(asSet(supervisor.workerPids()).count(before[1]));

  // Nothing lost, nothing answered twice.
  ASSERT_TRUE(waitFor([&] { return answeredEvents().size() == 100; }, 60000))
      << answeredEvents().size();
  ASSERT_TRUE(waitFor([&] { return pendingCount() == 0; }, 20000));
  EXPECT_EQ(countActions("send_message"), 100u);

  // The supervisor saw the crash, then scheduled the restart, then started the replacement.
  std::string log = supervisor.log();
  size_t crashed = findLine(log, victim_id + " (pid " + std::to_string(victim) + ") crashed");
  size_t scheduled = findLine(log, "restarting in place of " + victim_id);
  ASSERT_NE(crashed, std::string::npos) << "no crash line for " << victim_id;
  ASSERT_NE(scheduled, std::string::npos);
  EXPECT_LT(crashed, scheduled);
  EXPECT_NE(findLine(log, " started (pid", scheduled), std::string::npos);
  EXPECT_EQ(supervisor.process().running(), true);
}

TEST_F(SupervisorTest, WorkerThatCannotStartBacksOffAndTheSupervisorSaysWhy) {
  SupervisorProcess& supervisor =
      makeSupervisor("sup-nostart", R"({"workers": 1, "supervisor": {"restart_base_ms": 40,
                        "restart_max_ms": 5000, "restart_intensity": 1000}})");
  supervisor.setWorkerBinary(dir_.file("no-such-worker"));
  ASSERT_TRUE(supervisor.start());

  std::regex restart(R"(restarting in place of \S+ in (\d+) ms \(attempt (\d+))");
  std::vector<std::pair<long, long>> plans;  // (delay, attempt)
  ASSERT_TRUE(waitFor(
      [&] {
        plans.clear();
        std::string log = supervisor.log();
        for (auto it = std::sregex_iterator(log.begin(), log.end(), restart);
             it != std::sregex_iterator(); ++it) {
          plans.emplace_back(std::stol((*it)[1]), std::stol((*it)[2]));
        }
        return plans.size() >= 6;
      },
      30000));
  // Attempts count up and the delays grow: with 50% jitter, every delay is above the one two
  // attempts before it (until the cap).
  for (size_t i = 0; i < plans.size(); ++i) EXPECT_EQ(plans[i].second, long(i) + 1);
  for (size_t i = 2; i < plans.size(); ++i) EXPECT_GT(plans[i].first, plans[i - 2].first);

  // Still up, not ready, and it says why.
  long code = 0;
  supervisor.get("/healthz", &code);
  EXPECT_EQ(code, 200);
  std::string body = supervisor.get("/readyz", &code);
  EXPECT_EQ(code, 503);
  EXPECT_NE(body.find("no-such-worker"), std::string::npos) << body;
  EXPECT_NE(supervisor.log().find("cannot_start: cannot execute"), std::string::npos);
  EXPECT_TRUE(supervisor.process().running());
}

TEST_F(SupervisorTest, PastTheRestartIntensityItReleasesTheLeaseAndExits70) {
  SupervisorProcess& supervisor =
      makeSupervisor("sup-giveup", R"({"workers": 1, "supervisor": {"restart_base_ms": 10,
                       "restart_max_ms": 50, "restart_intensity": 3, "restart_period_s": 60}})");
  supervisor.setWorkerBinary(dir_.file("no-such-worker"));
  ASSERT_TRUE(supervisor.start());
  EXPECT_EQ(supervisor.waitExit(30000), 70);
  EXPECT_NE(supervisor.log().find("giving up on workers"), std::string::npos);
  EXPECT_EQ(leaseHolder(), "");
  EXPECT_EQ(keyCount("sg:heartbeat:*"), 0u);
}

TEST_F(SupervisorTest, SighupAppliesALiveKeyToTheWorkersWithoutRestartingThem) {
  SupervisorProcess& supervisor = startSupervisor("sup-hup");
  ASSERT_TRUE(supervisor.waitReady());
  JsonPtr before = supervisor.status();
  std::string digest = configDigestOf(before.get());
  ASSERT_TRUE(supervisor.waitStatus([&](const cJSON* s) { return workersRun(s, digest, 2); }));
  std::set<pid_t> pids = asSet(supervisor.workerPids());

  supervisor.writeConfig(R"({"llm": {"model": "test/after-sighup"}})");
  supervisor.process().signal(SIGHUP);

  std::string after;
  ASSERT_TRUE(supervisor.waitStatus([&](const cJSON* s) {
    after = configDigestOf(s);
    return after != digest && workersRun(s, after, 2);
  }));
  JsonPtr status = supervisor.status();
  EXPECT_EQ(effectiveModel(status.get()), "test/after-sighup");
  EXPECT_EQ(asSet(supervisor.workerPids()), pids) << "a live key must not restart workers";
  long code = 0;
  PromText metrics = parsePrometheusText(supervisor.get("/metrics", &code));
  EXPECT_EQ(
      metrics.value("sg_supervisor_reloads_total", {{"trigger", "sighup"}, {"outcome", "applied"}}),
      1);
  EXPECT_EQ(metrics.value("sg_supervisor_worker_spawns_total"), 2);
  EXPECT_NE(supervisor.log().find("llm.model (live)"), std::string::npos);
}

// The model of the one chat request made since `fake` was reset.
std::string requestedModel(FakeLlm& fake) {
  std::vector<JsonPtr> bodies = fake.bodies();
  if (bodies.size() != 1) return "(" + std::to_string(bodies.size()) + " requests)";
  return std::string(jsonString(bodies[0].get(), "model"));
}

TEST_F(SupervisorTest, TheNextLlmRequestUsesTheModelChangedBySighupOrAnOverride) {
  FakeLlm fake;
  ASSERT_TRUE(fake.ok());
  auto config = [&](const std::string& model) {
    return R"({"consumer": {"processor": "llm"}, "llm": {"base_url": ")" + fake.baseUrl() +
           R"(", "model": ")" + model + R"(", "api_key": "sk-test", "max_retries": 1,
              "retry_base_ms": 5, "retry_max_ms": 20}})";
  };
  SupervisorProcess& supervisor = startSupervisor("sup-llm", config("model/one"));
  ASSERT_TRUE(supervisor.waitReady());
  std::set<pid_t> pids = asSet(supervisor.workerPids());
  // One message answered through the LLM; the model it asked for.
  auto ask = [&](const std::string& event) {
    fake.reset();
    addInbound(*client_, makeEnvelope({.event_id = event, .channel_id = "llm-" + event}));
    EXPECT_TRUE(waitFor([&] { return answeredEvents().count(event) == 1; }, 30000)) << event;
    return requestedModel(fake);
  };
  auto onNewConfig = [&](const std::string& old_digest) {
    return supervisor.waitStatus([&](const cJSON* s) {
      return configDigestOf(s) != old_digest && workersRun(s, configDigestOf(s), 2);
    });
  };
  EXPECT_EQ(ask("ev-llm-1"), "model/one");

  JsonPtr status = supervisor.status();
  supervisor.writeConfig(config("model/two"));
  supervisor.process().signal(SIGHUP);
  ASSERT_TRUE(onNewConfig(configDigestOf(status.get())));
  EXPECT_EQ(ask("ev-llm-2"), "model/two");

  status = supervisor.status();
  setOverrides(R"({"llm": {"model": "model/three"}})");
  ASSERT_TRUE(onNewConfig(configDigestOf(status.get())));
  EXPECT_EQ(ask("ev-llm-3"), "model/three");

  setOverrides(R"({"llm": {"model": ""}})");
  long code = 0;
  ASSERT_TRUE(waitFor(
      [&] {
        return parsePrometheusText(supervisor.get("/metrics", &code))
                   .value("sg_supervisor_reloads_total",
                          {{"trigger", "overrides"}, {"outcome", "refused"}}) == 1;
      },
      20000));
  EXPECT_EQ(ask("ev-llm-4"), "model/three") << "the refused override changed nothing";
  EXPECT_EQ(asSet(supervisor.workerPids()), pids) << "no worker restarted";

  // The processor's counters reach /metrics through the workers' reports.
  PromText metrics;
  ASSERT_TRUE(waitFor(
      [&] {
        metrics = parsePrometheusText(supervisor.get("/metrics", &code));
        return metrics.value("sg_llm_calls_total", {{"outcome", "ok"}}) == 4;
      },
      20000));
  EXPECT_TRUE(metrics.errors.empty()) << ::testing::PrintToString(metrics.errors);
  EXPECT_EQ(metrics.types["sg_llm_call_duration_seconds"], "histogram");
  EXPECT_EQ(metrics.value("sg_llm_call_duration_seconds_count"), 4);
  EXPECT_GT(metrics.value("sg_llm_tokens_total", {{"kind", "prompt"}}), 0);
}

TEST_F(SupervisorTest, ANewRedisUrlRestartsTheWorkersOneByOneAndAFullRestartKeyWaits) {
  SupervisorProcess& supervisor = startSupervisor("sup-roll");
  ASSERT_TRUE(supervisor.waitReady());
  std::set<pid_t> before = asSet(supervisor.workerPids());
  ASSERT_EQ(before.size(), 2u);

  // The same server, database 1: the workers move there; health.listen must wait for a restart.
  std::string moved = redis_.url().substr(0, redis_.url().size() - 1) + "1";
  supervisor.writeConfig(R"({"redis": {"url": ")" + moved + R"("},
                            "health": {"listen": "127.0.0.1:1"}})");
  supervisor.process().signal(SIGHUP);
  std::string digest;
  ASSERT_TRUE(supervisor.waitStatus([&](const cJSON* s) {
    digest = configDigestOf(s);
    std::set<pid_t> now;
    const cJSON* worker = nullptr;
    cJSON_ArrayForEach(worker, jsonField(jsonField(s, "workers"), "list")) {
      now.insert(static_cast<pid_t>(jsonField(worker, "pid")->valueint));
    }
    bool all_new = std::none_of(now.begin(), now.end(), [&](pid_t p) { return before.count(p); });
    return all_new && workersRun(s, digest, 2);
  }));
  auto db1 = redis_.client();
  db1->command({"SELECT", "1"});
  EXPECT_TRUE(waitFor(
      [&] {
        Reply keys = db1->command({"KEYS", "sg:heartbeat:worker-*"});
        return keys && keys->elements == 2;
      },
      20000));
  JsonPtr status = supervisor.status();  // still answering on the old address
  ASSERT_NE(status, nullptr);
  const cJSON* pending = jsonField(jsonField(status.get(), "config"), "restart_pending");
  ASSERT_EQ(cJSON_GetArraySize(pending), 1);
  EXPECT_STREQ(cJSON_GetArrayItem(pending, 0)->valuestring, "health.listen");
  std::string log = supervisor.log();
  EXPECT_NE(log.find("health.listen changed to \"127.0.0.1:1\" but needs a restart"),
            std::string::npos);
  EXPECT_NE(log.find("all workers restarted"), std::string::npos);
}

TEST_F(SupervisorTest, RedisOverridesApplyLiveAndAnInvalidOneIsRefused) {
  setOverrides(R"({"llm": {"model": "test/at-start"}})", false);
  SupervisorProcess& supervisor = startSupervisor("sup-over");
  ASSERT_TRUE(supervisor.waitReady());
  JsonPtr first = supervisor.status();
  EXPECT_EQ(effectiveModel(first.get()), "test/at-start") << "overrides apply before workers start";
  long code = 0;
  PromText start_metrics = parsePrometheusText(supervisor.get("/metrics", &code));
  EXPECT_EQ(start_metrics.value("sg_supervisor_worker_spawns_total"), 2);
  std::set<pid_t> pids = asSet(supervisor.workerPids());

  setOverrides(R"({"llm": {"model": "test/overridden"}})");
  std::string digest;
  ASSERT_TRUE(supervisor.waitStatus([&](const cJSON* s) {
    digest = configDigestOf(s);
    return effectiveModel(s) == "test/overridden" && workersRun(s, digest, 2);
  }));
  EXPECT_EQ(asSet(supervisor.workerPids()), pids);

  // Refused whole: a valid key beside the invalid one does not apply either.
  setOverrides(R"({"llm": {"model": ""}, "consumer": {"echo_delay_ms": 7}})");
  ASSERT_TRUE(waitFor(
      [&] {
        PromText metrics = parsePrometheusText(supervisor.get("/metrics", &code));
        return metrics.value("sg_supervisor_reloads_total",
                             {{"trigger", "overrides"}, {"outcome", "refused"}}) == 1;
      },
      20000));
  JsonPtr after = supervisor.status();
  EXPECT_EQ(configDigestOf(after.get()), digest);
  EXPECT_EQ(effectiveModel(after.get()), "test/overridden");
  EXPECT_NE(supervisor.log().find("sg:config:overrides: llm.model: must not be empty"),
            std::string::npos);

  // Published while the subscriber was away: read again on reconnection.
  client_->command({"CLIENT", "KILL", "TYPE", "pubsub"});
  setOverrides(R"({"llm": {"model": "test/after-reconnect"}})", false);
  client_->command({"CLIENT", "KILL", "TYPE", "pubsub"});
  ASSERT_TRUE(supervisor.waitStatus(
      [&](const cJSON* s) { return effectiveModel(s) == "test/after-reconnect"; }));
  EXPECT_EQ(asSet(supervisor.workerPids()), pids);
}

TEST_F(SupervisorTest, TwoSupervisorsHaveOneLeaderAndTheOtherTakesOverWhenItDies) {
  const std::string extra = R"({"workers": 1})";
  SupervisorProcess& a = startSupervisor("sup-a", extra);
  SupervisorProcess& b = startSupervisor("sup-b", extra);
  ASSERT_TRUE(a.waitReady());
  ASSERT_TRUE(b.waitReady());
  auto leads = [](SupervisorProcess& s) {
    JsonPtr status = s.status();
    return status && cJSON_IsTrue(jsonField(jsonField(status.get(), "leader"), "is_leader"));
  };
  ASSERT_TRUE(waitFor([&] { return leads(a) != leads(b); }, 20000));
  SupervisorProcess& leader = leads(a) ? a : b;
  SupervisorProcess& other = leads(a) ? b : a;
  EXPECT_EQ(leaseHolder(), leader.name());
  ASSERT_TRUE(waitFor([&] { return countActions("set_presence") >= 2; }, 20000));

  leader.process().kill9();
  ASSERT_TRUE(waitFor([&] { return leaseHolder() == other.name() && leads(other); }, 20000));
  size_t at_takeover = countActions("set_presence");
  ASSERT_TRUE(waitFor([&] { return countActions("set_presence") >= at_takeover + 2; }, 20000));

  // One source at a time: the dead leader's actions, then only the new leader's.
  std::vector<std::string> sources;
  for (const auto& action : readOutbound(*client_)) {
    if (action.action != "set_presence") continue;
    EXPECT_TRUE(action.action_id.starts_with("presence:" + action.worker + ":"))
        << action.action_id;
    EXPECT_EQ(action.event_id, "");
    if (sources.empty() || sources.back() != action.worker) sources.push_back(action.worker);
  }
  EXPECT_EQ(sources, (std::vector<std::string>{leader.name(), other.name()}));
}

TEST_F(SupervisorTest, SigtermDrainsSlowWorkAndLeavesNothingBehind) {
  SupervisorProcess& supervisor = startSupervisor(
      "sup-term", R"({"consumer": {"echo_delay_ms": 1500}, "shutdown": {"drain_s": 20}})");
  ASSERT_TRUE(supervisor.waitReady());
  ASSERT_TRUE(waitFor([&] { return leaseHolder() == supervisor.name(); }, 20000));
  addMessages(6, 2, "term");
  ASSERT_TRUE(waitFor([&] { return countActions("typing") >= 2; }, 20000));

  supervisor.process().signal(SIGTERM);
  EXPECT_EQ(supervisor.waitExit(60000), 0);
  EXPECT_EQ(leaseHolder(), "");
  EXPECT_EQ(keyCount("sg:chlock:*"), 0u);
  EXPECT_EQ(keyCount("sg:heartbeat:*"), 0u);
  std::string log = supervisor.log();
  EXPECT_NE(log.find("released the status lease"), std::string::npos);
  EXPECT_NE(log.find("exits with status 0"), std::string::npos);

  // What was not finished stayed in Redis for another host: a worker started now answers all.
  WorkerProcess rescuer(redis_, "worker-rescuer", "", dir_);
  ASSERT_TRUE(rescuer.start());
  ASSERT_TRUE(waitFor([&] { return answeredEvents().size() == 12; }, 60000))
      << answeredEvents().size();
  EXPECT_EQ(countActions("send_message"), 12u);
}

TEST_F(SupervisorTest, SigttinAndSigttouChangeTheNumberOfConsumers) {
  SupervisorProcess& supervisor = startSupervisor("sup-ttin", R"({"workers": 1})");
  ASSERT_TRUE(supervisor.waitReady());
  auto workerHeartbeats = [&] { return keyCount("sg:heartbeat:worker-*"); };
  ASSERT_TRUE(waitFor([&] { return workerHeartbeats() == 1; }, 20000));

  supervisor.process().signal(SIGTTIN);
  ASSERT_TRUE(supervisor.waitStatus([](const cJSON* s) { return statusWorkerCount(s) == 2; }));
  supervisor.process().signal(SIGTTIN);
  ASSERT_TRUE(supervisor.waitStatus([](const cJSON* s) { return statusWorkerCount(s) == 3; }));
  EXPECT_TRUE(waitFor([&] { return workerHeartbeats() == 3; }, 20000));

  supervisor.process().signal(SIGTTOU);
  ASSERT_TRUE(supervisor.waitStatus([](const cJSON* s) {
    return statusWorkerCount(s, false) == 2 && statusWorkerCount(s) == 2;
  }));
  EXPECT_TRUE(waitFor([&] { return workerHeartbeats() == 2; }, 20000));
  EXPECT_TRUE(supervisor.waitReady());
}

TEST_F(SupervisorTest, MetricsParseAndTotalsSurviveAWorkerRestart) {
  SupervisorProcess& supervisor = startSupervisor("sup-metrics");
  ASSERT_TRUE(supervisor.waitReady());
  addMessages(5, 2, "metrics");
  ASSERT_TRUE(waitFor([&] { return answeredEvents().size() == 10; }, 30000));

  long code = 0;
  PromText metrics;
  ASSERT_TRUE(waitFor(
      [&] {
        metrics = parsePrometheusText(supervisor.get("/metrics", &code));
        return metrics.value("sg_messages_total", {{"outcome", "answered"}}) == 10;
      },
      20000));
  EXPECT_EQ(code, 200);
  EXPECT_TRUE(metrics.errors.empty()) << ::testing::PrintToString(metrics.errors);
  EXPECT_EQ(metrics.types["sg_worker_messages_total"], "counter");
  EXPECT_EQ(metrics.types["sg_supervisor_reloads_total"], "counter");
  EXPECT_FALSE(std::isnan(metrics.value("sg_supervisor_leader")));
  EXPECT_EQ(metrics.all("sg_worker_messages_total").size(), 2u * 5);  // 2 workers x 5 outcomes
  EXPECT_EQ(metrics.value("sg_supervisor_workers", {{"state", "ready"}}), 2);

  // A worker dies: its counts stay in the totals.
  std::vector<pid_t> pids = supervisor.workerPids();
  ::kill(pids[0], SIGKILL);
  ASSERT_TRUE(supervisor.waitStatus([&](const cJSON* s) {
    return statusWorkerCount(s) == 2 && !asSet(supervisor.workerPids()).count(pids[0]);
  }));
  PromText later = parsePrometheusText(supervisor.get("/metrics", &code));
  EXPECT_TRUE(later.errors.empty()) << ::testing::PrintToString(later.errors);
  EXPECT_EQ(later.value("sg_messages_total", {{"outcome", "answered"}}), 10);
  EXPECT_EQ(later.value("sg_supervisor_worker_exits_total", {{"kind", "crashed"}}), 1);
}

TEST_F(SupervisorTest, Sigusr1ReopensTheLogFilesOfTheSupervisorAndItsWorkers) {
  std::string log = dir_.file("service.log");
  std::string extra = R"({"log": {"file": ")" + log + R"("}})";
  SupervisorProcess& supervisor = startSupervisor("sup-usr1", extra);
  ASSERT_TRUE(supervisor.waitReady());
  ASSERT_TRUE(waitFor([&] { return readFile(log).find("worker-") != std::string::npos; }, 20000));
  std::string rotated = dir_.file("service.log.1");
  ASSERT_EQ(std::rename(log.c_str(), rotated.c_str()), 0);

  supervisor.process().signal(SIGUSR1);
  ASSERT_TRUE(waitFor([&] { return readFile(log).find("log file reopened") != std::string::npos; },
                      20000));
  // Give the workers something to log: a live change each of them applies.
  supervisor.writeConfig(R"({"log": {"file": ")" + log + R"("}, "llm": {"model": "m-usr1"}})");
  supervisor.process().signal(SIGHUP);
  ASSERT_TRUE(waitFor(
      [&] {
        std::string text = readFile(log);
        size_t first = text.find("] worker-");
        return first != std::string::npos && text.find("] worker-", first + 1) != std::string::npos;
      },
      20000))
      << readFile(log);
  EXPECT_EQ(readFile(rotated).find("m-usr1"), std::string::npos) << "written to the old file";
}

// True once `pid` has exited (gone, or a zombie nobody reaped yet).
bool exited(pid_t pid) {
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

TEST_F(SupervisorTest, WorkersOfAKilledSupervisorStopReadingAndExit) {
  SupervisorProcess& supervisor = startSupervisor("sup-orphan");
  ASSERT_TRUE(supervisor.waitReady());
  std::vector<pid_t> workers = supervisor.workerPids();
  ASSERT_EQ(workers.size(), 2u);
  supervisor.process().kill9();
  for (pid_t pid : workers) {
    EXPECT_TRUE(waitFor([&] { return exited(pid); }, 20000)) << "worker " << pid << " kept running";
  }
  // They stopped cleanly: their liveness records are gone with them.
  EXPECT_TRUE(waitFor([&] { return keyCount("sg:heartbeat:worker-*") == 0; }, 20000));
}

TEST_F(SupervisorTest, PidFileRefusesASecondSupervisorAndTakesOverAStaleOne) {
  std::string pidfile = dir_.file("sg-supervisor.pid");
  SupervisorProcess& first = startSupervisor("sup-pid1", "", {"--pidfile", pidfile});
  ASSERT_TRUE(first.waitReady());
  EXPECT_EQ(readFile(pidfile), std::to_string(first.process().pid()) + "\n");

  SupervisorProcess& second = startSupervisor("sup-pid2", "", {"--pidfile", pidfile});
  EXPECT_EQ(second.waitExit(20000), 73);
  EXPECT_NE(second.log().find("holds " + pidfile), std::string::npos) << second.log();
  EXPECT_TRUE(first.process().running());

  std::string stale = dir_.file("stale.pid");
  writeFile(stale, "999999\n");
  SupervisorProcess& third = startSupervisor("sup-pid3", "", {"--pidfile", stale});
  ASSERT_TRUE(third.waitReady());
  EXPECT_EQ(readFile(stale), std::to_string(third.process().pid()) + "\n");
  third.process().signal(SIGTERM);
  EXPECT_EQ(third.waitExit(), 0);
  EXPECT_FALSE(std::filesystem::exists(stale)) << "removed on a clean exit";
}

TEST_F(SupervisorTest, CheckConfigMasksSecretsAndABadFileIsRefusedWithItsKeyPath) {
  SupervisorProcess& check =
      makeSupervisor("sup-check", R"({"llm": {"api_key": "sk-very-secret"}, "redis": {"url":
                       "redis://:hunter2@127.0.0.1:6379/0"}})");
  ASSERT_TRUE(check.start({"--check-config"}));
  EXPECT_EQ(check.waitExit(), 0);
  std::string out = check.log();
  EXPECT_EQ(out.find("sk-very-secret"), std::string::npos);
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
  EXPECT_NE(out.find("\"api_key\": \"***\""), std::string::npos) << out;

  SupervisorProcess& bad = makeSupervisor("sup-bad", R"({"consumer": {"max_inflight": "abc"}})");
  ASSERT_TRUE(bad.start());
  EXPECT_EQ(bad.waitExit(), 78);
  EXPECT_NE(bad.log().find("consumer.max_inflight: must be an integer"), std::string::npos)
      << bad.log();
  EXPECT_EQ(keyCount("sg:heartbeat:*"), 0u) << "a refused configuration starts nothing";

  SupervisorProcess& usage = makeSupervisor("sup-usage");
  ASSERT_TRUE(usage.start({"--no-such-flag"}));
  EXPECT_EQ(usage.waitExit(), 64);
}

// Reads the datagrams systemd would receive on NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() { ::close(fd_); }
  bool ok() const { return bound_; }
  // Everything received so far, one message per element.
  const std::vector<std::string>& messages() {
    char buffer[4096];
    ssize_t got;
    while ((got = recv(fd_, buffer, sizeof buffer, 0)) > 0) messages_.emplace_back(buffer, got);
    return messages_;
  }
  size_t indexOf(const std::string& prefix, size_t from = 0) {
    const auto& all = messages();
    for (size_t i = from; i < all.size(); ++i) {
      if (all[i].starts_with(prefix)) return i;
    }
    return std::string::npos;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> messages_;
};

TEST_F(SupervisorTest, TellsSystemdReadyReloadingAndStopping) {
  NotifySocket notify(dir_.file("notify.sock"));
  ASSERT_TRUE(notify.ok());
  SupervisorProcess& supervisor = makeSupervisor("sup-notify");
  ASSERT_TRUE(supervisor.start({}, {{"NOTIFY_SOCKET", dir_.file("notify.sock")}}));
  ASSERT_TRUE(supervisor.waitReady());
  ASSERT_TRUE(waitFor([&] { return notify.indexOf("READY=1") != std::string::npos; }, 20000));
  size_t ready = notify.indexOf("READY=1");

  supervisor.writeConfig(R"({"llm": {"model": "test/notify"}})");
  supervisor.process().signal(SIGHUP);
  ASSERT_TRUE(
      waitFor([&] { return notify.indexOf("READY=1", ready + 1) != std::string::npos; }, 20000));
  size_t reloading = notify.indexOf("RELOADING=1", ready + 1);
  ASSERT_NE(reloading, std::string::npos);
  EXPECT_NE(notify.messages()[reloading].find("MONOTONIC_USEC="), std::string::npos);
  EXPECT_LT(reloading, notify.indexOf("READY=1", ready + 1));

  supervisor.process().signal(SIGTERM);
  EXPECT_EQ(supervisor.waitExit(), 0);
  EXPECT_NE(notify.indexOf("STOPPING=1"), std::string::npos);
  EXPECT_NE(notify.indexOf("STATUS="), std::string::npos);
}

}  // namespace
}  // namespace sg::test
