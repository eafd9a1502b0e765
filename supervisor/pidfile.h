// The supervisor's pid file: created (or taken over) and locked with flock() for as long as the
// process runs, so that a second supervisor started with the same file is refused while a file
// left by a dead one (its lock died with it) is simply taken over. The descriptor is close-on-exec:
// workers do not inherit the lock. Removed on release. This file knows nothing of signals or
// exit statuses; main.cc decides what a refusal means.
#pragma once

#include <sys/types.h>

#include <string>

namespace sg {

class Pidfile {
 public:
  enum class Result { kAcquired, kHeld, kError };

  Pidfile() = default;
  ~Pidfile();  // releases
  Pidfile(const Pidfile&) = delete;
  Pidfile& operator=(const Pidfile&) = delete;

  // Locks `path` and writes this process's pid into it. kHeld: a live process holds the lock
  // (`*error` names it, with its pid when the file says); kError: the file cannot be opened,
  // locked or written (`*error` says why).
  [[nodiscard]] Result acquire(const std::string& path, std::string* error);
  // Removes the file and drops the lock. Idempotent.
  void release();

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace sg
