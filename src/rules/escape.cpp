#include "rules/escape.h"

#include "golang/walk.h"

namespace leakhound::rules {
using go::Node;
using go::NodeKind;

bool escapes(const Node* body, int var, const go::Resolver& r) {
  auto is_var = [&](const Node* e) {
    e = go::unparen(e);
    return e && e->kind == NodeKind::Ident && r.var_of(e) == var;
  };
  return go::any_node(body, [&](const Node* n) {
    switch (n->kind) {
      case NodeKind::Return:
        for (const Node* e : n->children())
          if (is_var(e)) return true;
        return false;
      case NodeKind::Assign: {
        const Node* lhs = n->kid(0);
        const Node* rhs = n->kid(1);
        if (!lhs || !rhs || lhs->nkids != rhs->nkids) return false;
        for (uint32_t i = 0; i < rhs->nkids; ++i) {
          if (!is_var(rhs->kids[i])) continue;
          const Node* l = go::unparen(lhs->kids[i]);
          if (!l || l->kind != NodeKind::Ident || (r.var_of(l) < 0 && l->text != "_")) return true;
        }
        return false;
      }
      case NodeKind::CompositeLit:
        for (uint32_t i = 1; i < n->nkids; ++i) {
          const Node* e = n->kids[i];
          if (e && e->kind == NodeKind::KeyValue) e = e->kid(1);
          if (is_var(e)) return true;
        }
        return false;
      case NodeKind::Call:
        if (go::ident_name(go::unparen(n->kid(0))) == "append")
          for (uint32_t i = 2; i < n->nkids; ++i)
            if (is_var(n->kids[i])) return true;
        return false;
      case NodeKind::Send:
        return is_var(n->kid(1));
      default:
        return false;
    }
  });
}

}  // namespace leakhound::rules
