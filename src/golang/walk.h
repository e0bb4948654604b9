// Iterative tree walks. Syntax trees nest thousands of levels deep, so no walk
// over expressions may recurse on the C stack.
#pragma once

#include <utility>
#include <vector>

#include "golang/ast.h"

namespace leakhound::go {

// Pre-order walk. `visit(node)` returns true to descend into the node's children.
template <typename F>
void walk(const Node* root, F&& visit) {
  if (!root) return;
  std::vector<const Node*> stack;
  stack.push_back(root);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!visit(n)) continue;
    for (uint32_t i = n->nkids; i-- > 0;)
      if (n->kids[i]) stack.push_back(n->kids[i]);
  }
}

// Pre-order walk that does not enter function literals (their bodies are separate functions).
template <typename F>
void walk_no_funclit(const Node* root, F&& visit) {
  walk(root, [&](const Node* n) {
    if (n != root && n->kind == NodeKind::FuncLit) return false;
    return visit(n);
  });
}

// Pre-order walk that passes each node's ancestors (root first, parent last);
// enters function literals only when `literals`. `visit(node, ancestors)` returns true to descend.
template <typename F>
void walk_ancestors(const Node* root, bool literals, F&& visit) {
  if (!root) return;
  std::vector<std::pair<const Node*, size_t>> stack{{root, 0}};
  std::vector<const Node*> ancestors;
  while (!stack.empty()) {
    auto [n, depth] = stack.back();
    stack.pop_back();
    ancestors.resize(depth);
    if (!literals && n != root && n->kind == NodeKind::FuncLit) continue;
    if (!visit(n, static_cast<const std::vector<const Node*>&>(ancestors))) continue;
    ancestors.push_back(n);
    for (uint32_t i = n->nkids; i-- > 0;)
      if (n->kids[i]) stack.push_back({n->kids[i], depth + 1});
  }
}

// The same, not entering function literals (their bodies are separate functions).
template <typename F>
void walk_with_ancestors(const Node* root, F&& visit) {
  walk_ancestors(root, false, std::forward<F>(visit));
}

// The innermost for/range loop (among `ancestors`, root first) whose repeated
// part holds `n`: a for's condition, post and body (not its init), a range's
// body (not its operand, evaluated once). Null when none.
inline const Node* innermost_loop(const std::vector<const Node*>& ancestors, const Node* n) {
  for (size_t i = ancestors.size(); i-- > 0;) {
    const Node* a = ancestors[i];
    const Node* next = i + 1 < ancestors.size() ? ancestors[i + 1] : n;
    if (a->kind == NodeKind::For && next != a->kid(0)) return a;
    if (a->kind == NodeKind::Range && next == a->kid(3)) return a;
  }
  return nullptr;
}

// Does any node under `root` satisfy `pred`? (iterative, stops early)
template <typename P>
bool any_node(const Node* root, P&& pred) {
  bool found = false;
  walk(root, [&](const Node* n) {
    if (found) return false;
    if (pred(n)) {
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

}  // namespace leakhound::go
