// Converts a tree-sitter-go syntax tree into our AST without recursion: trees
// nest thousands of levels deep (long string concatenations), so the walk is a
// post-order traversal driven by a TSTreeCursor and two explicit stacks.
#include "golang/parse.h"

#include <tree_sitter/api.h>

#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>

extern "C" const TSLanguage* tree_sitter_go(void);

namespace leakhound::go {
namespace {

// The tree-sitter node types we convert. Anything else is dropped.
enum class TK : uint8_t {
  Other, Anon, Error, SourceFile, PackageClause, ImportDecl, ImportSpec, ImportSpecList,
  FunctionDecl, MethodDecl, ParameterList, ParameterDecl, VariadicParameterDecl, FuncLiteral,
  FunctionType, TypeDecl, TypeSpec, TypeAlias, VarDecl, VarSpec, VarSpecList, ConstDecl, ConstSpec,
  Block, StatementList, ExpressionStatement, SendStatement, IncStatement, DecStatement,
  AssignmentStatement, ShortVarDecl, LabeledStatement, GoStatement, DeferStatement, IfStatement,
  ForStatement, ForClause, RangeClause, ExprSwitch, ExpressionCase, DefaultCase, TypeSwitch, TypeCase,
  SelectStatement, CommunicationCase, ReceiveStatement, ReturnStatement, BreakStatement,
  ContinueStatement, GotoStatement, FallthroughStatement, EmptyStatement, Identifier, Literal,
  CallExpression, ArgumentList, VariadicArgument, SelectorExpression, IndexExpression, SliceExpression,
  TypeAssertion, TypeConversion, TypeInstantiation, UnaryExpression, BinaryExpression, ParenExpr,
  CompositeLiteral, LiteralValue, LiteralElement, KeyedElement, PointerType, QualifiedType, GenericType,
  TypeArguments, TypeElem, ArrayType, ImplicitLengthArrayType, SliceType, MapType, ChannelType,
  StructType, FieldDeclList, FieldDecl, InterfaceType, MethodElem, NegatedType, ExpressionList,
  Comment, Skip,
};

const std::unordered_map<std::string_view, TK>& kind_names() {
  static const std::unordered_map<std::string_view, TK> m = {
      {"source_file", TK::SourceFile}, {"package_clause", TK::PackageClause},
      {"import_declaration", TK::ImportDecl}, {"import_spec", TK::ImportSpec},
      {"import_spec_list", TK::ImportSpecList}, {"function_declaration", TK::FunctionDecl},
      {"method_declaration", TK::MethodDecl}, {"parameter_list", TK::ParameterList},
      {"parameter_declaration", TK::ParameterDecl},
      {"variadic_parameter_declaration", TK::VariadicParameterDecl}, {"func_literal", TK::FuncLiteral},
      {"function_type", TK::FunctionType}, {"type_declaration", TK::TypeDecl}, {"type_spec", TK::TypeSpec},
      {"type_alias", TK::TypeAlias}, {"var_declaration", TK::VarDecl}, {"var_spec", TK::VarSpec},
      {"var_spec_list", TK::VarSpecList}, {"const_declaration", TK::ConstDecl},
      {"const_spec", TK::ConstSpec}, {"block", TK::Block}, {"statement_list", TK::StatementList},
      {"expression_statement", TK::ExpressionStatement}, {"send_statement", TK::SendStatement},
      {"inc_statement", TK::IncStatement}, {"dec_statement", TK::DecStatement},
      {"assignment_statement", TK::AssignmentStatement}, {"short_var_declaration", TK::ShortVarDecl},
      {"labeled_statement", TK::LabeledStatement}, {"go_statement", TK::GoStatement},
      {"defer_statement", TK::DeferStatement}, {"if_statement", TK::IfStatement},
      {"for_statement", TK::ForStatement}, {"for_clause", TK::ForClause}, {"range_clause", TK::RangeClause},
      {"expression_switch_statement", TK::ExprSwitch}, {"expression_case", TK::ExpressionCase},
      {"default_case", TK::DefaultCase}, {"type_switch_statement", TK::TypeSwitch},
      {"type_case", TK::TypeCase}, {"select_statement", TK::SelectStatement},
      {"communication_case", TK::CommunicationCase}, {"receive_statement", TK::ReceiveStatement},
      {"return_statement", TK::ReturnStatement}, {"break_statement", TK::BreakStatement},
      {"continue_statement", TK::ContinueStatement}, {"goto_statement", TK::GotoStatement},
      {"fallthrough_statement", TK::FallthroughStatement}, {"empty_statement", TK::EmptyStatement},
      {"identifier", TK::Identifier}, {"field_identifier", TK::Identifier},
      {"package_identifier", TK::Identifier}, {"type_identifier", TK::Identifier},
      {"label_name", TK::Identifier}, {"blank_identifier", TK::Identifier}, {"dot", TK::Identifier},
      {"iota", TK::Identifier}, {"nil", TK::Identifier}, {"true", TK::Identifier},
      {"false", TK::Identifier}, {"int_literal", TK::Literal}, {"float_literal", TK::Literal},
      {"imaginary_literal", TK::Literal}, {"rune_literal", TK::Literal},
      {"interpreted_string_literal", TK::Literal}, {"raw_string_literal", TK::Literal},
      {"call_expression", TK::CallExpression}, {"argument_list", TK::ArgumentList},
      {"variadic_argument", TK::VariadicArgument}, {"selector_expression", TK::SelectorExpression},
      {"index_expression", TK::IndexExpression}, {"slice_expression", TK::SliceExpression},
      {"type_assertion_expression", TK::TypeAssertion},
      {"type_conversion_expression", TK::TypeConversion},
      {"type_instantiation_expression", TK::TypeInstantiation}, {"unary_expression", TK::UnaryExpression},
      {"binary_expression", TK::BinaryExpression}, {"parenthesized_expression", TK::ParenExpr},
      {"parenthesized_type", TK::ParenExpr}, {"composite_literal", TK::CompositeLiteral},
      {"literal_value", TK::LiteralValue}, {"literal_element", TK::LiteralElement},
      {"keyed_element", TK::KeyedElement}, {"pointer_type", TK::PointerType},
      {"qualified_type", TK::QualifiedType}, {"generic_type", TK::GenericType},
      {"type_arguments", TK::TypeArguments}, {"type_elem", TK::TypeElem}, {"array_type", TK::ArrayType},
      {"implicit_length_array_type", TK::ImplicitLengthArrayType}, {"slice_type", TK::SliceType},
      {"map_type", TK::MapType}, {"channel_type", TK::ChannelType}, {"struct_type", TK::StructType},
      {"field_declaration_list", TK::FieldDeclList}, {"field_declaration", TK::FieldDecl},
      {"interface_type", TK::InterfaceType}, {"method_elem", TK::MethodElem},
      {"negated_type", TK::NegatedType}, {"expression_list", TK::ExpressionList},
      {"comment", TK::Comment}, {"type_parameter_list", TK::Skip}, {"type_constraint", TK::Skip},
  };
  return m;
}

enum Field : uint8_t {
  F_none, F_name, F_type, F_parameters, F_result, F_body, F_receiver, F_left, F_right, F_operator,
  F_operand, F_field, F_function, F_arguments, F_index, F_start, F_end, F_capacity, F_condition,
  F_consequence, F_alternative, F_initializer, F_update, F_value, F_alias, F_label, F_key, F_length,
  F_element, F_package, F_path, F_communication, F_channel, F_count
};
constexpr const char* kFieldNames[F_count] = {
    "", "name", "type", "parameters", "result", "body", "receiver", "left", "right", "operator",
    "operand", "field", "function", "arguments", "index", "start", "end", "capacity", "condition",
    "consequence", "alternative", "initializer", "update", "value", "alias", "label", "key", "length",
    "element", "package", "path", "communication", "channel"};

// Language tables, built once (tree-sitter languages are immutable and shared).
struct Tables {
  const TSLanguage* lang;
  std::vector<TK> kinds;       // by symbol
  std::vector<uint8_t> fields;  // by field id
  Tables() : lang(tree_sitter_go()) {
    uint32_t n = ts_language_symbol_count(lang);
    kinds.assign(n, TK::Other);
    const auto& names = kind_names();
    for (uint32_t s = 0; s < n; ++s) {
      auto type = ts_language_symbol_type(lang, static_cast<TSSymbol>(s));
      if (type != TSSymbolTypeRegular) {
        kinds[s] = TK::Anon;
        continue;
      }
      auto it = names.find(ts_language_symbol_name(lang, static_cast<TSSymbol>(s)));
      if (it != names.end()) kinds[s] = it->second;
    }
    uint32_t nf = ts_language_field_count(lang);
    fields.assign(nf + 1, F_none);
    for (int f = 1; f < F_count; ++f) {
      TSFieldId id = ts_language_field_id_for_name(lang, kFieldNames[f],
                                                   static_cast<uint32_t>(std::strlen(kFieldNames[f])));
      if (id != 0 && id <= nf) fields[id] = static_cast<uint8_t>(f);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// A converted child: a node (or, for anonymous tokens, just its text).
struct Val {
  Node* node = nullptr;
  TK kind = TK::Other;
  uint8_t field = F_none;
  std::string_view tok;  // anonymous token text
};

struct Frame {
  TSNode ts;
  TK kind;
  uint8_t field;
  uint32_t vbase;
};

class Converter {
 public:
  Converter(SourceFile& f) : file_(f), arena_(f.arena), src_(f.source) {}

  void run(TSNode root) {
    const Tables& T = tables();
    bool tree_has_error = ts_node_has_error(root);
    TSTreeCursor c = ts_tree_cursor_new(root);
    std::vector<Frame> frames;
    std::vector<Val> vals;
    frames.reserve(256);
    vals.reserve(1024);
    for (;;) {
      // enter the cursor's current node
      TSNode n = ts_tree_cursor_current_node(&c);
      TSFieldId fid = ts_tree_cursor_current_field_id(&c);
      TSSymbol sym = ts_node_symbol(n);
      TK k;
      if (sym == static_cast<TSSymbol>(-1)) k = TK::Error;
      else k = sym < T.kinds.size() ? T.kinds[sym] : TK::Other;
      if (tree_has_error && k != TK::Error && ts_node_is_missing(n)) k = TK::Error;
      uint8_t field = fid < T.fields.size() ? T.fields[fid] : static_cast<uint8_t>(F_none);
      frames.push_back(Frame{n, k, field, static_cast<uint32_t>(vals.size())});
      bool leaf = k == TK::Literal || k == TK::Identifier || k == TK::Error || k == TK::Comment ||
                  k == TK::Anon || k == TK::Skip;
      if (!leaf && ts_tree_cursor_goto_first_child(&c)) continue;
      // finish nodes upward until one has a next sibling
      for (;;) {
        Frame f = frames.back();
        frames.pop_back();
        Val v = build(f, std::span<Val>(vals.data() + f.vbase, vals.size() - f.vbase));
        vals.resize(f.vbase);
        if (v.node) {
          vals.push_back(v);
        } else if (v.kind == TK::Anon && !frames.empty()) {
          // punctuation is dropped, except operators and the tokens a few parents read
          TK parent = frames.back().kind;
          if (v.field != F_none || parent == TK::RangeClause || parent == TK::ReceiveStatement ||
              parent == TK::ChannelType)
            vals.push_back(v);
        }
        if (frames.empty()) {
          ts_tree_cursor_delete(&c);
          file_.root = v.node;
          return;
        }
        if (ts_tree_cursor_goto_next_sibling(&c)) break;
        ts_tree_cursor_goto_parent(&c);
      }
    }
  }

 private:
  SourceFile& file_;
  Arena& arena_;
  const std::string& src_;

  std::string_view text(TSNode n) const {
    uint32_t b = ts_node_start_byte(n), e = ts_node_end_byte(n);
    if (b > src_.size()) b = static_cast<uint32_t>(src_.size());
    if (e > src_.size()) e = static_cast<uint32_t>(src_.size());
    if (e < b) e = b;
    return std::string_view(src_.data() + b, e - b);
  }

  Node* make(NodeKind k, TSNode ts, std::initializer_list<Node*> kids = {}) {
    Node* n = arena_.new_node(k);
    TSPoint p = ts_node_start_point(ts), e = ts_node_end_point(ts);
    n->line = p.row + 1;
    n->col = p.column + 1;
    n->end_line = e.row + 1;
    set_kids(n, kids.begin(), kids.size());
    return n;
  }
  void set_kids(Node* n, Node* const* kids, size_t count) {
    n->kids = arena_.new_kids(count);
    n->nkids = static_cast<uint32_t>(count);
    for (size_t i = 0; i < count; ++i) n->kids[i] = kids[i];
  }
  Node* make_list(NodeKind k, TSNode ts, std::span<Val> vs, std::initializer_list<Node*> prefix = {}) {
    Node* n = make(k, ts);
    size_t count = prefix.size();
    for (auto& v : vs)
      if (v.node) ++count;
    n->kids = arena_.new_kids(count);
    n->nkids = static_cast<uint32_t>(count);
    size_t i = 0;
    for (Node* p : prefix) n->kids[i++] = p;
    for (auto& v : vs)
      if (v.node) n->kids[i++] = v.node;
    return n;
  }

  static Node* get(std::span<Val> vs, uint8_t field) {
    for (auto& v : vs)
      if (v.field == field && v.node) return v.node;
    return nullptr;
  }
  static Node* first_named(std::span<Val> vs) {
    for (auto& v : vs)
      if (v.node) return v.node;
    return nullptr;
  }
  static std::string_view op(std::span<Val> vs, uint8_t field) {
    for (auto& v : vs)
      if (v.kind == TK::Anon && v.field == field) return v.tok;
    return {};
  }
  static bool has_tok(std::span<Val> vs, std::string_view t) {
    for (auto& v : vs)
      if (v.kind == TK::Anon && v.tok == t) return true;
    return false;
  }
  // A single result type becomes a one-field FieldList, like go/ast.
  Node* as_field_list(Node* n, TSNode ts) {
    if (!n || n->kind == NodeKind::FieldList) return n;
    Node* f = make(NodeKind::Field, ts, {n});
    f->line = n->line;
    f->col = n->col;
    Node* l = make(NodeKind::FieldList, ts, {f});
    l->line = n->line;
    l->col = n->col;
    return l;
  }
  Node* func_type(TSNode ts, std::span<Val> vs) {
    return make(NodeKind::FuncType, ts, {get(vs, F_parameters), as_field_list(get(vs, F_result), ts)});
  }
  // Statement lists flatten into their parent; declarations inside them become DeclStmts.
  void push_stmts(std::vector<Node*>& out, std::span<Val> vs) {
    for (auto& v : vs) {
      if (!v.node) continue;
      if (v.kind == TK::StatementList) {
        for (Node* s : v.node->children()) out.push_back(s);
      } else {
        out.push_back(v.node);
      }
    }
  }
  Node* stmt_list(TSNode ts, std::span<Val> vs) {
    std::vector<Node*> out;
    for (auto& v : vs) {
      if (!v.node) continue;
      Node* s = v.node;
      if (s->kind == NodeKind::GenDecl) {
        Node* d = make(NodeKind::DeclStmt, ts, {s});
        d->line = s->line;
        d->col = s->col;
        d->end_line = s->end_line;
        s = d;
      }
      out.push_back(s);
    }
    Node* n = make(NodeKind::ExprList, ts);
    set_kids(n, out.data(), out.size());
    return n;
  }
  Node* clause(NodeKind k, TSNode ts, Node* head, std::span<Val> vs, Node* skip) {
    std::vector<Node*> out{head};
    for (auto& v : vs) {
      if (!v.node || v.node == skip || v.node == head) continue;
      if (v.kind == TK::StatementList)
        for (Node* s : v.node->children()) out.push_back(s);
    }
    Node* n = make(k, ts);
    set_kids(n, out.data(), out.size());
    return n;
  }
  void note_error(TSNode ts) {
    TSPoint p = ts_node_start_point(ts);
    file_.errors.push_back({p.row + 1, p.column + 1});
  }

  Val build(const Frame& f, std::span<Val> vs) {
    Val out;
    out.kind = f.kind;
    out.field = f.field;
    TSNode ts = f.ts;
    switch (f.kind) {
      case TK::Anon:
        out.tok = text(ts);
        return out;
      case TK::Other:
      case TK::Comment:
      case TK::Skip:
        return out;
      case TK::Error:
        note_error(ts);
        out.node = make(NodeKind::Bad, ts);
        return out;
      case TK::Identifier: {
        Node* n = make(NodeKind::Ident, ts);
        n->text = text(ts);
        out.node = n;
        return out;
      }
      case TK::Literal: {
        Node* n = make(NodeKind::BasicLit, ts);
        n->text = text(ts);
        out.node = n;
        return out;
      }
      case TK::SourceFile: {
        std::vector<Node*> decls;
        for (auto& v : vs) {
          if (!v.node) continue;
          if (v.kind == TK::PackageClause) {
            file_.package_name = std::string(v.node->text);
          } else if (v.node->kind == NodeKind::FuncDecl || v.node->kind == NodeKind::GenDecl) {
            decls.push_back(v.node);
          }
        }
        Node* n = make(NodeKind::File, ts);
        set_kids(n, decls.data(), decls.size());
        n->text = file_.package_name;
        out.node = n;
        return out;
      }
      case TK::PackageClause: {
        Node* id = first_named(vs);
        Node* n = make(NodeKind::Ident, ts);
        n->text = id ? id->text : std::string_view{};
        out.node = n;
        return out;
      }
      case TK::ImportDecl: {
        std::vector<Node*> specs;
        for (auto& v : vs) {
          if (!v.node) continue;
          if (v.node->kind == NodeKind::ImportSpec) specs.push_back(v.node);
          else if (v.kind == TK::ImportSpecList)
            for (Node* s : v.node->children()) specs.push_back(s);
        }
        Node* n = make(NodeKind::GenDecl, ts);
        n->text = "import";
        set_kids(n, specs.data(), specs.size());
        out.node = n;
        return out;
      }
      case TK::ImportSpecList:
        out.node = make_list(NodeKind::ExprList, ts, vs);
        return out;
      case TK::ImportSpec: {
        Node* name = get(vs, F_name);
        Node* path = get(vs, F_path);
        Node* n = make(NodeKind::ImportSpec, ts, {name});
        std::string_view p = path ? path->text : std::string_view{};
        if (p.size() >= 2) p = p.substr(1, p.size() - 2);
        n->text = p;
        Import imp;
        imp.path = std::string(p);
        if (name) {
          imp.name = (name->text == "_" || name->text == ".") ? "" : std::string(name->text);
        } else {
          // default local name: the last path element, minus a major-version suffix
          std::string_view last = p.substr(p.rfind('/') == std::string_view::npos ? 0 : p.rfind('/') + 1);
          if (last.size() >= 2 && last[0] == 'v' && last.find_first_not_of("0123456789", 1) == std::string_view::npos &&
              p.rfind('/') != std::string_view::npos) {
            std::string_view rest = p.substr(0, p.rfind('/'));
            last = rest.substr(rest.rfind('/') == std::string_view::npos ? 0 : rest.rfind('/') + 1);
          }
          if (last.starts_with("go-")) last.remove_prefix(3);
          size_t dot = last.find('.');
          if (dot != std::string_view::npos) last = last.substr(0, dot);  // gopkg.in/yaml.v3 -> yaml
          std::string nm(last);
          for (char& ch : nm)
            if (ch == '-') ch = '_';
          imp.name = nm;
        }
        file_.imports.push_back(std::move(imp));
        out.node = n;
        return out;
      }
      case TK::FunctionDecl:
      case TK::MethodDecl: {
        Node* recv = f.kind == TK::MethodDecl ? get(vs, F_receiver) : nullptr;
        Node* n = make(NodeKind::FuncDecl, ts, {recv, get(vs, F_name), func_type(ts, vs), get(vs, F_body)});
        if (ts_node_has_error(ts)) n->flags |= Node::kHasError;
        out.node = n;
        return out;
      }
      case TK::FuncLiteral: {
        Node* n = make(NodeKind::FuncLit, ts, {func_type(ts, vs), get(vs, F_body)});
        if (ts_node_has_error(ts)) n->flags |= Node::kHasError;
        out.node = n;
        return out;
      }
      case TK::FunctionType:
        out.node = func_type(ts, vs);
        return out;
      case TK::ParameterList:
        out.node = make_list(NodeKind::FieldList, ts, vs);
        return out;
      case TK::ParameterDecl:
      case TK::VariadicParameterDecl: {
        Node* type = get(vs, F_type);
        std::vector<Node*> kids{type};
        for (auto& v : vs)
          if (v.node && v.field == F_name) kids.push_back(v.node);
        Node* n = make(NodeKind::Field, ts);
        set_kids(n, kids.data(), kids.size());
        if (f.kind == TK::VariadicParameterDecl) n->flags |= Node::kVariadic;
        out.node = n;
        return out;
      }
      case TK::TypeDecl: {
        Node* n = make_list(NodeKind::GenDecl, ts, vs);
        n->text = "type";
        out.node = n;
        return out;
      }
      case TK::TypeSpec:
      case TK::TypeAlias: {
        Node* n = make(NodeKind::TypeSpec, ts, {get(vs, F_name), get(vs, F_type)});
        if (f.kind == TK::TypeAlias) n->text = "=";
        out.node = n;
        return out;
      }
      case TK::VarDecl:
      case TK::ConstDecl: {
        std::vector<Node*> specs;
        for (auto& v : vs) {
          if (!v.node) continue;
          if (v.node->kind == NodeKind::ValueSpec) specs.push_back(v.node);
          else if (v.kind == TK::VarSpecList)
            for (Node* s : v.node->children()) specs.push_back(s);
        }
        Node* n = make(NodeKind::GenDecl, ts);
        n->text = f.kind == TK::VarDecl ? "var" : "const";
        set_kids(n, specs.data(), specs.size());
        out.node = n;
        return out;
      }
      case TK::VarSpecList:
        out.node = make_list(NodeKind::ExprList, ts, vs);
        return out;
      case TK::VarSpec:
      case TK::ConstSpec: {
        std::vector<Node*> names;
        for (auto& v : vs)
          if (v.node && v.field == F_name) names.push_back(v.node);
        Node* nl = make(NodeKind::ExprList, ts);
        set_kids(nl, names.data(), names.size());
        out.node = make(NodeKind::ValueSpec, ts, {get(vs, F_type), nl, get(vs, F_value)});
        return out;
      }
      case TK::Block: {
        std::vector<Node*> stmts;
        push_stmts(stmts, vs);
        Node* n = make(NodeKind::Block, ts);
        set_kids(n, stmts.data(), stmts.size());
        out.node = n;
        return out;
      }
      case TK::StatementList:
        out.node = stmt_list(ts, vs);
        return out;
      case TK::ExpressionStatement:
        out.node = make(NodeKind::ExprStmt, ts, {first_named(vs)});
        return out;
      case TK::SendStatement:
        out.node = make(NodeKind::Send, ts, {get(vs, F_channel), get(vs, F_value)});
        return out;
      case TK::IncStatement:
      case TK::DecStatement: {
        Node* n = make(NodeKind::IncDec, ts, {first_named(vs)});
        n->text = f.kind == TK::IncStatement ? "++" : "--";
        out.node = n;
        return out;
      }
      case TK::AssignmentStatement:
      case TK::ShortVarDecl: {
        Node* n = make(NodeKind::Assign, ts, {get(vs, F_left), get(vs, F_right)});
        n->text = f.kind == TK::ShortVarDecl ? std::string_view(":=") : op(vs, F_operator);
        out.node = n;
        return out;
      }
      case TK::LabeledStatement: {
        Node* label = get(vs, F_label);
        Node* stmt = nullptr;
        for (auto& v : vs)
          if (v.node && v.node != label) stmt = v.node;
        if (stmt && stmt->kind == NodeKind::GenDecl) stmt = make(NodeKind::DeclStmt, ts, {stmt});
        out.node = make(NodeKind::Labeled, ts, {label, stmt});
        return out;
      }
      case TK::GoStatement:
        out.node = make(NodeKind::Go, ts, {first_named(vs)});
        return out;
      case TK::DeferStatement:
        out.node = make(NodeKind::Defer, ts, {first_named(vs)});
        return out;
      case TK::IfStatement:
        out.node = make(NodeKind::If, ts,
                        {get(vs, F_initializer), get(vs, F_condition), get(vs, F_consequence),
                         get(vs, F_alternative)});
        return out;
      case TK::ForStatement: {
        Node* body = get(vs, F_body);
        Node* head = nullptr;
        TK hk = TK::Other;
        for (auto& v : vs)
          if (v.node && v.node != body) {
            head = v.node;
            hk = v.kind;
          }
        if (hk == TK::RangeClause) {
          // head is a Range node missing its body
          head->kids[3] = body;
          TSPoint p = ts_node_start_point(ts), e = ts_node_end_point(ts);
          head->line = p.row + 1;
          head->col = p.column + 1;
          head->end_line = e.row + 1;
          out.node = head;
        } else if (hk == TK::ForClause) {
          out.node = make(NodeKind::For, ts, {head->kid(0), head->kid(1), head->kid(2), body});
        } else {
          out.node = make(NodeKind::For, ts, {nullptr, head, nullptr, body});
        }
        return out;
      }
      case TK::ForClause:
        out.node = make(NodeKind::ExprList, ts,
                        {get(vs, F_initializer), get(vs, F_condition), get(vs, F_update)});
        return out;
      case TK::RangeClause: {
        Node* left = get(vs, F_left);
        Node* key = left ? left->kid(0) : nullptr;
        Node* value = left ? left->kid(1) : nullptr;
        Node* n = make(NodeKind::Range, ts, {key, value, get(vs, F_right), nullptr});
        n->text = has_tok(vs, ":=") ? std::string_view(":=") : has_tok(vs, "=") ? std::string_view("=") : std::string_view();
        out.node = n;
        return out;
      }
      case TK::ExprSwitch: {
        Node* init = get(vs, F_initializer);
        Node* tag = get(vs, F_value);
        std::vector<Node*> kids{init, tag};
        for (auto& v : vs)
          if (v.node && v.node->kind == NodeKind::CaseClause) kids.push_back(v.node);
        Node* n = make(NodeKind::Switch, ts);
        set_kids(n, kids.data(), kids.size());
        out.node = n;
        return out;
      }
      case TK::ExpressionCase:
        out.node = clause(NodeKind::CaseClause, ts, get(vs, F_value), vs, nullptr);
        return out;
      case TK::DefaultCase:
        out.node = clause(NodeKind::CaseClause, ts, nullptr, vs, nullptr);
        return out;
      case TK::TypeSwitch: {
        Node* alias = get(vs, F_alias);
        std::vector<Node*> kids{get(vs, F_initializer), alias ? alias->kid(0) : nullptr, get(vs, F_value)};
        for (auto& v : vs)
          if (v.node && v.node->kind == NodeKind::CaseClause) kids.push_back(v.node);
        Node* n = make(NodeKind::TypeSwitch, ts);
        set_kids(n, kids.data(), kids.size());
        out.node = n;
        return out;
      }
      case TK::TypeCase: {
        std::vector<Node*> types;
        for (auto& v : vs)
          if (v.node && v.field == F_type) types.push_back(v.node);
        Node* tl = make(NodeKind::ExprList, ts);
        set_kids(tl, types.data(), types.size());
        out.node = clause(NodeKind::CaseClause, ts, tl, vs, nullptr);
        return out;
      }
      case TK::SelectStatement: {
        std::vector<Node*> kids;
        for (auto& v : vs) {
          if (!v.node) continue;
          Node* c = v.node;
          if (c->kind == NodeKind::CaseClause) c->kind = NodeKind::CommClause;  // the default case
          if (c->kind == NodeKind::CommClause) kids.push_back(c);
        }
        Node* n = make(NodeKind::Select, ts);
        set_kids(n, kids.data(), kids.size());
        out.node = n;
        return out;
      }
      case TK::CommunicationCase: {
        Node* comm = get(vs, F_communication);
        out.node = clause(NodeKind::CommClause, ts, comm, vs, comm);
        return out;
      }
      case TK::ReceiveStatement: {
        Node* left = get(vs, F_left);
        Node* right = get(vs, F_right);
        if (left) {
          Node* rl = make(NodeKind::ExprList, ts, {right});
          Node* n = make(NodeKind::Assign, ts, {left, rl});
          n->text = has_tok(vs, ":=") ? std::string_view(":=") : std::string_view("=");
          out.node = n;
        } else {
          out.node = make(NodeKind::ExprStmt, ts, {right});
        }
        return out;
      }
      case TK::ReturnStatement: {
        Node* list = first_named(vs);
        Node* n = make(NodeKind::Return, ts);
        if (list) set_kids(n, list->kids, list->nkids);
        out.node = n;
        return out;
      }
      case TK::BreakStatement:
      case TK::ContinueStatement:
      case TK::GotoStatement:
      case TK::FallthroughStatement: {
        Node* n = make(NodeKind::Branch, ts, {first_named(vs)});
        n->text = f.kind == TK::BreakStatement      ? "break"
                  : f.kind == TK::ContinueStatement ? "continue"
                  : f.kind == TK::GotoStatement     ? "goto"
                                                    : "fallthrough";
        out.node = n;
        return out;
      }
      case TK::EmptyStatement:
        out.node = make(NodeKind::Empty, ts);
        return out;
      case TK::CallExpression: {
        Node* fun = get(vs, F_function);
        Node* args = get(vs, F_arguments);
        Node* n = make(NodeKind::Call, ts);
        std::vector<Node*> kids{fun};
        if (args) {
          for (Node* a : args->children()) kids.push_back(a);
          if (args->has(Node::kEllipsis)) n->flags |= Node::kEllipsis;
        }
        set_kids(n, kids.data(), kids.size());
        out.node = n;
        return out;
      }
      case TK::ArgumentList: {
        Node* n = make_list(NodeKind::ExprList, ts, vs);
        for (auto& v : vs)
          if (v.kind == TK::VariadicArgument) n->flags |= Node::kEllipsis;
        out.node = n;
        return out;
      }
      case TK::VariadicArgument: {
        out.node = first_named(vs);
        return out;
      }
      case TK::SelectorExpression:
        out.node = make(NodeKind::Selector, ts, {get(vs, F_operand), get(vs, F_field)});
        return out;
      case TK::IndexExpression:
        out.node = make(NodeKind::Index, ts, {get(vs, F_operand), get(vs, F_index)});
        return out;
      case TK::SliceExpression:
        out.node = make(NodeKind::Slice, ts,
                        {get(vs, F_operand), get(vs, F_start), get(vs, F_end), get(vs, F_capacity)});
        return out;
      case TK::TypeAssertion:
        out.node = make(NodeKind::TypeAssert, ts, {get(vs, F_operand), get(vs, F_type)});
        return out;
      case TK::TypeConversion:
        out.node = make(NodeKind::Call, ts, {get(vs, F_type), get(vs, F_operand)});
        return out;
      case TK::TypeInstantiation:
        out.node = make_list(NodeKind::Index, ts, vs);
        return out;
      case TK::UnaryExpression: {
        std::string_view o = op(vs, F_operator);
        Node* x = get(vs, F_operand);
        if (o == "*") {
          out.node = make(NodeKind::Star, ts, {x});
        } else {
          Node* n = make(NodeKind::Unary, ts, {x});
          n->text = o;
          out.node = n;
        }
        return out;
      }
      case TK::BinaryExpression: {
        Node* n = make(NodeKind::Binary, ts, {get(vs, F_left), get(vs, F_right)});
        n->text = op(vs, F_operator);
        out.node = n;
        return out;
      }
      case TK::ParenExpr:
        out.node = make(NodeKind::Paren, ts, {first_named(vs)});
        return out;
      case TK::CompositeLiteral: {
        Node* type = get(vs, F_type);
        Node* body = get(vs, F_body);
        Node* n = make(NodeKind::CompositeLit, ts);
        std::vector<Node*> kids{type};
        if (body)  // body is a CompositeLit [null type, elements...]
          for (uint32_t k = 1; k < body->nkids; ++k) kids.push_back(body->kids[k]);
        set_kids(n, kids.data(), kids.size());
        out.node = n;
        return out;
      }
      case TK::LiteralValue:
        out.node = make_list(NodeKind::CompositeLit, ts, vs, {nullptr});
        return out;
      case TK::LiteralElement:
        out.node = first_named(vs);
        return out;
      case TK::KeyedElement:
        out.node = make(NodeKind::KeyValue, ts, {get(vs, F_key), get(vs, F_value)});
        return out;
      case TK::PointerType:
        out.node = make(NodeKind::Star, ts, {first_named(vs)});
        return out;
      case TK::QualifiedType:
        out.node = make(NodeKind::Selector, ts, {get(vs, F_package), get(vs, F_name)});
        return out;
      case TK::GenericType: {
        Node* type = get(vs, F_type);
        Node* targs = nullptr;
        for (auto& v : vs)
          if (v.kind == TK::TypeArguments) targs = v.node;
        std::vector<Node*> kids{type};
        if (targs)
          for (Node* a : targs->children()) kids.push_back(a);
        Node* n = make(NodeKind::Index, ts);
        set_kids(n, kids.data(), kids.size());
        out.node = n;
        return out;
      }
      case TK::TypeArguments:
        out.node = make_list(NodeKind::ExprList, ts, vs);
        return out;
      case TK::TypeElem:
      case TK::NegatedType:
        out.node = first_named(vs);
        return out;
      case TK::ArrayType:
        out.node = make(NodeKind::ArrayType, ts, {get(vs, F_length), get(vs, F_element)});
        return out;
      case TK::ImplicitLengthArrayType: {
        Node* dots = make(NodeKind::Ident, ts);
        dots->text = "...";
        out.node = make(NodeKind::ArrayType, ts, {dots, get(vs, F_element)});
        return out;
      }
      case TK::SliceType:
        out.node = make(NodeKind::ArrayType, ts, {nullptr, get(vs, F_element)});
        return out;
      case TK::MapType:
        out.node = make(NodeKind::MapType, ts, {get(vs, F_key), get(vs, F_value)});
        return out;
      case TK::ChannelType: {
        Node* n = make(NodeKind::ChanType, ts, {get(vs, F_value)});
        // direction from the token order: "<-" before "chan" receives, after sends
        int arrow = -1, chan = -1, i = 0;
        for (auto& v : vs) {
          if (v.kind == TK::Anon && v.tok == "<-") arrow = i;
          if (v.kind == TK::Anon && v.tok == "chan") chan = i;
          ++i;
        }
        n->text = arrow < 0 ? "chan" : arrow < chan ? "<-chan" : "chan<-";
        out.node = n;
        return out;
      }
      case TK::StructType: {
        Node* list = first_named(vs);
        Node* n = make(NodeKind::StructType, ts);
        if (list) set_kids(n, list->kids, list->nkids);
        out.node = n;
        return out;
      }
      case TK::FieldDeclList:
        out.node = make_list(NodeKind::FieldList, ts, vs);
        return out;
      case TK::FieldDecl: {
        Node* type = get(vs, F_type);
        std::vector<Node*> kids{type};
        for (auto& v : vs)
          if (v.node && v.field == F_name) kids.push_back(v.node);
        Node* n = make(NodeKind::Field, ts);
        set_kids(n, kids.data(), kids.size());
        out.node = n;
        return out;
      }
      case TK::InterfaceType: {
        std::vector<Node*> kids;
        for (auto& v : vs) {
          if (!v.node) continue;
          if (v.kind == TK::MethodElem) kids.push_back(v.node);
          else kids.push_back(make(NodeKind::Field, ts, {v.node}));
        }
        Node* n = make(NodeKind::InterfaceType, ts);
        set_kids(n, kids.data(), kids.size());
        out.node = n;
        return out;
      }
      case TK::MethodElem:
        out.node = make(NodeKind::Field, ts, {func_type(ts, vs), get(vs, F_name)});
        return out;
      case TK::ExpressionList:
        out.node = make_list(NodeKind::ExprList, ts, vs);
        return out;
    }
    return out;
  }
};

struct Deadline {
  std::chrono::steady_clock::time_point until;
};

bool progress(TSParseState* state) {
  auto* d = static_cast<Deadline*>(state->payload);
  return std::chrono::steady_clock::now() > d->until;  // true cancels the parse
}

}  // namespace

struct Parser::Impl {
  TSParser* parser = nullptr;
  Impl() {
    parser = ts_parser_new();
    ts_parser_set_language(parser, tables().lang);
  }
  ~Impl() { ts_parser_delete(parser); }
};

Parser::Parser() : impl_(std::make_unique<Impl>()) {}
Parser::~Parser() = default;

ParseResult Parser::parse(std::string path, std::string source, const ParseOptions& opts) {
  ParseResult r;
  auto file = std::make_unique<SourceFile>();
  file->path = std::move(path);
  file->source = std::move(source);
  file->is_test = file->path.size() > 8 && file->path.ends_with("_test.go");
  if (file->source.size() > UINT32_MAX / 2) {
    r.failure = "file too large to parse";
    return r;
  }
  Deadline d{std::chrono::steady_clock::now() +
             std::chrono::microseconds(static_cast<int64_t>(opts.timeout_seconds * 1e6))};
  struct Buf {
    const std::string* s;
  } buf{&file->source};
  TSInput input{};
  input.payload = &buf;
  input.encoding = TSInputEncodingUTF8;
  input.read = [](void* payload, uint32_t byte, TSPoint, uint32_t* n) -> const char* {
    const std::string& s = *static_cast<Buf*>(payload)->s;
    if (byte >= s.size()) {
      *n = 0;
      return "";
    }
    *n = static_cast<uint32_t>(s.size() - byte);
    return s.data() + byte;
  };
  TSParseOptions po{};
  po.payload = &d;
  po.progress_callback = progress;
  TSTree* tree = ts_parser_parse_with_options(impl_->parser, nullptr, input, po);
  if (!tree) {
    ts_parser_reset(impl_->parser);
    r.failure = "parse abandoned after " + std::to_string(static_cast<int>(opts.timeout_seconds)) + " s";
    return r;
  }
  Converter conv(*file);
  conv.run(ts_tree_root_node(tree));
  ts_tree_delete(tree);
  if (!file->root || file->root->kind != NodeKind::File) {
    Node* n = file->arena.new_node(NodeKind::File);
    n->line = 1;
    n->col = 1;
    file->root = n;
  }
  r.file = std::move(file);
  return r;
}

}  // namespace leakhound::go
