#include "models/models.h"

#include <algorithm>

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

void ModelTable::reindex() {
  acq_index_.clear();
  sig_index_.clear();
  for (size_t i = 0; i < acquirers.size(); ++i) acq_index_.emplace(acquirers[i].name, i);
  for (size_t i = 0; i < signatures.size(); ++i) sig_index_.emplace(signatures[i].name, i);
}

std::vector<const Acquirer*> ModelTable::acquirers_of(std::string_view pkg, std::string_view recv,
                                                      std::string_view name) const {
  std::vector<const Acquirer*> out;
  auto [lo, hi] = acq_index_.equal_range(std::string(name));
  for (auto it = lo; it != hi; ++it) {
    const Acquirer& a = acquirers[it->second];
    if (a.pkg == pkg && a.recv == recv) out.push_back(&a);
  }
  std::sort(out.begin(), out.end());  // table order
  return out;
}

const Acquirer* ModelTable::acquirer(std::string_view pkg, std::string_view recv, std::string_view name) const {
  auto all = acquirers_of(pkg, recv, name);
  return all.empty() ? nullptr : all.front();
}

const LibrarySignature* ModelTable::signature(std::string_view pkg, std::string_view recv,
                                              std::string_view name) const {
  auto [lo, hi] = sig_index_.equal_range(std::string(name));
  const LibrarySignature* best = nullptr;
  for (auto it = lo; it != hi; ++it) {
    const LibrarySignature& s = signatures[it->second];
    if (s.pkg == pkg && s.recv == recv && (!best || &s < best)) best = &s;
  }
  return best;
}

const Closer* ModelTable::closer(std::string_view pkg, std::string_view recv, std::string_view name) const {
  for (const auto& c : closers)
    if (c.name == name && c.pkg == pkg && c.recv == recv) return &c;
  return nullptr;
}

const LibraryVar* ModelTable::var(std::string_view q) const {
  for (const auto& v : vars)
    if (v.qualified == q) return &v;
  return nullptr;
}

namespace {
bool qualified_in(const std::vector<std::string>& list, std::string_view pkg, std::string_view name) {
  for (const auto& k : list)
    if (k.size() == pkg.size() + 1 + name.size() && std::string_view(k).starts_with(pkg) && k[pkg.size()] == '.' &&
        std::string_view(k).ends_with(name))
      return true;
  return false;
}
}  // namespace

bool ModelTable::wraps(std::string_view pkg, std::string_view name) const { return qualified_in(wrappers, pkg, name); }

bool ModelTable::keeps(std::string_view pkg, std::string_view name) const {
  return qualified_in(stdlib_keepers, pkg, name);
}

}  // namespace leakhound::models
