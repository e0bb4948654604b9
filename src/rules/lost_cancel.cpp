// lost-cancel: the cancel func of context.WithCancel/WithTimeout/WithDeadline not called on some path.
#include "rules/leak_text.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

constexpr std::string_view kDoc = R"(# lost-cancel

**Resource:** the cancel func of `context.WithCancel`, `WithTimeout`, `WithDeadline` (and their `Cause` variants) · **Default severity:** warning · **Go versions:** all

## What it finds
A cancel function that is not called on some path from the call that returned
it to an exit of the function, or that is thrown away with `_`. Calling it
directly, deferring it, calling it from a deferred closure, returning it,
storing it, sending it, passing it to any function (`t.Cleanup(cancel)`,
`time.AfterFunc(d, cancel)`, a helper) or capturing it in a goroutine or
closure that calls it all count.

Unlike `go vet`'s lostcancel, a mere mention is not a call: `_ = cancel`,
`if cancel != nil { ... }` or logging it leave the context alive and are
reported. Paths that end the process or the test (`log.Fatal`, `os.Exit`,
`panic`, `t.Fatal`) are not.

## Why it matters
Until it is cancelled, a derived context stays registered with its parent
(a child entry in the parent's map, or a goroutine per `WithCancel` on a
foreign parent) and a `WithTimeout`/`WithDeadline` keeps its timer until the
deadline. Derived from a long-lived context (a server's base context, a
request's context held by a stream), each forgotten cancel is memory that is
not freed, and work tied to the context is never told to stop. A `WithCancel`
directly on `context.Background()` or `TODO()` registers nothing (those are
never cancelled): it is reported at severity info, as a broken contract.

A path that waits for the context to end (`<-ctx.Done()`) needs no cancel.

## Example
```go
func lookup(ctx context.Context, r *net.Resolver, host string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if host == "" {
		return nil, errors.New("empty host") // cancel is never called
	}
	defer cancel()
	return r.LookupHost(ctx, host)
}
```

## Use instead
```go
func lookup(ctx context.Context, r *net.Resolver, host string) ([]string, error) {
	if host == "" {
		return nil, errors.New("empty host")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return r.LookupHost(ctx, host)
}
```

## Fix
Write `defer cancel()` on the line after the call. When the context must outlive
the function, hand the cancel func to whoever owns the context's lifetime (return
it, store it next to the context) and call it there.

## Not reported
- cancel funcs returned, stored, or passed to any function (which may call them);
- leaks in `main.main` and `_test.go` files are reported at severity info.

Suppress one finding with `//leakhound:ignore lost-cancel reason` on the line or the line above.
)";

class LostCancel final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"lost-cancel", "context cancel func not called on some path", report::Severity::Warning,
                            true, kDoc};
    return i;
  }
  void describe(const flow::Leak& leak, const LeakSite&, report::Finding& f) const override {
    describe_leak(leak, "called", "cancel", f);
    // WithCancel on Background/TODO registers nothing with the parent (it can never be
    // cancelled): the contract is broken, but nothing is held.
    const go::Node* call = leak.acq.call;
    const go::Node* parent = call && call->nkids >= 2 ? go::unparen(call->kid(1)) : nullptr;
    const go::Node* pf = parent && parent->kind == go::NodeKind::Call ? go::unparen(parent->kid(0)) : nullptr;
    std::string_view pname = pf && pf->kind == go::NodeKind::Selector ? go::ident_name(pf->kid(1)) : "";
    if (leak.acq.via.ends_with("WithCancel") && pf && go::ident_name(go::unparen(pf->kid(0))) == "context" &&
        (pname == "Background" || pname == "TODO")) {
      f.severity = report::Severity::Info;
      f.message += " (its parent is context." + std::string(pname) +
                   "(), which is never cancelled: nothing is held, but the contract is broken)";
    }
  }
};

}  // namespace

const Rule& lost_cancel_rule() {
  static const LostCancel r;
  return r;
}

}  // namespace leakhound::rules
