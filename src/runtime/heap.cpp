#include "runtime/heap.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "runtime/text.h"

namespace leakhound::rt {

int64_t sat_add(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}

int64_t sat_sub(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_sub_overflow(a, b, &out)) return b < 0 ? INT64_MAX : INT64_MIN;
  return out;
}

std::pair<int64_t, int64_t> scale_heap_sample(int64_t count, int64_t bytes, int64_t rate) {
  if (count <= 0 || bytes <= 0) return {0, 0};
  if (rate <= 1) return {count, bytes};
  double avg = static_cast<double>(bytes) / static_cast<double>(count);
  double scale = 1 / (1 - std::exp(-avg / static_cast<double>(rate)));
  auto clamp = [](double v) { return v >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(v); };
  return {clamp(static_cast<double>(count) * scale), clamp(static_cast<double>(bytes) * scale)};
}

bool looks_like_heap_text(std::string_view text) { return text.starts_with("heap profile: "); }

namespace {

// "12: 3456" -> (12, 3456)
bool pair_at(std::string_view& s, int64_t& a, int64_t& b) {
  s = trim(s);
  if (s.empty() || !is_digit(s[0])) return false;
  a = static_cast<int64_t>(std::min<uint64_t>(to_u64(s), INT64_MAX));
  size_t colon = s.find(": ");
  if (colon == std::string_view::npos) return false;
  s.remove_prefix(colon + 2);
  if (s.empty() || !is_digit(s[0])) return false;
  b = static_cast<int64_t>(std::min<uint64_t>(to_u64(s), INT64_MAX));
  size_t end = s.find_first_not_of("0123456789");
  s.remove_prefix(end == std::string_view::npos ? s.size() : end);
  return true;
}

// "1: 1024 [2: 2048] @ 0x1 0x2" (the header has the same shape after "heap profile: ")
bool parse_counts(std::string_view s, HeapRecord& r) {
  if (!pair_at(s, r.inuse_objects, r.inuse_bytes)) return false;
  s = trim(s);
  if (s.starts_with("[")) {
    s.remove_prefix(1);
    if (!pair_at(s, r.alloc_objects, r.alloc_bytes)) return false;
    s = trim(s);
    if (!s.starts_with("]")) return false;
    s.remove_prefix(1);
  }
  return trim(s).starts_with("@");
}

}  // namespace

HeapProfile parse_heap_text(std::string_view text) {
  HeapProfile h;
  HeapRecord* r = nullptr;
  bool header = true, done = false;
  for_each_line(text, [&](std::string_view line) {
    std::string_view t = trim(line);
    if (header) {
      header = false;
      // "heap profile: 2: 2048 [3: 4096] @ heap/1048576": the runtime writes twice its MemProfileRate
      size_t at = t.find("@ heap/");
      if (at != std::string_view::npos) h.rate = static_cast<int64_t>(std::min<uint64_t>(to_u64(t.substr(at + 7)), INT64_MAX)) / 2;
      else if (t.find("@ heap_v2/") != std::string_view::npos)
        h.rate = static_cast<int64_t>(std::min<uint64_t>(to_u64(t.substr(t.find("@ heap_v2/") + 10)), INT64_MAX));
      return true;
    }
    if (t.empty()) {
      r = nullptr;
      return true;
    }
    if (t.starts_with("# runtime.MemStats")) {
      done = true;  // the allocator statistics that close the text form
      return false;
    }
    if (is_digit(t[0])) {
      HeapRecord rec;
      rec.first_frame = h.frames.size();
      if (parse_counts(t, rec)) {
        h.records.push_back(rec);
        r = &h.records.back();
        return true;
      }
      r = nullptr;  // its frames belong to no record
    } else if (r && t.starts_with("#")) {
      Frame f;
      if (parse_hash_frame(t, f)) {
        h.frames.push_back(f);
        return true;
      }
    }
    ++h.skipped_lines;
    return true;
  });
  if (!done && r && r->first_frame == h.frames.size()) h.truncated = true;  // ends before the last record's frames
  h.link_frames();
  for (HeapRecord& rec : h.records) {
    std::tie(rec.inuse_objects, rec.inuse_bytes) = scale_heap_sample(rec.inuse_objects, rec.inuse_bytes, h.rate);
    std::tie(rec.alloc_objects, rec.alloc_bytes) = scale_heap_sample(rec.alloc_objects, rec.alloc_bytes, h.rate);
  }
  return h;
}

bool is_heap_profile(const Profile& p) { return sample_index(p, "inuse_space") >= 0; }

HeapProfile heap_from_profile(const Profile& p) {
  HeapProfile h;
  h.rate = p.period;
  const int io = sample_index(p, "inuse_objects"), ib = sample_index(p, "inuse_space"),
            ao = sample_index(p, "alloc_objects"), ab = sample_index(p, "alloc_space");
  auto value = [](const Profile::Sample& s, int i) -> int64_t {
    return i >= 0 && static_cast<size_t>(i) < s.values.size() ? s.values[static_cast<size_t>(i)] : 0;
  };
  StackExpander expand(p);
  for (const auto& s : p.samples) {
    HeapRecord& r = h.records.emplace_back();
    r.first_frame = h.frames.size();
    // the protobuf form is scaled by the runtime already
    r.inuse_objects = value(s, io);
    r.inuse_bytes = value(s, ib);
    r.alloc_objects = value(s, ao);
    r.alloc_bytes = value(s, ab);
    if (!expand.append(s, h.frames)) h.truncated = true;
  }
  h.link_frames();
  return h;
}

const Frame* heap_site_frame(std::span<const Frame> stack) {
  for (const Frame& f : stack)
    if (!f.func.starts_with("runtime.") || f.func == "runtime.malg") return &f;  // malg: goroutine stacks
  return stack.empty() ? nullptr : &stack.front();
}

std::vector<HeapSite> heap_sites(const HeapProfile& h) {
  std::vector<HeapSite> sites;
  struct Key {
    std::string_view func, file;
    uint32_t line;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      std::hash<std::string_view> hs;
      return (hs(k.func) * 1000003u ^ hs(k.file)) * 31u + k.line;
    }
  };
  std::unordered_map<Key, size_t, KeyHash> index;
  std::vector<int64_t> biggest;  // in-use bytes of the record whose stack a site shows
  static const Frame kNone{"?", {}, 0};
  for (const HeapRecord& r : h.records) {
    const Frame* top = heap_site_frame(r.stack);  // inside r.stack, or null when it is empty
    if (!top) top = &kNone;
    auto [it, added] = index.emplace(Key{top->func, top->file, top->line}, sites.size());
    if (added) {
      sites.emplace_back().top = *top;
      biggest.push_back(-1);
    }
    HeapSite& s = sites[it->second];
    s.inuse_objects = sat_add(s.inuse_objects, r.inuse_objects);
    s.inuse_bytes = sat_add(s.inuse_bytes, r.inuse_bytes);
    s.alloc_objects = sat_add(s.alloc_objects, r.alloc_objects);
    s.alloc_bytes = sat_add(s.alloc_bytes, r.alloc_bytes);
    if (r.inuse_bytes > biggest[it->second]) {
      biggest[it->second] = r.inuse_bytes;
      s.stack.clear();
      if (r.stack.empty()) s.stack.push_back(*top);
      else
        for (size_t i = static_cast<size_t>(top - r.stack.data()); i < r.stack.size(); ++i) s.stack.push_back(r.stack[i]);
    }
  }
  std::stable_sort(sites.begin(), sites.end(), [](const HeapSite& a, const HeapSite& b) {
    if (a.inuse_bytes != b.inuse_bytes) return a.inuse_bytes > b.inuse_bytes;
    if (a.inuse_objects != b.inuse_objects) return a.inuse_objects > b.inuse_objects;
    return a.alloc_bytes > b.alloc_bytes;
  });
  return sites;
}

}  // namespace leakhound::rt
