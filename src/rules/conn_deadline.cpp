// conn-deadline: a read or write loop on a network connection that has no deadline.
#include <fmt/format.h>

#include <deque>
#include <map>
#include <set>

#include "golang/types.h"
#include "golang/walk.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# conn-deadline

**Default severity:** warning · **Go versions:** all

## What it finds
A loop that reads from or writes to a network connection (directly, or through
a `bufio.Reader`/`Scanner`/`Writer`, a JSON or gob decoder/encoder or a
`textproto.Reader` over it), or an `io.Copy`/`io.ReadAll` on it, when no
`SetDeadline`, `SetReadDeadline` or `SetWriteDeadline` is ever called on that
connection, and it is known to have none: it was accepted or dialled in the
function, or it is a parameter whose every caller in the package passes a
connection it accepted or dialled without setting a deadline (`go handle(conn)`).

## Why it matters
TCP does not notice a peer that vanished: a crashed host, a cable pulled, a NAT
entry that expired, a client that simply stops talking. Without a deadline the
read waits forever, and so does the goroutine serving the connection, with its
buffers and its file descriptor. Servers that accept such connections
accumulate them until they run out of descriptors or memory; clients hang.

## Example
```go
func serve(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go handle(conn)
	}
}

func handle(conn net.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for sc.Scan() { // a silent client blocks here forever
		process(sc.Text())
	}
}
```

## Use instead
```go
func handle(conn net.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for {
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		if !sc.Scan() {
			return
		}
		process(sc.Text())
	}
}
```

## Fix
Set a read deadline before each read (or `SetDeadline` for both directions), or
close the connection from a watcher when a context ends
(`go func() { <-ctx.Done(); conn.Close() }()`).

## Not reported
- connections with a deadline set anywhere in the function, by a package helper, or by the caller;
- connections closed by a watcher goroutine or `time.AfterFunc`;
- connections of unknown origin: parameters of functions nobody in the package calls, `net.Pipe`, hijacked
  connections, struct fields;
- a single read or write outside a loop, `io.CopyN`; datagram (UDP) sockets;
- tests and test helpers (their peers are in the process and the test timeout bounds them).

Suppress one finding with `//leakhound:ignore conn-deadline reason` on the line or the line above.
)";

bool conn_type(std::string_view t) {
  return t == "net.Conn" || t == "*net.TCPConn" || t == "*crypto/tls.Conn";
}

bool is_op(std::string_view m) {
  static const std::set<std::string_view> ops = {
      "Read",     "Write",    "ReadString", "ReadBytes", "ReadLine",       "ReadRune",       "ReadByte",
      "ReadSlice", "Scan",    "Decode",     "Encode",    "Flush",          "WriteString",    "ReadMIMEHeader",
      "ReadContinuedLine",    "ReadDotLines", "ReadCodeLine", "ReadResponse", "PrintfLine", "WriteByte", "WriteRune"};
  return ops.count(m) > 0;
}

bool is_wrapper(const go::Callee& c) {
  if (c.kind != go::Callee::Kind::Library || !c.recv.empty()) return false;
  if (c.pkg == "bufio") return c.name.starts_with("New");
  if (c.pkg == "encoding/json" || c.pkg == "encoding/gob") return c.name == "NewDecoder" || c.name == "NewEncoder";
  if (c.pkg == "net/textproto") return c.name == "NewReader" || c.name == "NewWriter" || c.name == "NewConn";
  if (c.pkg == "crypto/tls") return c.name == "Client" || c.name == "Server";
  return false;
}

bool acquires(const go::Callee& c) {
  if (c.kind != go::Callee::Kind::Library) return false;
  if (c.pkg == "net" && c.recv.empty()) return c.name == "Dial" || c.name == "DialTimeout" || c.name == "DialTCP";
  if (c.pkg == "net" && c.recv == "net.Dialer") return c.name == "Dial" || c.name == "DialContext";
  if (c.pkg == "net" && (c.recv == "net.Listener" || c.recv == "net.TCPListener")) return c.name == "Accept" || c.name == "AcceptTCP";
  if (c.pkg == "crypto/tls" && c.recv.empty()) return c.name == "Dial" || c.name == "DialWithDialer";
  return false;
}

struct Op {
  const Node* call;
  const Node* loop;  // null for io.Copy outside loops
};

struct ConnVar {
  bool local = false;  // accepted or dialled here
  int param = -1;      // parameter index, when a parameter
  bool deadline = false;
  std::vector<Op> ops;
  std::string_view name;
};


struct FuncInfo {
  const FunctionView* view = nullptr;
  std::map<int, ConnVar> conns;                               // var -> info
  std::vector<std::tuple<std::string, int, int>> passes;      // (callee key, arg index, var) of conn vars passed on
};

class ConnDeadline final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"conn-deadline",
                            "a read or write loop on a connection with no deadline: a silent peer blocks it forever",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    // one entry per declaration (build-tag variants and several init funcs share a name), found by name
    std::deque<FuncInfo> infos;
    std::map<std::string, std::vector<FuncInfo*>> by_name;
    for (const FunctionView* v : tmo::top_level(pv))
      if (v->func->kind == NodeKind::FuncDecl) {
        FuncInfo& fi = infos.emplace_back();
        analyse(*v, fi);
        by_name[tmo::func_key(v->func)].push_back(&fi);
      }
    // tests talk to in-process peers that close on every path, and the test timeout bounds the rest
    for (FuncInfo& fi : infos)
      if (fi.view && tmo::testing_code(*fi.view))
        for (auto& [var, cv] : fi.conns) cv.ops.clear();
    // deadlines set by callees on their parameters (any variant), to a fixed point
    for (bool changed = true; changed;) {
      changed = false;
      for (FuncInfo& fi : infos)
        for (auto& [callee, arg, var] : fi.passes) {
          auto it = by_name.find(callee);
          if (it == by_name.end() || var < 0) continue;
          for (FuncInfo* target : it->second)
            for (auto& [pv2, cv] : target->conns)
              if (cv.param == arg && cv.deadline && !fi.conns[var].deadline) {
                fi.conns[var].deadline = true;
                changed = true;
              }
        }
    }
    // call sites of each function's conn parameters
    struct Site {
      const FuncInfo* caller;
      int var;
    };
    std::map<std::pair<std::string, int>, std::vector<Site>> sites;
    for (const FuncInfo& fi : infos)
      for (auto& [callee, arg, var] : fi.passes) sites[{callee, arg}].push_back({&fi, var});
    for (FuncInfo& fi : infos) {
      const std::string key = tmo::func_key(fi.view->func);
      for (auto& [var, cv] : fi.conns) {
        if (cv.deadline || cv.ops.empty()) continue;
        std::string origin;
        if (cv.local) {
          origin = "it is accepted or dialled here with no deadline";
        } else if (cv.param >= 0) {
          auto it = sites.find({key, cv.param});
          if (it == sites.end() || it->second.empty()) continue;  // no caller in the package: unknown origin
          bool all = true;
          for (const Site& s : it->second) {
            auto cvi = s.var < 0 ? s.caller->conns.end() : s.caller->conns.find(s.var);
            if (cvi == s.caller->conns.end() || !cvi->second.local || cvi->second.deadline) all = false;
          }
          if (!all) continue;
          origin = fmt::format("every caller in the package passes a connection it accepted or dialled without a "
                               "deadline ({})",
                               it->second.front().caller->view->site->function);
        } else {
          continue;
        }
        std::set<const Node*> loops;
        for (const Op& op : cv.ops) {
          if (op.loop && !loops.insert(op.loop).second) continue;
          if (!op.loop && !loops.empty()) continue;
          report::Finding f = tmo::finding_in(*this, *fi.view, op.call, false);
          f.message = fmt::format("`{}` is {} with no deadline ({}): a peer that goes silent (crashed host, half-open "
                                  "connection, expired NAT entry) blocks this call and its goroutine forever",
                                  cv.name, op.loop ? "read or written in this loop" : "copied until EOF", origin);
          f.fix = fmt::format("call {}.SetReadDeadline(time.Now().Add(timeout)) before each read (SetDeadline for "
                              "both directions), or close it from a watcher when a context ends",
                              cv.name);
          out.push_back(std::move(f));
        }
      }
    }
  }

 private:
  // The conn variable an expression reads through: the conn itself, a wrapper of it, or a wrapper call over it.
  static int root(const go::Resolver& r, const Node* e, const std::map<int, int>& alias, int depth = 0) {
    e = go::unparen(e);
    if (!e || depth > 6) return -1;
    if (e->kind == NodeKind::Ident) {
      int var = r.var_of(e);
      auto it = alias.find(var);
      return it == alias.end() ? -1 : it->second;
    }
    if (e->kind == NodeKind::Call && is_wrapper(r.callee(e))) return root(r, e->kid(1), alias, depth + 1);
    return -1;
  }

  void analyse(const FunctionView& v, FuncInfo& fi) const {
    fi.view = &v;
    const go::Resolver& r = *v.resolver;
    const Node* body = go::func_body(v.func);
    std::map<int, int> alias;  // var -> root conn var
    // parameters of connection types
    for (size_t i = 0; i < r.var_count(); ++i) {
      const go::Var& var = r.var(static_cast<int>(i));
      if (var.is_param && var.func == v.func && conn_type(var.type)) {
        ConnVar& cv = fi.conns[static_cast<int>(i)];
        cv.param = var.param_index;
        cv.name = var.name;
        alias[static_cast<int>(i)] = static_cast<int>(i);
      }
    }
    // acquisitions and wrappers, in source order (a wrapper follows its conn)
    go::walk(body, [&](const Node* n) {
      if (n->kind != NodeKind::Assign && n->kind != NodeKind::ValueSpec) return true;
      const Node* lhs = n->kind == NodeKind::Assign ? n->kid(0) : n->kid(1);
      const Node* rhs = n->kind == NodeKind::Assign ? n->kid(1) : n->kid(2);
      if (!lhs || !rhs || !lhs->kid(0) || !rhs->kid(0) || lhs->kid(0)->kind != NodeKind::Ident) return true;
      int var = r.var_of(lhs->kid(0));
      const Node* call = go::unparen(rhs->kid(0));
      if (var < 0 || !call || call->kind != NodeKind::Call) return true;
      const go::Callee& c = r.callee(call);
      // a datagram socket has no peer to wait for: only stream dials (a TCP literal, or Accept)
      bool datagram = (c.name == "Dial" || c.name == "DialTimeout" || c.name == "DialContext") &&
                       !tmo::tcp_literal(call->kid(c.name == "DialContext" ? 2 : 1));
      if (acquires(c) && !datagram) {
        ConnVar& cv = fi.conns[var];
        cv.local = true;
        cv.name = lhs->kid(0)->text;
        alias[var] = var;
      } else if (is_wrapper(c)) {
        int rt = root(r, call->kid(1), alias);
        if (rt >= 0) alias[var] = rt;
      }
      return true;
    });
    if (fi.conns.empty()) return;
    go::walk_ancestors(body, true, [&](const Node* n, const std::vector<const Node*>& up) {
      if (n->kind != NodeKind::Call) return true;
      const go::Callee& c = r.callee(n);
      const Node* fun = n->kid(0);
      std::string_view method = fun && fun->kind == NodeKind::Selector ? go::ident_name(fun->kid(1)) : "";
      int rt = fun && fun->kind == NodeKind::Selector ? root(r, fun->kid(0), alias) : -1;
      if (rt >= 0 && (method == "SetDeadline" || method == "SetReadDeadline" || method == "SetWriteDeadline")) {
        fi.conns[rt].deadline = true;
        return true;
      }
      // a watcher that closes the conn (a goroutine, time.AfterFunc) unblocks any read
      if (rt >= 0 && method == "Close") {
        bool watcher = false;
        for (size_t i = up.size(); i-- > 0;) {
          if (up[i]->kind != NodeKind::FuncLit) continue;
          const Node* p = i > 0 ? up[i - 1] : nullptr;
          if (p && p->kind == NodeKind::Call) {
            const Node* g = i > 1 ? up[i - 2] : nullptr;
            const go::Callee& pc = r.callee(p);
            watcher = (g && g->kind == NodeKind::Go && p->kid(0) == up[i]) || (pc.pkg == "time" && pc.name == "AfterFunc");
          }
          break;
        }
        if (watcher) fi.conns[rt].deadline = true;
        return true;
      }
      // the innermost loop in the same function literal as the call
      const Node* loop = go::innermost_loop(up, n);
      if (loop)
        for (size_t i = up.size(); i-- > 0 && up[i] != loop;)
          if (up[i]->kind == NodeKind::FuncLit) loop = nullptr;
      if (rt >= 0 && is_op(method)) {
        if (loop) fi.conns[rt].ops.push_back({n, loop});
        return true;
      }
      if (c.kind == go::Callee::Kind::Library && c.pkg == "io" && (c.name == "Copy" || c.name == "ReadAll" || c.name == "CopyBuffer")) {
        // the source blocks first: name it
        for (uint32_t i = n->nkids; i-- > 1;) {
          int a = root(r, n->kids[i], alias);
          if (a >= 0) {
            fi.conns[a].ops.push_back({n, loop});
            break;
          }
        }
        return true;
      }
      if (c.kind == go::Callee::Kind::Module && c.pkg == r.ctx().pkg_path)
        for (uint32_t i = 1; i < n->nkids; ++i) {
          const Node* a = go::unparen(n->kids[i]);
          int var = a && a->kind == NodeKind::Ident ? r.var_of(a) : -1;
          auto it = fi.conns.find(var);
          if (it != fi.conns.end()) fi.passes.emplace_back(tmo::callee_key(c), static_cast<int>(i - 1), var);
          else if (var >= 0 && alias.count(var) == 0 && conn_type(r.type_of(a)))
            fi.passes.emplace_back(tmo::callee_key(c), static_cast<int>(i - 1), -1 - var);  // a conn of unknown origin
        }
      return true;
    });
  }
};

}  // namespace

const Rule& conn_deadline_rule() {
  static const ConnDeadline r;
  return r;
}

}  // namespace leakhound::rules
