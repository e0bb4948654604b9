// sql-close: *sql.Rows, *sql.Stmt, *sql.Conn not closed, *sql.Tx neither committed nor rolled back.
#include "rules/leak_text.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

constexpr std::string_view kDoc = R"(# sql-close

**Resource:** `*sql.Rows`, `*sql.Stmt`, `*sql.Conn`, `*sql.Tx` · **Default severity:** warning · **Go versions:** all

## What it finds
- `*sql.Rows` from `Query`/`QueryContext` (on a DB, Tx, Conn or Stmt) not closed
  on some path. A `for rows.Next()` loop that runs to the end closes the rows
  itself, so `for rows.Next() { ... }; return rows.Err()` is fine; a `return`
  (or a `break` and then a return) from inside the loop is not.
- `*sql.Stmt` from `Prepare`/`PrepareContext` not closed on some path.
  Statements from `tx.Stmt` are closed with the transaction and are not tracked.
- `*sql.Conn` from `db.Conn` not closed on some path.
- `*sql.Tx` from `Begin`/`BeginTx` neither committed nor rolled back on some path.

Module functions that return one of these (or close, commit or roll back a
parameter) are followed through their summaries.

## Why it matters
Open rows, a dedicated `*sql.Conn` and an open transaction each hold one of the
pool's connections; a prepared statement holds server-side resources on every
connection it was prepared on. Leak a few and `db.Stats().InUse` climbs to
`MaxOpenConns`: every further query then blocks forever waiting for a
connection (`WaitCount` grows), and the service stalls with an idle database.
A transaction left open also keeps its locks.

## Example
```go
func names(db *sql.DB) ([]string, error) {
	rows, err := db.Query("SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err // leaks rows: the loop did not run to the end
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
```

## Use instead
```go
func names(db *sql.DB) ([]string, error) {
	rows, err := db.Query("SELECT name FROM users")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
```

## Fix
`defer rows.Close()` / `defer stmt.Close()` / `defer conn.Close()` right after the
error check. For a transaction, `defer tx.Rollback()` right after `Begin` and
`return tx.Commit()` at the end: the Rollback after a successful Commit does
nothing.

## Not reported
- values returned, stored, or passed to code that closes, commits or keeps them;
- `QueryRow` (its `Scan` releases the connection);
- leaks in `main.main` and `_test.go` files are reported at severity info.

Suppress one finding with `//leakhound:ignore sql-close reason` on the line or the line above.
)";

class SqlClose final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"sql-close", "sql rows, statement or conn not closed, transaction not ended, on some path",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  void describe(const flow::Leak& leak, const LeakSite&, report::Finding& f) const override {
    const std::string& id = leak.acq.type->id;
    if (id == "sql-tx") return describe_leak(leak, "committed or rolled back", "tx", f);
    describe_leak(leak, "closed", id == "sql-rows" ? "rows" : id == "sql-stmt" ? "stmt" : "conn", f);
  }
};

}  // namespace

const Rule& sql_close_rule() {
  static const SqlClose r;
  return r;
}

}  // namespace leakhound::rules
