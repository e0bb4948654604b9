// The `scan` pipeline: discover files, group them into packages, analyse the
// packages in import order (independent ones in parallel) passing facts to
// their dependents, and collect findings.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/models.h"
#include "report/finding.h"

namespace leakhound::scan {

enum class TestsMode { Skip, Low, Normal };

struct ScanOptions {
  std::vector<std::string> paths;
  int jobs = 0;  // 0: all cores
  TestsMode tests = TestsMode::Low;
  bool include_generated = false;
  std::set<std::string> rules;  // empty: the default-enabled rules
  uint64_t max_file_bytes = 10ull * 1024 * 1024;
  double parse_timeout_seconds = 20.0;
  // From .leakhound.toml (see config/config.h): rules switched on/off relative to the
  // defaults (ignored when `rules` is set), severity overrides, excluded paths, and the
  // model table (null: the built-in one).
  std::set<std::string> enable, disable;
  std::map<std::string, report::Severity> severity;
  std::vector<std::string> exclude;  // glob patterns, matched against paths relative to exclude_base
  std::string exclude_base;
  const models::ModelTable* models = nullptr;
  std::string go_version;  // scan_sources only: the go.mod `go` line to assume ("": none, the newest)
};

struct ScanStats {
  size_t files = 0;
  size_t bytes = 0;
  size_t packages = 0;
  size_t functions = 0;
  size_t generated_skipped = 0;
  size_t suppressed = 0;
  size_t excluded = 0;  // files skipped by the config's exclude patterns
  size_t constraint_skipped = 0;  // files whose build constraints can never hold (`!go1.7` in a newer module)
  double discover_ms = 0, plan_ms = 0, analyse_ms = 0;  // wall time of the phases
};

struct ScanResult {
  std::vector<report::Finding> findings;
  std::vector<report::Notice> notices;
  std::vector<std::string> errors;  // fatal input errors (exit 2)
  ScanStats stats;
};

ScanResult run_scan(const ScanOptions& opts);

// Analyses in-memory sources as one package (fuzzing, tests).
ScanResult scan_sources(const std::vector<std::pair<std::string, std::string>>& sources, const ScanOptions& opts);

}  // namespace leakhound::scan
