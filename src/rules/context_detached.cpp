// context-detached: context.Background()/TODO() where the caller's context is at hand.
#include <fmt/format.h>

#include <cctype>
#include <map>
#include <set>

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
`context.Context` parameter or, in a handler, the incoming `*http.Request`, in the
function or an enclosing one.

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
- inside function literals handed to other calls (callbacks, close and exit handlers, which may run after the
  caller is gone);
- after the function received from `ctx.Done()` (the parent is already cancelled: a fresh context for
  `Shutdown` or a final flush is right), and contexts handed to cleanup calls (`Shutdown`, `Close`, `Release`,
  `Delete`, `Remove`, `Rollback`, `Kill`, `Stop`, ...), even on error paths;
- contexts (or their cancel funcs) stored in a struct field or literal, or cancel funcs called from a watcher,
  a callback or a deferred closure: the context of something that outlives the call, managed on purpose; a fresh
  context used only in deferred calls;
- functions the package only starts with `go f(ctx, ...)` (long-lived background work);
- `if ctx == nil { ctx = context.Background() }` (defaulting a nil context);
- calls made with `O_NONBLOCK` (`fifo.OpenFifo(context.Background(), p, O_RDONLY|O_NONBLOCK, 0)`): a call
  that does not wait has nothing for a context to cut short;
- a fresh context handed to a function of the package that also ends on the client's disconnect
  (`CloseNotify()`): the client's lifetime reaches the work by another route;
- a comment on the line or the line above that explains the choice (`// context.Background() so that ...`,
  `// detached: must outlive the request`);
- a context parameter named `_`.

Suppress one finding with `//leakhound:ignore context-detached reason` on the line or the line above.
)";

// Context wrappers: context.WithTimeout, namespaces.WithNamespace, withNamespace.
bool wrapper_name(std::string_view n) { return n.starts_with("With") || n.starts_with("with"); }

// Calls that clean up after the caller is gone (or failed): a fresh context is right for them.
bool cleanup_name(std::string_view n) {
  std::string s(n);
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));  // shim.delete
  for (std::string_view w : {"Shutdown", "Close", "Release", "Delete", "Remove", "Cleanup", "Rollback", "Kill", "Stop",
                             "Abort", "Cancel", "Teardown", "Unlock", "Destroy"})
    if (std::string_view(s).starts_with(w)) return true;
  return false;
}

// A comment on the line or the line above that explains the fresh context ("using context.Background() so
// that ...", "detached: must outlive the request"): the choice was made on purpose.
bool explained(const FunctionView& v, uint32_t line) {
  const go::SourceFile* f = v.site ? v.site->file : nullptr;
  if (!f) return false;
  // the line itself, and the comment block ending up to three lines above it
  uint32_t from = line > 4 ? line - 4 : 1;
  for (uint32_t l = from; l <= line; ++l) {
    if (l <= v.func->line) continue;  // a doc comment describes the function, not this call
    std::string_view text = f->line_text(l);
    size_t c = text.find("//");
    if (c == std::string_view::npos || text.substr(c).starts_with("// want \"")) continue;
    std::string comment(text.substr(c));
    for (char& ch : comment) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (std::string_view w : {"so that", "because", "on purpose", "intentional", "deliberately", "detach", "outlive",
                               "not be cancel", "not tied to", "independent of", "regardless of", "even if",
                               "ignore the", "do not use the", "don't use the", "preserve"})
      if (comment.find(w) != std::string::npos) return true;
  }
  return false;
}

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
    // functions the package only ever starts with `go f(ctx, ...)`: long-lived background work
    std::set<std::string> go_called, called;
    for (const FunctionView* v : tmo::top_level(pv))
      go::walk_ancestors(go::func_body(v->func), true, [&](const Node* n, const std::vector<const Node*>& up) {
        if (n->kind != NodeKind::Call) return true;
        const go::Callee& c = v->resolver->callee(n);
        if (c.kind != go::Callee::Kind::Module) return true;
        (!up.empty() && up.back()->kind == NodeKind::Go ? go_called : called).insert(tmo::callee_key(c));
        return true;
      });
    // functions that end when the client disconnects: they wait on a CloseNotify() channel
    std::map<std::string, bool> watchers;
    for (const FunctionView* v : tmo::top_level(pv))
      if (v->func->kind == NodeKind::FuncDecl)
        watchers[tmo::func_key(v->func)] = go::any_node(go::func_body(v->func), [&](const Node* m) {
          return m->kind == NodeKind::Call && v->resolver->callee(m).name == "CloseNotify";
        });
    for (const FunctionView* v : tmo::top_level(pv)) {
      const go::Resolver& r = *v->resolver;
      const Node* body = go::func_body(v->func);
      if (v->func->kind == NodeKind::FuncDecl) {
        std::string key = tmo::func_key(v->func);
        if (go_called.count(key) && !called.count(key)) continue;
      }
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
      auto is_var = [&](const Node* x, int var) {
        x = go::unparen(x);
        return var >= 0 && x && x->kind == NodeKind::Ident && r.var_of(x) == var;
      };
      // is local `var` handed to a cleanup call (Shutdown, Close, Release, ...) anywhere?
      auto to_cleanup = [&](int var) {
        return var >= 0 && go::any_node(body, [&](const Node* m) {
                 if (m->kind != NodeKind::Call || !cleanup_name(r.callee(m).name)) return false;
                 for (uint32_t i = 1; i < m->nkids; ++i)
                   if (is_var(m->kids[i], var)) return true;
                 return false;
               });
      };
      // does local `var` outlive the call: stored in a field or a composite literal?
      auto kept = [&](int var) {
        return var >= 0 && go::any_node(body, [&](const Node* m) {
                 if (m->kind == NodeKind::KeyValue && is_var(m->kid(1), var)) return true;
                 if (m->kind == NodeKind::Assign && m->kid(0) && m->kid(1))
                   for (uint32_t i = 0; i < m->kid(0)->nkids && i < m->kid(1)->nkids; ++i) {
                     const Node* l = go::unparen(m->kid(0)->kid(i));
                     if (l && l->kind == NodeKind::Selector && is_var(m->kid(1)->kid(i), var)) return true;
                   }
                 return false;
               });
      };
      // is local `var` used inside a function literal?
      auto in_literal = [&](int var) {
        bool found = false;
        go::walk_ancestors(body, true, [&](const Node* m, const std::vector<const Node*>& up2) {
          if (!found && is_var(m, var))
            for (const Node* a : up2) found = found || a->kind == NodeKind::FuncLit;
          return !found;
        });
        return found;
      };
      // is every use of local `var` inside a deferred call?
      auto only_deferred = [&](int var, const Node* def) {
        bool used = false, outside = false;
        go::walk_ancestors(body, true, [&](const Node* m, const std::vector<const Node*>& up2) {
          if (m == def || !is_var(m, var)) return true;
          used = true;
          bool in_defer = false;
          for (const Node* a : up2) in_defer = in_defer || a->kind == NodeKind::Defer;
          if (!in_defer) outside = true;
          return true;
        });
        return used && !outside;
      };
      // is local `var` handed to a function of this package that also ends on the client's disconnect
      // (CloseNotify)? The client's lifetime reaches the work by another route.
      auto to_disconnect_watcher = [&](int var) {
        return var >= 0 && go::any_node(body, [&](const Node* m) {
                 if (m->kind != NodeKind::Call) return false;
                 bool passed = false;
                 for (uint32_t i = 1; i < m->nkids; ++i) passed = passed || is_var(m->kids[i], var);
                 if (!passed) return false;
                 const go::Callee& mc = r.callee(m);
                 if (mc.kind != go::Callee::Kind::Module) return false;
                 auto it = watchers.find(tmo::callee_key(mc));
                 return it != watchers.end() && it->second;
               });
      };
      go::walk_ancestors(body, true, [&](const Node* n, const std::vector<const Node*>& up) {
        if (n->kind != NodeKind::Call) return true;
        const go::Callee& c = r.callee(n);
        if (c.kind != go::Callee::Kind::Library || c.pkg != "context" || !c.recv.empty() ||
            (c.name != "Background" && c.name != "TODO"))
          return true;
        if (n->line > done_line || up.empty()) return true;
        if (explained(*v, n->line)) return true;
        std::string ctx = tmo::context_in_scope(*v, up, true);
        if (ctx.empty()) return true;
        // climb through context wrappers (context.WithTimeout(namespaces.WithNamespace(context.Background(), ns), d))
        size_t pi = up.size() - 1;
        while (pi >= 1 && up[pi]->kind == NodeKind::Call && up[pi]->kid(0) != (pi + 1 < up.size() ? up[pi + 1] : n) &&
               wrapper_name(r.callee(up[pi]).name) && up[pi - 1]->kind == NodeKind::Call)
          --pi;
        const Node* parent = up[pi];
        int target = -1, cancel = -1;  // the local the new context ends up in, and its cancel func
        if (parent->kind == NodeKind::Call) {
          if (parent->kid(0) == n) return true;
          const go::Callee& pc = r.callee(parent);
          if (cleanup_name(pc.name)) return true;
          // fifo.OpenFifo(context.Background(), path, syscall.O_RDONLY|syscall.O_NONBLOCK, 0): a call that does
          // not wait has nothing for a context to cut short
          for (uint32_t i = 1; i < parent->nkids; ++i)
            if (go::any_node(parent->kids[i], [](const Node* m) {
                  return go::ident_name(m) == "O_NONBLOCK";
                }))
              return true;
          // WithTimeout(context.Background(), d) (any package's With*) assigned to a local: follow it and its cancel
          if (wrapper_name(pc.name) && pi >= 2 && up[pi - 1]->kind == NodeKind::ExprList) {
            const Node* s = up[pi - 2];
            const Node* lhs = s->kind == NodeKind::Assign ? s->kid(0) : s->kind == NodeKind::ValueSpec ? s->kid(1) : nullptr;
            if (lhs && lhs->kid(0) && lhs->kid(0)->kind == NodeKind::Ident) target = r.var_of(lhs->kid(0));
            if (lhs && lhs->nkids > 1 && lhs->kid(1)->kind == NodeKind::Ident) cancel = r.var_of(lhs->kid(1));
            const Node* l0 = lhs ? go::unparen(lhs->kid(0)) : nullptr;
            const Node* l1 = lhs && lhs->nkids > 1 ? go::unparen(lhs->kid(1)) : nullptr;
            if ((l0 && l0->kind == NodeKind::Selector) || (l1 && l1->kind == NodeKind::Selector))
              return true;  // a context (or its cancel) for an object that outlives the call
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
        if (to_cleanup(target) || to_disconnect_watcher(target) || kept(target) || kept(cancel) || (target >= 0 && only_deferred(target, r.var(target).def)))
          return true;
        // the cancel func called from a watcher, a callback or a deferred closure: the lifetime is managed on purpose
        if (cancel >= 0 && in_literal(cancel)) return true;
        report::Finding f = tmo::finding_in(*this, *v, n, true);
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
