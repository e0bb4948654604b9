#include "rules/goroutine_flow.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "golang/walk.h"
#include "rules/timeouts.h"

namespace leakhound::rules::gor {

using go::Node;
using go::NodeKind;

namespace {

// A small non-negative integer literal (`3`, `128`).
bool small_int_literal(const Node* x, long& v) {
  x = go::unparen(x);
  if (!x || x->kind != NodeKind::BasicLit || x->text.empty() || x->text.size() > 8 ||
      !std::all_of(x->text.begin(), x->text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return false;
  v = std::stol(std::string(x->text));
  return true;
}

void key_into(const Node* e, std::string& out, int depth, bool& ok) {
  if (!ok) return;
  if (!e || depth > 16) {
    ok = false;
    return;
  }
  switch (e->kind) {
    case NodeKind::Ident:
    case NodeKind::BasicLit:
      out += e->text;
      return;
    case NodeKind::Paren:
      key_into(e->kid(0), out, depth + 1, ok);
      return;
    case NodeKind::Selector:
      key_into(e->kid(0), out, depth + 1, ok);
      out += '.';
      key_into(e->kid(1), out, depth + 1, ok);
      return;
    case NodeKind::Star:
      out += '*';
      key_into(e->kid(0), out, depth + 1, ok);
      return;
    case NodeKind::Unary:
      out += e->text;
      key_into(e->kid(0), out, depth + 1, ok);
      return;
    case NodeKind::Binary:
      key_into(e->kid(0), out, depth + 1, ok);
      out += ' ';
      out += e->text;
      out += ' ';
      key_into(e->kid(1), out, depth + 1, ok);
      return;
    case NodeKind::Index:
      key_into(e->kid(0), out, depth + 1, ok);
      for (uint32_t i = 1; i < e->nkids; ++i) {
        out += i == 1 ? '[' : ',';
        key_into(e->kids[i], out, depth + 1, ok);
      }
      out += ']';
      return;
    case NodeKind::Call:
      key_into(e->kid(0), out, depth + 1, ok);
      out += '(';
      for (uint32_t i = 1; i < e->nkids; ++i) {
        if (i > 1) out += ',';
        key_into(e->kids[i], out, depth + 1, ok);
      }
      out += ')';
      return;
    default:
      ok = false;
  }
}

// The item of `cfg` holding `n` (the item node itself, or an item whose subtree holds it).
bool locate(const flow::Cfg& cfg, const Node* n, uint32_t& block, size_t& item) {
  for (uint32_t b = 0; b < cfg.blocks.size(); ++b)
    for (size_t i = 0; i < cfg.blocks[b].items.size(); ++i)
      if (cfg.blocks[b].items[i].node == n) {
        block = b;
        item = i;
        return true;
      }
  for (uint32_t b = 0; b < cfg.blocks.size(); ++b)
    for (size_t i = 0; i < cfg.blocks[b].items.size(); ++i)
      if (cfg.blocks[b].items[i].kind != flow::Item::Kind::RangeAssign &&
          go::any_node(cfg.blocks[b].items[i].node, [&](const Node* m) { return m == n; })) {
        block = b;
        item = i;
        return true;
      }
  return false;
}

}  // namespace

std::string expr_key(const Node* e) {
  std::string out;
  bool ok = true;
  key_into(e, out, 0, ok);
  return ok ? out : std::string();
}

bool is_done_receive(const Node* unary) {
  if (!unary || unary->kind != NodeKind::Unary || unary->text != "<-") return false;
  const Node* x = go::unparen(unary->kid(0));
  const Node* f = x && x->kind == NodeKind::Call ? go::unparen(x->kid(0)) : nullptr;
  return f && f->kind == NodeKind::Selector && go::ident_name(f->kid(1)) == "Done";
}

bool ends_goroutine(const Node* call) { return call && call->kind == NodeKind::Call && flow::is_noreturn_by_name(call); }

std::unordered_set<std::string_view> labels_in(const Node* body) {
  std::unordered_set<std::string_view> out;
  go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>&) {
    if (n->kind == NodeKind::Labeled) out.insert(go::ident_name(n->kid(0)));
    return true;
  });
  return out;
}

bool branch_leaves_loop(const Node* branch, const std::vector<const Node*>& up,
                        const std::unordered_set<std::string_view>& inner_labels) {
  if (!branch || branch->kind != NodeKind::Branch) return false;
  if (branch->text == "goto") return true;
  if (branch->text != "break") return false;
  std::string_view label = go::ident_name(branch->kid(0));
  if (!label.empty()) return !inner_labels.count(label);
  for (const Node* a : up)
    if (a->kind == NodeKind::For || a->kind == NodeKind::Range || a->kind == NodeKind::Switch ||
        a->kind == NodeKind::TypeSwitch || a->kind == NodeKind::Select)
      return false;
  return true;
}

namespace {

// A range loop's per-iteration item is the Range statement itself: only its key and value are evaluated there
// (the body has items of its own).
bool item_stops(const flow::Item& it, const std::function<bool(const Node*)>& stops) {
  if (it.kind != flow::Item::Kind::RangeAssign) return stops(it.node);
  return (it.node->kid(0) && stops(it.node->kid(0))) || (it.node->kid(1) && stops(it.node->kid(1)));
}

}  // namespace

PathEnd path_without(const flow::Cfg& cfg, const Node* start, const std::function<bool(const Node*)>& stops,
                     bool stop_at_self, bool returns_only) {
  PathEnd out;
  uint32_t sb = flow::Cfg::kEntry;
  size_t si = 0;
  bool from_entry = start == nullptr;
  if (!from_entry && !locate(cfg, start, sb, si)) return out;
  // a `defer` registered before `start` in a block that holds it runs on every return after it
  if (!from_entry && cfg.body) {
    bool deferred = false;
    go::walk_with_ancestors(cfg.body, [&](const Node* n, const std::vector<const Node*>& up) {
      if (deferred) return false;
      if (n != start) return true;
      for (size_t i = 0; i < up.size(); ++i) {
        if (up[i]->kind != NodeKind::Block) continue;
        const Node* child = i + 1 < up.size() ? up[i + 1] : n;
        for (const Node* s : up[i]->children()) {
          if (s == child) break;
          if (s && s->kind == NodeKind::Defer && stops(s)) deferred = true;
        }
      }
      return false;
    });
    if (deferred) return out;
  }
  const auto& blocks = cfg.blocks;
  std::vector<char> seen(blocks.size(), 0);
  // (block, first item to look at)
  std::vector<std::pair<uint32_t, size_t>> stack{{sb, from_entry ? 0 : si + 1}};
  auto reach_exit = [&](uint32_t from) {
    out.found = true;
    const auto& items = blocks[from].items;
    if (!items.empty() && items.back().node->kind == NodeKind::Return) {
      out.line = items.back().node->line;
    } else {
      out.line = cfg.end_line;
      out.at_end = true;
    }
  };
  while (!stack.empty()) {
    auto [b, from] = stack.back();
    stack.pop_back();
    if (b == flow::Cfg::kExit) continue;
    const auto& bb = blocks[b];
    bool blocked = false;
    size_t upto = bb.items.size();
    if (stop_at_self && !from_entry && b == sb && from == 0) upto = si;
    for (size_t i = from; i < upto && !blocked; ++i) blocked = item_stops(bb.items[i], stops);
    if (blocked) continue;
    if (stop_at_self && !from_entry && b == sb && from == 0) {
      out.found = true;
      out.loops_back = true;
      out.line = start->line;
      return out;
    }
    if (bb.cond && stops(bb.cond)) continue;
    for (uint32_t s : bb.succs) {
      if (s == flow::Cfg::kExit) {
        if (returns_only && (bb.items.empty() || bb.items.back().node->kind != NodeKind::Return)) continue;
        reach_exit(b);
        return out;
      }
      if (s == sb && !from_entry) {
        if (stop_at_self) {
          stack.push_back({s, 0});
          continue;
        }
      }
      if (seen[s]) continue;
      seen[s] = 1;
      stack.push_back({s, 0});
    }
  }
  return out;
}

long max_sends_on_a_path(const flow::Cfg& cfg, const std::vector<const Node*>& send_nodes, bool one_pass) {
  const auto& blocks = cfg.blocks;
  size_t n = blocks.size();
  std::vector<long> sends(n, 0);
  for (size_t b = 0; b < n; ++b)
    for (const auto& it : blocks[b].items)
      if (it.kind != flow::Item::Kind::RangeAssign)
        for (const Node* s : send_nodes)
          if (it.node == s || go::any_node(it.node, [&](const Node* m) { return m == s; })) ++sends[b];
  // a send on a cycle can happen any number of times
  for (size_t b = 0; b < n && !one_pass; ++b) {
    if (!sends[b]) continue;
    std::vector<char> seen(n, 0);
    std::vector<uint32_t> stack(blocks[b].succs.begin(), blocks[b].succs.end());
    while (!stack.empty()) {
      uint32_t x = stack.back();
      stack.pop_back();
      if (x == b) return -1;
      if (seen[x]) continue;
      seen[x] = 1;
      for (uint32_t s : blocks[x].succs) stack.push_back(s);
    }
  }
  // longest path by sends (the send blocks are on no cycle; other cycles are cut where they close)
  std::vector<long> best(n, -1);
  std::vector<char> state(n, 0);  // 0 new, 1 on the stack, 2 done
  std::vector<std::pair<uint32_t, size_t>> stack{{flow::Cfg::kEntry, 0}};
  state[flow::Cfg::kEntry] = 1;
  while (!stack.empty()) {
    auto& [b, i] = stack.back();
    if (i < blocks[b].succs.size()) {
      uint32_t s = blocks[b].succs[i++];
      if (state[s] == 0) {
        state[s] = 1;
        stack.push_back({s, 0});
      }
      continue;
    }
    long m = 0;
    for (uint32_t s : blocks[b].succs)
      if (state[s] == 2) m = std::max(m, best[s]);
    best[b] = sends[b] + m;
    state[b] = 2;
    stack.pop_back();
  }
  return std::max<long>(best[flow::Cfg::kEntry], 0);
}

long literal_trip_count(const Node* loop) {
  // `for _, x := range []T{a, b, c}`: the literal's length
  if (loop && loop->kind == NodeKind::Range) {
    const Node* x = go::unparen(loop->kid(2));
    if (x && x->kind == NodeKind::CompositeLit && x->kid(0) && x->kid(0)->kind == NodeKind::ArrayType)
      return static_cast<long>(x->nkids) - 1;
    return -1;
  }
  if (!loop || loop->kind != NodeKind::For) return -1;
  // `i := 0; i < N; i++` on one variable
  const Node* post = loop->kid(2);
  const Node* iv = loop->kid(0) && loop->kid(0)->kind == NodeKind::Assign && loop->kid(0)->kid(0) &&
                           loop->kid(0)->kid(0)->nkids == 1
                       ? go::unparen(loop->kid(0)->kid(0)->kid(0))
                       : nullptr;
  const Node* cx = loop->kid(1) && go::unparen(loop->kid(1))->kind == NodeKind::Binary
                       ? go::unparen(go::unparen(loop->kid(1))->kid(0))
                       : nullptr;
  if (!post || post->kind != NodeKind::IncDec || post->text != "++" || !iv || iv->kind != NodeKind::Ident ||
      go::ident_name(go::unparen(post->kid(0))) != iv->text || go::ident_name(cx) != iv->text)
    return -1;
  const Node* init = loop->kid(0);
  const Node* cond = go::unparen(loop->kid(1));
  if (!init || init->kind != NodeKind::Assign || !cond || cond->kind != NodeKind::Binary || cond->text != "<") return -1;
  const Node* rhs = init->kid(1) ? go::unparen(init->kid(1)->kid(0)) : nullptr;
  const Node* lim = go::unparen(cond->kid(1));
  auto conv = [](const Node* x) {  // int32(0)
    x = go::unparen(x);
    return x && x->kind == NodeKind::Call && x->nkids == 2 && go::unparen(x->kid(0)) &&
                   go::unparen(x->kid(0))->kind == NodeKind::Ident
               ? go::unparen(x->kid(1))
               : x;
  };
  long from = 0, to = 0;
  if (!small_int_literal(conv(rhs), from) || !small_int_literal(conv(lim), to) || to < from) return -1;
  return to - from;
}

std::string path_words(const PathEnd& p) {
  if (p.loops_back) return fmt::format("the path that comes back to line {}", p.line);
  if (p.at_end) return fmt::format("the path that reaches the end of the function (line {})", p.line);
  return fmt::format("the path that returns at line {}", p.line);
}

PackageFuncs::PackageFuncs(const PackageView& pv) {
  for (const FunctionView* v : pv.functions) {
    by_node[v->func] = v;
    if (v->func->kind == NodeKind::FuncDecl) by_key.emplace(tmo::func_key(v->func), v);
  }
}

GoTarget PackageFuncs::target(const FunctionView& v, const Node* go_stmt) const {
  GoTarget t;
  t.go_stmt = go_stmt;
  const Node* call = go::unparen(go_stmt->kid(0));
  if (!call || call->kind != NodeKind::Call) return t;
  const Node* fun = go::unparen(call->kid(0));
  if (fun && fun->kind == NodeKind::FuncLit) {
    t.func = fun;
    t.literal = true;
    auto it = by_node.find(fun);
    if (it != by_node.end()) t.view = it->second;
    return t;
  }
  const go::Callee& c = v.resolver->callee(call);
  if (c.kind != go::Callee::Kind::Module || c.pkg != v.resolver->ctx().pkg_path) return t;
  auto it = by_key.find(tmo::callee_key(c));
  if (it == by_key.end()) return t;
  t.view = it->second;
  t.func = it->second->func;
  return t;
}

namespace {

constexpr size_t kMaxChannels = 32;  // channels analysed per function

bool is_chan_make(const Node* e, long& cap) {
  e = go::unparen(e);
  if (!e || e->kind != NodeKind::Call || go::ident_name(go::unparen(e->kid(0))) != "make") return false;
  const Node* t = go::unparen(e->kid(1));
  if (!t || t->kind != NodeKind::ChanType) return false;
  cap = 0;
  if (e->nkids >= 3 && !small_int_literal(e->kid(2), cap)) cap = -1;
  return true;
}

// Does every case of `sel` communicate on one of `vars`, with no default? (then it blocks like a plain op)
bool select_only_on(const go::Resolver& r, const Node* sel, const std::vector<int>& vars) {
  for (const Node* c : sel->children()) {
    if (!c || c->kind != NodeKind::CommClause) continue;
    if (!c->kid(0)) return false;  // default
    bool on = false;  // (function literals in the case's expression are not the case's communication)
    go::walk_with_ancestors(c->kid(0), [&](const Node* m, const std::vector<const Node*>&) {
      if (!on && m->kind == NodeKind::Ident) {
        int var = r.var_of(m);
        on = var >= 0 && std::find(vars.begin(), vars.end(), var) != vars.end();
      }
      return !on;
    });
    if (!on) return false;
  }
  return true;
}

// The select whose case communication holds the node at the end of `up` (+ `n`), or null.
const Node* enclosing_comm_select(const std::vector<const Node*>& up, const Node* n, size_t from) {
  for (size_t j = up.size(); j-- > from;) {
    const Node* a = up[j];
    const Node* next = j + 1 < up.size() ? up[j + 1] : n;
    if (a->kind == NodeKind::CommClause) return a->kid(0) == next && j >= 1 ? up[j - 1] : nullptr;
    if (a->kind == NodeKind::Block || a->kind == NodeKind::FuncLit) return nullptr;
  }
  return nullptr;
}

}  // namespace

std::vector<Channel> channels_of(const FunctionView& v) {
  std::vector<Channel> out;
  const go::Resolver& r = *v.resolver;
  const Node* body = go::func_body(v.func);
  if (!body) return out;
  // 1. the makes
  go::walk_with_ancestors(body, [&](const Node* n, const std::vector<const Node*>&) {
    const Node* lhs = nullptr;
    const Node* rhs = nullptr;
    if (n->kind == NodeKind::Assign) {
      lhs = n->kid(0);
      rhs = n->kid(1);
    } else if (n->kind == NodeKind::ValueSpec) {
      lhs = n->kid(1);
      rhs = n->kid(2);
    } else {
      return true;
    }
    if (!lhs || !rhs || lhs->nkids != 1 || rhs->nkids != 1) return true;
    long cap = 0;
    const Node* id = go::unparen(lhs->kid(0));
    if (!id || id->kind != NodeKind::Ident || !is_chan_make(rhs->kid(0), cap)) return true;
    int var = r.var_of(id);
    if (var < 0 || r.var(var).func != v.func || r.var(var).is_param || r.var(var).def != id) return true;
    Channel c;
    c.var = var;
    c.make = go::unparen(rhs->kid(0));
    c.cap = cap;
    out.push_back(std::move(c));
    return true;
  });
  // each channel costs a few walks of the function: bound the work on generated giants
  if (out.size() > kMaxChannels) out.resize(kMaxChannels);
  for (Channel& c : out) {
    std::vector<int> vars{c.var};
    std::unordered_map<const Node*, size_t> use_of;  // goroutine literal -> index in c.goroutines
    // 2. aliases: the channel passed to a goroutine literal's parameter
    go::walk_ancestors(body, true, [&](const Node* n, const std::vector<const Node*>& up) {
      if (n->kind != NodeKind::Ident || r.var_of(n) != c.var || up.size() < 2) return true;
      const Node* call = up.back();
      if (call->kind != NodeKind::Call || call->kid(0) == n || up[up.size() - 2]->kind != NodeKind::Go) return true;
      const Node* lit = go::unparen(call->kid(0));
      if (!lit || lit->kind != NodeKind::FuncLit) return true;
      uint32_t arg = 0;
      for (uint32_t i = 1; i < call->nkids; ++i)
        if (call->kids[i] == n) arg = i;
      const Node* params = lit->kid(0) ? lit->kid(0)->kid(0) : nullptr;
      uint32_t k = 1;
      for (uint32_t f = 0; params && f < params->nkids; ++f) {
        const Node* field = params->kid(f);
        for (uint32_t j = 1; field && j < field->nkids; ++j, ++k)
          if (k == arg) {
            int pv = r.var_of(field->kid(j));
            if (pv >= 0) vars.push_back(pv);
          }
      }
      return true;
    });
    auto is_ours = [&](const Node* m) {
      if (!m || m->kind != NodeKind::Ident) return false;
      int var = r.var_of(m);
      return var >= 0 && std::find(vars.begin(), vars.end(), var) != vars.end();
    };
    // 3. every use
    go::walk_ancestors(body, true, [&](const Node* n, const std::vector<const Node*>& up) {
      if (c.escapes) return false;
      if (n->kind != NodeKind::Ident || !is_ours(n)) return true;
      int var = r.var_of(n);
      if (r.var(var).def == n) return true;  // the definition (make, or a literal's parameter)
      // where: the function itself, a goroutine literal it starts, or a deferred closure
      size_t lits = 0, lit_at = 0;
      for (size_t i = 0; i < up.size(); ++i)
        if (up[i]->kind == NodeKind::FuncLit) {
          ++lits;
          lit_at = i;
        }
      const Node* p = up.empty() ? nullptr : up.back();
      if (!p) return true;
      // the argument of `go func(c chan T){...}(ch)`: an alias, already followed
      if (p->kind == NodeKind::Call && p->kid(0) != n && up.size() >= 2 && up[up.size() - 2]->kind == NodeKind::Go &&
          go::unparen(p->kid(0)) && go::unparen(p->kid(0))->kind == NodeKind::FuncLit && lits == 0)
        return true;
      Channel::Use* g = nullptr;
      if (lits > 1) {
        c.escapes = true;
        return false;
      }
      if (lits == 1) {
        const Node* lit = up[lit_at];
        const Node* call = lit_at >= 1 ? up[lit_at - 1] : nullptr;
        const Node* stmt = lit_at >= 2 ? up[lit_at - 2] : nullptr;
        if (!call || call->kind != NodeKind::Call || go::unparen(call->kid(0)) != lit || !stmt) {
          c.escapes = true;  // a callback: runs when someone else decides
          return false;
        }
        if (stmt->kind == NodeKind::Go) {
          auto it = use_of.find(lit);
          if (it == use_of.end()) {
            Channel::Use u;
            u.go_stmt = stmt;
            u.lit = lit;
            std::vector<const Node*> outer(up.begin(), up.begin() + static_cast<long>(lit_at - 2));
            u.go_loop = go::innermost_loop(outer, stmt);
            u.go_in_loop = u.go_loop != nullptr;
            it = use_of.emplace(lit, c.goroutines.size()).first;
            c.goroutines.push_back(u);
          }
          g = &c.goroutines[it->second];
        } else if (stmt->kind != NodeKind::Defer) {
          c.escapes = true;
          return false;
        }
      }
      size_t from = lits == 1 ? lit_at + 1 : 0;
      std::vector<const Node*> inner(up.begin() + static_cast<long>(from), up.end());
      if (p->kind == NodeKind::Send && p->kid(0) == n) {
        if (g) {
          g->sends = true;
          const Node* sel = enclosing_comm_select(up, p, from);
          if (!sel || select_only_on(r, sel, vars)) {
            ++g->blocking_sends;
            g->send_nodes.push_back(p);
            if (!g->first_send) g->first_send = p;
            if (go::innermost_loop(inner, p)) g->send_in_loop = true;
          }
        } else {
          c.sends.push_back(p);
        }
        return true;
      }
      if (p->kind == NodeKind::Unary && p->text == "<-") {
        if (g) {
          g->receives = true;
          std::vector<const Node*> up2(up.begin(), up.end() - 1);
          const Node* sel = enclosing_comm_select(up2, p, from);
          if ((!sel || select_only_on(r, sel, vars)) && !g->blocking_recv) g->blocking_recv = p;
        } else {
          c.recvs.push_back(p);
        }
        return true;
      }
      if (p->kind == NodeKind::Range && p->kid(2) == n) {
        if (g) {
          g->receives = true;
          g->ranges = true;
          g->blocking_recv = p;
        } else {
          c.recvs.push_back(n);
        }
        return true;
      }
      if (p->kind == NodeKind::Call && p->kid(1) == n && p->nkids == 2) {
        std::string_view f = go::ident_name(go::unparen(p->kid(0)));
        if (f == "close") {
          if (g) g->closes = true;
          else c.closes.push_back(p);
          return true;
        }
        if (f == "len" || f == "cap") return true;
      }
      c.escapes = true;
      return false;
    });
  }
  // channels assigned again (`ch = make(...)` in a loop, `ch = nil`) are not followed
  for (Channel& c : out) {
    if (c.escapes) continue;
    go::walk(body, [&](const Node* m) {
      if (c.escapes) return false;
      if (m->kind == NodeKind::Assign && m->kid(0))
        for (const Node* l : m->kid(0)->children())
          if (l && l->kind == NodeKind::Ident && r.var_of(l) == c.var && r.var(c.var).def != l) c.escapes = true;
      return true;
    });
  }
  return out;
}

}  // namespace leakhound::rules::gor
