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
(a goroutine per `WithCancel` on a foreign parent, a child entry in the
parent's map) and a `WithTimeout`/`WithDeadline` keeps its timer. Derived from
a long-lived context (a server's base context, `context.Background()`), each
forgotten cancel is memory that is never freed, and work tied to the context
is never told to stop.

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
  }
};

}  // namespace

const Rule& lost_cancel_rule() {
  static const LostCancel r;
  return r;
}

}  // namespace leakhound::rules
