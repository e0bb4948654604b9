// Type-light resolution: types as canonical strings, taken from what the code
// says (declared types, composite literals, signatures of the module's own
// functions and of modelled library calls). No go/types: where the code does
// not say, the type is unknown ("") and rules stay silent.
//
// Canonical form, close to go/types' TypeString: "int", "error",
// "*net/http.Response", "[]example.com/m/pkg.T", "map[string]*os.File",
// "chan int", "func", "struct", "interface".
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "golang/ast.h"

namespace leakhound::go {

// Hash maps keyed by std::string that are looked up by std::string_view without
// building a temporary string (lookups run millions of times per scan).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// The canonical string of a type expression written in `file`, which belongs to
// the package with import path `pkg_path`.
std::string type_string(const Node* type, const SourceFile& file, std::string_view pkg_path);

// "*a/b.T" -> "a/b.T"
std::string_view strip_pointer(std::string_view t);
// "a/b.T" -> {"a/b", "T"}; {"", t} for builtins and composite types
std::pair<std::string_view, std::string_view> split_named(std::string_view t);
// element type of "[]T", "[N]T", "map[K]V" (V), "chan T"; "" otherwise
std::string elem_type(std::string_view t);
bool is_builtin_type(std::string_view name);

// *testing.T, *testing.B, *testing.F, *testing.M, testing.TB: a test's handle.
bool is_testing_type(std::string_view type);

struct Signature {
  std::vector<std::string> params;       // canonical types
  std::vector<std::string> param_names;  // "" when unnamed
  std::vector<std::string> results;
  bool variadic = false;
};

struct TypeDecl {
  bool is_struct = false;
  bool is_interface = false;
  std::string underlying;  // canonical string of the declared type
  std::vector<std::pair<std::string, std::string>> fields;  // name -> type (embedded: type's name)
  std::vector<std::string> embedded;                         // embedded field types
  StringMap<Signature> iface_methods;
};

// What dependents need to know about one package: its declarations.
struct PackageDecls {
  std::string path;
  std::string name;
  StringMap<Signature> funcs;  // "F" and "T.M" (T without pointer)
  StringMap<TypeDecl> types;
  StringMap<std::string> vars;  // package-level variables -> type

  const TypeDecl* type(std::string_view name) const;
  const Signature* func(std::string_view key) const;
};

Signature signature_of(const Node* func_type, const SourceFile& file, std::string_view pkg_path);

// The type a composite literal (or &literal) initializer says, or "".
std::string literal_type(const Node* expr, const SourceFile& file, std::string_view pkg_path);

// Collects the declarations of a package from its parsed files.
void index_file(PackageDecls& decls, const SourceFile& file);

}  // namespace leakhound::go
