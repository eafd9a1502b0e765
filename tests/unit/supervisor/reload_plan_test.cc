// What a configuration change takes, by the key table's reload classes.
#include "supervisor/reload_plan.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

ConfigPtr base() {
  return std::make_shared<const Config>();
}

std::vector<std::string_view> keysOf(const std::vector<ConfigChange>& changes) {
  std::vector<std::string_view> keys;
  for (const auto& change : changes) keys.push_back(change.key);
  return keys;
}

TEST(ReloadPlan, NoChangeIsNoPlan) {
  ReloadPlan plan = planReload(base(), Config{});
  EXPECT_FALSE(plan.changed());
  EXPECT_TRUE(plan.applied.empty());
  EXPECT_TRUE(plan.deferred.empty());
}

TEST(ReloadPlan, LiveKeysApplyWithoutRestartOrScale) {
  Config next;
  next.llm.model = "other/model";
  next.status.interval_s = 5;
  ReloadPlan plan = planReload(base(), next);
  ASSERT_TRUE(plan.changed());
  EXPECT_EQ(plan.adopted->llm.model, "other/model");
  EXPECT_FALSE(plan.scale);
  EXPECT_FALSE(plan.restart_workers);
  EXPECT_EQ(keysOf(plan.applied),
            (std::vector<std::string_view>{"llm.model", "status.interval_s"}));
}

TEST(ReloadPlan, WorkersScaleAndRedisUrlRestartsWorkers) {
  Config next;
  next.workers = 5;
  next.redis.url = "redis://10.0.0.1:6379/0";
  ReloadPlan plan = planReload(base(), next);
  EXPECT_TRUE(plan.scale);
  EXPECT_TRUE(plan.restart_workers);
  EXPECT_EQ(plan.adopted->workers, 5u);
  EXPECT_EQ(plan.adopted->redis.url, "redis://10.0.0.1:6379/0");
}

TEST(ReloadPlan, FullRestartKeysKeepTheirRunningValuesAndAreNamed) {
  Config next;
  next.health.listen = "127.0.0.1:1";
  next.llm.model = "other/model";
  ReloadPlan plan = planReload(base(), next);
  ASSERT_TRUE(plan.changed());
  EXPECT_EQ(plan.adopted->health.listen, Config{}.health.listen);
  EXPECT_EQ(plan.adopted->llm.model, "other/model");
  EXPECT_EQ(keysOf(plan.deferred), (std::vector<std::string_view>{"health.listen"}));

  Config only_full;
  only_full.heartbeat.interval_ms = 999;
  ReloadPlan deferred_only = planReload(base(), only_full);
  EXPECT_FALSE(deferred_only.changed()) << "nothing to apply, but not ignored:";
  EXPECT_EQ(keysOf(deferred_only.deferred),
            (std::vector<std::string_view>{"heartbeat.interval_ms"}));
}

TEST(ReloadPlan, DisplayedValuesHideSecrets) {
  Config config;
  config.llm.api_key = Secret("sk-secret");
  config.redis.url = "redis://:hunter2@host:6379/0";
  EXPECT_EQ(displayValue(*findKey("llm.api_key"), config), "***");
  EXPECT_EQ(displayValue(*findKey("redis.url"), config), "\"redis://:***@host:6379/0\"");
  EXPECT_EQ(displayValue(*findKey("workers"), config), "2");
}

}  // namespace
}  // namespace sg
