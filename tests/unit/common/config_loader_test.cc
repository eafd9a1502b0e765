// Building a configuration: precedence of the sources, validation messages with their exact key
// paths, merge-patch overrides, the environment, secrets kept out of output, and what a change
// takes to apply.
#include "common/config_loader.h"

#include <gtest/gtest.h>

#include "support/child_process.h"

namespace sg {
namespace {

struct Sources {
  std::string file;
  std::string overrides;
  std::map<std::string, std::string> env;
  std::vector<std::string> cli;
};

ConfigResult build(const Sources& s) {
  ConfigSources sources;
  sources.file_path = "test.json";
  sources.file_text = s.file;
  sources.overrides_json = s.overrides;
  sources.environment = s.env;
  sources.cli = s.cli;
  return buildConfig(sources);
}

ConfigPtr buildOk(const Sources& s) {
  ConfigResult result = build(s);
  EXPECT_TRUE(result.ok()) << result.errorText();
  EXPECT_TRUE(result.errors.empty());
  return result.config;
}

// The single error a file produces.
ConfigError fileError(const std::string& file) {
  ConfigResult result = build({.file = file});
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.config, nullptr);
  EXPECT_EQ(result.errors.size(), 1u) << result.errorText();
  return result.errors.empty() ? ConfigError{} : result.errors[0];
}

ConfigError error(std::string source, std::string path, std::string reason) {
  return {std::move(source), std::move(path), std::move(reason)};
}

// ---- precedence -----------------------------------------------------------------------------

TEST(ConfigLoader, EmptyFileGivesTheDefaults) {
  ConfigPtr config = buildOk({.file = "{}"});
  EXPECT_TRUE(diffConfig(Config{}, *config).empty());
}

TEST(ConfigLoader, PrecedenceFileOverridesEnvironmentCommandLine) {
  const std::string file = R"({"workers": 3, "llm": {"model": "file", "title": "file"},
                               "log": {"level": "debug", "format": "json"}})";
  const std::string overrides = R"({"llm": {"model": "override", "title": "override"},
                                    "log": {"level": "warn"}})";
  const std::map<std::string, std::string> env = {{"SG_LLM_MODEL", "env"}};
  const std::vector<std::string> cli = {"llm.model=cli"};

  ConfigPtr all = buildOk({file, overrides, env, cli});
  EXPECT_EQ(all->llm.model, "cli");
  EXPECT_EQ(all->llm.title, "override");
  EXPECT_EQ(all->log.level, "warn");
  EXPECT_EQ(all->log.format, "json");
  EXPECT_EQ(all->workers, 3u);
  EXPECT_EQ(buildOk({file, overrides, env, {}})->llm.model, "env");
  EXPECT_EQ(buildOk({file, overrides, {}, {}})->llm.model, "override");
  EXPECT_EQ(buildOk({file, "", {}, {}})->llm.model, "file");
  EXPECT_EQ(buildOk({"{}", "", {}, {}})->llm.model, Config{}.llm.model);
}

TEST(ConfigLoader, LaterCommandLineAssignmentsWin) {
  ConfigPtr config = buildOk({.file = "{}", .cli = {"workers=3", "workers=5", "llm.stream=false"}});
  EXPECT_EQ(config->workers, 5u);
  EXPECT_FALSE(config->llm.stream);
}

TEST(ConfigLoader, ReadsTheFileFromDisk) {
  test::TempDir dir;
  ASSERT_TRUE(test::writeFile(dir.file("sg.json"), R"({"llm": {"model": "from-disk"}})"));
  ConfigResult result = buildConfig({.file_path = dir.file("sg.json")});
  ASSERT_TRUE(result.ok()) << result.errorText();
  EXPECT_EQ(result.config->llm.model, "from-disk");

  ConfigResult missing = buildConfig({.file_path = dir.file("absent.json")});
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].text(),
            "cannot open " + dir.file("absent.json") + ": No such file or directory");
}

TEST(ConfigLoader, EffectiveDocumentIsCompleteAndRoundTrips) {
  ConfigResult first = build({.file = R"({"llm": {"model": "m", "api_key": "sk-1",
                                          "temperature": 0.25, "provider": {"order": ["a"]}},
                                          "bot": {"overrides": {"guilds": {"9": {"answer": "never"}}}},
                                          "status": {"presences": [{"status": "dnd", "activity": "x"}]}})"});
  ASSERT_TRUE(first.ok()) << first.errorText();
  EXPECT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(first.effective.get(), "llm")), 24);
  // What a supervisor sends down a worker's control pipe builds the same snapshot there.
  ConfigResult again = buildConfig({.file_text = renderEffective(*first.config, false)});
  ASSERT_TRUE(again.ok()) << again.errorText();
  EXPECT_TRUE(diffConfig(*first.config, *again.config).empty());
  EXPECT_EQ(again.config->llm.api_key.reveal(), "sk-1");
  EXPECT_EQ(again.config->llm.temperature, 0.25);
}

TEST(ConfigLoader, SampleConfigurationIsValid) {
  ConfigResult result =
      buildConfig({.file_path = std::string(SG_SOURCE_DIR) + "/config/stargazer.json"});
  ASSERT_TRUE(result.ok()) << result.errorText();
  EXPECT_EQ(result.config->llm.base_url, "http://127.0.0.1:8089/v1");
  EXPECT_EQ(result.config->llm.model, "stargazer/fake");
}

// ---- merge-patch overrides ------------------------------------------------------------------

TEST(ConfigLoader, OverrideNullRemovesTheValue) {
  ConfigPtr config = buildOk({.file = R"({"llm": {"model": "file", "temperature": 0.5}})",
                              .overrides = R"({"llm": {"model": null, "temperature": null}})"});
  EXPECT_EQ(config->llm.model, Config{}.llm.model);
  EXPECT_FALSE(config->llm.temperature.has_value());
}

TEST(ConfigLoader, OverrideArraysReplaceWholeObjectsMerge) {
  ConfigPtr config = buildOk({.file = R"({"llm": {"fallback_models": ["a", "b"]},
                   "bot": {"overrides": {"channels": {"1": {"model": "x", "answer": "always"}}}}})",
                              .overrides = R"({"llm": {"fallback_models": ["c"]},
                        "bot": {"overrides": {"channels": {"1": {"model": null}, "2": {"model": "y"}}}}})"});
  EXPECT_EQ(config->llm.fallback_models, std::vector<std::string>{"c"});
  JsonPtr overrides = parseJson(config->bot.overrides_json);
  JsonPtr expected = parseJson(R"({"channels": {"1": {"answer": "always"}, "2": {"model": "y"}}})");
  EXPECT_TRUE(jsonEqual(overrides.get(), expected.get())) << config->bot.overrides_json;
}

TEST(ConfigLoader, InvalidOverrideIsRefusedWholeAndTheRunningSnapshotStays) {
  ConfigPtr running = buildOk({.file = R"({"llm": {"model": "old"}})"});
  ConfigResult refused = build({.file = R"({"llm": {"model": "old"}})",
                                .overrides = R"({"llm": {"model": "new"}, "workers": 0})"});
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.config, nullptr);
  EXPECT_EQ(refused.effective, nullptr);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_EQ(refused.errors[0], error("sg:config:overrides", "workers",
                                     "must be an integer between 1 and 1024, got 0"));
  EXPECT_EQ(running->llm.model, "old");

  ConfigResult syntax = build({.file = "{}", .overrides = R"({"llm": {"model": "new"})"});
  ASSERT_EQ(syntax.errors.size(), 1u);
  EXPECT_EQ(syntax.errors[0].text(),
            "sg:config:overrides: invalid JSON at line 1, column 25: expected ',' or '}', got end "
            "of input");
}

TEST(ConfigLoader, OverrideMustBeAnObject) {
  ConfigResult result = build({.file = "{}", .overrides = "[1]"});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].text(),
            "sg:config:overrides: the configuration must be a JSON object, got an array");
}

// ---- validation, one type at a time ---------------------------------------------------------

TEST(ConfigValidation, SyntaxErrorHasLineAndColumn) {
  EXPECT_EQ(
      fileError("{\n  \"workers\": 2,\n  \"llm\": {\"model\": \"x\",}\n}").text(),
      "test.json: invalid JSON at line 3, column 24: expected a member name (a string), got '}'");
}

TEST(ConfigValidation, UnsignedIntegers) {
  const std::string reason = "must be an integer between 1 and 100000, got ";
  EXPECT_EQ(fileError(R"({"consumer": {"max_inflight": 0}})"),
            error("test.json", "consumer.max_inflight", reason + "0"));
  EXPECT_EQ(fileError(R"({"consumer": {"max_inflight": 100001}})").reason, reason + "100001");
  EXPECT_EQ(fileError(R"({"consumer": {"max_inflight": -3}})").reason, reason + "-3");
  EXPECT_EQ(fileError(R"({"consumer": {"max_inflight": 1.5}})").reason, reason + "1.5");
  EXPECT_EQ(fileError(R"({"consumer": {"max_inflight": "12"}})").reason, reason + "\"12\"");
  EXPECT_EQ(fileError(R"({"consumer": {"max_inflight": 1e300}})").reason, reason + "1e+300");
  EXPECT_EQ(buildOk({.file = R"({"consumer": {"max_inflight": 1e3}})"})->consumer.max_inflight,
            1000u);
}

TEST(ConfigValidation, BooleansNumbersEnums) {
  EXPECT_EQ(fileError(R"({"llm": {"stream": "yes"}})"),
            error("test.json", "llm.stream", "must be true or false, got \"yes\""));
  EXPECT_EQ(fileError(R"({"llm": {"temperature": 3}})"),
            error("test.json", "llm.temperature", "must be a number between 0 and 2, got 3"));
  EXPECT_EQ(
      fileError(R"({"log": {"level": "verbose"}})"),
      error("test.json", "log.level",
            "must be one of trace, debug, info, warn, error, critical, off, got \"verbose\""));
  EXPECT_EQ(fileError(R"({"consumer": {"processor": 1}})"),
            error("test.json", "consumer.processor", "must be one of llm, echo, got 1"));
}

TEST(ConfigValidation, StringsAndStringArrays) {
  EXPECT_EQ(fileError(R"({"llm": {"model": ["x"]}})"),
            error("test.json", "llm.model", "must be a string, got an array"));
  EXPECT_EQ(fileError(R"({"llm": {"model": ""}})"),
            error("test.json", "llm.model", "must not be empty"));
  EXPECT_EQ(fileError(R"({"llm": {"fallback_models": ["a", 5]}})"),
            error("test.json", "llm.fallback_models[1]", "must be a string, got 5"));
  EXPECT_EQ(fileError(R"({"llm": {"fallback_models": ["a", ""]}})"),
            error("test.json", "llm.fallback_models[1]", "must not be empty"));
  EXPECT_EQ(fileError(R"({"bot": {"trigger_words": "star"}})"),
            error("test.json", "bot.trigger_words", "must be an array of strings, got \"star\""));
}

TEST(ConfigValidation, UrlsAndAddresses) {
  EXPECT_EQ(fileError(R"({"redis": {"url": "http://127.0.0.1:6379"}})"),
            error("test.json", "redis.url",
                  "unsupported scheme \"http\" (expected redis:// or unix://)"));
  EXPECT_EQ(fileError(R"({"redis": {"url": "redis://127.0.0.1:99999"}})").reason,
            "port must be a number between 1 and 65535, got \"99999\"");
  EXPECT_EQ(fileError(R"({"llm": {"base_url": "ftp://x"}})").reason,
            "must be an http:// or https:// URL (such as https://openrouter.ai/api/v1)");
  EXPECT_EQ(fileError(R"({"health": {"listen": "9464"}})"),
            error("test.json", "health.listen",
                  "missing port (expected HOST:PORT such as 127.0.0.1:9464)"));
  EXPECT_TRUE(buildOk({.file = R"({"redis": {"url": "unix:///run/redis.sock?db=2"},
                                   "health": {"listen": "[::1]:9000"}})"}));
}

TEST(ConfigValidation, UnknownKeysAreNamedWithASuggestion) {
  EXPECT_EQ(fileError(R"({"llm": {"modle": "x"}})"),
            error("test.json", "llm.modle", "unknown key (did you mean llm.model?)"));
  EXPECT_EQ(fileError(R"({"colour": "blue"})"), error("test.json", "colour", "unknown key"));
  EXPECT_EQ(fileError(R"({"llm.model": "x"})").reason,
            "unknown key (dotted names are not expanded in JSON: nest the objects)");
  EXPECT_EQ(fileError(R"({"llm": "x"})"),
            error("test.json", "llm", "must be an object, got \"x\""));
  EXPECT_EQ(fileError("[]"),
            error("test.json", "", "the configuration must be a JSON object, got an array"));
  EXPECT_EQ(fileError(R"({"workers": 2, "workers": 3})"),
            error("test.json", "workers", "appears more than once"));
}

TEST(ConfigValidation, Presences) {
  ConfigResult result = build({.file = R"({"status": {"presences": [
      {"status": "online", "activity": "ok"},
      {"status": "away", "activity": "x"},
      {"status": "idle"},
      {"status": "dnd", "activity": "y", "emoji": "smile"},
      5]}})"});
  std::vector<ConfigError> expected = {
      error("test.json", "status.presences[1].status",
            "must be one of online, idle, dnd, got \"away\""),
      error("test.json", "status.presences[2].activity", "is required (a string)"),
      error("test.json", "status.presences[3].emoji", "unknown key (expected status or activity)"),
      error("test.json", "status.presences[4]",
            "must be an object with status and activity, got 5"),
  };
  EXPECT_EQ(result.errors, expected) << result.errorText();
  ConfigPtr config = buildOk(
      {.file = R"({"status": {"presences": [{"status": "idle", "activity": "stargazing"}]}})"});
  ASSERT_EQ(config->status.presences.size(), 1u);
  EXPECT_EQ(config->status.presences[0], (Presence{"idle", "stargazing"}));
}

TEST(ConfigValidation, PresencePlatforms) {
  ConfigResult result =
      build({.file = R"({"status": {"platforms": ["discord", "Bad-Name", ""]}})"});
  std::vector<ConfigError> expected = {
      error("test.json", "status.platforms[1]", "must be a platform name ([a-z0-9_]{1,32})"),
      error("test.json", "status.platforms[2]", "must not be empty"),
  };
  EXPECT_EQ(result.errors, expected) << result.errorText();
  EXPECT_EQ(buildOk({.file = "{}"})->status.platforms, std::vector<std::string>{"discord"});
  ConfigPtr config = buildOk({.file = "{}", .cli = {"status.platforms=discord,matrix"}});
  EXPECT_EQ(config->status.platforms, (std::vector<std::string>{"discord", "matrix"}));
}

TEST(ConfigValidation, BotOverridesStructure) {
  ConfigResult result = build({.file = R"({"bot": {"overrides": {
      "channels": {"123": {"model": 5, "answer": "sometimes", "colour": "red",
                           "fallback_models": ["a", 1], "system_prompt_file": "/p.txt"},
                   "456": "x"},
      "guilds": [],
      "users": {}}}})"});
  std::vector<ConfigError> expected = {
      error("test.json", "bot.overrides.channels.123.model", "must be a string, got 5"),
      error("test.json", "bot.overrides.channels.123.answer",
            "must be one of always, default, never, got \"sometimes\""),
      error("test.json", "bot.overrides.channels.123.colour",
            "unknown key (expected one of: name, system_prompt_file, stream_edits, "
            "trigger_words, ignore_users, model, fallback_models, temperature, "
            "max_completion_tokens, max_tool_rounds, answer)"),
      error("test.json", "bot.overrides.channels.123.fallback_models[1]",
            "must be a string, got 1"),
      error("test.json", "bot.overrides.channels.456", "must be an object of settings, got \"x\""),
      error("test.json", "bot.overrides.guilds",
            "must be an object mapping ids to settings, got an array"),
      error("test.json", "bot.overrides.users", "unknown key (expected channels or guilds)"),
  };
  EXPECT_EQ(result.errors, expected) << result.errorText();
  EXPECT_EQ(fileError(R"({"bot": {"overrides": []}})").reason,
            "must be an object with \"channels\" and \"guilds\", got an array");
}

TEST(ConfigValidation, RulesBetweenKeys) {
  ConfigResult result = build({.file = R"({"redis": {"reconnect_base_ms": 6000}})"});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].text(),
            "redis.reconnect_base_ms: must not exceed redis.reconnect_max_ms (5000), got 6000");
}

TEST(ConfigValidation, EveryErrorIsCollected) {
  ConfigResult result = build({.file = R"({"workers": 0, "llm": {"modle": "x", "stream": 1}})",
                               .overrides = R"({"log": {"format": "xml"}})",
                               .env = {{"SG_CONSUMER_MAX_INFLIGHT", "abc"}},
                               .cli = {"llm.temprature=1"}});
  std::vector<std::string> texts;
  for (const ConfigError& e : result.errors) texts.push_back(e.text());
  std::vector<std::string> expected = {
      "test.json: workers: must be an integer between 1 and 1024, got 0",
      "test.json: llm.modle: unknown key (did you mean llm.model?)",
      "test.json: llm.stream: must be true or false, got 1",
      "sg:config:overrides: log.format: must be one of text, json, got \"xml\"",
      "SG_CONSUMER_MAX_INFLIGHT: consumer.max_inflight: must be an integer between 1 and "
      "100000, got \"abc\"",
      "command line: llm.temprature: unknown key (did you mean llm.temperature?)",
  };
  EXPECT_EQ(texts, expected);
}

// ---- environment and command line -----------------------------------------------------------

TEST(ConfigEnvironment, ValuesAreParsedPerType) {
  ConfigPtr config =
      buildOk({.file = "{}",
               .env = {{"SG_LLM_STREAM", "off"},
                       {"SG_WORKERS", " 7 "},
                       {"SG_LLM_TEMPERATURE", "0.7"},
                       {"SG_LLM_FALLBACK_MODELS", "a/one, b/two"},
                       {"SG_BOT_TRIGGER_WORDS", R"(["star", "gazer"])"},
                       {"SG_STATUS_PRESENCES", R"([{"status":"idle","activity":"z"}])"},
                       {"SG_LLM_PROVIDER", R"({"order": ["x"]})"},
                       {"SG_REDIS_URL", "redis://10.0.0.1:6380/1"}}});
  EXPECT_FALSE(config->llm.stream);
  EXPECT_EQ(config->workers, 7u);
  EXPECT_EQ(config->llm.temperature, 0.7);
  EXPECT_EQ(config->llm.fallback_models, (std::vector<std::string>{"a/one", "b/two"}));
  EXPECT_EQ(config->bot.trigger_words, (std::vector<std::string>{"star", "gazer"}));
  EXPECT_EQ(config->status.presences, (std::vector<Presence>{{"idle", "z"}}));
  EXPECT_EQ(config->llm.provider_json, R"({"order":["x"]})");
  EXPECT_EQ(config->redis.url, "redis://10.0.0.1:6380/1");
}

TEST(ConfigEnvironment, EmptyValuesResetOrEmpty) {
  ConfigPtr config = buildOk({.file = R"({"llm": {"temperature": 1, "fallback_models": ["a"]}})",
                              .env = {{"SG_LLM_TEMPERATURE", ""}, {"SG_LLM_FALLBACK_MODELS", ""}}});
  EXPECT_FALSE(config->llm.temperature.has_value());
  EXPECT_TRUE(config->llm.fallback_models.empty());
}

TEST(ConfigEnvironment, BadValuesNameTheVariableAndTheKey) {
  ConfigResult result = build({.file = "{}",
                               .env = {{"SG_LLM_STREAM", "maybe"},
                                       {"SG_LLM_PROVIDER", R"({"order": )"},
                                       {"SG_CONSUMER_MAX_INFLIGHT", "-1"}}});
  std::vector<ConfigError> expected = {
      error("SG_CONSUMER_MAX_INFLIGHT", "consumer.max_inflight",
            "must be an integer between 1 and 100000, got -1"),
      error("SG_LLM_PROVIDER", "llm.provider",
            "invalid JSON (line 1, column 10: expected a value, got end of input)"),
      error("SG_LLM_STREAM", "llm.stream", "must be true or false, got \"maybe\""),
  };
  EXPECT_EQ(result.errors, expected) << result.errorText();
}

TEST(ConfigEnvironment, UnknownVariablesAreWarnedAboutNotFatal) {
  ConfigResult result = build({.file = "{}", .env = {{"SG_LLM_MODLE", "x"}}});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.warnings,
            std::vector<std::string>{"SG_LLM_MODLE is not a configuration variable (did you mean "
                                     "SG_LLM_MODEL?); ignored"});
}

TEST(ConfigEnvironment, OpenRouterKeyIsTheFallbackForTheApiKey) {
  const std::map<std::string, std::string> alias = {{"OPENROUTER_API_KEY", "sk-alias"}};
  EXPECT_EQ(buildOk({.file = "{}", .env = alias})->llm.api_key.reveal(), "sk-alias");
  EXPECT_EQ(buildOk({.file = R"({"llm": {"api_key": ""}})", .env = alias})->llm.api_key.reveal(),
            "sk-alias");
  EXPECT_EQ(
      buildOk({.file = R"({"llm": {"api_key": "sk-file"}})", .env = alias})->llm.api_key.reveal(),
      "sk-file");
  auto both = alias;
  both["SG_LLM_API_KEY"] = "sk-sg";
  EXPECT_EQ(buildOk({.file = "{}", .env = both})->llm.api_key.reveal(), "sk-sg");
  EXPECT_EQ(
      buildOk({.file = "{}", .env = alias, .cli = {"llm.api_key=sk-cli"}})->llm.api_key.reveal(),
      "sk-cli");
}

TEST(ConfigCommandLine, MalformedAssignments) {
  ConfigResult result = build({.file = "{}", .cli = {"workers", "llm={}", "nope=1", "workers=x"}});
  std::vector<ConfigError> expected = {
      error("command line", "", "expected KEY=VALUE (such as llm.model=openai/gpt-4o)"),
      error("command line", "llm", "is a group of keys: set them one by one (llm.KEY=VALUE)"),
      error("command line", "nope", "unknown key"),
      error("command line", "workers", "must be an integer between 1 and 1024, got \"x\""),
  };
  EXPECT_EQ(result.errors, expected) << result.errorText();
}

TEST(ConfigEnvironment, ProcessEnvironmentKeepsOnlyConfigurationVariables) {
  ASSERT_EQ(setenv("SG_TEST_ONLY_VARIABLE", "1", 1), 0);
  ASSERT_EQ(setenv("OPENROUTER_API_KEY", "sk-process", 1), 0);
  std::map<std::string, std::string> environment = environmentFromProcess();
  unsetenv("SG_TEST_ONLY_VARIABLE");
  unsetenv("OPENROUTER_API_KEY");
  EXPECT_EQ(environment["SG_TEST_ONLY_VARIABLE"], "1");
  EXPECT_EQ(environment["OPENROUTER_API_KEY"], "sk-process");
  EXPECT_EQ(environment.count("PATH"), 0u);
}

// ---- secrets --------------------------------------------------------------------------------

TEST(ConfigSecrets, MaskedInTheRenderedConfiguration) {
  ConfigPtr config = buildOk({.file = R"({"llm": {"api_key": "sk-very-secret"},
                                          "redis": {"url": "redis://app:hunter2@db.internal:6380/2"}})"});
  std::string masked = renderEffective(*config);
  EXPECT_EQ(masked.find("sk-very-secret"), std::string::npos);
  EXPECT_EQ(masked.find("hunter2"), std::string::npos);
  EXPECT_NE(masked.find(R"("api_key": "***")"), std::string::npos) << masked;
  EXPECT_NE(masked.find(R"("url": "redis://app:***@db.internal:6380/2")"), std::string::npos);
  std::string clear = renderEffective(*config, false);
  EXPECT_NE(clear.find("sk-very-secret"), std::string::npos);
  EXPECT_NE(clear.find("hunter2"), std::string::npos);
  // An unset key shows as unset rather than as a masked value.
  EXPECT_NE(renderEffective(Config{}).find(R"("api_key": "")"), std::string::npos);
}

TEST(ConfigSecrets, NeverInErrorMessages) {
  const std::vector<Sources> bad = {
      {.file = R"({"llm": {"api_key": ["sk-very-secret"]}})"},
      {.file = R"({"llm": {"api_key": 12345678}})"},
      {.file = R"({"redis": {"url": "redis://:sk-very-secret@host:99999"}})"},
      {.file = R"({"redis": {"url": "http://:sk-very-secret@host"}})"},
      {.file = R"({"redis": {"url": "redis://:sk-very-secret@host/zero"}})"},
      {.file = R"({"redis": {"url": "redis://:sk-very-secret%zz@host"}})"},
      {.file = R"({"llm": {"apikey": "sk-very-secret"}})"},
      {.file = "{}", .cli = {"sk-very-secret"}},
      {.file = "{}", .cli = {"llm.apikey=sk-very-secret"}},
  };
  for (const Sources& sources : bad) {
    ConfigResult result = build(sources);
    EXPECT_FALSE(result.ok()) << sources.file;
    std::string text = result.errorText();
    EXPECT_EQ(text.find("sk-very-secret"), std::string::npos) << text;
    EXPECT_EQ(text.find("12345678"), std::string::npos) << text;
  }
}

// ---- changes --------------------------------------------------------------------------------

TEST(ConfigDiff, ChangesCarryTheirReloadClass) {
  ConfigPtr before = buildOk({.file = "{}"});
  ConfigPtr after = buildOk({.file = R"({"llm": {"model": "x"}, "redis": {"url": "redis://h:1/0"},
                                         "health": {"listen": "127.0.0.1:9999"}})"});
  std::vector<ConfigChange> changes = diffConfig(*before, *after);
  std::vector<ConfigChange> expected = {
      {"redis.url", ReloadClass::kWorkerRestart},
      {"llm.model", ReloadClass::kLive},
      {"health.listen", ReloadClass::kFullRestart},
  };
  EXPECT_EQ(changes, expected);
  EXPECT_EQ(strongestReload(changes), ReloadClass::kFullRestart);
  EXPECT_EQ(strongestReload({}), ReloadClass::kLive);
  EXPECT_EQ(strongestReload({{"llm.model", ReloadClass::kLive}}), ReloadClass::kLive);
}

TEST(ConfigDiff, ObjectsCompareByValueNotByText) {
  ConfigPtr a = buildOk({.file = R"({"llm": {"provider": {"a": 1, "b": 2}}})"});
  ConfigPtr b = buildOk({.file = R"({"llm": {"provider": {"b": 2, "a": 1}}})"});
  EXPECT_TRUE(diffConfig(*a, *b).empty());
  ConfigPtr c = buildOk({.file = R"({"llm": {"provider": {"b": 3, "a": 1}}})"});
  EXPECT_EQ(diffConfig(*a, *c), (std::vector<ConfigChange>{{"llm.provider", ReloadClass::kLive}}));
}

TEST(ConfigDiff, RetainKeysKeepsTheRunningFullRestartValues) {
  ConfigPtr running = buildOk({.file = "{}"});
  ConfigPtr next =
      buildOk({.file = R"({"llm": {"model": "x"}, "health": {"listen": "127.0.0.1:1"}})"});
  ConfigPtr adopted = retainKeys(*next, *running, ReloadClass::kFullRestart);
  EXPECT_EQ(adopted->llm.model, "x");
  EXPECT_EQ(adopted->health.listen, running->health.listen);
  EXPECT_EQ(diffConfig(*running, *adopted),
            (std::vector<ConfigChange>{{"llm.model", ReloadClass::kLive}}));
}

}  // namespace
}  // namespace sg
