// Name binding and type-light typing inside one top-level function (and the
// function literals nested in it, which share its variables by capture).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "golang/ast.h"
#include "golang/facts.h"
#include "models/models.h"

namespace leakhound::go {

struct Var {
  std::string_view name;
  std::string type;              // canonical, "" when unknown
  const Node* def = nullptr;     // the defining identifier
  const Node* func = nullptr;    // the FuncDecl/FuncLit that declares it
  const Node* scope = nullptr;   // the block (or statement) whose scope holds it
  bool is_param = false;
  bool is_result = false;
  int param_index = -1;
};

// Who a call calls.
struct Callee {
  enum class Kind : uint8_t { Unknown, Builtin, Library, Module, FuncValue };
  Kind kind = Kind::Unknown;
  std::string pkg;   // import path
  std::string recv;  // receiver type without pointer, "" for package functions
  std::string name;
  const Signature* sig = nullptr;  // for module functions
  const FuncFacts* facts = nullptr;
  bool method_value_on_local = false;
};

// Everything a function's analysis needs to know about its surroundings.
struct Context {
  const SourceFile* file = nullptr;
  const PackageFacts* self = nullptr;  // the package being analysed (funcs facts may be partial)
  const FactStore* store = nullptr;
  const models::ModelTable* models = nullptr;
  std::string pkg_path;

  const PackageFacts* package(std::string_view path) const;
};

class Resolver {
 public:
  // Binds every identifier in `func` (a FuncDecl), including nested literals.
  // `max_depth` bounds statement nesting; returns false when exceeded.
  Resolver(const Context& ctx, const Node* func);

  bool ok() const { return ok_; }
  const Context& ctx() const { return ctx_; }

  // The local variable an identifier refers to (defines or uses), or -1.
  int var_of(const Node* ident) const;
  const Var& var(int id) const { return vars_[static_cast<size_t>(id)]; }
  size_t var_count() const { return vars_.size(); }

  // The single-value type of an expression, "" when unknown.
  std::string type_of(const Node* expr) const;
  // Result types of a call, empty when unknown.
  // Memoized per call; the reference stays valid for the resolver's lifetime.
  const std::vector<std::string>& results_of(const Node* call) const;
  // Memoized per call: summaries are updated in place, so cached pointers stay current.
  const Callee& callee(const Node* call) const;

  // Is `ident` an import name in this file (not shadowed by a local)?
  bool is_package_name(const Node* ident) const;

 private:
  const Context& ctx_;
  bool ok_ = true;
  std::vector<Var> vars_;
  std::unordered_map<const Node*, int> ident_var_;

  struct Scope {
    const Node* owner;
    std::vector<std::pair<std::string_view, int>> names;
  };
  std::vector<Scope> scopes_;
  std::vector<const Node*> funcs_;
  mutable int type_depth_ = 0;
  mutable std::unordered_map<const Node*, Callee> callee_cache_;
  Callee compute_callee(const Node* call) const;
  mutable std::unordered_map<const Node*, std::vector<std::string>> results_cache_;
  std::vector<std::string> compute_results(const Node* call) const;  // bounds type_of/results_of recursion on long call chains

  int lookup(std::string_view name) const;
  int define(const Node* ident, std::string type, const Node* scope_owner);
  void bind_func(const Node* func_type, const Node* body, const Node* func, int depth);
  void bind_stmt(const Node* s, int depth);
  void bind_stmts(const Node* block, uint32_t from, int depth);
  void bind_expr(const Node* e, int depth);
  void bind_assign(const Node* lhs, const Node* rhs, bool define, int depth);
  void bind_value_spec(const Node* spec, int depth);
  std::string field_type(std::string_view type, std::string_view field, int depth = 0) const;
  const Signature* method_sig(std::string_view type, std::string_view method, const FuncFacts** facts,
                              std::string* owner_pkg, int depth = 0) const;
};

// Does statement `s` (an assignment, a var declaration, a range clause) assign local `var`?
bool assigns_var(const Resolver& r, const Node* s, int var);

// `ctx, cancel := context.WithCancel(parent)` (or WithTimeout, WithDeadline, the Cause forms):
// the call and the two local variables (ctx -1 when it is `_`). `call` is null when `s` is not such a statement.
struct ContextWith {
  const Node* call = nullptr;
  int ctx = -1;
  int cancel = -1;
};
ContextWith context_with(const Resolver& r, const Node* s);

}  // namespace leakhound::go
