// The worker's end of the control pipe, over a real socketpair on a real loop: messages become
// callbacks, ready and stats go out, end of file (the supervisor gone) reports "orphaned" once,
// and a supervisor that died before the link opened is noticed. The last test does it with a real
// worker process (the fake worker) whose supervisor end is closed under it.
#include "worker/supervisor_link.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "common/uv_handle.h"
#include "support/child_process.h"
#include "support/test_loop.h"

namespace sg {
namespace {

class SupervisorLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    worker_fd_ = fds[0];
    supervisor_ = std::make_unique<ControlPipe>(loop_.get());
    ASSERT_EQ(supervisor_->open(fds[1]), 0);
    ASSERT_EQ(
        supervisor_->start([this](control::Message m) { at_supervisor_.push_back(std::move(m)); },
                           [](ControlPipe::CloseReason, const std::string&) {}),
        0);
  }
  std::unique_ptr<SupervisorLink> openLink(pid_t supervisor_pid = 0) {
    SupervisorLink::Callbacks callbacks;
    callbacks.onConfig = [this](const cJSON& config) { configs_.push_back(printJson(&config)); };
    callbacks.onDrain = [this](uint32_t deadline_ms) { drain_ms_ = deadline_ms; };
    callbacks.onStop = [this] { ++stops_; };
    callbacks.onReopenLogs = [this] { ++reopens_; };
    callbacks.onOrphaned = [this](const std::string& reason) { orphaned_.push_back(reason); };
    auto link = std::make_unique<SupervisorLink>(loop_.get(), callbacks);
    std::string error;
    EXPECT_TRUE(link->open(worker_fd_, supervisor_pid, &error)) << error;
    return link;
  }
  void closeLoop() {
    supervisor_.reset();
    std::string open;
    EXPECT_EQ(loop_.close(&open), 0) << open;
  }

  test::TestLoop loop_;
  int worker_fd_ = -1;
  std::unique_ptr<ControlPipe> supervisor_;
  std::vector<control::Message> at_supervisor_;
  std::vector<std::string> configs_;
  std::optional<uint32_t> drain_ms_;
  int stops_ = 0;
  int reopens_ = 0;
  std::vector<std::string> orphaned_;
};

TEST_F(SupervisorLinkTest, MessagesBecomeCallbacksAndReportsGoBack) {
  {
    auto link = openLink();
    ASSERT_TRUE(supervisor_->send(*control::makeConfig(parseJson(R"({"workers":2})"))));
    ASSERT_TRUE(supervisor_->send(*control::makeReopenLogs()));
    ASSERT_TRUE(supervisor_->send(*control::makeDrain(1500)));
    ASSERT_TRUE(supervisor_->send(*control::makeStop()));
    ASSERT_TRUE(loop_.runUntil([&] { return stops_ == 1; }));
    EXPECT_EQ(configs_, std::vector<std::string>{R"({"workers":2})"});
    EXPECT_EQ(reopens_, 1);
    EXPECT_EQ(drain_ms_, 1500u);

    EXPECT_TRUE(link->sendReady("worker-t", "9.9"));
    EXPECT_TRUE(link->sendError("redis unreachable"));
    int reports = 0;
    link->startReporting(10, [&] {
      JsonPtr stats(cJSON_CreateObject());
      cJSON_AddNumberToObject(stats.get(), "processed", ++reports);
      return stats;
    });
    ASSERT_TRUE(loop_.runUntil([&] { return at_supervisor_.size() >= 4; }));
    EXPECT_EQ(control::readyOf(at_supervisor_[0])->instance_id, "worker-t");
    EXPECT_EQ(control::readyOf(at_supervisor_[0])->pid, getpid());
    EXPECT_EQ(control::errorOf(at_supervisor_[1]), "redis unreachable");
    EXPECT_EQ(control::statsOf(at_supervisor_[2])->child->valueint, 1);  // one at once
    EXPECT_EQ(control::statsOf(at_supervisor_[3])->child->valueint, 2);  // then periodically
    EXPECT_TRUE(orphaned_.empty());
  }
  closeLoop();
}

TEST_F(SupervisorLinkTest, EndOfFileReportsOrphanedOnce) {
  {
    auto link = openLink();
    supervisor_.reset();  // the supervisor's end closes, as when it dies
    ASSERT_TRUE(loop_.runUntil([&] { return !orphaned_.empty(); }));
    EXPECT_NE(orphaned_[0].find("eof"), std::string::npos) << orphaned_[0];
    EXPECT_FALSE(link->isOpen());
    EXPECT_FALSE(link->sendStopped());
    loop_.runUntil([] { return false; }, 50);
    EXPECT_EQ(orphaned_.size(), 1u);
  }
  closeLoop();
}

TEST_F(SupervisorLinkTest, SupervisorDyingWithReportsUnreadAlsoOrphans) {
  {
    auto link = openLink();
    link->startReporting(1, [] { return JsonPtr(cJSON_CreateObject()); });
    ASSERT_TRUE(loop_.runUntil([&] { return !at_supervisor_.empty(); }));
    supervisor_.reset();  // unread stats in its buffer: the worker may see a reset, not an EOF
    ASSERT_TRUE(loop_.runUntil([&] { return !orphaned_.empty(); }));
    EXPECT_EQ(orphaned_.size(), 1u);
  }
  closeLoop();
}

TEST_F(SupervisorLinkTest, MalformedConfigIsAnsweredWithAnErrorNotACallback) {
  {
    auto link = openLink();
    JsonPtr bad(cJSON_CreateObject());
    cJSON_AddStringToObject(bad.get(), "type", "config");
    ASSERT_TRUE(supervisor_->send(*bad));
    ASSERT_TRUE(loop_.runUntil([&] { return !at_supervisor_.empty(); }));
    EXPECT_EQ(at_supervisor_[0].type, control::Type::kError);
    EXPECT_TRUE(configs_.empty());
    EXPECT_TRUE(link->isOpen());
  }
  closeLoop();
}

TEST_F(SupervisorLinkTest, ParentCheckPassesForTheRealParent) {
  {
    auto link = openLink(getppid());
    EXPECT_TRUE(link->isOpen());
  }
  prctl(PR_SET_PDEATHSIG, 0);  // leave the test process as it was
  closeLoop();
}

TEST_F(SupervisorLinkTest, SupervisorGoneBeforeOpenIsRefused) {
  {
    SupervisorLink link(loop_.get(), {});
    std::string error;
    pid_t not_our_parent = getppid() + 1;  // a supervisor that died: we were re-parented
    EXPECT_FALSE(link.open(worker_fd_, not_our_parent, &error));
    EXPECT_NE(error.find("is gone"), std::string::npos) << error;
    ::close(worker_fd_);  // open() did not adopt it
  }
  prctl(PR_SET_PDEATHSIG, 0);
  closeLoop();
}

// A real worker process: spawned with its control pipe on fd 3 as the supervisor does, then the
// supervisor's end is closed while it runs. It must notice, say why, and exit on its own.
TEST(SupervisorLinkProcess, WorkerExitsWhenTheSupervisorEndCloses) {
  test::TestLoop loop;
  test::TempDir dir;
  std::string marker = dir.file("orphaned");
  {
    ControlPipe pipe(loop.get());
    std::vector<control::Message> received;
    std::string self = std::to_string(getpid());
    std::vector<std::string> args = {SG_FAKE_WORKER_BIN,
                                     "--control-fd",
                                     "3",
                                     "--instance-id",
                                     "worker-orphan",
                                     "--supervisor-pid",
                                     self,
                                     "--orphan-marker",
                                     marker};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    uv_stdio_container_t stdio[4] = {};
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = 1;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    stdio[3].flags =
        static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
    stdio[3].data.stream = reinterpret_cast<uv_stream_t*>(pipe.handle());
    uv_process_options_t options{};
    options.file = argv[0];
    options.args = argv.data();
    options.stdio = stdio;
    options.stdio_count = 4;
    std::optional<int64_t> status;
    options.exit_cb = [](uv_process_t* process, int64_t exit_status, int) {
      *static_cast<std::optional<int64_t>*>(process->data) = exit_status;
    };
    UvHandle<uv_process_t> process;
    process.get()->data = &status;
    ASSERT_EQ(uv_spawn(loop.get(), process.get(), &options), 0);
    ASSERT_EQ(pipe.start([&](control::Message m) { received.push_back(std::move(m)); },
                         [](ControlPipe::CloseReason, const std::string&) {}),
              0);
    ASSERT_TRUE(pipe.send(*control::makeConfig(parseJson("{}"))));
    ASSERT_TRUE(loop.runUntil([&] { return !received.empty(); }));
    EXPECT_EQ(received[0].type, control::Type::kReady);

    pipe.close();
    ASSERT_TRUE(loop.runUntil([&] { return status.has_value(); }));
    EXPECT_EQ(*status, 0);
    EXPECT_NE(test::readFile(marker).find("control pipe"), std::string::npos)
        << test::readFile(marker);
  }
  std::string open;
  EXPECT_EQ(loop.close(&open), 0) << open;
}

}  // namespace
}  // namespace sg
