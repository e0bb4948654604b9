// conn-close: a network connection or listener not closed on some path.
#include "rules/leak_text.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

constexpr std::string_view kDoc = R"(# conn-close

**Resource:** `net.Conn`, `*tls.Conn`, `net.Listener`, `net.PacketConn` · **Default severity:** warning · **Go versions:** all

## What it finds
A connection or listener that is not closed on some path from the call that
opened it to an exit of the function: `net.Dial*`, `(*net.Dialer).Dial/DialContext`,
`Listener.Accept`, `AcceptTCP`, `net.Listen*`, `(*net.ListenConfig).Listen`,
`tls.Dial`, `tls.DialWithDialer`, `(*tls.Dialer).DialContext`, `tls.Client`,
`tls.Server`, `tls.Listen`, `tls.NewListener`, or a function of your module that
returns a fresh one. Typical leaks: an early return after a failed handshake or
write, a `continue` in an accept loop, a retry loop that dials again without
closing the previous attempt, a connection dialled and thrown away with `_`.

Hand-offs are not leaks: returning the connection, storing it in a field, map or
slice, sending it on a channel, wrapping it in a struct literal, passing it to
a goroutine or function of your module that closes or keeps it (the accept-loop
idiom `go handle(conn)`), or to `tls.Client`/`tls.Server`/`tls.NewListener`/
`http.Serve`, which take ownership.

## Why it matters
Every unclosed connection keeps a file descriptor and a socket (and, on the
server side, the peer waiting); every unclosed listener keeps its port bound.
Services that leak one connection per failed request run out of descriptors
(`accept: too many open files`) or fill the peer's connection limits; `ss -tanp`
shows the pile-up in ESTABLISHED or CLOSE_WAIT.

## Example
```go
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err // leaks conn
	}
	return conn.Close()
}
```

## Use instead
```go
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte("PING\r\n"))
	return err
}
```

## Fix
Add `defer conn.Close()` right after the error check. In an accept loop, make
the per-connection handler close what it is given (`defer c.Close()` at its top).
In a retry loop, close each failed attempt before dialling again.

## Not reported
- connections returned, stored, sent, or passed to code that closes or keeps them;
- calls on a receiver whose type cannot be known from the source;
- leaks in `main.main` and `_test.go` files are reported at severity info.

Suppress one finding with `//leakhound:ignore conn-close reason` on the line or the line above.
)";

class ConnClose final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"conn-close", "network connection or listener not closed on some path",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  void describe(const flow::Leak& leak, const LeakSite&, report::Finding& f) const override {
    describe_leak(leak, "closed", leak.acq.type->id == "net-listener" ? "ln" : "conn", f);
  }
};

}  // namespace

const Rule& conn_close_rule() {
  static const ConnClose r;
  return r;
}

}  // namespace leakhound::rules
