// A rule turns the flow engine's leaks of one resource type into findings,
// and carries its own documentation (what it finds, why it matters, a bad and
// a good example, the fix), printed by `leakhound explain RULE`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flow/resources.h"
#include "golang/gomod.h"
#include "report/finding.h"

namespace leakhound::rules {

struct RuleInfo {
  std::string_view name;         // "body-close"
  std::string_view resource_id;  // the model resource it reports ("http-response")
  std::string_view summary;      // one line
  report::Severity severity = report::Severity::Warning;
  bool enabled_by_default = true;
  std::string_view doc;          // Markdown: what, why, bad, good, fix, options
};

// Where a leak was found, for wording and severity.
struct LeakSite {
  const go::SourceFile* file = nullptr;
  std::string function;   // "fetch", "(*Client).Do", "func literal in fetch"
  bool in_main = false;   // main.main (a leak dies with the process)
  bool in_test = false;   // a _test.go file
  go::GoVersion go;
};

class Rule {
 public:
  virtual ~Rule() = default;
  virtual const RuleInfo& info() const = 0;
  // Fills message and fix of a finding for this leak (position and severity are set by the caller).
  virtual void describe(const flow::Leak& leak, const LeakSite& site, report::Finding& out) const = 0;
};

// Every rule, in a stable order.
const std::vector<const Rule*>& all_rules();
const Rule* find_rule(std::string_view name);

// Rule factories (one file per rule).
const Rule& body_close_rule();

}  // namespace leakhound::rules
