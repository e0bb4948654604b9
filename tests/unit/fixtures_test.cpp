// The rule fixture harness: tests/fixtures/<rule>/*.go mark every line that
// must be reported with `// want "rule"`; every finding must be wanted and
// every want must be found (the model of go/analysis' analysistest).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "rules/rule.h"
#include "scan/scan.h"

namespace fs = std::filesystem;
using namespace leakhound;

namespace {

using Mark = std::tuple<std::string, uint32_t, std::string>;  // file, line, rule

std::set<Mark> wants_in(const fs::path& dir) {
  std::set<Mark> out;
  static const std::regex want(R"re(// want "([a-z0-9-]+)")re");
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".go") continue;
    std::ifstream in(e.path());
    std::string line;
    uint32_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      for (std::sregex_iterator it(line.begin(), line.end(), want), end; it != end; ++it)
        out.insert({e.path().lexically_normal().string(), n, (*it)[1].str()});
    }
  }
  return out;
}

size_t count_funcs(const fs::path& dir) {
  size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".go") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line))
      if (line.starts_with("func ")) ++n;
  }
  return n;
}

void check_rule_fixtures(const std::string& rule) {
  fs::path dir = fs::path(LEAKHOUND_SOURCE_DIR) / "tests" / "fixtures" / rule;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  scan::ScanOptions o;
  o.paths = {dir.string()};
  o.rules = {rule};
  o.tests = scan::TestsMode::Normal;
  o.jobs = 2;
  auto res = scan::run_scan(o);
  EXPECT_TRUE(res.errors.empty());
  for (auto& n : res.notices) ADD_FAILURE() << "unexpected notice: " << n.file << ":" << n.line << ": " << n.message;
  std::set<Mark> got;
  for (auto& f : res.findings) got.insert({fs::path(f.file).lexically_normal().string(), f.line, f.rule});
  std::set<Mark> want = wants_in(dir);
  ASSERT_FALSE(want.empty()) << "fixtures of " << rule << " mark nothing";
  for (auto& w : want)
    if (!got.count(w)) ADD_FAILURE() << "missed: " << std::get<0>(w) << ":" << std::get<1>(w) << " " << std::get<2>(w);
  for (auto& f : res.findings) {
    Mark m{fs::path(f.file).lexically_normal().string(), f.line, f.rule};
    if (!want.count(m)) ADD_FAILURE() << "unexpected: " << f.file << ":" << f.line << " [" << f.rule << "] " << f.message;
  }
}

}  // namespace

TEST(Fixtures, BodyClose) { check_rule_fixtures("body-close"); }

TEST(Fixtures, BodyCloseHasEnoughScenarios) {
  fs::path dir = fs::path(LEAKHOUND_SOURCE_DIR) / "tests" / "fixtures" / "body-close";
  EXPECT_GE(count_funcs(dir), 40u);
  EXPECT_GE(wants_in(dir).size(), 15u);
}

TEST(Fixtures, EveryRuleHasFixturesAndDocs) {
  for (const rules::Rule* r : rules::all_rules()) {
    const auto& i = r->info();
    fs::path dir = fs::path(LEAKHOUND_SOURCE_DIR) / "tests" / "fixtures" / std::string(i.name);
    EXPECT_TRUE(fs::is_directory(dir)) << i.name << " has no fixtures";
    for (const char* section : {"## What it finds", "## Why it matters", "## Example", "## Use instead", "## Fix"})
      EXPECT_NE(i.doc.find(section), std::string_view::npos) << i.name << " doc lacks " << section;
  }
}

TEST(Docs, RulePagesMatchTheRules) {
  for (const rules::Rule* r : rules::all_rules()) {
    fs::path page = fs::path(LEAKHOUND_SOURCE_DIR) / "docs" / "rules" / (std::string(r->info().name) + ".md");
    std::ifstream in(page);
    ASSERT_TRUE(in) << page << " is missing: run scripts/gen-docs.sh";
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text, std::string(r->info().doc)) << page << " is stale: run scripts/gen-docs.sh";
  }
}
