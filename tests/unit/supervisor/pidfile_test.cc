// The pid file: held while alive (a second holder is refused), taken over when stale, removed on
// release.
#include "supervisor/pidfile.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "support/child_process.h"

namespace sg {
namespace {

TEST(Pidfile, ASecondHolderIsRefusedUntilTheFirstReleases) {
  test::TempDir dir;
  std::string path = dir.file("sup.pid");
  Pidfile first;
  std::string error;
  ASSERT_EQ(first.acquire(path, &error), Pidfile::Result::kAcquired) << error;
  EXPECT_EQ(test::readFile(path), std::to_string(getpid()) + "\n");

  Pidfile second;  // another open file description: flock conflicts as with another process
  EXPECT_EQ(second.acquire(path, &error), Pidfile::Result::kHeld);
  EXPECT_NE(error.find("pid " + std::to_string(getpid())), std::string::npos) << error;

  first.release();
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(second.acquire(path, &error), Pidfile::Result::kAcquired) << error;
}

TEST(Pidfile, AStaleFileIsTakenOver) {
  test::TempDir dir;
  std::string path = dir.file("sup.pid");
  ASSERT_TRUE(test::writeFile(path, "4194000\nleftover text\n"));
  Pidfile pidfile;
  std::string error;
  ASSERT_EQ(pidfile.acquire(path, &error), Pidfile::Result::kAcquired) << error;
  EXPECT_EQ(test::readFile(path), std::to_string(getpid()) + "\n");
}

TEST(Pidfile, AnUnwritablePlaceIsAnError) {
  Pidfile pidfile;
  std::string error;
  EXPECT_EQ(pidfile.acquire("/nonexistent-dir/sup.pid", &error), Pidfile::Result::kError);
  EXPECT_NE(error.find("/nonexistent-dir/sup.pid"), std::string::npos);
}

}  // namespace
}  // namespace sg
