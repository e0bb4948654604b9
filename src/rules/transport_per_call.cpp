// transport-per-call: an http.Transport (or a Client with a new Transport) built per call and dropped.
#include <fmt/format.h>

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
- transports and clients returned, stored, or passed to code that keeps them;
- `main.main`, `init` and the function literals in them (they run once);
- clients without a Transport of their own (`&http.Client{Timeout: t}` shares `http.DefaultTransport`);
- `_test.go` files are reported at severity info.

Suppress one finding with `//leakhound:ignore transport-per-call reason` on the line or the line above.
)";

class TransportPerCall final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"transport-per-call", "http.Transport built per call and dropped with its connections",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool applies(const LeakSite& s) const override {
    std::string_view f = s.function;
    if (f.starts_with("func literal in ")) f.remove_prefix(16);
    return !(s.in_main || f == "main" || f == "init");
  }
  void describe(const flow::Leak& leak, const LeakSite& site, report::Finding& f) const override {
    const auto& a = leak.acq;
    if (leak.kept_elsewhere || leak.released_elsewhere) {
      // kept on another path (a constructor's early error return drops an unused transport): not per call
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
