// The man pages cannot drift from the programs: every flag that `sg-supervisor --help` and
// `sg-worker --help` print appears in the program's page, and every page has the sections an
// operator looks for. (The configuration keys are checked by config_man_test.cc.)
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "support/child_process.h"

namespace sg {
namespace {

std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
  std::string out;
  char buffer[4096];
  size_t got = 0;
  while (pipe && (got = fread(buffer, 1, sizeof buffer, pipe.get())) > 0) out.append(buffer, got);
  return out;
}

// The page with roff's escaped hyphens turned back into plain ones.
std::string page(const std::string& name) {
  std::string text = test::readFile(std::string(SG_SOURCE_DIR) + "/man/" + name);
  for (size_t at = text.find("\\-"); at != std::string::npos; at = text.find("\\-", at)) {
    text.replace(at, 2, "-");
  }
  return text;
}

std::set<std::string> flagsOf(const std::string& help) {
  std::set<std::string> flags;
  std::regex flag(R"(^\s+(--[a-z][a-z-]*))");
  std::istringstream lines(help);
  std::smatch match;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, match, flag)) flags.insert(match[1]);
  }
  return flags;
}

void expectEveryFlagDocumented(const std::string& binary, const std::string& man) {
  std::set<std::string> flags = flagsOf(run(binary + " --help"));
  EXPECT_GE(flags.size(), 8u) << binary << " --help printed too few flags";
  std::string text = page(man);
  for (const std::string& flag : flags) {
    bool entry = text.find("\n.TP\n.BI " + flag + " ") != std::string::npos ||
                 text.find("\n.TP\n.B " + flag + "\n") != std::string::npos;
    EXPECT_TRUE(entry) << flag << " has no entry in " << man;
  }
}

TEST(ManPages, EverySupervisorFlagIsDocumented) {
  expectEveryFlagDocumented(SG_SUPERVISOR_BIN, "sg-supervisor.8");
}

TEST(ManPages, EveryWorkerFlagIsDocumented) {
  expectEveryFlagDocumented(SG_WORKER_BIN, "sg-worker.8");
}

TEST(ManPages, EveryPageHasTheSectionsOperatorsLookFor) {
  const std::vector<std::string> full = {"NAME",     "SYNOPSIS", "DESCRIPTION", "OPTIONS",
                                         "SIGNALS",  "FILES",    "ENVIRONMENT", "EXIT STATUS",
                                         "EXAMPLES", "SEE ALSO"};
  for (const char* man : {"sg-supervisor.8", "sg-worker.8"}) {
    std::string text = page(man);
    for (const std::string& section : full) {
      EXPECT_NE(text.find("\n.SH " + section + "\n"), std::string::npos) << man << ": " << section;
    }
  }
  std::string bus = page("stargazer-bus.7");
  for (const char* section :
       {"NAME", "DESCRIPTION", "INBOUND", "OUTBOUND", "GATEWAY CALLS", "CONFIGURATION UPDATES",
        "DEAD LETTERS", "LEADERSHIP AND PRESENCE", "LIVENESS", "SEE ALSO"}) {
    EXPECT_NE(bus.find("\n.SH " + std::string(section) + "\n"), std::string::npos) << section;
  }
}

TEST(ManPages, TheWorkerPageDescribesEveryControlMessage) {
  std::string text = page("sg-worker.8");
  for (const char* type : {"config", "drain", "stop", "reopen_logs", "ready", "stats", "error",
                           "draining", "stopped"}) {
    EXPECT_NE(text.find("{\"type\": \"" + std::string(type) + "\""), std::string::npos) << type;
  }
}

}  // namespace
}  // namespace sg
