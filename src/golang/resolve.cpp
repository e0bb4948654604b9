#include "golang/resolve.h"

#include <array>

#include "golang/walk.h"

namespace leakhound::go {
namespace {

constexpr int kMaxStmtDepth = 400;
constexpr int kMaxTypeDepth = 48;

bool is_builtin_func(std::string_view n) {
  static constexpr std::array<std::string_view, 18> names = {
      "append", "cap",   "clear", "close",   "complex", "copy", "delete",  "imag",    "len",
      "make",   "max",   "min",   "new",     "panic",   "print", "println", "real",   "recover"};
  for (auto b : names)
    if (b == n) return true;
  return false;
}

}  // namespace

const PackageFacts* Context::package(std::string_view path) const {
  if (path == pkg_path) return self;
  return store ? store->get(path) : nullptr;
}

Resolver::Resolver(const Context& ctx, const Node* func) : ctx_(ctx) {
  if (!func) return;
  if (func->kind == NodeKind::FuncDecl) {
    scopes_.push_back({func, {}});
    // the receiver
    if (const Node* recv = func->kid(0)) {
      for (const Node* field : recv->children()) {
        if (!field || field->kind != NodeKind::Field) continue;
        std::string t = type_string(field->kid(0), *ctx_.file, ctx_.pkg_path);
        for (uint32_t i = 1; i < field->nkids; ++i) {
          int id = define(field->kids[i], t, func);
          if (id >= 0) vars_[static_cast<size_t>(id)].is_param = true;
        }
      }
    }
    bind_func(func->kid(2), func->kid(3), func, 0);
    scopes_.pop_back();
  } else if (func->kind == NodeKind::FuncLit) {
    bind_func(func->kid(0), func->kid(1), func, 0);
  }
}

int Resolver::var_of(const Node* ident) const {
  auto it = ident_var_.find(ident);
  return it == ident_var_.end() ? -1 : it->second;
}

int Resolver::lookup(std::string_view name) const {
  for (auto s = scopes_.rbegin(); s != scopes_.rend(); ++s)
    for (auto n = s->names.rbegin(); n != s->names.rend(); ++n)
      if (n->first == name) return n->second;
  return -1;
}

int Resolver::define(const Node* ident, std::string type, const Node* scope_owner) {
  std::string_view name = ident_name(ident);
  if (name.empty() || name == "_") return -1;
  Var v;
  v.name = name;
  v.type = std::move(type);
  v.def = ident;
  v.func = funcs_.empty() ? nullptr : funcs_.back();
  v.scope = scope_owner;
  vars_.push_back(std::move(v));
  int id = static_cast<int>(vars_.size() - 1);
  scopes_.back().names.emplace_back(name, id);
  ident_var_[ident] = id;
  return id;
}

bool Resolver::is_package_name(const Node* ident) const {
  if (!ident || ident->kind != NodeKind::Ident) return false;
  if (var_of(ident) >= 0) return false;
  return !ctx_.file->import_path(ident->text).empty();
}

void Resolver::bind_func(const Node* ft, const Node* body, const Node* func, int depth) {
  if (depth > kMaxStmtDepth) {
    ok_ = false;
    return;
  }
  funcs_.push_back(func);
  scopes_.push_back({func, {}});
  if (ft) {
    int index = 0;
    for (int part = 0; part < 2; ++part) {
      const Node* list = ft->kid(static_cast<uint32_t>(part));
      if (!list) continue;
      for (const Node* field : list->children()) {
        if (!field || field->kind != NodeKind::Field) continue;
        std::string t = type_string(field->kid(0), *ctx_.file, ctx_.pkg_path);
        if (field->has(Node::kVariadic)) t = "[]" + t;
        if (field->nkids <= 1) {
          if (part == 0) ++index;
          continue;
        }
        for (uint32_t i = 1; i < field->nkids; ++i) {
          int id = define(field->kids[i], t, func);
          if (id >= 0) {
            Var& v = vars_[static_cast<size_t>(id)];
            v.is_param = part == 0;
            v.is_result = part == 1;
            v.param_index = part == 0 ? index : -1;
          }
          if (part == 0) ++index;
        }
      }
    }
  }
  if (body) bind_stmts(body, 0, depth + 1);
  scopes_.pop_back();
  funcs_.pop_back();
}

void Resolver::bind_stmts(const Node* block, uint32_t from, int depth) {
  for (uint32_t i = from; i < block->nkids; ++i) bind_stmt(block->kids[i], depth + 1);
}

void Resolver::bind_value_spec(const Node* spec, int depth) {
  if (!spec || spec->kind != NodeKind::ValueSpec) return;
  const Node* names = spec->kid(1);
  const Node* values = spec->kid(2);
  if (values) bind_expr(values, depth);
  std::string declared = spec->kid(0) ? type_string(spec->kid(0), *ctx_.file, ctx_.pkg_path) : "";
  if (!names) return;
  std::vector<std::string> inferred;
  if (declared.empty() && values) {
    if (values->nkids == names->nkids) {
      for (const Node* v : values->children()) inferred.push_back(type_of(v));
    } else if (values->nkids == 1) {
      inferred = results_of(unparen(values->kid(0)));
    }
  }
  for (uint32_t i = 0; i < names->nkids; ++i) {
    std::string t = !declared.empty() ? declared : (i < inferred.size() ? inferred[i] : "");
    define(names->kids[i], t, scopes_.back().owner);
  }
}

void Resolver::bind_assign(const Node* lhs, const Node* rhs, bool is_define, int depth) {
  if (rhs) bind_expr(rhs, depth);
  if (!lhs) return;
  if (!is_define) {
    bind_expr(lhs, depth);
    return;
  }
  std::vector<std::string> types;
  if (rhs) {
    if (rhs->nkids == lhs->nkids) {
      for (const Node* v : rhs->children()) types.push_back(type_of(v));
    } else if (rhs->nkids == 1) {
      const Node* r = unparen(rhs->kid(0));
      if (r && r->kind == NodeKind::Call) {
        types = results_of(r);
      } else if (r && r->kind == NodeKind::TypeAssert) {
        types = {type_of(r), "bool"};
      } else if (r && r->kind == NodeKind::Index) {
        types = {type_of(r), "bool"};
      } else if (r && r->kind == NodeKind::Unary && r->text == "<-") {
        types = {type_of(r), "bool"};
      }
    }
  }
  for (uint32_t i = 0; i < lhs->nkids; ++i) {
    const Node* id = lhs->kids[i];
    std::string_view name = ident_name(id);
    if (name.empty() || name == "_") continue;
    // `:=` redeclares nothing already declared in the same scope: it assigns.
    int existing = -1;
    for (auto& [n, v] : scopes_.back().names)
      if (n == name) existing = v;
    if (existing >= 0) {
      ident_var_[id] = existing;
      if (vars_[static_cast<size_t>(existing)].type.empty() && i < types.size())
        vars_[static_cast<size_t>(existing)].type = types[i];
      continue;
    }
    define(id, i < types.size() ? types[i] : "", scopes_.back().owner);
  }
}

void Resolver::bind_stmt(const Node* s, int depth) {
  if (!s || !ok_) return;
  if (depth > kMaxStmtDepth) {
    ok_ = false;
    return;
  }
  switch (s->kind) {
    case NodeKind::Block:
      scopes_.push_back({s, {}});
      bind_stmts(s, 0, depth);
      scopes_.pop_back();
      return;
    case NodeKind::Assign:
      bind_assign(s->kid(0), s->kid(1), s->text == ":=", depth);
      return;
    case NodeKind::DeclStmt: {
      const Node* gd = s->kid(0);
      if (gd && (gd->text == "var" || gd->text == "const"))
        for (const Node* spec : gd->children()) bind_value_spec(spec, depth);
      return;
    }
    case NodeKind::Labeled:
      bind_stmt(s->kid(1), depth + 1);
      return;
    case NodeKind::If:   // init, cond, then, else
    case NodeKind::For:  // init, cond, post, body
      scopes_.push_back({s, {}});
      bind_stmt(s->kid(0), depth + 1);
      bind_expr(s->kid(1), depth);
      bind_stmt(s->kid(2), depth + 1);
      bind_stmt(s->kid(3), depth + 1);
      scopes_.pop_back();
      return;
    case NodeKind::Range: {
      bind_expr(s->kid(2), depth);
      scopes_.push_back({s, {}});
      if (s->text == ":=") {
        std::string xt = type_of(s->kid(2));
        std::string kt, vt;
        if (xt.starts_with("map[")) {
          size_t close = 4;
          int d = 1;
          for (; close < xt.size(); ++close) {
            if (xt[close] == '[') ++d;
            else if (xt[close] == ']' && --d == 0) break;
          }
          kt = xt.substr(4, close - 4);
          vt = elem_type(xt);
        } else if (xt.starts_with("[") ) {
          kt = "int";
          vt = elem_type(xt);
        } else if (xt.starts_with("chan ")) {
          kt = elem_type(xt);
        } else if (xt == "string") {
          kt = "int";
          vt = "rune";
        }
        define(s->kid(0), kt, s);
        define(s->kid(1), vt, s);
      } else {
        bind_expr(s->kid(0), depth);
        bind_expr(s->kid(1), depth);
      }
      bind_stmt(s->kid(3), depth + 1);
      scopes_.pop_back();
      return;
    }
    case NodeKind::Switch:
    case NodeKind::TypeSwitch: {
      bool ts = s->kind == NodeKind::TypeSwitch;
      scopes_.push_back({s, {}});
      bind_stmt(s->kid(0), depth + 1);
      if (ts) bind_expr(s->kid(2), depth);
      else bind_expr(s->kid(1), depth);
      for (uint32_t i = ts ? 3 : 2; i < s->nkids; ++i) {
        const Node* c = s->kids[i];
        if (!c || c->kind != NodeKind::CaseClause) continue;
        scopes_.push_back({c, {}});
        if (!ts) bind_expr(c->kid(0), depth);
        if (ts && s->kid(1)) {
          std::string t;
          const Node* types = c->kid(0);
          if (types && types->nkids == 1) t = type_string(types->kid(0), *ctx_.file, ctx_.pkg_path);
          define(s->kid(1), t, c);
        }
        bind_stmts(c, 1, depth + 1);
        scopes_.pop_back();
      }
      scopes_.pop_back();
      return;
    }
    case NodeKind::Select:
      for (const Node* c : s->children()) {
        if (!c) continue;
        scopes_.push_back({c, {}});
        bind_stmt(c->kid(0), depth + 1);
        bind_stmts(c, 1, depth + 1);
        scopes_.pop_back();
      }
      return;
    case NodeKind::Branch:
    case NodeKind::Empty:
    case NodeKind::Bad:
      return;
    default:
      for (const Node* k : s->children()) bind_expr(k, depth);
      return;
  }
}

void Resolver::bind_expr(const Node* e, int depth) {
  if (!e || !ok_) return;
  std::vector<const Node*> stack{e};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!n) continue;
    switch (n->kind) {
      case NodeKind::Ident: {
        int id = lookup(n->text);
        if (id >= 0) ident_var_[n] = id;
        continue;
      }
      case NodeKind::Selector:
        stack.push_back(n->kid(0));  // the selected name is not a variable
        continue;
      case NodeKind::KeyValue: {
        const Node* k = n->kid(0);
        if (k && k->kind != NodeKind::Ident) stack.push_back(k);  // bare keys are field names
        stack.push_back(n->kid(1));
        continue;
      }
      case NodeKind::CompositeLit:
        for (uint32_t i = 1; i < n->nkids; ++i) stack.push_back(n->kids[i]);
        continue;
      case NodeKind::FuncLit:
        bind_func(n->kid(0), n->kid(1), n, depth + 1);
        continue;
      case NodeKind::FuncType:
      case NodeKind::StructType:
      case NodeKind::InterfaceType:
      case NodeKind::MapType:
      case NodeKind::ArrayType:
      case NodeKind::ChanType:
        continue;
      default:
        for (const Node* k : n->children()) stack.push_back(k);
    }
  }
}

std::string Resolver::field_type(std::string_view type, std::string_view field, int depth) const {
  if (depth > 3) return "";
  auto [pkg, name] = split_named(strip_pointer(type));
  const PackageFacts* pf = ctx_.package(pkg);
  if (!pf) return "";
  const TypeDecl* td = pf->decls.type(name);
  if (!td) return "";
  for (auto& [fname, ftype] : td->fields)
    if (fname == field) return ftype;
  for (auto& emb : td->embedded) {
    std::string t = field_type(emb, field, depth + 1);
    if (!t.empty()) return t;
  }
  return "";
}

const Signature* Resolver::method_sig(std::string_view type, std::string_view method, const FuncFacts** facts,
                                      std::string* owner_pkg, int depth) const {
  if (depth > 3) return nullptr;
  auto [pkg, name] = split_named(strip_pointer(type));
  const PackageFacts* pf = ctx_.package(pkg);
  if (!pf) return nullptr;
  std::string key = std::string(name) + "." + std::string(method);
  if (const Signature* s = pf->decls.func(key)) {
    if (facts) *facts = pf->func(key);
    if (owner_pkg) *owner_pkg = std::string(pkg);
    return s;
  }
  const TypeDecl* td = pf->decls.type(name);
  if (!td) return nullptr;
  if (td->is_interface) {
    auto it = td->iface_methods.find(method);
    if (it != td->iface_methods.end()) {
      if (owner_pkg) *owner_pkg = std::string(pkg);
      return &it->second;
    }
  }
  for (auto& emb : td->embedded)
    if (const Signature* s = method_sig(emb, method, facts, owner_pkg, depth + 1)) return s;
  return nullptr;
}

const Callee& Resolver::callee(const Node* call) const {
  auto it = callee_cache_.find(call);
  if (it != callee_cache_.end()) return it->second;
  Callee c = compute_callee(call);
  return callee_cache_.emplace(call, std::move(c)).first->second;
}

Callee Resolver::compute_callee(const Node* call) const {
  Callee c;
  const Node* fun = unparen(call ? call->kid(0) : nullptr);
  if (!fun) return c;
  if (fun->kind == NodeKind::Ident) {
    c.name = std::string(fun->text);
    if (var_of(fun) >= 0) {
      c.kind = Callee::Kind::FuncValue;
      return c;
    }
    if (ctx_.self) {
      if (const Signature* s = ctx_.self->decls.func(fun->text)) {
        c.kind = Callee::Kind::Module;
        c.pkg = ctx_.pkg_path;
        c.sig = s;
        c.facts = ctx_.self->func(fun->text);
        return c;
      }
    }
    if (is_builtin_func(fun->text)) c.kind = Callee::Kind::Builtin;
    return c;
  }
  if (fun->kind != NodeKind::Selector) return c;
  const Node* x = unparen(fun->kid(0));
  c.name = std::string(ident_name(fun->kid(1)));
  if (x && x->kind == NodeKind::Ident && is_package_name(x)) {
    c.pkg = std::string(ctx_.file->import_path(x->text));
    if (const PackageFacts* pf = ctx_.package(c.pkg)) {
      c.kind = Callee::Kind::Module;
      c.sig = pf->decls.func(c.name);
      c.facts = pf->func(c.name);
    } else if (ctx_.store && ctx_.store->known(c.pkg)) {
      c.kind = Callee::Kind::Unknown;  // a module package not analysed yet (import cycle)
    } else {
      c.kind = Callee::Kind::Library;
    }
    return c;
  }
  std::string t = type_of(x);
  if (t.empty()) return c;
  std::string named(strip_pointer(t));
  auto [pkg, tname] = split_named(named);
  if (pkg.empty()) return c;
  if (ctx_.package(pkg)) {
    const FuncFacts* facts = nullptr;
    std::string owner;
    if (const Signature* s = method_sig(named, c.name, &facts, &owner)) {
      c.kind = Callee::Kind::Module;
      c.pkg = owner;
      c.recv = named;
      c.sig = s;
      c.facts = facts;
      return c;
    }
    // promoted from an embedded library type?
    const TypeDecl* td = ctx_.package(pkg)->decls.type(tname);
    if (td) {
      for (auto& emb : td->embedded) {
        auto [epkg, ename] = split_named(strip_pointer(emb));
        if (!epkg.empty() && !ctx_.package(epkg)) {
          c.kind = Callee::Kind::Library;
          c.pkg = std::string(epkg);
          c.recv = std::string(strip_pointer(emb));
          return c;
        }
      }
    }
    return c;
  }
  if (ctx_.store && ctx_.store->known(pkg)) return c;
  c.kind = Callee::Kind::Library;
  c.pkg = std::string(pkg);
  c.recv = named;
  return c;
}

const std::vector<std::string>& Resolver::results_of(const Node* call) const {
  static const std::vector<std::string> kNone;
  if (!call || call->kind != NodeKind::Call) return kNone;
  auto it = results_cache_.find(call);
  if (it != results_cache_.end()) return it->second;
  std::vector<std::string> r = compute_results(call);
  return results_cache_.emplace(call, std::move(r)).first->second;
}

std::vector<std::string> Resolver::compute_results(const Node* call) const {
  const Node* fun = unparen(call->kid(0));
  if (!fun) return {};
  // conversions T(x)
  switch (fun->kind) {
    case NodeKind::ArrayType:
    case NodeKind::MapType:
    case NodeKind::ChanType:
    case NodeKind::FuncType:
    case NodeKind::InterfaceType:
      return {type_string(fun, *ctx_.file, ctx_.pkg_path)};
    case NodeKind::Star:
      return {type_string(fun, *ctx_.file, ctx_.pkg_path)};
    default:
      break;
  }
  if (fun->kind == NodeKind::Ident && var_of(fun) < 0 && ctx_.self && ctx_.self->decls.type(fun->text))
    return {type_string(fun, *ctx_.file, ctx_.pkg_path)};
  if (fun->kind == NodeKind::Selector && is_package_name(unparen(fun->kid(0)))) {
    std::string_view path = ctx_.file->import_path(unparen(fun->kid(0))->text);
    if (const PackageFacts* pf = ctx_.package(path))
      if (pf->decls.type(ident_name(fun->kid(1)))) return {type_string(fun, *ctx_.file, ctx_.pkg_path)};
  }
  const Callee& c = callee(call);
  switch (c.kind) {
    case Callee::Kind::Builtin:
      if (c.name == "new" && call->kid(1)) {
        std::string t = type_string(call->kid(1), *ctx_.file, ctx_.pkg_path);
        return {t.empty() ? "" : "*" + t};
      }
      if (c.name == "make" && call->kid(1)) return {type_string(call->kid(1), *ctx_.file, ctx_.pkg_path)};
      if (c.name == "append" && call->kid(1)) return {type_of(call->kid(1))};
      if (c.name == "len" || c.name == "cap" || c.name == "copy") return {"int"};
      return {};
    case Callee::Kind::Library:
      if (ctx_.models)
        if (auto* s = ctx_.models->signature(c.pkg, c.recv, c.name)) return s->results;
      return {};
    case Callee::Kind::Module:
      if (c.sig) return c.sig->results;
      return {};
    default:
      return {};
  }
}

std::string Resolver::type_of(const Node* e) const {
  struct Guard {
    int& d;
    explicit Guard(int& x) : d(x) { ++d; }
    ~Guard() { --d; }
  } guard(type_depth_);
  if (type_depth_ > 64) return "";
  for (int depth = 0; e && depth < kMaxTypeDepth; ++depth) {
    switch (e->kind) {
      case NodeKind::Paren:
        e = e->kid(0);
        continue;
      case NodeKind::Ident: {
        int id = var_of(e);
        if (id >= 0) return vars_[static_cast<size_t>(id)].type;
        if (ctx_.self) {
          auto it = ctx_.self->decls.vars.find(e->text);
          if (it != ctx_.self->decls.vars.end()) return it->second;
          if (ctx_.self->decls.func(e->text)) return "func";
        }
        return "";
      }
      case NodeKind::Selector: {
        const Node* x = unparen(e->kid(0));
        std::string_view sel = ident_name(e->kid(1));
        if (x && x->kind == NodeKind::Ident && is_package_name(x)) {
          std::string_view path = ctx_.file->import_path(x->text);
          std::string q = std::string(path) + "." + std::string(sel);
          if (ctx_.models)
            if (auto* v = ctx_.models->var(q)) return v->type;
          if (const PackageFacts* pf = ctx_.package(path)) {
            auto it = pf->decls.vars.find(sel);
            if (it != pf->decls.vars.end()) return it->second;
          }
          return "";
        }
        std::string xt = type_of(x);
        if (xt.empty()) return "";
        return field_type(xt, sel);
      }
      case NodeKind::Call: {
        const auto& r = results_of(e);
        return r.empty() ? "" : r[0];
      }
      case NodeKind::Unary:
        if (e->text == "&") {
          const Node* x = unparen(e->kid(0));
          if (x && x->kind == NodeKind::CompositeLit && x->kid(0)) {
            std::string t = type_string(x->kid(0), *ctx_.file, ctx_.pkg_path);
            return t.empty() ? "" : "*" + t;
          }
          std::string t = type_of(x);
          return t.empty() ? "" : "*" + t;
        }
        if (e->text == "<-") return elem_type(type_of(e->kid(0)));
        return "";
      case NodeKind::Star: {
        std::string t = type_of(e->kid(0));
        return t.starts_with("*") ? t.substr(1) : "";
      }
      case NodeKind::CompositeLit:
        return e->kid(0) ? type_string(e->kid(0), *ctx_.file, ctx_.pkg_path) : "";
      case NodeKind::TypeAssert:
        return e->kid(1) ? type_string(e->kid(1), *ctx_.file, ctx_.pkg_path) : "";
      case NodeKind::Index:
        return elem_type(type_of(e->kid(0)));
      case NodeKind::Slice:
        e = e->kid(0);
        continue;
      case NodeKind::FuncLit:
        return "func";
      default:
        return "";
    }
  }
  return "";
}


// Does statement `s` (an assignment, a var declaration, a range clause) assign local `var`?
bool assigns_var(const Resolver& r, const Node* s, int var) {
  if (var < 0 || !s) return false;
  auto any_ident = [&](const Node* list) {
    if (!list) return false;
    for (const Node* e : list->children()) {
      const Node* u = unparen(e);
      if (u && u->kind == NodeKind::Ident && r.var_of(u) == var) return true;
    }
    return false;
  };
  switch (s->kind) {
    case NodeKind::Assign:
      return any_ident(s->kid(0));
    case NodeKind::DeclStmt: {
      const Node* gd = s->kid(0);
      if (!gd) return false;
      for (const Node* spec : gd->children())
        if (spec && spec->kind == NodeKind::ValueSpec && any_ident(spec->kid(1))) return true;
      return false;
    }
    case NodeKind::Range: {
      for (uint32_t i = 0; i < 2; ++i) {
        const Node* u = unparen(s->kid(i));
        if (u && u->kind == NodeKind::Ident && r.var_of(u) == var) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

ContextWith context_with(const Resolver& r, const Node* s) {
  ContextWith out;
  if (!s || s->kind != NodeKind::Assign || !s->kid(0) || !s->kid(1) || s->kid(0)->nkids != 2 || s->kid(1)->nkids != 1)
    return out;
  const Node* c0 = unparen(s->kid(0)->kid(0));
  const Node* c1 = unparen(s->kid(0)->kid(1));
  const Node* call = unparen(s->kid(1)->kid(0));
  if (!c0 || !c1 || c0->kind != NodeKind::Ident || c1->kind != NodeKind::Ident) return out;
  if (!call || call->kind != NodeKind::Call || (r.var_of(c0) < 0 && c0->text != "_") || r.var_of(c1) < 0) return out;
  const Callee& c = r.callee(call);
  if (c.kind != Callee::Kind::Library || c.pkg != "context" || !c.name.starts_with("With")) return out;
  out.call = call;
  out.ctx = r.var_of(c0);  // -1 for `_`
  out.cancel = r.var_of(c1);
  return out;
}

}  // namespace leakhound::go
