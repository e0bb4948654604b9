// transport-per-call: an http.Transport (or a Client with a new Transport) built per call and dropped.
#include <fmt/format.h>

#include "golang/walk.h"
#include "rules/leak_text.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

constexpr std::string_view kDoc = R"(# transport-per-call

**Resource:** `*http.Transport` built by a literal or `Clone()` · **Default severity:** warning · **Go versions:** all

## What it finds
A new `http.Transport` (`&http.Transport{...}`, `http.Transport{...}`, or
`http.DefaultTransport.(*http.Transport).Clone()`), or an `http.Client` built
around one, made inside a function that does not keep it: it is not returned
(also inside a client or struct), not stored in a field, package variable, map
or slice, not passed to a function of your module that keeps it, and neither
the transport's nor the client's `CloseIdleConnections` is called. The
transport is then dropped when the function returns, with its connections.

## Why it matters
A Transport is a connection pool: it keeps idle keep-alive connections open
(with a read and a write goroutine each) for reuse by the *same* Transport.
Built per call, every call dials afresh (a TCP and often a TLS handshake) and
leaves its idle connections behind until the server or `IdleConnTimeout`
(none by default in a literal) closes them: file descriptors and goroutines
grow with traffic, and the peer sees a storm of new connections.

## Example
```go
func fetch(url string) ([]byte, error) {
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 10}, // a new pool per call
		Timeout:   5 * time.Second,
	}
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
```

## Use instead
```go
var client = &http.Client{
	Transport: &http.Transport{MaxIdleConnsPerHost: 10}, // one pool, shared
	Timeout:   5 * time.Second,
}

func fetch(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
```

## Fix
Build the Transport (or the Client) once and share it: a package variable, a
field set by a constructor, or a parameter. When a one-off client is really
wanted, `defer client.CloseIdleConnections()`.

## Not reported
- transports and clients returned, stored, or passed to code that keeps them (on any path);
- `main.main`, `init`, the function literals in them and CLI command actions (`Action:`, `Run:`, `RunE:`): they run once;
- `_test.go` files (a transport per test dies with the test);
- transports from a function of your module (it may configure them not to pool: only literals and `Clone()` are
  judged);
- transports that pool nothing (`DisableKeepAlives: true`, `MaxIdleConnsPerHost: -1`) or through which no
  request is sent in the function (only their `Dial` is used);
- clients without a Transport of their own (`&http.Client{Timeout: t}` shares `http.DefaultTransport`).

Suppress one finding with `//leakhound:ignore transport-per-call reason` on the line or the line above.
)";

using go::Node;
using go::NodeKind;

bool negative_or_true(const Node* v, std::string_view field) {
  v = go::unparen(v);
  if (!v) return false;
  if (field == "DisableKeepAlives") return go::ident_name(v) == "true";
  return v->kind == NodeKind::Unary && v->text == "-";  // MaxIdleConnsPerHost: -1 disables idle pooling
}

// Does the transport keep idle connections? Not with DisableKeepAlives: true or
// MaxIdleConnsPerHost: -1, in the literal or assigned later in the function.
bool pools_connections(const Node* literal, const LeakSite& site) {
  auto off = [](const Node* key, const Node* value) {
    std::string_view k = go::ident_name(key);
    return (k == "DisableKeepAlives" || k == "MaxIdleConnsPerHost") && negative_or_true(value, k);
  };
  const Node* lit = go::unparen(literal);
  if (lit && lit->kind == NodeKind::Unary) lit = go::unparen(lit->kid(0));
  if (lit && lit->kind == NodeKind::CompositeLit)
    for (uint32_t i = 1; i < lit->nkids; ++i) {
      const Node* kv = lit->kids[i];
      if (kv && kv->kind == NodeKind::KeyValue && off(kv->kid(0), kv->kid(1))) return false;
    }
  const Node* body = site.func ? go::func_body(site.func) : nullptr;
  return !go::any_node(body, [&](const Node* n) {
    if (n->kind != NodeKind::Assign || !n->kid(0) || !n->kid(1) || n->kid(0)->nkids != n->kid(1)->nkids) return false;
    for (uint32_t i = 0; i < n->kid(0)->nkids; ++i) {
      const Node* l = go::unparen(n->kid(0)->kids[i]);
      if (l && l->kind == NodeKind::Selector && off(l->kid(1), n->kid(1)->kids[i])) return true;
    }
    return false;
  });
}

// Does the function send requests through an http.Client or Transport (or hand one to code that may)?
bool sends_requests(const LeakSite& site) {
  if (!site.func || !site.resolver) return true;
  const go::Resolver& r = *site.resolver;
  auto http_type = [&](const Node* e) {
    std::string t = r.type_of(e);
    return t == "*net/http.Client" || t == "net/http.Client" || t == "*net/http.Transport" ||
           t == "net/http.Transport" || t == "net/http.RoundTripper";
  };
  return go::any_node(go::func_body(site.func), [&](const Node* n) {
    if (n->kind != NodeKind::Call) return false;
    const Node* fun = go::unparen(n->kid(0));
    if (fun && fun->kind == NodeKind::Selector) {
      std::string_view m = go::ident_name(fun->kid(1));
      if ((m == "Do" || m == "Get" || m == "Post" || m == "PostForm" || m == "Head" || m == "RoundTrip") &&
          http_type(fun->kid(0)))
        return true;
    }
    for (uint32_t i = 1; i < n->nkids; ++i) {
      const Node* a = go::unparen(n->kids[i]);
      if (a && a->kind == NodeKind::Ident && http_type(a)) return true;
    }
    return false;
  });
}

class TransportPerCall final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"transport-per-call", "http.Transport built per call and dropped with its connections",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  // Run-once code and tests (a per-test transport dies with the test) are not per call.
  bool applies(const LeakSite& s) const override { return !main_like(s) && !s.in_test; }
  void describe(const flow::Leak& leak, const LeakSite& site, report::Finding& f) const override {
    const auto& a = leak.acq;
    if (a.module_wrapper || leak.kept_elsewhere || leak.released_elsewhere || !pools_connections(a.call, site) ||
        !sends_requests(site)) {
      // kept on another path (a constructor's early error return drops an unused transport), keep-alives
      // off, or no request ever goes through it (only its Dial field is used): nothing is stranded
      f.message.clear();
      return;
    }
    std::string h = handle_of(leak, "client");
    uint32_t at = a.call ? a.call->line : 0;
    if (leak.path == flow::Leak::Path::Overwritten) {
      f.message = fmt::format("a new http.Transport (line {}) is built on every loop iteration and the previous one "
                              "is dropped with its idle connections",
                              at);
    } else {
      f.message = fmt::format("a new http.Transport (line {}) is built on every call of {} and dropped when it "
                              "returns (line {}): its idle connections and their goroutines stay behind",
                              at, site.function, leak.line);
    }
    f.fix = fmt::format("build the Transport once and share it (a package variable, or a field set by a "
                        "constructor); for a deliberate one-off client, `defer {}.CloseIdleConnections()`",
                        h);
    f.related.push_back({std::string(), leak.line, 0, "the transport is dropped here"});
  }
};

}  // namespace

const Rule& transport_per_call_rule() {
  static const TransportPerCall r;
  return r;
}

}  // namespace leakhound::rules
