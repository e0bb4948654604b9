// server-timeout: an HTTP server without ReadHeaderTimeout or ReadTimeout.
#include <fmt/format.h>

#include <cctype>

#include "golang/walk.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# server-timeout

**Default severity:** warning · **Go versions:** all

## What it finds
An HTTP server started without a read timeout: the package functions
`http.ListenAndServe`, `http.ListenAndServeTLS`, `http.Serve` and `http.ServeTLS`
(they serve with a zero `http.Server` and cannot take timeouts), and
`ListenAndServe`/`ListenAndServeTLS`/`Serve`/`ServeTLS` on an `http.Server` that
never gets `ReadHeaderTimeout` or `ReadTimeout`: built in the function (and not
assigned one before it serves), in a struct field (every assignment of the field
in the package is looked at), or by a factory function of the package or of another package of the module.

## Why it matters
A server without a read timeout waits for a request's headers forever. A client
that opens connections and sends headers a byte at a time, or never (Slowloris,
a broken load balancer health check, a mobile client that lost its network),
holds a connection, a goroutine and a file descriptor each; enough of them and
the process hits its descriptor limit and stops accepting anyone.

## Example
```go
func main() {
	http.HandleFunc("/", index)
	log.Fatal(http.ListenAndServe(":8080", nil)) // no timeouts possible
}
```

## Use instead
```go
func main() {
	http.HandleFunc("/", index)
	srv := &http.Server{
		Addr:              ":8080",
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	log.Fatal(srv.ListenAndServe())
}
```

## Fix
Serve through an `http.Server` with `ReadHeaderTimeout` (the one that stops
slow headers); set `ReadTimeout`, `WriteTimeout` and `IdleTimeout` to what your
traffic needs (streaming handlers may need a per-request
`http.ResponseController` deadline instead of `WriteTimeout`).

## Not reported
- servers with `ReadHeaderTimeout` or `ReadTimeout`, in the literal or assigned before serving (also on a struct field);
- servers that come from parameters or other packages, or live in exported struct fields (callers set those:
  `httptest.Server.Config`); `httptest` servers; servers on in-process listeners (`NewInmemoryListener`, pipes);
- `Shutdown`/`Close` (they do not serve).

Suppress one finding with `//leakhound:ignore server-timeout reason` on the line or the line above.
)";

bool serving(std::string_view n) {
  return n == "ListenAndServe" || n == "ListenAndServeTLS" || n == "Serve" || n == "ServeTLS";
}

// An in-process listener (fasthttputil.NewInmemoryListener, a pipe listener): only the process's own clients
// can connect, so no slow client exists.
bool in_memory_listener(const go::Resolver& r, const Node* body, const Node* l) {
  auto named_in_memory = [&](const Node* call) {
    call = go::unparen(call);
    if (!call || call->kind != NodeKind::Call) return false;
    std::string name = r.callee(call).name;
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return name.find("inmemory") != std::string::npos || name.find("memory") != std::string::npos ||
           name.find("pipe") != std::string::npos;
  };
  l = go::unparen(l);
  if (!l) return false;
  if (named_in_memory(l)) return true;
  int var = l->kind == NodeKind::Ident ? r.var_of(l) : -1;
  if (var < 0) return false;
  return go::any_node(body, [&](const Node* n) {
    if (n->kind != NodeKind::Assign || !n->kid(0) || !n->kid(1)) return false;
    for (uint32_t i = 0; i < n->kid(0)->nkids && i < n->kid(1)->nkids; ++i)
      if (go::ident_name(n->kid(0)->kid(i)).size() && r.var_of(n->kid(0)->kid(i)) == var && named_in_memory(n->kid(1)->kid(i)))
        return true;
    if (n->kid(1)->nkids == 1 && n->kid(0)->nkids > 1 && r.var_of(n->kid(0)->kid(0)) == var && named_in_memory(n->kid(1)->kid(0)))
      return true;
    return false;
  });
}

class ServerTimeout final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"server-timeout",
                            "an HTTP server without ReadHeaderTimeout or ReadTimeout: slow clients hold connections forever",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    std::optional<tmo::PackageIndex> own;
    const tmo::PackageIndex& servers = tmo::index_for(pv, tmo::server_kind(), own);
    for (const FunctionView* v : tmo::top_level(pv)) {
      const go::Resolver& r = *v->resolver;
      go::walk(go::func_body(v->func), [&](const Node* n) {
        if (n->kind != NodeKind::Call) return true;
        const go::Callee& c = r.callee(n);
        if (c.kind != go::Callee::Kind::Library || c.pkg != "net/http" || !serving(c.name)) return true;
        if (c.name.starts_with("Serve") && in_memory_listener(r, go::func_body(v->decl), n->kid(1))) return true;
        std::string msg;
        if (c.recv.empty()) {
          msg = fmt::format("http.{} serves with a zero http.Server, which has no ReadHeaderTimeout or ReadTimeout: "
                            "a client that sends its headers slowly, or never, holds a connection and a goroutine "
                            "forever (Slowloris), until the process runs out of file descriptors",
                            c.name);
        } else if (c.recv == "net/http.Server" && n->kid(0) && n->kid(0)->kind == NodeKind::Selector) {
          tmo::Origin o = servers.classify(*v, n->kid(0)->kid(0), n);
          if (o.bound != tmo::Bound::Unbounded) return true;
          msg = fmt::format("{} serves with {}, which has no ReadHeaderTimeout or ReadTimeout: a client that sends its "
                            "headers slowly, or never, holds a connection and a goroutine forever (Slowloris)",
                            c.name, o.what);
        } else {
          return true;
        }
        report::Finding f = tmo::finding_in(*this, *v, n, false);
        f.message = std::move(msg);
        f.fix = "serve through &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second} and set "
                "ReadTimeout, WriteTimeout and IdleTimeout for your traffic";
        out.push_back(std::move(f));
        return true;
      });
    }
  }
};

}  // namespace

const Rule& server_timeout_rule() {
  static const ServerTimeout r;
  return r;
}

}  // namespace leakhound::rules
