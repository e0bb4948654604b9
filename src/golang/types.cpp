#include "golang/types.h"

#include <array>

namespace leakhound::go {

bool is_builtin_type(std::string_view n) {
  static constexpr std::array<std::string_view, 24> names = {
      "bool",   "byte",   "complex64", "complex128", "error",  "float32", "float64", "int",
      "int8",   "int16",  "int32",     "int64",      "rune",   "string",  "uint",    "uint8",
      "uint16", "uint32", "uint64",    "uintptr",    "any",    "comparable", "struct", "interface"};
  for (auto b : names)
    if (b == n) return true;
  return false;
}

namespace {
std::string type_string_bounded(const Node* t, const SourceFile& file, std::string_view pkg_path, int& budget);
}

std::string type_string(const Node* t, const SourceFile& file, std::string_view pkg_path) {
  int budget = 64;  // types nest shallowly in practice; hostile input must not recurse deeply
  return type_string_bounded(t, file, pkg_path, budget);
}

namespace {
std::string type_string_bounded(const Node* t, const SourceFile& file, std::string_view pkg_path, int& budget) {
  std::string prefix;
  while (t) {
    if (--budget < 0) return "";  // spent before recursing, so nested map keys are bounded too
    switch (t->kind) {
      case NodeKind::Paren:
        t = t->kid(0);
        continue;
      case NodeKind::Ident:
        if (is_builtin_type(t->text)) return prefix + std::string(t->text);
        if (pkg_path.empty()) return prefix + std::string(t->text);
        return prefix + std::string(pkg_path) + "." + std::string(t->text);
      case NodeKind::Selector: {
        std::string_view pkg = ident_name(t->kid(0));
        std::string_view path = file.import_path(pkg);
        if (path.empty()) return "";
        return prefix + std::string(path) + "." + std::string(ident_name(t->kid(1)));
      }
      case NodeKind::Star:
        prefix += "*";
        t = t->kid(0);
        continue;
      case NodeKind::ArrayType:
        prefix += t->kid(0) ? "[N]" : "[]";
        t = t->kid(1);
        continue;
      case NodeKind::MapType: {
        std::string k = type_string_bounded(t->kid(0), file, pkg_path, budget);
        if (budget <= 0) return "";
        prefix += "map[" + k + "]";
        t = t->kid(1);
        continue;
      }
      case NodeKind::ChanType:
        prefix += "chan ";
        t = t->kid(0);
        continue;
      case NodeKind::Index:  // generic instantiation: drop the arguments
        t = t->kid(0);
        continue;
      case NodeKind::FuncType:
        return prefix + "func";
      case NodeKind::StructType:
        return prefix + "struct";
      case NodeKind::InterfaceType:
        return prefix + "interface";
      default:
        return "";
    }
  }
  return "";
}
}  // namespace

std::string_view strip_pointer(std::string_view t) {
  while (!t.empty() && t.front() == '*') t.remove_prefix(1);
  return t;
}

std::pair<std::string_view, std::string_view> split_named(std::string_view t) {
  if (t.empty() || t.starts_with("[") || t.starts_with("map[") || t.starts_with("chan ") ||
      t.starts_with("func") || t.starts_with("*"))
    return {"", t};
  size_t slash = t.rfind('/');
  size_t dot = t.rfind('.');  // the name has no dot; a path element may ("gopkg.in/yaml.v3.Node")
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {"", t};
  return {t.substr(0, dot), t.substr(dot + 1)};
}

std::string elem_type(std::string_view t) {
  if (t.starts_with("[]")) return std::string(t.substr(2));
  if (t.starts_with("[N]")) return std::string(t.substr(3));
  if (t.starts_with("chan ")) return std::string(t.substr(5));
  if (t.starts_with("map[")) {
    int depth = 0;
    for (size_t i = 3; i < t.size(); ++i) {
      if (t[i] == '[') ++depth;
      else if (t[i] == ']' && --depth == 0) return std::string(t.substr(i + 1));
    }
  }
  return "";
}

const TypeDecl* PackageDecls::type(std::string_view n) const {
  auto it = types.find(n);
  return it == types.end() ? nullptr : &it->second;
}
const Signature* PackageDecls::func(std::string_view key) const {
  auto it = funcs.find(key);
  return it == funcs.end() ? nullptr : &it->second;
}

namespace {

void add_fields(const Node* list, const SourceFile& f, std::string_view pkg, std::vector<std::string>& types,
                std::vector<std::string>* names, bool* variadic) {
  if (!list) return;
  for (const Node* field : list->children()) {
    if (!field || field->kind != NodeKind::Field) continue;
    std::string t = type_string(field->kid(0), f, pkg);
    if (field->has(Node::kVariadic)) {
      t = "[]" + t;
      if (variadic) *variadic = true;
    }
    if (field->nkids <= 1) {
      types.push_back(t);
      if (names) names->push_back("");
    } else {
      for (uint32_t i = 1; i < field->nkids; ++i) {
        types.push_back(t);
        if (names) names->push_back(std::string(ident_name(field->kids[i])));
      }
    }
  }
}

}  // namespace

Signature signature_of(const Node* func_type, const SourceFile& f, std::string_view pkg) {
  Signature s;
  if (!func_type) return s;
  add_fields(func_type->kid(0), f, pkg, s.params, &s.param_names, &s.variadic);
  add_fields(func_type->kid(1), f, pkg, s.results, nullptr, nullptr);
  return s;
}

std::string literal_type(const Node* e, const SourceFile& f, std::string_view pkg) {
  e = unparen(e);
  if (!e) return "";
  if (e->kind == NodeKind::Unary && e->text == "&") {
    const Node* x = unparen(e->kid(0));
    if (x && x->kind == NodeKind::CompositeLit && x->kid(0)) {
      std::string t = type_string(x->kid(0), f, pkg);
      return t.empty() ? "" : "*" + t;
    }
    return "";
  }
  if (e->kind == NodeKind::CompositeLit && e->kid(0)) return type_string(e->kid(0), f, pkg);
  return "";
}

void index_file(PackageDecls& d, const SourceFile& f) {
  if (d.name.empty()) d.name = f.package_name;
  if (!f.root) return;
  for (const Node* decl : f.root->children()) {
    if (!decl) continue;
    if (decl->kind == NodeKind::FuncDecl) {
      std::string name(ident_name(decl->kid(1)));
      if (name.empty()) continue;
      std::string key = name;
      if (decl->kid(0)) {
        std::string_view tn = receiver_type_name(decl);
        if (tn.empty()) continue;
        key = std::string(tn) + "." + name;
      }
      d.funcs.emplace(key, signature_of(decl->kid(2), f, d.path));
    } else if (decl->kind == NodeKind::GenDecl && decl->text == "type") {
      for (const Node* spec : decl->children()) {
        if (!spec || spec->kind != NodeKind::TypeSpec) continue;
        std::string name(ident_name(spec->kid(0)));
        const Node* t = spec->kid(1);
        if (name.empty() || !t) continue;
        TypeDecl td;
        td.underlying = type_string(t, f, d.path);
        if (t->kind == NodeKind::StructType) {
          td.is_struct = true;
          for (const Node* field : t->children()) {
            if (!field || field->kind != NodeKind::Field) continue;
            std::string ft = type_string(field->kid(0), f, d.path);
            if (field->nkids <= 1) {
              td.embedded.push_back(ft);
              auto [p, n] = split_named(strip_pointer(ft));
              (void)p;
              td.fields.emplace_back(std::string(n), ft);
            } else {
              for (uint32_t i = 1; i < field->nkids; ++i)
                td.fields.emplace_back(std::string(ident_name(field->kids[i])), ft);
            }
          }
        } else if (t->kind == NodeKind::InterfaceType) {
          td.is_interface = true;
          for (const Node* m : t->children()) {
            if (!m || m->kind != NodeKind::Field) continue;
            if (m->nkids >= 2 && m->kid(0) && m->kid(0)->kind == NodeKind::FuncType)
              td.iface_methods.emplace(std::string(ident_name(m->kid(1))), signature_of(m->kid(0), f, d.path));
            else
              td.embedded.push_back(type_string(m->kid(0), f, d.path));
          }
        }
        d.types.emplace(std::move(name), std::move(td));
      }
    } else if (decl->kind == NodeKind::GenDecl && decl->text == "var") {
      for (const Node* spec : decl->children()) {
        if (!spec || spec->kind != NodeKind::ValueSpec) continue;
        std::string t = spec->kid(0) ? type_string(spec->kid(0), f, d.path) : "";
        const Node* names = spec->kid(1);
        const Node* values = spec->kid(2);
        if (!names) continue;
        for (uint32_t i = 0; i < names->nkids; ++i) {
          std::string vn(ident_name(names->kids[i]));
          std::string vt = t;
          if (vt.empty() && values && values->nkids == names->nkids) vt = literal_type(values->kids[i], f, d.path);
          if (!vn.empty() && vn != "_") d.vars.emplace(vn, vt);
        }
      }
    }
  }
}

bool is_testing_type(std::string_view t) { return t.starts_with("*testing.") || t == "testing.TB"; }

}  // namespace leakhound::go
