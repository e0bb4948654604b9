// request-context: http.NewRequest where the caller's context is at hand.
#include <fmt/format.h>

#include "golang/walk.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# request-context

**Default severity:** warning · **Go versions:** all

## What it finds
`http.NewRequest` (which gives the request `context.Background()`) inside a
function that has the caller's context at hand: a named `context.Context`
parameter or an incoming `*http.Request`, in the function itself or in an
enclosing one (not across a `go` statement), when the request never gets a
context afterwards (`req.WithContext(ctx)`, `req.Clone(ctx)`).

## Why it matters
The caller's context carries its cancellation and deadline: a client that
disconnects, a request that times out, a shutdown. A request built with
`http.NewRequest` ignores all of them, so the outbound call keeps waiting (and
holding a connection and a goroutine) after nobody wants its answer; with a
client without `Timeout`, possibly forever.

## Example
```go
func (h *handler) proxy(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequest(http.MethodGet, h.upstream+r.URL.Path, nil) // r's cancellation is lost
	...
	resp, err := h.client.Do(req)
```

## Use instead
```go
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, h.upstream+r.URL.Path, nil)
```

## Fix
Build the request with `http.NewRequestWithContext(ctx, ...)`, passing the
caller's context (`ctx`, or `r.Context()` in a handler).

## Not reported
- functions with no context parameter and no incoming request (there is nothing to pass);
- a context parameter named `_` (ignored on purpose);
- requests given a context later with `WithContext` or `Clone`, handed to a helper together with a context
  (`ctxhttp.Do(ctx, client, req)`), or cancelled through `req.Cancel`;
- a `*http.Request` parameter counts as the caller's only in a handler (next to an `http.ResponseWriter`);
- inside `go func() { ... }()` (background work that may outlive the caller on purpose);
- `httptest.NewRequest`.

Suppress one finding with `//leakhound:ignore request-context reason` on the line or the line above.
)";

class RequestContext final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"request-context", "http.NewRequest where the caller's context is at hand: its cancellation is lost",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    for (const FunctionView* v : tmo::top_level(pv)) {
      const go::Resolver& r = *v->resolver;
      const Node* body = go::func_body(v->func);
      go::walk_ancestors(body, true, [&](const Node* n, const std::vector<const Node*>& up) {
        if (n->kind != NodeKind::Call) return true;
        const go::Callee& c = r.callee(n);
        if (c.kind != go::Callee::Kind::Library || c.pkg != "net/http" || !c.recv.empty() || c.name != "NewRequest")
          return true;
        std::string ctx = tmo::context_in_scope(*v, up, false);
        if (ctx.empty()) return true;
        // the request variable, when the call defines one: does it get a context later?
        int req = -1;
        if (up.size() >= 2 && up.back()->kind == NodeKind::ExprList) {
          const Node* s = up[up.size() - 2];
          const Node* lhs = s->kind == NodeKind::Assign ? s->kid(0) : s->kind == NodeKind::ValueSpec ? s->kid(1) : nullptr;
          if (lhs && lhs->kid(0) && lhs->kid(0)->kind == NodeKind::Ident) req = r.var_of(lhs->kid(0));
        }
        auto is_req = [&](const Node* x) {
          x = go::unparen(x);
          return x && x->kind == NodeKind::Ident && r.var_of(x) == req;
        };
        if (req >= 0 && go::any_node(body, [&](const Node* m) {
              // req.WithContext(ctx), req.Clone(ctx)
              if (m->kind == NodeKind::Call && m->kid(0) && m->kid(0)->kind == NodeKind::Selector) {
                std::string_view name = go::ident_name(m->kid(0)->kid(1));
                if ((name == "WithContext" || name == "Clone") && is_req(m->kid(0)->kid(0))) return true;
              }
              // a helper given the request and a context attaches one (ctxhttp.Do(ctx, c, req), api.Do(ctx, req))
              if (m->kind == NodeKind::Call) {
                bool has_req = false, has_ctx = false;
                for (uint32_t i = 1; i < m->nkids; ++i) {
                  has_req = has_req || is_req(m->kids[i]);
                  std::string t = r.type_of(m->kids[i]);
                  has_ctx = has_ctx || t == "context.Context";
                }
                if (has_req && has_ctx) return true;
              }
              // req.Cancel = ctx.Done(): the older way to cancel a request
              if (m->kind == NodeKind::Assign && m->kid(0))
                for (const Node* l : m->kid(0)->children()) {
                  l = go::unparen(l);
                  if (l && l->kind == NodeKind::Selector && go::ident_name(l->kid(1)) == "Cancel" && is_req(l->kid(0)))
                    return true;
                }
              return false;
            }))
          return true;
        report::Finding f = tmo::finding_in(*this, *v, n, true);
        f.message = fmt::format("http.NewRequest gives the request context.Background() although the caller's context "
                                "`{}` is at hand: when the caller gives up (client gone, deadline, shutdown), this "
                                "request keeps waiting and holds its connection and goroutine",
                                ctx);
        f.fix = fmt::format("use http.NewRequestWithContext({}, ...)", ctx);
        out.push_back(std::move(f));
        return true;
      });
    }
  }
};

}  // namespace

const Rule& request_context_rule() {
  static const RequestContext r;
  return r;
}

}  // namespace leakhound::rules
