// body-drain: a response body closed on a path where it was neither read nor
// drained, so its connection is not reused (before Go 1.27).
#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "golang/walk.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# body-drain

**Resource:** `*http.Response` bodies · **Default severity:** info (off by default: enable with `--rules` or `[rules] enable` in .leakhound.toml) · **Go versions:** modules whose go.mod says `go` < 1.27

## What it finds
A response body that is closed on a path where nothing read it: typically the
error path after a status check (`if resp.StatusCode != 200 { resp.Body.Close();
return err }`), or a `defer resp.Body.Close()` followed by a return before any
read. Any read counts (`io.ReadAll`, `io.Copy`, a decoder, passing the body or
the response to a function); a path that never closes the body is `body-close`'s
business, not this rule's. HEAD responses have no body and are ignored.

## Why it matters
Before Go 1.27, `net/http` puts a connection back into the idle pool only when
its response body was read to the end before `Close`. Closing an unread body
closes the connection instead: the next request to that host pays a new TCP
(and TLS) handshake. Under load, error responses then turn into connection
churn, `TIME_WAIT` pile-ups and latency spikes exactly when the backend is
already struggling. Go 1.27 drains a bounded amount on `Close` itself.

## Example
```go
resp, err := client.Do(req)
if err != nil {
	return err
}
defer resp.Body.Close()
if resp.StatusCode != http.StatusOK {
	return fmt.Errorf("status %d", resp.StatusCode) // closed unread: the connection is dropped
}
return json.NewDecoder(resp.Body).Decode(&out)
```

## Use instead
```go
resp, err := client.Do(req)
if err != nil {
	return err
}
defer func() {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain (bounded) so the connection is reused
	resp.Body.Close()
}()
if resp.StatusCode != http.StatusOK {
	return fmt.Errorf("status %d", resp.StatusCode)
}
return json.NewDecoder(resp.Body).Decode(&out)
```

## Fix
Drain before closing: `io.Copy(io.Discard, resp.Body)` (bound it with
`io.LimitReader` when the body may be large), in the deferred close or on the
early-return paths.

## Not reported
- modules with `go 1.27` or later in go.mod, and code without a go.mod (assumed current);
- bodies read, drained, returned or handed to other code (also a goroutine) before the close;
- HEAD requests, and paths where the status is 204 No Content or 304 Not Modified (the body is empty);
- `_test.go` files, `main.main`, `init` and `//go:build ignore` programs (one request per connection: nothing to reuse).

Suppress one finding with `//leakhound:ignore body-drain reason` on the line or the line above.
)";

class BodyDrain final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"body-drain", "response body closed without being read or drained (go < 1.27)",
                            report::Severity::Info, false, kDoc};
    return i;
  }
  // Tests make one request per connection: the lost reuse costs nothing there.
  // Neither do programs that run once (main, `go run` generators): there is no later request.
  bool applies(const LeakSite& s) const override {
    return s.go.known && !s.go.at_least(1, 27) && !s.in_test && !main_like(s);
  }
  bool engine_only() const override { return false; }

  void check(const FunctionView& v, std::vector<report::Finding>& out) const override {
    const go::Resolver& r = *v.resolver;
    const flow::Cfg& cfg = *v.cfg;
    size_t checked = 0;  // bounded like the engine's acquisitions (pathological inputs stay linear)
    for (uint32_t bi = 0; bi < cfg.blocks.size() && checked < 512; ++bi) {
      if (!cfg.blocks[bi].reachable) continue;
      for (size_t ii = 0; ii < cfg.blocks[bi].items.size(); ++ii) {
        const Node* s = cfg.blocks[bi].items[ii].node;
        if (cfg.blocks[bi].items[ii].kind != flow::Item::Kind::Stmt || s->kind != NodeKind::Assign) continue;
        const Node* lhs = s->kid(0);
        const Node* rhs = s->kid(1);
        if (!lhs || !rhs || rhs->nkids != 1) continue;
        const Node* call = go::unparen(rhs->kid(0));
        if (!call || call->kind != NodeKind::Call) continue;
        const go::Callee& c = r.callee(call);
        if (c.kind != go::Callee::Kind::Library || c.pkg != "net/http") continue;
        if (c.name != "Get" && c.name != "Post" && c.name != "PostForm" && c.name != "Do" && c.name != "RoundTrip")
          continue;
        if (c.name == "Do" && head_request(go::func_body(v.func), call, r)) continue;  // no body to drain
        const Node* rv = go::unparen(lhs->kid(0));
        const Node* ev = lhs->nkids > 1 ? go::unparen(lhs->kid(1)) : nullptr;
        if (!rv || rv->kind != NodeKind::Ident || r.var_of(rv) < 0) continue;
        ++checked;
        Track t{r.var_of(rv), ev && ev->kind == NodeKind::Ident ? r.var_of(ev) : -1, s};
        find_aliases(go::func_body(v.func), t, r);
        uint32_t at = 0;
        bool deferred = false;
        if (closed_unread(cfg, bi, ii + 1, t, r, &at, &deferred)) {
          report::Finding f = finding_at(*this, *v.site, call);
          std::string h = std::string(rv->text) + ".Body";
          f.message = fmt::format("{} from {} (line {}) is closed {}at line {} on a path where it was never read: "
                                  "the connection is closed instead of reused (before Go 1.27)",
                                  h, c.name, call->line, deferred ? "(by the deferred close) " : "", at);
          f.fix = fmt::format("drain it before closing: `io.Copy(io.Discard, {})` on that path or in the deferred "
                              "close (bounded with io.LimitReader if it may be large)",
                              h);
          f.related.push_back({std::string(), at, 0, "closed unread here"});
          out.push_back(std::move(f));
        }
      }
    }
  }

 private:
  struct Track {
    int var;
    int err;
    const Node* stmt;
    std::vector<int> aliases = {};                 // `body := resp.Body`
    std::vector<const Node*> alias_stmts = {};     // those assignments
    bool alias(int v) const { return v >= 0 && std::find(aliases.begin(), aliases.end(), v) != aliases.end(); }
  };

  static void find_aliases(const Node* body, Track& t, const go::Resolver& r) {
    go::walk_no_funclit(body, [&](const Node* n) {
      if (n->kind != NodeKind::Assign || !n->kid(0) || !n->kid(1) || n->kid(0)->nkids != n->kid(1)->nkids) return true;
      for (uint32_t i = 0; i < n->kid(1)->nkids; ++i) {
        const Node* rhs = go::unparen(n->kid(1)->kids[i]);
        const Node* lhs = go::unparen(n->kid(0)->kids[i]);
        if (!rhs || rhs->kind != NodeKind::Selector || go::ident_name(rhs->kid(1)) != "Body") continue;
        const Node* x = go::unparen(rhs->kid(0));
        if (!x || x->kind != NodeKind::Ident || r.var_of(x) != t.var) continue;
        if (lhs && lhs->kind == NodeKind::Ident && r.var_of(lhs) >= 0) {
          t.aliases.push_back(r.var_of(lhs));
          t.alias_stmts.push_back(n);
        }
      }
      return true;
    });
  }

  // What a statement does to the body: 0 nothing, 1 reads it (or hands the
  // response on), 2 closes it, 3 defers a close, 4 defers a read-and-close.
  static int effect(const Node* n, const Track& t, const go::Resolver& r) {
    bool is_defer = n->kind == NodeKind::Defer;
    if (std::find(t.alias_stmts.begin(), t.alias_stmts.end(), n) != t.alias_stmts.end()) return 0;
    if (n->kind == NodeKind::Go && go::any_node(n, [&](const Node* x) {
          return x->kind == NodeKind::Ident && (r.var_of(x) == t.var || t.alias(r.var_of(x)));
        }))
      return 1;  // a goroutine reads it
    bool reads = false, closes = false;
    go::walk_with_ancestors(n, [&](const Node* x, const std::vector<const Node*>& up) {
      if (x->kind == NodeKind::FuncLit && x != n) return false;
      if (x->kind == NodeKind::Ident && t.alias(r.var_of(x))) {
        // an alias of the body: `body.Close()` closes, anything else reads
        const Node* p = up.empty() ? nullptr : up.back();
        const Node* pp = up.size() >= 2 ? up[up.size() - 2] : nullptr;
        if (p && p->kind == NodeKind::Selector && p->kid(0) == x && go::ident_name(p->kid(1)) == "Close" && pp &&
            pp->kind == NodeKind::Call && pp->kid(0) == p)
          closes = true;
        else if (!(p && p->kind == NodeKind::ExprList && pp && pp->kind == NodeKind::Assign && pp->kid(0) == p))
          reads = true;
        return true;
      }
      if (x->kind != NodeKind::Ident || r.var_of(x) != t.var) return true;
      const Node* p = up.empty() ? nullptr : up.back();
      if (p && p->kind == NodeKind::Assign && p->kid(0) && !up.empty()) {
        // being assigned (`resp, err = ...`) is not a use; the search handles it
      }
      if (p && p->kind == NodeKind::Selector && p->kid(0) == x) {
        std::string_view field = go::ident_name(p->kid(1));
        if (field != "Body") return true;  // StatusCode, Header, Request...: not the body
        const Node* pp = up.size() >= 2 ? up[up.size() - 2] : nullptr;
        if (pp && pp->kind == NodeKind::Selector && pp->kid(0) == p) {
          const Node* ppp = up.size() >= 3 ? up[up.size() - 3] : nullptr;
          if (go::ident_name(pp->kid(1)) == "Close" && ppp && ppp->kind == NodeKind::Call && ppp->kid(0) == pp)
            closes = true;
          else
            reads = true;  // resp.Body.Read(...)
          return true;
        }
        reads = true;  // resp.Body passed or assigned somewhere
        return true;
      }
      if (p && (p->kind == NodeKind::ExprList) && up.size() >= 2 && up[up.size() - 2]->kind == NodeKind::Assign &&
          up[up.size() - 2]->kid(0) == p)
        return true;  // assigned to
      reads = true;  // the response itself handed on
      return true;
    });
    // a deferred closure: look inside it
    if (is_defer) {
      const Node* call = go::unparen(n->kid(0));
      const Node* fun = call && call->kind == NodeKind::Call ? go::unparen(call->kid(0)) : nullptr;
      if (fun && fun->kind == NodeKind::FuncLit) {
        bool lit_reads = false, lit_closes = false;
        go::walk(fun->kid(1), [&](const Node* x) {
          int e = x->kind == NodeKind::ExprStmt || x->kind == NodeKind::Assign ? effect(x, t, r) : 0;
          if (e == 1) lit_reads = true;
          if (e == 2) lit_closes = true;
          return e == 0;
        });
        if (lit_reads) return 4;
        if (lit_closes) return 3;
        return 0;
      }
      if (reads) return 4;
      return closes ? 3 : 0;
    }
    if (reads) return 1;
    return closes ? 2 : 0;
  }



  // `client.Do(req)` where req was built by NewRequest("HEAD", ...) or with http.MethodHead.
  static bool head_request(const Node* body, const Node* do_call, const go::Resolver& r) {
    const Node* req = do_call->nkids >= 2 ? go::unparen(do_call->kid(1)) : nullptr;
    if (!req || req->kind != NodeKind::Ident || r.var_of(req) < 0) return false;
    int var = r.var_of(req);
    return go::any_node(body, [&](const Node* n) {
      if (n->kind != NodeKind::Assign || !n->kid(0) || !n->kid(1) || n->kid(1)->nkids != 1) return false;
      const Node* l = go::unparen(n->kid(0)->kid(0));
      const Node* c = go::unparen(n->kid(1)->kid(0));
      if (!l || l->kind != NodeKind::Ident || r.var_of(l) != var || !c || c->kind != NodeKind::Call) return false;
      const go::Callee& cc = r.callee(c);
      if (cc.kind != go::Callee::Kind::Library || cc.pkg != "net/http") return false;
      uint32_t mi = cc.name == "NewRequest" ? 1 : cc.name == "NewRequestWithContext" ? 2 : 0;
      const Node* m = mi ? go::unparen(c->kid(mi)) : nullptr;
      return m && (m->text == "\"HEAD\"" || go::ident_name(m->kind == NodeKind::Selector ? m->kid(1) : m) == "MethodHead");
    });
  }

  // `resp.StatusCode == 204` (No Content) or 304 (Not Modified): the body is empty on the
  // equal branch (net/http hands out http.NoBody and reuses the connection).
  // Returns the index of the successor where the body is empty, or -1.
  static int empty_body_branch(const Node* c, const Track& t, const go::Resolver& r) {
    c = go::unparen(c);
    if (!c || c->kind != NodeKind::Binary || (c->text != "==" && c->text != "!=")) return -1;
    const Node* x = go::unparen(c->kid(0));
    const Node* y = go::unparen(c->kid(1));
    auto is_status = [&](const Node* e) {
      const Node* x0 = e && e->kind == NodeKind::Selector ? go::unparen(e->kid(0)) : nullptr;
      return x0 && go::ident_name(e->kid(1)) == "StatusCode" && x0->kind == NodeKind::Ident && r.var_of(x0) == t.var;
    };
    if (!is_status(x)) std::swap(x, y);
    if (!is_status(x) || !y) return -1;
    std::string_view v = y->kind == NodeKind::BasicLit ? y->text
                         : y->kind == NodeKind::Selector ? go::ident_name(y->kid(1)) : std::string_view();
    if (v != "204" && v != "304" && v != "StatusNoContent" && v != "StatusNotModified") return -1;
    return c->text == "==" ? 0 : 1;
  }

  // 1: only the true branch can hold a response, 0: only the false one, -1: both.
  static int err_cond(const Node* c, int errv, const go::Resolver& r) {
    c = go::unparen(c);
    if (!c || c->kind != NodeKind::Binary || (c->text != "!=" && c->text != "==") || errv < 0) return -1;
    const Node* x = go::unparen(c->kid(0));
    const Node* y = go::unparen(c->kid(1));
    if (go::ident_name(x) == "nil") std::swap(x, y);
    if (go::ident_name(y) != "nil" || !x || x->kind != NodeKind::Ident || r.var_of(x) != errv) return -1;
    return c->text == "==" ? 1 : 0;
  }

  static bool closed_unread(const flow::Cfg& cfg, uint32_t b0, size_t i0, const Track& t, const go::Resolver& r,
                            uint32_t* at, bool* by_defer) {
    struct State {
      uint32_t block;
      size_t item;
      uint32_t defer_line;  // a deferred close registered on this path (0: none)
      int err;              // the error variable still nil whenever the response exists (-1: none)
    };
    std::deque<State> q{{b0, i0, 0, t.err}};
    std::vector<uint8_t> seen(cfg.blocks.size() * 4, 0);
    while (!q.empty()) {
      State st = q.front();
      q.pop_front();
      const flow::BasicBlock& b = cfg.blocks[st.block];
      bool stop = false;
      for (size_t i = st.item; i < b.items.size() && !stop; ++i) {
        const Node* n = b.items[i].node;
        if (n == t.stmt || (b.items[i].kind == flow::Item::Kind::Stmt && go::assigns_var(r, n, t.var))) {
          stop = true;  // a new response: another search
          break;
        }
        if (b.items[i].kind == flow::Item::Kind::RangeAssign) continue;
        if (st.err >= 0 && go::assigns_var(r, n, st.err)) st.err = -1;  // `err = check()`: no longer the call's error
        int e = effect(n, t, r);
        if (e == 1 || e == 4) {
          stop = true;
          break;
        }
        if (e == 2) {
          *at = n->line;
          *by_defer = false;
          return true;
        }
        if (e == 3 && !st.defer_line) st.defer_line = n->line;
        if (n->kind == NodeKind::Return && st.defer_line) {
          *at = n->line;
          *by_defer = true;
          return true;
        }
      }
      if (stop || b.noreturn) continue;
      std::vector<uint32_t> next;
      if (b.cond && b.succs.size() == 2) {
        int e = effect(b.cond, t, r);
        if (e == 1) continue;
        int v = err_cond(b.cond, st.err, r);
        int empty = empty_body_branch(b.cond, t, r);
        if (v != 0 && empty != 0) next.push_back(b.succs[0]);
        if (v != 1 && empty != 1) next.push_back(b.succs[1]);
      } else {
        next = b.succs;
      }
      for (uint32_t s : next) {
        if (s == flow::Cfg::kExit) {
          if (st.defer_line) {
            *at = cfg.end_line;
            *by_defer = true;
            return true;
          }
          continue;
        }
        size_t key = s * 4 + (st.defer_line ? 1 : 0) + (st.err >= 0 ? 2 : 0);
        if (seen[key]) continue;
        seen[key] = 1;
        q.push_back({s, 0, st.defer_line, st.err});
      }
    }
    return false;
  }
};

}  // namespace

const Rule& body_drain_rule() {
  static const BodyDrain r;
  return r;
}

}  // namespace leakhound::rules
