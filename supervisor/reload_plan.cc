// Reload classes turned into actions (see reload_plan.h).
#include "supervisor/reload_plan.h"

namespace sg {

ReloadPlan planReload(const ConfigPtr& running, const Config& next) {
  ReloadPlan plan;
  for (const ConfigChange& change : diffConfig(*running, next)) {
    if (change.reload == ReloadClass::kFullRestart) {
      plan.deferred.push_back(change);
      continue;
    }
    plan.applied.push_back(change);
    if (change.key == "workers") plan.scale = true;
    if (change.reload == ReloadClass::kWorkerRestart) plan.restart_workers = true;
  }
  if (!plan.applied.empty()) {
    plan.adopted = plan.deferred.empty() ? std::make_shared<const Config>(next)
                                         : retainKeys(next, *running, ReloadClass::kFullRestart);
  }
  return plan;
}

std::string displayValue(const KeySpec& key, const Config& config) {
  JsonPtr value = keyValueJson(key, config);
  if (key.type == KeyType::kSecret) return cJSON_GetStringValue(value.get())[0] ? "***" : "\"\"";
  if (key.mask != nullptr && cJSON_IsString(value.get())) {
    return "\"" + key.mask(value->valuestring) + "\"";
  }
  return printJson(value.get());
}

}  // namespace sg
