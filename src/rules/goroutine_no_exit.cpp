// goroutine-no-exit: a goroutine whose body is an endless loop with no way out.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "golang/walk.h"
#include "rules/goroutine_flow.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# goroutine-no-exit

**Finds:** goroutines running an endless loop that nothing can stop · **Default severity:** warning · **Go versions:** all

## What it finds
A `go` statement that starts a function literal, or a function or method of the
same package (`go c.refresh()`), whose body runs an endless loop (`for { ... }`,
`for range ticker.C`, `for range time.Tick(d)`) that has no way out: no `return`,
no `break` or `goto` that leaves the loop, no `panic`/`os.Exit`/`runtime.Goexit`,
and no receive from a `Done()` channel or a stop channel (`done`, `quit`, `stop`,
`closing`, `shutdown`, ...), and that is started where it can run more than
once per process: in a loop, per request (a handler), in tests, or by a
function called from a loop, from a handler, from tests or from two places
(calls from `main`, `init` and CLI actions do not count).

## Why it matters
Such a goroutine lives as long as the process. Started once, that may be the
intent; started per request, per connection, per test or per constructor call,
each call adds one more poller that never stops, with its stack, its ticker and
everything its closure references (a cache, a client, a connection). This is the
classic "poller started per request" leak, and the reason goleak fails tests.

## Example
```go
func NewCache(src Source) *Cache {
	c := &Cache{src: src}
	go func() {
		for { // no way out: every NewCache (per tenant, per test) leaves one running
			time.Sleep(time.Minute)
			c.reload()
		}
	}()
	return c
}
```

## Use instead
```go
func NewCache(src Source) *Cache {
	c := &Cache{src: src, stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				c.reload()
			}
		}
	}()
	return c
}

func (c *Cache) Close() { close(c.stop) }
```

## Fix
Give the loop a way out that its owner controls: a `ctx context.Context` whose
`Done()` case returns, or a stop channel closed by a `Close`/`Stop` method.

## Not reported
- loops with a `return`, a `break` out of the loop (a plain `break` in a `select` or `switch` only leaves
  that statement and does not count), a `goto`, a `panic` or a process exit;
- loops that receive from a `Done()` channel or a channel named like a stop signal;
- loops with a condition (`for !stopped`), and `for range ch` over a data channel (it ends when closed);
- goroutines started from `main`, `init`, `sync.Once.Do` (a literal or a function value: `once.Do(s.startWorker)`),
  under a compare-and-swap guard, or by a function that sets a package-level variable (a lazily started
  singleton): they run once per process;
- starters with no evidence of running more than once (an exported constructor nobody in the package calls, a
  function called once, a daemon's constructor): a process-wide background loop may be the design, even when
  the owner has a `Close` that cannot stop it (a known miss: goleak finds those in tests). A `go` in
  `for count < limit { ...; count++ }` on a package-level counter starts a pool of bounded size.
  `ExampleXxx` functions.

In tests the finding is at info. Suppress one finding with `//leakhound:ignore goroutine-no-exit reason` on the
line or the line above.
)";

bool stop_like(std::string_view name) {
  std::string s(name);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (std::string_view w : {"done", "quit", "stop", "clos", "exit", "shutdown", "cancel", "term", "die", "kill", "finish"})
    if (s.find(w) != std::string::npos) return true;
  return false;
}

// The endless loop among the body's top-level statements (null when none).
const Node* endless_loop(const Node* body) {
  if (!body) return nullptr;
  for (const Node* s : body->children()) {
    while (s && s->kind == NodeKind::Labeled) s = s->kid(1);
    if (!s) continue;
    if (s->kind == NodeKind::For && !s->kid(1)) return s;
    if (s->kind == NodeKind::Range && !s->kid(0) && !s->kid(1)) {
      const Node* x = go::unparen(s->kid(2));
      if (!x) continue;
      // for range ticker.C / for range time.Tick(d)
      if (x->kind == NodeKind::Selector && go::ident_name(x->kid(1)) == "C") return s;
      if (x->kind == NodeKind::Call) {
        const Node* f = go::unparen(x->kid(0));
        if (f && f->kind == NodeKind::Selector && go::ident_name(f->kid(0)) == "time" &&
            go::ident_name(f->kid(1)) == "Tick")
          return s;
      }
    }
  }
  return nullptr;
}

// Can the loop end: a return, a break of it, a goto, a call that never returns, a stop signal?
bool has_way_out(const Node* loop) {
  const Node* body = loop->kid(3);
  std::unordered_set<std::string_view> inner_labels = gor::labels_in(body);
  bool out = false;
  go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>& up) {
    if (out) return false;
    switch (n->kind) {
      case NodeKind::Return:
        out = true;
        break;
      case NodeKind::Branch:
        out = gor::branch_leaves_loop(n, up, inner_labels);
        break;
      case NodeKind::Call:
        if (gor::ends_goroutine(n)) out = true;
        break;
      case NodeKind::Unary:
        if (n->text == "<-") {
          const Node* x = go::unparen(n->kid(0));
          if (gor::is_done_receive(n)) {
            out = true;
          } else if (x && x->kind == NodeKind::Ident) {
            out = stop_like(x->text);
          } else if (x && x->kind == NodeKind::Selector) {
            out = stop_like(go::ident_name(x->kid(1)));
          }
        }
        break;
      default:
        break;
    }
    return !out;
  });
  return out;
}

bool param_of_type(const FunctionView& v, std::initializer_list<std::string_view> types) {
  const Node* ft = v.func->kind == NodeKind::FuncDecl ? v.func->kid(2) : v.func->kid(0);
  const go::SourceFile* file = v.resolver->ctx().file;
  if (!ft || !ft->kid(0) || !file) return false;
  for (const Node* field : ft->kid(0)->children()) {
    if (!field) continue;
    std::string t = go::type_string(field->kid(0), *file, v.resolver->ctx().pkg_path);
    for (std::string_view want : types)
      if (t == want) return true;
  }
  return false;
}

// A sync.Once of the process: a package-level variable (a field's Once runs once per object).
bool process_once(const go::Resolver& r, const Node* x, const std::unordered_set<std::string_view>& pkg_vars) {
  x = go::unparen(x);
  if (x && x->kind == NodeKind::Selector && go::ident_name(x->kid(0)) != "" && r.is_package_name(x->kid(0)))
    return true;  // otherpkg.once
  return x && x->kind == NodeKind::Ident && r.var_of(x) < 0 && pkg_vars.count(x->text);
}

class GoroutineNoExit final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"goroutine-no-exit",
                            "a goroutine runs an endless loop that nothing can stop",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    gor::PackageFuncs funcs(pv);
    // package-level variables (a function that sets one is a lazily started singleton)
    std::unordered_set<std::string_view> pkg_vars;
    for (const go::SourceFile* f : pv.files)
      for (const Node* d : f->root ? f->root->children() : std::span<Node* const>{})
        if (d && d->kind == NodeKind::GenDecl && d->text == "var")
          for (const Node* spec : d->children())
            if (spec && spec->kind == NodeKind::ValueSpec && spec->kid(1))
              for (const Node* id : spec->kid(1)->children())
                if (go::ident_name(id) != "_") pkg_vars.insert(go::ident_name(id));
    // Who calls each package function, and how: from a loop, from tests, how many call sites; which
    // functions are handed to a once.Do as values; which types have a method that ends their life.
    struct Callers {
      int sites = 0;
      bool in_loop = false, in_test = false, per_request = false;
    };
    std::unordered_map<std::string, Callers> callers;
    std::unordered_set<std::string> once_values;
    for (const FunctionView* v : pv.functions) {
      go::walk_with_ancestors(go::func_body(v->func), [&](const Node* n, const std::vector<const Node*>& up) {
        if (n->kind != NodeKind::Call) return true;
        const Node* f = go::unparen(n->kid(0));
        if (f && f->kind == NodeKind::Selector && go::ident_name(f->kid(1)) == "Do" &&
            process_once(*v->resolver, f->kid(0), pkg_vars))
          for (uint32_t i = 1; i < n->nkids; ++i) {
            const Node* a = go::unparen(n->kids[i]);
            if (a && a->kind == NodeKind::Selector) once_values.insert(std::string(go::ident_name(a->kid(1))));
            if (a && a->kind == NodeKind::Ident) once_values.insert(std::string(a->text));
          }
        const go::Callee& c = v->resolver->callee(n);
        if (c.kind != go::Callee::Kind::Module || c.pkg != v->resolver->ctx().pkg_path) return true;
        if (main_like(*v->site)) return true;  // main, init, a CLI command's action: once per process
        Callers& k = callers[tmo::callee_key(c)];
        ++k.sites;
        k.in_loop = k.in_loop || go::innermost_loop(up, n);
        k.in_test = k.in_test || tmo::testing_code(*v);
        k.per_request = k.per_request || param_of_type(*v, {"net/http.ResponseWriter", "*net/http.Request"});
        return true;
      });
    }
    for (const FunctionView* top : tmo::top_level(pv)) {
      if (main_like(*top->site)) continue;
      std::string top_key = tmo::func_key(top->func);
      std::string_view top_name = go::ident_name(top->func->kid(1));
      if (once_values.count(std::string(top_name))) continue;  // once.Do(s.startWorker)
      if (top->site->in_test && top_name.starts_with("Example")) continue;  // documentation
      // a lazily started singleton: the function sets a package-level variable
      bool singleton = go::any_node(go::func_body(top->func), [&](const Node* m) {
        if (m->kind != NodeKind::Assign || !m->kid(0)) return false;
        for (const Node* l : m->kid(0)->children())
          if (l && l->kind == NodeKind::Ident && top->resolver->var_of(l) < 0 && pkg_vars.count(l->text)) return true;
        return false;
      });
      if (singleton) continue;
      // evidence that the function runs more than once per process
      auto it = callers.find(top_key);
      bool repeated = tmo::testing_code(*top) ||
                      param_of_type(*top, {"net/http.ResponseWriter", "*net/http.Request"}) ||
                      (it != callers.end() && (it->second.sites >= 2 || it->second.in_loop || it->second.in_test ||
                                             it->second.per_request));

      go::walk_ancestors(go::func_body(top->func), true, [&](const Node* n, const std::vector<const Node*>& up) {
        if (n->kind != NodeKind::Go) return true;
        // the innermost function holding the statement, and whether it runs once (sync.Once.Do)
        const FunctionView* v = top;
        bool once = false;
        std::string object_once;
        for (size_t i = 0; i < up.size(); ++i) {
          if (up[i]->kind != NodeKind::FuncLit) continue;
          auto it = funcs.by_node.find(up[i]);
          if (it != funcs.by_node.end()) v = it->second;
          if (i >= 1 && up[i - 1]->kind == NodeKind::Call && up[i - 1]->kid(0) != up[i]) {
            const Node* f = go::unparen(up[i - 1]->kid(0));
            if (f && f->kind == NodeKind::Selector && go::ident_name(f->kid(1)) == "Do") {
              if (process_once(*top->resolver, f->kid(0), pkg_vars)) once = true;
              else object_once = gor::expr_key(f->kid(0));  // `d.once.Do(...)`: once per object
            }
          }
        }
        if (once || main_like(*v->site)) return true;
        // started under a compare-and-swap guard (`if CAS(&started, 0, 1) { go ... }`, or an earlier
        // `if !CAS(...) { return }` in the same function): once
        auto cas = [](const Node* m) {
          if (m->kind != NodeKind::Call) return false;
          const Node* f = go::unparen(m->kid(0));
          std::string_view name = f && f->kind == NodeKind::Selector ? go::ident_name(f->kid(1)) : "";
          return name.starts_with("CompareAndSwap") || name == "Cas";
        };
        for (const Node* a : up)
          if (a->kind == NodeKind::If && go::any_node(a->kid(1), cas)) return true;
        bool cas_before = false;
        go::walk_with_ancestors(go::func_body(v->func), [&](const Node* m, const std::vector<const Node*>&) {
          if (cas_before || m->line >= n->line) return false;
          if (m->kind == NodeKind::If && go::any_node(m->kid(1), cas)) cas_before = true;
          return !cas_before;
        });
        if (cas_before) return true;
        gor::GoTarget t = funcs.target(*v, n);
        if (!t.func) return true;
        const Node* loop = endless_loop(go::func_body(t.func));
        if (!loop || has_way_out(loop)) return true;
        // started in a loop, per request or test, or by a function called more than once: otherwise nothing
        // says it runs more than once per process
        bool in_loop = false;
        for (size_t i = up.size(); i-- > 0;) {
          if (up[i]->kind == NodeKind::FuncLit) break;
          const Node* next = i + 1 < up.size() ? up[i + 1] : n;
          // `for count < limit { go worker(); count++ }` on a package-level counter: a pool of bounded size
          bool bounded_pool = up[i]->kind == NodeKind::For && go::any_node(up[i]->kid(1), [&](const Node* m) {
            return m->kind == NodeKind::Ident && top->resolver->var_of(m) < 0 && pkg_vars.count(m->text);
          });
          if (bounded_pool) return true;  // however often the starter runs, the pool stays that size
          if ((up[i]->kind == NodeKind::For && next != up[i]->kid(0)) ||
              (up[i]->kind == NodeKind::Range && next == up[i]->kid(3)))
            in_loop = true;
        }
        if (!(repeated || in_loop || tmo::testing_code(*v))) return true;
        report::Finding f = tmo::finding_in(*this, *v, n, true);
        std::string where = t.literal ? "" : fmt::format(" of {}", t.view ? t.view->site->function : "the callee");
        std::string each = object_once.empty()
                               ? fmt::format("every call of {}", top->site->function)
                               : fmt::format("every object whose `{}` (a sync.Once in a field: once per object, not "
                                             "per process) runs it",
                                             object_once);
        f.message = fmt::format(
            "the goroutine started here runs the endless loop at line {}{} with no way out (no return, no break, no "
            "ctx.Done() or stop channel): {} leaves one more goroutine running for the life of the process, with "
            "everything it references",
            loop->line, where, each);
        f.fix = "give the loop a way out its owner controls: `select { case <-ctx.Done(): return; case <-ticker.C: "
                "... }` with a context, or a stop channel closed by a Close/Stop method";
        out.push_back(std::move(f));
        return true;
      });
    }
  }
};

}  // namespace

const Rule& goroutine_no_exit_rule() {
  static const GoroutineNoExit r;
  return r;
}

}  // namespace leakhound::rules
