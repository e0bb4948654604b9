#include "report/finding.h"

#include <algorithm>
#include <tuple>

namespace leakhound::report {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
  }
  return "warning";
}

void sort_and_dedupe(std::vector<Finding>& fs) {
  auto key = [](const Finding& f) { return std::tie(f.file, f.line, f.col, f.rule, f.message); };
  std::sort(fs.begin(), fs.end(), [&](const Finding& a, const Finding& b) { return key(a) < key(b); });
  fs.erase(std::unique(fs.begin(), fs.end(), [&](const Finding& a, const Finding& b) { return key(a) == key(b); }),
           fs.end());
}

}  // namespace leakhound::report
