#include "flow/cfg.h"

#include <fmt/format.h>

#include <map>
#include <type_traits>
#include <stdexcept>
#include <string_view>

namespace leakhound::flow {
using go::Node;
using go::NodeKind;

namespace {

struct TooDeep : std::runtime_error {
  TooDeep() : std::runtime_error("statements nest too deep") {}
};

struct LoopTarget {
  std::string_view label;  // "" when unlabelled
  uint32_t break_to;
  uint32_t continue_to;    // UINT32_MAX for switch/select (no continue)
};

class Builder {
 public:
  Builder(Cfg& g, const CfgOptions& o) : g_(g), opts_(o) {}

  void build(const Node* body) {
    g_.blocks.emplace_back();  // entry
    g_.blocks.emplace_back();  // exit
    cur_ = Cfg::kEntry;
    stmts(body, 0);
    if (cur_ != kNone) edge(cur_, Cfg::kExit);
    // resolve gotos to labels that were never defined: treat as exits of nothing (dead ends)
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  Cfg& g_;
  const CfgOptions& opts_;
  uint32_t cur_ = kNone;
  std::vector<LoopTarget> targets_;
  std::map<std::string_view, uint32_t> labels_;
  std::string_view pending_label_;

  const Node* equality(const Node* x, const Node* y) {
    auto& s = *g_.synthetic.emplace_back(std::make_unique<Cfg::Synthetic>());
    s.kids = {const_cast<Node*>(x), const_cast<Node*>(y)};
    Node& n = s.node;
    n.kind = NodeKind::Binary;
    n.text = "==";
    n.line = y ? y->line : 0;
    n.col = y ? y->col : 0;
    n.kids = s.kids.data();
    n.nkids = 2;
    return &n;
  }

  uint32_t new_block() {
    g_.blocks.emplace_back();
    return static_cast<uint32_t>(g_.blocks.size() - 1);
  }
  void edge(uint32_t from, uint32_t to) {
    if (from == kNone) return;
    g_.blocks[from].succs.push_back(to);
  }
  // Makes sure there is a current block to append to (code after a jump is unreachable).
  uint32_t current() {
    if (cur_ == kNone) {
      cur_ = new_block();
      g_.blocks[cur_].reachable = false;
    }
    return cur_;
  }
  void item(const Node* n, Item::Kind k = Item::Kind::Stmt) {
    if (!n) return;
    g_.blocks[current()].items.push_back(Item{n, k});
  }
  uint32_t label_block(std::string_view name) {
    auto it = labels_.find(name);
    if (it != labels_.end()) return it->second;
    uint32_t b = new_block();
    labels_[name] = b;
    return b;
  }

  void stmts(const Node* block, int depth) {
    if (!block) return;
    for (const Node* s : block->children()) stmt(s, depth + 1);
  }

  void stmt(const Node* s, int depth) {
    if (!s) return;
    if (depth > opts_.max_depth) throw TooDeep();
    std::string_view label = pending_label_;
    pending_label_ = {};
    switch (s->kind) {
      case NodeKind::Block:
        stmts(s, depth);
        return;
      case NodeKind::Labeled: {
        std::string_view name = go::ident_name(s->kid(0));
        uint32_t b = label_block(name);
        edge(cur_, b);
        cur_ = b;
        pending_label_ = name;
        stmt(s->kid(1), depth + 1);
        pending_label_ = {};
        return;
      }
      case NodeKind::ExprStmt: {
        item(s);
        const Node* call = go::unparen(s->kid(0));
        if (call && call->kind == NodeKind::Call && opts_.is_noreturn && opts_.is_noreturn(call)) {
          g_.blocks[current()].noreturn = true;
          cur_ = kNone;
        }
        return;
      }
      case NodeKind::Return:
        item(s);
        edge(current(), Cfg::kExit);
        cur_ = kNone;
        return;
      case NodeKind::Branch:
        branch(s);
        return;
      case NodeKind::If:
        if_stmt(s, depth);
        return;
      case NodeKind::For:
        for_stmt(s, label, depth);
        return;
      case NodeKind::Range:
        range_stmt(s, label, depth);
        return;
      case NodeKind::Switch:
      case NodeKind::TypeSwitch:
        switch_stmt(s, label, depth);
        return;
      case NodeKind::Select:
        select_stmt(s, label, depth);
        return;
      case NodeKind::Bad:
      case NodeKind::Empty:
        return;
      default:
        item(s);  // Assign, IncDec, Send, Go, Defer, DeclStmt
        return;
    }
  }

  void branch(const Node* s) {
    std::string_view kw = s->text;
    std::string_view label = go::ident_name(s->kid(0));
    if (kw == "goto") {
      edge(current(), label_block(label));
      cur_ = kNone;
      return;
    }
    if (kw == "fallthrough") {
      // handled by switch_stmt: it links the clause's end to the next body
      item(s);
      return;
    }
    for (auto it = targets_.rbegin(); it != targets_.rend(); ++it) {
      if (!label.empty() && it->label != label) continue;
      if (kw == "break") {
        edge(current(), it->break_to);
        cur_ = kNone;
        return;
      }
      if (kw == "continue" && it->continue_to != kNone) {
        edge(current(), it->continue_to);
        cur_ = kNone;
        return;
      }
    }
    cur_ = kNone;  // a branch with no target (invalid code): treat as a dead end
  }

  void if_stmt(const Node* s, int depth) {
    if (s->kid(0)) stmt(s->kid(0), depth + 1);
    uint32_t head = current();
    g_.blocks[head].cond = s->kid(1);
    uint32_t then_b = new_block();
    uint32_t else_b = new_block();
    edge(head, then_b);
    edge(head, else_b);
    uint32_t join = new_block();
    cur_ = then_b;
    stmt(s->kid(2), depth + 1);
    edge(cur_, join);
    cur_ = else_b;
    if (s->kid(3)) stmt(s->kid(3), depth + 1);
    edge(cur_, join);
    cur_ = join;
  }

  void for_stmt(const Node* s, std::string_view label, int depth) {
    if (s->kid(0)) stmt(s->kid(0), depth + 1);
    uint32_t head = new_block();
    edge(cur_, head);
    uint32_t body = new_block();
    uint32_t post = new_block();
    uint32_t after = new_block();
    if (s->kid(1)) {
      g_.blocks[head].cond = s->kid(1);
      edge(head, body);
      edge(head, after);
    } else {
      edge(head, body);  // `for {}` leaves only by break, return or goto
    }
    targets_.push_back({label, after, post});
    cur_ = body;
    stmt(s->kid(3), depth + 1);
    targets_.pop_back();
    edge(cur_, post);
    cur_ = post;
    if (s->kid(2)) stmt(s->kid(2), depth + 1);
    edge(cur_, head);
    cur_ = after;
  }

  void range_stmt(const Node* s, std::string_view label, int depth) {
    item(s->kid(2), Item::Kind::Expr);  // the operand is evaluated once
    uint32_t head = new_block();
    edge(cur_, head);
    uint32_t body = new_block();
    uint32_t after = new_block();
    edge(head, body);
    // a range over a channel nobody closes (a ticker's) only ends by break or return
    if (!(opts_.range_never_ends && opts_.range_never_ends(s->kid(2)))) edge(head, after);
    targets_.push_back({label, after, head});
    cur_ = body;
    if (s->kid(0) || s->kid(1)) item(s, Item::Kind::RangeAssign);
    stmt(s->kid(3), depth + 1);
    targets_.pop_back();
    edge(cur_, head);
    cur_ = after;
  }

  void switch_stmt(const Node* s, std::string_view label, int depth) {
    bool type_switch = s->kind == NodeKind::TypeSwitch;
    if (s->kid(0)) stmt(s->kid(0), depth + 1);
    const Node* tag = type_switch ? s->kid(2) : s->kid(1);
    if (tag) item(tag, Item::Kind::Expr);
    uint32_t first_clause = type_switch ? 3 : 2;
    uint32_t after = new_block();
    // one body block per clause, created up front so fallthrough can link forward
    std::vector<const Node*> clauses;
    for (uint32_t i = first_clause; i < s->nkids; ++i)
      if (s->kids[i] && s->kids[i]->kind == NodeKind::CaseClause) clauses.push_back(s->kids[i]);
    std::vector<uint32_t> bodies;
    for (size_t i = 0; i < clauses.size(); ++i) bodies.push_back(new_block());
    int default_idx = -1;
    for (size_t i = 0; i < clauses.size(); ++i)
      if (!clauses[i]->kid(0)) default_idx = static_cast<int>(i);

    uint32_t test = current();
    bool tagless = !type_switch && !tag;
    for (size_t i = 0; i < clauses.size(); ++i) {
      if (static_cast<int>(i) == default_idx) continue;
      const Node* list = clauses[i]->kid(0);
      if (tagless) {
        // `case cond:` of a tagless switch is a branch on cond; `case a, b:` an opaque one
        if (list && list->nkids == 1) g_.blocks[test].cond = list->kid(0);
        else if (list)
          for (const Node* e : list->children()) g_.blocks[test].items.push_back({e, Item::Kind::Expr});
        edge(test, bodies[i]);
        uint32_t next = new_block();
        edge(test, next);
        test = next;
      } else if (!type_switch && list && list->nkids == 1 && tag) {
        // `switch x { case v: }` branches on `x == v`, like the tagless form
        g_.blocks[test].cond = equality(tag, list->kid(0));
        edge(test, bodies[i]);
        uint32_t next = new_block();
        edge(test, next);
        test = next;
      } else {
        if (!type_switch && list)
          for (const Node* e : list->children()) g_.blocks[test].items.push_back({e, Item::Kind::Expr});
        edge(test, bodies[i]);
      }
    }
    if (default_idx >= 0) edge(test, bodies[static_cast<size_t>(default_idx)]);
    else edge(test, after);

    targets_.push_back({label, after, kNone});
    for (size_t i = 0; i < clauses.size(); ++i) {
      cur_ = bodies[i];
      if (type_switch && s->kid(1)) item(s->kid(1), Item::Kind::Expr);  // binds the switch variable
      bool falls = false;
      for (uint32_t k = 1; k < clauses[i]->nkids; ++k) {
        const Node* st = clauses[i]->kids[k];
        if (st && st->kind == NodeKind::Branch && st->text == "fallthrough") falls = true;
        stmt(st, depth + 1);
      }
      if (falls && i + 1 < clauses.size()) edge(cur_, bodies[i + 1]);
      else edge(cur_, after);
    }
    targets_.pop_back();
    cur_ = after;
  }

  void select_stmt(const Node* s, std::string_view label, int depth) {
    uint32_t head = current();
    uint32_t after = new_block();
    targets_.push_back({label, after, kNone});
    bool any = false;
    for (const Node* c : s->children()) {
      if (!c || c->kind != NodeKind::CommClause) continue;
      any = true;
      uint32_t b = new_block();
      edge(head, b);
      cur_ = b;
      if (c->kid(0)) stmt(c->kid(0), depth + 1);
      for (uint32_t k = 1; k < c->nkids; ++k) stmt(c->kids[k], depth + 1);
      edge(cur_, after);
    }
    targets_.pop_back();
    if (!any) {
      // `select {}` blocks forever
      g_.blocks[head].noreturn = true;
      cur_ = after;
      g_.blocks[after].reachable = false;
      return;
    }
    cur_ = after;
  }
};

}  // namespace

CfgResult build_cfg(const Node* body, const CfgOptions& opts) {
  CfgResult r;
  r.cfg.body = body;
  r.cfg.end_line = body ? body->end_line : 0;
  Builder b(r.cfg, opts);
  try {
    b.build(body);
  } catch (const TooDeep& e) {
    r.ok = false;
    r.error = e.what();
    return r;
  }
  // Reachability from the entry: code after return, panic or t.Skip inside an
  // if, loop or switch gets blocks of its own that nothing jumps to.
  auto& blocks = r.cfg.blocks;
  for (auto& blk : blocks) blk.reachable = false;
  std::vector<uint32_t> todo{Cfg::kEntry};
  blocks[Cfg::kEntry].reachable = true;
  while (!todo.empty()) {
    uint32_t bi = todo.back();
    todo.pop_back();
    for (uint32_t s : blocks[bi].succs)
      if (!blocks[s].reachable) {
        blocks[s].reachable = true;
        todo.push_back(s);
      }
  }
  return r;
}

bool is_noreturn_by_name(const Node* call) {
  const Node* fun = go::unparen(call->kid(0));
  if (!fun) return false;
  if (fun->kind == NodeKind::Ident) return fun->text == "panic";
  if (fun->kind != NodeKind::Selector) return false;
  std::string_view m = go::ident_name(fun->kid(1));
  std::string_view x = go::ident_name(go::unparen(fun->kid(0)));
  if (m == "Exit" && x == "os") return true;
  if (m == "Goexit" && x == "runtime") return true;
  if (m == "Fatal" || m == "Fatalf" || m == "Fatalln" || m == "Panic" || m == "Panicf" || m == "Panicln") return true;
  // testing's FailNow and Skip*: only on the usual receivers (xml.Decoder.Skip returns)
  if (m == "FailNow" || m == "Skip" || m == "Skipf" || m == "SkipNow")
    return x == "t" || x == "b" || x == "tb" || x == "f";
  return false;
}

std::string Cfg::dump() const {
  std::string out;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    out += fmt::format("b{}:", i);
    for (const auto& it : b.items) {
      out += fmt::format(" {}@{}", go::kind_name(it.node->kind), it.node->line);
    }
    if (b.cond) out += fmt::format(" if@{}", b.cond->line);
    if (b.noreturn) out += " noreturn";
    out += " ->";
    for (size_t k = 0; k < b.succs.size(); ++k) out += fmt::format("{}b{}", k ? "," : " ", b.succs[k]);
    out += "\n";
  }
  return out;
}

static_assert(std::is_nothrow_move_constructible_v<Cfg>, "graphs must move, not copy, inside containers");

bool can_return(const Cfg& cfg) {
  if (cfg.blocks.size() <= Cfg::kExit) return true;
  std::vector<uint8_t> seen(cfg.blocks.size(), 0);
  std::vector<uint32_t> todo{Cfg::kEntry};
  seen[Cfg::kEntry] = 1;
  while (!todo.empty()) {
    uint32_t b = todo.back();
    todo.pop_back();
    for (uint32_t s : cfg.blocks[b].succs) {
      if (s == Cfg::kExit) return true;
      if (!seen[s]) {
        seen[s] = 1;
        todo.push_back(s);
      }
    }
  }
  return false;
}

}  // namespace leakhound::flow
