#include "flow/resources.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "golang/walk.h"

namespace leakhound::flow {
using go::Node;
constexpr size_t kMaxAcquisitionsPerFunction = 512;
using go::NodeKind;
using go::unparen;

struct ResourceEngine::Tracked {
  const models::ResourceType* type = nullptr;
  std::vector<int> vars;  // the variable and its aliases
  int var = -1;
  int err_var = -1;
  bool named_result = false;
  bool captured = false;  // the variable belongs to an enclosing function
  bool deferred = false;  // a defer registered before the acquisition releases it
  const Node* acq_stmt = nullptr;
  bool tls_dialled = false;        // from tls.Dial*: the handshake has already completed
  int done_var = -1;               // cancel funcs: `<-ctx.Done()` on this context means it already ended
  int parent_var = -1;             // closing, committing or rolling back this releases it (statements)
  std::vector<int> cancel_vars;    // calling (or scheduling) these cancels the context it was acquired with
  bool has(int v) const { return v >= 0 && std::find(vars.begin(), vars.end(), v) != vars.end(); }
};

std::string callee_text(const Node* call) {
  const Node* f = unparen(call ? call->kid(0) : nullptr);
  std::vector<std::string_view> parts;
  for (int i = 0; f && i < 8; ++i) {
    if (f->kind == NodeKind::Ident) {
      parts.push_back(f->text);
      break;
    }
    if (f->kind == NodeKind::Selector) {
      parts.push_back(go::ident_name(f->kid(1)));
      f = unparen(f->kid(0));
      continue;
    }
    if (f->kind == NodeKind::Call) {
      parts.push_back("()");
      f = unparen(f->kid(0));
      continue;
    }
    parts.push_back("(...)");
    break;
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (*it == "()") {
      out += "()";
      continue;
    }
    if (!out.empty()) out += ".";
    out += *it;
  }
  return out;
}

ResourceEngine::ResourceEngine(const go::Resolver& resolver, std::vector<const models::ResourceType*> tracked)
    : r_(resolver), tracked_(std::move(tracked)) {
  param_model_.id = "parameter";
  param_model_.handle_field = "Body";
  param_model_.release_methods = {"Close", "Stop", "Rollback", "Commit", "Release", "Shutdown", "Cancel"};
  param_model_.release_by_call = true;
  transport_ = tracked_type("http-transport");
}

// 1: the resource released itself on the condition's false branch (`for rows.Next()`
// ran to the end); 2: on its true branch (`if !rows.Next()`); 0: neither.
int ResourceEngine::exhausts(const Node* cond, const Tracked& t) const {
  if (t.type->exhaust_method.empty()) return 0;
  cond = unparen(cond);
  bool negated = false;
  while (cond && cond->kind == NodeKind::Unary && cond->text == "!") {
    negated = !negated;
    cond = unparen(cond->kid(0));
  }
  if (!cond || cond->kind != NodeKind::Call || cond->nkids != 1) return 0;
  const Node* fun = unparen(cond->kid(0));
  if (!fun || fun->kind != NodeKind::Selector || go::ident_name(fun->kid(1)) != t.type->exhaust_method) return 0;
  if (!is_handle(fun->kid(0), t)) return 0;
  return negated ? 2 : 1;
}

int ResourceEngine::find_acquisitions(const Node* call, Found* out, int cap) const {
  if (!call || call->kind != NodeKind::Call) return 0;
  const go::Callee& c = r_.callee(call);
  const models::ModelTable* m = r_.ctx().models;
  int n = 0;
  if ((c.kind == go::Callee::Kind::Library || c.kind == go::Callee::Kind::Module) && m) {
    for (const models::Acquirer* a : m->acquirers_of(c.pkg, c.recv, c.name))
      if (auto* t = tracked_type(a->resource); t && n < cap) out[n++] = {t, a->result};
    if (n > 0 || c.kind == go::Callee::Kind::Library) return n;
  }
  if (c.kind == go::Callee::Kind::Module && c.facts) {
    for (size_t i = 0; i < c.facts->fresh_results.size() && n < cap; ++i) {
      if (c.facts->fresh_results[i].empty()) continue;
      if (auto* t = tracked_type(c.facts->fresh_results[i])) out[n++] = {t, static_cast<int>(i)};
    }
  }
  return n;
}

bool ResourceEngine::find_acquisition(const Node* call, const models::ResourceType** type, int* result_index) const {
  Found f[1];
  if (find_acquisitions(call, f, 1) == 0) return false;
  *type = f[0].type;
  *result_index = f[0].result;
  return true;
}

// Is the composite literal `lit` (possibly behind `&`) of the named type?
bool ResourceEngine::literal_of_type(const Node* e, std::string_view type) const {
  e = unparen(e);
  if (e && e->kind == NodeKind::Unary && e->text == "&") e = unparen(e->kid(0));
  if (!e || e->kind != NodeKind::CompositeLit) return false;
  std::string t = r_.type_of(e);
  return t == type;
}

// The value of the `Transport:` field of an http.Client literal (possibly behind `&`), or null.
const Node* ResourceEngine::client_transport(const Node* e) const {
  if (!literal_of_type(e, "net/http.Client")) return nullptr;
  e = unparen(e);
  if (e->kind == NodeKind::Unary) e = unparen(e->kid(0));
  for (uint32_t i = 1; i < e->nkids; ++i) {
    const Node* kv = e->kids[i];
    if (kv && kv->kind == NodeKind::KeyValue && go::ident_name(kv->kid(0)) == "Transport") return unparen(kv->kid(1));
  }
  return nullptr;
}

// A new http.Transport built by this expression: the literal itself, or an
// http.Client literal whose Transport field is one. Returns the Transport
// literal (where the finding goes), or null.
const Node* ResourceEngine::new_transport(const Node* e) const {
  if (!transport_) return nullptr;
  if (literal_of_type(e, "net/http.Transport")) return unparen(e);
  const Node* v = client_transport(e);
  if (!v) return nullptr;
  if (literal_of_type(v, "net/http.Transport")) return v;
  const models::ResourceType* type = nullptr;
  int ri = 0;
  if (v->kind == NodeKind::Call && find_acquisition(v, &type, &ri) && type == transport_) return v;
  return nullptr;
}

// `&http.Client{Transport: tr}` with tr tracked: the client is the transport's holder (an alias).
bool ResourceEngine::wraps_transport(const Node* e, const Tracked& t) const {
  if (t.type != transport_) return false;
  const Node* v = client_transport(e);
  if (v && v->kind == NodeKind::Unary && v->text == "&") v = v->kid(0);  // &tr of a Transport value
  return v && is_handle(v, t);
}

void ResourceEngine::collect_acquisitions(const Node* func, const Cfg& cfg, std::vector<Acquisition>& out,
                                          std::vector<Leak>& discarded) const {
  (void)func;
  auto error_index = [&](const Node* call, const Node* lhs_list, int ri) -> int {
    const auto& results = r_.results_of(call);
    for (size_t i = 0; i < results.size(); ++i)
      if (results[i] == "error") return static_cast<int>(i);
    // results unknown (a user-modelled library call): by convention the error comes last
    if (results.empty() && lhs_list && lhs_list->nkids >= 2 && static_cast<int>(lhs_list->nkids) - 1 != ri)
      return static_cast<int>(lhs_list->nkids) - 1;
    return -1;
  };
  auto bind_one = [&](const Node* stmt, const Node* call, const Node* lhs_list, const models::ResourceType* type,
                      int ri, const Node* at) {
    Acquisition a;
    a.call = at ? at : call;
    a.stmt = stmt;
    a.type = type;
    a.via = at ? std::string("http.Transport{...}") : callee_text(call);
    a.module_wrapper = call->kind == NodeKind::Call && r_.callee(call).kind == go::Callee::Kind::Module;
    auto leak_at_call = [&](Leak::Path path) {
      Leak l;
      l.acq = a;
      l.path = path;
      l.line = call->line;
      discarded.push_back(std::move(l));
    };
    if (!lhs_list) {
      leak_at_call(Leak::Path::DiscardedUnused);
      return;
    }
    const Node* lhs = lhs_list->kid(static_cast<uint32_t>(ri));
    if (!lhs) return;
    lhs = unparen(lhs);
    int v = -1;
    if (go::ident_name(lhs) == "_") {
      a.discarded = true;
    } else {
      v = lhs->kind == NodeKind::Ident ? r_.var_of(lhs) : -1;
      if (v < 0) return;  // stored in a field, element or package variable: handed off
    }
    a.var = v;
    if (type->release_by_call && ri == 1) {
      const Node* c0 = unparen(lhs_list->kid(0));
      if (c0 && c0->kind == NodeKind::Ident) a.ctx_var = r_.var_of(c0);
    }
    if (call->kind == NodeKind::Call) {
      const Node* fun = unparen(call->kid(0));
      const Node* recv = fun && fun->kind == NodeKind::Selector ? unparen(fun->kid(0)) : nullptr;
      if (recv && recv->kind == NodeKind::Ident) a.parent_var = r_.var_of(recv);
      const Node* arg0 = unparen(call->kid(1));
      if (arg0 && arg0->kind == NodeKind::Ident) a.ctx_arg_var = r_.var_of(arg0);
    }
    int ei = call->kind == NodeKind::Call ? error_index(call, lhs_list, ri) : -1;
    if (ei >= 0 && ei != ri) {
      const Node* e = lhs_list->kid(static_cast<uint32_t>(ei));
      if (e && e->kind == NodeKind::Ident) a.err_var = r_.var_of(e);
    }
    if (a.discarded && a.err_var < 0) {
      leak_at_call(Leak::Path::DiscardedBlank);  // `_, _ = http.Get(u)`: nothing can ever close it
      return;
    }
    out.push_back(std::move(a));
  };
  auto bind = [&](const Node* stmt, const Node* expr, const Node* lhs_list) {
    if (expr->kind == NodeKind::Call && always_fails(expr)) return;
    if (expr->kind != NodeKind::Call) {
      if (const Node* at = new_transport(expr)) bind_one(stmt, expr, lhs_list, transport_, 0, at);
      return;
    }
    Found found[4];
    int n = find_acquisitions(expr, found, 4);
    for (int i = 0; i < n; ++i) bind_one(stmt, expr, lhs_list, found[i].type, found[i].result, nullptr);
  };
  auto acquiring = [&](const Node* e) {
    return e && (e->kind == NodeKind::Call || (transport_ && (e->kind == NodeKind::Unary || e->kind == NodeKind::CompositeLit)));
  };
  for (const auto& b : cfg.blocks) {
    for (const auto& it : b.items) {
      if (it.kind != Item::Kind::Stmt) continue;
      const Node* s = it.node;
      if (s->kind == NodeKind::Assign) {
        const Node* lhs = s->kid(0);
        const Node* rhs = s->kid(1);
        if (!lhs || !rhs) continue;
        if (rhs->nkids == 1 && lhs->nkids >= 1) {
          const Node* call = unparen(rhs->kid(0));
          if (acquiring(call)) bind(s, call, lhs);
        } else if (rhs->nkids == lhs->nkids) {
          for (uint32_t i = 0; i < rhs->nkids; ++i) {
            const Node* call = unparen(rhs->kids[i]);
            if (!acquiring(call)) continue;
            const models::ResourceType* type = nullptr;
            int ri = 0;
            if (call->kind == NodeKind::Call && (!find_acquisition(call, &type, &ri) || ri != 0)) continue;
            // single-valued call in a parallel assignment: bind lhs[i]
            Node tmp_list;
            Node* one[1] = {lhs->kids[i]};
            tmp_list.kind = NodeKind::ExprList;
            tmp_list.kids = one;
            tmp_list.nkids = 1;
            bind(s, call, &tmp_list);
          }
        }
      } else if (s->kind == NodeKind::DeclStmt) {
        const Node* gd = s->kid(0);
        if (!gd || gd->text != "var") continue;
        for (const Node* spec : gd->children()) {
          if (!spec || spec->kind != NodeKind::ValueSpec || !spec->kid(2)) continue;
          const Node* values = spec->kid(2);
          if (values->nkids == 1) {
            const Node* call = unparen(values->kid(0));
            if (acquiring(call)) bind(s, call, spec->kid(1));
          }
        }
      } else if (s->kind == NodeKind::ExprStmt) {
        const Node* call = unparen(s->kid(0));
        if (call && call->kind == NodeKind::Call) bind(s, call, nullptr);
      }
    }
  }
}

const models::ResourceType* ResourceEngine::tracked_type(std::string_view id) const {
  for (auto* t : tracked_)
    if (t->id == id) return t;
  return nullptr;
}

// `H.Close` (or another release method of the resource) on one of its handles.
bool ResourceEngine::is_release_method(const Node* sel, const Tracked& t) const {
  if (!sel || sel->kind != NodeKind::Selector) return false;
  std::string_view meth = go::ident_name(sel->kid(1));
  for (auto& rm : t.type->release_methods)
    if (rm == meth) return is_resource_value(sel->kid(0), t);  // also `x.(*sql.Rows).Close()`
  return false;
}

bool ResourceEngine::is_handle(const Node* e, const Tracked& t) const {
  e = unparen(e);
  if (!e) return false;
  if (e->kind == NodeKind::Ident) return t.has(r_.var_of(e));
  if (e->kind == NodeKind::Selector && !t.type->handle_field.empty() &&
      go::ident_name(e->kid(1)) == t.type->handle_field) {
    const Node* x = unparen(e->kid(0));
    return x && x->kind == NodeKind::Ident && t.has(r_.var_of(x));
  }
  return false;
}

bool ResourceEngine::is_resource_value(const Node* e, const Tracked& t) const {
  e = unparen(e);
  if (e && e->kind == NodeKind::TypeAssert) e = unparen(e->kid(0));
  // tls.Client(conn, cfg): the same socket under another type (wrappers of wrappers, boundedly)
  for (int d = 0; d < 8 && e && e->kind == NodeKind::Call && e->nkids >= 2 && r_.ctx().models; ++d) {
    const go::Callee& c = r_.callee(e);
    if (c.kind != go::Callee::Kind::Library || !c.recv.empty() || !r_.ctx().models->wraps(c.pkg, c.name)) break;
    e = unparen(e->kid(1));
    if (e && e->kind == NodeKind::TypeAssert) e = unparen(e->kid(0));
  }
  return is_handle(e, t) || wraps_transport(e, t);
}

void ResourceEngine::compute_aliases(const Node* func, Tracked& t) const {
  const Node* body = go::func_body(func);
  for (int round = 0; round < 4; ++round) {
    size_t before = t.vars.size();
    go::walk(body, [&](const Node* n) {
      if (n->kind == NodeKind::Assign) {
        const Node* lhs = n->kid(0);
        const Node* rhs = n->kid(1);
        if (lhs && rhs && lhs->nkids == 2 && rhs->nkids == 1) {
          // `rwc, ok := resp.Body.(io.ReadWriteCloser)`: the first result is the same body
          const Node* ta = unparen(rhs->kid(0));
          const Node* l = unparen(lhs->kid(0));
          if (ta && ta->kind == NodeKind::TypeAssert && l && l->kind == NodeKind::Ident && is_handle(ta->kid(0), t)) {
            int v = r_.var_of(l);
            if (v >= 0 && !t.has(v)) t.vars.push_back(v);
          }
        }
        if (lhs && rhs && lhs->nkids == rhs->nkids) {
          for (uint32_t i = 0; i < lhs->nkids; ++i) {
            const Node* l = unparen(lhs->kids[i]);
            if (!l || l->kind != NodeKind::Ident || !is_resource_value(rhs->kids[i], t)) continue;
            int v = r_.var_of(l);
            if (v >= 0 && !t.has(v)) t.vars.push_back(v);
          }
        }
      } else if (n->kind == NodeKind::Range && n->text == ":=" && is_resource_value(n->kid(2), t)) {
        // ranging over tracked closers (a variadic parameter): each element is one of them
        int v = r_.var_of(n->kid(1));
        if (v >= 0 && !t.has(v)) t.vars.push_back(v);
      } else if (n->kind == NodeKind::ValueSpec) {
        const Node* names = n->kid(1);
        const Node* values = n->kid(2);
        if (names && values && names->nkids == values->nkids) {
          for (uint32_t i = 0; i < names->nkids; ++i) {
            if (!is_resource_value(values->kids[i], t)) continue;
            int v = r_.var_of(names->kids[i]);
            if (v >= 0 && !t.has(v)) t.vars.push_back(v);
          }
        }
      }
      return true;
    });
    if (t.vars.size() == before) break;
  }
}

ResourceEngine::Event ResourceEngine::scan_funclit(const Node* lit, const Tracked& t, int depth) const {
  // nested literals are rare; past the bound assume the closure keeps the resource
  if (depth > 32) return Event::Handoff;
  return scan(lit->kid(1), t, false, depth + 1);
}

ResourceEngine::Event ResourceEngine::scan(const Node* root, const Tracked& t, bool in_defer, int depth) const {
  if (!root) return Event::None;
  Event found = Event::None;
  const models::ModelTable* m = r_.ctx().models;
  go::walk(root, [&](const Node* n) -> bool {
    if (found != Event::None) return false;
    switch (n->kind) {
      case NodeKind::FuncLit: {
        Event e = scan_funclit(n, t, depth);
        if (e != Event::None) found = in_defer ? Event::Release : Event::Handoff;
        return false;
      }
      case NodeKind::Unary:
        if (n->text == "<-" && t.done_var >= 0 && depth == 0) {  // not a wait inside a goroutine or closure
          // `<-ctx.Done()`: the context has ended, its cancel func has nothing left to release
          const Node* c = unparen(n->kid(0));
          const Node* f = c && c->kind == NodeKind::Call ? unparen(c->kid(0)) : nullptr;
          const Node* x = f && f->kind == NodeKind::Selector && go::ident_name(f->kid(1)) == "Done" ? unparen(f->kid(0)) : nullptr;
          if (x && x->kind == NodeKind::Ident && r_.var_of(x) == t.done_var) {
            found = Event::Release;
            return false;
          }
        }
        if (n->text == "&" && is_handle(n->kid(0), t)) {
          found = Event::Handoff;
          return false;
        }
        return true;
      case NodeKind::Go: {
        // `go io.Copy(dst, conn)`: a goroutine of the library keeps using it after we return
        const Node* call = unparen(n->kid(0));
        if (call && call->kind == NodeKind::Call && r_.callee(call).kind == go::Callee::Kind::Library)
          for (uint32_t i = 1; i < call->nkids; ++i)
            if (is_resource_value(call->kids[i], t)) {
              found = Event::Handoff;
              return false;
            }
        return true;
      }
      case NodeKind::Call: {
        const Node* fun = unparen(n->kid(0));
        if (is_release_method(fun, t)) {
          found = Event::Release;
          return false;
        }
        if (!t.cancel_vars.empty()) {
          // cancelling the context it was acquired with releases it (database/sql closes rows, rolls back)
          auto is_cancel = [&](const Node* x) {
            x = unparen(x);
            return x && x->kind == NodeKind::Ident &&
                   std::find(t.cancel_vars.begin(), t.cancel_vars.end(), r_.var_of(x)) != t.cancel_vars.end();
          };
          bool hit = is_cancel(fun);
          for (uint32_t i = 1; i < n->nkids && !hit; ++i) hit = is_cancel(n->kids[i]);  // time.AfterFunc(d, cancel)
          if (hit) {
            found = Event::Release;
            return false;
          }
        }
        if (t.parent_var >= 0 && fun && fun->kind == NodeKind::Selector) {
          // the statement's DB or Tx closed, committed or rolled back closes the statement too
          std::string_view m = go::ident_name(fun->kid(1));
          const Node* x = unparen(fun->kid(0));
          if ((m == "Close" || m == "Commit" || m == "Rollback") && x && x->kind == NodeKind::Ident &&
              r_.var_of(x) == t.parent_var) {
            found = Event::Release;
            return false;
          }
        }
        if (t.type->release_by_call && fun && fun->kind == NodeKind::TypeAssert) fun = unparen(fun->kid(0));
        if (t.type->release_by_call && fun && fun->kind == NodeKind::Ident && t.has(r_.var_of(fun))) {
          found = Event::Release;
          return false;
        }
        bool any_arg = false;
        for (uint32_t i = 1; i < n->nkids; ++i)
          if (is_resource_value(n->kids[i], t)) any_arg = true;
        if (!any_arg) return true;
        if (t.type->release_by_call && t.type != &param_model_) {
          // a function value passed on (t.Cleanup(cancel), time.AfterFunc(d, cancel), a helper) may be called
          // by the callee; printing or logging it (fmt, log) does not call it
          const go::Callee& fc = r_.callee(n);
          bool prints = fc.kind == go::Callee::Kind::Library &&
                        (fc.pkg == "fmt" || fc.pkg == "log" || fc.pkg == "log/slog");
          if (!prints) {
            found = Event::Handoff;
            return false;
          }
          return true;
        }
        const go::Callee& c = r_.callee(n);
        for (uint32_t i = 1; i < n->nkids; ++i) {
          if (!is_resource_value(n->kids[i], t)) continue;
          size_t p = i - 1;
          switch (c.kind) {
            case go::Callee::Kind::Module:
              if (!c.facts) {
                found = Event::Handoff;
              } else {
                if (c.sig && c.sig->variadic && !c.sig->params.empty() && p >= c.sig->params.size())
                  p = c.sig->params.size() - 1;
                if (c.facts->consumes(p))
                  found = (p < 64 && (c.facts->closes_params >> p) & 1) ? Event::Release : Event::Handoff;
              }
              break;
            case go::Callee::Kind::Library:
              if (const models::Closer* cl = m ? m->closer(c.pkg, c.recv, c.name) : nullptr;
                  cl && static_cast<size_t>(cl->param) == p)
                found = Event::Release;
              else if (!models::is_stdlib_path(c.pkg) || (m && m->keeps(c.pkg, c.name)))
                found = Event::Handoff;
              break;
            case go::Callee::Kind::Builtin:
              if (c.name == "append") found = Event::Handoff;
              break;
            default:
              found = Event::Handoff;
          }
          if (found != Event::None) return false;
        }
        return true;
      }
      case NodeKind::Selector:
        // `closer := resp.Body.Close` binds the receiver: whoever calls it releases
        if (is_release_method(n, t)) {
          found = Event::Handoff;
          return false;
        }
        return true;
      case NodeKind::For:
        // a helper whose `for rows.Next() {}` runs to the end has closed its *sql.Rows parameter
        if (t.type == &param_model_ && t.var >= 0 && r_.var(t.var).type == "*database/sql.Rows" && n->kid(1)) {
          const Node* c = unparen(n->kid(1));
          const Node* f = c && c->kind == NodeKind::Call ? unparen(c->kid(0)) : nullptr;
          if (f && f->kind == NodeKind::Selector && go::ident_name(f->kid(1)) == "Next" && is_handle(f->kid(0), t) &&
              !go::any_node(n->kid(3), [](const Node* x) {
                return x->kind == NodeKind::Return || (x->kind == NodeKind::Branch && x->text == "break") ||
                       x->kind == NodeKind::FuncLit;
              })) {
            found = Event::Release;
            return false;
          }
        }
        return true;
      case NodeKind::Send:
        if (is_resource_value(n->kid(1), t)) {
          found = Event::Handoff;
          return false;
        }
        return true;
      case NodeKind::Assign: {
        const Node* lhs = n->kid(0);
        const Node* rhs = n->kid(1);
        if (lhs && rhs && lhs->nkids == rhs->nkids) {
          for (uint32_t i = 0; i < rhs->nkids; ++i) {
            if (!is_resource_value(rhs->kids[i], t)) continue;
            const Node* l = unparen(lhs->kids[i]);
            if (l && l->kind == NodeKind::Ident && (r_.var_of(l) >= 0 || l->text == "_")) continue;  // alias
            found = Event::Handoff;  // field, element, pointer target or package variable
            return false;
          }
        }
        return true;
      }
      case NodeKind::CompositeLit:
        if (wraps_transport(n, t)) return false;  // the client literal holding the transport: an alias
        for (uint32_t i = 1; i < n->nkids; ++i) {
          const Node* e = n->kids[i];
          if (e && e->kind == NodeKind::KeyValue) e = e->kid(1);
          if (is_resource_value(e, t)) {
            found = Event::Handoff;
            return false;
          }
        }
        return true;
      case NodeKind::Return:
        for (const Node* e : n->children()) {
          const Node* u = unparen(e);
          // a returned closure that uses the resource keeps it alive
          if (is_resource_value(e, t) ||
              (u && u->kind == NodeKind::FuncLit && go::any_node(u, [&](const Node* x) { return is_handle(x, t); }))) {
            found = Event::Handoff;
            return false;
          }
        }
        return true;
      default:
        return true;
    }
  });
  return found;
}

// A call that cannot succeed, so nothing is acquired: in a test, os.Open of a
// relative literal path that does not exist next to the test (a test of the
// error value).
bool ResourceEngine::always_fails(const Node* call) const {
  const go::SourceFile* f = r_.ctx().file;
  if (!f || !f->is_test || call->nkids < 2) return false;
  const go::Callee& c = r_.callee(call);
  if (c.kind != go::Callee::Kind::Library || c.pkg != "os" || !c.recv.empty() || (c.name != "Open" && c.name != "OpenFile"))
    return false;
  const Node* a = unparen(call->kid(1));
  if (!a || a->kind != NodeKind::BasicLit || a->text.size() < 3 || a->text.front() != '"') return false;
  std::string path(a->text.substr(1, a->text.size() - 2));
  if (path.empty() || path[0] == '/' || path.find('\\') != std::string::npos) return false;
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(f->path).parent_path();
  return !std::filesystem::exists(dir / path, ec) && !ec;
}

// `c = tls.Server(c, cfg)`: the variable now holds a wrapper that owns the old value.
bool ResourceEngine::rewraps(const Node* s, const Tracked& t) const {
  if (s->kind != NodeKind::Assign || !s->kid(0) || !s->kid(1) || s->kid(0)->nkids != s->kid(1)->nkids) return false;
  for (uint32_t i = 0; i < s->kid(0)->nkids; ++i) {
    const Node* l = unparen(s->kid(0)->kids[i]);
    if (l && l->kind == NodeKind::Ident && r_.var_of(l) == t.var) return is_resource_value(s->kid(1)->kids[i], t);
  }
  return false;
}

// `err := c.Handshake()` on a conn from tls.Dial: the handshake is already done, the
// call returns nil, so the error branch cannot happen. Returns err's variable, or -1.
int ResourceEngine::handshake_error(const Node* n, const Tracked& t) const {
  if (!t.tls_dialled || n->kind != NodeKind::Assign || !n->kid(0) || !n->kid(1) || n->kid(0)->nkids != 1 ||
      n->kid(1)->nkids != 1)
    return -1;
  const Node* call = unparen(n->kid(1)->kid(0));
  const Node* fun = call && call->kind == NodeKind::Call ? unparen(call->kid(0)) : nullptr;
  if (!fun || fun->kind != NodeKind::Selector) return -1;
  std::string_view m = go::ident_name(fun->kid(1));
  if ((m != "Handshake" && m != "HandshakeContext") || !is_handle(fun->kid(0), t)) return -1;
  const Node* l = unparen(n->kid(0)->kid(0));
  return l && l->kind == NodeKind::Ident ? r_.var_of(l) : -1;
}

// `defer func() { ... x.Close() ... }()` where x is the tracked variable itself
// (captured by reference), as opposed to `defer x.Close()` (the value, bound now).
bool ResourceEngine::defers_closure_over_var(const Node* d, const Tracked& t) const {
  const Node* call = unparen(d->kid(0));
  const Node* fun = call && call->kind == NodeKind::Call ? unparen(call->kid(0)) : nullptr;
  if (!fun || fun->kind != NodeKind::FuncLit || t.var < 0) return false;
  for (uint32_t i = 1; i < call->nkids; ++i)
    if (is_resource_value(call->kids[i], t)) return false;  // passed as an argument: the value is bound now
  return true;
}

// `resp.Body = X` where X does not wrap the old body: the old one can no longer be closed.
bool ResourceEngine::replaces_handle(const Node* s, const Tracked& t) const {
  if (!s || s->kind != NodeKind::Assign || s->text != "=" || t.type->handle_field.empty()) return false;
  const Node* lhs = s->kid(0);
  const Node* rhs = s->kid(1);
  if (!lhs || !rhs || lhs->nkids != rhs->nkids) return false;
  for (uint32_t i = 0; i < lhs->nkids; ++i) {
    const Node* l = unparen(lhs->kids[i]);
    if (!l || l->kind != NodeKind::Selector || go::ident_name(l->kid(1)) != t.type->handle_field) continue;
    if (!is_handle(l, t)) continue;
    bool wraps = go::any_node(rhs->kids[i], [&](const Node* n) { return is_handle(n, t); });
    if (!wraps) return true;
  }
  return false;
}

bool ResourceEngine::assigns_var(const Node* s, int var) const { return go::assigns_var(r_, s, var); }

// In a _test.go file: does the statement report a test failure (t.Error, t.Errorf, t.Fail)?
bool ResourceEngine::reports_test_failure(const Node* n) const {
  if (!r_.ctx().file || !r_.ctx().file->is_test || n->kind != NodeKind::ExprStmt) return false;
  const Node* call = unparen(n->kid(0));
  if (!call || call->kind != NodeKind::Call) return false;
  const Node* fun = unparen(call->kid(0));
  if (!fun || fun->kind != NodeKind::Selector) return false;
  std::string_view m = go::ident_name(fun->kid(1));
  if (m != "Error" && m != "Errorf" && m != "Fail") return false;
  return go::is_testing_type(r_.type_of(fun->kid(0)));
}

// Does `n` call a method on variable `var` (outside function literals)?
bool ResourceEngine::calls_method_on(const Node* n, int var, bool unguarded_only) const {
  if (var < 0 || !n) return false;
  std::vector<const Node*> stack{n};
  while (!stack.empty()) {
    const Node* x = stack.back();
    stack.pop_back();
    if (!x || x->kind == NodeKind::FuncLit) continue;
    if (x->kind == NodeKind::Call) {
      const Node* fun = unparen(x->kid(0));
      if (fun && fun->kind == NodeKind::Selector) {
        const Node* recv = unparen(fun->kid(0));
        if (recv && recv->kind == NodeKind::Ident && r_.var_of(recv) == var) return true;
      }
    }
    if (unguarded_only && x->kind == NodeKind::Binary && (x->text == "&&" || x->text == "||")) {
      // only the left operand always runs: `err != nil && err.Error() == "x"` is guarded
      stack.push_back(x->kid(0));
      continue;
    }
    for (const Node* k : x->children()) stack.push_back(k);
  }
  return false;
}

// Is a release of this acquisition reachable on some path (ignoring conditions)?
bool ResourceEngine::reaches_release(const Cfg& cfg, uint32_t start_block, size_t start_item, const Tracked& t,
                                     Event want) const {
  std::vector<uint8_t> seen(cfg.blocks.size(), 0);
  std::vector<std::pair<uint32_t, size_t>> stack{{start_block, start_item}};
  while (!stack.empty()) {
    auto [bi, from] = stack.back();
    stack.pop_back();
    const BasicBlock& b = cfg.blocks[bi];
    bool stop = false;
    for (size_t i = from; i < b.items.size() && !stop; ++i) {
      const Node* n = b.items[i].node;
      if (n == t.acq_stmt || b.items[i].kind == Item::Kind::RangeAssign) {
        stop = n == t.acq_stmt;
        continue;
      }
      if (scan(n, t, n->kind == NodeKind::Defer) == want) return true;
      if (assigns_var(n, t.var)) stop = true;
    }
    if (stop) continue;
    if (b.cond && scan(b.cond, t, false) == want) return true;
    for (uint32_t s : b.succs)
      if (s != Cfg::kExit && !seen[s]) {
        seen[s] = 1;
        stack.push_back({s, 0});
      }
  }
  return false;
}

// 1: true whenever the resource is held; 0: false whenever it is held; -1: unknown.
int ResourceEngine::eval_cond(const Node* e, const Tracked& t, int errv, int depth) const {
  const bool err_linked = errv >= 0;
  e = unparen(e);
  if (!e || depth > 64) return -1;
  if (e->kind == NodeKind::Unary && e->text == "!") {
    int v = eval_cond(e->kid(0), t, errv, depth + 1);
    return v < 0 ? -1 : 1 - v;
  }
  if (e->kind == NodeKind::Call && err_linked) {
    // errors.Is(err, X) / errors.As(err, &x) are false for a nil error
    const Node* fun = unparen(e->kid(0));
    if (fun && fun->kind == NodeKind::Selector && go::ident_name(unparen(fun->kid(0))) == "errors" &&
        (go::ident_name(fun->kid(1)) == "Is" || go::ident_name(fun->kid(1)) == "As")) {
      const Node* a = unparen(e->kid(1));
      if (a && a->kind == NodeKind::Ident && r_.var_of(a) == errv) return 0;
    }
    // predicates on the error (os.IsNotExist(err), isTemporary(err)) are false for a nil error
    std::string_view name = fun && fun->kind == NodeKind::Selector ? go::ident_name(fun->kid(1))
                            : fun && fun->kind == NodeKind::Ident ? fun->text : std::string_view();
    if (e->nkids == 2 && name.size() > 2 && (name.starts_with("is") || name.starts_with("Is")) &&
        std::isupper(static_cast<unsigned char>(name[2]))) {
      const Node* a = unparen(e->kid(1));
      if (a && a->kind == NodeKind::Ident && r_.var_of(a) == errv) return 0;
    }
    return -1;
  }
  if (e->kind != NodeKind::Binary) return -1;
  if (e->text == "&&" || e->text == "||") {
    int a = eval_cond(e->kid(0), t, errv, depth + 1);
    int b = eval_cond(e->kid(1), t, errv, depth + 1);
    if (e->text == "&&") {
      if (a == 0 || b == 0) return 0;
      if (a == 1 && b == 1) return 1;
      return -1;
    }
    if (a == 1 || b == 1) return 1;
    if (a == 0 && b == 0) return 0;
    return -1;
  }
  if (e->text != "==" && e->text != "!=") return -1;
  const Node* x = unparen(e->kid(0));
  const Node* y = unparen(e->kid(1));
  if (go::ident_name(x) == "nil") std::swap(x, y);
  if (err_linked && x && y && go::ident_name(y) != "nil") {
    // `err != errFake`, `err == io.EOF`: a sentinel error (a package-level value) is never
    // nil, so on the success path (err == nil) the comparison is decided
    auto is_err = [&](const Node* e) { return e->kind == NodeKind::Ident && r_.var_of(e) == errv; };
    auto sentinel = [&](const Node* e) {
      return (e->kind == NodeKind::Ident && r_.var_of(e) < 0 && e->text != "nil" && e->text != "true" &&
              e->text != "false") ||
             (e->kind == NodeKind::Selector && unparen(e->kid(0)) && unparen(e->kid(0))->kind == NodeKind::Ident &&
              r_.is_package_name(unparen(e->kid(0))));
    };
    if ((is_err(x) && sentinel(y)) || (is_err(y) && sentinel(x))) return e->text == "!=" ? 1 : 0;
  }
  if (go::ident_name(y) != "nil" || !x) return -1;
  bool ne = e->text == "!=";
  if (x->kind == NodeKind::Selector) {
    // VAR.Body is never nil while the response is held (net/http guarantees it)
    if (!t.type->handle_field.empty() && is_handle(x, t)) return ne ? 1 : 0;
    return -1;
  }
  if (x->kind != NodeKind::Ident) return -1;
  int v = r_.var_of(x);
  if (v < 0) return -1;
  if (err_linked && v == errv) return ne ? 0 : 1;  // the error is nil when the resource is held
  if (t.has(v)) return ne ? 1 : 0;  // the resource (or an alias holding it) is not nil when held
  return -1;
}

bool ResourceEngine::search(const Cfg& cfg, uint32_t start_block, size_t start_item, const Tracked& t,
                            Leak& leak) const {
  struct State {
    uint32_t block;
    size_t item;
    int err;        // the error variable that is nil whenever the resource is held on this path (-1: none)
    bool dclosure;  // a deferred closure releases whatever the variable holds at exit
  };
  std::deque<State> queue{{start_block, start_item, t.err_var, false}};
  std::vector<uint8_t> seen(cfg.blocks.size() * 4, 0);
  while (!queue.empty()) {
    State st = queue.front();
    queue.pop_front();
    const BasicBlock& b = cfg.blocks[st.block];
    int err = st.err;
    bool dclosure = st.dclosure;
    bool done = false;
    for (size_t i = st.item; i < b.items.size() && !done; ++i) {
      const Item& it = b.items[i];
      const Node* n = it.node;
      if (n == t.acq_stmt) {
        if (dclosure && n->kind == NodeKind::Assign && n->text == ":=") {
          done = true;  // a new variable per iteration, each captured by its own deferred closure
          break;
        }
        leak.path = Leak::Path::Overwritten;
        leak.line = n->line;
        return true;
      }
      if (it.kind == Item::Kind::RangeAssign) {
        if (assigns_var(n, t.var)) {
          leak.path = Leak::Path::Overwritten;
          leak.line = n->line;
          return true;
        }
        continue;
      }
      if (reports_test_failure(n)) {
        done = true;  // the test has failed on this path: a leak here is not the news
        break;
      }
      if (err >= 0 && calls_method_on(n, err)) {
        done = true;  // err.Error() on the nil error of a successful call panics: this path ends
        break;
      }
      if (replaces_handle(n, t)) {
        leak.path = Leak::Path::HandleReplaced;
        leak.line = n->line;
        return true;
      }
      Event ev = scan(n, t, n->kind == NodeKind::Defer);
      if (ev == Event::Release && n->kind == NodeKind::Defer && defers_closure_over_var(n, t)) {
        // `defer func() { x.Close() }()` captures the variable, not the value: every exit
        // is covered, but overwriting the variable still loses the current value
        dclosure = true;
        continue;
      }
      if (ev != Event::None) {
        done = true;
        break;
      }
      if (n->kind == NodeKind::Return) {
        if ((n->nkids == 0 && t.named_result) || t.captured || t.deferred || dclosure) {
          done = true;
          break;
        }
        leak.path = Leak::Path::Return;
        leak.line = n->line;
        return true;
      }
      if (assigns_var(n, t.var) && !rewraps(n, t)) {
        leak.path = Leak::Path::Overwritten;
        leak.line = n->line;
        return true;
      }
      if (err >= 0 && assigns_var(n, err)) err = -1;
      if (int hs = handshake_error(n, t); hs >= 0) err = hs;
    }
    if (done || b.noreturn) continue;
    std::vector<uint32_t> next;
    if (b.cond && b.succs.size() == 2) {
      if (scan(b.cond, t, false) != Event::None) continue;
      if (err >= 0 && calls_method_on(b.cond, err, /*unguarded_only=*/true)) continue;  // err.Error() panics
      int v = eval_cond(b.cond, t, err);
      int ex = exhausts(b.cond, t);
      if (v != 0 && ex != 2) next.push_back(b.succs[0]);
      if (v != 1 && ex != 1) next.push_back(b.succs[1]);
    } else {
      next = b.succs;
    }
    for (uint32_t s : next) {
      if (s == Cfg::kExit) {
        if (t.captured || t.deferred || dclosure) continue;  // the value lives on / a defer releases it
        leak.path = Leak::Path::EndOfFunction;
        leak.line = cfg.end_line;
        return true;
      }
      size_t key = s * 4 + (err >= 0 ? 1 : 0) + (dclosure ? 2 : 0);
      if (seen[key]) continue;
      seen[key] = 1;
      queue.push_back({s, 0, err, dclosure});
    }
  }
  return false;
}

// The cancel funcs made together with each context variable (`ctx, cancel := context.WithTimeout(...)`).
std::unordered_map<int, std::vector<int>> ResourceEngine::cancel_vars_of(const Node* body) const {
  std::unordered_map<int, std::vector<int>> out;
  go::walk(body, [&](const Node* n) {
    go::ContextWith cw = go::context_with(r_, n);
    if (cw.call && cw.ctx >= 0) out[cw.ctx].push_back(cw.cancel);
    return true;
  });
  return out;
}

FunctionAnalysis ResourceEngine::analyze(const Node* func, const Cfg& cfg) const {
  FunctionAnalysis out;
  std::vector<Acquisition> acqs;
  collect_acquisitions(func, cfg, acqs, out.leaks);
  const Node* body = go::func_body(func);

  // Where each statement sits, and which blocks run before which (for defers
  // registered before an acquisition).
  std::unordered_map<const Node*, std::pair<uint32_t, size_t>> where;
  std::vector<std::vector<uint32_t>> preds(cfg.blocks.size());
  for (uint32_t bi = 0; bi < cfg.blocks.size(); ++bi) {
    for (size_t ii = 0; ii < cfg.blocks[bi].items.size(); ++ii) where.emplace(cfg.blocks[bi].items[ii].node, std::make_pair(bi, ii));
    for (uint32_t s : cfg.blocks[bi].succs) preds[s].push_back(bi);
  }
  // A `defer` that runs before the acquisition and releases it covers every exit.
  auto deferred_before = [&](uint32_t block, size_t item, const Tracked& t) {
    std::vector<uint8_t> seen(cfg.blocks.size(), 0);
    std::vector<std::pair<uint32_t, size_t>> todo{{block, item}};  // (block, items before this index)
    seen[block] = 1;
    while (!todo.empty()) {
      auto [bi, upto] = todo.back();
      todo.pop_back();
      const auto& items = cfg.blocks[bi].items;
      for (size_t i = 0; i < upto && i < items.size(); ++i)
        if (items[i].node->kind == NodeKind::Defer && scan(items[i].node, t, true) == Event::Release) return true;
      for (uint32_t p : preds[bi])
        if (!seen[p]) {
          seen[p] = 1;
          todo.push_back({p, cfg.blocks[p].items.size()});
        }
    }
    return false;
  };

  std::vector<Tracked> trackeds;
  size_t analysed = 0;
  std::unordered_map<int, std::vector<int>> cancels_by_ctx;  // ctx variable -> its cancel funcs
  bool cancels_computed = false;
  for (auto& a : acqs) {
    if (++analysed > kMaxAcquisitionsPerFunction) {
      out.truncated = true;  // pathological input: the rest of this function is not analysed
      break;
    }
    Tracked t;
    t.type = a.type;
    t.var = a.var;
    t.err_var = a.err_var;
    if (a.var >= 0) t.vars = {a.var};
    t.acq_stmt = a.stmt;
    t.done_var = a.ctx_var;
    if (a.call && a.call->kind == NodeKind::Call) {
      const go::Callee& c = r_.callee(a.call);
      t.tls_dialled = c.kind == go::Callee::Kind::Library && c.pkg == "crypto/tls" && c.name.starts_with("Dial");
    }
    if (a.type->released_with_parent) t.parent_var = a.parent_var;
    if (a.ctx_arg_var >= 0 && !cancels_computed) {
      cancels_by_ctx = cancel_vars_of(body);  // one walk per function, on first need
      cancels_computed = true;
    }
    auto cit = a.ctx_arg_var >= 0 ? cancels_by_ctx.find(a.ctx_arg_var) : cancels_by_ctx.end();
    const std::vector<int> ctx_cancels = cit == cancels_by_ctx.end() ? std::vector<int>{} : cit->second;
    if (a.type->released_by_ctx_cancel) t.cancel_vars = ctx_cancels;
    // assigned to a variable of an enclosing function: the value outlives this literal
    t.captured = a.var >= 0 && r_.var(a.var).func != func;
    compute_aliases(func, t);
    for (int v : t.vars) {
      const go::Var& var = r_.var(v);
      if (var.is_result && var.func == func) t.named_result = true;
    }
    auto it = where.find(a.stmt);
    if (it == where.end()) continue;
    auto [block, item] = it->second;
    if (item > 0 && !ctx_cancels.empty()) {
      // `cancel(); rows, err := db.QueryContext(ctx, ...)`: the context is already cancelled, the call fails
      const Node* prev = cfg.blocks[block].items[item - 1].node;
      const Node* pc = prev->kind == NodeKind::ExprStmt ? unparen(prev->kid(0)) : nullptr;
      const Node* pf = pc && pc->kind == NodeKind::Call ? unparen(pc->kid(0)) : nullptr;
      if (pf && pf->kind == NodeKind::Ident &&
          std::find(ctx_cancels.begin(), ctx_cancels.end(), r_.var_of(pf)) != ctx_cancels.end())
        continue;
    }
    t.deferred = deferred_before(block, item, t);
    if (cfg.blocks[block].reachable) {
      Leak leak;
      if (search(cfg, block, item + 1, t, leak)) {
        if (a.discarded) {
          // discarded with `_`: leaks on every path where the call succeeded
          leak.path = Leak::Path::DiscardedBlank;
          leak.line = a.call->line;
        }
        leak.acq = a;
        if (a.var >= 0) leak.var_name = std::string(r_.var(a.var).name);
        leak.released_elsewhere = reaches_release(cfg, block, item + 1, t);
        leak.kept_elsewhere = reaches_release(cfg, block, item + 1, t, Event::Handoff);
        out.leaks.push_back(std::move(leak));
      }
    }
    trackeds.push_back(std::move(t));
  }

  // Summary: results that are fresh resources.
  if (func->kind == NodeKind::FuncDecl && body) {
    const Node* ft = func->kid(2);
    size_t nresults = 0;
    if (ft && ft->kid(1))
      for (const Node* f : ft->kid(1)->children()) nresults += f && f->nkids > 1 ? f->nkids - 1 : 1;
    out.facts.fresh_results.assign(nresults, "");
    go::walk_no_funclit(body, [&](const Node* n) {
      if (n->kind != NodeKind::Return) return true;
      if (n->nkids == 1 && nresults > 1) {
        const Node* call = unparen(n->kid(0));
        const models::ResourceType* type = nullptr;
        int ri = 0;
        if (find_acquisition(call, &type, &ri) && static_cast<size_t>(ri) < nresults)
          out.facts.fresh_results[static_cast<size_t>(ri)] = type->id;
        return false;
      }
      for (uint32_t i = 0; i < n->nkids && i < nresults; ++i) {
        const Node* e = unparen(n->kids[i]);
        if (!e) continue;
        if (e->kind == NodeKind::Ident) {
          int v = r_.var_of(e);
          for (auto& t : trackeds)
            if (t.has(v)) out.facts.fresh_results[i] = t.type->id;
        } else if (e->kind == NodeKind::Call) {
          const models::ResourceType* type = nullptr;
          int ri = 0;
          if (find_acquisition(e, &type, &ri) && ri == 0) out.facts.fresh_results[i] = type->id;
        }
      }
      return false;
    });
    // Named results assigned from an acquisition and returned bare.
    for (auto& t : trackeds) {
      if (!t.named_result) continue;
      int index = 0;
      if (ft && ft->kid(1))
        for (const Node* f : ft->kid(1)->children()) {
          for (uint32_t k = 1; f && k < f->nkids; ++k, ++index) {
            int v = r_.var_of(f->kids[k]);
            if (t.has(v) && static_cast<size_t>(index) < nresults) out.facts.fresh_results[index] = t.type->id;
          }
          if (f && f->nkids <= 1) ++index;
        }
    }
  }

  // A function that returns a cleanup func next to the resource (`lis, stop := setup()`)
  // hands the release to that func: callers that defer it owe nothing more.
  if (func->kind == NodeKind::FuncDecl && out.facts.returns_fresh()) {
    const Node* ft = func->kid(2);
    bool cleanup = false;
    if (ft && ft->kid(1))
      for (const Node* f : ft->kid(1)->children())
        if (f && unparen(f->kid(0)) && unparen(f->kid(0))->kind == NodeKind::FuncType) cleanup = true;
    if (cleanup)
      for (auto& fr : out.facts.fresh_results) fr.clear();
  }

  // A function that swaps a response's body (`res.Body = io.NopCloser(buf)` after
  // draining it on error statuses, as some SDKs do) may return an already
  // released resource: do not promise callers a fresh one.
  for (auto& fr : out.facts.fresh_results) {
    if (fr.empty() || !body) continue;
    const models::ResourceType* type = tracked_type(fr);
    if (!type || type->handle_field.empty()) continue;
    bool swaps = go::any_node(body, [&](const Node* n) {
      if (n->kind != NodeKind::Assign || !n->kid(0)) return false;
      for (const Node* l : n->kid(0)->children()) {
        const Node* u = unparen(l);
        if (u && u->kind == NodeKind::Selector && go::ident_name(u->kid(1)) == type->handle_field)
          for (auto& t : trackeds)
            if (t.type == type && is_handle(u->kid(0), t)) return true;
      }
      return false;
    });
    if (swaps) fr.clear();
  }

  // Summary: parameters consumed (closed, kept or handed on).
  if (body) {
    for (size_t v = 0; v < r_.var_count(); ++v) {
      const go::Var& var = r_.var(static_cast<int>(v));
      if (!var.is_param || var.func != func || var.param_index < 0 || var.param_index >= 64) continue;
      std::string_view pt = var.type;
      while (pt.starts_with("[]")) pt.remove_prefix(2);
      if ((go::is_builtin_type(pt) && pt != "any" && pt != "interface") || pt.starts_with("map["))
        continue;  // cannot hold a resource
      Tracked t;
      t.type = &param_model_;
      t.var = static_cast<int>(v);
      t.vars = {t.var};
      compute_aliases(func, t);
      Event e = scan(body, t, false);
      if (e != Event::None) {
        out.facts.consumes_params |= 1ull << var.param_index;
        if (e == Event::Release) out.facts.closes_params |= 1ull << var.param_index;
      }
    }
  }
  return out;
}

}  // namespace leakhound::flow
