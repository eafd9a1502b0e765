// Where the supervisor's configuration comes from, and when it is rebuilt: the file (re-read on
// SIGHUP), the Redis overrides `sg:config:overrides` (bus protocol section 4: read at start, on
// every `sg:config:updates` message and again after every reconnection of the subscriber, since
// pub/sub delivers at most once), the environment captured at start and the command line, in
// that order of precedence: file < overrides < environment < flags.
//
// Every rebuild validates everything and is handed to the owner. Only the texts of a build that
// passed are kept as the basis of the next one, so a broken file does not block a later override
// and a refused override does not block a later file change. Reads of the key are coalesced: one
// at a time, and one more if a trigger came meanwhile, so the latest value always wins. Nothing
// here decides what a change takes (reload_plan.h) or applies it (the Supervisor does).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/config_loader.h"
#include "common/life_token.h"
#include "common/redis_client.h"

namespace sg {

enum class ConfigTrigger { kStart, kSignal, kOverrides };
std::string_view configTriggerName(ConfigTrigger trigger);  // "start", "sighup", "overrides"

struct ConfigUpdate {
  ConfigTrigger trigger = ConfigTrigger::kStart;
  ConfigResult result;  // ok(): the new candidate; else the errors, each with its key path
  std::string overrides_version;  // sg:config:version when the overrides were read ("" unknown)
};

class ConfigSource {
 public:
  // `sources` holds the file's path and text (as read and validated at start), the environment
  // and the command line. `on_update` runs on the loop for every rebuild.
  ConfigSource(uv_loop_t* loop, ConfigSources sources, const RedisConfig& redis,
               std::string client_name, std::function<void(ConfigUpdate)> on_update);
  ~ConfigSource();
  ConfigSource(const ConfigSource&) = delete;
  ConfigSource& operator=(const ConfigSource&) = delete;

  // Subscribes to sg:config:updates (its own connection) and reads the overrides on every
  // (re)connection. Reads go through `commands`, which must outlive this object.
  [[nodiscard]] bool start(RedisClient& commands, std::string* error);
  // SIGHUP: reads the file again and rebuilds with the overrides last accepted.
  void reloadFile();
  // Reads sg:config:overrides now (also called when the command connection comes up).
  void fetchOverrides();
  // Closes the subscriber; `done` when closed.
  void stop(std::function<void()> done);

  bool overridesRead() const { return overrides_read_; }  // a read completed at least once
  const std::string& overridesVersion() const { return version_; }
  bool subscribed() const { return subscriber_->connected(); }

 private:
  void onOverrides(const RedisResult& result);
  void rebuild(ConfigTrigger trigger, const std::optional<std::string>& file_text,
               const std::string& overrides_text);

  ConfigSources sources_;  // file_text and overrides_json: the last accepted texts
  std::function<void(ConfigUpdate)> on_update_;
  std::unique_ptr<RedisClient> subscriber_;
  RedisClient* commands_ = nullptr;
  bool fetching_ = false;
  bool fetch_again_ = false;
  bool overrides_read_ = false;
  std::string version_;
  LifeToken life_;
};

}  // namespace sg
