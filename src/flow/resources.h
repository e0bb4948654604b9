// The resource engine: path-sensitive tracking of acquired resources through a
// function's control-flow graph, driven by the model table.
//
// For every acquisition (a modelled call, or a module function whose summary
// says it returns a fresh resource) bound to a local variable, the engine
// searches the CFG from the acquisition for a path that reaches an exit of the
// function, or overwrites the variable, without a release or a hand-off:
//   release   - VAR.Body.Close(), alias.Close(), defer of either, a deferred
//               closure that releases, a module helper whose summary closes the
//               parameter;
//   hand-off  - returned, stored in a field/global/map/slice, sent on a channel,
//               put in a composite literal, captured by a closure or goroutine
//               that releases or hands it on, passed to a function that keeps it
//               (or to a function it cannot see);
//   no leak   - paths where it was never acquired (`if err != nil` right after,
//               `if resp == nil`), and paths ending in panic/os.Exit/log.Fatal.
// It also computes the function's summary: which parameters it consumes and
// which results are fresh resources its caller must release.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "flow/cfg.h"
#include "golang/facts.h"
#include "golang/resolve.h"
#include "models/models.h"

namespace leakhound::flow {

struct Acquisition {
  const go::Node* call = nullptr;
  const go::Node* stmt = nullptr;
  const models::ResourceType* type = nullptr;
  int var = -1;      // the variable holding the resource; -1 when discarded
  int err_var = -1;  // the error result's variable, if any
  std::string via;   // the callee as written: "http.Get", "client.Do"
  bool module_wrapper = false;  // acquired through a module function returning a fresh resource
  bool discarded = false;       // assigned to `_`
  int ctx_var = -1;     // cancel funcs: the derived context (`<-ctx.Done()` means it already ended)
  int parent_var = -1;  // the receiver the resource came from (`db` in db.Prepare), when a local
  int ctx_arg_var = -1;  // the context argument of the acquiring call (QueryContext(ctx, ...))
};

struct Leak {
  enum class Path : uint8_t { Return, EndOfFunction, Overwritten, HandleReplaced, DiscardedBlank, DiscardedUnused };
  Acquisition acq;
  Path path = Path::Return;
  uint32_t line = 0;  // where it leaks (the return, the closing brace, the overwrite)
  std::string var_name;
  bool released_elsewhere = false;  // the function releases it on some other path
  bool kept_elsewhere = false;      // the function hands it off on some other path
};

struct FunctionAnalysis {
  std::vector<Leak> leaks;
  go::FuncFacts facts;
  bool truncated = false;  // more acquisitions than the per-function bound: the rest was not analysed
};

class ResourceEngine {
 public:
  // `tracked`: resource types whose leaks are wanted (the enabled rules').
  ResourceEngine(const go::Resolver& resolver, std::vector<const models::ResourceType*> tracked);

  // Analyses one function body: a FuncDecl or a FuncLit. Function literals
  // nested in it are not entered (analyse them separately).
  FunctionAnalysis analyze(const go::Node* func, const Cfg& cfg) const;

  // Does this call acquire a tracked resource? (the first one, for callers outside the engine)
  bool find_acquisition(const go::Node* call, const models::ResourceType** type, int* result_index) const;

 private:
  const go::Resolver& r_;
  std::vector<const models::ResourceType*> tracked_;
  models::ResourceType param_model_;  // what "consuming a parameter" means
  const models::ResourceType* transport_ = nullptr;  // http-transport, when tracked (acquired by literals)

  struct Tracked;
  enum class Event : uint8_t { None, Release, Handoff };

  struct Found {
    const models::ResourceType* type = nullptr;
    int result = 0;
  };
  int find_acquisitions(const go::Node* call, Found* out, int cap) const;
  bool literal_of_type(const go::Node* e, std::string_view type) const;
  const go::Node* new_transport(const go::Node* e) const;
  const go::Node* client_transport(const go::Node* e) const;
  bool wraps_transport(const go::Node* e, const Tracked& t) const;
  int exhausts(const go::Node* cond, const Tracked& t) const;
  void collect_acquisitions(const go::Node* func, const Cfg& cfg, std::vector<Acquisition>& out,
                            std::vector<Leak>& discarded) const;
  void compute_aliases(const go::Node* func, Tracked& t) const;
  Event scan(const go::Node* n, const Tracked& t, bool in_defer, int depth = 0) const;
  Event scan_funclit(const go::Node* lit, const Tracked& t, int depth) const;
  const models::ResourceType* tracked_type(std::string_view id) const;
  bool is_release_method(const go::Node* sel, const Tracked& t) const;
  bool is_handle(const go::Node* e, const Tracked& t) const;
  bool is_resource_value(const go::Node* e, const Tracked& t) const;
  bool assigns_var(const go::Node* stmt, int var) const;
  bool replaces_handle(const go::Node* stmt, const Tracked& t) const;
  bool defers_closure_over_var(const go::Node* d, const Tracked& t) const;
  std::unordered_map<int, std::vector<int>> cancel_vars_of(const go::Node* body) const;
  int eval_cond(const go::Node* cond, const Tracked& t, int err_var, int depth = 0) const;
  int handshake_error(const go::Node* n, const Tracked& t) const;
  bool always_fails(const go::Node* call) const;
  bool rewraps(const go::Node* s, const Tracked& t) const;
  bool reports_test_failure(const go::Node* n) const;
  bool calls_method_on(const go::Node* n, int var, bool unguarded_only = false) const;
  bool reaches_release(const Cfg& cfg, uint32_t block, size_t item, const Tracked& t,
                       Event want = Event::Release) const;
  bool search(const Cfg& cfg, uint32_t block, size_t item, const Tracked& t, Leak& leak) const;
};

// "http.Get", "s.client.Do": the callee of a call as written (short chains only).
std::string callee_text(const go::Node* call);

}  // namespace leakhound::flow
