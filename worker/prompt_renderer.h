// PromptRenderer: the system prompt, from a template file named by bot.system_prompt_file (per
// scope through bot.overrides; a built-in template when none is named). Templates are read and
// compiled when a configuration is loaded (worker start, reload), so that an unreadable file, an
// unknown variable or an unclosed tag refuses the configuration there, never at the first
// message; rendering is then pure and does no I/O.
//
// Syntax: {{name}} inserts a variable; {{#name}}...{{/name}} keeps its text only when the
// variable is not empty, {{^name}}...{{/name}} only when it is. Spaces inside the braces are
// allowed. Variables: bot_name, date (YYYY-MM-DD, UTC), time (HH:MM, UTC), weekday, user,
// user_id, channel, guild, thread, platform, model, dm ("yes" in a direct message, else empty)
// and memory (what the bot remembers of older turns of the channel: the conversation summary).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"

namespace sg {

using PromptVariables = std::map<std::string, std::string, std::less<>>;

// The names a template may use.
const std::vector<std::string_view>& promptVariableNames();

// The built-in template (used when no file is named).
std::string_view defaultPromptTemplate();

class PromptTemplate {
 public:
  // Compiles `text`; false with `error` ("line 3: unknown variable {{usr}}") when it is not a
  // valid template.
  [[nodiscard]] bool compile(std::string_view text, std::string* error);
  // Variables missing from `variables` render empty.
  [[nodiscard]] std::string render(const PromptVariables& variables) const;

 private:
  struct Node {
    enum class Kind { kText, kVariable, kSection, kInverted } kind = Kind::kText;
    std::string text;            // kText: the text; otherwise the variable's name
    std::vector<Node> children;  // sections
  };
  void renderNodes(const std::vector<Node>& nodes, const PromptVariables& variables,
                   std::string& out) const;

  std::vector<Node> nodes_;
};

// Every template one configuration names (bot.system_prompt_file and those of bot.overrides),
// compiled. Immutable once loaded; shared by the runs that started under it.
class PromptRenderer {
 public:
  // Reads and compiles the files; null with `error` naming the file and the problem. Blocking
  // file reads: call it at start-up and reload only.
  [[nodiscard]] static std::shared_ptr<const PromptRenderer> load(const Config& config,
                                                                  std::string* error);

  // The prompt of the template `file` ("" = the built-in one). A file that was not loaded (not
  // named by the configuration) renders the built-in template.
  [[nodiscard]] std::string render(const std::string& file, const PromptVariables& variables) const;

 private:
  PromptTemplate builtin_;
  std::map<std::string, PromptTemplate, std::less<>> files_;
};

}  // namespace sg
