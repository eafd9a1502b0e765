// runSoon: the function runs once, on a later loop turn, in the order given, and leaves nothing
// open behind it.
#include "common/run_soon.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "support/test_loop.h"

namespace sg::test {
namespace {

TEST(RunSoon, RunsOnceLaterInOrderAndClosesCleanly) {
  TestLoop loop;
  std::vector<int> ran;
  auto held = std::make_shared<int>(7);
  runSoon(loop.get(), [&ran, held] { ran.push_back(*held); });
  runSoon(loop.get(), [&] {
    ran.push_back(2);
    runSoon(loop.get(), [&] { ran.push_back(3); });  // from inside one: a later turn again
    EXPECT_EQ(ran.size(), 2u);
  });
  EXPECT_TRUE(ran.empty());  // never inside runSoon()
  EXPECT_TRUE(loop.runUntil([&] { return ran.size() == 3; }));
  EXPECT_EQ(ran, (std::vector<int>{7, 2, 3}));
  EXPECT_EQ(held.use_count(), 1);  // the callback and its captures are gone
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace sg::test
