#include "models/models.h"

namespace leakhound::models {

bool is_stdlib_path(std::string_view path) {
  if (path.empty()) return false;
  std::string_view first = path.substr(0, path.find('/'));
  return first.find('.') == std::string_view::npos;
}

const ResourceType* ModelTable::resource(std::string_view id) const {
  for (const auto& r : resources)
    if (r.id == id) return &r;
  return nullptr;
}

const Acquirer* ModelTable::acquirer(std::string_view pkg, std::string_view recv, std::string_view name) const {
  for (const auto& a : acquirers)
    if (a.name == name && a.pkg == pkg && a.recv == recv) return &a;
  return nullptr;
}

const LibrarySignature* ModelTable::signature(std::string_view pkg, std::string_view recv,
                                              std::string_view name) const {
  for (const auto& s : signatures)
    if (s.name == name && s.pkg == pkg && s.recv == recv) return &s;
  return nullptr;
}

const LibraryVar* ModelTable::var(std::string_view q) const {
  for (const auto& v : vars)
    if (v.qualified == q) return &v;
  return nullptr;
}

bool ModelTable::keeps(std::string_view pkg, std::string_view name) const {
  for (const auto& k : stdlib_keepers) {
    if (k.size() == pkg.size() + 1 + name.size() && std::string_view(k).starts_with(pkg) && k[pkg.size()] == '.' &&
        std::string_view(k).ends_with(name))
      return true;
  }
  return false;
}

}  // namespace leakhound::models
