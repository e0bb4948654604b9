// A rule turns the flow engine's leaks of one resource type into findings,
// and carries its own documentation (what it finds, why it matters, a bad and
// a good example, the fix), printed by `leakhound explain RULE`.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "flow/cfg.h"
#include "flow/resources.h"
#include "golang/resolve.h"
#include "golang/gomod.h"
#include "report/finding.h"

namespace leakhound::rules {

struct RuleInfo {
  std::string_view name;         // "body-close"
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
  bool run_once = false;  // a function literal run once per process (a CLI command's Action/Run)
  go::GoVersion go;
  const go::Node* func = nullptr;              // the FuncDecl or FuncLit
  const go::Resolver* resolver = nullptr;
};

// main.main, init, the function literals in them, CLI command actions: code that runs once.
bool main_like(const LeakSite& s);

// One function (a declaration or a literal) ready for a rule's own checks.
struct FunctionView {
  const go::Node* func = nullptr;  // FuncDecl or FuncLit
  const go::Node* decl = nullptr;  // the top-level declaration it belongs to
  const flow::Cfg* cfg = nullptr;
  const go::Resolver* resolver = nullptr;
  const LeakSite* site = nullptr;
};

// A package, after every function has been analysed.
namespace tmo {
class PackageIndex;
}

struct PackageView {
  std::string_view name;
  go::GoVersion go;
  std::vector<const go::SourceFile*> files;
  std::vector<const FunctionView*> functions;
  const models::ModelTable* models = nullptr;
  // The package's http.Client, http.Server and net.Dialer indexes (rules/timeouts.h), built once by the
  // scan for the timeout rules and the facts; null when not built.
  std::array<const tmo::PackageIndex*, 3> timeout_index{};
};

class Rule {
 public:
  virtual ~Rule() = default;
  virtual const RuleInfo& info() const = 0;
  // Engine rules: the model resources whose leaks this rule reports have `rule == info().name`.
  // Fills message and fix of a finding for this leak (position and severity are set by the caller);
  // an empty message drops the finding.
  virtual void describe(const flow::Leak&, const LeakSite&, report::Finding&) const {}
  // Rules with checks of their own: findings with rule, file, line, col, message and fix set.
  virtual void check(const FunctionView&, std::vector<report::Finding>&) const {}
  virtual void check_package(const PackageView&, std::vector<report::Finding>&) const {}
  // Whether the rule holds where the finding is (Go-version gates, main-like code).
  virtual bool applies(const LeakSite&) const { return true; }
  // True when the rule only reports the engine's leaks (no check/check_package).
  virtual bool engine_only() const { return true; }
};

// A finding of `rule` at node `at` of the site's file, at the rule's default severity.
report::Finding finding_at(const Rule& rule, const LeakSite& site, const go::Node* at);

// Every rule, in a stable order.
const std::vector<const Rule*>& all_rules();
const Rule* find_rule(std::string_view name);

// Rule factories (one file per rule).
const Rule& body_close_rule();
const Rule& conn_close_rule();
const Rule& sql_close_rule();
const Rule& file_close_rule();
const Rule& lost_cancel_rule();
const Rule& ticker_stop_rule();
const Rule& defer_in_loop_rule();
const Rule& body_drain_rule();
const Rule& transport_per_call_rule();
const Rule& sql_open_per_call_rule();
const Rule& resource_field_rule();
const Rule& client_timeout_rule();
const Rule& server_timeout_rule();
const Rule& dial_timeout_rule();
const Rule& conn_deadline_rule();
const Rule& request_context_rule();
const Rule& context_detached_rule();
const Rule& goroutine_send_leak_rule();
const Rule& goroutine_recv_leak_rule();
const Rule& goroutine_no_exit_rule();
const Rule& time_after_loop_rule();
const Rule& lock_leak_rule();
const Rule& waitgroup_leak_rule();

}  // namespace leakhound::rules
