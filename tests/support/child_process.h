// Test helper: a child process (a real binary of ours, or redis-server) started with fork/exec,
// its stdout and stderr captured to a log file, killed (SIGKILL) when the helper is destroyed so
// that a failing test never leaves one behind; the child also dies if the test process does
// (PR_SET_PDEATHSIG). Blocking waits are fine here: this is test code, not a worker loop.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace sg::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `argv[0]` (a path) with extra environment variables; output goes to `log_path`.
  bool start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::map<std::string, std::string>& env = {});
  bool running();
  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // Waits up to timeout_ms for exit; returns the exit status as from waitpid, or -1 on timeout.
  int wait(int timeout_ms);
  // SIGKILL and reap.
  void kill9();
  const std::string& logPath() const { return log_path_; }
  std::string logText() const;

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  std::string log_path_;
};

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `text` to `path` (truncating); false on failure.
bool writeFile(const std::string& path, const std::string& text);
std::string readFile(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago.
int freePort();

}  // namespace sg::test
