// file-close: an *os.File not closed on some path.
#include "rules/leak_text.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

constexpr std::string_view kDoc = R"(# file-close

**Resource:** `*os.File` · **Default severity:** warning · **Go versions:** all

## What it finds
A file from `os.Open`, `os.Create`, `os.OpenFile`, `os.NewFile` or either end
of `os.Pipe` (or from a function of your module that returns a fresh one) that
is not closed on some path to an exit of the function: an early return after a
failed read, write or stat, a `continue` in a loop that opens one file per
iteration, a file opened and thrown away with `_`.

Passing the file to `io.Copy`, `bufio.NewScanner`, `json.NewDecoder` and other
readers does not close it. Returning it, storing it (a struct field, `cmd.Stdout`),
or passing it to a helper of your module that closes it does.

## Why it matters
Each open file holds a descriptor until the garbage collector happens to run its
finalizer, which may be never under a steady load. A server that leaks one per
request hits `too many open files`, and then cannot accept connections either:
sockets and files share the same descriptor limit.

## Example
```go
func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	s := bufio.NewScanner(f)
	if !s.Scan() {
		return "", errors.New("empty file") // leaks f
	}
	f.Close()
	return s.Text(), nil
}
```

## Use instead
```go
func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	if !s.Scan() {
		return "", errors.New("empty file")
	}
	return s.Text(), nil
}
```

## Fix
Add `defer f.Close()` right after the error check. For files you write, also
check the error of the final `Close` (`if err := f.Close(); err != nil`), since
that is where a failed write may surface.

## Not reported
- files returned, stored, or passed to code that closes or keeps them;
- leaks in `main.main` and `_test.go` files are reported at severity info.

Suppress one finding with `//leakhound:ignore file-close reason` on the line or the line above.
)";

class FileClose final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"file-close", "file not closed on some path", report::Severity::Warning, true, kDoc};
    return i;
  }
  void describe(const flow::Leak& leak, const LeakSite&, report::Finding& f) const override {
    describe_leak(leak, "closed", "f", f);
  }
};

}  // namespace

const Rule& file_close_rule() {
  static const FileClose r;
  return r;
}

}  // namespace leakhound::rules
