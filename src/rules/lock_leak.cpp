// lock-leak: a mutex locked on a path that returns without unlocking it.
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

constexpr std::string_view kDoc = R"(# lock-leak

**Finds:** `Lock()`/`RLock()` still held when the function returns on one of its paths · **Default severity:** warning · **Go versions:** all

## What it finds
A statement `x.Lock()` or `x.RLock()` (any mutex expression: `mu`, `s.mu`, an
embedded `s.Lock()`) from which a path reaches a `return` or the end of the
function, or comes back to the same `Lock` in a loop, without `x.Unlock()` /
`x.RUnlock()`, directly, deferred, or in a deferred closure, while the same
function unlocks `x` on its other paths. That last condition separates a
forgotten unlock on an error path from a helper that returns holding the lock on
purpose.

## Why it matters
A mutex left locked is not released by anything: the next `Lock` blocks forever,
and with it every goroutine that needs the lock (often every request). Early
returns added to a critical section later, and `continue` in a loop that locks
at the top, are how most of these deadlocks are written.

## Example
```go
func (c *Cache) Get(key string) (Item, error) {
	c.mu.Lock()
	it, ok := c.items[key]
	if !ok {
		return Item{}, ErrMiss // c.mu is still locked
	}
	c.mu.Unlock()
	return it, nil
}
```

## Use instead
```go
func (c *Cache) Get(key string) (Item, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok {
		return Item{}, ErrMiss
	}
	return it, nil
}
```

## Fix
`defer x.Unlock()` right after the Lock, or unlock before each `return` and
`continue` of the critical section.

## Not reported
- `defer x.Unlock()` and deferred closures that unlock; unlocks on every path;
- functions that never unlock `x` (lock helpers that return holding it on purpose), and `x.Unlock` handed on as a
  value (`return mu.Unlock`, `defer once(mu.Unlock)`);
- paths through a call whose name says it unlocks (`s.unlockAll()`), or a goroutine or callback that unlocks;
- a lock and an unlock under the same condition (`if shared { mu.Lock() } ... if shared { mu.Unlock() }`);
- mutexes that change with each iteration of the loop around the Lock (locking every element of a slice);
- paths that end in `panic`, `os.Exit`, `log.Fatal`; `TryLock`.

In tests the finding is at info. Suppress one finding with `//leakhound:ignore lock-leak reason` on the line or the
line above.
)";

// `x.Lock()`: the selector, when `call` is one with no argument.
const Node* method_call(const Node* call, std::string_view& name) {
  call = go::unparen(call);
  if (!call || call->kind != NodeKind::Call || call->nkids != 1) return nullptr;
  const Node* f = go::unparen(call->kid(0));
  if (!f || f->kind != NodeKind::Selector) return nullptr;
  name = go::ident_name(f->kid(1));
  return f;
}

// The conditions of the `if`s whose then-branch holds the node (among `up`).
std::vector<std::string> guards(const std::vector<const Node*>& up, const Node* n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < up.size(); ++i) {
    const Node* a = up[i];
    const Node* next = i + 1 < up.size() ? up[i + 1] : n;
    if (a->kind == NodeKind::If && next == a->kid(2)) out.push_back(gor::expr_key(a->kid(1)));
  }
  return out;
}

const Node* root_ident(const Node* e) {
  for (int d = 0; e && d < 32; ++d) {
    e = go::unparen(e);
    if (!e) return nullptr;
    if (e->kind == NodeKind::Ident) return e;
    if (e->kind == NodeKind::Selector || e->kind == NodeKind::Index || e->kind == NodeKind::Star) e = e->kid(0);
    else return nullptr;
  }
  return nullptr;
}

class LockLeak final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"lock-leak", "a mutex locked on a path that returns without unlocking it",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check(const FunctionView& v, std::vector<report::Finding>& out) const override {
    if (!v.cfg) return;
    const go::Resolver& r = *v.resolver;
    const Node* body = go::func_body(v.func);
    struct LockSite {
      const Node* stmt;
      std::string key;
      bool read;
      std::vector<std::string> guards;
    };
    std::vector<LockSite> locks;
    go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>& up) {
      if (n->kind != NodeKind::ExprStmt) return true;
      std::string_view name;
      const Node* sel = method_call(n->kid(0), name);
      if (!sel || (name != "Lock" && name != "RLock")) return true;
      std::string key = gor::expr_key(sel->kid(0));
      if (key.empty()) return true;
      // a mutex that changes with each iteration (locking every element of a slice): not one lock
      if (const Node* root = root_ident(sel->kid(0))) {
        int var = r.var_of(root);
        if (var >= 0 && r.var(var).def)
          for (const Node* a : up)
            if ((a->kind == NodeKind::For || a->kind == NodeKind::Range) && r.var(var).def->line >= a->line &&
                r.var(var).def->line <= a->end_line)
              return true;
      }
      locks.push_back({n, std::move(key), name == "RLock", guards(up, n)});
      return true;
    });
    for (const LockSite& l : locks) {
      std::string_view unlock = l.read ? "RUnlock" : "Unlock";
      bool unlocked = false, handed = false, same_guard = false;
      go::walk_ancestors(body, true, [&](const Node* n, const std::vector<const Node*>& up) {
        if (n->kind != NodeKind::Selector || go::ident_name(n->kid(1)) != unlock || gor::expr_key(n->kid(0)) != l.key)
          return true;
        const Node* p = up.empty() ? nullptr : up.back();
        if (p && p->kind == NodeKind::Call && p->kid(0) == n) {
          unlocked = true;
          for (const std::string& g : guards(up, n))
            for (const std::string& lg : l.guards) same_guard = same_guard || (!g.empty() && g == lg);
        } else {
          handed = true;  // `return mu.Unlock`, `defer once(mu.Unlock)`
        }
        return true;
      });
      if (!unlocked || handed || same_guard) continue;
      auto stops = [&](const Node* item) {
        return gor::contains(item, true, [&](const Node* m) {
          if (m->kind != NodeKind::Call) return false;
          std::string_view name;
          const Node* sel = method_call(m, name);
          if (!sel) {
            const Node* f = go::unparen(m->kid(0));
            name = f && f->kind == NodeKind::Selector ? go::ident_name(f->kid(1)) : go::ident_name(f);
            sel = nullptr;
          }
          if (name == unlock && sel && gor::expr_key(sel->kid(0)) == l.key) return true;
          // a helper that says it unlocks (s.unlockAll(), unlock(mu))
          return name != "Unlock" && name != "RUnlock" &&
                 (name.find("nlock") != std::string_view::npos || name.find("NLOCK") != std::string_view::npos);
        });
      };
      gor::PathEnd p = gor::path_without(*v.cfg, l.stmt, stops, true);
      if (!p.found) continue;
      report::Finding f = tmo::finding_in(*this, v, l.stmt, false);
      std::string_view lock = l.read ? "RLock" : "Lock";
      if (p.loops_back)
        f.message = fmt::format(
            "`{}.{}()` is taken again on {} without `{}.{}()` in between: the goroutine blocks on its own lock "
            "forever, and so does everyone else who needs `{}`",
            l.key, lock, "the next iteration of the loop", l.key, unlock, l.key);
      else
        f.message = fmt::format(
            "`{}.{}()` is still held on {}: {} unlocks it on its other paths, so this one is a missed unlock, and the "
            "next {} of `{}` blocks forever (with every goroutine that needs it)",
            l.key, lock, gor::path_words(p), v.site->function, l.read ? "Lock" : "Lock or RLock", l.key);
      f.fix = p.loops_back
                  ? fmt::format("unlock before `continue`, or move the critical section into a function with `defer "
                                "{}.{}()`",
                                l.key, unlock)
                  : fmt::format("`defer {}.{}()` right after the {}, or `{}.{}()` before the return at line {}", l.key,
                                unlock, lock, l.key, unlock, p.line);
      out.push_back(std::move(f));
    }
  }
};

}  // namespace

const Rule& lock_leak_rule() {
  static const LockLeak r;
  return r;
}

}  // namespace leakhound::rules
