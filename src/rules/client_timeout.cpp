// client-timeout: an HTTP request whose client has no timeout and whose context has no deadline.
#include <fmt/format.h>

#include "golang/walk.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# client-timeout

**Default severity:** warning · **Go versions:** all

## What it finds
An outgoing HTTP request that nothing bounds in time: its client has no
`Timeout` and its context has no deadline. Clients without a timeout are
`http.DefaultClient` (behind `http.Get`, `http.Head`, `http.Post`,
`http.PostForm`), and `http.Client` values built without `Timeout` in the
function, in a package variable, in a struct field (every assignment of the
field in the package is looked at) or by a factory function of the package
or of another package of the module, when no `c.Timeout = ...` follows. A request has no deadline when it
is built with `http.NewRequest`, or with a context from `context.Background()`,
`context.TODO()` or `WithCancel` of those.

## Why it matters
`http.DefaultClient` waits forever. A server that accepts the connection and
never answers, a proxy that stalls, a response body that stops half way: the
call blocks, with its goroutine, its connection and whatever it holds (locks,
request slots, database rows) for the life of the process. Under load these
pile up until memory, file descriptors or a worker pool run out.

## Example
```go
func fetchPrice(sku string) (*Price, error) {
	resp, err := http.Get("https://prices.internal/v1/" + sku) // no timeout at all
	...
}
```

## Use instead
```go
var client = &http.Client{Timeout: 10 * time.Second}

func fetchPrice(ctx context.Context, sku string) (*Price, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://prices.internal/v1/"+sku, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	...
}
```

## Fix
Give the client a `Timeout` (it bounds the whole exchange, body included), or
send the request with a context that has a deadline
(`context.WithTimeout`), ideally the caller's.

## Not reported
- a client with `Timeout`, set in the literal or assigned later (also on a struct field, anywhere in the package);
- a client whose `Transport` sets `ResponseHeaderTimeout`, or comes from a variable or a function (it may bound
  reads itself: deadline-setting dialers, custom round trippers); clients in exported struct fields (callers set them);
- requests cancelled through `req.Cancel`;
- tests and test helpers (they talk to servers they run themselves); `main`, `init`, CLI actions and `go run`
  programs are reported at severity info;
- a request whose context comes from `context.WithTimeout`/`WithDeadline`, from an incoming request
  (`r.Context()`), or from a parameter (the caller may bound it);
- clients and requests that come from parameters or from other packages (leakhound cannot see them).

Suppress one finding with `//leakhound:ignore client-timeout reason` on the line or the line above.
)";

bool simple_method(std::string_view n) { return n == "Get" || n == "Head" || n == "Post" || n == "PostForm"; }

class ClientTimeout final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"client-timeout", "an HTTP request with no client timeout and no context deadline: it can wait forever",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    std::optional<tmo::PackageIndex> own;
    const tmo::PackageIndex& clients = tmo::index_for(pv, tmo::client_kind(), own);
    for (const FunctionView* v : tmo::top_level(pv)) {
      // tests send to the servers they run (httptest, mocks), which answer on every path
      if (tmo::testing_code(*v)) continue;
      const go::Resolver& r = *v->resolver;
      go::walk(go::func_body(v->func), [&](const Node* n) {
        if (n->kind != NodeKind::Call) return true;
        const go::Callee& c = r.callee(n);
        if (c.kind != go::Callee::Kind::Library || c.pkg != "net/http") return true;
        std::string msg;
        if (c.recv.empty() && simple_method(c.name)) {
          msg = fmt::format("http.{} uses http.DefaultClient, which has no timeout, and sends the request without a "
                            "context: a server that accepts the connection and never answers (or stalls mid-body) "
                            "blocks this call and its goroutine forever",
                            c.name);
        } else if (c.recv == "net/http.Client" && (simple_method(c.name) || c.name == "Do") && n->kid(0) &&
                   n->kid(0)->kind == NodeKind::Selector) {
          tmo::Origin o = clients.classify(*v, n->kid(0)->kid(0), n);
          if (o.bound != tmo::Bound::Unbounded) return true;
          if (c.name == "Do") {
            if (tmo::request_bound(*v, n->kid(1)) != tmo::Bound::Unbounded) return true;
            msg = fmt::format("Do sends with {}, which has no Timeout, a request whose context has no deadline "
                              "(http.NewRequest, context.Background or TODO): a server that never answers blocks this "
                              "call and its goroutine forever",
                              o.what);
          } else {
            msg = fmt::format("{} sends with {}, which has no Timeout, and without a context: a server that never "
                              "answers blocks this call and its goroutine forever",
                              c.name, o.what);
          }
        } else {
          return true;
        }
        report::Finding f = tmo::finding_in(*this, *v, n, true);
        f.message = std::move(msg);
        f.fix = "give the client a Timeout (&http.Client{Timeout: 10 * time.Second}) or send the request with "
                "http.NewRequestWithContext(ctx, ...) where ctx has a deadline (context.WithTimeout)";
        out.push_back(std::move(f));
        return true;
      });
    }
  }
};

}  // namespace

const Rule& client_timeout_rule() {
  static const ClientTimeout r;
  return r;
}

}  // namespace leakhound::rules
