// What the timeout and context rules (client-timeout, server-timeout,
// dial-timeout, conn-deadline, request-context, context-detached) share: is an
// http.Client / http.Server / net.Dialer configured with a timeout (followed
// through locals, struct fields, package variables and the package's factory
// functions), does a context carry a deadline, is a caller's context in scope.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "golang/resolve.h"
#include "rules/rule.h"

namespace leakhound::rules::tmo {

// Unknown: the code does not say (a parameter, another package): rules stay silent.
enum class Bound { Unknown, Bounded, Unbounded };

// "Any bounded wins, then any unknown": precision over recall.
Bound meet(Bound a, Bound b);

// A configurable object whose zero value waits forever.
struct Kind {
  int index;                                   // 0 client, 1 server, 2 dialer (bits in FuncFacts::timeout_bounds)
  std::string_view type;                       // "net/http.Client"
  std::vector<std::string_view> fields;        // any one of them set bounds it ("Timeout")
  bool assigned_before_use = false;            // `x.F = ...` must come before the use (servers)
  const char* zero_source = nullptr;           // a library variable of this kind without timeout ("net/http.DefaultClient")
};

const Kind& client_kind();
const Kind& server_kind();
const Kind& dialer_kind();

// Where an object came from, for messages: "the http.Client built at line 12".
struct Origin {
  Bound bound = Bound::Unknown;
  std::string what;  // "http.DefaultClient", "the http.Client literal at line 12", "field API.client"
};

// Facts about one kind of object across a package: every assignment of struct
// fields and package variables, every return of the package's factories.
class PackageIndex {
 public:
  PackageIndex(const PackageView& pv, const Kind& kind);
  // The origin of expression `e` (of the kind's type) used by call `use` in view `v`.
  Origin classify(const FunctionView& v, const go::Node* e, const go::Node* use) const;
  // What each of the package's factories returns, for the facts other packages read.
  std::vector<std::pair<std::string, Bound>> factories() const;

 private:
  struct Site {
    const go::Node* expr;
    const FunctionView* view;         // null for package-level var initialisers
    const go::SourceFile* file;
  };
  const Kind& kind_;
  std::string pkg_;
  std::map<std::string, std::vector<Site>> fields_;     // "T.f" -> assignments
  std::set<std::string> field_timeouts_;                // "T.f" with `x.f.Timeout = ...` somewhere
  std::map<std::string, std::vector<Site>> vars_;       // package var -> assignments (incl. initialiser)
  std::set<std::string> var_timeouts_;
  std::map<std::string, std::vector<Site>> factories_;  // package func -> returned expressions
  mutable std::map<std::string, Origin> memo_;
  mutable std::set<std::string> busy_;

  Origin named(const std::string& key, const std::vector<Site>* sites, bool timeout_set, std::string what) const;
  Origin literal(const go::Node* lit, const FunctionView* v = nullptr) const;
  Origin local(const FunctionView& v, int var, const go::Node* use) const;
  Origin site(const Site& s) const;
  Origin syntactic(const go::Node* e, const go::SourceFile& file) const;  // package-level initialisers
  std::string struct_field(const go::Resolver& r, const go::Node* sel) const;  // "T.f" or ""
};

// The package's index for `kind`: the scan's shared one, or `own` built here.
const PackageIndex& index_for(const PackageView& pv, const Kind& kind, std::optional<PackageIndex>& own);

// Writes what the package's factories return into its facts (read by the packages that import it).
void publish_factories(const PackageView& pv, go::PackageFacts& facts);

// Does the context expression carry a deadline? WithTimeout/WithDeadline results
// and an incoming request's r.Context() are bounded; Background, TODO and their
// WithCancel/WithValue children are not; parameters are unknown.
Bound context_bound(const FunctionView& v, const go::Node* ctx, int depth = 0);

// The parameters of a FuncDecl/FuncLit that bring a caller's context: a named
// `context.Context` or `*http.Request` parameter. Returns the first as an expression
// ("ctx", "r.Context()"), "" when none.
std::string context_param(const go::Node* func, const go::Resolver& r);

// Does the request (an *http.Request expression) carry a context with a deadline?
// http.NewRequest: no; NewRequestWithContext / WithContext / Clone: their context's bound.
Bound request_bound(const FunctionView& v, const go::Node* req, int depth = 0);

// A finding of `rule` at `at`, with the function it is in (for --source matching). At severity
// info in `go run` programs, and in run-once code (main, init, CLI actions) when `run_once_is_info`.
report::Finding finding_in(const Rule& rule, const FunctionView& v, const go::Node* at, bool run_once_is_info);

// Test code: a _test.go file, or a function taking *testing.T/B/F or testing.TB (test helpers).
bool testing_code(const FunctionView& v);

// The caller's context in scope at a node ("ctx", "r.Context()"): the context (or request)
// parameter of the innermost enclosing function that has one, "" when none or when
// the way up crosses a `go` statement (background work), or when `stop_at_defer`
// a `defer` (cleanup that must run after cancellation) or a function literal
// handed to a call (a callback that may run after the caller is gone). `up` are the
// node's ancestors inside the declaration's body.
std::string context_in_scope(const FunctionView& top, const std::vector<const go::Node*>& up, bool stop_at_defer);

// A package function's key ("F", "T.M") from its declaration, and from a call to it.
std::string func_key(const go::Node* decl);
std::string callee_key(const go::Callee& c);

// Is the call's first argument a TCP network string literal ("tcp", "tcp4", "tcp6")?
bool tcp_literal(const go::Node* arg);

// The top-level views of a package (declarations, not their literals).
std::vector<const FunctionView*> top_level(const PackageView& pv);

}  // namespace leakhound::rules::tmo
