#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/profiles.h"
#include "cli/runtime_common.h"
#include "runtime/diff.h"

namespace leakhound::cli {
namespace {

bool write_profile(const std::string& path, const rt::Profile& prof, std::string& err) {
  std::string gz;
  if (!rt::gzip(rt::encode_profile(prof), gz, err)) return false;
  std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary);
  out.write(gz.data(), static_cast<std::streamsize>(gz.size()));
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = fmt::format("cannot write {}: {}", path, std::strerror(errno));
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

const char* change_tag(int64_t before, int64_t after) {
  if (before == 0) return "NEW";
  if (after == 0) return "GONE";
  return after > before ? "GREW" : after < before ? "SHRANK" : "SAME";
}

int diff_goroutines(const DiffArgs& a, const LoadedProfile& b, const LoadedProfile& c) {
  auto d = rt::diff_goroutines(b.dump, c.dump, long_lived_list(a.long_lived, a.no_default_long_lived));
  auto growing = [&](const rt::SiteChange& s) {
    return !s.site.known_long_lived && s.growth() > 0 && s.growth() >= a.min_growth;
  };
  size_t grew = 0;
  for (const auto& s : d.sites) grew += growing(s);
  if (a.format == "json") {
    nlohmann::json sites = nlohmann::json::array();
    for (const auto& s : d.sites) {
      if (s.before == s.after) continue;
      nlohmann::json j = site_json(s.site);
      j.erase("count");
      j.erase("ids");
      j["before"] = s.before;
      j["after"] = s.after;
      j["growth"] = s.growth();
      j["change"] = change_tag(s.before, s.after);
      j["growing"] = growing(s);
      sites.push_back(std::move(j));
    }
    nlohmann::json out = {{"kind", "goroutines"},         {"before", b.input.name()},
                          {"after", c.input.name()},       {"total_before", d.total_before},
                          {"total_after", d.total_after},  {"states_compared", d.states_compared},
                          {"growing_sites", grew},         {"min_growth", a.min_growth},
                          {"sites", sites}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return grew ? 1 : 0;
  }
  Style st(a.color);
  std::cout << fmt::format("goroutines: {} -> {} ({:+}); {} sites grew by {} or more\n", d.total_before,
                           d.total_after, d.total_after - d.total_before, grew, a.min_growth);
  if (!d.states_compared)
    std::cout << "(one snapshot is a grouped profile: sites are matched on their frame only, not on their state)\n";
  size_t shown = 0;
  for (const auto& s : d.sites) {
    if (s.before == s.after) continue;
    if (shown++ == a.top) {
      std::cout << "(more changed sites; --top N lists more, --format json lists all)\n";
      break;
    }
    std::string tag = change_tag(s.before, s.after);
    if (growing(s)) tag = st.red(tag);
    std::cout << fmt::format("\n{} {:+} {} [{}] {}  ({} -> {}){}\n", tag, s.growth(), st.bold(printable(s.site.top.func)),
                             printable(s.site.state), location(s.site.top), s.before, s.after,
                             s.site.known_long_lived ? " (known long-lived)" : "");
    if (!s.site.created_by.empty())
      std::cout << fmt::format("    created by {} at {}\n", s.site.created_by, location(s.site.created_at));
    if (growing(s)) print_stack(std::cout, st, s.site.stack, 6);
  }
  if (grew)
    std::cout << "\nA site that grows between two snapshots and does not shrink back after the load stops is a strong\n"
                 "leak suspect; take a third snapshot after a cool-down to confirm.\n";
  return grew ? 1 : 0;
}

int diff_heap(const DiffArgs& a, const LoadedProfile& b, const LoadedProfile& c) {
  auto d = rt::diff_heap(b.heap, c.heap);
  const int64_t min_bytes = static_cast<int64_t>(a.min_bytes_mb * 1024 * 1024);
  size_t grew = 0;
  auto growing = [&](const rt::HeapChange& s) { return s.growth_bytes() > 0 && s.growth_bytes() >= min_bytes; };
  for (const auto& s : d.sites) grew += growing(s);
  if (a.format == "json") {
    nlohmann::json sites = nlohmann::json::array();
    for (const auto& s : d.sites) {
      if (s.growth_bytes() == 0 && s.growth_objects() == 0 && s.after.alloc_bytes == s.before.alloc_bytes) continue;
      nlohmann::json j = heap_site_json(s.site);
      for (const char* k : {"inuse_bytes", "inuse_objects", "alloc_bytes", "alloc_objects"}) j.erase(k);
      j["before"] = {{"inuse_bytes", s.before.inuse_bytes}, {"inuse_objects", s.before.inuse_objects},
                     {"alloc_bytes", s.before.alloc_bytes}, {"alloc_objects", s.before.alloc_objects}};
      j["after"] = {{"inuse_bytes", s.after.inuse_bytes}, {"inuse_objects", s.after.inuse_objects},
                    {"alloc_bytes", s.after.alloc_bytes}, {"alloc_objects", s.after.alloc_objects}};
      j["growth_bytes"] = s.growth_bytes();
      j["growth_objects"] = s.growth_objects();
      j["change"] = change_tag(s.before.inuse_bytes + s.before.alloc_bytes, s.after.inuse_bytes + s.after.alloc_bytes);
      j["growing"] = growing(s);
      sites.push_back(std::move(j));
    }
    nlohmann::json out = {{"kind", "heap"},       {"before", b.input.name()}, {"after", c.input.name()},
                          {"inuse_before", d.inuse_before}, {"inuse_after", d.inuse_after},
                          {"growing_sites", grew}, {"min_bytes", min_bytes}, {"sites", sites}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return grew ? 1 : 0;
  }
  Style st(a.color);
  std::cout << fmt::format("heap in use: {} -> {} ({}{}); {} sites grew by {} or more\n", human_bytes(d.inuse_before),
                           human_bytes(d.inuse_after), d.inuse_after >= d.inuse_before ? "+" : "",
                           human_bytes(d.inuse_after - d.inuse_before), grew, human_bytes(min_bytes));
  std::cout << fmt::format("\n{:>7} {:>11} {:>11} {:>10}  {}\n", "", "IN USE +/-", "NOW", "OBJECTS +/-", "ALLOCATION SITE");
  size_t shown = 0;
  for (const auto& s : d.sites) {
    if (s.growth_bytes() == 0 && s.growth_objects() == 0) continue;
    if (shown++ == a.top) {
      std::cout << "(more changed sites; --top N lists more, --format json lists all)\n";
      break;
    }
    bool g = growing(s);
    std::string tag = change_tag(s.before.inuse_bytes, s.after.inuse_bytes);
    std::cout << fmt::format("{:>7} {:>11} {:>11} {:>+10}  {} {}\n", g ? st.red(tag) : tag,
                             (s.growth_bytes() > 0 ? "+" : "") + human_bytes(s.growth_bytes()),
                             human_bytes(s.after.inuse_bytes), s.growth_objects(), st.frame_func(s.site.top),
                             st.dim(location(s.site.top)));
  }
  if (grew)
    std::cout << "\nHeap sites name where memory was allocated; what keeps it is often a leaked goroutine: diff the\n"
                 "goroutine dumps of the same moments too.\n";
  return grew ? 1 : 0;
}

}  // namespace

int cmd_diff(const DiffArgs& a) {
  std::string err;
  auto fo = fetch_options(a.fetch);
  auto b = load_profile(a.before, a.heap, fo, err);
  if (!b) {
    std::cerr << "leakhound: " << err << "\n";
    return 2;
  }
  // a URL AFTER fetches the same kind of profile as BEFORE
  auto c = load_profile(a.after, b->kind == LoadedProfile::Kind::Heap, fo, err);
  if (!c) {
    std::cerr << "leakhound: " << err << "\n";
    return 2;
  }
  if (b->kind != c->kind) {
    std::cerr << fmt::format("leakhound: cannot compare {} ({}) with {} ({})\n", b->input.name(), b->form,
                             c->input.name(), c->form);
    return 2;
  }
  bool heap = b->kind == LoadedProfile::Kind::Heap;
  if (!a.write_pprof.empty()) {
    rt::Profile prof = heap ? rt::heap_diff_profile(b->heap, c->heap) : rt::goroutine_diff_profile(b->dump, c->dump);
    if (!write_profile(a.write_pprof, prof, err)) {
      std::cerr << "leakhound: " << err << "\n";
      return 2;
    }
  }
  return heap ? diff_heap(a, *b, *c) : diff_goroutines(a, *b, *c);
}

}  // namespace leakhound::cli
