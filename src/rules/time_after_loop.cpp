// time-after-loop: time.After in a select inside a loop leaves a live timer per iteration.
#include <fmt/format.h>

#include <unordered_set>

#include "golang/walk.h"
#include "rules/goroutine_flow.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# time-after-loop

**Finds:** `time.After` in a `select` inside a loop · **Default severity:** warning (go < 1.23), info (go >= 1.23) · **Go versions:** all, severity by the go.mod `go` line

## What it finds
`case <-time.After(d):` (or a `time.After` made inside the loop and selected on)
in a `select` inside a `for` or `range` loop, when another case of that select
(or its `default`) lets the loop go on.

## Why it matters
Every evaluation of `time.After(d)` creates a timer and a channel. When another
case wins, the loop starts a new iteration and a new timer, and before Go 1.23
the old one stays alive until it fires: a loop that handles 10,000 messages a
second with a one-minute timeout keeps 600,000 timers (and their channels) in
memory. Go 1.23 collects unreferenced timers, so in modules that declare
`go 1.23` or later it is only reported as a performance note (info): each
iteration still allocates a timer that the runtime has to create and collect.

## Example
```go
func consume(msgs <-chan Msg, idle time.Duration) error {
	for {
		select {
		case m := <-msgs:
			handle(m) // the loop goes on; the timer below lives on until it fires
		case <-time.After(idle):
			return errIdle
		}
	}
}
```

## Use instead
```go
func consume(msgs <-chan Msg, idle time.Duration) error {
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		select {
		case m := <-msgs:
			handle(m)
			if !t.Stop() {
				<-t.C
			}
			t.Reset(idle)
		case <-t.C:
			return errIdle
		}
	}
}
```

## Fix
Make one `time.NewTimer` before the loop, `defer t.Stop()`, and `Reset` it per
iteration (stop and drain it first before Go 1.23); or, for an overall deadline,
make the `time.After` once, before the loop, or use `context.WithTimeout`.

## Not reported
- `time.After` made once before the loop (an overall deadline);
- selects whose every other case leaves the loop (`return`, a labelled `break`, `goto`, `panic`) or waits on a
  `Done()` channel (once closed it stays ready: the loop would spin, and such loops end through their
  condition): a new iteration only starts after the timer fired, so no timer is left behind;
- `time.After` outside any loop, or in a function literal started in the loop (its own function);
- `time.NewTimer`/`Reset` (the fix).

In `main`, `init` and tests the finding is at info. Suppress one finding with
`//leakhound:ignore time-after-loop reason` on the line or the line above.
)";

bool is_time_after(const go::Resolver& r, const Node* e) {
  e = go::unparen(e);
  if (!e || e->kind != NodeKind::Call) return false;
  const go::Callee& c = r.callee(e);
  return c.kind == go::Callee::Kind::Library && c.pkg == "time" && c.recv.empty() && c.name == "After";
}

// Does the case body always leave `loop` (whose body declares `inner_labels`)?
bool leaves_loop(const Node* clause, const std::unordered_set<std::string_view>& inner_labels) {
  // `case <-ctx.Done():`: a closed Done channel stays ready, so a loop that went on would spin, not pile up
  // timers; such loops end through their condition or the next call's error
  const Node* comm = clause->kid(0);
  if (comm && comm->kind == NodeKind::ExprStmt && gor::is_done_receive(go::unparen(comm->kid(0)))) return true;
  if (clause->nkids < 2) return false;  // an empty case: the loop goes on
  const Node* last = clause->kids[clause->nkids - 1];
  if (!last) return false;
  if (last->kind == NodeKind::Return) return true;
  if (last->kind == NodeKind::Branch) {
    if (last->text == "goto") return true;
    std::string_view label = go::ident_name(last->kid(0));
    return last->text == "break" && !label.empty() && !inner_labels.count(label);
  }
  if (last->kind == NodeKind::ExprStmt) return gor::ends_goroutine(go::unparen(last->kid(0)));
  return false;
}

class TimeAfterLoop final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"time-after-loop",
                            "time.After in a select inside a loop: a timer per iteration, alive until it fires (go < 1.23)",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check(const FunctionView& v, std::vector<report::Finding>& out) const override {
    const go::Resolver& r = *v.resolver;
    const Node* body = go::func_body(v.func);
    go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>& up) {
      if (n->kind != NodeKind::Select) return true;
      const Node* loop = go::innermost_loop(up, n);
      if (!loop) return true;
      std::unordered_set<std::string_view> inner_labels = gor::labels_in(loop->kid(3));
      for (const Node* cc : n->children()) {
        if (!cc || cc->kind != NodeKind::CommClause || !cc->kid(0)) continue;
        // the time.After this case waits on: in the case itself, or made in the loop and held in a local
        const Node* after = nullptr;
        go::walk_with_ancestors(cc->kid(0), [&](const Node* m, const std::vector<const Node*>&) {
          if (after || m->kind != NodeKind::Unary || m->text != "<-") return !after;
          const Node* x = go::unparen(m->kid(0));
          if (is_time_after(r, x)) {
            after = x;
          } else if (x && x->kind == NodeKind::Ident) {
            int var = r.var_of(x);
            if (var < 0) return true;
            go::walk_with_ancestors(loop->kid(3), [&](const Node* s, const std::vector<const Node*>& up2) {
              if (after) return false;
              // a timer set only while none is pending (`if timeout == nil { timeout = time.After(d) }`, one per
              // batch) is not made every iteration
              for (const Node* a : up2)
                if (a->kind == NodeKind::If && go::any_node(a->kid(1), [&](const Node* m) {
                      return m->kind == NodeKind::Ident && r.var_of(m) == var;
                    }))
                  return false;
              if (s->kind == NodeKind::Assign && s->kid(0) && s->kid(1) && s->kid(0)->nkids == 1 &&
                  s->kid(1)->nkids == 1 && go::unparen(s->kid(0)->kid(0)) &&
                  go::unparen(s->kid(0)->kid(0))->kind == NodeKind::Ident &&
                  r.var_of(go::unparen(s->kid(0)->kid(0))) == var && is_time_after(r, s->kid(1)->kid(0)))
                after = go::unparen(s->kid(1)->kid(0));
              return true;
            });
          }
          return true;
        });
        if (!after) continue;
        bool goes_on = false;
        for (const Node* other : n->children())
          if (other && other != cc && other->kind == NodeKind::CommClause && !leaves_loop(other, inner_labels))
            goes_on = true;
        if (!goes_on) continue;
        report::Finding f = tmo::finding_in(*this, v, after, true);
        bool old = v.site->go.known && !v.site->go.at_least(1, 23);
        if (old) {
          f.message = fmt::format(
              "time.After in a select inside the loop at line {}: every iteration that ends on another case leaves "
              "its timer and channel alive until the timer fires (the module's go {} predates Go 1.23's collection of "
              "unreferenced timers): a busy loop piles up timers",
              loop->line, v.site->go.str());
        } else {
          f.severity = report::Severity::Info;
          f.message = fmt::format(
              "time.After in a select inside the loop at line {} allocates a new timer on every iteration (Go 1.23+ "
              "collects the old ones, so this is a performance note, not a leak)",
              loop->line);
        }
        f.fix = "make one timer before the loop (t := time.NewTimer(d); defer t.Stop()) and Reset it per iteration, "
                "or make the time.After once before the loop for an overall deadline";
        out.push_back(std::move(f));
      }
      return true;
    });
  }
};

}  // namespace

const Rule& time_after_loop_rule() {
  static const TimeAfterLoop r;
  return r;
}

}  // namespace leakhound::rules
