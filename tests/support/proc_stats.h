// Test and benchmark helper: what /proc says about a process (CPU time used, resident memory).
// Linux only; 0 when the process is gone.
#pragma once

#include <sys/types.h>

namespace sg::test {

// User + system CPU seconds the process has used.
double cpuSeconds(pid_t pid);
// Resident set size in KiB.
long rssKiB(pid_t pid);

}  // namespace sg::test
