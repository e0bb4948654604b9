// Control-flow graph of one function body (a FuncDecl or a FuncLit).
//
// Blocks hold "items" in execution order: simple statements, and the
// expressions that compound statements evaluate (an if's init statement, a
// range's operand, a switch tag, a select case's communication). A block whose
// `cond` is set branches: succs[0] when cond is true, succs[1] when false.
// Otherwise every successor is possible. Block `exit` is the single virtual
// exit; a block that reaches it either ends with a Return item or falls off
// the end of the body. Blocks ending in a no-return call (panic, os.Exit,
// log.Fatal, t.Fatal, ...) have no successors.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include "golang/ast.h"

namespace leakhound::flow {

struct Item {
  enum class Kind : uint8_t {
    Stmt,        // a simple statement (Assign, ExprStmt, Send, IncDec, Go, Defer, Return, DeclStmt, ...)
    Expr,        // an evaluated expression (switch tag, case value, range operand, type switch operand)
    RangeAssign  // the per-iteration assignment of a range loop: node is the Range statement
  };
  const go::Node* node = nullptr;
  Kind kind = Kind::Stmt;
};

struct BasicBlock {
  std::vector<Item> items;
  const go::Node* cond = nullptr;  // branch condition (true -> succs[0], false -> succs[1])
  std::vector<uint32_t> succs;
  bool noreturn = false;           // ends in a call that never returns
  bool reachable = true;           // false for code after return/break/goto with no label
};

struct Cfg {
  std::vector<BasicBlock> blocks;
  static constexpr uint32_t kEntry = 0;
  static constexpr uint32_t kExit = 1;
  const go::Node* body = nullptr;  // the Block
  uint32_t end_line = 0;           // the closing brace
  // Conditions the builder makes up: `switch x { case v: }` branches on `x == v`.
  // Held by pointer so their addresses survive moves of the graph (and the graph
  // stays nothrow-movable, so containers of graphs move rather than copy it).
  struct Synthetic {
    go::Node node;
    std::array<go::Node*, 2> kids{};
  };
  std::vector<std::unique_ptr<Synthetic>> synthetic;

  // Debug rendering (used by unit tests): "b0: [items] -> b2,b3".
  std::string dump() const;
};

struct CfgOptions {
  // Decides whether a call never returns (panic, os.Exit, log.Fatal, t.Fatal, ...).
  std::function<bool(const go::Node* call)> is_noreturn;
  // Decides whether a range operand is a channel that is never closed (`t.C` of a ticker, `time.Tick(d)`).
  std::function<bool(const go::Node* operand)> range_never_ends;
  int max_depth = 400;  // statement nesting beyond this aborts the build (real code stays far below)
};

struct CfgResult {
  Cfg cfg;
  bool ok = true;
  std::string error;
};

CfgResult build_cfg(const go::Node* body, const CfgOptions& opts);

// Can the function return (is the exit reachable from the entry)?
bool can_return(const Cfg& cfg);

// The default no-return test that needs no type information: panic(...),
// and methods named Fatal*, Panic*, FailNow, Skip*, Goexit on any receiver.
bool is_noreturn_by_name(const go::Node* call);

}  // namespace leakhound::flow
