// The signal watcher: each of the six signals reaches the loop as what it asks for, a second
// termination request is counted as such, and after stop() the loop closes cleanly.
#include "supervisor/signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "support/test_loop.h"

namespace sg {
namespace {

struct Seen {
  SupervisorSignal kind;
  int signum;
  unsigned count;
  bool operator==(const Seen&) const = default;
};

TEST(SignalWatcher, DeliversEachSignalOnTheLoop) {
  test::TestLoop loop;
  {
    std::vector<Seen> seen;
    SignalWatcher watcher(loop.get(), [&](SupervisorSignal kind, int signum, unsigned count) {
      seen.push_back({kind, signum, count});
    });
    ASSERT_EQ(watcher.start(), 0);
    const std::pair<int, SupervisorSignal> cases[] = {
        {SIGHUP, SupervisorSignal::kReload},        {SIGTTIN, SupervisorSignal::kMoreWorkers},
        {SIGTTOU, SupervisorSignal::kFewerWorkers}, {SIGUSR1, SupervisorSignal::kReopenLogs},
        {SIGTERM, SupervisorSignal::kTerminate},
    };
    for (const auto& [signum, kind] : cases) {
      ASSERT_EQ(::kill(getpid(), signum), 0);
      ASSERT_TRUE(loop.runUntil([&] { return !seen.empty(); }));
      EXPECT_EQ(seen.back(), (Seen{kind, signum, 1})) << signum;
      seen.clear();
    }
    // SIGINT after SIGTERM is the second request to terminate.
    ASSERT_EQ(::kill(getpid(), SIGINT), 0);
    ASSERT_TRUE(loop.runUntil([&] { return !seen.empty(); }));
    EXPECT_EQ(seen.back(), (Seen{SupervisorSignal::kTerminate, SIGINT, 2}));
    watcher.stop();
  }
  std::string open;
  EXPECT_EQ(loop.close(&open), 0) << open;
}

TEST(SignalWatcher, NamesWhatEachSignalAsksFor) {
  EXPECT_EQ(supervisorSignalName(SupervisorSignal::kTerminate), "terminate");
  EXPECT_EQ(supervisorSignalName(SupervisorSignal::kReload), "reload");
  EXPECT_EQ(supervisorSignalName(SupervisorSignal::kReopenLogs), "reopen_logs");
}

}  // namespace
}  // namespace sg
