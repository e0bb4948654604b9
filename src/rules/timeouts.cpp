#include "rules/timeouts.h"

#include <fmt/format.h>

#include <algorithm>

#include "golang/types.h"
#include "golang/walk.h"

namespace leakhound::rules::tmo {

using go::Node;
using go::NodeKind;

Bound meet(Bound a, Bound b) {
  if (a == Bound::Bounded || b == Bound::Bounded) return Bound::Bounded;
  if (a == Bound::Unknown || b == Bound::Unknown) return Bound::Unknown;
  return Bound::Unbounded;
}

const Kind& client_kind() {
  static const Kind k{0, "net/http.Client", {"Timeout"}, false, "net/http.DefaultClient"};
  return k;
}
const Kind& server_kind() {
  static const Kind k{1, "net/http.Server", {"ReadHeaderTimeout", "ReadTimeout"}, true, nullptr};
  return k;
}
const Kind& dialer_kind() {
  static const Kind k{2, "net.Dialer", {"Timeout", "Deadline"}, false, nullptr};
  return k;
}

namespace {

std::string short_type(std::string_view t) {
  size_t slash = t.rfind('/');
  return std::string(slash == std::string_view::npos ? t : t.substr(slash + 1));
}

const Node* func_type(const Node* func) {
  if (!func) return nullptr;
  return func->kind == NodeKind::FuncDecl ? func->kid(2) : func->kind == NodeKind::FuncLit ? func->kid(0) : nullptr;
}

bool is_zero_literal(const Node* v) {
  v = go::unparen(v);
  return v && v->kind == NodeKind::BasicLit && v->text == "0";
}

// A field `key: value` of a composite literal, or null.
const Node* keyed(const Node* lit, std::string_view key) {
  for (uint32_t i = 1; i < lit->nkids; ++i) {
    const Node* kv = lit->kids[i];
    if (kv && kv->kind == NodeKind::KeyValue && go::ident_name(kv->kid(0)) == key) return kv->kid(1);
  }
  return nullptr;
}

// Assignments `lhs = rhs` of a statement as pairs (a single call assigned to several results gives its
// first result to the first left-hand side only).
template <typename F>
void assignment_pairs(const Node* s, F&& f) {
  if (s->kind == NodeKind::Assign && (s->text == "=" || s->text == ":=")) {
    const Node* lhs = s->kid(0);
    const Node* rhs = s->kid(1);
    if (!lhs || !rhs) return;
    for (uint32_t i = 0; i < lhs->nkids; ++i) {
      const Node* r = rhs->nkids == lhs->nkids ? rhs->kid(i) : (i == 0 && rhs->nkids == 1 ? rhs->kid(0) : nullptr);
      f(lhs->kid(i), r);
    }
  }
}

}  // namespace

std::vector<const FunctionView*> top_level(const PackageView& pv) {
  std::vector<const FunctionView*> out;
  for (const FunctionView* v : pv.functions)
    if (v->func == v->decl) out.push_back(v);
  return out;
}

std::string PackageIndex::struct_field(const go::Resolver& r, const Node* sel) const {
  if (!sel || sel->kind != NodeKind::Selector || pkg_.empty()) return "";
  std::string t(go::strip_pointer(r.type_of(sel->kid(0))));
  if (t.size() <= pkg_.size() + 1 || !t.starts_with(pkg_) || t[pkg_.size()] != '.') return "";
  return t.substr(pkg_.size() + 1) + "." + std::string(go::ident_name(sel->kid(1)));
}

PackageIndex::PackageIndex(const PackageView& pv, const Kind& kind) : kind_(kind) {
  if (!pv.functions.empty()) pkg_ = pv.functions.front()->resolver->ctx().pkg_path;
  // package variables and their initialisers
  std::vector<std::pair<std::string, Site>> pending_fields;
  for (const go::SourceFile* f : pv.files) {
    if (!f->root) continue;
    for (const Node* decl : f->root->children()) {
      if (!decl || decl->kind != NodeKind::GenDecl || decl->text != "var") continue;
      for (const Node* spec : decl->children()) {
        if (!spec || spec->kind != NodeKind::ValueSpec || !spec->kid(1)) continue;
        for (uint32_t i = 0; i < spec->kid(1)->nkids; ++i) {
          std::string name(go::ident_name(spec->kid(1)->kid(i)));
          auto& sites = vars_[name];
          const Node* value = spec->kid(2) ? spec->kid(2)->kid(i) : nullptr;
          if (value) sites.push_back({value, nullptr, f});
          else if (spec->kid(0)) sites.push_back({spec, nullptr, f});  // the zero value of its type
        }
        // `var prod = &api{client: ...}`: field assignments of the package's structs
        if (spec->kid(2))
          go::walk(spec->kid(2), [&](const Node* n) {
            if (n->kind != NodeKind::CompositeLit || !n->kid(0)) return true;
            std::string t(go::strip_pointer(go::type_string(n->kid(0), *f, pkg_)));
            if (t.size() <= pkg_.size() + 1 || !t.starts_with(pkg_) || t[pkg_.size()] != '.') return true;
            for (uint32_t k = 1; k < n->nkids; ++k) {
              const Node* kv = n->kids[k];
              if (kv && kv->kind == NodeKind::KeyValue && kv->kid(0) && kv->kid(0)->kind == NodeKind::Ident)
                pending_fields.emplace_back(t.substr(pkg_.size() + 1) + "." + std::string(kv->kid(0)->text), Site{kv->kid(1), nullptr, f});
            }
            return true;
          });
      }
    }
  }
  for (auto& [key, site] : pending_fields) fields_[key].push_back(site);
  for (const FunctionView* v : top_level(pv)) {
    const go::Resolver& r = *v->resolver;
    const go::SourceFile* file = v->site ? v->site->file : nullptr;
    // factories: package functions returning the kind
    int result = -1;
    if (v->func->kind == NodeKind::FuncDecl && !v->func->kid(0) && func_type(v->func) && func_type(v->func)->kid(1) && file) {
      int idx = 0;
      for (const Node* field : func_type(v->func)->kid(1)->children()) {
        if (!field) continue;
        std::string t(go::strip_pointer(go::type_string(field->kid(0), *file, pkg_)));
        size_t names = field->nkids > 1 ? field->nkids - 1 : 1;
        if (t == kind.type && result < 0) result = idx;
        idx += static_cast<int>(names);
      }
    }
    std::string fname(go::ident_name(v->func->kind == NodeKind::FuncDecl ? v->func->kid(1) : nullptr));
    go::walk_ancestors(go::func_body(v->func), true, [&](const Node* n, const std::vector<const Node*>& up) {
      if (n->kind == NodeKind::Return && result >= 0) {
        bool in_literal = false;
        for (const Node* a : up) in_literal = in_literal || a->kind == NodeKind::FuncLit;
        if (!in_literal && static_cast<uint32_t>(result) < n->nkids) factories_[fname].push_back({n->kid(static_cast<uint32_t>(result)), v, file});
      }
      if (n->kind == NodeKind::CompositeLit && n->kid(0) && file) {
        std::string t(go::strip_pointer(go::type_string(n->kid(0), *file, pkg_)));
        if (t.size() > pkg_.size() + 1 && t.starts_with(pkg_) && t[pkg_.size()] == '.') {
          std::string tn = t.substr(pkg_.size() + 1);
          for (uint32_t i = 1; i < n->nkids; ++i) {
            const Node* kv = n->kids[i];
            if (kv && kv->kind == NodeKind::KeyValue && kv->kid(0) && kv->kid(0)->kind == NodeKind::Ident)
              fields_[tn + "." + std::string(kv->kid(0)->text)].push_back({kv->kid(1), v, file});
          }
        }
      }
      assignment_pairs(n, [&](const Node* l, const Node* rhs) {
        l = go::unparen(l);
        if (!l) return;
        if (l->kind == NodeKind::Selector) {
          std::string key = struct_field(r, l);
          if (!key.empty() && rhs) fields_[key].push_back({rhs, v, file});
          std::string_view f = go::ident_name(l->kid(1));
          for (std::string_view tf : kind.fields) {
            if (f != tf) continue;
            const Node* inner = go::unparen(l->kid(0));
            std::string k2 = struct_field(r, inner);
            if (!k2.empty()) field_timeouts_.insert(k2);
            if (inner && inner->kind == NodeKind::Ident && r.var_of(inner) < 0 && vars_.count(std::string(inner->text)))
              var_timeouts_.insert(std::string(inner->text));
          }
        } else if (l->kind == NodeKind::Ident && r.var_of(l) < 0 && l->text != "_" && rhs) {
          auto it = vars_.find(std::string(l->text));
          if (it != vars_.end()) it->second.push_back({rhs, v, file});
        }
      });
      return true;
    });
  }
}

const PackageIndex& index_for(const PackageView& pv, const Kind& kind, std::optional<PackageIndex>& own) {
  const PackageIndex* shared = pv.timeout_index[static_cast<size_t>(kind.index)];
  return shared ? *shared : own.emplace(pv, kind);
}

void publish_factories(const PackageView& pv, go::PackageFacts& facts) {
  for (const Kind* k : {&client_kind(), &server_kind(), &dialer_kind()}) {
    std::optional<PackageIndex> own;
    for (const auto& [name, b] : index_for(pv, *k, own).factories()) {
      if (b == Bound::Unknown) continue;
      auto& ff = facts.funcs[name];
      ff.timeout_bounds = static_cast<uint8_t>(ff.timeout_bounds | ((b == Bound::Unbounded ? 1 : 2) << (2 * k->index)));
    }
  }
}

std::string factory_what(std::string_view name) { return fmt::format("{}() (it returns one without a timeout)", name); }

std::vector<std::pair<std::string, Bound>> PackageIndex::factories() const {
  std::vector<std::pair<std::string, Bound>> out;
  for (const auto& [name, sites] : factories_)
    out.emplace_back(name, named("func:" + name, &sites, false, factory_what(name)).bound);
  return out;
}

Origin PackageIndex::literal(const Node* lit, const FunctionView* v) const {
  for (std::string_view f : kind_.fields) {
    const Node* val = keyed(lit, f);
    if (val && !is_zero_literal(val)) return {Bound::Bounded, ""};
  }
  if (kind_.type == client_kind().type) {
    // a Transport that bounds the wait for the response headers: not forever
    const Node* t = keyed(lit, "Transport");
    t = t ? go::unparen(t) : nullptr;
    if (t && t->kind == NodeKind::Unary && t->text == "&") t = go::unparen(t->kid(0));
    if (t && t->kind == NodeKind::CompositeLit) {
      const Node* rh = keyed(t, "ResponseHeaderTimeout");
      if (rh && !is_zero_literal(rh)) return {Bound::Bounded, ""};
    } else if (t && t->kind == NodeKind::Ident && v && v->resolver->var_of(t) >= 0 &&
               !v->resolver->var(v->resolver->var_of(t)).is_param) {
      // a local transport: every value it gets must be a Transport literal (one bounding headers bounds the client)
      const go::Resolver& r = *v->resolver;
      int var = r.var_of(t);
      bool bounded = false, unknown = false;
      go::walk(go::func_body(v->decl), [&](const Node* n) {
        auto value = [&](const Node* e) {
          e = go::unparen(e);
          if (e && e->kind == NodeKind::Unary && e->text == "&") e = go::unparen(e->kid(0));
          if (!e || e->kind != NodeKind::CompositeLit) {
            unknown = true;
            return;
          }
          const Node* rh = keyed(e, "ResponseHeaderTimeout");
          if (rh && !is_zero_literal(rh)) bounded = true;
        };
        if (n->kind == NodeKind::ValueSpec && n->kid(1))
          for (uint32_t i = 0; i < n->kid(1)->nkids; ++i)
            if (r.var_of(n->kid(1)->kid(i)) == var) value(n->kid(2) ? n->kid(2)->kid(i) : nullptr);
        assignment_pairs(n, [&](const Node* l, const Node* rhs) {
          l = go::unparen(l);
          if (l && l->kind == NodeKind::Ident && r.var_of(l) == var) value(rhs);
          // tr.ResponseHeaderTimeout = ...
          if (l && l->kind == NodeKind::Selector && go::ident_name(l->kid(1)) == "ResponseHeaderTimeout" && l->kid(0) &&
              l->kid(0)->kind == NodeKind::Ident && r.var_of(l->kid(0)) == var)
            bounded = true;
        });
        return true;
      });
      if (bounded) return {Bound::Bounded, ""};
      if (unknown) return {};
    } else if (t && !(t->kind == NodeKind::Selector && go::ident_name(t->kid(1)) == "DefaultTransport")) {
      // a transport from a parameter, a field or a factory may bound reads itself (deadline-setting dialers,
      // custom round trippers): unknown
      return {};
    }
  }
  return {Bound::Unbounded, fmt::format("the {} literal at line {}", short_type(kind_.type), lit->line)};
}

Origin PackageIndex::named(const std::string& key, const std::vector<Site>* sites, bool timeout_set, std::string what) const {
  if (timeout_set) return {Bound::Bounded, ""};
  if (!sites || sites->empty()) return {Bound::Unknown, ""};
  auto m = memo_.find(key);
  if (m != memo_.end()) return m->second;
  if (busy_.count(key)) return {Bound::Unknown, ""};
  busy_.insert(key);
  bool any = false;
  Bound b = Bound::Unbounded;
  for (const Site& s : *sites) {
    if (go::ident_name(go::unparen(s.expr)) == "nil") continue;  // `return nil, err`: no object to judge
    Origin o = site(s);
    b = any ? meet(b, o.bound) : o.bound;
    any = true;
  }
  busy_.erase(key);
  if (!any) b = Bound::Unknown;
  Origin out{b, b == Bound::Unbounded ? std::move(what) : ""};
  memo_[key] = out;
  return out;
}

Origin PackageIndex::site(const Site& s) const {
  if (s.view) return classify(*s.view, s.expr, nullptr);
  return s.file ? syntactic(s.expr, *s.file) : Origin{};
}

Origin PackageIndex::syntactic(const Node* e, const go::SourceFile& file) const {
  if (e && e->kind == NodeKind::ValueSpec) {  // `var c http.Client`: the zero value
    std::string t = go::type_string(e->kid(0), file, pkg_);
    if (t == kind_.type) return {Bound::Unbounded, fmt::format("the zero {} at line {}", short_type(kind_.type), e->line)};
    return {};
  }
  e = go::unparen(e);
  if (e && e->kind == NodeKind::Unary && e->text == "&") e = go::unparen(e->kid(0));
  if (!e) return {};
  if (e->kind == NodeKind::CompositeLit && e->kid(0) &&
      go::strip_pointer(go::type_string(e->kid(0), file, pkg_)) == kind_.type)
    return literal(e);
  if (e->kind == NodeKind::Selector && kind_.zero_source) {
    // `http.DefaultClient` through the file's import name
    std::string_view zs = kind_.zero_source;
    std::string_view pkg = zs.substr(0, zs.rfind('.')), name = zs.substr(zs.rfind('.') + 1);
    const Node* x = e->kid(0);
    if (x && x->kind == NodeKind::Ident && go::ident_name(e->kid(1)) == name)
      for (const auto& imp : file.imports)
        if (imp.path == pkg && imp.name == x->text)
          return {Bound::Unbounded, std::string(zs.substr(zs.rfind('/') + 1))};
  }
  if (e->kind == NodeKind::Call && e->kid(0) && e->kid(0)->kind == NodeKind::Ident) {
    std::string name(e->kid(0)->text);
    if (name == "new" && e->kid(1) && go::type_string(e->kid(1), file, pkg_) == kind_.type)
      return {Bound::Unbounded, fmt::format("new({}) at line {}", short_type(kind_.type), e->line)};
    auto it = factories_.find(name);
    if (it != factories_.end())
      return named("func:" + name, &it->second, false, factory_what(name));
  }
  return {};
}

Origin PackageIndex::local(const FunctionView& v, int var, const Node* use) const {
  const go::Resolver& r = *v.resolver;
  const go::Var& info = r.var(var);
  if (info.is_param || info.is_result) return {};
  std::string key = fmt::format("local:{}", static_cast<const void*>(info.def));
  bool cacheable = !kind_.assigned_before_use || !use;
  if (cacheable) {
    auto m = memo_.find(key);
    if (m != memo_.end()) return m->second;
  }
  if (busy_.count(key) || busy_.size() > 64) return {};  // a cycle, or a chain too long to follow
  busy_.insert(key);
  bool any = false, timeout = false, other = false;
  Bound b = Bound::Unbounded;
  std::string what;
  const go::SourceFile* file = v.site ? v.site->file : nullptr;
  go::walk(go::func_body(v.decl), [&](const Node* n) {
    if (n->kind == NodeKind::ValueSpec && n->kid(1)) {
      for (uint32_t i = 0; i < n->kid(1)->nkids; ++i) {
        if (r.var_of(n->kid(1)->kid(i)) != var) continue;
        const Node* value = n->kid(2) ? n->kid(2)->kid(i) : nullptr;
        Origin o = value ? classify(v, value, use) : file ? syntactic(n, *file) : Origin{};
        if (o.bound == Bound::Unbounded && what.empty()) what = o.what;
        b = any ? meet(b, o.bound) : o.bound;
        any = true;
      }
    }
    if (n->kind == NodeKind::Range && go::assigns_var(r, n, var)) other = true;
    assignment_pairs(n, [&](const Node* l, const Node* rhs) {
      l = go::unparen(l);
      if (!l) return;
      if (l->kind == NodeKind::Ident && r.var_of(l) == var) {
        Origin o = rhs ? classify(v, rhs, use) : Origin{};
        if (o.bound == Bound::Unbounded && what.empty()) what = o.what;
        b = any ? meet(b, o.bound) : o.bound;
        any = true;
      } else if (l->kind == NodeKind::Selector && l->kid(0) && l->kid(0)->kind == NodeKind::Ident &&
                 r.var_of(l->kid(0)) == var) {
        for (std::string_view f : kind_.fields)
          if (go::ident_name(l->kid(1)) == f && (!kind_.assigned_before_use || !use || n->line < use->line)) timeout = true;
      }
    });
    return true;
  });
  busy_.erase(key);
  Origin out;
  if (timeout) out = {Bound::Bounded, ""};
  else if (!other && any) out = {b, b == Bound::Unbounded ? what : ""};
  if (cacheable) memo_[key] = out;
  return out;
}

Origin PackageIndex::classify(const FunctionView& v, const Node* e, const Node* use) const {
  const go::Resolver& r = *v.resolver;
  e = go::unparen(e);
  if (e && e->kind == NodeKind::Unary && e->text == "&") e = go::unparen(e->kid(0));
  if (!e) return {};
  const go::SourceFile* file = v.site ? v.site->file : nullptr;
  switch (e->kind) {
    case NodeKind::CompositeLit:
      if (file && e->kid(0) && go::strip_pointer(go::type_string(e->kid(0), *file, pkg_)) == kind_.type)
        return literal(e, &v);
      return {};
    case NodeKind::Call: {
      const go::Callee& c = r.callee(e);
      if (c.kind == go::Callee::Kind::Builtin && c.name == "new" && file && e->kid(1) &&
          go::type_string(e->kid(1), *file, pkg_) == kind_.type)
        return {Bound::Unbounded, fmt::format("new({}) at line {}", short_type(kind_.type), e->line)};
      if (c.kind == go::Callee::Kind::Module && c.recv.empty() && c.pkg == pkg_) {
        auto it = factories_.find(c.name);
        if (it != factories_.end())
          return named("func:" + c.name, &it->second, false, factory_what(c.name));
      }
      // a factory of another package of the module: its facts say what it returns
      if (c.kind == go::Callee::Kind::Module && c.pkg != pkg_ && c.facts) {
        uint8_t bits = static_cast<uint8_t>(c.facts->timeout_bounds >> (2 * kind_.index)) & 3;
        if (bits == 1)
          return {Bound::Unbounded, fmt::format("{}.{}() (it returns one without a timeout)",
                                                c.pkg.substr(c.pkg.rfind('/') + 1), c.name)};
        if (bits & 2) return {Bound::Bounded, ""};
      }
      return {};
    }
    case NodeKind::Selector: {
      const Node* x = e->kid(0);
      if (kind_.zero_source && x && x->kind == NodeKind::Ident && r.is_package_name(x) && file) return syntactic(e, *file);
      std::string key = struct_field(r, e);
      if (key.empty()) return {};
      // an exported field (httptest.Server.Config) is set by callers in other packages: unknown
      std::string_view fname = go::ident_name(e->kid(1));
      if (!fname.empty() && fname[0] >= 'A' && fname[0] <= 'Z') return {};
      auto it = fields_.find(key);
      return named("field:" + key, it == fields_.end() ? nullptr : &it->second, field_timeouts_.count(key) > 0,
                   fmt::format("field {} (every assignment in the package lacks a timeout)", key));
    }
    case NodeKind::Ident: {
      int var = r.var_of(e);
      if (var >= 0) return local(v, var, use);
      auto it = vars_.find(std::string(e->text));
      if (it == vars_.end()) return {};
      return named("var:" + std::string(e->text), &it->second, var_timeouts_.count(std::string(e->text)) > 0,
                   fmt::format("package variable {}", e->text));
    }
    default:
      return {};
  }
}

Bound context_bound(const FunctionView& v, const Node* ctx, int depth) {
  const go::Resolver& r = *v.resolver;
  ctx = go::unparen(ctx);
  if (!ctx || depth > 8) return Bound::Unknown;
  if (ctx->kind == NodeKind::Call) {
    const go::Callee& c = r.callee(ctx);
    if (c.kind != go::Callee::Kind::Library) return Bound::Unknown;
    if (c.pkg == "context" && c.recv.empty()) {
      if (c.name == "Background" || c.name == "TODO") return Bound::Unbounded;
      if (c.name.starts_with("WithTimeout") || c.name.starts_with("WithDeadline")) return Bound::Bounded;
      if (c.name == "WithoutCancel") return Bound::Unbounded;  // no deadline, no cancellation
      if (c.name.starts_with("WithCancel") || c.name == "WithValue") return context_bound(v, ctx->kid(1), depth + 1);
      return Bound::Unknown;
    }
    if (c.pkg == "net/http" && c.name == "Context" && ctx->kid(0) && ctx->kid(0)->kind == NodeKind::Selector) {
      const Node* recv = go::unparen(ctx->kid(0)->kid(0));
      int var = recv && recv->kind == NodeKind::Ident ? r.var_of(recv) : -1;
      if (var >= 0 && r.var(var).is_param) return Bound::Bounded;  // an incoming request: the server cancels it
    }
    return Bound::Unknown;
  }
  if (ctx->kind != NodeKind::Ident) return Bound::Unknown;
  int var = r.var_of(ctx);
  if (var < 0 || r.var(var).is_param) return Bound::Unknown;
  // `ctx = context.WithValue(ctx, k, v)`: the variable's own earlier values, already being judged, add
  // nothing (Unbounded is the identity of meet); this also keeps long chains linear
  thread_local std::vector<int> visiting;
  if (std::find(visiting.begin(), visiting.end(), var) != visiting.end()) return Bound::Unbounded;
  visiting.push_back(var);
  struct Pop {
    ~Pop() { visiting.pop_back(); }
  } pop;
  bool any = false, other = false;
  Bound b = Bound::Unbounded;
  go::walk(go::func_body(v.decl), [&](const Node* n) {
    if (n->kind == NodeKind::Range && go::assigns_var(r, n, var)) other = true;
    if (n->kind == NodeKind::ValueSpec && n->kid(1))
      for (uint32_t i = 0; i < n->kid(1)->nkids; ++i)
        if (r.var_of(n->kid(1)->kid(i)) == var) {
          Bound o = n->kid(2) && n->kid(2)->kid(i) ? context_bound(v, n->kid(2)->kid(i), depth + 1) : Bound::Unknown;
          b = any ? meet(b, o) : o;
          any = true;
        }
    assignment_pairs(n, [&](const Node* l, const Node* rhs) {
      if (go::unparen(l) && go::unparen(l)->kind == NodeKind::Ident && r.var_of(go::unparen(l)) == var) {
        Bound o = rhs ? context_bound(v, rhs, depth + 1) : Bound::Unknown;
        b = any ? meet(b, o) : o;
        any = true;
      }
    });
    return true;
  });
  if (other || !any) return Bound::Unknown;
  return b;
}

std::string context_param(const Node* func, const go::Resolver& r) {
  const Node* ft = func_type(func);
  if (!ft || !ft->kid(0)) return {};
  const go::SourceFile* file = r.ctx().file;
  if (!file) return {};
  // a *http.Request is the caller's only in a handler (with a ResponseWriter): elsewhere it may be outgoing
  bool handler = false;
  for (const Node* field : ft->kid(0)->children())
    if (field && go::type_string(field->kid(0), *file, r.ctx().pkg_path) == "net/http.ResponseWriter") handler = true;
  for (const Node* field : ft->kid(0)->children()) {
    if (!field || field->nkids < 2) continue;
    std::string t = go::type_string(field->kid(0), *file, r.ctx().pkg_path);
    if (t != "context.Context" && !(handler && t == "*net/http.Request")) continue;
    for (uint32_t i = 1; i < field->nkids; ++i) {
      std::string_view name = go::ident_name(field->kids[i]);
      if (!name.empty() && name != "_") return t == "context.Context" ? std::string(name) : std::string(name) + ".Context()";
    }
  }
  return {};
}

bool testing_code(const FunctionView& v) {
  if (v.site && v.site->in_test) return true;
  const Node* ft = func_type(v.decl);
  const go::SourceFile* file = v.resolver->ctx().file;
  if (!ft || !ft->kid(0) || !file) return false;
  for (const Node* field : ft->kid(0)->children())
    if (field && go::is_testing_type(go::type_string(field->kid(0), *file, v.resolver->ctx().pkg_path))) return true;
  return false;
}

std::string context_in_scope(const FunctionView& top, const std::vector<const Node*>& up, bool stop_at_defer) {
  const go::Resolver& r = *top.resolver;
  for (size_t i = up.size(); i-- > 0;) {
    const Node* a = up[i];
    if (a->kind == NodeKind::Go || (stop_at_defer && a->kind == NodeKind::Defer)) return {};
    if (a->kind == NodeKind::FuncLit) {
      std::string name = context_param(a, r);
      if (!name.empty()) return name;
      // a callback handed to another function (a close or exit handler) may run after the caller is gone,
      // directly or through a local (`exitHandler := func() {...}; register(exitHandler)`)
      if (stop_at_defer && i > 0 && up[i - 1]->kind == NodeKind::Call && up[i - 1]->kid(0) != a) return {};
      // a hook set in a struct literal (`&Server{OnEvict: func() {...}}`)
      if (stop_at_defer && i > 0 && up[i - 1]->kind == NodeKind::KeyValue) return {};
      if (stop_at_defer && i >= 2 && up[i - 1]->kind == NodeKind::ExprList && up[i - 2]->kind == NodeKind::Assign &&
          up[i - 2]->kid(0) && up[i - 2]->kid(0)->nkids == 1) {
        const Node* l = go::unparen(up[i - 2]->kid(0)->kid(0));
        // a hook: a literal stored in a package variable or a field runs whenever other code calls it
        if (l && (l->kind == NodeKind::Selector || (l->kind == NodeKind::Ident && r.var_of(l) < 0))) return {};
        int var = l && l->kind == NodeKind::Ident ? r.var_of(l) : -1;
        if (var >= 0 && go::any_node(go::func_body(top.decl), [&](const Node* m) {
              if (m->kind != NodeKind::Call) return false;
              for (uint32_t k = 1; k < m->nkids; ++k) {
                const Node* arg = go::unparen(m->kids[k]);
                if (arg && arg->kind == NodeKind::Ident && r.var_of(arg) == var) return true;
              }
              return false;
            }))
          return {};
      }
    }
  }
  return context_param(top.decl, r);
}

report::Finding finding_in(const Rule& rule, const FunctionView& v, const Node* at, bool run_once_is_info) {
  report::Finding f = finding_at(rule, *v.site, at);
  // `go run` programs (generators), and for calls (not servers) main, init and CLI actions: they run once,
  // worth knowing, not a service outage
  if ((v.site->file && v.site->file->go_run_program) || (run_once_is_info && main_like(*v.site)) || testing_code(v))
    f.severity = report::Severity::Info;
  f.function = v.site->function;
  f.func_line = v.func->line;
  f.func_end = v.func->end_line;
  return f;
}

Bound request_bound(const FunctionView& v, const Node* req, int depth) {
  const go::Resolver& r = *v.resolver;
  req = go::unparen(req);
  if (!req || depth > 8) return Bound::Unknown;
  if (req->kind == NodeKind::Call) {
    const go::Callee& c = r.callee(req);
    if (c.kind != go::Callee::Kind::Library || c.pkg != "net/http") return Bound::Unknown;
    if (c.recv.empty() && c.name == "NewRequest") return Bound::Unbounded;
    if (c.recv.empty() && c.name == "NewRequestWithContext") return context_bound(v, req->kid(1));
    if (!c.recv.empty() && (c.name == "WithContext" || c.name == "Clone")) return context_bound(v, req->kid(1));
    return Bound::Unknown;
  }
  if (req->kind != NodeKind::Ident) return Bound::Unknown;
  int var = r.var_of(req);
  if (var < 0 || r.var(var).is_param) return Bound::Unknown;
  thread_local std::vector<int> visiting;  // as in context_bound: self-references add nothing
  if (std::find(visiting.begin(), visiting.end(), var) != visiting.end()) return Bound::Unbounded;
  visiting.push_back(var);
  struct Pop {
    ~Pop() { visiting.pop_back(); }
  } pop;
  bool any = false, cancel = false;
  Bound b = Bound::Unbounded;
  go::walk(go::func_body(v.decl), [&](const Node* n) {
    assignment_pairs(n, [&](const Node* l, const Node* rhs) {
      l = go::unparen(l);
      // `req.Cancel = ctx.Done()`: the deprecated way to cancel a request
      if (l && l->kind == NodeKind::Selector && go::ident_name(l->kid(1)) == "Cancel" && l->kid(0) &&
          l->kid(0)->kind == NodeKind::Ident && r.var_of(l->kid(0)) == var)
        cancel = true;
      if (l && l->kind == NodeKind::Ident && r.var_of(l) == var) {
        Bound o = rhs ? request_bound(v, rhs, depth + 1) : Bound::Unknown;
        b = any ? meet(b, o) : o;
        any = true;
      }
    });
    return true;
  });
  return any && !cancel ? b : Bound::Unknown;
}

std::string func_key(const Node* decl) {
  std::string name(go::ident_name(decl->kid(1)));
  std::string_view recv = go::receiver_type_name(decl);
  return recv.empty() ? name : std::string(recv) + "." + name;
}

std::string callee_key(const go::Callee& c) {
  if (c.recv.empty()) return c.name;
  std::string_view r = c.recv;
  return std::string(r.substr(r.rfind('.') + 1)) + "." + c.name;
}

bool tcp_literal(const Node* arg) {
  arg = go::unparen(arg);
  return arg && arg->kind == NodeKind::BasicLit &&
         (arg->text == "\"tcp\"" || arg->text == "\"tcp4\"" || arg->text == "\"tcp6\"" || arg->text == "`tcp`");
}

}  // namespace leakhound::rules::tmo
