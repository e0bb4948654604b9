// context-detached: context.Background()/TODO() where the caller's context is at hand.
#include <fmt/format.h>

#include "golang/walk.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# context-detached

**Default severity:** warning · **Go versions:** all

## What it finds
`context.Background()` or `context.TODO()` passed on (as an argument, or through a
variable) inside a function that has the caller's context at hand: a named
`context.Context` parameter or an incoming `*http.Request`, in the function or
an enclosing one.

## Why it matters
A fresh background context cuts the work off from the caller: its
cancellation, its deadline and its values (trace IDs, auth). When the client
disconnects or the deadline passes, the database query, the outbound call or
the lock wait started with `context.Background()` carries on, holding its
connection, its pool slot and its goroutine. Under load, abandoned requests
keep consuming what the live ones need.

## Example
```go
func (s *store) user(ctx context.Context, id int) (*User, error) {
	row := s.db.QueryRowContext(context.Background(), "SELECT ... WHERE id = $1", id) // ctx ignored
	...
}
```

## Use instead
```go
	row := s.db.QueryRowContext(ctx, "SELECT ... WHERE id = $1", id)
```

## Fix
Pass the caller's context (`ctx`, or `r.Context()` in a handler), or a child of
it (`context.WithTimeout(ctx, ...)`). For work that must outlive the caller
on purpose but keep its values, use `context.WithoutCancel(ctx)` (Go 1.21+).

## Not reported
- functions without a context parameter or incoming request, `main` and `init`;
- inside `go` statements (background work) and deferred calls (cleanup that must run after cancellation);
- after the function received from `ctx.Done()` (the parent is already cancelled: a fresh context for
  `Shutdown` or a final flush is right), and contexts handed to a `Shutdown` method;
- `if ctx == nil { ctx = context.Background() }` (defaulting a nil context);
- a context parameter named `_`.

Suppress one finding with `//leakhound:ignore context-detached reason` on the line or the line above.
)";

class ContextDetached final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"context-detached",
                            "context.Background()/TODO() where the caller's context is at hand: cancellation is cut off",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    for (const FunctionView* v : tmo::top_level(pv)) {
      const go::Resolver& r = *v->resolver;
      const Node* body = go::func_body(v->func);
      // the first line that receives from a Done channel: past it, the parent is cancelled
      uint32_t done_line = UINT32_MAX;
      go::walk(body, [&](const Node* m) {
        if (m->kind == NodeKind::Unary && m->text == "<-") {
          const Node* x = go::unparen(m->kid(0));
          if (x && x->kind == NodeKind::Call && x->kid(0) && x->kid(0)->kind == NodeKind::Selector &&
              go::ident_name(x->kid(0)->kid(1)) == "Done")
            done_line = std::min(done_line, m->line);
        }
        return true;
      });
      // is local `var` handed to a Shutdown method anywhere?
      auto to_shutdown = [&](int var) {
        return var >= 0 && go::any_node(body, [&](const Node* m) {
                 if (m->kind != NodeKind::Call || !m->kid(0) || m->kid(0)->kind != NodeKind::Selector ||
                     go::ident_name(m->kid(0)->kid(1)) != "Shutdown")
                   return false;
                 for (uint32_t i = 1; i < m->nkids; ++i) {
                   const Node* a = go::unparen(m->kids[i]);
                   if (a && a->kind == NodeKind::Ident && r.var_of(a) == var) return true;
                 }
                 return false;
               });
      };
      go::walk_ancestors(body, true, [&](const Node* n, const std::vector<const Node*>& up) {
        if (n->kind != NodeKind::Call) return true;
        const go::Callee& c = r.callee(n);
        if (c.kind != go::Callee::Kind::Library || c.pkg != "context" || !c.recv.empty() ||
            (c.name != "Background" && c.name != "TODO"))
          return true;
        if (n->line > done_line || up.empty()) return true;
        std::string ctx = tmo::context_in_scope(*v, up, true);
        if (ctx.empty()) return true;
        const Node* parent = up.back();
        int target = -1;  // the local the new context ends up in
        if (parent->kind == NodeKind::Call) {
          if (parent->kid(0) == n) return true;
          const go::Callee& pc = r.callee(parent);
          if (pc.name == "Shutdown") return true;
          // context.WithTimeout(context.Background(), d) assigned to a local: follow it
          if (pc.kind == go::Callee::Kind::Library && pc.pkg == "context" && up.size() >= 3 &&
              up[up.size() - 2]->kind == NodeKind::ExprList) {
            const Node* s = up[up.size() - 3];
            const Node* lhs = s->kind == NodeKind::Assign ? s->kid(0) : s->kind == NodeKind::ValueSpec ? s->kid(1) : nullptr;
            if (lhs && lhs->kid(0) && lhs->kid(0)->kind == NodeKind::Ident) target = r.var_of(lhs->kid(0));
          }
        } else if (parent->kind == NodeKind::ExprList && up.size() >= 2) {
          const Node* s = up[up.size() - 2];
          const Node* lhs = s->kind == NodeKind::Assign ? s->kid(0) : s->kind == NodeKind::ValueSpec ? s->kid(1) : nullptr;
          if (!lhs || !lhs->kid(0) || lhs->kid(0)->kind != NodeKind::Ident) return true;  // a field, a return: not passed on
          target = r.var_of(lhs->kid(0));
          // `if ctx == nil { ctx = context.Background() }`: defaulting a nil context
          for (const Node* a : up)
            if (a->kind == NodeKind::If && a->kid(1) && a->kid(1)->kind == NodeKind::Binary && a->kid(1)->text == "==") {
              const Node* x = go::unparen(a->kid(1)->kid(0));
              const Node* y = go::unparen(a->kid(1)->kid(1));
              if (x && y && x->kind == NodeKind::Ident && r.var_of(x) == target && go::ident_name(y) == "nil") return true;
            }
        } else {
          return true;
        }
        if (to_shutdown(target)) return true;
        report::Finding f = tmo::finding_in(*this, *v, n);
        f.message = fmt::format("context.{}() cuts this work off from the caller's context `{}`: when the caller gives "
                                "up (client gone, deadline, shutdown), what is started with it carries on and holds its "
                                "connection, pool slot and goroutine",
                                c.name, ctx);
        f.fix = fmt::format("pass {} (or a child of it: context.WithTimeout({}, ...)); for work that must outlive the "
                            "caller on purpose, context.WithoutCancel({}) (Go 1.21+)",
                            ctx, ctx, ctx);
        out.push_back(std::move(f));
        return true;
      });
    }
  }
};

}  // namespace

const Rule& context_detached_rule() {
  static const ContextDetached r;
  return r;
}

}  // namespace leakhound::rules
