// ticker-stop: a time.Ticker never stopped in a function that can return, and
// time.Tick where its ticker can never be stopped (before Go 1.23).
#include <fmt/format.h>

#include <set>

#include "golang/walk.h"
#include "rules/leak_text.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

constexpr std::string_view kDoc = R"(# ticker-stop

**Resource:** `*time.Ticker` from `time.NewTicker`; `time.Tick` · **Default severity:** warning · **Go versions:** modules whose go.mod says `go` < 1.23

## What it finds
- A ticker from `time.NewTicker` (or from a module function returning a fresh
  one) that is not stopped on some path of a function that can return: the
  classic `for { select { case <-ctx.Done(): return; case <-t.C: ... } }` with no
  `defer t.Stop()`.
- `time.Tick(d)` inside a loop (a new ticker on every iteration), or outside
  main-like code (`main.main`, `init` and the function literals in them) in a
  function that can return: the ticker behind the channel can never be stopped.

A `for range t.C` in a goroutine that never returns is not reported: the ticker
lives exactly as long as it is used.

## Why it matters
Before Go 1.23, the runtime keeps every started ticker in its timer heap until
`Stop` is called, whether or not anything still references it: each leaked
ticker wakes up forever, costs CPU on every tick and is never collected. A
handler or a reconnect loop that creates one per call grows the timer heap
without bound. Go 1.23 collects unreferenced tickers, so the rule is silent for
modules that declare `go 1.23` or later (tickers kept in struct fields are
still reported there by `resource-field`).

## Example
```go
func poll(ctx context.Context, check func() error) error {
	t := time.NewTicker(time.Second)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err() // the ticker keeps firing forever
		case <-t.C:
			if err := check(); err != nil {
				return err
			}
		}
	}
}
```

## Use instead
```go
func poll(ctx context.Context, check func() error) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := check(); err != nil {
				return err
			}
		}
	}
}
```

## Fix
`defer t.Stop()` right after `time.NewTicker`. Replace `time.Tick` outside
`main` with `time.NewTicker` and a deferred `Stop`; replace `time.Tick` in a
loop with one ticker created before the loop.

## Not reported
- modules with `go 1.23` or later in go.mod, and code without a go.mod (assumed current), except for
  tickers stored in a package variable that nothing stops (reported at every version: they stay
  referenced, so the collector never takes them; tickers in struct fields are `resource-field`'s);
- tickers returned, stored, or passed to code that stops or keeps them;
- leaks in `main.main` and `_test.go` files are reported at severity info.

Suppress one finding with `//leakhound:ignore ticker-stop reason` on the line or the line above.
)";

class TickerStop final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"ticker-stop", "time.Ticker not stopped, or time.Tick that can never be (go < 1.23)",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool applies(const LeakSite& s) const override { return s.go.known && !s.go.at_least(1, 23); }
  bool engine_only() const override { return false; }

  void describe(const flow::Leak& leak, const LeakSite&, report::Finding& f) const override {
    describe_leak(leak, "stopped", "ticker", f);
  }

  // A ticker kept in a package variable lives as long as the process: unless something
  // stops it, it fires forever, whatever the Go version (it stays referenced).
  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    std::set<std::string, std::less<>> stopped;  // package variables with a Stop call somewhere
    struct Stored {
      std::string var;
      const go::Node* call;
      const FunctionView* v;
    };
    std::vector<Stored> stored;
    for (const FunctionView* v : pv.functions) {
      const go::Resolver& r = *v->resolver;
      bool once = main_like(*v->site);  // stored by main or init: meant to live as long as the process
      go::walk_no_funclit(go::func_body(v->func), [&](const go::Node* n) {
        if (n->kind == go::NodeKind::Call) {
          const go::Node* f = go::unparen(n->kid(0));
          const go::Node* x = f && f->kind == go::NodeKind::Selector ? go::unparen(f->kid(0)) : nullptr;
          if (x && x->kind == go::NodeKind::Ident && go::ident_name(f->kid(1)) == "Stop") stopped.emplace(x->text);
        }
        if (n->kind != go::NodeKind::Assign || !n->kid(0) || !n->kid(1) || n->kid(0)->nkids != n->kid(1)->nkids)
          return true;
        for (uint32_t i = 0; i < n->kid(0)->nkids; ++i) {
          const go::Node* l = go::unparen(n->kid(0)->kids[i]);
          const go::Node* c = go::unparen(n->kid(1)->kids[i]);
          if (!l || l->kind != go::NodeKind::Ident || l->text == "_" || r.var_of(l) >= 0 || r.is_package_name(l)) continue;
          if (!c || c->kind != go::NodeKind::Call) continue;
          const go::Callee& cc = r.callee(c);
          if (!once && cc.kind == go::Callee::Kind::Library && cc.pkg == "time" && cc.name == "NewTicker" &&
              cc.recv.empty())
            stored.push_back({std::string(l->text), c, v});
        }
        return true;
      });
    }
    for (const auto& st : stored) {
      if (stopped.count(st.var)) continue;
      report::Finding f = finding_at(*this, *st.v->site, st.call);
      f.message = fmt::format("the ticker stored in package variable `{}` is never stopped anywhere in the "
                              "package: it fires for the life of the process (at any Go version: it stays "
                              "referenced)",
                              st.var);
      f.fix = fmt::format("stop it when its work ends (`{}.Stop()`), or keep it local to the goroutine that "
                          "uses it with `defer t.Stop()`",
                          st.var);
      out.push_back(std::move(f));
    }
  }

  void check(const FunctionView& v, std::vector<report::Finding>& out) const override {
    const go::Node* body = go::func_body(v.func);
    int can_ret = -1;  // computed on demand
    go::walk_with_ancestors(body, [&](const go::Node* n, const std::vector<const go::Node*>& up) {
      if (n->kind != go::NodeKind::Call) return true;
      const go::Callee& c = v.resolver->callee(n);
      if (c.kind != go::Callee::Kind::Library || c.pkg != "time" || c.name != "Tick" || !c.recv.empty()) return true;
      bool in_loop = go::innermost_loop(up, n) != nullptr;
      if (!in_loop) {
        if (main_like(*v.site)) return true;
        if (can_ret < 0) can_ret = flow::can_return(*v.cfg) ? 1 : 0;
        if (!can_ret) return true;
      }
      report::Finding f = finding_at(*this, *v.site, n);
      if (in_loop) {
        f.message = "time.Tick inside a loop starts a new ticker on every iteration, and none of them is ever "
                    "stopped (before Go 1.23 each one fires forever)";
        f.fix = "create one `t := time.NewTicker(d)` before the loop with `defer t.Stop()`, and receive from `t.C`";
      } else {
        f.message = fmt::format("time.Tick in {}, which can return: the ticker behind the channel can never be "
                                "stopped and fires forever once the function is done (before Go 1.23)",
                                v.site->function);
        f.fix = "use `t := time.NewTicker(d)` with `defer t.Stop()`, and receive from `t.C`";
      }
      out.push_back(std::move(f));
      return true;
    });
  }
};

}  // namespace

const Rule& ticker_stop_rule() {
  static const TickerStop r;
  return r;
}

}  // namespace leakhound::rules
