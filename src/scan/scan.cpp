#include "scan/scan.h"

#include <fmt/format.h>

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "flow/cfg.h"
#include "flow/resources.h"
#include "golang/discover.h"
#include "golang/facts.h"
#include "golang/gomod.h"
#include "golang/header.h"
#include "golang/parse.h"
#include "golang/resolve.h"
#include "golang/walk.h"
#include "models/models.h"
#include "report/suppress.h"
#include "rules/rule.h"
#include "rules/timeouts.h"

namespace leakhound::scan {
namespace fs = std::filesystem;
using go::Node;
using go::NodeKind;

namespace {

struct FileMeta {
  std::string path;
  std::optional<std::string> preloaded;  // in-memory source (scan_sources)
  std::string dir;
  go::FileHeader header;
  size_t size = 0;
};

struct Package {
  std::string import_path;
  std::string dir;
  std::string name;
  go::GoVersion go;
  std::vector<size_t> files;
  std::vector<size_t> dependents;
  size_t pending = 0;
  bool started = false;
  uint64_t bytes = 0;
  uint64_t priority = 0;  // bytes on the longest chain of dependents starting here
  // Parsing needs no facts: an idle worker may parse a package ahead of its
  // dependencies and park the trees here until the package is ready.
  bool ambiguous = false;  // shares its import path with another package of the run
  bool parsing = false;
  bool parsed = false;
  std::vector<std::unique_ptr<go::SourceFile>> parsed_files;
  std::vector<report::Notice> parse_notices;
};

struct Shared {
  explicit Shared(const ScanOptions& o) : opts(o) {}
  const ScanOptions& opts;
  std::vector<FileMeta> files;
  std::vector<Package> packages;
  go::FactStore store;
  std::vector<const rules::Rule*> rules;
  std::vector<const models::ResourceType*> tracked;
  const models::ModelTable* models = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<size_t> ready;
  size_t done = 0;
  size_t running = 0;
  size_t preparsing = 0;
  uint64_t parked_bytes = 0;  // source bytes parsed ahead and not analysed yet (bounds memory)
  ScanResult result;
};

constexpr uint64_t kParkedBytesBudget = 12ull * 1024 * 1024;

std::string function_name(const Node* decl) {
  std::string name(go::ident_name(decl->kid(1)));
  bool ptr = false;
  std::string_view tn = go::receiver_type_name(decl, &ptr);
  if (!decl->kid(0)) return name;
  return ptr ? fmt::format("(*{}).{}", tn, name) : fmt::format("{}.{}", tn, name);
}

std::string facts_key(const Node* decl) {
  std::string name(go::ident_name(decl->kid(1)));
  if (!decl->kid(0)) return name;
  return std::string(go::receiver_type_name(decl)) + "." + name;
}

bool same_facts(const go::FuncFacts& a, const go::FuncFacts& b) {
  return a.consumes_params == b.consumes_params && a.closes_params == b.closes_params &&
         a.fresh_results == b.fresh_results;
}

struct Unit {
  go::SourceFile* file = nullptr;
  const Node* decl = nullptr;
  std::string key;
  std::string name;
  std::unique_ptr<go::Context> ctx;
  std::unique_ptr<go::Resolver> resolver;
  std::vector<std::pair<const Node*, flow::Cfg>> funcs;  // [0] is the declaration itself
  std::vector<flow::Leak> decl_leaks;
  std::unordered_set<std::string_view> calls;  // names this function calls
  std::unordered_set<const Node*> run_once;    // literals that are CLI command actions
  bool file_run_once = false;                  // the file is a `//go:build ignore` program (run with `go run`)
  bool truncated = false;                      // hit the per-function acquisition bound
};

rules::LeakSite site_of(const Package& pkg, const Unit& u, const Node* func) {
  rules::LeakSite site;
  site.file = u.file;
  site.function = func == u.decl ? u.name : "func literal in " + u.name;  // for messages
  site.in_main = pkg.name == "main" && u.name == "main";
  site.in_test = u.file->is_test;
  site.run_once = u.run_once.count(func) > 0 || u.file_run_once;
  site.go = pkg.go;
  site.func = func;
  site.resolver = u.resolver.get();
  return site;
}

// Severity, suppression and source line of a finding; then it is kept.
void finish(Shared& sh, const rules::Rule& rule, const rules::LeakSite& site, report::Finding&& fd,
            std::vector<report::Finding>& out, size_t& suppressed) {
  const go::SourceFile& f = *site.file;
  if (report::is_suppressed(f.source, fd.line, fd.rule)) {
    ++suppressed;
    return;
  }
  auto sev = sh.opts.severity.find(fd.rule);
  if (sev != sh.opts.severity.end() && fd.severity == rule.info().severity) fd.severity = sev->second;
  if (site.in_main || (site.in_test && sh.opts.tests == TestsMode::Low)) fd.severity = report::Severity::Info;
  for (auto& r : fd.related)
    if (r.file.empty()) r.file = f.path;
  fd.source_line = std::string(f.line_text(fd.line));
  if (site.func && fd.func_line == 0) {
    fd.function = site.function;
    fd.func_line = site.func->line;
    fd.func_end = site.func->end_line;
  }
  out.push_back(std::move(fd));
}

void emit(Shared& sh, const Package& pkg, const Unit& u, const Node* func, const flow::Leak& leak,
          std::vector<report::Finding>& out, size_t& suppressed) {
  const rules::Rule* rule = nullptr;
  for (const rules::Rule* r : sh.rules)
    if (r->info().name == leak.acq.type->rule) rule = r;
  if (!rule) return;
  rules::LeakSite site = site_of(pkg, u, func);
  if (!rule->applies(site)) return;
  report::Finding fd;
  fd.rule = std::string(rule->info().name);
  fd.file = u.file->path;
  fd.line = leak.acq.call ? leak.acq.call->line : 0;
  fd.col = leak.acq.call ? leak.acq.call->col : 0;
  fd.severity = rule->info().severity;
  rule->describe(leak, site, fd);
  if (fd.message.empty()) return;  // the rule judged this leak not worth a finding
  finish(sh, *rule, site, std::move(fd), out, suppressed);
}

// What one walk over a function learns (see analyze_package).
struct FuncShape {
  std::string key;                  // facts key ("F", "T.M")
  go::FuncFacts* slot = nullptr;    // its summary slot in this package's facts
  std::unordered_set<std::string_view> calls_all;     // names called anywhere, literals included
  std::unordered_set<std::string_view> calls_bare;    // package functions called by name outside literals
  std::vector<const Node*> lits;                      // function literals with a body
  std::unordered_set<const Node*> run_once;           // literals that are CLI command actions (Action: func...)
  bool direct_exit = false;  // calls os.Exit, log.Fatal, a logger's Fatal... (not panic, not t.Fatal)
};

// Fields that hold a CLI command's body (urfave/cli, cobra): it runs once per process.
bool is_run_once_key(std::string_view k) {
  return k == "Action" || k == "Run" || k == "RunE" || k == "PreRun" || k == "PreRunE" || k == "PersistentPreRun" ||
         k == "PersistentPreRunE" || k == "Before" || k == "After";
}

FuncShape shape_of(const Node* func) {
  FuncShape out;
  const Node* body = go::func_body(func);
  // t.Fatal and friends end only a test, and assert-style helpers call them on
  // failure alone: they do not make a helper one that ends the process.
  std::vector<std::string_view> testing_params;
  const Node* ft = func->kind == NodeKind::FuncDecl ? func->kid(2) : func->kid(0);
  if (ft && ft->kid(0))
    for (const Node* field : ft->kid(0)->children()) {
      const Node* t = field ? field->kid(0) : nullptr;
      while (t && t->kind == NodeKind::Star) t = t->kid(0);
      if (t && t->kind == NodeKind::Selector && go::ident_name(t->kid(0)) == "testing")
        for (uint32_t i = 1; i < field->nkids; ++i) testing_params.push_back(go::ident_name(field->kids[i]));
    }
  std::vector<std::pair<const Node*, bool>> stack{{body, false}};  // node, inside a literal
  while (!stack.empty()) {
    auto [n, in_lit] = stack.back();
    stack.pop_back();
    if (!n) continue;
    if (n->kind == NodeKind::FuncLit) {
      if (n->kid(1)) out.lits.push_back(n);
      in_lit = true;
    } else if (n->kind == NodeKind::KeyValue && go::unparen(n->kid(1)) &&
               go::unparen(n->kid(1))->kind == NodeKind::FuncLit) {
      // urfave/cli `Action:`, cobra `Run:`/`RunE:`: a command's body, run once per process
      if (is_run_once_key(go::ident_name(n->kid(0)))) out.run_once.insert(go::unparen(n->kid(1)));
    } else if (n->kind == NodeKind::Call) {
      const Node* fun = go::unparen(n->kid(0));
      std::string_view name;
      if (fun && fun->kind == NodeKind::Ident) name = fun->text;
      else if (fun && fun->kind == NodeKind::Selector) name = go::ident_name(fun->kid(1));
      if (!name.empty()) {
        out.calls_all.insert(name);
        if (!in_lit && fun->kind == NodeKind::Ident) out.calls_bare.insert(name);
      }
      if (!in_lit && !out.direct_exit && !(fun && fun->kind == NodeKind::Ident && fun->text == "panic") &&
          flow::is_noreturn_by_name(n)) {
        bool on_testing = false;
        if (fun && fun->kind == NodeKind::Selector) {
          std::string_view recv = go::ident_name(go::unparen(fun->kid(0)));
          for (auto tp : testing_params) on_testing = on_testing || tp == recv;
        }
        out.direct_exit = !on_testing;
      }
    }
    for (uint32_t i = n->nkids; i-- > 0;)
      if (n->kids[i]) stack.push_back({n->kids[i], in_lit});
  }
  // literals in source order (the stack visits them in order already; keep it explicit)
  std::sort(out.lits.begin(), out.lits.end(), [](const Node* a, const Node* b) {
    return a->line != b->line ? a->line < b->line : a->col < b->col;
  });
  return out;
}

void parse_package(Shared& sh, size_t index, std::vector<std::unique_ptr<go::SourceFile>>& files,
                   std::vector<report::Notice>& notices) {
  const Package& pkg = sh.packages[index];
  thread_local go::Parser parser;
  go::ParseOptions popts;
  popts.timeout_seconds = sh.opts.parse_timeout_seconds;
  for (size_t fi : pkg.files) {
    const FileMeta& meta = sh.files[fi];
    std::string src, err;
    if (meta.preloaded) {
      src = *meta.preloaded;
    } else if (!go::read_file(meta.path, src, err)) {
      notices.push_back({meta.path, 0, "skipped: " + err});
      continue;
    }
    auto pr = parser.parse(meta.path, std::move(src), popts);
    if (!pr.file) {
      notices.push_back({meta.path, 0, "skipped: " + pr.failure});
      continue;
    }
    pr.file->go_run_program = go::is_go_run_program(meta.header);
    if (!pr.file->errors.empty()) {
      const auto& e = pr.file->errors.front();
      notices.push_back({meta.path, e.line,
                         fmt::format("syntax error at {}:{} ({} in all); functions containing errors were skipped, "
                                     "the rest of the file was analysed",
                                     e.line, e.col, pr.file->errors.size())});
    }
    files.push_back(std::move(pr.file));
  }
}

void analyze_package(Shared& sh, size_t index, std::vector<std::unique_ptr<go::SourceFile>> files,
                     std::vector<report::Notice> notices) {
  Package& pkg = sh.packages[index];
  std::vector<report::Finding> findings;
  size_t suppressed = 0, functions = 0;

  go::PackageFacts* facts = sh.store.slot(pkg.import_path);
  facts->decls.path = pkg.import_path;
  for (auto& f : files) go::index_file(facts->decls, *f);

  // One walk per function collects what the later stages need: the names it calls
  // (all, and outside function literals), its function literals, and whether it
  // calls something that ends the process itself.
  // Every summary slot is created here, before any resolver looks one up (their
  // addresses stay put afterwards).
  std::unordered_map<const Node*, FuncShape> shapes;
  for (auto& f : files)
    if (f->root)
      for (const Node* decl : f->root->children())
        if (decl && decl->kind == NodeKind::FuncDecl && decl->kid(3)) {
          FuncShape fs_ = shape_of(decl);
          fs_.key = facts_key(decl);
          fs_.slot = &facts->funcs.try_emplace(fs_.key).first->second;
          shapes.emplace(decl, std::move(fs_));
        }

  // Functions of this package that may end the process (log-and-exit helpers):
  // a call to one ends a path, like log.Fatal does. Direct, then transitive.
  {
    std::unordered_set<std::string_view> exiting;  // short names
    for (auto& [decl, sh_] : shapes)
      if (sh_.direct_exit) {
        sh_.slot->may_exit = true;
        if (!decl->kid(0)) exiting.insert(go::ident_name(decl->kid(1)));  // spreads through package functions only
      }
    for (int round = 0; round < 8; ++round) {
      bool changed = false;
      for (auto& [decl, sh_] : shapes) {
        if (sh_.slot->may_exit) continue;
        for (auto name : sh_.calls_bare)
          if (exiting.count(name)) {
            sh_.slot->may_exit = true;
            if (!decl->kid(0)) exiting.insert(go::ident_name(decl->kid(1)));
            changed = true;
            break;
          }
      }
      if (!changed) break;
    }
  }

  flow::CfgOptions copts;
  std::vector<Unit> units;
  auto make_unit = [&](go::SourceFile* f, const Node* func, std::string key, std::string name) {
    Unit u;
    u.file = f;
    u.decl = func;
    u.key = std::move(key);
    u.name = std::move(name);
    u.file_run_once = f->go_run_program;
    u.ctx = std::make_unique<go::Context>();
    u.ctx->file = f;
    u.ctx->self = facts;
    u.ctx->store = &sh.store;
    u.ctx->models = sh.models;
    u.ctx->pkg_path = pkg.import_path;
    u.resolver = std::make_unique<go::Resolver>(*u.ctx, func);
    const go::Resolver* res = u.resolver.get();
    copts.is_noreturn = [res](const Node* call) {
      if (flow::is_noreturn_by_name(call)) return true;
      const Node* fun = go::unparen(call->kid(0));
      if (fun && fun->kind == NodeKind::Selector) {
        // FailNow/Skip* of testing or gocheck on any receiver name (`c.Skip(...)` with c *check.C)
        std::string_view m = go::ident_name(fun->kid(1));
        if (m == "FailNow" || m == "Skip" || m == "Skipf" || m == "SkipNow") {
          std::string t = res->type_of(fun->kid(0));
          if (go::is_testing_type(t) || t.ends_with("check.v1.C") || t.ends_with("check.C"))
            return true;
        }
      }
      const go::Callee& c = res->callee(call);
      return c.kind == go::Callee::Kind::Module && c.facts && c.facts->may_exit;
    };
    struct TickVars {
      bool computed = false;
      std::unordered_map<int, std::pair<int, int>> counts;  // var -> (assignments, from time.Tick)
    };
    auto tick_vars = std::make_shared<TickVars>();
    copts.range_never_ends = [res, func, tick_vars](const Node* x) {
      x = go::unparen(x);
      if (!x) return false;
      auto is_tick = [res](const Node* call) {
        call = go::unparen(call);
        if (!call || call->kind != NodeKind::Call) return false;
        const go::Callee& c = res->callee(call);
        return c.kind == go::Callee::Kind::Library && c.pkg == "time" && c.name == "Tick" && c.recv.empty();
      };
      if (x->kind == NodeKind::Call) return is_tick(x);  // time.Tick(d)
      if (x->kind == NodeKind::Ident && res->var_of(x) >= 0) {
        // c := time.Tick(d) ... for range c: a variable only ever assigned from time.Tick
        // (one walk per function, on first use: assignments and those from time.Tick, per variable)
        if (!tick_vars->computed) {
          tick_vars->computed = true;
          go::walk(go::func_body(func), [&](const Node* n) {
            if (n->kind != NodeKind::Assign || !n->kid(0) || !n->kid(1)) return true;
            for (uint32_t i = 0; i < n->kid(0)->nkids; ++i) {
              const Node* l = go::unparen(n->kid(0)->kids[i]);
              if (!l || l->kind != NodeKind::Ident || res->var_of(l) < 0) continue;
              auto& [assigned, from_tick] = tick_vars->counts[res->var_of(l)];
              ++assigned;
              if (n->kid(1)->nkids == n->kid(0)->nkids && is_tick(n->kid(1)->kids[i])) ++from_tick;
            }
            return true;
          });
        }
        auto it = tick_vars->counts.find(res->var_of(x));
        return it != tick_vars->counts.end() && it->second.first > 0 && it->second.first == it->second.second;
      }
      if (x->kind == NodeKind::Selector && go::ident_name(x->kid(1)) == "C") {  // t.C of a Ticker or Timer
        std::string t = res->type_of(x->kid(0));
        return t == "*time.Ticker" || t == "*time.Timer";
      }
      return false;
    };
    const Node* body = go::func_body(func);
    auto cr = flow::build_cfg(body, copts);
    if (!u.resolver->ok() || !cr.ok) {
      notices.push_back({f->path, func->line, fmt::format("function {} skipped: statements nest too deep", u.name)});
      return;
    }
    u.funcs.emplace_back(func, std::move(cr.cfg));
    FuncShape shape;
    auto it = shapes.find(func);
    if (it == shapes.end()) shape = shape_of(func);
    const FuncShape& fs_ = it == shapes.end() ? shape : it->second;
    for (const Node* lit : fs_.lits) {
      auto lr = flow::build_cfg(lit->kid(1), copts);
      if (lr.ok) u.funcs.emplace_back(lit, std::move(lr.cfg));
    }
    u.calls = fs_.calls_all;
    u.run_once = fs_.run_once;
    if (!u.key.empty()) facts->funcs.try_emplace(u.key);
    units.push_back(std::move(u));
  };
  std::unordered_set<std::string> unit_keys;
  for (auto& f : files) {
    if (!f->root) continue;
    for (const Node* decl : f->root->children()) {
      if (!decl) continue;
      if (decl->kind == NodeKind::FuncDecl) {
        if (!decl->kid(3) || decl->has(Node::kHasError)) continue;
        // build-tag variants declare one name twice: callers see the first, the others
        // keep summaries of their own so no two units write one slot
        std::string key = shapes.at(decl).key;
        if (!unit_keys.insert(key).second) key += "#" + std::to_string(decl->line) + "#" + f->path;
        make_unit(f.get(), decl, key, function_name(decl));
      } else if (decl->kind == NodeKind::GenDecl && decl->text == "var") {
        // function literals in package-level variables are functions too
        for (const Node* spec : decl->children()) {
          if (!spec || spec->kind != NodeKind::ValueSpec || !spec->kid(2)) continue;
          std::string var = spec->kid(1) && spec->kid(1)->kid(0) ? std::string(go::ident_name(spec->kid(1)->kid(0))) : "";
          std::unordered_set<const Node*> actions;  // `Action: func(...)` of a CLI command in a package variable
          go::walk(spec->kid(2), [&](const Node* n) {
            if (n->kind == NodeKind::KeyValue && go::unparen(n->kid(1)) &&
                go::unparen(n->kid(1))->kind == NodeKind::FuncLit && is_run_once_key(go::ident_name(n->kid(0))))
              actions.insert(go::unparen(n->kid(1)));
            if (n->kind != NodeKind::FuncLit) return true;
            if (n->kid(1) && !n->has(Node::kHasError)) {
              make_unit(f.get(), n, "", "func literal in var " + var);
              if (actions.count(n) && !units.empty() && units.back().decl == n) units.back().run_once.insert(n);
            }
            return false;
          });
        }
      }
    }
  }
  functions = units.size();

  // Summaries to a fixed point (helpers that call helpers). After the first pass
  // only the functions that call a function whose summary changed after they
  // were analysed are analysed again; their leaks are then final.
  std::vector<char> dirty(units.size(), 0);
  for (size_t i = 0; i < units.size(); ++i) dirty[i] = !units[i].key.empty();
  for (int pass = 0; pass < 6; ++pass) {
    std::vector<std::pair<size_t, std::string>> changes;  // (position in this pass, short name)
    std::vector<size_t> pos_of(units.size(), SIZE_MAX);
    size_t pos = 0;
    for (size_t i = 0; i < units.size(); ++i) {
      if (!dirty[i]) continue;
      Unit& u = units[i];
      pos_of[i] = pos;
      flow::ResourceEngine engine(*u.resolver, sh.tracked);
      auto fa = engine.analyze(u.decl, u.funcs[0].second);
      u.decl_leaks = std::move(fa.leaks);
      u.truncated = fa.truncated;
      dirty[i] = 0;
      auto& slot = facts->funcs[u.key];
      fa.facts.may_exit = slot.may_exit;  // computed before the passes
      if (!same_facts(slot, fa.facts)) {
        slot = std::move(fa.facts);
        changes.emplace_back(pos, u.key.substr(u.key.rfind('.') == std::string::npos ? 0 : u.key.rfind('.') + 1));
      }
      ++pos;
    }
    if (changes.empty()) break;
    for (size_t i = 0; i < units.size(); ++i) {
      if (units[i].key.empty()) continue;
      for (auto& [p, name] : changes)
        if (units[i].calls.count(name) && (pos_of[i] == SIZE_MAX || p >= pos_of[i])) dirty[i] = 1;
    }
  }
  for (size_t i = 0; i < units.size(); ++i) {
    if (!dirty[i]) continue;  // summaries still moving after the last pass: take the leaks as they are
    flow::ResourceEngine engine(*units[i].resolver, sh.tracked);
    units[i].decl_leaks = engine.analyze(units[i].decl, units[i].funcs[0].second).leaks;
  }
  // Rules with checks of their own see every function, then the package.
  std::vector<const rules::Rule*> checkers;
  for (const rules::Rule* r : sh.rules)
    if (!r->engine_only()) checkers.push_back(r);
  std::deque<rules::LeakSite> sites;
  std::deque<rules::FunctionView> views;
  auto run_checks = [&](const rules::FunctionView& v) {
    for (const rules::Rule* r : checkers) {
      if (!r->applies(*v.site)) continue;
      std::vector<report::Finding> own;
      r->check(v, own);
      for (auto& fd : own) finish(sh, *r, *v.site, std::move(fd), findings, suppressed);
    }
  };
  for (auto& u : units) {
    for (auto& leak : u.decl_leaks) emit(sh, pkg, u, u.decl, leak, findings, suppressed);
    flow::ResourceEngine engine(*u.resolver, sh.tracked);
    for (size_t i = u.key.empty() ? 0 : 1; i < u.funcs.size(); ++i) {
      auto fa = engine.analyze(u.funcs[i].first, u.funcs[i].second);
      u.truncated = u.truncated || fa.truncated;
      for (auto& leak : fa.leaks) emit(sh, pkg, u, u.funcs[i].first, leak, findings, suppressed);
    }
    if (!checkers.empty())
      for (auto& [fn, cfg] : u.funcs) {
        sites.push_back(site_of(pkg, u, fn));
        views.push_back({fn, u.decl, &cfg, u.resolver.get(), &sites.back()});
        run_checks(views.back());
      }
    if (u.truncated)
      notices.push_back({u.file->path, u.decl->line,
                         fmt::format("function {} has more resource acquisitions than leakhound analyses in one "
                                     "function; only the first ones were checked",
                                     u.name)});
  }
  {
    // views of every function for the package's own checks and the timeout facts, whatever rules are on
    if (checkers.empty())
      for (auto& u : units)
        for (auto& [fn, cfg] : u.funcs) {
          sites.push_back(site_of(pkg, u, fn));
          views.push_back({fn, u.decl, &cfg, u.resolver.get(), &sites.back()});
        }
    rules::PackageView pv;
    pv.name = pkg.name;
    pv.go = pkg.go;
    pv.models = sh.models;
    for (auto& f : files) pv.files.push_back(f.get());
    for (auto& v : views) pv.functions.push_back(&v);
    rules::tmo::PackageIndex clients(pv, rules::tmo::client_kind()), servers(pv, rules::tmo::server_kind()),
        dialers(pv, rules::tmo::dialer_kind());
    pv.timeout_index = {&clients, &servers, &dialers};
    rules::tmo::publish_factories(pv, *facts);
    for (const rules::Rule* r : checkers) {
      std::vector<report::Finding> own;
      r->check_package(pv, own);
      for (auto& fd : own) {
        // findings of a package check carry their file: find its site
        rules::LeakSite site;
        site.go = pkg.go;
        for (auto& f : files)
          if (f->path == fd.file) site.file = f.get();
        if (!site.file) continue;
        site.in_test = site.file->is_test;
        finish(sh, *r, site, std::move(fd), findings, suppressed);
      }
    }
  }
  views.clear();
  units.clear();
  files.clear();  // the trees go; the facts stay for dependents

  std::lock_guard<std::mutex> lock(sh.mu);
  for (auto& n : notices) sh.result.notices.push_back(std::move(n));
  for (auto& f : findings) sh.result.findings.push_back(std::move(f));
  sh.result.stats.suppressed += suppressed;
  sh.result.stats.functions += functions;
}

// The waiting package most worth parsing ahead, or SIZE_MAX. Called with sh.mu held.
size_t parse_ahead_candidate(const Shared& sh) {
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < sh.packages.size(); ++i) {
    const Package& p = sh.packages[i];
    if (p.started || p.parsing || p.parsed || p.pending == 0) continue;
    if (sh.parked_bytes > 0 && sh.parked_bytes + p.bytes > kParkedBytesBudget) continue;
    if (best == SIZE_MAX || p.priority > sh.packages[best].priority) best = i;
  }
  return best;
}

// Marks a package analysed and releases its dependents. Called with sh.mu held.
void finish_package(Shared& sh, size_t index) {
  --sh.running;
  ++sh.done;
  for (size_t d : sh.packages[index].dependents) {
    Package& dp = sh.packages[d];
    // a package being parsed ahead is taken over by the worker parsing it
    if (dp.pending > 0 && --dp.pending == 0 && !dp.started && !dp.parsing) sh.ready.push_back(d);
  }
}

void worker(Shared& sh) {
  for (;;) {
    size_t index = SIZE_MAX;
    bool ahead = false;
    std::vector<std::unique_ptr<go::SourceFile>> files;
    std::vector<report::Notice> notices;
    {
      std::unique_lock<std::mutex> lock(sh.mu);
      size_t candidate = SIZE_MAX;
      sh.cv.wait(lock, [&] {
        if (!sh.ready.empty() || sh.done == sh.packages.size()) return true;
        candidate = parse_ahead_candidate(sh);
        if (candidate != SIZE_MAX) return true;
        // An import cycle (possible with test packages or build variants): start the
        // waiting package closest to ready.
        if (sh.running == 0 && sh.preparsing == 0) {
          size_t best = SIZE_MAX;
          for (size_t i = 0; i < sh.packages.size(); ++i)
            if (!sh.packages[i].started && !sh.packages[i].parsing &&
                (best == SIZE_MAX || sh.packages[i].pending < sh.packages[best].pending))
              best = i;
          if (best != SIZE_MAX) {
            sh.ready.push_back(best);
            return true;
          }
        }
        return false;
      });
      if (!sh.ready.empty()) {
        // critical path first: the package with the most work hanging on it
        size_t best = 0;
        for (size_t i = 1; i < sh.ready.size(); ++i)
          if (sh.packages[sh.ready[i]].priority > sh.packages[sh.ready[best]].priority) best = i;
        index = sh.ready[best];
        sh.ready[best] = sh.ready.back();
        sh.ready.pop_back();
        Package& p = sh.packages[index];
        p.started = true;
        ++sh.running;
        if (p.parsed) {
          files = std::move(p.parsed_files);
          notices = std::move(p.parse_notices);
          sh.parked_bytes -= p.bytes;
        }
      } else if (candidate != SIZE_MAX && sh.done < sh.packages.size()) {
        index = candidate;
        ahead = true;
        sh.packages[index].parsing = true;
        ++sh.preparsing;
        sh.parked_bytes += sh.packages[index].bytes;
      } else {
        return;
      }
    }
    Package& p = sh.packages[index];
    if (ahead) {
      try {
        parse_package(sh, index, files, notices);
      } catch (const std::exception& e) {
        files.clear();
        notices.push_back({p.dir, 0, "package " + p.name + " not parsed: internal error: " + e.what()});
      }
      bool analyse_now = false;
      {
        std::lock_guard<std::mutex> lock(sh.mu);
        p.parsing = false;
        --sh.preparsing;
        if (p.pending == 0 && !p.started) {
          // it became ready while we parsed: analyse it ourselves
          p.started = true;
          ++sh.running;
          sh.parked_bytes -= p.bytes;
          analyse_now = true;
        } else {
          p.parsed = true;
          p.parsed_files = std::move(files);
          p.parse_notices = std::move(notices);
        }
      }
      sh.cv.notify_all();
      if (!analyse_now) continue;
    } else if (!p.parsed) {
      try {
        parse_package(sh, index, files, notices);
      } catch (const std::exception& e) {
        files.clear();
        notices.push_back({p.dir, 0, "package " + p.name + " not parsed: internal error: " + e.what()});
      }
    }
    try {
      analyze_package(sh, index, std::move(files), std::move(notices));
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.result.notices.push_back({p.dir, 0, "package " + p.name + " skipped: internal error: " + e.what()});
    }
    sh.store.publish(p.import_path);
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      finish_package(sh, index);
    }
    sh.cv.notify_all();
  }
}

void select_rules(Shared& sh) {
  sh.models = sh.opts.models ? sh.opts.models : &models::ModelTable::builtin();
  for (const rules::Rule* r : rules::all_rules()) {
    std::string name(r->info().name);
    bool on = r->info().enabled_by_default;
    if (sh.opts.enable.count(name)) on = true;
    if (sh.opts.disable.count(name)) on = false;
    if (!sh.opts.rules.empty()) on = sh.opts.rules.count(name) > 0;
    if (!on) continue;
    sh.rules.push_back(r);
  }
  // Every resource is tracked, whatever rules are on: summaries ("returns a fresh file")
  // must not depend on the rule selection. Leaks of resources whose rule is off are dropped.
  for (const auto& t : sh.models->resources) sh.tracked.push_back(&t);
}

void run_all(Shared& sh) {
  int jobs = sh.opts.jobs > 0 ? sh.opts.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  jobs = std::max(1, std::min<int>(jobs, static_cast<int>(std::max<size_t>(1, sh.packages.size()))));
  if (!sh.packages.empty()) {
    std::vector<std::thread> threads;
    for (int i = 1; i < jobs; ++i) threads.emplace_back([&] { worker(sh); });
    worker(sh);
    for (auto& t : threads) t.join();
  }
  report::sort_and_dedupe(sh.result.findings);
  std::sort(sh.result.notices.begin(), sh.result.notices.end(),
            [](const report::Notice& a, const report::Notice& b) {
              return std::tie(a.file, a.line, a.message) < std::tie(b.file, b.line, b.message);
            });
}

// Does a path match one of the config's exclude patterns? Patterns are globs
// against the path relative to the config's folder (`*` also crosses `/`, so
// `gen/**` and `gen/*` both cover a whole folder); a pattern naming a folder
// covers everything below it.
bool excluded(const std::string& path, const ScanOptions& opts) {
  std::error_code ec;
  std::string abs = fs::absolute(path, ec).lexically_normal().string();
  std::string rel = opts.exclude_base.empty() ? abs : fs::path(abs).lexically_relative(opts.exclude_base).string();
  for (const auto& pat : opts.exclude) {
    std::string p = pat;
    while (p.starts_with("./")) p.erase(0, 2);
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (fnmatch(p.c_str(), rel.c_str(), 0) == 0 || fnmatch((p + "/*").c_str(), rel.c_str(), 0) == 0) return true;
    if (p.starts_with("**/") && fnmatch(p.c_str() + 3, rel.c_str(), 0) == 0) return true;  // also at the top
    // a bare file pattern (`*_mock.go`) matches the file name anywhere
    if (p.find('/') == std::string::npos && fnmatch(p.c_str(), fs::path(rel).filename().c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace

ScanResult scan_sources(const std::vector<std::pair<std::string, std::string>>& sources, const ScanOptions& opts) {
  Shared sh(opts);
  select_rules(sh);
  Package p;
  p.import_path = "example.com/inmemory";
  if (!opts.go_version.empty()) p.go = go::parse_gomod("go " + opts.go_version + "\n").go;
  for (auto& [path, src] : sources) {
    FileMeta m;
    m.path = path;
    m.preloaded = src;
    m.size = src.size();
    m.header = go::scan_header(src);
    if (p.name.empty()) p.name = m.header.package_name;
    p.files.push_back(sh.files.size());
    sh.files.push_back(std::move(m));
    sh.result.stats.files++;
    sh.result.stats.bytes += src.size();
  }
  sh.store.reserve(p.import_path);
  sh.packages.push_back(std::move(p));
  sh.ready.push_back(0);
  sh.result.stats.packages = 1;
  run_all(sh);
  return std::move(sh.result);
}

ScanResult run_scan(const ScanOptions& opts) {
  Shared sh(opts);
  select_rules(sh);

  go::DiscoverOptions dopts;
  dopts.max_file_bytes = opts.max_file_bytes;
  dopts.include_tests = opts.tests != TestsMode::Skip;
  auto t0 = std::chrono::steady_clock::now();
  go::DiscoverResult disc = go::discover(opts.paths, dopts);
  auto t1 = std::chrono::steady_clock::now();
  sh.result.notices = std::move(disc.notices);
  sh.result.errors = std::move(disc.errors);
  if (!opts.exclude.empty()) {
    std::vector<std::string> kept;
    for (auto& path : disc.files)
      if (!excluded(path, opts)) kept.push_back(std::move(path));
    sh.result.stats.excluded = disc.files.size() - kept.size();
    disc.files = std::move(kept);
  }

  // Read headers (package clause and imports) to group and order packages.
  // Read every file's head (package clause, imports), in parallel.
  constexpr size_t kHeadBytes = 16 * 1024;  // package clause and imports nearly always fit
  struct Head {
    std::optional<FileMeta> meta;
    std::optional<report::Notice> notice;
    bool generated = false;
  };
  std::vector<Head> heads(disc.files.size());
  auto read_head = [&](size_t i) {
    const std::string& path = disc.files[i];
    Head& h = heads[i];
    std::string src, err;
    if (!go::read_file_prefix(path, kHeadBytes, src, err)) {
      h.notice = report::Notice{path, 0, "skipped: " + err};
      return;
    }
    FileMeta m;
    m.path = path;
    m.dir = fs::path(path).parent_path().string();
    m.header = go::scan_header(src);
    if (!m.header.complete && !m.header.binary && src.size() == kHeadBytes) {
      if (!go::read_file(path, src, err)) {
        h.notice = report::Notice{path, 0, "skipped: " + err};
        return;
      }
      m.header = go::scan_header(src);
    }
    std::error_code ec;
    m.size = src.size() < kHeadBytes ? src.size() : static_cast<size_t>(fs::file_size(path, ec));
    if (m.header.binary) {
      h.notice = report::Notice{path, 0, "skipped: binary content (NUL bytes), not Go source"};
    } else if (m.header.package_name.empty()) {
      h.notice = report::Notice{path, 0, "skipped: no package clause"};
    } else if (m.header.generated && !opts.include_generated) {
      h.generated = true;
    } else {
      h.meta = std::move(m);
    }
  };
  {
    int jobs = opts.jobs > 0 ? opts.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::atomic<size_t> next{0};
    auto run = [&] {
      for (size_t i = next++; i < heads.size(); i = next++) read_head(i);
    };
    std::vector<std::thread> threads;
    for (int i = 1; i < jobs && static_cast<size_t>(i) < heads.size(); ++i) threads.emplace_back(run);
    run();
    for (auto& t : threads) t.join();
  }
  for (auto& h : heads) {
    if (h.notice) sh.result.notices.push_back(std::move(*h.notice));
    if (h.generated) ++sh.result.stats.generated_skipped;
    if (!h.meta) continue;
    sh.result.stats.files++;
    sh.result.stats.bytes += h.meta->size;
    sh.files.push_back(std::move(*h.meta));
  }

  // Group into packages: (folder, package name).
  std::map<std::string, std::optional<go::GoMod>> mods;
  std::map<std::pair<std::string, std::string>, size_t> by_key;
  std::unordered_set<std::string> claimed;
  for (size_t i = 0; i < sh.files.size(); ++i) {
    const FileMeta& m = sh.files[i];
    std::string name = m.header.package_name;
    if (!m.header.go_build.empty() || !m.header.plus_build.empty()) {
      auto mit = mods.find(m.dir);
      if (mit == mods.end()) mit = mods.emplace(m.dir, go::find_gomod(m.dir.empty() ? "." : m.dir)).first;
      go::GoVersion v = mit->second ? mit->second->go : go::GoVersion{};
      if (!go::build_constraint_can_hold(m.header, v.major, v.minor)) {
        ++sh.result.stats.constraint_skipped;  // `!go1.7` in a go 1.17 module: never built
        --sh.result.stats.files;
        sh.result.stats.bytes -= m.size;
        continue;
      }
    }
    auto key = std::make_pair(m.dir, name);
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      auto mit = mods.find(m.dir);
      if (mit == mods.end()) mit = mods.emplace(m.dir, go::find_gomod(m.dir.empty() ? "." : m.dir)).first;
      Package p;
      p.dir = m.dir;
      p.name = name;
      std::error_code ec;
      std::string absdir = fs::absolute(m.dir.empty() ? "." : m.dir, ec).lexically_normal().string();
      if (mit->second && !mit->second->module_path.empty()) {
        p.go = mit->second->go;
        std::string rel = fs::path(absdir).lexically_relative(mit->second->dir).string();
        if (rel.ends_with("/.")) rel.resize(rel.size() - 2);
        p.import_path = (rel == "." || rel.empty()) ? mit->second->module_path : mit->second->module_path + "/" + rel;
      } else {
        // No module: a GOPATH-style tree (.../src/host.tld/...) gives the import path;
        // otherwise the folder names the package. Standard-library-looking paths are
        // kept as folders so calls into the real standard library stay recognisable.
        size_t src_at = absdir.rfind("/src/");
        std::string gopath = src_at == std::string::npos ? "" : absdir.substr(src_at + 5);
        std::string first = gopath.substr(0, gopath.find('/'));
        p.import_path = first.find('.') != std::string::npos ? gopath : absdir;
      }
      if (name.ends_with("_test")) p.import_path += "_test";
      // Two packages can claim one import path (a `package main` generator beside a
      // library, copies of one module): give the later ones a path of their own so
      // their facts never mix, and let no import resolve to them.
      if (!claimed.insert(p.import_path).second) {
        p.import_path += "#" + absdir + "#" + name;
        p.ambiguous = true;
      }
      it = by_key.emplace(key, sh.packages.size()).first;
      sh.packages.push_back(std::move(p));
    }
    sh.packages[it->second].files.push_back(i);
  }
  sh.result.stats.packages = sh.packages.size();

  // Dependencies within the scanned set, and fact slots created up front.
  std::unordered_map<std::string, size_t> by_path;
  for (size_t i = 0; i < sh.packages.size(); ++i) {
    by_path.emplace(sh.packages[i].import_path, i);
    sh.store.reserve(sh.packages[i].import_path);
  }
  for (size_t i = 0; i < sh.packages.size(); ++i) {
    std::vector<size_t> deps;
    for (size_t fi : sh.packages[i].files)
      for (auto& imp : sh.files[fi].header.imports) {
        auto it = by_path.find(imp);
        if (it != by_path.end() && it->second != i) deps.push_back(it->second);
      }
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    sh.packages[i].pending = deps.size();
    for (size_t d : deps) sh.packages[d].dependents.push_back(i);
  }
  for (size_t i = sh.packages.size(); i-- > 0;)
    if (sh.packages[i].pending == 0) sh.ready.push_back(i);
  // Priorities: own bytes plus the heaviest chain of dependents (a few relaxation
  // rounds; import graphs are acyclic, cycles only stop the rounds early).
  for (auto& p : sh.packages) {
    for (size_t fi : p.files) p.bytes += sh.files[fi].size;
    p.priority = p.bytes;
  }
  for (int round = 0; round < 64; ++round) {
    bool changed = false;
    for (auto& p : sh.packages) {
      uint64_t best = 0;
      for (size_t d : p.dependents) best = std::max(best, sh.packages[d].priority);
      if (p.bytes + best > p.priority) {
        p.priority = p.bytes + best;
        changed = true;
      }
    }
    if (!changed) break;
  }

  auto t2 = std::chrono::steady_clock::now();
  run_all(sh);
  auto t3 = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  sh.result.stats.discover_ms = ms(t0, t1);
  sh.result.stats.plan_ms = ms(t1, t2);
  sh.result.stats.analyse_ms = ms(t2, t3);
  return std::move(sh.result);
}

}  // namespace leakhound::scan
