// dial-timeout: a network dial with no timeout.
#include <fmt/format.h>

#include "golang/types.h"
#include "golang/walk.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# dial-timeout

**Default severity:** warning · **Go versions:** all

## What it finds
A TCP dial that nothing bounds in time: `net.Dial("tcp", ...)`, `tls.Dial("tcp", ...)`,
`Dial`/`DialContext` and `tls.DialWithDialer` on a `net.Dialer` without `Timeout`
or `Deadline` (built in the function, in a package variable, in a struct field or
by a factory of the module) when the context has no deadline either, and gRPC dials
that block (`grpc.WithBlock()`) with neither `grpc.WithTimeout` nor a context
deadline.

## Why it matters
Without a timeout, connecting to an address that drops packets (a firewall, a
dead host behind a load balancer, a wrong port on a filtered network) waits for
the operating system: about two minutes on Linux, per attempt. A TLS dial then
waits for the handshake with no limit at all: a peer that accepts and says
nothing blocks forever. Meanwhile the caller's goroutine, and whatever request
it serves, hangs; retries multiply the wait.

## Example
```go
func ping(addr string) error {
	conn, err := net.Dial("tcp", addr) // up to ~2 minutes on a blackholed address
	...
}
```

## Use instead
```go
func ping(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	...
}
```

## Fix
Use `net.DialTimeout`, a `net.Dialer{Timeout: ...}`, or `DialContext` with a
context that has a deadline. For TLS, `tls.DialWithDialer(&net.Dialer{Timeout: ...}, ...)`
(the timeout covers the handshake too). For blocking gRPC dials, a context from
`context.WithTimeout` with `grpc.DialContext`.

## Not reported
- `unix` and `udp` dials, and networks that are not string literals (no handshake to wait for, or unknown);
- tests and test helpers (they dial listeners they just opened), and addresses taken from this process's own
  listeners or test servers (`ln.Addr().String()`, `ts.URL`);
- dialers with `Timeout` or `Deadline` (in the literal or assigned later), `DialContext` with a deadline or with a
  context parameter (the caller may bound it);
- non-blocking gRPC dials (without `grpc.WithBlock()`, `Dial` returns at once).

Suppress one finding with `//leakhound:ignore dial-timeout reason` on the line or the line above.
)";

// An address taken from a listener or test server of this process (`ln.Addr().String()`, `ts.URL`,
// `ts.Listener.Addr()`): the kernel answers at once.
bool local_address(const go::Resolver& r, const Node* call) {
  for (uint32_t i = 1; i < call->nkids; ++i)
    if (go::any_node(call->kids[i], [&](const Node* m) {
          // ln.Addr() (a call, not a config field named Addr), or a field of an httptest server
          if (m->kind == NodeKind::Call && m->kid(0) && m->kid(0)->kind == NodeKind::Selector &&
              go::ident_name(m->kid(0)->kid(1)) == "Addr")
            return true;
          return m->kind == NodeKind::Selector && go::strip_pointer(r.type_of(m->kid(0))) == "net/http/httptest.Server";
        }))
      return true;
  return false;
}

class DialTimeout final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"dial-timeout", "a TCP or TLS dial with no timeout: it waits for the OS (minutes) or forever",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    std::optional<tmo::PackageIndex> own;
    const tmo::PackageIndex& dialers = tmo::index_for(pv, tmo::dialer_kind(), own);
    constexpr std::string_view kOs = "waits for the operating system's connect timeout (about 2 minutes on Linux) "
                                     "when the address drops packets";
    for (const FunctionView* v : tmo::top_level(pv)) {
      // tests dial the listeners and httptest servers they just opened: the kernel answers at once
      if (tmo::testing_code(*v)) continue;
      const go::Resolver& r = *v->resolver;
      go::walk(go::func_body(v->func), [&](const Node* n) {
        if (n->kind != NodeKind::Call) return true;
        const go::Callee& c = r.callee(n);
        if (c.kind != go::Callee::Kind::Library) return true;
        std::string msg, fix;
        if (c.pkg == "net" && c.recv.empty() && c.name == "Dial" && tmo::tcp_literal(n->kid(1))) {
          msg = fmt::format("net.Dial has no timeout: it {}", kOs);
          fix = "use net.DialTimeout(\"tcp\", addr, 5*time.Second), or (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, ...)";
        } else if (c.pkg == "crypto/tls" && c.recv.empty() && c.name == "Dial" && tmo::tcp_literal(n->kid(1))) {
          msg = fmt::format("tls.Dial has no timeout: it {}, and then waits for the TLS handshake forever", kOs);
          fix = "use tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, ...) (the timeout covers the handshake)";
        } else if (c.pkg == "crypto/tls" && c.recv.empty() && c.name == "DialWithDialer") {
          tmo::Origin o = dialers.classify(*v, n->kid(1), n);
          if (o.bound != tmo::Bound::Unbounded) return true;
          msg = fmt::format("tls.DialWithDialer with {}, which has no Timeout or Deadline: it {}, and then waits for "
                            "the TLS handshake forever",
                            o.what, kOs);
          fix = "set Timeout on the dialer (&net.Dialer{Timeout: 10 * time.Second})";
        } else if (c.pkg == "net" && c.recv == "net.Dialer" && (c.name == "Dial" || c.name == "DialContext") &&
                   n->kid(0) && n->kid(0)->kind == NodeKind::Selector) {
          tmo::Origin o = dialers.classify(*v, n->kid(0)->kid(0), n);
          if (o.bound != tmo::Bound::Unbounded) return true;
          if (c.name == "DialContext" && tmo::context_bound(*v, n->kid(1)) != tmo::Bound::Unbounded) return true;
          msg = fmt::format("{} on {}, which has no Timeout or Deadline{}: it {}", c.name, o.what,
                            c.name == "DialContext" ? ", with a context that has no deadline" : "", kOs);
          fix = "set Timeout on the dialer (net.Dialer{Timeout: 5 * time.Second}) or dial with a context from "
                "context.WithTimeout";
        } else if (c.pkg == "google.golang.org/grpc" && c.recv.empty() && (c.name == "Dial" || c.name == "DialContext")) {
          if (n->has(Node::kEllipsis)) return true;  // options from a slice: unknown
          bool block = false, timeout = false;
          for (uint32_t i = 1; i < n->nkids; ++i) {
            const Node* a = go::unparen(n->kids[i]);
            if (!a || a->kind != NodeKind::Call) continue;
            const go::Callee& o = r.callee(a);
            if (o.pkg != "google.golang.org/grpc") continue;
            block = block || o.name == "WithBlock";
            timeout = timeout || o.name == "WithTimeout";
          }
          if (!block || timeout) return true;
          if (c.name == "DialContext" && tmo::context_bound(*v, n->kid(1)) != tmo::Bound::Unbounded) return true;
          msg = fmt::format("grpc.{} with grpc.WithBlock() and no timeout blocks until the connection is up: an "
                            "unreachable target blocks this call forever",
                            c.name);
          fix = "dial with grpc.DialContext(ctx, ...) where ctx comes from context.WithTimeout, or drop WithBlock and "
                "let RPC deadlines bound the wait";
        } else {
          return true;
        }
        if (local_address(r, n)) return true;
        report::Finding f = tmo::finding_in(*this, *v, n, true);
        f.message = std::move(msg);
        f.fix = std::move(fix);
        out.push_back(std::move(f));
        return true;
      });
    }
  }
};

}  // namespace

const Rule& dial_timeout_rule() {
  static const DialTimeout r;
  return r;
}

}  // namespace leakhound::rules
