#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/profiles.h"
#include "cli/runtime_common.h"
#include "config/config.h"
#include "report/runtime_html.h"
#include "scan/scan.h"

namespace leakhound::cli {
namespace {

constexpr double kSuspect = 3.0;  // a site scoring this much is reported as a suspect

std::string minutes(const rt::Site& s) {
  if (s.max_minutes < 0) return "under 1 min";
  if (s.min_minutes == s.max_minutes) return fmt::format("{} min", s.max_minutes);
  return fmt::format("{}-{} min", s.min_minutes, s.max_minutes);
}

bool is_suspect(const rt::Site& s) { return !s.known_long_lived && s.score >= kSuspect; }

std::string evidence(const rt::Site& s) {
  if (s.proven) return "proven (the runtime's leak detector)";
  return "weak (one snapshot: compare two with `leakhound diff`)";
}

// Static findings in DIR whose function holds one of the site's frames (or the line that created it).
struct SourceMatches {
  std::vector<report::Finding> findings;
  std::vector<std::vector<size_t>> per_site;  // finding indexes, per site
};

bool frame_in(const rt::Frame& f, const report::Finding& fd, const std::string& rel) {
  if (f.file.empty() || fd.func_line == 0 || f.line < fd.func_line || f.line > fd.func_end) return false;
  return f.file == rel || (f.file.size() > rel.size() && f.file.ends_with(rel) && f.file[f.file.size() - rel.size() - 1] == '/');
}

bool match_source(const std::string& dir, const rt::Analysis& an, SourceMatches& m, std::string& err) {
  scan::ScanOptions o;
  o.paths = {dir};
  if (auto path = config::find(dir)) {
    try {
      config::apply(config::load(*path), o);
    } catch (const config::ConfigError& e) {
      err = std::string("invalid config: ") + e.what();
      return false;
    }
  }
  scan::ScanResult res = scan::run_scan(o);
  if (!res.errors.empty()) {
    err = "--source " + dir + ": " + res.errors.front();
    return false;
  }
  m.findings = std::move(res.findings);
  namespace fs = std::filesystem;
  std::vector<std::string> rel;
  bool single_file = fs::is_regular_file(dir);
  for (const auto& fd : m.findings) {
    fs::path r = single_file ? fs::path(fd.file).filename() : fs::path(fd.file).lexically_relative(dir);
    rel.push_back(r.empty() || r.string().starts_with("..") ? fd.file : r.string());
  }
  m.per_site.resize(an.sites.size());
  for (size_t i = 0; i < an.sites.size(); ++i) {
    const rt::Site& s = an.sites[i];
    for (size_t k = 0; k < m.findings.size(); ++k) {
      bool hit = frame_in(s.created_at, m.findings[k], rel[k]);
      for (const rt::Frame& f : s.stack) hit = hit || frame_in(f, m.findings[k], rel[k]);
      if (hit) m.per_site[i].push_back(k);
    }
  }
  return true;
}

std::string finding_note(const report::Finding& fd) {
  return fmt::format("static finding {} at {}:{} in {}: {}", fd.rule, fd.file, fd.line, fd.function, fd.message);
}

int show_heap(const GoroutinesArgs& a, const LoadedProfile& p) {
  auto sites = rt::heap_sites(p.heap);
  int64_t inuse = 0, objects = 0;
  for (const auto& s : sites) {
    inuse = rt::sat_add(inuse, s.inuse_bytes);
    objects = rt::sat_add(objects, s.inuse_objects);
  }
  if (a.format == "json") {
    nlohmann::json js = nlohmann::json::array();
    for (size_t i = 0; i < sites.size() && i < a.top; ++i) js.push_back(heap_site_json(sites[i]));
    nlohmann::json out = {{"kind", "heap"},         {"source", p.input.name()}, {"form", p.form},
                          {"sampling_rate", p.heap.rate}, {"inuse_bytes", inuse}, {"inuse_objects", objects},
                          {"sites_total", sites.size()},   {"sites", js},        {"truncated", p.heap.truncated}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  Style st(a.color);
  std::cout << fmt::format("{}: {}: {} in use in {} objects at {} allocation sites{}{}\n", p.input.name(), p.form,
                           human_bytes(inuse), objects, sites.size(),
                           p.heap.rate > 1 ? fmt::format(" (sampled every {} on average, scaled)", human_bytes(p.heap.rate)) : "",
                           p.heap.truncated ? " (the profile is truncated)" : "");
  std::cout << fmt::format("\n{:>10} {:>10} {:>10} {:>10}  {}\n", "IN USE", "OBJECTS", "ALLOCATED", "ALLOC OBJ",
                           "ALLOCATION SITE");
  for (size_t i = 0; i < sites.size() && i < a.top; ++i) {
    const auto& s = sites[i];
    std::cout << fmt::format("{:>10} {:>10} {:>10} {:>10}  {} {}\n", human_bytes(s.inuse_bytes), s.inuse_objects,
                             human_bytes(s.alloc_bytes), s.alloc_objects, st.frame_func(s.top),
                             st.dim(location(s.top)));
  }
  if (sites.size() > a.top) std::cout << fmt::format("({} more sites; --top N lists more)\n", sites.size() - a.top);
  std::cout << "\nHeap profiles name where memory was allocated, not what keeps it: in Go that is usually a leaked\n"
               "goroutine. Compare two snapshots with `leakhound diff BEFORE AFTER` to see what grows.\n";
  return 0;
}

}  // namespace

int cmd_goroutines(const GoroutinesArgs& a) {
  std::string err;
  auto p = load_profile(a.source, a.heap, fetch_options(a.fetch), err);
  if (!p) {
    std::cerr << "leakhound: " << err << "\n";
    return 2;
  }
  if (p->kind == LoadedProfile::Kind::Heap) {
    if (!a.html.empty() || !a.source_dir.empty())
      std::cerr << "leakhound: note: --html and --source apply to goroutine profiles; ignored for a heap profile\n";
    return show_heap(a, *p);
  }
  if (a.heap) {
    std::cerr << "leakhound: " << p->input.name() << ": a goroutine profile, not a heap profile (--heap)\n";
    return 2;
  }
  const rt::Dump& dump = p->dump;
  rt::Analysis an = rt::analyse(dump, long_lived_list(a.long_lived, a.no_default_long_lived));
  size_t suspects = 0;
  for (const auto& s : an.sites) suspects += is_suspect(s);

  SourceMatches sm;
  if (!a.source_dir.empty() && !match_source(a.source_dir, an, sm, err)) {
    std::cerr << "leakhound: " << err << "\n";
    return 2;
  }
  auto matches = [&](size_t i) -> const std::vector<size_t>& {
    static const std::vector<size_t> none;
    return i < sm.per_site.size() ? sm.per_site[i] : none;
  };

  if (!a.html.empty()) {
    std::vector<report::HtmlSiteNotes> notes(an.sites.size());
    for (size_t i = 0; i < an.sites.size(); ++i) {
      notes[i].suspect = is_suspect(an.sites[i]);
      if (notes[i].suspect) notes[i].evidence = evidence(an.sites[i]);
      for (size_t k : matches(i)) notes[i].notes.push_back(finding_note(sm.findings[k]));
    }
    std::ofstream out(a.html, std::ios::binary);
    out << report::goroutines_html(p->input.name(), p->form, an, notes, a.max_ids);
    out.close();
    if (!out) {
      std::cerr << "leakhound: cannot write " << a.html << "\n";
      return 2;
    }
  }

  if (a.format == "json") {
    nlohmann::json sites = nlohmann::json::array();
    for (size_t i = 0; i < an.sites.size(); ++i) {
      const rt::Site& s = an.sites[i];
      nlohmann::json j = site_json(s);
      j["suspect"] = is_suspect(s);
      j["evidence"] = is_suspect(s) ? (s.proven ? "proven" : "weak") : "";
      nlohmann::json found = nlohmann::json::array();
      for (size_t k : matches(i)) {
        const auto& fd = sm.findings[k];
        found.push_back({{"rule", fd.rule}, {"file", fd.file}, {"line", fd.line}, {"function", fd.function},
                         {"message", fd.message}});
      }
      j["static_findings"] = found;
      sites.push_back(std::move(j));
    }
    nlohmann::json out = {{"kind", "goroutines"},
                          {"source", p->input.name()},
                          {"form", p->form},
                          {"goroutines", an.total},
                          {"sites", sites},
                          {"suspect_sites", suspects},
                          {"set_aside", an.set_aside},
                          {"skipped_lines", dump.skipped_lines},
                          {"truncated", dump.truncated}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return suspects ? 1 : 0;
  }

  Style st(a.color);
  std::cout << fmt::format("{}: {}: {} goroutines in {} sites; {} suspect sites; {} goroutines on known long-lived "
                           "sites set aside{}\n",
                           p->input.name(), p->form, an.total, an.sites.size(), suspects, an.set_aside,
                           dump.truncated ? " (the dump is truncated)" : "");
  for (size_t i = 0; i < an.sites.size(); ++i) {
    const rt::Site& s = an.sites[i];
    bool suspect = is_suspect(s);
    if (!suspect && !a.all) continue;
    std::string tag = suspect ? st.red("SUSPECT") : s.known_long_lived ? std::string("expected") : std::string("other");
    std::cout << fmt::format("\n{} {} x{} [{}, {}] {}\n", tag, st.bold(printable(s.top.func)), s.count,
                             printable(s.state), minutes(s), location(s.top));
    std::cout << fmt::format("    why: {}\n", s.why.empty() ? "known long-lived goroutine" : s.why);
    if (suspect) std::cout << fmt::format("    evidence: {}\n", evidence(s));
    if (!s.created_by.empty())
      std::cout << fmt::format("    created by {} at {}\n", printable(s.created_by), location(s.created_at));
    print_stack(std::cout, st, s.stack, 8);
    if (!s.ids.empty()) {
      std::string ids;
      for (size_t k = 0; k < s.ids.size() && k < a.max_ids; ++k) ids += (k ? " " : "") + std::to_string(s.ids[k]);
      if (s.count > a.max_ids) ids += fmt::format(" (+{} more)", s.count - std::min(s.count, a.max_ids));
      std::cout << fmt::format("    goroutines: {}\n", ids);
    }
    for (size_t k : matches(i)) std::cout << "    " << st.yellow(finding_note(sm.findings[k])) << "\n";
  }
  if (!a.source_dir.empty()) {
    size_t matched = 0;
    for (size_t i = 0; i < an.sites.size(); ++i) matched += is_suspect(an.sites[i]) && !matches(i).empty();
    std::cout << fmt::format("\n--source {}: {} static findings, {} of {} suspect sites matched to one\n", a.source_dir,
                             sm.findings.size(), matched, suspects);
  }
  if (dump.skipped_lines)
    std::cerr << fmt::format("note: {} lines outside any goroutine were skipped\n", dump.skipped_lines);
  return suspects ? 1 : 0;
}

}  // namespace leakhound::cli
