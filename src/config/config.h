// .leakhound.toml: user models (extra resources, closers, library variables),
// rules on/off, severities and excluded paths. Looked up from the scanned root
// upward; `--config FILE` names one explicitly. docs/examples/leakhound.toml
// documents every key.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "models/models.h"
#include "report/finding.h"

namespace leakhound::scan {
struct ScanOptions;
}

namespace leakhound::config {

// A malformed file: names the file, the line and the key.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Config {
  std::string path;  // the file it came from
  std::string dir;   // its folder (exclude patterns are relative to it)
  std::vector<std::string> exclude;
  std::set<std::string> enable, disable;
  std::map<std::string, report::Severity> severity;
  models::ModelTable models;  // the built-in table plus the user's entries
  size_t user_resources = 0;
};

// Reads, parses and validates one file. Throws ConfigError.
Config load(const std::string& path);
// Parses and validates config text; `path` names it in errors. Throws ConfigError.
Config parse(std::string_view text, const std::string& path);

// The nearest .leakhound.toml in `start` (a folder, or a file's folder) or above;
// the search stops after a folder holding .git. nullopt when there is none.
std::optional<std::string> find(const std::string& start);

// Applies a loaded config to scan options (the models pointer refers into `cfg`).
void apply(const Config& cfg, scan::ScanOptions& opts);

}  // namespace leakhound::config
