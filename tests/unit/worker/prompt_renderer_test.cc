// Prompt templates: variables and sections render as documented; a bad template (unknown
// variable, unclosed tag or section, unreadable file) is refused when the configuration is
// loaded, naming the file and the line; the files are read at load, not per message.
#include "worker/prompt_renderer.h"

#include <gtest/gtest.h>

#include "common/config_loader.h"
#include "support/child_process.h"

namespace sg {
namespace {

std::string render(const std::string& text, const PromptVariables& variables) {
  PromptTemplate compiled;
  std::string error;
  EXPECT_TRUE(compiled.compile(text, &error)) << error;
  return compiled.render(variables);
}

std::string compileError(const std::string& text) {
  PromptTemplate compiled;
  std::string error;
  EXPECT_FALSE(compiled.compile(text, &error)) << text;
  return error;
}

TEST(PromptTemplate, VariablesAndSections) {
  PromptVariables variables = {{"bot_name", "Stargazer"}, {"user", "alice"}, {"guild", ""}};
  EXPECT_EQ(render("I am {{bot_name}}, talking to {{ user }}.", variables),
            "I am Stargazer, talking to alice.");
  EXPECT_EQ(render("{{#guild}}in {{guild}}{{/guild}}{{^guild}}no guild{{/guild}}", variables),
            "no guild");
  variables["guild"] = "Astronomy";
  EXPECT_EQ(render("{{#guild}}in {{guild}}{{/guild}}{{^guild}}no guild{{/guild}}", variables),
            "in Astronomy");
  EXPECT_EQ(render("{{#user}}{{#guild}}both{{/guild}}{{/user}}", variables), "both");
  EXPECT_EQ(render("{{memory}}", variables), "");  // a known variable left unset renders empty
  EXPECT_EQ(render("no tags at all", variables), "no tags at all");
}

TEST(PromptTemplate, ErrorsNameTheLineAndTheProblem) {
  EXPECT_EQ(compileError("line one\n{{usr}}"),
            "line 2: unknown variable {{usr}} (known: bot_name, date, time, weekday, user, "
            "user_id, channel, guild, thread, platform, model, dm, memory)");
  EXPECT_EQ(compileError("a\nb\nc {{user"), "line 3: unclosed tag {{ (no }})");
  EXPECT_EQ(compileError("{{#guild}}\nopen"), "line 1: unclosed section {{guild}} (no {{/guild}})");
  EXPECT_EQ(compileError("{{/guild}}"), "line 1: {{/guild}} closes no open section");
  EXPECT_EQ(compileError("{{#user}}{{/guild}}"), "line 1: {{/guild}} closes no open section");
  EXPECT_EQ(compileError("{{ }}"), "line 1: empty tag {{}}");
}

TEST(PromptRenderer, BuiltInTemplateRendersEveryVariable) {
  std::string error;
  auto renderer = PromptRenderer::load(Config{}, &error);
  ASSERT_NE(renderer, nullptr) << error;
  std::string prompt = renderer->render("", {{"bot_name", "Stargazer"},
                                             {"platform", "discord"},
                                             {"user", "alice"},
                                             {"channel", "c1"},
                                             {"guild", "g1"},
                                             {"date", "2026-01-02"},
                                             {"memory", "alice likes Saturn"}});
  EXPECT_NE(prompt.find("You are Stargazer"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("2026-01-02"), std::string::npos);
  EXPECT_NE(prompt.find("server g1"), std::string::npos);
  EXPECT_NE(prompt.find("alice likes Saturn"), std::string::npos);
  EXPECT_EQ(prompt.find("{{"), std::string::npos);
}

TEST(PromptRenderer, FilesOfTheConfigurationAndItsOverridesAreLoadedOnce) {
  test::TempDir dir;
  std::string global = dir.file("global.txt");
  std::string channel = dir.file("channel.txt");
  ASSERT_TRUE(test::writeFile(global, "Global prompt for {{user}}."));
  ASSERT_TRUE(test::writeFile(channel, "Channel prompt of {{bot_name}}."));
  ConfigResult built = buildConfig({.file_text = R"({"bot": {"system_prompt_file": ")" + global +
                                                 R"(", "overrides": {"channels": {"c9": {
      "system_prompt_file": ")" + channel + R"("}}}}})"});
  ASSERT_TRUE(built.ok()) << built.errorText();
  std::string error;
  auto renderer = PromptRenderer::load(*built.config, &error);
  ASSERT_NE(renderer, nullptr) << error;
  // Changing the files afterwards changes nothing: they are read at load only.
  ASSERT_TRUE(test::writeFile(global, "changed {{nonsense"));
  EXPECT_EQ(renderer->render(global, {{"user", "alice"}}), "Global prompt for alice.");
  EXPECT_EQ(renderer->render(channel, {{"bot_name", "Star"}}), "Channel prompt of Star.");
  EXPECT_NE(renderer->render("", {}).find("You are"), std::string::npos);
  // The changed file is now refused, at load.
  EXPECT_EQ(PromptRenderer::load(*built.config, &error), nullptr);
  EXPECT_NE(error.find(global), std::string::npos) << error;
  EXPECT_NE(error.find("line 1: unclosed tag"), std::string::npos) << error;
}

TEST(PromptRenderer, UnreadableFileIsRefusedAtLoad) {
  Config config;
  config.bot.system_prompt_file = "/nonexistent/prompt.txt";
  std::string error;
  EXPECT_EQ(PromptRenderer::load(config, &error), nullptr);
  EXPECT_NE(error.find("bot.system_prompt_file"), std::string::npos) << error;
  EXPECT_NE(error.find("/nonexistent/prompt.txt"), std::string::npos) << error;

  config.bot.system_prompt_file.clear();
  config.bot.overrides_json = R"({"guilds": {"g": {"system_prompt_file": "/nonexistent/g.txt"}}})";
  EXPECT_EQ(PromptRenderer::load(config, &error), nullptr);
  EXPECT_NE(error.find("/nonexistent/g.txt"), std::string::npos) << error;
}

}  // namespace
}  // namespace sg
