#include "golang/ast.h"

#include <cstring>

namespace leakhound::go {

const char* kind_name(NodeKind k) {
  switch (k) {
#define K(x) \
  case NodeKind::x: return #x;
    K(Bad) K(File) K(FuncDecl) K(GenDecl) K(ValueSpec) K(TypeSpec) K(ImportSpec) K(Ident) K(BasicLit)
    K(CompositeLit) K(KeyValue) K(FuncLit) K(Paren) K(Selector) K(Index) K(Slice) K(TypeAssert) K(Call)
    K(Star) K(Unary) K(Binary) K(ExprList) K(ArrayType) K(MapType) K(ChanType) K(FuncType) K(StructType)
    K(InterfaceType) K(FieldList) K(Field) K(Block) K(ExprStmt) K(Assign) K(IncDec) K(Send) K(Go) K(Defer)
    K(Return) K(Branch) K(Labeled) K(If) K(For) K(Range) K(Switch) K(TypeSwitch) K(CaseClause) K(Select)
    K(CommClause) K(DeclStmt) K(Empty)
#undef K
  }
  return "?";
}

namespace {
// Blocks of finished files, reused by the next file parsed on the same thread.
thread_local std::vector<std::unique_ptr<char[]>> t_block_pool;
constexpr size_t kMaxPooledBlocks = 256;  // 64 MB per thread at most
}  // namespace

Arena::~Arena() {
  for (auto& [block, size] : blocks_)
    if (size == kBlockSize && t_block_pool.size() < kMaxPooledBlocks) t_block_pool.push_back(std::move(block));
}

void* Arena::allocate(size_t bytes, size_t align) {
  size_t pad = (align - (reinterpret_cast<uintptr_t>(cur_) & (align - 1))) & (align - 1);
  if (cur_ == nullptr || pad + bytes > left_) {
    size_t size = std::max<size_t>(kBlockSize, bytes + align);
    if (size == kBlockSize && !t_block_pool.empty()) {
      blocks_.emplace_back(std::move(t_block_pool.back()), size);
      t_block_pool.pop_back();
    } else {
      blocks_.emplace_back(std::unique_ptr<char[]>(new char[size]), size);
    }
    cur_ = blocks_.back().first.get();
    left_ = size;
    pad = (align - (reinterpret_cast<uintptr_t>(cur_) & (align - 1))) & (align - 1);
  }
  char* p = cur_ + pad;
  cur_ = p + bytes;
  left_ -= pad + bytes;
  used_ += bytes;
  return p;
}

Node* Arena::new_node(NodeKind kind) {
  Node* n = new (allocate(sizeof(Node), alignof(Node))) Node();
  n->kind = kind;
  return n;
}

Node** Arena::new_kids(size_t n) {
  if (n == 0) return nullptr;
  auto** p = static_cast<Node**>(allocate(sizeof(Node*) * n, alignof(Node*)));
  std::memset(p, 0, sizeof(Node*) * n);
  return p;
}

std::string_view SourceFile::import_path(std::string_view local) const {
  for (const auto& imp : imports)
    if (imp.name == local) return imp.path;
  return {};
}

std::string_view SourceFile::line_text(uint32_t line) const {
  if (line == 0) return {};
  size_t pos = 0;
  for (uint32_t l = 1; l < line; ++l) {
    pos = source.find('\n', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  size_t end = source.find('\n', pos);
  if (end == std::string::npos) end = source.size();
  std::string_view v(source.data() + pos, end - pos);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

const Node* unparen(const Node* n) {
  while (n && n->kind == NodeKind::Paren) n = n->kid(0);
  return n;
}

std::string_view receiver_type_name(const Node* decl, bool* pointer) {
  if (pointer) *pointer = false;
  const Node* recv = decl && decl->kind == NodeKind::FuncDecl ? decl->kid(0) : nullptr;
  if (!recv || !recv->kid(0)) return {};
  const Node* t = recv->kid(0)->kid(0);
  while (t && (t->kind == NodeKind::Star || t->kind == NodeKind::Paren || t->kind == NodeKind::Index)) {
    if (t->kind == NodeKind::Star && pointer) *pointer = true;
    t = t->kid(0);
  }
  return ident_name(t);
}

const Node* func_body(const Node* func) {
  if (!func) return nullptr;
  if (func->kind == NodeKind::FuncDecl) return func->kid(3);
  if (func->kind == NodeKind::FuncLit) return func->kid(1);
  return nullptr;
}

}  // namespace leakhound::go
