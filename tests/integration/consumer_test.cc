// The consumer end to end: real sg-worker processes (echo processor) against a real
// redis-server. What users rely on: per-channel order and no overlap across workers, nothing lost
// or published twice when a worker is killed, recovery from a Redis restart, poison and
// undecodable entries dead-lettered with their reasons while the channel goes on.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "support/bus_fixture.h"
#include "support/json_msgpack.h"

namespace sg::test {
namespace {

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok()) << redis_.logText();
    client_ = redis_.client();
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& worker : workers_) {
        std::cerr << "---- log of " << worker->id() << " ----\n" << worker->log() << "\n";
      }
    }
  }
  WorkerProcess& startWorker(const std::string& id, const std::string& extra = "") {
    workers_.push_back(std::make_unique<WorkerProcess>(redis_, id, extra, dir_));
    EXPECT_TRUE(workers_.back()->start());
    return *workers_.back();
  }
  long long pendingCount() {
    Reply reply = client_->command({"XPENDING", "sg:stream:inbound", "sg:workers"});
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) return -1;
    return reply->element[0]->integer;
  }
  size_t countActions(const std::string& kind) {
    size_t n = 0;
    for (const auto& action : readOutbound(*client_)) n += action.action == kind;
    return n;
  }

  TempDir dir_;
  RedisServer redis_;
  std::unique_ptr<SyncRedis> client_;
  std::vector<std::unique_ptr<WorkerProcess>> workers_;
};

std::string eventId(int channel, int message) {
  return "ev-c" + std::to_string(channel) + "-m" + std::to_string(message);
}

// For every channel: the replies come in inbound order, and the next entry's work (its typing
// action) never starts before the previous entry's reply was published. A second start of the
// same entry (its holder was killed and another worker took the channel over) is not overlap.
void expectOrderedAndSerial(const std::vector<OutboundAction>& actions, int channels,
                            int per_channel) {
  std::map<std::string, std::vector<const OutboundAction*>> by_channel;
  for (const auto& action : actions) by_channel[action.channel_id].push_back(&action);
  ASSERT_EQ(by_channel.size(), static_cast<size_t>(channels));
  for (auto& [channel, list] : by_channel) {
    int expected = 0;
    bool in_progress = false;
    for (const OutboundAction* action : list) {
      std::string want = "ev-" + channel + "-m" + std::to_string(expected);
      if (action->action == "typing") {
        EXPECT_EQ(action->event_id, want)
            << channel << ": " << action->event_id
            << (in_progress ? " started before the previous entry finished"
                            : " started out of order");
        in_progress = true;
      } else if (action->action == "send_message") {
        EXPECT_EQ(action->event_id, want) << channel << ": reply out of order";
        in_progress = false;
        ++expected;
      }
    }
    EXPECT_EQ(expected, per_channel) << channel;
  }
}

TEST_F(ConsumerTest, ThreeWorkersKeepPerChannelOrderWithoutOverlap) {
  const int kChannels = 50, kPerChannel = 20;
  for (int i = 0; i < 3; ++i) {
    startWorker("worker-order" + std::to_string(i),
                R"({"consumer": {"echo_delay_ms": 8, "max_inflight": 16, "read_batch": 16}})");
  }
  // Interleave channels the way a busy gateway would.
  for (int m = 0; m < kPerChannel; ++m) {
    for (int c = 0; c < kChannels; ++c) {
      addInbound(*client_, makeEnvelope({.event_id = eventId(c, m),
                                         .channel_id = "c" + std::to_string(c),
                                         .content = "msg " + std::to_string(m)}));
    }
  }
  const size_t total = kChannels * kPerChannel;
  ASSERT_TRUE(waitFor([&] { return countActions("send_message") >= total; }, 120000))
      << "replies: " << countActions("send_message");
  ASSERT_TRUE(waitFor([&] { return pendingCount() == 0; }, 10000));
  auto actions = readOutbound(*client_);
  expectOrderedAndSerial(actions, kChannels, kPerChannel);
  std::set<std::string> workers_seen;
  for (const auto& action : actions) workers_seen.insert(action.worker);
  EXPECT_GE(workers_seen.size(), 2u) << "the load should be shared";
  EXPECT_EQ(client_->integer({"SCARD", "sg:chq:active"}), 0);
  EXPECT_EQ(client_->integer({"HLEN", "sg:chq:attempts"}), 0);
}

TEST_F(ConsumerTest, KillNineLosesNothingAndPublishesNothingTwice) {
  const int kChannels = 20, kPerChannel = 10;
  for (int i = 0; i < 3; ++i) {
    startWorker("worker-kill" + std::to_string(i), R"({"consumer": {"echo_delay_ms": 30}})");
  }
  for (int m = 0; m < kPerChannel; ++m) {
    for (int c = 0; c < kChannels; ++c) {
      addInbound(*client_, makeEnvelope({.event_id = eventId(c, m),
                                         .channel_id = "c" + std::to_string(c)}));
    }
  }
  const size_t total = kChannels * kPerChannel;
  ASSERT_TRUE(waitFor([&] { return countActions("send_message") >= total / 4; }, 60000));
  workers_[0]->process().kill9();
  ASSERT_TRUE(waitFor([&] { return countActions("send_message") >= total; }, 120000))
      << "replies: " << countActions("send_message");
  ASSERT_TRUE(waitFor([&] { return pendingCount() == 0; }, 10000));
  auto actions = readOutbound(*client_);
  std::map<std::string, std::string> content_by_id;
  for (const auto& action : actions) {
    if (action.action != "send_message") continue;
    auto [it, inserted] = content_by_id.emplace(action.action_id, action.content);
    EXPECT_TRUE(inserted) << action.action_id << " published twice";
  }
  EXPECT_EQ(content_by_id.size(), total);
  expectOrderedAndSerial(actions, kChannels, kPerChannel);
}

TEST_F(ConsumerTest, BytesAndExtTypesInExtraKeepTheirChannelsOrder) {
  startWorker("worker-extra", R"({"consumer": {"echo_delay_ms": 5}})");
  // bin and ext values, which Redis's own cmsgpack refuses, inside message.extra.
  static const char kExtra[] = "\x82\xa3" "raw" "\xc4\x02\x00\x01\xa3" "ext" "\xd4\x05\x07";
  const std::string extra(kExtra, sizeof kExtra - 1);
  for (int m = 0; m < 6; ++m) {
    addInbound(*client_, makeEnvelope({.event_id = eventId(1, m),
                                       .channel_id = "c1",
                                       .extra = m % 2 == 0 ? extra : std::string()}));
  }
  ASSERT_TRUE(waitFor([&] { return countActions("send_message") == 6; }, 20000));
  expectOrderedAndSerial(readOutbound(*client_), 1, 6);
  EXPECT_EQ(client_->integer({"EXISTS", "sg:chq:!undecodable"}), 0);
  EXPECT_EQ(workers_[0]->log().find("outside its channel's order"), std::string::npos);
}

// Found in review: an entry without a payload and thousands of fields made the dead-letter
// script fail on every try (Lua's unpack limit), and its pseudo-channel stopped for good.
TEST_F(ConsumerTest, AnEntryWithThousandsOfFieldsIsDeadLetteredAndGarbageAfterItToo) {
  WorkerProcess& worker = startWorker("worker-fields");
  std::vector<std::string> xadd = {"XADD", "sg:stream:inbound", "*"};
  for (int i = 0; i < 4100; ++i) {
    xadd.push_back("f" + std::to_string(i));
    xadd.push_back("v");
  }
  std::string big = client_->string(xadd);
  std::string garbage = addInbound(*client_, std::string("\xc1", 1));
  ASSERT_TRUE(waitFor([&] { return readDeadLetters(*client_).size() == 2; }, 10000));
  std::map<std::string, std::string> reasons;
  for (const auto& letter : readDeadLetters(*client_)) reasons[letter.source_id] = letter.reason;
  EXPECT_EQ(reasons[big], "missing_payload");
  EXPECT_EQ(reasons[garbage], "malformed_msgpack");
  EXPECT_TRUE(worker.process().running());
}

// Found in review: locks taken by a READ still in flight when a drain began were never handed
// back, so their channel waited a whole lease for nobody. A paused Redis holds the READ.
TEST_F(ConsumerTest, LocksTakenByAReadInFlightAtDrainAreHandedBack) {
  WorkerProcess& first = startWorker("worker-first", R"({"consumer": {"claim_idle_ms": 15000}})");
  ASSERT_TRUE(waitFor(
      [&] { return client_->integer({"EXISTS", "sg:heartbeat:worker-first"}) == 1; }, 10000));
  // Add the entry and pause writes in one step: the blocking XREAD wakes, the READ script
  // (a write) waits behind the pause while SIGTERM arrives.
  client_->command({"MULTI"});
  client_->command({"XADD", "sg:stream:inbound", "*", "payload",
                    makeEnvelope({.event_id = "ev-leak", .channel_id = "c9"})});
  client_->command({"CLIENT", "PAUSE", "1000", "WRITE"});
  client_->command({"EXEC"});
  // Setting the stage, not a timing assertion: let the XREAD wake and the READ go out.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  first.process().signal(SIGTERM);
  int status = first.process().wait(10000);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_LE(client_->integer({"PTTL", "sg:chlock:discord:c9"}), 0) << "a lock nobody works on";
  startWorker("worker-second");
  EXPECT_TRUE(waitFor([&] { return countActions("send_message") == 1; }, 5000))
      << "the entry waited for a leaked lease";
}

TEST_F(ConsumerTest, RecoversFromRedisRestartedEmpty) {
  WorkerProcess& worker = startWorker("worker-restart");
  addInbound(*client_, makeEnvelope({.event_id = "ev-before"}));
  ASSERT_TRUE(waitFor([&] { return countActions("send_message") == 1; }, 10000));
  redis_.kill9();
  ASSERT_TRUE(redis_.restart()) << redis_.logText();
  client_ = redis_.client();
  // The group is gone with the data; the worker recreates it and goes on.
  addInbound(*client_, makeEnvelope({.event_id = "ev-after"}));
  ASSERT_TRUE(waitFor([&] { return countActions("send_message") == 1; }, 20000));
  EXPECT_EQ(readOutbound(*client_)[0].event_id, "ev-after");
  EXPECT_TRUE(worker.process().running());
}

TEST_F(ConsumerTest, PoisonAndUndecodableEntriesAreDeadLetteredAndTheChannelGoesOn) {
  WorkerProcess& worker = startWorker("worker-poison");
  addInbound(*client_, makeEnvelope({.event_id = "ev-poison", .content = "#fail please"}));
  addInbound(*client_, makeEnvelope({.event_id = "ev-next", .content = "after the poison"}));
  // Every invalid vector, garbage, and an entry without a payload field.
  std::map<std::string, std::string> expected;  // source id -> reason
  Json cases = parseJson(readFile(std::string(SG_TEST_VECTORS_DIR) + "/cases.json"));
  ASSERT_TRUE(cases);
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, cJSON_GetObjectItem(cases.get(), "cases")) {
    std::string expect = cJSON_GetObjectItem(item, "expect")->valuestring;
    if (expect != "dead_letter") continue;
    std::string file = cJSON_GetObjectItem(item, "file")->valuestring;
    std::string id = addInbound(*client_, readFile(std::string(SG_TEST_VECTORS_DIR) + "/" + file));
    expected[id] = cJSON_GetObjectItem(item, "reason")->valuestring;
  }
  expected[client_->string({"XADD", "sg:stream:inbound", "*", "other", "x"})] = "missing_payload";
  ASSERT_TRUE(waitFor([&] { return readDeadLetters(*client_).size() == expected.size() + 1; },
                      20000));
  std::map<std::string, DeadLetter> letters;
  for (auto& letter : readDeadLetters(*client_)) letters[letter.source_id] = letter;
  for (const auto& [id, reason] : expected) {
    EXPECT_EQ(letters[id].reason, reason) << "entry " << id;
  }
  size_t poison = 0;
  for (const auto& [id, letter] : letters) {
    if (letter.reason == "max_deliveries") {
      ++poison;
      EXPECT_EQ(letter.deliveries, "3");
      EXPECT_NE(letter.payload.find("#fail"), std::string::npos) << "original payload kept";
    }
  }
  EXPECT_EQ(poison, 1u);
  ASSERT_TRUE(waitFor([&] { return countActions("send_message") == 1; }, 10000));
  EXPECT_EQ(readOutbound(*client_)[0].event_id, "ev-next");
  EXPECT_TRUE(waitFor([&] { return pendingCount() == 0; }, 5000));
  EXPECT_TRUE(worker.process().running());
}

TEST_F(ConsumerTest, SigtermDrainsReleasesLocksAndExitsZero) {
  WorkerProcess& slow = startWorker("worker-slow", R"({"consumer": {"echo_delay_ms": 400}})");
  for (int m = 0; m < 5; ++m) {
    addInbound(*client_, makeEnvelope({.event_id = "ev-s" + std::to_string(m)}));
  }
  ASSERT_TRUE(waitFor([&] { return countActions("typing") >= 1; }, 10000));
  slow.process().signal(SIGTERM);
  int status = slow.process().wait(10000);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(client_->integer({"EXISTS", "sg:chlock:discord:c1"}), 0) << "lock left behind";
  // What it did not get to stays pending, and another worker finishes it, in order.
  startWorker("worker-next");
  ASSERT_TRUE(waitFor([&] { return countActions("send_message") == 5; }, 20000));
  int expected = 0;
  for (const auto& action : readOutbound(*client_)) {
    if (action.action == "send_message") {
      EXPECT_EQ(action.event_id, "ev-s" + std::to_string(expected++));
    }
  }
}

}  // namespace
}  // namespace sg::test
