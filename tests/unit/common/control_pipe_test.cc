// The control pipe: framing (split, merged and oversized frames), the message vocabulary, and the
// transport over a real socketpair on a real loop (round trip, end of file, protocol errors, a
// peer that stops reading). Every test ends with the loop closing cleanly.
#include "common/control_pipe.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "support/test_loop.h"

namespace sg {
namespace {

using test::TestLoop;

std::string header(uint32_t size) {
  return encodeFrame(std::string(size, 'x')).substr(0, 4);
}

TEST(FrameDecoder, ReassemblesAFrameFedByteByByte) {
  std::string frame = encodeFrame(R"({"type":"stop"})");
  FrameDecoder decoder(1024);
  std::string payload;
  for (size_t i = 0; i + 1 < frame.size(); ++i) {
    ASSERT_TRUE(decoder.feed(frame.substr(i, 1)));
    EXPECT_FALSE(decoder.next(&payload));
  }
  ASSERT_TRUE(decoder.feed(frame.substr(frame.size() - 1)));
  ASSERT_TRUE(decoder.next(&payload));
  EXPECT_EQ(payload, R"({"type":"stop"})");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, SplitsMergedFramesIncludingAnEmptyOne) {
  std::string bytes = encodeFrame("one") + encodeFrame("") + encodeFrame("three");
  FrameDecoder decoder(1024);
  ASSERT_TRUE(decoder.feed(bytes.substr(0, 9)));  // the first frame and half a header
  ASSERT_TRUE(decoder.feed(bytes.substr(9)));
  std::vector<std::string> payloads;
  for (std::string payload; decoder.next(&payload);) payloads.push_back(payload);
  EXPECT_EQ(payloads, (std::vector<std::string>{"one", "", "three"}));
}

TEST(FrameDecoder, RejectsAnOversizedFrameFromItsHeaderAlone) {
  FrameDecoder decoder(4 * 1024 * 1024);
  EXPECT_TRUE(decoder.feed(header(4 * 1024 * 1024)));  // exactly the maximum is fine
  FrameDecoder over(4 * 1024 * 1024);
  EXPECT_FALSE(over.feed(header(4 * 1024 * 1024 + 1)));
  EXPECT_TRUE(over.failed());
  EXPECT_NE(over.error().find("exceeds"), std::string::npos);
  std::string payload;
  EXPECT_FALSE(over.next(&payload));
  EXPECT_FALSE(over.feed("more"));  // stays failed
}

TEST(FrameDecoder, RejectsAnOversizedFrameQueuedBehindAGoodOne) {
  FrameDecoder decoder(16);
  ASSERT_TRUE(decoder.feed(encodeFrame("ok") + header(17)));
  std::string payload;
  ASSERT_TRUE(decoder.next(&payload));  // the good frame first
  EXPECT_EQ(payload, "ok");
  EXPECT_TRUE(decoder.failed());  // then the bad header, before its body is buffered
  EXPECT_FALSE(decoder.next(&payload));
}

TEST(ControlMessage, BuildersAndReadersAgree) {
  using namespace control;
  auto parse = [](const JsonPtr& built) {
    std::string error;
    auto message = parseMessage(printJson(built.get()), &error);
    EXPECT_TRUE(message) << error;
    return std::move(*message);
  };
  Message ready = parse(makeReady({"worker-1", 42, "0.1.0"}));
  EXPECT_EQ(ready.type, Type::kReady);
  ASSERT_TRUE(readyOf(ready));
  EXPECT_EQ(readyOf(ready)->instance_id, "worker-1");
  EXPECT_EQ(readyOf(ready)->pid, 42);
  EXPECT_EQ(readyOf(parse(makeDrain(1500))).value_or(Ready{}).pid, 0);  // wrong type: nothing
  EXPECT_EQ(drainDeadlineOf(parse(makeDrain(1500))), 1500u);
  EXPECT_EQ(errorOf(parse(makeError("redis down"))), "redis down");
  EXPECT_EQ(parse(makeReopenLogs()).type, Type::kReopenLogs);
  EXPECT_EQ(parse(makeStopped()).type_name, "stopped");

  Message config = parse(makeConfig(parseJson(R"({"workers":3})")));
  ASSERT_NE(configOf(config), nullptr);
  EXPECT_EQ(cJSON_GetObjectItem(configOf(config), "workers")->valueint, 3);
  EXPECT_EQ(makeConfig(parseJson("[1]")), nullptr);  // only objects
  EXPECT_EQ(statsOf(parse(makeStats(parseJson(R"({"processed":7})"))))->child->valueint, 7);
}

TEST(ControlMessage, ParseRejectsWhatIsNotATypedObject) {
  std::string error;
  EXPECT_FALSE(control::parseMessage("not json", &error));
  EXPECT_FALSE(control::parseMessage(R"(["type"])", &error));
  EXPECT_FALSE(control::parseMessage(R"({"type":7})", &error));
  auto future = control::parseMessage(R"({"type":"teleport"})", &error);
  ASSERT_TRUE(future);  // unknown types are for the receiver to ignore
  EXPECT_EQ(future->type, control::Type::kUnknown);
  EXPECT_EQ(future->type_name, "teleport");
}

// Two ends of a socketpair on one loop: `a` is a ControlPipe, `b` either a ControlPipe or a raw fd.
class ControlPipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    fd_a_ = fds[0];
    fd_b_ = fds[1];
  }
  void TearDown() override {
    if (fd_b_ >= 0) ::close(fd_b_);
    if (!fd_a_adopted_ && fd_a_ >= 0) ::close(fd_a_);
  }

  std::unique_ptr<ControlPipe> openA(ControlPipeOptions options = {}) {
    auto pipe = std::make_unique<ControlPipe>(loop_.get(), options);
    EXPECT_EQ(pipe->open(fd_a_), 0);
    fd_a_adopted_ = true;
    EXPECT_EQ(pipe->start([this](control::Message m) { received_.push_back(std::move(m)); },
                          [this](ControlPipe::CloseReason reason, const std::string& detail) {
                            ++closes_;
                            reason_ = reason;
                            detail_ = detail;
                          }),
              0);
    return pipe;
  }
  void writeRaw(const std::string& bytes) {
    ASSERT_EQ(::write(fd_b_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  void closeLoop() {
    std::string open;
    EXPECT_EQ(loop_.close(&open), 0) << open;
  }

  TestLoop loop_;
  int fd_a_ = -1;
  int fd_b_ = -1;
  bool fd_a_adopted_ = false;
  std::vector<control::Message> received_;
  int closes_ = 0;
  std::optional<ControlPipe::CloseReason> reason_;
  std::string detail_;
};

TEST_F(ControlPipeTest, MessagesCrossInBothDirections) {
  {
    auto a = openA();
    ControlPipe b(loop_.get());
    ASSERT_EQ(b.open(fd_b_), 0);
    fd_b_ = -1;
    std::vector<control::Message> at_b;
    ASSERT_EQ(b.start([&](control::Message m) { at_b.push_back(std::move(m)); },
                      [](ControlPipe::CloseReason, const std::string&) {}),
              0);
    ASSERT_TRUE(b.send(*control::makeReady({"worker-x", 7, "1"})));
    ASSERT_TRUE(b.send(*control::makeStats(parseJson(R"({"processed":1})"))));
    ASSERT_TRUE(a->send(*control::makeDrain(250)));
    ASSERT_TRUE(loop_.runUntil([&] { return received_.size() == 2 && at_b.size() == 1; }));
    EXPECT_EQ(received_[0].type, control::Type::kReady);
    EXPECT_EQ(received_[1].type, control::Type::kStats);
    EXPECT_EQ(control::drainDeadlineOf(at_b[0]), 250u);
    EXPECT_EQ(a->queuedBytes(), 0u);
  }
  closeLoop();
}

TEST_F(ControlPipeTest, ReassemblesFramesSplitAndMergedAcrossWrites) {
  {
    auto a = openA();
    std::string bytes = encodeFrame(R"({"type":"stats","stats":{"n":1}})") +
                        encodeFrame(R"({"type":"stats","stats":{"n":2}})") +
                        encodeFrame(R"({"type":"stopped"})");
    writeRaw(bytes.substr(0, 3));   // half a header
    writeRaw(bytes.substr(3, 40));  // the rest of frame 1 and part of frame 2
    ASSERT_TRUE(loop_.runUntil([&] { return received_.size() == 1; }));
    writeRaw(bytes.substr(43));
    ASSERT_TRUE(loop_.runUntil([&] { return received_.size() == 3; }));
    EXPECT_EQ(control::statsOf(received_[1])->child->valueint, 2);
    EXPECT_EQ(received_[2].type, control::Type::kStopped);
    EXPECT_EQ(closes_, 0);
  }
  closeLoop();
}

TEST_F(ControlPipeTest, OversizedFrameIsAProtocolError) {
  {
    ControlPipeOptions options;
    options.max_frame_bytes = 1024;
    auto a = openA(options);
    writeRaw(encodeFrame(R"({"type":"stopped"})") + header(1025));
    ASSERT_TRUE(loop_.runUntil([&] { return closes_ == 1; }));
    EXPECT_EQ(received_.size(), 1u);  // the good frame before it still arrived
    EXPECT_EQ(reason_, ControlPipe::CloseReason::kProtocolError);
    EXPECT_FALSE(a->isOpen());
    EXPECT_FALSE(a->send(*control::makeStop()));
  }
  closeLoop();
}

TEST_F(ControlPipeTest, UntypedPayloadIsAProtocolError) {
  {
    auto a = openA();
    writeRaw(encodeFrame(R"({"no_type":true})"));
    ASSERT_TRUE(loop_.runUntil([&] { return closes_ == 1; }));
    EXPECT_EQ(reason_, ControlPipe::CloseReason::kProtocolError);
    EXPECT_TRUE(received_.empty());
  }
  closeLoop();
}

TEST_F(ControlPipeTest, PeerClosingIsEndOfFileReportedOnce) {
  {
    auto a = openA();
    writeRaw(encodeFrame(R"({"type":"stopped"})"));
    ::close(fd_b_);
    fd_b_ = -1;
    ASSERT_TRUE(loop_.runUntil([&] { return closes_ == 1; }));
    EXPECT_EQ(received_.size(), 1u);  // what came before the end is delivered first
    EXPECT_EQ(reason_, ControlPipe::CloseReason::kEof);
    loop_.runUntil([] { return false; }, 50);  // nothing more follows
    EXPECT_EQ(closes_, 1);
  }
  closeLoop();
}

TEST_F(ControlPipeTest, PeerThatStopsReadingHitsTheQueueBound) {
  {
    ControlPipeOptions options;
    options.max_queued_bytes = 512 * 1024;
    options.write_stall_ms = 0;
    auto a = openA(options);
    JsonPtr big = control::makeError(std::string(64 * 1024, 'e'));
    int sent = 0;
    while (sent < 1000 && a->send(*big)) ++sent;  // b never reads
    EXPECT_LT(sent, 1000);
    EXPECT_LE(a->queuedBytes(), options.max_queued_bytes);
    EXPECT_EQ(closes_, 0);  // reported from the loop, not from inside send()
    ASSERT_TRUE(loop_.runUntil([&] { return closes_ == 1; }));
    EXPECT_EQ(reason_, ControlPipe::CloseReason::kWriteStalled);
  }
  closeLoop();
}

TEST_F(ControlPipeTest, PeerThatStopsReadingIsDetectedByTheStallTimer) {
  {
    ControlPipeOptions options;
    options.write_stall_ms = 100;
    auto a = openA(options);
    // One frame larger than the socket buffers, well under the queue bound: it cannot complete.
    ASSERT_TRUE(a->send(*control::makeError(std::string(3 * 1024 * 1024, 'e'))));
    ASSERT_TRUE(loop_.runUntil([&] { return closes_ == 1; }));
    EXPECT_EQ(reason_, ControlPipe::CloseReason::kWriteStalled);
  }
  closeLoop();
}

TEST_F(ControlPipeTest, OwnerMayDestroyThePipeFromItsMessageCallback) {
  {
    auto pipe = std::make_unique<ControlPipe>(loop_.get());
    ASSERT_EQ(pipe->open(fd_a_), 0);
    fd_a_adopted_ = true;
    int messages = 0;
    ASSERT_EQ(pipe->start(
                  [&](control::Message) {
                    ++messages;
                    pipe.reset();
                  },
                  [&](ControlPipe::CloseReason, const std::string&) { ++closes_; }),
              0);
    writeRaw(encodeFrame(R"({"type":"stopped"})") + encodeFrame(R"({"type":"stopped"})"));
    ASSERT_TRUE(loop_.runUntil([&] { return pipe == nullptr; }));
    loop_.runUntil([] { return false; }, 50);
    EXPECT_EQ(messages, 1);
    EXPECT_EQ(closes_, 0);
  }
  closeLoop();
}

TEST_F(ControlPipeTest, SendRefusesAFrameOverTheMaximumButStaysOpen) {
  {
    ControlPipeOptions options;
    options.max_frame_bytes = 1024;
    auto a = openA(options);
    EXPECT_FALSE(a->send(*control::makeError(std::string(2048, 'e'))));
    EXPECT_TRUE(a->isOpen());
    EXPECT_TRUE(a->send(*control::makeStop()));
  }
  closeLoop();
}

}  // namespace
}  // namespace sg
