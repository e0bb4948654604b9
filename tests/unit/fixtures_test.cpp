// The rule fixture harness: tests/fixtures/<rule>/*.go mark every line that
// must be reported with `// want "rule"`; every finding must be wanted and
// every want must be found (the model of go/analysis' analysistest).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "config/config.h"
#include "rules/rule.h"
#include "scan/scan.h"

namespace fs = std::filesystem;
using namespace leakhound;

namespace {

using Mark = std::tuple<std::string, uint32_t, std::string>;  // file, line, rule

std::set<Mark> wants_in(const fs::path& dir) {
  std::set<Mark> out;
  static const std::regex want(R"re(// want "([a-z0-9-]+)")re");
  // nested packages and modules are scanned with their folder, so their wants count too
  for (auto& e : fs::recursive_directory_iterator(dir)) {
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
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".go") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line))
      if (line.starts_with("func ")) ++n;
  }
  return n;
}

// Scans tests/fixtures/<folder> with only `rule` on (or, when `rule` is empty,
// the default rules and the folder's .leakhound.toml) and compares with the wants.
void check_rule_fixtures(const std::string& folder, const std::string& rule) {
  fs::path dir = fs::path(LEAKHOUND_SOURCE_DIR) / "tests" / "fixtures" / folder;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  scan::ScanOptions o;
  o.paths = {dir.string()};
  if (!rule.empty()) o.rules = {rule};
  o.tests = scan::TestsMode::Normal;
  o.jobs = 2;
  std::optional<config::Config> cfg;
  if (rule.empty()) {
    auto path = config::find(dir.string());
    ASSERT_TRUE(path) << "no .leakhound.toml for " << dir;
    cfg = config::load(*path);
    config::apply(*cfg, o);
  }
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

class RuleFixtures : public ::testing::TestWithParam<std::string> {};

TEST_P(RuleFixtures, MatchWants) { check_rule_fixtures(GetParam(), GetParam()); }

TEST_P(RuleFixtures, HaveEnoughScenarios) {
  fs::path dir = fs::path(LEAKHOUND_SOURCE_DIR) / "tests" / "fixtures" / GetParam();
  size_t funcs = count_funcs(dir), wants = wants_in(dir).size();
  EXPECT_GE(funcs, 25u);
  EXPECT_GE(wants, 8u);
  // at least half of the scenarios are negatives
  EXPECT_LE(wants * 2, funcs + 1) << "fewer negatives than positives";
}

std::vector<std::string> rule_names() {
  std::vector<std::string> out;
  for (const rules::Rule* r : rules::all_rules()) out.emplace_back(r->info().name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllRules, RuleFixtures, ::testing::ValuesIn(rule_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// Third-party resources declared in tests/fixtures/user-models/.leakhound.toml.
TEST(Fixtures, UserModels) { check_rule_fixtures("user-models", ""); }

// Rules gated on the go.mod version stay silent in the nested modules that pin a newer Go.
TEST(Fixtures, VersionGatedFoldersAreSilent) {
  for (auto [folder, rule] : {std::pair{"ticker-stop/go123", "ticker-stop"}, {"body-drain/go127", "body-drain"}}) {
    fs::path dir = fs::path(LEAKHOUND_SOURCE_DIR) / "tests" / "fixtures" / folder;
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    EXPECT_GE(count_funcs(dir), 6u) << folder;
    scan::ScanOptions o;
    o.paths = {dir.string()};
    o.rules = {rule};
    o.tests = scan::TestsMode::Normal;
    auto res = scan::run_scan(o);
    EXPECT_TRUE(res.findings.empty()) << folder << ": " << res.findings.size() << " findings";
    // and the same code at the fixtures module's go 1.19 is reported: the gate, not the shapes, silences it
    std::vector<std::pair<std::string, std::string>> sources;
    for (auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".go") continue;
      std::ifstream in(e.path());
      sources.emplace_back(e.path().string(), std::string((std::istreambuf_iterator<char>(in)), {}));
    }
    scan::ScanOptions m = o;
    m.go_version = "1.19";
    auto old = scan::scan_sources(sources, m);
    EXPECT_GE(old.findings.size(), 6u) << folder << " at go 1.19";
  }
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

// time-after-loop is a leak before Go 1.23 (warning) and a performance note from 1.23 on (info).
TEST(Fixtures, TimeAfterLoopSeverityFollowsTheGoVersion) {
  fs::path dir = fs::path(LEAKHOUND_SOURCE_DIR) / "tests" / "fixtures" / "time-after-loop";
  scan::ScanOptions o;
  o.paths = {dir.string()};
  o.rules = {"time-after-loop"};
  o.tests = scan::TestsMode::Normal;
  auto res = scan::run_scan(o);
  size_t old = 0, note = 0;
  for (auto& f : res.findings) {
    bool nested = f.file.find("/go123/") != std::string::npos;
    if (nested) {
      EXPECT_EQ(f.severity, report::Severity::Info) << f.file << ":" << f.line;
      EXPECT_NE(f.message.find("performance note"), std::string::npos) << f.message;
      ++note;
    } else if (f.severity == report::Severity::Warning) {
      EXPECT_NE(f.message.find("go 1.19"), std::string::npos) << f.message;
      ++old;
    }
  }
  EXPECT_GE(old, 8u);
  EXPECT_GE(note, 5u);
}

// goroutine-no-exit says what repeats the start: calls of the starter, or objects with their own sync.Once.
TEST(Fixtures, NoExitNamesWhatRepeatsTheStart) {
  fs::path dir = fs::path(LEAKHOUND_SOURCE_DIR) / "tests" / "fixtures" / "goroutine-no-exit";
  scan::ScanOptions o;
  o.paths = {dir.string()};
  o.rules = {"goroutine-no-exit"};
  o.tests = scan::TestsMode::Normal;
  auto res = scan::run_scan(o);
  bool per_object = false, per_call = false;
  for (auto& f : res.findings) {
    if (f.file.ends_with("review_round1.go") && f.message.find("`d.once` (a sync.Once in a field") != std::string::npos)
      per_object = true;
    if (f.file.ends_with("evidence.go") && f.message.find("every call of badNewWatcher leaves") != std::string::npos)
      per_call = true;
  }
  EXPECT_TRUE(per_object);
  EXPECT_TRUE(per_call);
}
