// defer-in-loop: a deferred release inside a loop body holds every iteration's
// resource until the function returns.
#include <fmt/format.h>

#include <unordered_set>

#include "golang/walk.h"
#include "flow/resources.h"
#include "rules/escape.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# defer-in-loop

**Resource:** anything released by a deferred `Close`, `Stop`, `Rollback`, `Unlock`/`RUnlock` or cancel call · **Default severity:** warning · **Go versions:** all

## What it finds
A `defer` directly inside a `for` or `range` body (not inside a function
literal of its own) that releases something acquired in the same iteration:
`defer f.Close()` after `os.Open` in the loop, `defer resp.Body.Close()`,
`defer rows.Close()`, `defer tx.Rollback()`, `defer t.Stop()`, `defer cancel()`
after `context.WithTimeout` in the loop, or a deferred closure doing one of these.
`defer mu.Unlock()` is reported when the loop also locks that mutex.

## Why it matters
Deferred calls run when the *function* returns, not at the end of the
iteration. A loop over 10,000 files holds 10,000 descriptors open until it ends;
a loop over requests keeps every response's connection checked out; a loop
that defers `cancel()` keeps every context and timer alive. A deferred
`Unlock` in a loop that locks is worse: the second iteration deadlocks.

## Example
```go
func sizes(paths []string) (int64, error) {
	var total int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		defer f.Close() // every file stays open until sizes returns
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		total += st.Size()
	}
	return total, nil
}
```

## Use instead
```go
func sizes(paths []string) (int64, error) {
	var total int64
	for _, p := range paths {
		n, err := size(p) // the defer runs per file
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func size(p string) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
```

## Fix
Move the loop body into a function (a named helper, or `func() { ... }()`) so
the defer runs at the end of each iteration, or release explicitly at the end of
the iteration and on each `continue`.

## Not reported
- loops that always leave right after the defer (the defer is followed by an unconditional `return` or `break`);
- `for _, c := range closers { defer c.Close() }`: closing values that existed before the loop, at the end, is deliberate;
- values the loop keeps for later (appended to a slice, stored in a map or field, sent on a channel), also through
  a value made from them (a wrapper, a stream): holding them all until the function returns is the point;
- endless `for { ... }` loops and accept loops in `_test.go` files (test servers that hold every connection on
  purpose);
- ranges over a literal list of at most one element, and cancel funcs of `WithCancel(context.Background())` (no
  timer, nothing registered: nothing is held);
- defers that release nothing (`defer wg.Done()`, logging), and values not acquired from a known resource call;
- values also released without defer in the iteration (the defer is a backstop), and response bodies read to the
  end in the iteration (the connection is already back in the pool);
- `defer m.Unlock()` where `m` changes every iteration (a chain of different mutexes held on purpose).

Suppress one finding with `//leakhound:ignore defer-in-loop reason` on the line or the line above.
)";

bool is_release_name(std::string_view m) {
  return m == "Close" || m == "Stop" || m == "Rollback" || m == "Unlock" || m == "RUnlock";
}

// The root variable of `x`, `x.Body`, `s.f` (an identifier), or null.
const Node* root_ident(const Node* e) {
  for (int i = 0; e && i < 8; ++i) {
    e = go::unparen(e);
    if (!e) return nullptr;
    if (e->kind == NodeKind::Ident) return e;
    if (e->kind != NodeKind::Selector) return nullptr;
    e = e->kid(0);
  }
  return nullptr;
}

struct Release {
  const Node* call = nullptr;  // the releasing call
  const Node* recv = nullptr;  // its receiver (null for cancel())
  const Node* root = nullptr;  // the variable released
  std::string method;          // "Close", ... or "" for a func-value call
};

bool release_of(const Node* call, const go::Resolver& r, Release& out) {
  if (!call || call->kind != NodeKind::Call) return false;
  const Node* fun = go::unparen(call->kid(0));
  if (!fun) return false;
  if (fun->kind == NodeKind::Selector && is_release_name(go::ident_name(fun->kid(1)))) {
    const Node* root = root_ident(fun->kid(0));
    std::string_view m = go::ident_name(fun->kid(1));
    // locals; for Unlock also package-level mutexes (`var mu sync.Mutex`, `cache.mu`)
    bool lock = m == "Unlock" || m == "RUnlock";
    if (!root || (r.var_of(root) < 0 && !(lock && !r.is_package_name(root)))) return false;
    out = {call, fun->kid(0), root, std::string(m)};
    return true;
  }
  if (fun->kind == NodeKind::Ident && call->nkids == 1 && r.var_of(fun) >= 0) {
    std::string_view t = r.var(r.var_of(fun)).type;
    if (t == "context.CancelFunc" || t == "context.CancelCauseFunc") {
      out = {call, nullptr, fun, ""};
      return true;
    }
  }
  return false;
}

// Source text of a short receiver expression (`mu`, `s.mu`).
// (iterative and bounded: selector chains can be arbitrarily long in malformed input)
std::string expr_text(const Node* e) {
  std::vector<std::string_view> parts;
  for (int i = 0; i < 16; ++i) {
    e = go::unparen(e);
    if (!e) return "?";
    if (e->kind == NodeKind::Unary && e->text == "&") {
      e = e->kid(0);
      continue;
    }
    if (e->kind == NodeKind::Ident) {
      std::string out(e->text);
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += "." + std::string(*it);
      return out;
    }
    if (e->kind != NodeKind::Selector) return "?";
    parts.push_back(go::ident_name(e->kid(1)));
    e = e->kid(0);
  }
  return "?";
}

class DeferInLoop final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"defer-in-loop", "deferred release inside a loop runs only when the function returns",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check(const FunctionView& v, std::vector<report::Finding>& out) const override {
    const go::Resolver& r = *v.resolver;
    // defers in code that cannot run (after t.Skip, a return, a panic) hold nothing
    std::unordered_set<const Node*> unreachable;
    for (const auto& b : v.cfg->blocks)
      if (!b.reachable)
        for (const auto& it : b.items)
          if (it.node->kind == NodeKind::Defer) unreachable.insert(it.node);
    size_t defers = 0;  // bounded: each check walks the loop body
    go::walk_with_ancestors(go::func_body(v.func), [&](const Node* n, const std::vector<const Node*>& up) {
      if (n->kind != NodeKind::Defer) return true;
      if (unreachable.count(n) || ++defers > 256) return false;
      // the innermost loop whose body holds the defer
      const Node* loop = go::innermost_loop(up, n);
      if (!loop) return false;
      size_t li = 0;
      while (up[li] != loop) ++li;
      Release rel;
      const Node* call = go::unparen(n->kid(0));
      if (!release_of(call, r, rel)) {
        // a deferred closure that releases
        const Node* fun = call && call->kind == NodeKind::Call ? go::unparen(call->kid(0)) : nullptr;
        if (!fun || fun->kind != NodeKind::FuncLit) return false;
        bool found = false;
        go::walk(fun->kid(1), [&](const Node* x) {
          if (found || x->kind == NodeKind::FuncLit) return false;
          if (x->kind == NodeKind::Call && release_of(x, r, rel)) found = true;
          return !found;
        });
        if (!found) return false;
      }
      if (leaves_after(n, up, li)) return false;
      if (runs_at_most_once(loop, *v.site)) return false;
      const Node* body = loop->kid(3);
      int var = r.var_of(rel.root);
      bool is_lock = rel.method == "Unlock" || rel.method == "RUnlock";
      uint32_t acquired_at = 0;
      if (is_lock) {
        // `parent.mu.Lock()` with `parent` changing every iteration locks a different mutex each time
        if (changed_in_loop(loop, r.var_of(rel.root), r)) return false;
        std::string want = rel.method == "Unlock" ? "Lock" : "RLock";
        std::string recv = expr_text(rel.recv);
        go::walk_no_funclit(body, [&](const Node* x) {
          if (acquired_at || x->kind != NodeKind::Call) return !acquired_at;
          const Node* f = go::unparen(x->kid(0));
          if (f && f->kind == NodeKind::Selector && go::ident_name(f->kid(1)) == want && expr_text(f->kid(0)) == recv &&
              x->line <= n->line)
            acquired_at = x->line;
          return true;
        });
      } else {
        acquired_at = acquired_in(body, var, r);
        // a cancel func of WithCancel(context.Background()): nothing registered, no timer, nothing held
        if (acquired_at && rel.method.empty() && cancels_nothing(body, var, r)) return false;
        // kept for after the loop (appended to a slice, stored, sent), itself or a value made from it
        // (`p := ipv4.NewPacketConn(c)`, `stream := api.Watch(ctx)`): holding them all is the point
        if (acquired_at && (escapes(body, var, r) || derived_escapes(body, var, r))) return false;
        // a test's `for { c, _ := ln.Accept(); defer c.Close() }`: a server that holds every conn on purpose
        if (v.site->in_test && ((loop->kind == NodeKind::For && !loop->kid(1)) || accepts_in(body, var, r)))
          return false;
        // also released explicitly in the iteration: the defer is only a backstop
        if (acquired_at && released_in_iteration(body, var, rel, r)) return false;
      }
      if (!acquired_at) return false;
      report::Finding f = finding_at(*this, *v.site, n);
      std::string what = rel.method.empty() ? std::string(rel.root->text) + "()"
                                            : expr_text(rel.recv) + "." + rel.method + "()";
      if (is_lock) {
        f.message = fmt::format("`defer {}` inside the loop at line {}: the lock taken at line {} is released only "
                                "when {} returns, so the next iteration's {} blocks forever",
                                what, loop->line, acquired_at, v.site->function,
                                rel.method == "Unlock" ? "Lock" : "RLock");
        f.fix = fmt::format("unlock at the end of each iteration, or move the locked part into a function with "
                            "its own `defer {}`",
                            what);
      } else {
        f.message = rel.method.empty()
                        ? fmt::format("`defer {}` inside the loop at line {} runs only when {} returns: every "
                                      "iteration's context (made at line {}) and its timer stay alive until then",
                                      what, loop->line, v.site->function, acquired_at)
                        : fmt::format("`defer {}` inside the loop at line {} runs only when {} returns: every "
                                      "iteration's {} (acquired at line {}) stays open until then",
                                      what, loop->line, v.site->function, rel.root->text, acquired_at);
        f.fix = "move the loop body into a function (a helper, or `func() { ... }()`) so the defer runs per "
                "iteration, or release explicitly at the end of each iteration";
      }
      f.related.push_back({std::string(), acquired_at, 0, "acquired here, once per iteration"});
      out.push_back(std::move(f));
      return false;
    });
  }

 private:
  // Line where the loop body assigns `var` from a call that acquires a resource
  // (a modelled call or a module function returning a fresh one), 0 when none.
  static uint32_t acquired_in(const Node* body, int var, const go::Resolver& r) {
    if (var < 0 || !r.ctx().models) return 0;
    std::vector<const models::ResourceType*> all;
    for (const auto& t : r.ctx().models->resources) all.push_back(&t);
    flow::ResourceEngine engine(r, all);
    uint32_t line = 0;
    go::walk_no_funclit(body, [&](const Node* x) {
      if (line) return false;
      const Node* lhs = nullptr;
      const Node* rhs = nullptr;
      if (x->kind == NodeKind::Assign) {
        lhs = x->kid(0);
        rhs = x->kid(1);
      } else if (x->kind == NodeKind::ValueSpec) {
        lhs = x->kid(1);
        rhs = x->kid(2);
      }
      if (!lhs || !rhs || rhs->nkids != 1) return true;
      const Node* call = go::unparen(rhs->kid(0));
      for (uint32_t i = 0; i < lhs->nkids; ++i) {
        const Node* l = go::unparen(lhs->kids[i]);
        if (!l || l->kind != NodeKind::Ident || r.var_of(l) != var) continue;
        const models::ResourceType* type = nullptr;
        int ri = 0;
        if (call && call->kind == NodeKind::Call && engine.find_acquisition(call, &type, &ri) &&
            static_cast<uint32_t>(ri) == i)
          line = x->line;
      }
      return true;
    });
    return line;
  }

  // `for _, x := range list` over a literal (or a package variable initialised with one) of at most one element.
  static bool runs_at_most_once(const Node* loop, const LeakSite& site) {
    if (loop->kind != NodeKind::Range) return false;
    const Node* x = go::unparen(loop->kid(2));
    if (x && x->kind == NodeKind::Ident && site.resolver && site.resolver->var_of(x) < 0 && site.file && site.file->root) {
      const Node* init = nullptr;
      for (const Node* d : site.file->root->children()) {
        if (!d || d->kind != NodeKind::GenDecl || d->text != "var") continue;
        for (const Node* spec : d->children())
          if (spec && spec->kind == NodeKind::ValueSpec && spec->kid(1) && spec->kid(2) && spec->kid(1)->nkids == 1 &&
              spec->kid(2)->nkids == 1 && go::ident_name(spec->kid(1)->kid(0)) == x->text)
            init = go::unparen(spec->kid(2)->kid(0));
      }
      x = init;
    }
    return x && x->kind == NodeKind::CompositeLit && x->nkids <= 2;  // [0] is the type
  }

  // Is `var` the cancel func of context.WithCancel on Background() or TODO()?
  static bool cancels_nothing(const Node* body, int var, const go::Resolver& r) {
    return go::any_node(body, [&](const Node* x) {
      go::ContextWith cw = go::context_with(r, x);
      if (!cw.call || cw.cancel != var || cw.call->nkids < 2 || r.callee(cw.call).name != "WithCancel") return false;
      const Node* p = go::unparen(cw.call->kid(1));
      if (!p || p->kind != NodeKind::Call) return false;
      const go::Callee& pc = r.callee(p);
      return pc.kind == go::Callee::Kind::Library && pc.pkg == "context" && (pc.name == "Background" || pc.name == "TODO");
    });
  }

  // Is `var` assigned from a listener's Accept in the loop body (a test server's accept loop)?
  static bool accepts_in(const Node* body, int var, const go::Resolver& r) {
    return go::any_node(body, [&](const Node* x) {
      if (x->kind != NodeKind::Assign || !x->kid(0) || !x->kid(1) || x->kid(1)->nkids != 1) return false;
      const Node* l = go::unparen(x->kid(0)->kid(0));
      const Node* c = go::unparen(x->kid(1)->kid(0));
      if (!l || l->kind != NodeKind::Ident || r.var_of(l) != var || !c || c->kind != NodeKind::Call) return false;
      const Node* f = go::unparen(c->kid(0));
      std::string_view m = f && f->kind == NodeKind::Selector ? go::ident_name(f->kid(1)) : "";
      return m == "Accept" || m == "AcceptTCP" || m == "AcceptUnix";
    });
  }

  // Does a local made from `var` (assigned from an expression that uses it) escape the loop body?
  static bool derived_escapes(const Node* body, int var, const go::Resolver& r) {
    std::vector<int> derived;
    go::walk_no_funclit(body, [&](const Node* x) {
      if (x->kind != NodeKind::Assign || !x->kid(0) || !x->kid(1)) return true;
      // passed as an argument (a wrapper, a stream over it), not merely the receiver of a method
      bool uses = go::any_node(x->kid(1), [&](const Node* y) {
        if (y->kind != NodeKind::Call) return false;
        for (uint32_t i = 1; i < y->nkids; ++i) {
          const Node* a = go::unparen(y->kids[i]);
          if (a && a->kind == NodeKind::Ident && r.var_of(a) == var) return true;
        }
        return false;
      });
      if (!uses) return true;
      for (const Node* l : x->kid(0)->children()) {
        const Node* u = l ? go::unparen(l) : nullptr;
        int d = u && u->kind == NodeKind::Ident ? r.var_of(u) : -1;
        if (d < 0 || d == var) continue;
        std::string_view t = r.var(d).type;
        std::string_view name = r.var(d).name;
        if (t == "error" || (go::is_builtin_type(t) && t != "any" && t != "interface") || name.ends_with("err") ||
            name.ends_with("Err"))
          continue;  // an error or a plain value, not a holder of the resource
        derived.push_back(d);
      }
      return true;
    });
    for (int d : derived)
      if (escapes(body, d, r)) return true;
    return false;
  }

  // Does the loop change `var` (its init/post, the range variables, or an assignment in the body)?
  static bool changed_in_loop(const Node* loop, int var, const go::Resolver& r) {
    if (var < 0) return false;
    // assignments, `var mu sync.Mutex` declared in the body (a new one each time), the range variables
    auto assigns = [&](const Node* root) {
      return go::any_node(root, [&](const Node* x) {
        return (x->kind == NodeKind::Assign || x->kind == NodeKind::DeclStmt) && go::assigns_var(r, x, var);
      });
    };
    if (loop->kind == NodeKind::Range) return go::assigns_var(r, loop, var) || assigns(loop->kid(3));
    return assigns(loop->kid(0)) || assigns(loop->kid(2)) || assigns(loop->kid(3));
  }

  // Is the value also released without defer in the loop body (`f.Close()` at the end of the
  // iteration), or, for a response, read to the end there (which already frees its connection)?
  static bool released_in_iteration(const Node* body, int var, const Release& rel, const go::Resolver& r) {
    auto hit = [&](const Node* x) { return hit_release(x, var, rel, r); };
    bool found = false;
    go::walk(body, [&](const Node* x) {
      if (found || x->kind == NodeKind::Defer || x->kind == NodeKind::FuncLit) return false;  // not these subtrees
      if (x->kind != NodeKind::Call) return true;
      found = hit(x);
      return !found;
    });
    return found;
  }

  static bool hit_release(const Node* x, int var, const Release& rel, const go::Resolver& r) {
    {
      Release other;
      if (release_of(x, r, other) && r.var_of(other.root) == var) return true;
      // io.ReadAll(resp.Body), io.Copy(dst, resp.Body): read to EOF
      const Node* f = go::unparen(x->kid(0));
      std::string_view name = f && f->kind == NodeKind::Selector ? go::ident_name(f->kid(1)) : "";
      if (rel.recv && (name == "ReadAll" || name == "Copy"))
        for (uint32_t i = 1; i < x->nkids; ++i)
          if (expr_text(x->kids[i]) == expr_text(rel.recv) && expr_text(rel.recv).ends_with(".Body")) return true;
      return false;
    }
  }

  // Is the defer followed, at its own level or an enclosing one inside the
  // loop, by an unconditional return or a break out of the loop?
  static bool leaves_after(const Node* d, const std::vector<const Node*>& up, size_t loop_index) {
    const Node* child = d;
    for (size_t i = up.size(); i-- > loop_index + 1;) {
      const Node* a = up[i];
      if (a->kind == NodeKind::Block || a->kind == NodeKind::CaseClause || a->kind == NodeKind::CommClause) {
        // an unlabeled break here targets the loop only if no switch, select or loop lies between
        bool breaks_loop = true;
        for (size_t j = loop_index + 1; j < i; ++j) {
          NodeKind k = up[j]->kind;
          if (k == NodeKind::Switch || k == NodeKind::TypeSwitch || k == NodeKind::Select || k == NodeKind::For ||
              k == NodeKind::Range)
            breaks_loop = false;
        }
        bool after = false;
        for (const Node* s : a->children()) {
          if (s == child) {
            after = true;
            continue;
          }
          if (!after || !s) continue;
          if (s->kind == NodeKind::Return) return true;
          if (s->kind == NodeKind::Branch && s->text == "break" && !s->kid(0) && breaks_loop) return true;
          if (s->kind == NodeKind::ExprStmt) {
            const Node* c = go::unparen(s->kid(0));
            if (c && c->kind == NodeKind::Call && go::ident_name(go::unparen(c->kid(0))) == "panic") return true;
          }
        }
      }
      child = a;
    }
    return false;
  }
};

}  // namespace

const Rule& defer_in_loop_rule() {
  static const DeferInLoop r;
  return r;
}

}  // namespace leakhound::rules
