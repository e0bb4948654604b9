// sql-open-per-call: sql.Open in an HTTP handler or a loop, a connection pool per request.
#include <fmt/format.h>

#include "golang/walk.h"
#include "rules/escape.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# sql-open-per-call

**Resource:** `*sql.DB` connection pools from `sql.Open` / `sql.OpenDB` · **Default severity:** warning · **Go versions:** all

## What it finds
`sql.Open` or `sql.OpenDB` called inside an HTTP handler (a function, method or
function literal taking `(http.ResponseWriter, *http.Request)`) or inside a loop,
whose pool is not kept: not stored in a field, package variable, map or slice,
and not returned. Lazy initialisation (`if s.db == nil { s.db, err = sql.Open(...) }`)
and one pool per shard kept in a map are fine.

## Why it matters
A `*sql.DB` is not a connection: it is a pool, meant to be opened once and
shared. Opened per request, every request dials the database afresh (TCP, TLS,
authentication), nothing is ever reused, and unless each one is closed the
pools and their idle connections pile up until the database refuses new
connections (`too many connections`). Even when closed, a pool per request
multiplies the load on the database and the latency of every request.

## Example
```go
func userHandler(w http.ResponseWriter, r *http.Request) {
	db, err := sql.Open("postgres", os.Getenv("DSN")) // a pool per request
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	defer db.Close()
	// ...
}
```

## Use instead
```go
type server struct{ db *sql.DB } // opened once in main, shared by all requests

func (s *server) userHandler(w http.ResponseWriter, r *http.Request) {
	row := s.db.QueryRowContext(r.Context(), "SELECT name FROM users WHERE id = $1", r.URL.Query().Get("id"))
	// ...
}
```

## Fix
Open the pool once at startup (in `main` or a constructor), configure it
(`SetMaxOpenConns`, `SetConnMaxLifetime`), and pass it to the handlers through
a struct field or a closure.

## Not reported
- pools stored in a field, package variable, map or slice, or returned (caches, lazy initialisation, constructors);
- `sql.Open` outside handlers and loops (`main`, `init`, constructors);
- `_test.go` files are reported at severity info.

Suppress one finding with `//leakhound:ignore sql-open-per-call reason` on the line or the line above.
)";

bool is_handler(const FunctionView& v) {
  const Node* ft = v.func->kind == NodeKind::FuncDecl ? v.func->kid(2) : v.func->kid(0);
  if (!ft || !ft->kid(0)) return false;
  std::vector<std::string> types;
  for (const Node* field : ft->kid(0)->children()) {
    if (!field) continue;
    std::string t = go::type_string(field->kid(0), *v.resolver->ctx().file, v.resolver->ctx().pkg_path);
    size_t names = field->nkids > 1 ? field->nkids - 1 : 1;
    for (size_t i = 0; i < names; ++i) types.push_back(t);
  }
  return types.size() == 2 && types[0] == "net/http.ResponseWriter" && types[1] == "*net/http.Request";
}

class SqlOpenPerCall final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"sql-open-per-call", "sql.Open in an HTTP handler or a loop: a connection pool per call",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check(const FunctionView& v, std::vector<report::Finding>& out) const override {
    const go::Resolver& r = *v.resolver;
    const Node* body = go::func_body(v.func);
    int handler = -1;
    go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>& up) {
      if (n->kind != NodeKind::Call) return true;
      const go::Callee& c = r.callee(n);
      if (c.kind != go::Callee::Kind::Library || c.pkg != "database/sql" || !c.recv.empty() ||
          (c.name != "Open" && c.name != "OpenDB"))
        return true;
      const Node* loop = go::innermost_loop(up, n);
      if (handler < 0) handler = is_handler(v) ? 1 : 0;
      if (!loop && !handler) return true;
      // where does the pool go?
      const Node* parent = up.empty() ? nullptr : up.back();
      if (parent && parent->kind == NodeKind::ExprList && up.size() >= 2) {
        const Node* stmt = up[up.size() - 2];
        if (stmt->kind == NodeKind::Return) return true;
        const Node* lhs = stmt->kind == NodeKind::Assign ? stmt->kid(0) : stmt->kind == NodeKind::ValueSpec ? stmt->kid(1) : nullptr;
        if (lhs && lhs->kid(0)) {
          const Node* l = go::unparen(lhs->kid(0));
          if (l->kind != NodeKind::Ident) return true;  // a field, map or slice element
          int var = r.var_of(l);
          if (var < 0 && l->text != "_") return true;  // a package variable
          if (var >= 0 && (r.var(var).func != v.func || escapes(body, var, r))) return true;
        }
      } else if (parent && parent->kind == NodeKind::Return) {
        return true;
      }
      report::Finding f = finding_at(*this, *v.site, n);
      if (handler)
        f.message = fmt::format("sql.{} in HTTP handler {} opens a new connection pool on every request: "
                                "connections are dialled afresh and never reused",
                                c.name, v.site->function);
      else
        f.message = fmt::format("sql.{} inside the loop at line {} opens a new connection pool on every "
                                "iteration: connections are dialled afresh and never reused",
                                c.name, loop->line);
      f.fix = "open the pool once at startup (main or a constructor), keep it in a struct field or package "
              "variable, and share it";
      out.push_back(std::move(f));
      return true;
    });
  }
};

}  // namespace

const Rule& sql_open_per_call_rule() {
  static const SqlOpenPerCall r;
  return r;
}

}  // namespace leakhound::rules
