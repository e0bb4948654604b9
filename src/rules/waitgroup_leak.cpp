// waitgroup-leak: wg.Add for a goroutine that can return without wg.Done().
#include <fmt/format.h>

#include "golang/walk.h"
#include "rules/goroutine_flow.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# waitgroup-leak

**Finds:** a goroutine counted by `wg.Add` that can return without `wg.Done()` · **Default severity:** warning · **Go versions:** all

## What it finds
A function calls `wg.Add(...)` and starts a goroutine (a function literal, or a
function of the package given `&wg`) that calls `wg.Done()` without `defer`, and
that goroutine has a path to its end (an early `return` on an error, a `select`
case that returns, a switch case) that skips the `Done`. When the WaitGroup is a
local, the function must also `Wait` on it.

## Why it matters
`wg.Wait()` returns only when the counter is back to zero. One goroutine that
leaves without `Done` keeps it above zero for ever: the waiting goroutine (often
a request handler, or a shutdown path) blocks forever, holding whatever it holds,
and everything waiting for it blocks too.

## Example
```go
func fetchAll(urls []string) []Result {
	var wg sync.WaitGroup
	res := make([]Result, len(urls))
	for i, u := range urls {
		wg.Add(1)
		go func(i int, u string) {
			body, err := get(u)
			if err != nil {
				return // wg.Done() never runs: wg.Wait() below blocks forever
			}
			res[i] = parse(body)
			wg.Done()
		}(i, u)
	}
	wg.Wait()
	return res
}
```

## Use instead
```go
		go func(i int, u string) {
			defer wg.Done() // runs on every path, panics included
			body, err := get(u)
			if err != nil {
				return
			}
			res[i] = parse(body)
		}(i, u)
```

## Fix
Make `defer wg.Done()` the goroutine's first statement.

## Not reported
- `defer wg.Done()`, deferred closures that call it, `Done` on every path; paths that end in `panic`;
- goroutines that hand the WaitGroup on (`process(&wg)`): the `Done` is out of sight;
- functions without `wg.Add`, and local WaitGroups nobody waits on;
- a `Done` inside a loop of the goroutine: it counts work items (`wg.Add(len(items))`), not the goroutine.

In tests the finding is at info. Suppress one finding with `//leakhound:ignore waitgroup-leak reason` on the line
or the line above.
)";

bool calls(const Node* root, const std::string& key, std::string_view method) {
  return go::any_node(root, [&](const Node* m) {
    if (m->kind != NodeKind::Call) return false;
    const Node* f = go::unparen(m->kid(0));
    return f && f->kind == NodeKind::Selector && go::ident_name(f->kid(1)) == method && gor::expr_key(f->kid(0)) == key;
  });
}

std::string strip_amp(std::string k) { return k.starts_with("&") ? k.substr(1) : k; }

bool is_waitgroup_ptr(const Node* t) {
  t = go::unparen(t);
  if (!t || t->kind != NodeKind::Star) return false;
  const Node* s = go::unparen(t->kid(0));
  return s && s->kind == NodeKind::Selector && go::ident_name(s->kid(0)) == "sync" &&
         go::ident_name(s->kid(1)) == "WaitGroup";
}

class WaitgroupLeak final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"waitgroup-leak", "wg.Add for a goroutine that can return without wg.Done(): Wait blocks forever",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    gor::PackageFuncs funcs(pv);
    for (const FunctionView* v : pv.functions) {
      const go::Resolver& r = *v->resolver;
      const Node* body = go::func_body(v->func);
      size_t gos = 0;  // each go statement costs a few walks: bound the work on generated giants
      go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>&) {
        if (n->kind != NodeKind::Go) return true;
        if (++gos > 64) return false;
        gor::GoTarget t = funcs.target(*v, n);
        if (!t.view || !t.view->cfg) return true;
        const Node* gbody = go::func_body(t.func);
        // the WaitGroup as the goroutine names it, and as the starting function does
        std::vector<std::pair<std::string, std::string>> keys;  // (inside, outside)
        if (t.literal) {
          go::walk_with_ancestors(gbody, [&](const Node* m, const std::vector<const Node*>&) {
            if (m->kind != NodeKind::Call || m->nkids != 1) return true;
            const Node* f = go::unparen(m->kid(0));
            if (f && f->kind == NodeKind::Selector && go::ident_name(f->kid(1)) == "Done") {
              std::string k = gor::expr_key(f->kid(0));
              if (!k.empty()) keys.emplace_back(k, k);
            }
            return true;
          });
        } else {
          const Node* call = go::unparen(n->kid(0));
          const Node* params = t.func->kid(2) ? t.func->kid(2)->kid(0) : nullptr;
          uint32_t arg = 1;
          for (uint32_t fi = 0; params && fi < params->nkids; ++fi) {
            const Node* field = params->kid(fi);
            for (uint32_t j = 1; field && j < field->nkids; ++j, ++arg)
              if (is_waitgroup_ptr(field->kid(0)) && arg < call->nkids) {
                std::string outside = strip_amp(gor::expr_key(call->kids[arg]));
                if (!outside.empty()) keys.emplace_back(std::string(go::ident_name(field->kid(j))), outside);
              }
          }
        }
        for (const auto& key : keys) {
          const std::string& inside = key.first;  // (a structured binding cannot be captured before C++20 in clang 14)
          const std::string& outside = key.second;
          if (!calls(body, outside, "Add")) continue;
          // a local WaitGroup nobody waits on blocks nothing
          bool local = false;
          go::walk(body, [&](const Node* m) {
            if (local || m->kind != NodeKind::Ident || m->text != outside) return !local;
            int var = r.var_of(m);
            if (var >= 0 && r.var(var).func == v->func && !r.var(var).is_param) local = true;
            return true;
          });
          if (local && !calls(body, outside, "Wait")) continue;
          // deferred Done, or the WaitGroup handed on: silent
          bool deferred = false, handed = false;
          go::walk_ancestors(gbody, true, [&](const Node* m, const std::vector<const Node*>& up) {
            if (m->kind == NodeKind::Defer && calls(m, inside, "Done")) deferred = true;
            if (m->kind == NodeKind::Call && !up.empty())
              for (uint32_t i = 1; i < m->nkids; ++i) {
                std::string k = strip_amp(gor::expr_key(m->kids[i]));
                if (k == inside) handed = true;
              }
            return !(deferred || handed);
          });
          if (deferred || handed || !calls(gbody, inside, "Done")) continue;
          // a Done inside a loop counts work items, not the goroutine (wg.Add(len(items)), one Done per item)
          bool per_item = false;
          go::walk_with_ancestors(gbody, [&](const Node* m, const std::vector<const Node*>& up) {
            if (m->kind == NodeKind::Call && calls(m, inside, "Done") && go::innermost_loop(up, m)) per_item = true;
            return !per_item;
          });
          if (per_item) continue;
          gor::PathEnd p = gor::path_without(*t.view->cfg, nullptr, [&](const Node* item) {
            return calls(item, inside, "Done");
          });
          if (!p.found) continue;
          report::Finding f = tmo::finding_in(*this, *v, n, false);
          f.message = fmt::format(
              "the goroutine started here{} can leave without `{}.Done()`: on {}, `{}.Done()` never runs, so "
              "`{}.Wait()` blocks forever, and so does everything waiting behind it",
              t.literal ? "" : fmt::format(" ({})", t.view->site->function), inside, gor::path_words(p), inside,
              outside);
          f.fix = fmt::format("make `defer {}.Done()` the goroutine's first statement", inside);
          out.push_back(std::move(f));
          break;
        }
        return true;
      });
    }
  }
};

}  // namespace

const Rule& waitgroup_leak_rule() {
  static const WaitgroupLeak r;
  return r;
}

}  // namespace leakhound::rules
