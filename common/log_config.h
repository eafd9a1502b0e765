// Applies the `log.*` configuration keys (level, format, file) to the process's logging, for both
// executables, at start and on every live reload. The logging itself is log.h's; this file only
// translates a LogConfig into log::Options.
#pragma once

#include <string>

#include "common/config.h"

namespace sg {

// (Re)configures logging; `instance` is added to every line ("" for none). False, with `*error`
// (naming the file), when the log file cannot be opened: the previous set-up then stays.
[[nodiscard]] bool applyLogConfig(const LogConfig& config, const std::string& instance,
                                  std::string* error);

}  // namespace sg
