#include "config/config.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <toml++/toml.h>

#include "rules/rule.h"
#include "scan/scan.h"

namespace leakhound::config {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& file, const toml::source_region& at, std::string_view key,
                       std::string_view what) {
  throw ConfigError(fmt::format("{}:{}: {}: {}", file, at.begin.line, key, what));
}

std::string get_string(const std::string& file, const toml::table& t, std::string_view key, bool required,
                       std::string_view where) {
  const toml::node* n = t.get(key);
  if (!n) {
    if (required) fail(file, t.source(), fmt::format("{}.{}", where, key), "missing (required)");
    return "";
  }
  auto v = n->value<std::string>();
  if (!n->is_string() || !v) fail(file, n->source(), fmt::format("{}.{}", where, key), "must be a string");
  return *v;
}

std::vector<std::string> get_strings(const std::string& file, const toml::table& t, std::string_view key,
                                     std::string_view where) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) fail(file, n->source(), fmt::format("{}.{}", where, key), "must be an array of strings");
  for (const toml::node& e : *a) {
    if (!e.is_string()) fail(file, e.source(), fmt::format("{}.{}", where, key), "must be an array of strings");
    out.push_back(*e.value<std::string>());
  }
  return out;
}

int get_int(const std::string& file, const toml::table& t, std::string_view key, int dflt, std::string_view where) {
  const toml::node* n = t.get(key);
  if (!n) return dflt;
  if (!n->is_integer()) fail(file, n->source(), fmt::format("{}.{}", where, key), "must be an integer");
  int64_t v = *n->value<int64_t>();
  if (v < 0 || v > 15) fail(file, n->source(), fmt::format("{}.{}", where, key), "must be between 0 and 15");
  return static_cast<int>(v);
}

void only_keys(const std::string& file, const toml::table& t, std::initializer_list<std::string_view> allowed,
               std::string_view where) {
  for (auto&& [k, v] : t) {
    bool ok = false;
    for (auto a : allowed) ok = ok || k.str() == a;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(file, v.source(), where.empty() ? std::string(k.str()) : fmt::format("{}.{}", where, k.str()),
           fmt::format("unknown key (expected one of: {})", list));
    }
  }
}

const rules::Rule* known_rule(const std::string& file, const toml::node& at, std::string_view key,
                              const std::string& name) {
  const rules::Rule* r = rules::find_rule(name);
  if (!r) fail(file, at.source(), key, fmt::format("unknown rule \"{}\" (see `leakhound rules`)", name));
  return r;
}

std::vector<const toml::table*> tables_of(const std::string& file, const toml::table& root, std::string_view key) {
  std::vector<const toml::table*> out;
  const toml::node* n = root.get(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) fail(file, n->source(), key, fmt::format("must be an array of tables ([[{}]])", key));
  for (const toml::node& e : *a) {
    if (!e.is_table()) fail(file, e.source(), key, fmt::format("must be an array of tables ([[{}]])", key));
    out.push_back(e.as_table());
  }
  return out;
}

}  // namespace

Config load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the file", path));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (text.size() > (1u << 20)) throw ConfigError(fmt::format("{}: larger than 1 MB, not a config file", path));
  Config cfg = parse(text, path);
  std::error_code ec;
  cfg.dir = fs::absolute(fs::path(path), ec).parent_path().lexically_normal().string();
  return cfg;
}

Config parse(std::string_view text, const std::string& path) {
  Config cfg;
  cfg.path = path;
  cfg.models = models::ModelTable::builtin();
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(fmt::format("{}:{}:{}: {}", path, b.line, b.column, e.description()));
  }
  only_keys(path, root, {"exclude", "rules", "severity", "resource", "closer", "variable"}, "");
  cfg.exclude = get_strings(path, root, "exclude", "exclude");

  if (const toml::node* n = root.get("rules")) {
    const toml::table* t = n->as_table();
    if (!t) fail(path, n->source(), "rules", "must be a table ([rules])");
    only_keys(path, *t, {"enable", "disable"}, "rules");
    for (const char* which : {"enable", "disable"}) {
      for (auto& name : get_strings(path, *t, which, "rules")) {
        known_rule(path, *t->get(which), fmt::format("rules.{}", which), name);
        (std::string_view(which) == "enable" ? cfg.enable : cfg.disable).insert(name);
      }
    }
  }
  if (const toml::node* n = root.get("severity")) {
    const toml::table* t = n->as_table();
    if (!t) fail(path, n->source(), "severity", "must be a table ([severity])");
    for (auto&& [k, v] : *t) {
      std::string key = fmt::format("severity.{}", k.str());
      known_rule(path, v, key, std::string(k.str()));
      auto s = v.value<std::string>();
      if (!s || (*s != "error" && *s != "warning" && *s != "info"))
        fail(path, v.source(), key, "must be \"error\", \"warning\" or \"info\"");
      cfg.severity[std::string(k.str())] = *s == "error" ? report::Severity::Error
                                           : *s == "info" ? report::Severity::Info
                                                          : report::Severity::Warning;
    }
  }

  auto& m = cfg.models;
  size_t index = 0;
  auto resources = tables_of(path, root, "resource");
  m.resources.reserve(m.resources.size() + resources.size());  // acquirers refer to resources by id only
  for (const toml::table* t : resources) {
    std::string where = fmt::format("resource[{}]", index++);
    only_keys(path, *t, {"rule", "package", "receiver", "function", "result", "results", "release", "what", "fix"},
              where);
    std::string rule = get_string(path, *t, "rule", true, where);
    const rules::Rule* r = known_rule(path, *t->get("rule"), where + ".rule", rule);
    bool engine_rule = false;
    for (const auto& res : models::ModelTable::builtin().resources) engine_rule = engine_rule || res.rule == rule;
    if (!engine_rule)
      fail(path, t->get("rule")->source(), where + ".rule",
           fmt::format("rule \"{}\" does not report resources; use one of body-close, conn-close, sql-close, "
                       "file-close, lost-cancel, ticker-stop",
                       r->info().name));
    models::ResourceType type;
    models::Acquirer acq;
    acq.pkg = get_string(path, *t, "package", true, where);
    std::string recv = get_string(path, *t, "receiver", false, where);
    if (!recv.empty() && recv[0] == '*') recv.erase(0, 1);
    acq.recv = recv.empty() ? "" : acq.pkg + "." + recv;
    acq.name = get_string(path, *t, "function", true, where);
    acq.result = get_int(path, *t, "result", 0, where);
    type.release_methods = get_strings(path, *t, "release", where);
    if (type.release_methods.empty())
      fail(path, t->source(), where + ".release", "missing: name at least one releasing method");
    type.id = fmt::format("user:{}:{}:{}.{}#{}", rule, acq.pkg, recv, acq.name, acq.result);
    type.rule = rule;
    type.noun = get_string(path, *t, "what", false, where);
    if (type.noun.empty()) type.noun = fmt::format("{} result", acq.name);
    type.fix = get_string(path, *t, "fix", false, where);
    if (type.fix.empty()) type.fix = fmt::format("add `defer {{h}}.{}()` right after the error check", type.release_methods[0]);
    type.user = true;
    acq.resource = type.id;
    // optional result types, so calls on the resource (and on what it returns) resolve
    std::vector<std::string> results = get_strings(path, *t, "results", where);
    if (!results.empty()) {
      if (static_cast<size_t>(acq.result) >= results.size())
        fail(path, t->get("results")->source(), where + ".results", "has no entry for `result`");
      m.signatures.push_back({acq.pkg, acq.recv, acq.name, std::move(results)});
    }
    m.resources.push_back(std::move(type));
    m.acquirers.push_back(std::move(acq));
    ++cfg.user_resources;
  }
  index = 0;
  for (const toml::table* t : tables_of(path, root, "closer")) {
    std::string where = fmt::format("closer[{}]", index++);
    only_keys(path, *t, {"package", "receiver", "function", "param"}, where);
    models::Closer c;
    c.pkg = get_string(path, *t, "package", true, where);
    std::string recv = get_string(path, *t, "receiver", false, where);
    if (!recv.empty() && recv[0] == '*') recv.erase(0, 1);
    c.recv = recv.empty() ? "" : c.pkg + "." + recv;
    c.name = get_string(path, *t, "function", true, where);
    c.param = get_int(path, *t, "param", 0, where);
    m.closers.push_back(std::move(c));
  }
  index = 0;
  for (const toml::table* t : tables_of(path, root, "variable")) {
    std::string where = fmt::format("variable[{}]", index++);
    only_keys(path, *t, {"name", "type"}, where);
    models::LibraryVar v;
    v.qualified = get_string(path, *t, "name", true, where);
    v.type = get_string(path, *t, "type", true, where);
    m.vars.push_back(std::move(v));
  }
  m.reindex();
  return cfg;
}

std::optional<std::string> find(const std::string& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(start.empty() ? "." : start), ec).lexically_normal();
  if (!fs::is_directory(dir, ec)) dir = dir.parent_path();
  for (int i = 0; i < 64 && !dir.empty(); ++i) {
    fs::path candidate = dir / ".leakhound.toml";
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    if (fs::exists(dir / ".git", ec)) break;  // the repository's root: stop here
    fs::path parent = dir.parent_path();
    if (parent == dir) break;
    dir = parent;
  }
  return std::nullopt;
}

void apply(const Config& cfg, scan::ScanOptions& opts) {
  opts.enable.insert(cfg.enable.begin(), cfg.enable.end());
  opts.disable.insert(cfg.disable.begin(), cfg.disable.end());
  for (auto& [k, v] : cfg.severity) opts.severity[k] = v;
  opts.exclude = cfg.exclude;
  opts.exclude_base = cfg.dir;
  opts.models = &cfg.models;
}

}  // namespace leakhound::config
