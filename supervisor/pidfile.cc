// The locked pid file (see pidfile.h).
#include "supervisor/pidfile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace sg {
namespace {

std::string errnoText(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

std::string holderOf(int fd) {
  char buffer[32] = {};
  ssize_t got = pread(fd, buffer, sizeof buffer - 1, 0);
  if (got <= 0) return "";
  std::string text(buffer, static_cast<size_t>(got));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The file we locked may have been unlinked (by a supervisor releasing it) between our open()
// and flock(): then the lock guards nothing. True when `fd` is still the file at `path`.
bool stillLinked(int fd, const std::string& path) {
  struct stat opened {};
  struct stat named {};
  return fstat(fd, &opened) == 0 && stat(path.c_str(), &named) == 0 &&
         opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

}  // namespace

Pidfile::~Pidfile() {
  release();
}

Pidfile::Result Pidfile::acquire(const std::string& path, std::string* error) {
  release();
  for (int attempt = 0; attempt < 3; ++attempt) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      *error = errnoText("cannot open pid file", path);
      return Result::kError;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      bool busy = errno == EWOULDBLOCK;
      std::string holder = holderOf(fd);
      *error = busy ? "another sg-supervisor" + (holder.empty() ? "" : " (pid " + holder + ")") +
                          " holds " + path
                    : errnoText("cannot lock pid file", path);
      ::close(fd);
      return busy ? Result::kHeld : Result::kError;
    }
    if (!stillLinked(fd, path)) {
      ::close(fd);
      continue;  // lost a race with a release: open the new file
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
      *error = errnoText("cannot write pid file", path);
      ::close(fd);
      return Result::kError;
    }
    fd_ = fd;
    path_ = path;
    return Result::kAcquired;
  }
  *error = "pid file " + path + " keeps being replaced";
  return Result::kError;
}

void Pidfile::release() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still locked: nobody can take it over half-removed
  ::close(fd_);
  fd_ = -1;
}

}  // namespace sg
