// PromptRenderer: templates compiled at load, rendered per message (see prompt_renderer.h).
#include "worker/prompt_renderer.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>

#include "common/config_loader.h"
#include "common/json.h"

namespace sg {
namespace {

constexpr size_t kMaxTemplateBytes = 256 * 1024;

constexpr std::string_view kDefaultTemplate =
    R"(You are {{bot_name}}, a friendly and helpful assistant taking part in a chat on {{platform}}.
It is {{weekday}} {{date}}, {{time}} UTC.{{#dm}} You are in a direct message with {{user}}.{{/dm}}{{^dm}} You are in channel {{channel}}{{#guild}} of server {{guild}}{{/guild}}, answering {{user}}.{{/dm}}
User messages start with the author's name. Answer the last one, in its language, briefly and
accurately; use Markdown only where the chat renders it. Recent messages of the channel may be
given for context: they were not addressed to you unless they say so. If a tool can find an answer
you do not know, use it; never invent results.{{#memory}}

What you remember of earlier conversation here:
{{memory}}{{/memory}})";

std::string_view trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

size_t lineAt(std::string_view text, size_t offset) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

bool knownVariable(std::string_view name) {
  const auto& names = promptVariableNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Every template file named by the configuration: the global one and those of bot.overrides.
std::vector<std::string> namedFiles(const Config& config) {
  std::vector<std::string> files;
  if (!config.bot.system_prompt_file.empty()) files.push_back(config.bot.system_prompt_file);
  JsonPtr overrides = parseJson(config.bot.overrides_json);
  for (const char* kind : {"channels", "guilds"}) {
    const cJSON* map = jsonField(overrides.get(), kind);
    for (const cJSON* scope = map != nullptr ? map->child : nullptr; scope != nullptr;
         scope = scope->next) {
      std::string_view file = jsonString(scope, "system_prompt_file");
      if (!file.empty()) files.emplace_back(file);
    }
  }
  return files;
}

}  // namespace

const std::vector<std::string_view>& promptVariableNames() {
  static const std::vector<std::string_view> names = {
      "bot_name", "date",   "time",     "weekday", "user", "user_id", "channel",
      "guild",    "thread", "platform", "model",   "dm",   "memory"};
  return names;
}

std::string_view defaultPromptTemplate() {
  return kDefaultTemplate;
}

bool PromptTemplate::compile(std::string_view text, std::string* error) {
  struct Open {
    std::vector<Node>* nodes;
    std::string name;
    size_t offset;
  };
  std::vector<Node> root;
  std::vector<Open> stack;
  std::vector<Node>* current = &root;
  size_t pos = 0;
  auto fail = [&](size_t offset, const std::string& why) {
    *error = fmt::format("line {}: {}", lineAt(text, offset), why);
    return false;
  };
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) open = text.size();
    if (open > pos)
      current->push_back({Node::Kind::kText, std::string(text.substr(pos, open - pos)), {}});
    if (open == text.size()) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return fail(open, "unclosed tag {{ (no }})");
    std::string_view tag = trim(text.substr(open + 2, close - open - 2));
    pos = close + 2;
    char sigil = tag.empty() ? '\0' : tag.front();
    std::string name(trim(sigil == '#' || sigil == '^' || sigil == '/' ? tag.substr(1) : tag));
    if (name.empty()) return fail(open, "empty tag {{}}");
    if (!knownVariable(name)) {
      return fail(open, fmt::format("unknown variable {{{{{}}}}} (known: {})", name,
                                    fmt::join(promptVariableNames(), ", ")));
    }
    if (sigil == '/') {
      if (stack.empty() || stack.back().name != name) {
        return fail(open, fmt::format("{{{{/{}}}}} closes no open section", name));
      }
      current = stack.back().nodes;
      stack.pop_back();
      continue;
    }
    Node node{sigil == '#'   ? Node::Kind::kSection
              : sigil == '^' ? Node::Kind::kInverted
                             : Node::Kind::kVariable,
              name,
              {}};
    current->push_back(std::move(node));
    if (sigil == '#' || sigil == '^') {
      stack.push_back({current, name, open});
      current = &current->back().children;
    }
  }
  if (!stack.empty()) {
    return fail(stack.back().offset, fmt::format("unclosed section {{{{{}}}}} (no {{{{/{}}}}})",
                                                 stack.back().name, stack.back().name));
  }
  nodes_ = std::move(root);
  return true;
}

std::string PromptTemplate::render(const PromptVariables& variables) const {
  std::string out;
  renderNodes(nodes_, variables, out);
  return out;
}

void PromptTemplate::renderNodes(const std::vector<Node>& nodes, const PromptVariables& variables,
                                 std::string& out) const {
  for (const Node& node : nodes) {
    auto found = variables.find(node.text);
    bool empty = found == variables.end() || found->second.empty();
    switch (node.kind) {
      case Node::Kind::kText:
        out += node.text;
        break;
      case Node::Kind::kVariable:
        if (!empty) out += found->second;
        break;
      case Node::Kind::kSection:
        if (!empty) renderNodes(node.children, variables, out);
        break;
      case Node::Kind::kInverted:
        if (empty) renderNodes(node.children, variables, out);
        break;
    }
  }
}

std::shared_ptr<const PromptRenderer> PromptRenderer::load(const Config& config,
                                                           std::string* error) {
  auto renderer = std::make_shared<PromptRenderer>();
  std::string ignored;
  if (!renderer->builtin_.compile(kDefaultTemplate, &ignored)) {
    *error = "the built-in prompt template is invalid: " + ignored;  // a bug, caught by tests
    return nullptr;
  }
  for (const std::string& file : namedFiles(config)) {
    if (renderer->files_.count(file) != 0) continue;
    std::string text;
    std::string why;
    if (!readConfigFile(file, &text, &why)) {
      *error = "bot.system_prompt_file: " + why;
      return nullptr;
    }
    if (text.size() > kMaxTemplateBytes) {
      *error = fmt::format("bot.system_prompt_file: {} is larger than {} bytes", file,
                           kMaxTemplateBytes);
      return nullptr;
    }
    PromptTemplate compiled;
    if (!compiled.compile(text, &why)) {
      *error = fmt::format("bot.system_prompt_file: {}: {}", file, why);
      return nullptr;
    }
    renderer->files_.emplace(file, std::move(compiled));
  }
  return renderer;
}

std::string PromptRenderer::render(const std::string& file,
                                   const PromptVariables& variables) const {
  auto found = files_.find(file);
  return (found == files_.end() ? builtin_ : found->second).render(variables);
}

}  // namespace sg
