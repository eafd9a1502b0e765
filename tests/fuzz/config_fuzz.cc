// libFuzzer target for the configuration path: arbitrary bytes as a configuration file and as a
// Redis override, through parsing (and the syntax-error locator), validation, merge patch and
// conversion. Any result is fine; a crash, a leak or undefined behaviour is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  sg::ConfigResult as_file = sg::buildConfig({.file_text = text});
  sg::ConfigResult as_override = sg::buildConfig({.file_text = "{}", .overrides_json = text});
  if (as_file.ok()) {
    // What the supervisor would send a worker must build the same snapshot there.
    sg::ConfigResult again =
        sg::buildConfig({.file_text = sg::renderEffective(*as_file.config, false)});
    if (!again.ok() || !sg::diffConfig(*as_file.config, *again.config).empty()) __builtin_trap();
  }
  return 0;
}
