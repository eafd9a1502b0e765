// The configuration's man page cannot drift from the key table: every key has an entry naming its
// type, default, reload class and environment variable, and no entry names a key that is gone.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "common/config_keys.h"
#include "support/child_process.h"

namespace sg {
namespace {

// The page's text with the roff escapes this page uses turned back into characters.
std::string plainText(std::string text) {
  const std::pair<std::string, std::string> escapes[] = {
      {"\\fB", ""},    {"\\fI", ""},   {"\\fR", ""},  {"\\fP", ""}, {"\\-", "-"},
      {"\\(dq", "\""}, {"\\(aq", "'"}, {"\\e", "\\"}, {"\\&", ""}};
  for (const auto& [from, to] : escapes) {
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return text;
}

std::string readPage() {
  std::string page = test::readFile(std::string(SG_SOURCE_DIR) + "/man/stargazer.conf.5");
  EXPECT_FALSE(page.empty());
  return page;
}

// Entry tag (the line after .TP, without ".B ") -> the entry's text up to the next .TP/.SS/.SH,
// for the KEYS section.
std::map<std::string, std::string> keyEntries(const std::string& page) {
  size_t begin = page.find("\n.SH KEYS\n");
  size_t end = page.find("\n.SH ", begin + 1);
  std::string section = page.substr(begin, end - begin);
  std::map<std::string, std::string> entries;
  std::regex entry(R"(\n\.TP\n\.B ([^\n]+)\n)");
  for (auto it = std::sregex_iterator(section.begin(), section.end(), entry);
       it != std::sregex_iterator(); ++it) {
    size_t body = it->position() + it->length();
    size_t stop = section.find("\n.", body);
    while (stop != std::string::npos && section.compare(stop, 4, "\n.TP") != 0 &&
           section.compare(stop, 4, "\n.SS") != 0 && section.compare(stop, 4, "\n.RS") != 0) {
      stop = section.find("\n.", stop + 1);
    }
    entries[plainText((*it)[1])] = plainText(section.substr(body, stop - body));
  }
  return entries;
}

TEST(ConfigManPage, EveryKeyHasAnEntryWithItsClass) {
  std::map<std::string, std::string> entries = keyEntries(readPage());
  for (const KeySpec& key : configKeys()) {
    auto it = entries.find(std::string(key.path));
    if (it == entries.end()) {
      ADD_FAILURE() << key.path << " has no entry in man/stargazer.conf.5";
      continue;
    }
    const std::string& text = it->second;
    std::string default_text = key.default_json == "null" ? "unset" : key.default_json;
    EXPECT_NE(text.find("reload: " + std::string(reloadClassName(key.reload))), std::string::npos)
        << key.path << ":\n"
        << text;
    EXPECT_NE(text.find("environment: " + key.env), std::string::npos) << key.path;
    EXPECT_NE(text.find("Type: " + typeText(key)), std::string::npos) << key.path;
    EXPECT_NE(text.find("default: " + default_text), std::string::npos) << key.path;
  }
}

TEST(ConfigManPage, NoEntryForAKeyThatIsGone) {
  const std::regex identifier("[a-z_]+(\\.[a-z_]+)*");
  for (const auto& [tag, text] : keyEntries(readPage())) {
    if (!std::regex_match(tag, identifier) || tag == "answer") continue;
    EXPECT_NE(findKey(tag), nullptr) << "man/stargazer.conf.5 documents unknown key " << tag;
  }
}

TEST(ConfigManPage, NamesTheOverrideSettingsAndTheProtocolKeys) {
  std::string page = plainText(readPage());
  for (const ScopeField& field : scopeOverrideFields()) {
    EXPECT_NE(page.find(std::string(field.name)), std::string::npos) << field.name;
  }
  for (const char* word :
       {"sg:config:overrides", "sg:config:version", "sg:config:updates", "OPENROUTER_API_KEY",
        "live", "worker_restart", "full_restart", "RFC 7396"}) {
    EXPECT_NE(page.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace sg
