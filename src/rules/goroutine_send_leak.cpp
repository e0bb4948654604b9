// goroutine-send-leak: a goroutine sends on a channel its parent may stop receiving from.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "golang/walk.h"
#include "rules/goroutine_flow.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# goroutine-send-leak

**Finds:** goroutines blocked forever on a send nobody receives · **Default severity:** warning · **Go versions:** all

## What it finds
A goroutine started with `go func() { ... }()` sends on a channel that the
starting function made without a buffer (or with a buffer smaller than the
number of sends), and the starting function has a path on which it stops
receiving:
- one goroutine, one send: a path from the `go` statement to a `return` that never
  receives (a `select` with a `ctx.Done()` or `time.After` case that returns, an
  early return on an error);
- many senders (the `go` statement is in a loop, or the goroutine sends in a loop):
  a receive loop that can be left early (the first error of N workers), fewer
  receives than goroutines started in a loop ("first response wins"), or a path
  that never receives.

## Why it matters
A send on an unbuffered channel waits until someone receives. When the parent
returned, nobody ever will: the goroutine stays parked forever with its stack,
everything it references and any connection it holds. One leaked goroutine per
timed-out request is how services run out of memory and file descriptors.

## Example
```go
func fetch(ctx context.Context, url string) ([]byte, error) {
	ch := make(chan result)
	go func() {
		b, err := get(url)
		ch <- result{b, err} // blocks forever once fetch has returned
	}()
	select {
	case r := <-ch:
		return r.body, r.err
	case <-ctx.Done():
		return nil, ctx.Err() // nobody receives from ch any more
	}
}
```

## Use instead
```go
func fetch(ctx context.Context, url string) ([]byte, error) {
	ch := make(chan result, 1) // the send always completes
	go func() {
		b, err := get(url)
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		return r.body, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
```

## Fix
Give the channel room for every send: `make(chan T, 1)` for one sender,
`make(chan T, len(work))` for one per item. Or make the sender give up with the
parent: `select { case ch <- v: case <-ctx.Done(): }`. For N workers that stop at
the first error, `errgroup.WithContext` does both.

## Not reported
- buffers that fit every send (`make(chan T, 1)` for one send, a capacity that is not a literal such as
  `len(items)` or `n`). Sends are counted per path of the goroutine: sends on exclusive branches, or a send
  followed by a `return`, count once; a `go` in `for i := 0; i < 3; i++` starts three;
- sends inside a `select` with another case (`ctx.Done()`, a done channel, `default`);
- a receive on every path, also in a deferred drain (`defer func() { for range ch {} }()`), and receive
  loops that run to their end;
- one goroutine sending in a loop over its data against a fixed number of receives: how often it sends is
  the data's business (a known miss when the data holds more matches than the receives);
- channels another goroutine also receives from, and channels that escape (returned, stored, passed to a
  named function or a callback): their receivers are out of sight;
- paths that end in `panic`, `os.Exit`, `log.Fatal`, and functions that cannot return at all (a receive
  followed by `os.Exit`, a serve loop).

In `main`, `init` and tests the finding is at info (the process or test ends soon).
Suppress one finding with `//leakhound:ignore goroutine-send-leak reason` on the line or the line above.
)";

// An early way out of `loop` inside its body: a return, a break of it, a goto. 0 when none.
uint32_t early_exit(const Node* loop) {
  uint32_t line = 0;
  const Node* body = loop->kid(3);  // For and Range alike
  std::unordered_set<std::string_view> inner_labels = gor::labels_in(body);
  // counters the loop counts (`active--`, `got++`): an exit guarded by a comparison of one comes after the
  // receives it counts; `ok` of `v, ok := <-ch`: an exit guarded by `!ok` is the channel's close
  std::unordered_set<std::string_view> counters, closed_flags;
  go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>&) {
    if (n->kind == NodeKind::IncDec && go::unparen(n->kid(0)) && go::unparen(n->kid(0))->kind == NodeKind::Ident)
      counters.insert(go::unparen(n->kid(0))->text);
    if (n->kind == NodeKind::Assign && n->kid(0) && n->kid(1) && n->kid(0)->nkids >= 1) {
      const Node* l0 = go::unparen(n->kid(0)->kid(0));
      if ((n->text == "-=" || n->text == "+=") && l0 && l0->kind == NodeKind::Ident) counters.insert(l0->text);
      const Node* rhs = n->kid(1)->nkids == 1 ? go::unparen(n->kid(1)->kid(0)) : nullptr;
      const Node* l1 = n->kid(0)->nkids == 2 ? go::unparen(n->kid(0)->kid(1)) : nullptr;
      if (rhs && rhs->kind == NodeKind::Unary && rhs->text == "<-" && l1 && l1->kind == NodeKind::Ident)
        closed_flags.insert(l1->text);
    }
    return true;
  });
  auto benign = [&](const std::vector<const Node*>& up, const Node* n) {
    for (size_t i = 0; i < up.size(); ++i) {
      const Node* a = up[i];
      const Node* next = i + 1 < up.size() ? up[i + 1] : n;
      if (a->kind != NodeKind::If || next != a->kid(2)) continue;
      const Node* c = go::unparen(a->kid(1));
      if (!c) continue;
      if (c->kind == NodeKind::Unary && c->text == "!" && go::unparen(c->kid(0)) &&
          go::unparen(c->kid(0))->kind == NodeKind::Ident && closed_flags.count(go::unparen(c->kid(0))->text))
        return true;
      if (c->kind == NodeKind::Binary && (c->text == "==" || c->text == "<=" || c->text == ">=")) {
        const Node* x = go::unparen(c->kid(0));
        const Node* y = go::unparen(c->kid(1));
        if ((x && x->kind == NodeKind::Ident && counters.count(x->text)) ||
            (y && y->kind == NodeKind::Ident && counters.count(y->text)))
          return true;
      }
    }
    return false;
  };
  go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>& up) {
    if (line) return false;
    if (n->kind == NodeKind::Return) {
      if (!benign(up, n)) line = n->line;
    } else if (gor::branch_leaves_loop(n, up, inner_labels) && !benign(up, n)) {
      line = n->line;
    }
    return true;
  });
  return line;
}

class GoroutineSendLeak final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"goroutine-send-leak",
                            "a goroutine sends on a channel its parent may stop receiving from: it blocks forever",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    gor::PackageFuncs funcs(pv);
    for (const FunctionView* v : pv.functions) check_function(*v, funcs, out);
  }

 private:
  void check_function(const FunctionView& v, const gor::PackageFuncs& funcs, std::vector<report::Finding>& out) const {
    if (!v.cfg) return;
    // a function that cannot return (it ends in os.Exit or serves forever) leaves nothing behind
    if (!flow::can_return(*v.cfg)) return;
    std::vector<gor::Channel> chans = gor::channels_of(v);
    if (chans.empty()) return;
    const go::Resolver& r = *v.resolver;
    const Node* body = go::func_body(v.func);
    // the innermost loop of every node of interest, inside this function
    std::unordered_map<const Node*, const Node*> loop_of;
    go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>& up) {
      if (n->kind == NodeKind::Go || n->kind == NodeKind::Unary) loop_of[n] = go::innermost_loop(up, n);
      if (n->kind == NodeKind::Range && n->kid(2)) loop_of[n->kid(2)] = n;  // `for v := range ch`: that loop
      return true;
    });
    auto loop = [&](const Node* n) {
      auto it = loop_of.find(n);
      return it == loop_of.end() ? nullptr : it->second;
    };
    for (const gor::Channel& c : chans) {
      if (c.escapes || c.cap < 0) continue;
      bool others_receive = false, unbounded = false;
      long sends = 0;
      for (const auto& g : c.goroutines) {
        if (g.receives) others_receive = true;
        if (g.blocking_sends == 0) continue;
        // the most sends one run of the goroutine makes (exclusive branches and send-then-return count once)
        long per = g.send_in_loop ? -1 : g.blocking_sends;
        auto lit = funcs.by_node.find(g.lit);
        if (lit != funcs.by_node.end() && lit->second->cfg) per = gor::max_sends_on_a_path(*lit->second->cfg, g.send_nodes);
        // sends in one loop with a literal bound (`for i := 0; i < 2; i++`): at most bound x the sends of one pass
        if (per < 0 && lit != funcs.by_node.end() && lit->second->cfg) {
          const Node* shared = nullptr;
          bool ok = true;
          go::walk_with_ancestors(go::func_body(g.lit), [&](const Node* n, const std::vector<const Node*>& up) {
            if (!ok || std::find(g.send_nodes.begin(), g.send_nodes.end(), n) == g.send_nodes.end()) return ok;
            const Node* only = nullptr;
            for (size_t i = 0; i < up.size(); ++i) {
              const Node* next = i + 1 < up.size() ? up[i + 1] : n;
              bool repeats = (up[i]->kind == NodeKind::For && next != up[i]->kid(0)) ||
                             (up[i]->kind == NodeKind::Range && next == up[i]->kid(3));
              if (!repeats) continue;
              if (only) ok = false;  // nested loops: not followed
              only = up[i];
            }
            if (!only || (shared && shared != only)) ok = false;
            shared = only;
            return ok;
          });
          long trips = ok && shared ? gor::literal_trip_count(shared) : -1;
          if (trips >= 0) per = trips * gor::max_sends_on_a_path(*lit->second->cfg, g.send_nodes, true);
        }
        long runs = g.go_in_loop ? gor::literal_trip_count(g.go_loop) : 1;
        if (per < 0 || runs < 0) unbounded = true;
        else sends += per * runs;
      }
      if (others_receive || (sends == 0 && !unbounded)) continue;
      if (!unbounded && sends <= c.cap) continue;
      // a literal buffer and a loop of senders: only a fixed number of receives is a sure leak, and only when
      // the loop starts the goroutines (one goroutine sending in a data loop sends as often as the data says)
      bool only_fixed_receives = unbounded && c.cap > 0;
      bool go_loops = false;
      for (const auto& g : c.goroutines)
        if (g.blocking_sends > 0 && g.go_in_loop) go_loops = true;
      std::unordered_set<const Node*> recvs(c.recvs.begin(), c.recvs.end());
      // entering a loop that receives counts as receiving (its condition may be false at once only when
      // there is nothing to receive)
      std::unordered_set<const Node*> loop_entries;
      bool deferred_drain = false;
      for (const Node* rv : c.recvs)
        if (const Node* l = loop(rv)) loop_entries.insert(l->kind == NodeKind::For ? l->kid(1) : l->kid(2));
      go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>&) {
        if (n->kind == NodeKind::Defer &&
            go::any_node(n, [&](const Node* m) { return recvs.count(m) > 0; }))
          deferred_drain = true;
        return !deferred_drain;
      });
      auto receives = [&](const Node* item) {
        if (loop_entries.count(item)) return true;
        return go::any_node(item, [&](const Node* m) { return recvs.count(m) > 0; });
      };
      std::string name(r.var(c.var).name);
      for (const auto& g : c.goroutines) {
        if (g.blocking_sends == 0) continue;
        bool many = unbounded || sends > 1;
        // a receive in the same loop as the `go` statement: one sender per iteration
        const Node* go_loop = loop(g.go_stmt);
        bool per_iteration = false;
        for (const Node* rv : c.recvs)
          if (go_loop && loop(rv) == go_loop) per_iteration = true;
        if (per_iteration && !g.send_in_loop) many = false;
        std::string path;
        gor::PathEnd p;
        if (!only_fixed_receives) p = gor::path_without(*v.cfg, g.go_stmt, receives);
        if (p.found) {
          path = c.recvs.empty() ? fmt::format("{} never receives from it", v.site->function)
                                 : fmt::format("on {}, {} stops receiving from it", gor::path_words(p), v.site->function);
        } else if (many && !deferred_drain) {
          // a receive loop that can be left early, or receives fewer than the sends
          for (const Node* rv : c.recvs) {
            if (only_fixed_receives) break;
            const Node* l = loop(rv);
            if (!l) continue;
            if (uint32_t line = early_exit(l)) {
              path = fmt::format("the loop receiving from it can be left at line {} while other sends are pending",
                                 line);
              break;
            }
          }
          if (path.empty()) {
            size_t once = 0;
            bool in_loop = false;
            for (const Node* rv : c.recvs) {
              if (loop(rv)) in_loop = true;
              else ++once;
            }
            bool data_loop = unbounded && !go_loops;  // one goroutine sending as often as its data says
            if (!in_loop && !data_loop && (unbounded || static_cast<long>(once) < sends - c.cap))
              path = fmt::format("{} receives only {} time{} for {} sends", v.site->function, once,
                                 once == 1 ? "" : "s", unbounded ? "a loop of" : std::to_string(sends));
          }
        }
        if (path.empty()) continue;
        report::Finding f = tmo::finding_in(*this, v, g.go_stmt, true);
        const Node* send = g.first_send;
        f.message = fmt::format(
            "the goroutine started here blocks forever on `{} <- ...` at line {}: `{}` {} (made at line {}) and {}; "
            "the goroutine and everything it holds leak",
            name, send ? send->line : g.go_stmt->line, name,
            c.cap == 0 ? "is unbuffered" : fmt::format("has room for {} value{}", c.cap, c.cap == 1 ? "" : "s"),
            c.make->line, path);
        f.fix = many ? fmt::format("buffer `{}` for every send (make(chan T, len(work))), or send with `select {{ case "
                                   "{} <- v: case <-ctx.Done(): }}`, or use errgroup.WithContext",
                                   name, name)
                     : fmt::format("make `{}` buffered (make(chan T, 1)) so the send always completes, or send with "
                                   "`select {{ case {} <- v: case <-ctx.Done(): }}`",
                                   name, name);
        out.push_back(std::move(f));
      }
    }
  }
};

}  // namespace

const Rule& goroutine_send_leak_rule() {
  static const GoroutineSendLeak r;
  return r;
}

}  // namespace leakhound::rules
