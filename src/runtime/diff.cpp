#include "runtime/diff.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <unordered_map>

namespace leakhound::rt {
namespace {

std::string site_key(const Site& s, bool with_state) {
  std::string k = fmt::format("{}\x1f{}\x1f{}", s.top.func, s.top.file, s.top.line);
  if (with_state) fmt::format_to(std::back_inserter(k), "\x1f{}\x1f{}", s.state, s.created_by);
  return k;
}

std::string heap_key(const Frame& f) { return fmt::format("{}\x1f{}\x1f{}", f.func, f.file, f.line); }

// One key per distinct stack (every frame), for the per-stack profile of the difference.
std::string stack_key(std::span<const Frame> stack) {
  std::string k;
  for (const Frame& f : stack) fmt::format_to(std::back_inserter(k), "{}\x1f{}\x1f{}\x1e", f.func, f.file, f.line);
  return k;
}

}  // namespace

GoroutineDiff diff_goroutines(const Dump& before, const Dump& after, const std::vector<std::string>& long_lived) {
  GoroutineDiff d;
  d.states_compared = before.form == Dump::Form::Full && after.form == Dump::Form::Full;
  Analysis a = analyse(before, long_lived), b = analyse(after, long_lived);
  d.total_before = static_cast<int64_t>(std::min<size_t>(a.total, INT64_MAX));
  d.total_after = static_cast<int64_t>(std::min<size_t>(b.total, INT64_MAX));
  std::unordered_map<std::string, size_t> index;
  for (Site& s : b.sites) {
    auto [it, added] = index.emplace(site_key(s, d.states_compared), d.sites.size());
    if (added) d.sites.push_back(SiteChange{s, 0, 0});
    d.sites[it->second].after = sat_add(d.sites[it->second].after, static_cast<int64_t>(std::min<size_t>(s.count, INT64_MAX)));
  }
  for (Site& s : a.sites) {
    auto [it, added] = index.emplace(site_key(s, d.states_compared), d.sites.size());
    if (added) d.sites.push_back(SiteChange{s, 0, 0});
    d.sites[it->second].before = sat_add(d.sites[it->second].before, static_cast<int64_t>(std::min<size_t>(s.count, INT64_MAX)));
  }
  std::stable_sort(d.sites.begin(), d.sites.end(), [](const SiteChange& x, const SiteChange& y) {
    if ((x.after == 0) != (y.after == 0)) return y.after == 0;  // gone sites last
    return x.growth() > y.growth();
  });
  return d;
}

HeapDiff diff_heap(const HeapProfile& before, const HeapProfile& after) {
  HeapDiff d;
  std::unordered_map<std::string, size_t> index;
  for (HeapSite& s : heap_sites(after)) {
    d.inuse_after = sat_add(d.inuse_after, s.inuse_bytes);
    index.emplace(heap_key(s.top), d.sites.size());
    HeapChange c;
    c.site = s;
    c.after = std::move(s);
    d.sites.push_back(std::move(c));
  }
  for (HeapSite& s : heap_sites(before)) {
    d.inuse_before = sat_add(d.inuse_before, s.inuse_bytes);
    auto [it, added] = index.emplace(heap_key(s.top), d.sites.size());
    if (added) {
      HeapChange c;
      c.site = s;
      c.after.top = s.top;
      d.sites.push_back(std::move(c));
    }
    d.sites[it->second].before = std::move(s);
  }
  std::stable_sort(d.sites.begin(), d.sites.end(), [](const HeapChange& x, const HeapChange& y) {
    if (x.growth_bytes() != y.growth_bytes()) return x.growth_bytes() > y.growth_bytes();
    return x.growth_objects() > y.growth_objects();
  });
  return d;
}

Profile goroutine_diff_profile(const Dump& before, const Dump& after) {
  std::map<std::string, std::pair<std::span<const Frame>, int64_t>> stacks;  // ordered: stable output
  auto add = [&](const Dump& dump, int64_t sign) {
    for (const Goroutine& g : dump.goroutines) {
      auto [it, added] = stacks.emplace(stack_key(g.frames), std::make_pair(g.frames, 0));
      int64_t w = static_cast<int64_t>(std::min<uint64_t>(g.weight, INT64_MAX));
      it->second.second = sign > 0 ? sat_add(it->second.second, w) : sat_sub(it->second.second, w);
    }
  };
  add(after, 1);
  add(before, -1);
  ProfileBuilder b;
  b.add_sample_type("goroutine", "count");
  b.profile().period_type = {b.str("goroutine"), b.str("count")};
  b.profile().period = 1;
  for (auto& [key, v] : stacks)
    if (v.second != 0) b.add(v.first, {v.second});
  b.profile().comments.push_back(b.str("leakhound diff: goroutines in AFTER minus BEFORE, per stack"));
  return std::move(b.profile());
}

Profile heap_diff_profile(const HeapProfile& before, const HeapProfile& after) {
  struct Acc {
    std::span<const Frame> stack;
    int64_t v[4] = {0, 0, 0, 0};
  };
  std::map<std::string, Acc> stacks;
  auto add = [&](const HeapProfile& h, int64_t sign) {
    for (const HeapRecord& r : h.records) {
      auto [it, added] = stacks.emplace(stack_key(r.stack), Acc{r.stack});
      const int64_t vals[4] = {r.alloc_objects, r.alloc_bytes, r.inuse_objects, r.inuse_bytes};
      for (int k = 0; k < 4; ++k)
        it->second.v[k] = sign > 0 ? sat_add(it->second.v[k], vals[k]) : sat_sub(it->second.v[k], vals[k]);
    }
  };
  add(after, 1);
  add(before, -1);
  ProfileBuilder b;
  b.add_sample_type("alloc_objects", "count");
  b.add_sample_type("alloc_space", "bytes");
  b.add_sample_type("inuse_objects", "count");
  b.add_sample_type("inuse_space", "bytes");
  b.profile().period_type = {b.str("space"), b.str("bytes")};
  b.profile().period = after.rate > 0 ? after.rate : before.rate;
  for (auto& [key, a] : stacks)
    if (a.v[0] || a.v[1] || a.v[2] || a.v[3]) b.add(a.stack, {a.v[0], a.v[1], a.v[2], a.v[3]});
  b.profile().comments.push_back(b.str("leakhound diff: heap in AFTER minus BEFORE, per stack"));
  return std::move(b.profile());
}

}  // namespace leakhound::rt
