// Output formats: text (default), JSON, SARIF 2.1.0, GitHub Actions annotations.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "report/finding.h"

namespace leakhound::report {

enum class Format { Text, Json, Sarif, Github };
bool parse_format(std::string_view s, Format& out);

struct RuleDescriptor {
  std::string name;
  std::string summary;
  std::string doc;  // Markdown
  Severity severity = Severity::Warning;
};

struct Output {
  const std::vector<Finding>* findings = nullptr;
  const std::vector<Notice>* notices = nullptr;
  const std::vector<std::string>* errors = nullptr;  // fatal input errors (exit code 2)
  std::vector<RuleDescriptor> rules;  // for SARIF's rule metadata
  std::string tool_version;
  bool color = false;
  size_t files = 0, packages = 0, suppressed = 0;
};

void write_text(std::ostream& out, std::ostream& err, const Output& o);
void write_json(std::ostream& out, const Output& o);
void write_sarif(std::ostream& out, const Output& o);
void write_github(std::ostream& out, const Output& o);

// Escaping used by GitHub workflow commands (exposed for tests).
std::string github_escape_data(std::string_view s);
std::string github_escape_property(std::string_view s);

}  // namespace leakhound::report
