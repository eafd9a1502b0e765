// The process's file-descriptor limit: raised from the soft to the hard limit at start-up, since a
// worker holds one socket per concurrent LLM call (thousands). It does not touch the hard limit,
// which needs privileges and belongs to the service manager (LimitNOFILE=).
#pragma once

#include <cstdint>

namespace sg {

// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit now in force
// (unchanged when raising failed).
uint64_t raiseFdLimit();

}  // namespace sg
