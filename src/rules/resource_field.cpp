// resource-field: a struct owns a resource in a field and has no method that releases it.
#include <fmt/format.h>

#include <map>
#include <set>

#include "golang/walk.h"
#include "rules/rule.h"

namespace leakhound::rules {
namespace {

using go::Node;
using go::NodeKind;

constexpr std::string_view kDoc = R"(# resource-field

**Resource:** connections, listeners, `*sql.DB`/`Rows`/`Stmt`/`Conn`/`Tx`, `*http.Response`, `*os.File`, `*time.Ticker` kept in struct fields · **Default severity:** warning · **Go versions:** all

## What it finds
A struct type with a field that holds a resource the package itself acquired
and stored there (`c.conn, err = net.Dial(...)`, `return &Client{conn: conn}`
after dialling, `p.ticker = time.NewTicker(d)`), while the type has no method
that could release it: no method named `Close`, `Stop`, `Shutdown` or
`Release`, and no call anywhere in the package that closes or stops that field.

Fields only ever filled from parameters are borrowed (the owner is elsewhere)
and are not reported; neither are fields filled from a value the acquiring
function still owns (it closes it with `defer`, returns it, or hands it to a
goroutine, a cleanup closure or a server), nor types that embed another type,
whose promoted methods may release the field, nor structs sent on a channel
(messages, not owners).

## Why it matters
Storing a resource in a struct hands its lifetime to the struct. Without a
`Close` (or `Stop`) method, no caller *can* release it: every instance that is
dropped leaks its connection, file descriptor, pool or timer, and the type's
users have no way to fix it from outside. This is how long-lived clients,
pollers and caches leak one connection per reconnect or per instance.

## Example
```go
type Client struct {
	conn net.Conn
}

func Dial(addr string) (*Client, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn}, nil
}

func (c *Client) Send(b []byte) error { _, err := c.conn.Write(b); return err }
```

## Use instead
```go
func (c *Client) Close() error { return c.conn.Close() }
```

## Fix
Give the type a `Close` (or `Stop`/`Shutdown`) method that releases the field,
document that callers must call it, and call it where the value's life ends
(`defer c.Close()`).

## Not reported
- fields only assigned from parameters or other fields, or from values their acquiring function still releases or hands on;
- structs sent on a channel (messages, not owners), and structs built in `main`, `init`, `TestMain` or an
  `Example` function (they live as long as the process);
- types with a `Close`, `Stop`, `Shutdown` or `Release` method, or whose field is released anywhere in the package
  (also through a type that embeds it), or handed to a function that may release it;
- types that embed another type.

Suppress one finding with `//leakhound:ignore resource-field reason` on the field's line or the line above.
)";

const std::set<std::string, std::less<>>& resource_types() {
  static const std::set<std::string, std::less<>> s = {
      "net.Conn",           "net.Listener",          "net.PacketConn",         "*net.TCPConn",
      "*net.UDPConn",       "*net.UnixConn",         "*net.IPConn",            "*net.TCPListener",
      "*net.UnixListener",  "*crypto/tls.Conn",      "*database/sql.DB",       "*database/sql.Rows",
      "*database/sql.Stmt", "*database/sql.Conn",    "*database/sql.Tx",       "*net/http.Response",
      "*os.File",           "*time.Ticker"};
  return s;
}

bool is_release_name(std::string_view m) {
  return m == "Close" || m == "Stop" || m == "Shutdown" || m == "Release";
}

// Is local variable `var` stored into the struct (by `store`) and otherwise only
// used, never released or handed on by the function that acquired it? Otherwise
// that function still owns it (closes it with defer, returns it, gives it to a
// goroutine, a cleanup closure or a server) and the field merely borrows it.
bool only_stored(const Node* body, int var, const Node* store, const go::Resolver& r, const models::ModelTable& m) {
  // captured by a closure (a cleanup func returned next to the struct, a goroutine): still owned here
  bool captured = go::any_node(body, [&](const Node* x) {
    return x->kind == NodeKind::FuncLit &&
           go::any_node(x, [&](const Node* y) { return y->kind == NodeKind::Ident && r.var_of(y) == var; });
  });
  if (captured) return false;
  bool exclusive = true;
  go::walk_with_ancestors(body, [&](const Node* x, const std::vector<const Node*>& up) {
    if (!exclusive) return false;
    if (x == store) return false;
    if (x->kind != NodeKind::Ident || r.var_of(x) != var) return true;
    const Node* p = up.empty() ? nullptr : up.back();
    const Node* pp = up.size() >= 2 ? up[up.size() - 2] : nullptr;
    if (!p) return true;
    if (p->kind == NodeKind::ExprList && pp && pp->kind == NodeKind::Assign && pp->kid(0) == p) return true;  // assigned
    if (p->kind == NodeKind::Selector && p->kid(0) == x) {
      if (!is_release_name(go::ident_name(p->kid(1)))) return true;
      // `if err != nil { c.Close(); return nil, err }`: cleanup on a failure path before the store
      size_t n = up.size();
      bool cleanup = n >= 5 && up[n - 2]->kind == NodeKind::Call && up[n - 3]->kind == NodeKind::ExprStmt &&
                     up[n - 4]->kind == NodeKind::Block && up[n - 5]->kind == NodeKind::If && up[n - 4]->nkids > 0 &&
                     up[n - 4]->kids[up[n - 4]->nkids - 1] && up[n - 4]->kids[up[n - 4]->nkids - 1]->kind == NodeKind::Return;
      if (!cleanup) exclusive = false;
      return true;
    }
    if (p->kind == NodeKind::Binary) return true;  // c == nil
    if (p->kind == NodeKind::Call && p->kid(0) != x) {
      const go::Callee& c = r.callee(p);
      if (!(c.kind == go::Callee::Kind::Library && models::is_stdlib_path(c.pkg) && !m.keeps(c.pkg, c.name)))
        exclusive = false;
      return true;
    }
    exclusive = false;  // returned, stored elsewhere, sent, deferred, ...
    return true;
  });
  return exclusive;
}

struct FieldInfo {
  std::string type_name;  // the struct
  std::string field;
  std::string field_type;
  const go::SourceFile* file = nullptr;
  uint32_t line = 0, col = 0;
  // first acquisition stored in it
  const go::SourceFile* acq_file = nullptr;
  uint32_t acq_line = 0;
  std::string acq_via;
};

class ResourceField final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{"resource-field", "struct owns a resource in a field and has no method that releases it",
                            report::Severity::Warning, true, kDoc};
    return i;
  }
  bool engine_only() const override { return false; }

  void check_package(const PackageView& pv, std::vector<report::Finding>& out) const override {
    if (pv.functions.empty() || !pv.models) return;
    std::string_view pkg_path = pv.functions.front()->resolver->ctx().pkg_path;
    // 1. struct types with resource fields (types embedding anything are skipped)
    std::map<std::pair<std::string, std::string>, FieldInfo> fields;  // (type, field)
    std::set<std::string> safe_types;
    for (const go::SourceFile* f : pv.files) {
      if (!f->root) continue;
      for (const Node* decl : f->root->children()) {
        if (decl && decl->kind == NodeKind::FuncDecl && decl->kid(0) && is_release_name(go::ident_name(decl->kid(1))))
          safe_types.insert(std::string(go::receiver_type_name(decl)));
        if (!decl || decl->kind != NodeKind::GenDecl || decl->text != "type") continue;
        for (const Node* spec : decl->children()) {
          if (!spec || spec->kind != NodeKind::TypeSpec || !spec->kid(1) || spec->kid(1)->kind != NodeKind::StructType)
            continue;
          std::string tname(go::ident_name(spec->kid(0)));
          bool embeds = false;
          std::vector<FieldInfo> found;
          for (const Node* field : spec->kid(1)->children()) {
            if (!field || field->kind != NodeKind::Field) continue;
            if (field->nkids <= 1) {
              embeds = true;
              continue;
            }
            std::string t = go::type_string(field->kid(0), *f, pkg_path);
            if (!resource_types().count(t)) continue;
            for (uint32_t k = 1; k < field->nkids; ++k)
              found.push_back({tname, std::string(go::ident_name(field->kids[k])), t, f, field->kids[k]->line,
                               field->kids[k]->col, nullptr, 0, ""});
          }
          if (embeds) continue;
          for (auto& fi : found) fields.emplace(std::make_pair(fi.type_name, fi.field), fi);
        }
      }
    }
    if (fields.empty()) return;
    // fields released (or handed on) anywhere in the package: (struct, field), struct "" when unknown
    std::set<std::pair<std::string, std::string>> released_fields;
    std::vector<const models::ResourceType*> all;
    for (const auto& t : pv.models->resources) all.push_back(&t);
    for (const FunctionView* v : pv.functions) {
      const go::Resolver& r = *v->resolver;
      // a struct built in main, init, TestMain or an Example lives as long as the process
      std::string_view fname = v->site->function;
      bool process_lifetime = main_like(*v->site) || fname.starts_with("Example") || fname == "TestMain";
      flow::ResourceEngine engine(r, all);
      // variables of this function assigned from an acquisition: var -> (line, via)
      std::map<int, std::pair<uint32_t, std::string>> acquired;
      auto acquisition = [&](const Node* call, int want_result) -> bool {
        const models::ResourceType* type = nullptr;
        int ri = 0;
        return call && call->kind == NodeKind::Call && engine.find_acquisition(call, &type, &ri) && ri == want_result;
      };
      auto struct_name = [&](const Node* e) -> std::string {
        std::string t = r.type_of(e);
        while (!t.empty() && t[0] == '*') t.erase(0, 1);
        if (!t.starts_with(pkg_path) || t.size() <= pkg_path.size() || t[pkg_path.size()] != '.') return "";
        return t.substr(pkg_path.size() + 1);
      };
      auto release_field = [&](const Node* sel) {
        std::string tn = struct_name(sel->kid(0));
        std::string field(go::ident_name(sel->kid(1)));
        // reached through an embedding type (w.fuzzIn where w embeds the struct): match the field name alone
        if (!fields.count({tn, field})) tn.clear();
        released_fields.insert({tn, field});
      };
      const Node* body = go::func_body(v->func);
      std::map<int, const Node*> field_copies;  // locals copied from a field: `c := s.conn`
      go::walk_no_funclit(body, [&](const Node* n) {
        if (n->kind == NodeKind::Assign && n->kid(0) && n->kid(1) && n->kid(0)->nkids == n->kid(1)->nkids)
          for (uint32_t i = 0; i < n->kid(0)->nkids; ++i) {
            const Node* l = go::unparen(n->kid(0)->kids[i]);
            const Node* rv = go::unparen(n->kid(1)->kids[i]);
            if (l && l->kind == NodeKind::Ident && r.var_of(l) >= 0 && rv && rv->kind == NodeKind::Selector)
              field_copies[r.var_of(l)] = rv;
          }
        return true;
      });
      go::walk_no_funclit(body, [&](const Node* n) {
        if (n->kind == NodeKind::Assign && n->kid(0) && n->kid(1) && n->kid(1)->nkids == 1) {
          const Node* call = go::unparen(n->kid(1)->kid(0));
          for (uint32_t i = 0; i < n->kid(0)->nkids; ++i) {
            const Node* l = go::unparen(n->kid(0)->kids[i]);
            if (l && l->kind == NodeKind::Ident && r.var_of(l) >= 0 && acquisition(call, static_cast<int>(i)))
              acquired.emplace(r.var_of(l), std::make_pair(call->line, flow::callee_text(call)));
          }
        }
        // released or handed on: X.f.Close(), X.f.Body.Close(), f(X.f)
        if (n->kind == NodeKind::Call) {
          const Node* fun = go::unparen(n->kid(0));
          if (fun && fun->kind == NodeKind::Selector) {
            std::string_view m = go::ident_name(fun->kid(1));
            const Node* x = go::unparen(fun->kid(0));
            if (is_release_name(m) || m == "Rollback" || m == "Commit") {
              if (x && x->kind == NodeKind::Selector && go::ident_name(x->kid(1)) == "Body")
                x = go::unparen(x->kid(0));
              // `c := s.conn; s.conn = nil; c.Close()`: released through a local copy of the field
              if (x && x->kind == NodeKind::Ident) {
                auto cp = field_copies.find(r.var_of(x));
                if (cp != field_copies.end()) x = cp->second;
              }
              if (x && x->kind == NodeKind::Selector) release_field(x);
            }
          }
          // handed to code that may close it: a module function, a non-standard library, a keeper
          const go::Callee& c = r.callee(n);
          bool may_keep = c.kind == go::Callee::Kind::Module || c.kind == go::Callee::Kind::Unknown ||
                          c.kind == go::Callee::Kind::FuncValue ||
                          (c.kind == go::Callee::Kind::Library &&
                           (!models::is_stdlib_path(c.pkg) || pv.models->keeps(c.pkg, c.name)));
          for (uint32_t i = 1; may_keep && i < n->nkids; ++i) {
            const Node* a = go::unparen(n->kids[i]);
            if (a && a->kind == NodeKind::Selector && go::ident_name(a->kid(1)) == "Body" && go::unparen(a->kid(0)) &&
                go::unparen(a->kid(0))->kind == NodeKind::Selector)
              a = go::unparen(a->kid(0));  // closeq(r.RawResponse.Body)
            if (a && a->kind == NodeKind::Selector) release_field(a);
          }
        }
        return true;
      });
      auto note = [&](const std::string& type, std::string_view field, const Node* value, int result,
                      const Node* store) {
        auto it = fields.find({type, std::string(field)});
        if (it == fields.end() || it->second.acq_line || process_lifetime) return;
        value = go::unparen(value);
        if (!value) return;
        if (value->kind == NodeKind::Call && acquisition(value, result)) {
          it->second.acq_file = v->site->file;
          it->second.acq_line = value->line;
          it->second.acq_via = flow::callee_text(value);
        } else if (value->kind == NodeKind::Ident && result == 0) {
          auto a = acquired.find(r.var_of(value));
          if (a == acquired.end() || !only_stored(body, a->first, store, r, *pv.models)) return;
          it->second.acq_file = v->site->file;
          it->second.acq_line = a->second.first;
          it->second.acq_via = a->second.second;
        }
      };
      go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>& up) {
        if (n->kind == NodeKind::Send) return false;  // a struct sent on a channel is a message, not an owner
        (void)up;
        if (n->kind == NodeKind::Assign && n->kid(0) && n->kid(1)) {
          const Node* lhs = n->kid(0);
          const Node* rhs = n->kid(1);
          for (uint32_t i = 0; i < lhs->nkids; ++i) {
            const Node* l = go::unparen(lhs->kids[i]);
            if (!l || l->kind != NodeKind::Selector) continue;
            std::string tn = struct_name(l->kid(0));
            if (tn.empty()) continue;
            if (rhs->nkids == lhs->nkids) note(tn, go::ident_name(l->kid(1)), rhs->kids[i], 0, n);
            else if (rhs->nkids == 1) note(tn, go::ident_name(l->kid(1)), rhs->kid(0), static_cast<int>(i), n);
          }
        } else if (n->kind == NodeKind::CompositeLit) {
          std::string tn = struct_name(n);
          if (tn.empty()) return true;
          for (uint32_t i = 1; i < n->nkids; ++i) {
            const Node* kv = n->kids[i];
            if (kv && kv->kind == NodeKind::KeyValue) note(tn, go::ident_name(kv->kid(0)), kv->kid(1), 0, n);
          }
        }
        return true;
      });
    }
    for (auto& [key, fi] : fields) {
      if (!fi.acq_line || safe_types.count(fi.type_name) || released_fields.count({fi.type_name, fi.field}) ||
          released_fields.count({"", fi.field}))
        continue;
      report::Finding f;
      f.rule = "resource-field";
      f.file = fi.file->path;
      f.line = fi.line;
      f.col = fi.col;
      f.severity = report::Severity::Warning;
      f.message = fmt::format("{}.{} holds a {} that the package acquires ({} at {}:{}), but {} has no method "
                              "that releases it: no caller can ever close it",
                              fi.type_name, fi.field, fi.field_type, fi.acq_via, fi.acq_file->path, fi.acq_line,
                              fi.type_name);
      f.fix = fmt::format("add `func (x *{}) Close() error` that releases {} (Close/Stop), and call it where a "
                          "{} is no longer needed",
                          fi.type_name, fi.field, fi.type_name);
      f.related.push_back({fi.acq_file->path, fi.acq_line, 0, "acquired and stored here"});
      out.push_back(std::move(f));
    }
  }
};

}  // namespace

const Rule& resource_field_rule() {
  static const ResourceField r;
  return r;
}

}  // namespace leakhound::rules
