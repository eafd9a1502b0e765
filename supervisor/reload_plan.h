// What a configuration change takes, decided from the key table's reload classes: which changes
// the supervisor applies now (live keys, broadcast to the workers; `workers`, a rescale; keys of
// the worker_restart class, a rolling restart) and which it cannot apply without being restarted
// itself (full_restart keys: their running values are kept and the operator is warned). Pure:
// nothing here talks to workers or logs.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/config_loader.h"

namespace sg {

struct ReloadPlan {
  ConfigPtr adopted;                   // what runs from now on (null when nothing changes)
  std::vector<ConfigChange> applied;   // changes that take effect, in table order
  std::vector<ConfigChange> deferred;  // full_restart changes, kept at their running values
  bool scale = false;                  // `workers` changed
  bool restart_workers = false;        // a worker_restart key changed: restart workers one by one

  bool changed() const { return adopted != nullptr; }
};

ReloadPlan planReload(const ConfigPtr& running, const Config& next);

// A key's value as it may be logged: secrets "***", redis.url's password masked.
std::string displayValue(const KeySpec& key, const Config& config);

}  // namespace sg
