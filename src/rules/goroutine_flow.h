// Shared analysis of the goroutine rules (goroutine-send-leak, goroutine-recv-leak,
// goroutine-no-exit, time-after-loop, lock-leak, waitgroup-leak): expression keys,
// path searches over a function's control-flow graph, the local channels a
// function makes and what its goroutines do with them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rules/rule.h"

namespace leakhound::rules::gor {

// The expression as written, normalised ("s.mu", "c.locks[i]", "!s.closed", "&wg"); "" when it holds
// something that has no stable text (a function literal, a composite literal) or nests too deep.
std::string expr_key(const go::Node* e);

// Where a search ends: a return (or the end of the function), or back at the statement it started from.
struct PathEnd {
  bool found = false;
  bool loops_back = false;  // reached the start statement again
  uint32_t line = 0;        // the return's line, the closing brace, or the start statement's line
  bool at_end = false;      // falls off the end of the function (no return statement)
};

// Searches the graph from just after the item holding `start` (a statement of the function: an item
// node, or the `go`/`defer`/expression statement itself) for a path to the exit on which no item and no
// branch condition satisfies `stops`. With `stop_at_self`, coming back to `start` also ends the search
// (a lock taken again). `start == nullptr` searches from the function's entry.
// With `returns_only`, only paths that end in a `return` statement count (not falling off the end).
PathEnd path_without(const flow::Cfg& cfg, const go::Node* start, const std::function<bool(const go::Node*)>& stops,
                     bool stop_at_self = false, bool returns_only = false);

// `<-x.Done()`: a receive from a context's (or any owner's) Done channel.
bool is_done_receive(const go::Node* unary);

// A call that never returns (panic, os.Exit, log.Fatal, runtime.Goexit, t.FailNow).
bool ends_goroutine(const go::Node* call);

// The labels declared inside a loop body (a `break L` to one of them stays in the loop).
std::unordered_set<std::string_view> labels_in(const go::Node* body);

// Does the `break`/`goto` branch leave the loop whose body declares `inner_labels`? `up` are the branch's
// ancestors below the loop body: an unlabelled break inside a nested for/switch/select leaves only that.
bool branch_leaves_loop(const go::Node* branch, const std::vector<const go::Node*>& up,
                        const std::unordered_set<std::string_view>& inner_labels);

// The function a `go` statement runs: the literal, or a function declared in the package.
struct GoTarget {
  const go::Node* go_stmt = nullptr;
  const go::Node* func = nullptr;          // FuncLit or FuncDecl (null: not visible)
  const FunctionView* view = nullptr;      // its view (graph), when analysed
  bool literal = false;
};

// Lookup tables of a package: function views by node, declarations by key.
struct PackageFuncs {
  std::unordered_map<const go::Node*, const FunctionView*> by_node;
  std::unordered_map<std::string, const FunctionView*> by_key;  // FuncDecls, by tmo::func_key
  explicit PackageFuncs(const PackageView& pv);
  GoTarget target(const FunctionView& v, const go::Node* go_stmt) const;
};

// A channel a function makes: `ch := make(chan T)`, `ch := make(chan T, 1)`.
struct Channel {
  int var = -1;
  const go::Node* make = nullptr;
  long cap = 0;                          // -1: a capacity that is not a literal (len(items), n): "enough"
  bool escapes = false;                  // used where the analysis cannot follow it
  // per goroutine literal the function starts (index into `goroutines`), what it does with the channel
  struct Use {
    const go::Node* go_stmt = nullptr;
    const go::Node* lit = nullptr;
    int blocking_sends = 0;              // sends that cannot give up (no other select case)
    bool send_in_loop = false;
    const go::Node* first_send = nullptr;
    const go::Node* blocking_recv = nullptr;  // `for range ch` or a lone `<-ch`
    bool ranges = false;
    bool receives = false;               // any receive, blocking or not
    bool sends = false;                  // any send
    bool closes = false;
    bool go_in_loop = false;             // the go statement is in a loop of the function
    const go::Node* go_loop = nullptr;   // that loop
    std::vector<const go::Node*> send_nodes;  // the blocking Send statements
  };
  std::vector<Use> goroutines;
  // in the function itself (and its deferred closures)
  std::vector<const go::Node*> recvs;    // `<-ch` Unary nodes and range operands
  std::vector<const go::Node*> sends;    // Send statements
  std::vector<const go::Node*> closes;   // close(ch) calls
};

// The channels made directly in `v` (not in its literals) whose every use is visible.
std::vector<Channel> channels_of(const FunctionView& v);

// The most sends one run of a goroutine can make, following its graph: the largest number of send
// items on one path (sends on exclusive branches, or followed by a return, count once); -1 when a send
// sits on a cycle (a loop that can send again).
// With `one_pass`, loops are cut where they close (no -1): the most sends in one pass through every loop.
long max_sends_on_a_path(const flow::Cfg& cfg, const std::vector<const go::Node*>& send_nodes, bool one_pass = false);

// How many times a loop runs when that is written as a literal: `for i := 0; i < 3; i++`; -1 otherwise.
long literal_trip_count(const go::Node* loop);

// "the path that returns at line 41" / "the path that reaches the end of the function (line 52)"
std::string path_words(const PathEnd& p);

}  // namespace leakhound::rules::gor
