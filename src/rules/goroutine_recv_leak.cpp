// goroutine-recv-leak: a goroutine receives from a channel its parent may never close or send on.
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

constexpr std::string_view kDoc = R"(# goroutine-recv-leak

**Finds:** goroutines waiting forever for a value or a close that never comes · **Default severity:** warning · **Go versions:** all

## What it finds
A goroutine started with `go func() { ... }()` receives from a channel the
starting function made:
- `for v := range ch`, which ends only when `ch` is closed, while the starting
  function has a path to a `return` that does not `close(ch)` (or never closes it);
- a lone `<-ch` (a done or result signal), while the starting function has a path
  to a `return` that neither sends on nor closes `ch`.

## Why it matters
A receive waits until a value arrives or the channel is closed. Once the
producer is gone, neither happens: the consumer goroutine stays parked forever
with its stack and whatever it holds (a connection, a file, a buffer). The
producer that returns early on an error is the usual culprit: the `close` at
the end of the happy path never runs.

## Example
```go
func export(rows []Row, w io.Writer) error {
	ch := make(chan Row)
	go func() {
		for r := range ch { // waits forever if export returns early
			writeRow(w, r)
		}
	}()
	for _, r := range rows {
		if err := r.Validate(); err != nil {
			return err // ch is never closed
		}
		ch <- r
	}
	close(ch)
	return nil
}
```

## Use instead
```go
func export(rows []Row, w io.Writer) error {
	ch := make(chan Row)
	defer close(ch) // every path ends the consumer
	go func() {
		for r := range ch {
			writeRow(w, r)
		}
	}()
	for _, r := range rows {
		if err := r.Validate(); err != nil {
			return err
		}
		ch <- r
	}
	return nil
}
```

## Fix
Close the channel in the producer on every path: `defer close(ch)` right after
making it (or after `wg.Wait()` when several goroutines produce). For a signal
channel, closing it wakes every receiver; or let the receiver also `select` on
`ctx.Done()`.

## Not reported
- a close on every path (also deferred), and for a lone receive a send or close on every path; entering a
  loop that closes or sends counts (it runs zero times only when there is nothing to hand over), and so does
  any case of a `select` that has a case sending on the channel;
- a close, or for a lone receive a send (a semaphore token), before the `go` statement;
- when the function closes (or sends on) the channel somewhere, paths that fall off the end of the function
  rather than `return`: they usually leave a loop through state that came with the close;
- receives inside a `select` with another case (`ctx.Done()`, a quit channel, `time.After`);
- channels another goroutine of the function sends on or closes (a producer goroutine);
- channels that escape (returned, stored, passed to a named function or a callback): their other ends are out
  of sight. Channels in struct fields are not followed yet;
- functions that never return (a server loop): nothing is left behind.

In `main`, `init` and tests the finding is at info (the process or test ends soon).
Suppress one finding with `//leakhound:ignore goroutine-recv-leak reason` on the line or the line above.
)";

class GoroutineRecvLeak final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"goroutine-recv-leak",
                            "a goroutine receives from a channel its parent may never close or send on",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check(const FunctionView& v, std::vector<report::Finding>& out) const override {
    if (!v.cfg) return;
    // a function that cannot return (it ends in os.Exit or serves forever) leaves nothing behind
    if (!flow::can_return(*v.cfg)) return;
    std::vector<gor::Channel> chans = gor::channels_of(v);
    const go::Resolver& r = *v.resolver;
    for (const gor::Channel& c : chans) {
      if (c.escapes) continue;
      std::string name(r.var(c.var).name);
      for (size_t i = 0; i < c.goroutines.size(); ++i) {
        const auto& g = c.goroutines[i];
        if (!g.blocking_recv || g.sends || g.closes) continue;
        bool fed = false;  // another goroutine closes (or, for a lone receive, sends on) the channel
        for (size_t k = 0; k < c.goroutines.size(); ++k)
          if (k != i && (c.goroutines[k].closes || (!g.ranges && c.goroutines[k].sends))) fed = true;
        if (fed) continue;
        std::unordered_set<const Node*> ends(c.closes.begin(), c.closes.end());
        if (!g.ranges) ends.insert(c.sends.begin(), c.sends.end());
        // a close (or, for a lone receive, a send: a semaphore token) before the goroutine starts
        bool before = false;
        for (const Node* e : ends)
          if (e->line < g.go_stmt->line || (e->line == g.go_stmt->line && e->col < g.go_stmt->col)) before = true;
        if (before) continue;
        // entering a loop that sends or closes counts as doing it (a loop that runs zero times has nothing
        // to hand over either); so does any case of a select with a case that sends on the channel
        std::unordered_set<const Node*> entries;
        go::walk_with_ancestors(go::func_body(v.func), [&](const Node* n, const std::vector<const Node*>& up) {
          if (!ends.count(n)) return true;
          if (const Node* l = go::innermost_loop(up, n)) entries.insert(l->kind == NodeKind::For ? l->kid(1) : l->kid(2));
          for (size_t k = up.size(); k-- > 0;)
            if (up[k]->kind == NodeKind::Select) {
              for (const Node* cc : up[k]->children())
                if (cc && cc->kind == NodeKind::CommClause && cc->kid(0)) entries.insert(cc->kid(0));
              break;
            }
          return true;
        });
        auto ended = [&](const Node* item) {
          if (entries.count(item)) return true;
          return go::any_node(item, [&](const Node* m) { return ends.count(m) > 0; });
        };
        // the producer that returns early: only paths ending in a return count (a loop left by a break
        // usually needs the state that came with the close); a function with no close at all leaks anyway
        gor::PathEnd p = gor::path_without(*v.cfg, g.go_stmt, ended, false, !ends.empty());
        if (!p.found) continue;
        std::string path =
            ends.empty()
                ? fmt::format("{} never {} it", v.site->function, g.ranges ? "closes" : "sends on or closes")
                : fmt::format("on {}, {} returns without {} it", gor::path_words(p), v.site->function,
                              g.ranges ? "closing" : "sending on or closing");
        report::Finding f = tmo::finding_in(*this, v, g.go_stmt, true);
        if (g.ranges)
          f.message = fmt::format(
              "the goroutine started here ranges over `{}` (line {}) until it is closed, but {}: the goroutine waits "
              "forever and everything it holds leaks",
              name, g.blocking_recv->line, path);
        else
          f.message = fmt::format(
              "the goroutine started here waits on `<-{}` at line {}, but {}: the goroutine waits forever and "
              "everything it holds leaks",
              name, g.blocking_recv->line, path);
        f.fix = g.ranges ? fmt::format("close `{}` on every path of the producer: `defer close({})` right after "
                                       "making it (after wg.Wait() when several goroutines send)",
                                       name, name)
                         : fmt::format("`defer close({})` after starting the goroutine (a close wakes every receiver), "
                                       "or let the goroutine also select on ctx.Done()",
                                       name);
        out.push_back(std::move(f));
      }
    }
  }
};

}  // namespace

const Rule& goroutine_recv_leak_rule() {
  static const GoroutineRecvLeak r;
  return r;
}

}  // namespace leakhound::rules
