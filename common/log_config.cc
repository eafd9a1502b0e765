// The log.* keys applied to log.h (see log_config.h).
#include "common/log_config.h"

#include "common/log.h"

namespace sg {

bool applyLogConfig(const LogConfig& config, const std::string& instance, std::string* error) {
  log::Options options;
  options.level = config.level;
  log::parseFormat(config.format, &options.format);  // validated by the configuration already
  options.file = config.file;
  options.instance = instance;
  return log::init(options, error);
}

}  // namespace sg
