// Exit statuses of sg-worker and sg-supervisor, stable and documented in their man pages
// (EXIT STATUS). The values follow sysexits.h where one fits, so that systemd, shells and
// operators read them the usual way. Nothing here decides when to exit.
#pragma once

namespace sg {

inline constexpr int kExitOk = 0;         // clean stop (drained), --help, --version, --check-config
inline constexpr int kExitFailure = 1;    // a failure while running (cannot listen, ...)
inline constexpr int kExitUsage = 64;     // EX_USAGE: bad command line
inline constexpr int kExitSoftware = 70;  // EX_SOFTWARE: supervisor gave up (restart intensity)
inline constexpr int kExitPidfile = 73;   // EX_CANTCREAT: the pidfile is held by another process
inline constexpr int kExitConfig = 78;    // EX_CONFIG: the configuration was refused

}  // namespace sg
