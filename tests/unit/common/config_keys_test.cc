// The key table: every key reaches its own field, defaults are those of config.h and valid,
// environment names follow the rule, and the reload classes the supervisor relies on.
#include "common/config_keys.h"

#include <gtest/gtest.h>

#include <set>

#include "common/config_loader.h"

namespace sg {
namespace {

// A valid value of the key's type that differs from its default.
JsonPtr otherValue(const KeySpec& key) {
  switch (key.type) {
    case KeyType::kBool:
      return JsonPtr(cJSON_CreateBool(key.default_json != "true"));
    case KeyType::kUint:
      return JsonPtr(
          cJSON_CreateNumber(key.default_json == fmt::format("{}", key.min) ? key.max : key.min));
    case KeyType::kNumber:
      return JsonPtr(cJSON_CreateNumber(1.5));
    case KeyType::kEnum: {
      std::string_view other = key.default_json == "\"" + std::string(key.choices[0]) + "\""
                                   ? key.choices[1]
                                   : key.choices[0];
      return JsonPtr(cJSON_CreateString(std::string(other).c_str()));
    }
    case KeyType::kString:
    case KeyType::kSecret:
      return JsonPtr(cJSON_CreateString("other"));
    case KeyType::kStringArray:
      return parseJson(R"(["x"])");
    case KeyType::kObject:
      return parseJson(R"({"order":["a"]})");
    case KeyType::kScopeOverrides:
      return parseJson(R"({"channels":{"1":{"model":"m"}}})");
    case KeyType::kPresenceArray:
      return parseJson(R"([{"status":"idle","activity":"a"}])");
    case KeyType::kToolPermissions:
      return parseJson(R"({"react":{"roles":["mod"]}})");
  }
  return nullptr;
}

TEST(ConfigKeys, EveryFieldOfConfigHasOneKey) {
  // config.h holds 78 fields; a field added there needs its line in config_keys.cc (and its entry
  // in man/stargazer.conf.5), and this number then changes with it.
  EXPECT_EQ(configKeys().size(), 78u);
  std::set<std::string_view> paths;
  for (const KeySpec& key : configKeys()) EXPECT_TRUE(paths.insert(key.path).second) << key.path;
}

TEST(ConfigKeys, EachKeyReachesItsOwnField) {
  const Config defaults;
  for (const KeySpec& key : configKeys()) {
    Config changed;
    JsonPtr value = otherValue(key);
    setKeyValue(key, value.get(), changed);
    std::vector<ConfigChange> changes = diffConfig(defaults, changed);
    ASSERT_EQ(changes.size(), 1u) << key.path;
    EXPECT_EQ(changes[0].key, key.path);
    EXPECT_TRUE(jsonEqual(keyValueJson(key, changed).get(), value.get())) << key.path;
    setKeyValue(key, nullptr, changed);  // null: back to the default
    EXPECT_TRUE(diffConfig(defaults, changed).empty()) << key.path;
  }
}

TEST(ConfigKeys, DefaultsComeFromConfigHAndAreValid) {
  EXPECT_EQ(findKey("llm.model")->default_json, "\"openai/gpt-4o-mini\"");
  EXPECT_EQ(findKey("consumer.max_inflight")->default_json, "64");
  EXPECT_EQ(findKey("llm.temperature")->default_json, "null");
  EXPECT_EQ(findKey("bot.overrides")->default_json, "{}");
  EXPECT_EQ(findKey("llm.api_key")->default_json, "\"\"");
  ConfigResult result = buildConfig({});
  ASSERT_TRUE(result.ok()) << result.errorText();
  EXPECT_TRUE(diffConfig(Config{}, *result.config).empty());
}

TEST(ConfigKeys, EnvironmentNamesFollowThePath) {
  EXPECT_EQ(findKey("llm.model")->env, "SG_LLM_MODEL");
  EXPECT_EQ(findKey("consumer.max_inflight")->env, "SG_CONSUMER_MAX_INFLIGHT");
  EXPECT_EQ(findKey("workers")->env, "SG_WORKERS");
  for (const KeySpec& key : configKeys()) {
    std::string expected = "SG_";
    for (char c : key.path) expected += c == '.' ? '_' : static_cast<char>(std::toupper(c));
    EXPECT_EQ(key.env, expected);
  }
}

TEST(ConfigKeys, ReloadClassesTheSupervisorActsOn) {
  EXPECT_EQ(findKey("log.level")->reload, ReloadClass::kLive);
  EXPECT_EQ(findKey("llm.model")->reload, ReloadClass::kLive);
  EXPECT_EQ(findKey("consumer.max_inflight")->reload, ReloadClass::kLive);
  EXPECT_EQ(findKey("workers")->reload, ReloadClass::kLive);
  EXPECT_EQ(findKey("status.presences")->reload, ReloadClass::kLive);
  EXPECT_EQ(findKey("redis.url")->reload, ReloadClass::kWorkerRestart);
  EXPECT_EQ(findKey("health.listen")->reload, ReloadClass::kFullRestart);
  EXPECT_EQ(reloadClassName(ReloadClass::kWorkerRestart), "worker_restart");
  for (const KeySpec& key : configKeys()) {
    if (key.path.substr(0, 4) == "llm.") {
      EXPECT_EQ(key.reload, ReloadClass::kLive) << key.path;
    }
  }
}

TEST(ConfigKeys, SectionsAndSuggestions) {
  EXPECT_TRUE(isSection("llm"));
  EXPECT_FALSE(isSection("llm.model"));
  EXPECT_FALSE(isSection("ll"));
  EXPECT_EQ(suggestKey("llm.modle"), "llm.model");
  EXPECT_EQ(suggestKey("redis.model"), "llm.model");
  EXPECT_EQ(suggestKey("consumer.maxinflight"), "consumer.max_inflight");
  EXPECT_EQ(suggestKey("completely.unrelated.thing"), "");
  EXPECT_EQ(suggestEnvironmentName("SG_LLM_MODLE"), "SG_LLM_MODEL");
}

TEST(ConfigKeys, UsageListsEveryKey) {
  std::string usage = usageText();
  for (const KeySpec& key : configKeys()) {
    EXPECT_NE(usage.find("  " + std::string(key.path) + "  ("), std::string::npos) << key.path;
    EXPECT_NE(usage.find(key.env), std::string::npos) << key.path;
  }
  EXPECT_EQ(typeText(*findKey("consumer.max_inflight")), "integer 1..100000");
  EXPECT_EQ(typeText(*findKey("log.format")), "one of: text, json");
}

}  // namespace
}  // namespace sg
