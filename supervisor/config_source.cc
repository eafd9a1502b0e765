// The supervisor's configuration sources and rebuilds (see config_source.h).
#include "supervisor/config_source.h"

#include "common/bus_keys.h"
#include "common/log.h"

namespace sg {
namespace {

spdlog::logger& logger() {
  return log::get("config");
}

ConfigUpdate failedUpdate(ConfigTrigger trigger, std::string source, std::string reason) {
  ConfigUpdate update;
  update.trigger = trigger;
  update.result.errors.push_back({std::move(source), "", std::move(reason)});
  return update;
}

}  // namespace

std::string_view configTriggerName(ConfigTrigger trigger) {
  switch (trigger) {
    case ConfigTrigger::kStart:
      return "start";
    case ConfigTrigger::kSignal:
      return "sighup";
    case ConfigTrigger::kOverrides:
      return "overrides";
  }
  return "unknown";
}

ConfigSource::ConfigSource(uv_loop_t* loop, ConfigSources sources, const RedisConfig& redis,
                           std::string client_name, std::function<void(ConfigUpdate)> on_update)
    : sources_(std::move(sources)), on_update_(std::move(on_update)) {
  RedisClient::Options options;
  options.redis = redis;
  options.name = std::move(client_name);
  subscriber_ = std::make_unique<RedisClient>(loop, options);
}

ConfigSource::~ConfigSource() = default;

bool ConfigSource::start(RedisClient& commands, std::string* error) {
  commands_ = &commands;
  subscriber_->subscribe({std::string(keys::kConfigUpdatesChannel)},
                         [this](std::string_view, std::string_view version) {
                           logger().info("sg:config:updates: version {}", version);
                           fetchOverrides();
                         });
  // Whatever was published while we were away is in the key: read it on every reconnection.
  subscriber_->onConnected([this] { fetchOverrides(); });
  return subscriber_->start(error);
}

void ConfigSource::stop(std::function<void()> done) {
  commands_ = nullptr;
  subscriber_->stop(std::move(done));
}

void ConfigSource::reloadFile() {
  std::optional<std::string> text;
  if (!sources_.file_path.empty()) {
    std::string error;
    text.emplace();
    // A few KiB read synchronously on SIGHUP: the supervisor's loop has no latency to keep.
    if (!readConfigFile(sources_.file_path, &*text, &error)) {
      on_update_(failedUpdate(ConfigTrigger::kSignal, "", error));
      return;
    }
  }
  rebuild(ConfigTrigger::kSignal, text, sources_.overrides_json);
}

void ConfigSource::fetchOverrides() {
  if (commands_ == nullptr || !commands_->connected()) return;  // read again on connection
  if (fetching_) {
    fetch_again_ = true;
    return;
  }
  fetching_ = true;
  // Pipelined: the version's reply arrives first.
  commands_->command({"GET", keys::kConfigVersion},
                     [this, alive = life_.watch()](const RedisResult& result) {
                       if (alive.expired() || commands_ == nullptr || !result.ok()) return;
                       version_ = std::string(result.reply().str());
                     });
  commands_->command({"GET", keys::kConfigOverrides},
                     [this, alive = life_.watch()](const RedisResult& result) {
                       if (alive.expired() || commands_ == nullptr) return;  // stopped
                       fetching_ = false;
                       onOverrides(result);
                       if (fetch_again_) {
                         fetch_again_ = false;
                         fetchOverrides();
                       }
                     });
}

void ConfigSource::onOverrides(const RedisResult& result) {
  bool first = !overrides_read_;
  ConfigTrigger trigger = first ? ConfigTrigger::kStart : ConfigTrigger::kOverrides;
  if (!result.ok() && result.error() != RedisError::kServer) {
    logger().warn("cannot read {} ({}); reading it again on reconnection", keys::kConfigOverrides,
                  result.message());
    return;
  }
  overrides_read_ = true;
  if (!result.ok()) {  // WRONGTYPE: someone stored something other than a string
    ConfigUpdate update = failedUpdate(
        trigger, std::string(keys::kConfigOverrides),
        "must be a string holding a JSON object (" + std::string(result.message()) + ")");
    update.overrides_version = version_;
    on_update_(std::move(update));
    return;
  }
  std::string text(result.reply().str());  // nil: no overrides
  if (!first && text == sources_.overrides_json) return;
  rebuild(trigger, sources_.file_text, text);
}

void ConfigSource::rebuild(ConfigTrigger trigger, const std::optional<std::string>& file_text,
                           const std::string& overrides_text) {
  ConfigSources sources = sources_;
  sources.file_text = file_text;
  sources.overrides_json = overrides_text;
  ConfigUpdate update;
  update.trigger = trigger;
  update.result = buildConfig(sources);
  update.overrides_version = version_;
  if (update.result.ok()) {
    sources_.file_text = file_text;
    sources_.overrides_json = overrides_text;
  }
  on_update_(std::move(update));
}

}  // namespace sg
