// body-close: an HTTP response body that is not closed on some path.
#include <fmt/format.h>

#include "rules/rule.h"

namespace leakhound::rules {
namespace {

constexpr std::string_view kDoc = R"(# body-close

**Resource:** `*http.Response` bodies · **Default severity:** warning · **Go versions:** all

## What it finds
An HTTP response whose `Body` is not closed on some path from the call that
returned it (`http.Get`, `Client.Do`, `Transport.RoundTrip`, ... or a function
of your module that returns a fresh response) to an exit of the function: an
early return after a status check, a branch that forgets the close, a `continue`
in a loop, a retry loop that overwrites the previous response, or a response
thrown away with `_` or never assigned at all.

The analysis follows every path. It knows that on the `if err != nil` branch
right after the call nothing was acquired, that `panic`, `os.Exit`, `log.Fatal`
and `t.Fatal` end a path, and it accepts every way real code hands the duty on:
a deferred close (also in a deferred closure), a helper of your module that
closes its parameter (also through other helpers), an alias (`body := resp.Body`),
returning the response, storing it in a field, map, slice or global, sending it
on a channel, or passing it to a goroutine or constructor that keeps it.

## Why it matters
Until the body is closed, the TCP (or HTTP/2 stream) connection behind it stays
checked out of the `http.Transport` pool: it cannot be reused, and with every
leaked response the process keeps one more socket and two goroutines (the
transport's read and write loops). Services die of this slowly: file
descriptors run out, `ss` shows thousands of ESTABLISHED connections to a
backend, and goroutine counts climb with traffic.

## Example
```go
func fetchUser(c *http.Client, url string) (*User, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode) // leaks resp.Body
	}
	defer resp.Body.Close()
	var u User
	return &u, json.NewDecoder(resp.Body).Decode(&u)
}
```

## Use instead
```go
func fetchUser(c *http.Client, url string) (*User, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close() // right after the error check: every path closes
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body) // drain so the connection is reused
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var u User
	return &u, json.NewDecoder(resp.Body).Decode(&u)
}
```

## Fix
Put `defer resp.Body.Close()` immediately after the error check. When the body
may be left unread, drain it first (`io.Copy(io.Discard, resp.Body)`) so the
connection goes back to the pool. In a retry loop, close each failed response
before trying again.

## Not reported
- the response is returned, stored, sent, or passed to code that keeps or closes it;
- responses from `httptest.ResponseRecorder.Result()`;
- calls on a receiver whose type cannot be known from the source;
- leaks in `main.main` and `_test.go` files are reported at severity info;
- responses to HEAD requests are reported at severity info: they have no body and net/http
  returns their connection to the pool at once, so not closing them breaks the documented
  contract without leaking;
- responses from a module function that swaps the body (`resp.Body = io.NopCloser(buf)`, as SDKs
  do after draining error responses) are not treated as fresh: the caller may hold a released one.

Suppress one finding with `//leakhound:ignore body-close reason` on the line or the line above.
)";

// http.Head(u) or client.Head(u): the library's Head (module wrappers are not HEAD requests).
bool is_head_call(const go::Node* call) {
  const go::Node* fun = go::unparen(call->kid(0));
  return fun && fun->kind == go::NodeKind::Selector && go::ident_name(fun->kid(1)) == "Head";
}

class BodyClose final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"body-close", "HTTP response body not closed on some path", report::Severity::Warning, true, kDoc};
    return i;
  }

  void describe(const flow::Leak& leak, const LeakSite&, report::Finding& f) const override {
    const auto& a = leak.acq;
    uint32_t at = a.call ? a.call->line : 0;
    std::string h = leak.var_name.empty() ? std::string("resp.Body") : leak.var_name + ".Body";
    switch (leak.path) {
      case flow::Leak::Path::Return:
        f.message = fmt::format("{} from {} (line {}) is not closed when the function returns at line {}{}", h,
                                a.via, at, leak.line,
                                leak.released_elsewhere ? " (it is closed only on other paths)" : "");
        f.fix = leak.released_elsewhere
                    ? fmt::format("move the close up: `defer {}.Close()` right after the error check, before line {}",
                                  h, leak.line)
                    : fmt::format("add `defer {}.Close()` right after the error check", h);
        break;
      case flow::Leak::Path::EndOfFunction:
        f.message = fmt::format("{} from {} (line {}) is not closed when the function ends at line {}{}", h, a.via,
                                at, leak.line, leak.released_elsewhere ? " (it is closed only on other paths)" : "");
        f.fix = fmt::format("add `defer {}.Close()` right after the error check", h);
        break;
      case flow::Leak::Path::Overwritten:
        if (leak.line == at)
          f.message = fmt::format(
              "{} from {} (line {}) is not closed before the next loop iteration acquires a new response", h, a.via,
              at);
        else
          f.message = fmt::format("{} from {} (line {}) is not closed before `{}` is overwritten at line {}", h,
                                  a.via, at, leak.var_name, leak.line);
        f.fix = fmt::format("close the previous body before retrying: `{}.Close()` on the failure path", h);
        break;
      case flow::Leak::Path::HandleReplaced:
        f.message = fmt::format("{} from {} (line {}) is replaced at line {} before the original body is closed", h,
                                a.via, at, leak.line);
        f.fix = fmt::format("close (or wrap) the original: `{}.Close()` before replacing it", h);
        break;
      case flow::Leak::Path::DiscardedBlank:
        f.message = fmt::format("the response from {} is discarded with `_`: its body can never be closed", a.via);
        f.fix = "assign it (`resp, err := ...`) and add `defer resp.Body.Close()` after the error check";
        break;
      case flow::Leak::Path::DiscardedUnused:
        f.message = fmt::format("the response from {} is never used: its body can never be closed", a.via);
        f.fix = "assign it (`resp, err := ...`) and add `defer resp.Body.Close()` after the error check";
        break;
    }
    if (!a.module_wrapper && a.call && is_head_call(a.call)) {
      // A HEAD response has no body: net/http returns its connection to the pool at once.
      f.severity = report::Severity::Info;
      f.message += " (a HEAD response holds no connection: this breaks the documented contract, it does not leak)";
    }
    f.related.push_back({std::string(), leak.line, 0, "leaking path ends here"});
  }
};

}  // namespace

const Rule& body_close_rule() {
  static const BodyClose r;
  return r;
}

}  // namespace leakhound::rules
