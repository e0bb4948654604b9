// A compact, arena-allocated syntax tree for Go that mirrors go/ast.
//
// Rules and the flow layer only ever see these nodes, never tree-sitter: the
// front end (parse.cpp) converts a tree-sitter tree into this form, so another
// parser could replace tree-sitter behind the same interface.
//
// Every node has a kind, a position, an optional token text (identifier name,
// literal text or operator) and a fixed child layout per kind, documented
// below. Optional children are stored as nullptr so positions stay fixed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace leakhound::go {

enum class NodeKind : uint8_t {
  Bad,  // a region tree-sitter could not parse

  // ---- files and declarations
  File,        // kids: decls (FuncDecl, GenDecl); text: package name
  FuncDecl,    // kids: [0] receiver FieldList|null, [1] name Ident, [2] FuncType, [3] body Block|null
  GenDecl,     // text: "var"|"const"|"type"|"import"; kids: specs
  ValueSpec,   // kids: [0] type|null, [1] names ExprList, [2] values ExprList|null
  TypeSpec,    // kids: [0] name Ident, [1] type; text "=" for an alias
  ImportSpec,  // kids: [0] name Ident|null ("_", "." or alias); text: import path, unquoted

  // ---- expressions
  Ident,         // text: the name
  BasicLit,      // text: the literal as written
  CompositeLit,  // kids: [0] type|null, [1..] elements (expr or KeyValue)
  KeyValue,      // kids: [0] key, [1] value
  FuncLit,       // kids: [0] FuncType, [1] body Block
  Paren,         // kids: [0] inner
  Selector,      // kids: [0] X, [1] Sel Ident
  Index,         // kids: [0] X, [1..] indices (also generic instantiation)
  Slice,         // kids: [0] X, [1] low|null, [2] high|null, [3] max|null
  TypeAssert,    // kids: [0] X, [1] type|null (null for x.(type))
  Call,          // kids: [0] fun, [1..] args; flag kEllipsis when the last arg is spread
  Star,          // kids: [0] X (dereference or pointer type)
  Unary,         // text: operator; kids: [0] X
  Binary,        // text: operator; kids: [0] X, [1] Y
  ExprList,      // kids: expressions

  // ---- types
  ArrayType,      // kids: [0] length|null (null: slice), [1] element
  MapType,        // kids: [0] key, [1] value
  ChanType,       // text: "chan"|"<-chan"|"chan<-"; kids: [0] element
  FuncType,       // kids: [0] params FieldList, [1] results FieldList|null
  StructType,     // kids: Fields
  InterfaceType,  // kids: Fields (methods have a FuncType type and a name; embeds have no name)
  FieldList,      // kids: Fields
  Field,          // kids: [0] type, [1..] names Ident; flag kVariadic

  // ---- statements
  Block,       // kids: statements
  ExprStmt,    // kids: [0] expression
  Assign,      // text: "=", ":=", "+=", ...; kids: [0] lhs ExprList, [1] rhs ExprList
  IncDec,      // text: "++"|"--"; kids: [0] X
  Send,        // kids: [0] channel, [1] value
  Go,          // kids: [0] call
  Defer,       // kids: [0] call
  Return,      // kids: results
  Branch,      // text: "break"|"continue"|"goto"|"fallthrough"; kids: [0] label Ident|null
  Labeled,     // kids: [0] label Ident, [1] statement|null
  If,          // kids: [0] init|null, [1] cond, [2] then Block, [3] else (Block|If)|null
  For,         // kids: [0] init|null, [1] cond|null, [2] post|null, [3] body Block
  Range,       // text: ":=", "=" or "" ; kids: [0] key|null, [1] value|null, [2] X, [3] body Block
  Switch,      // kids: [0] init|null, [1] tag|null, [2..] CaseClauses
  TypeSwitch,  // kids: [0] init|null, [1] bound name Ident|null, [2] X, [3..] CaseClauses
  CaseClause,  // kids: [0] ExprList|null (null: default), [1..] body statements
  Select,      // kids: CommClauses
  CommClause,  // kids: [0] comm statement|null (null: default), [1..] body statements
  DeclStmt,    // kids: [0] GenDecl
  Empty,
};

const char* kind_name(NodeKind k);

struct Node {
  static constexpr uint8_t kEllipsis = 1;
  static constexpr uint8_t kVariadic = 2;
  static constexpr uint8_t kHasError = 4;  // a FuncDecl/FuncLit whose source had a syntax error

  NodeKind kind = NodeKind::Bad;
  uint8_t flags = 0;
  uint32_t nkids = 0;
  uint32_t line = 0;      // 1-based
  uint32_t col = 0;       // 1-based, in bytes
  uint32_t end_line = 0;  // line of the last byte
  std::string_view text;
  Node** kids = nullptr;

  std::span<Node* const> children() const { return {kids, nkids}; }
  Node* kid(uint32_t i) const { return i < nkids ? kids[i] : nullptr; }
  bool is(NodeKind k) const { return kind == k; }
  bool has(uint8_t f) const { return (flags & f) != 0; }
};

// Bump allocator owning every node and child array of one file.
class Arena {
 public:
  Arena() = default;
  ~Arena();  // standard-size blocks go back to a per-thread pool (no fresh page faults per file)
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  void* allocate(size_t bytes, size_t align = alignof(std::max_align_t));
  Node* new_node(NodeKind kind);
  Node** new_kids(size_t n);
  size_t bytes_used() const { return used_; }

 private:
  static constexpr size_t kBlockSize = 256 * 1024;
  std::vector<std::pair<std::unique_ptr<char[]>, size_t>> blocks_;  // block, size
  char* cur_ = nullptr;
  size_t left_ = 0;
  size_t used_ = 0;
};

struct Import {
  std::string name;  // local name used in this file ("" for blank or dot imports)
  std::string path;
};

struct SyntaxError {
  uint32_t line = 0;
  uint32_t col = 0;
};

// One parsed file: the source text (which the AST's string_views point into),
// the arena holding the tree, and what the front end learned on the way.
struct SourceFile {
  std::string path;          // as given on the command line / discovered
  std::string source;        // full text
  Arena arena;
  Node* root = nullptr;      // File node
  std::string package_name;
  std::vector<Import> imports;
  std::vector<SyntaxError> errors;
  bool is_test = false;      // *_test.go
  bool go_run_program = false;  // `//go:build ignore`: a program run with `go run` (a generator), run once

  // The import path for a local package name, or "" when the name is not an import.
  std::string_view import_path(std::string_view local) const;
  // The source line `line` (1-based) without its newline.
  std::string_view line_text(uint32_t line) const;
};

// Helpers over the layout documented above.
inline std::string_view ident_name(const Node* n) {
  return n && n->kind == NodeKind::Ident ? n->text : std::string_view{};
}
// Strip parentheses.
const Node* unparen(const Node* n);

// The receiver's type name of a method declaration ("" for a function); *pointer
// tells whether the receiver is a pointer.
std::string_view receiver_type_name(const Node* func_decl, bool* pointer = nullptr);

// The body Block of a FuncDecl or FuncLit (null when it has none).
const Node* func_body(const Node* func);

}  // namespace leakhound::go
