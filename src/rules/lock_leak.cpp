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
- functions whose critical section has no unlock statement of its own after the Lock (in the same block):
  acquire helpers that unlock only on their failure path, and the final `mu.Lock()` of a read after every
  other user is done;
- functions entered holding the lock (`Unlock ... Lock`, as around `sync.Cond.Wait`), and release funcs handed
  on as values (`return conn, tx.unlockRelease, nil`);
- paths that end in `panic`, `os.Exit`, `log.Fatal`; `TryLock`;
- Lock statements after the 64th of one function (the analysis of generated giants is bounded).

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

bool is_unlock_stmt(const Node* s, const std::string& key, std::string_view unlock) {
  if (!s || (s->kind != NodeKind::ExprStmt && s->kind != NodeKind::Defer)) return false;
  std::string_view name;
  const Node* sel = method_call(s->kid(0), name);
  return sel && name == unlock && gor::expr_key(sel->kid(0)) == key;
}

// Is there an `x.Unlock()` (or `defer x.Unlock()`) statement after `lock` in the block that holds it?
bool sibling_unlock(const Node* lock, const Node* body, const std::string& key, std::string_view unlock) {
  const Node* block = nullptr;
  size_t at = 0;
  go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>& up) {
    if (block) return false;
    if (n == lock && !up.empty()) {
      const Node* p = up.back();
      block = p;
      for (size_t i = 0; i < p->nkids; ++i)
        if (p->kids[i] == n) at = i;
      return false;
    }
    return true;
  });
  if (!block) return false;
  for (size_t i = at + 1; i < block->nkids; ++i)
    if (is_unlock_stmt(block->kids[i], key, unlock)) return true;
  return false;
}

// Does the function unlock `x` before its first Lock of it (entered holding the lock)?
bool entered_held(const Node* body, const std::string& key, std::string_view unlock, const Node* lock) {
  const Node* first = nullptr;
  go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>&) {
    if (first) return false;
    std::string_view name;
    const Node* sel = n->kind == NodeKind::ExprStmt ? method_call(n->kid(0), name) : nullptr;
    bool locks = sel && (name == "Lock" || name == "RLock") && gor::expr_key(sel->kid(0)) == key;
    if (n == lock || locks || is_unlock_stmt(n, key, unlock)) {
      first = n;
      return false;
    }
    return true;
  });
  return first && is_unlock_stmt(first, key, unlock);
}

constexpr size_t kMaxLocks = 64;  // Lock statements analysed per function

class LockLeak final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"lock-leak", "a mutex locked on a path that returns without unlocking it",
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
    // each Lock costs a few walks of the function: bound the work on generated giants
    if (locks.size() > kMaxLocks) locks.resize(kMaxLocks);
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
      // a release func handed on as a value (`return conn, tx.closemuRUnlockRelease, nil`)
      go::walk_ancestors(body, true, [&](const Node* m, const std::vector<const Node*>& up) {
        if (handed || m->kind != NodeKind::Selector) return !handed;
        std::string_view name = go::ident_name(m->kid(1));
        if (name.find("nlock") == std::string_view::npos || name == "Unlock" || name == "RUnlock") return true;
        if (up.empty() || up.back()->kind != NodeKind::Call || up.back()->kid(0) != m) handed = true;
        return true;
      });
      if (!unlocked || handed || same_guard) continue;
      // the critical section's own unlock: an Unlock statement after the Lock in the same block. Without
      // one, the unlocks are on side paths (an acquire helper that unlocks only on failure) or the function
      // is entered holding the lock (Unlock ... Lock, sync.Cond.Wait's shape): holding it at the end is the
      // contract, not a miss.
      if (!sibling_unlock(l.stmt, body, l.key, unlock) || entered_held(body, l.key, unlock, l.stmt)) continue;
      // "sm.mu" -> ".mu": the field as a callee on another receiver name would write it
      std::string suffix = l.key.find('.') == std::string::npos ? "" : l.key.substr(l.key.find('.'));
      auto stops = [&](const Node* item) {
        return go::any_node(item, [&](const Node* m) {
          if (m->kind != NodeKind::Call) return false;
          std::string_view name;
          const Node* sel = method_call(m, name);
          if (!sel) {
            const Node* f = go::unparen(m->kid(0));
            name = f && f->kind == NodeKind::Selector ? go::ident_name(f->kid(1)) : go::ident_name(f);
            sel = nullptr;
          }
          if (name == unlock && sel && gor::expr_key(sel->kid(0)) == l.key) return true;
          // a package function that releases it for the caller (`return sm.handleConn(...)`, documented as
          // "the caller takes the lock, this function releases it"): it unlocks the same field
          if (!suffix.empty()) {
            const go::Callee& c = r.callee(m);
            if (c.kind == go::Callee::Kind::Module && c.pkg == r.ctx().pkg_path) {
              auto it = funcs.by_key.find(tmo::callee_key(c));
              if (it != funcs.by_key.end() &&
                  go::any_node(go::func_body(it->second->func), [&](const Node* k) {
                    std::string_view n2;
                    const Node* s2 = method_call(k, n2);
                    if (!s2 || n2 != unlock) return false;
                    std::string k2 = gor::expr_key(s2->kid(0));
                    return k2.size() > suffix.size() && k2.ends_with(suffix);
                  }))
                return true;
            }
          }
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
                  : p.at_end ? fmt::format("`defer {}.{}()` right after the {}, or `{}.{}()` before the end of the "
                                           "function",
                                           l.key, unlock, lock, l.key, unlock)
                             : fmt::format("`defer {}.{}()` right after the {}, or `{}.{}()` before the return at "
                                           "line {}",
                                           l.key, unlock, lock, l.key, unlock, p.line);
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
