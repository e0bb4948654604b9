#include "runtime/pprof.h"

#include <zlib.h>

#include <algorithm>
#include <unordered_map>

namespace leakhound::rt {
namespace {

// A protobuf wire-format reader over a byte range; every read is bounds-checked.
struct Reader {
  std::string_view d;
  size_t i = 0;
  bool ok = true;
  bool done() const { return i >= d.size() || !ok; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= d.size()) {
        ok = false;
        return 0;
      }
      uint8_t b = static_cast<uint8_t>(d[i++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (!ok || n > d.size() - i) {
      ok = false;
      return {};
    }
    std::string_view s = d.substr(i, n);
    i += n;
    return s;
  }
  void skip(uint32_t wire) {
    switch (wire) {
      case 0: varint(); break;
      case 1: i + 8 <= d.size() ? (void)(i += 8) : (void)(ok = false); break;
      case 2: bytes(); break;
      case 5: i + 4 <= d.size() ? (void)(i += 4) : (void)(ok = false); break;
      default: ok = false;
    }
  }
};

// A repeated integer field: packed (wire 2) or one value (wire 0).
template <typename T>
void ints(Reader& r, uint32_t wire, std::vector<T>& out) {
  if (wire == 0) {
    out.push_back(static_cast<T>(r.varint()));
    return;
  }
  if (wire != 2) {
    r.skip(wire);
    return;
  }
  Reader p{r.bytes()};
  while (r.ok && !p.done()) out.push_back(static_cast<T>(p.varint()));
  if (!p.ok) r.ok = false;
}

}  // namespace

bool is_gzip(std::string_view data) {
  return data.size() >= 2 && static_cast<uint8_t>(data[0]) == 0x1f && static_cast<uint8_t>(data[1]) == 0x8b;
}

bool gunzip(std::string_view in, std::string& out, size_t cap, std::string& err) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    err = "zlib: cannot initialise";
    return false;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      err = rc == Z_BUF_ERROR ? "gzip data is truncated" : "gzip data is corrupt";
      return false;
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > cap) {
      inflateEnd(&zs);
      err = "decompresses to more than " + std::to_string(cap >> 20) + " MB: refused";
      return false;
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      err = "gzip data is truncated";
      return false;
    }
  }
  inflateEnd(&zs);
  return true;
}

bool decode_profile(std::string_view data, Profile& p, std::string& err) {
  Reader r{data};
  while (!r.done()) {
    uint64_t key = r.varint();
    uint32_t field = static_cast<uint32_t>(key >> 3), wire = static_cast<uint32_t>(key & 7);
    if (!r.ok) break;
    if (wire == 0 && (field == 9 || field == 12 || field == 13)) {
      uint64_t v = r.varint();
      if (field == 9) p.time_nanos = static_cast<int64_t>(v);
      if (field == 12) p.period = static_cast<int64_t>(v);
      if (field == 13) p.comments.push_back(static_cast<int64_t>(v));
      continue;
    }
    if (wire == 2 && field == 13) {
      ints(r, wire, p.comments);
      continue;
    }
    if (wire == 2 && field == 11) {
      Reader m{r.bytes()};
      while (r.ok && m.ok && !m.done()) {
        uint64_t k = m.varint();
        uint32_t f = static_cast<uint32_t>(k >> 3), w = static_cast<uint32_t>(k & 7);
        if (f == 1 && w == 0) p.period_type.first = static_cast<int64_t>(m.varint());
        else if (f == 2 && w == 0) p.period_type.second = static_cast<int64_t>(m.varint());
        else m.skip(w);
      }
      if (!m.ok) r.ok = false;
      continue;
    }
    if (wire == 2 && (field == 1 || field == 2 || field == 4 || field == 5 || field == 6)) {
      Reader m{r.bytes()};
      if (!r.ok) break;
      // a few bytes on the wire per element: cap the counts so a small hostile message cannot take gigabytes
      constexpr size_t kMaxElements = 4u << 20;
      if (p.strings.size() >= kMaxElements || p.samples.size() >= kMaxElements ||
          p.locations.size() >= kMaxElements || p.functions.size() >= kMaxElements) {
        err = "the profile has more than 4 million strings, samples, locations or functions: refused";
        return false;
      }
      if (field == 6) {
        p.strings.emplace_back(m.d);
        continue;
      }
      if (field == 1) p.sample_types.emplace_back(0, 0);
      if (field == 2) p.samples.emplace_back();
      if (field == 4) p.locations.emplace_back();
      if (field == 5) p.functions.emplace_back();
      while (m.ok && !m.done()) {
        uint64_t k = m.varint();
        uint32_t f = static_cast<uint32_t>(k >> 3), w = static_cast<uint32_t>(k & 7);
        if (!m.ok) break;
        if (field == 1 && w == 0 && (f == 1 || f == 2)) {
          (f == 1 ? p.sample_types.back().first : p.sample_types.back().second) = static_cast<int64_t>(m.varint());
        } else if (field == 2 && f == 1) {
          ints(m, w, p.samples.back().locations);
        } else if (field == 2 && f == 2) {
          ints(m, w, p.samples.back().values);
        } else if (field == 4 && f == 1 && w == 0) {
          p.locations.back().id = m.varint();
        } else if (field == 4 && f == 4 && w == 2) {
          Reader l{m.bytes()};
          Profile::Line line;
          while (m.ok && l.ok && !l.done()) {
            uint64_t lk = l.varint();
            uint32_t lf = static_cast<uint32_t>(lk >> 3), lw = static_cast<uint32_t>(lk & 7);
            if (lf == 1 && lw == 0) line.function = l.varint();
            else if (lf == 2 && lw == 0) line.line = static_cast<int64_t>(l.varint());
            else l.skip(lw);
          }
          if (!l.ok) m.ok = false;
          p.locations.back().lines.push_back(line);
        } else if (field == 5 && w == 0 && (f == 1 || f == 2 || f == 4)) {
          uint64_t v = m.varint();
          if (f == 1) p.functions.back().id = v;
          if (f == 2) p.functions.back().name = static_cast<int64_t>(v);
          if (f == 4) p.functions.back().filename = static_cast<int64_t>(v);
        } else {
          m.skip(w);
        }
      }
      if (!m.ok) r.ok = false;
    } else {
      r.skip(wire);
    }
  }
  if (!r.ok) {
    err = "not a valid profile.proto message (truncated or corrupt)";
    return false;
  }
  if (p.strings.empty() || !p.strings[0].empty()) {
    err = "not a profile.proto message (no string table)";
    return false;
  }
  return true;
}

ProfileBuilder::ProfileBuilder() { str(""); }

int64_t ProfileBuilder::str(std::string_view s) {
  auto [it, added] = strings_.emplace(std::string(s), static_cast<int64_t>(p_.strings.size()));
  if (added) p_.strings.emplace_back(s);
  return it->second;
}

void ProfileBuilder::add_sample_type(std::string_view type, std::string_view unit) {
  p_.sample_types.emplace_back(str(type), str(unit));
}

void ProfileBuilder::add(std::span<const Frame> stack, std::vector<int64_t> values) {
  Profile::Sample s;
  for (const Frame& f : stack) {
    auto fkey = std::make_pair(str(f.func), str(f.file));
    auto [fi, fnew] = functions_.emplace(fkey, p_.functions.size() + 1);
    if (fnew) p_.functions.push_back(Profile::Function{fi->second, fkey.first, fkey.second});
    auto lkey = std::make_pair(fi->second, static_cast<int64_t>(f.line));
    auto [li, lnew] = locations_.emplace(lkey, p_.locations.size() + 1);
    if (lnew) p_.locations.push_back(Profile::Location{li->second, {Profile::Line{fi->second, lkey.second}}});
    s.locations.push_back(li->second);
  }
  s.values = std::move(values);
  p_.samples.push_back(std::move(s));
}

int sample_index(const Profile& p, std::string_view type) {
  for (size_t i = 0; i < p.sample_types.size(); ++i)
    if (p.str(p.sample_types[i].first) == type) return static_cast<int>(i);
  return -1;
}

namespace {

// protobuf wire-format writing
struct Writer {
  std::string out;
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  void key(uint32_t field, uint32_t wire) { varint((static_cast<uint64_t>(field) << 3) | wire); }
  void uint(uint32_t field, uint64_t v) {
    key(field, 0);
    varint(v);
  }
  void bytes(uint32_t field, std::string_view b) {
    key(field, 2);
    varint(b.size());
    out.append(b);
  }
  template <typename T>
  void packed(uint32_t field, const std::vector<T>& vs) {
    Writer w;
    for (T v : vs) w.varint(static_cast<uint64_t>(v));  // negative int64: two's complement, as protobuf does
    bytes(field, w.out);
  }
};

std::string value_type(std::pair<int64_t, int64_t> t) {
  Writer w;
  w.uint(1, static_cast<uint64_t>(t.first));
  w.uint(2, static_cast<uint64_t>(t.second));
  return w.out;
}

}  // namespace

std::string encode_profile(const Profile& p) {
  Writer w;
  for (const auto& t : p.sample_types) w.bytes(1, value_type(t));
  for (const auto& s : p.samples) {
    Writer m;
    m.packed(1, s.locations);
    m.packed(2, s.values);
    w.bytes(2, m.out);
  }
  for (const auto& l : p.locations) {
    Writer m;
    m.uint(1, l.id);
    for (const auto& line : l.lines) {
      Writer lw;
      lw.uint(1, line.function);
      lw.uint(2, static_cast<uint64_t>(line.line));
      m.bytes(4, lw.out);
    }
    w.bytes(4, m.out);
  }
  for (const auto& f : p.functions) {
    Writer m;
    m.uint(1, f.id);
    m.uint(2, static_cast<uint64_t>(f.name));
    m.uint(3, static_cast<uint64_t>(f.name));  // system_name
    m.uint(4, static_cast<uint64_t>(f.filename));
    w.bytes(5, m.out);
  }
  for (const auto& s : p.strings) w.bytes(6, s);
  if (p.time_nanos) w.uint(9, static_cast<uint64_t>(p.time_nanos));
  if (p.period_type.first || p.period_type.second) w.bytes(11, value_type(p.period_type));
  if (p.period) w.uint(12, static_cast<uint64_t>(p.period));
  for (int64_t c : p.comments) w.uint(13, static_cast<uint64_t>(c));
  return w.out;
}

bool gzip(std::string_view in, std::string& out, std::string& err) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    err = "zlib: cannot initialise";
    return false;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = deflate(&zs, Z_FINISH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    err = "zlib: compression failed";
    return false;
  }
  return true;
}

StackExpander::StackExpander(const Profile& p) : p_(p) {
  for (const auto& l : p.locations) locs_[l.id] = &l;
  for (const auto& f : p.functions) funcs_[f.id] = &f;
}

bool StackExpander::append(const Profile::Sample& s, std::vector<Frame>& out) {
  size_t stack = 0;
  for (uint64_t id : s.locations) {
    auto li = locs_.find(id);
    if (li == locs_.end()) continue;
    for (const auto& line : li->second->lines) {
      // Go records at most a few hundred frames; a location repeated with many lines is an attack
      if (++stack > kMaxStackFrames || budget_ == 0) return false;
      --budget_;
      auto fi = funcs_.find(line.function);
      Frame f;
      if (fi != funcs_.end()) {
        f.func = p_.str(fi->second->name);
        f.file = p_.str(fi->second->filename);
      }
      f.line = line.line > 0 ? static_cast<uint32_t>(std::min<int64_t>(line.line, UINT32_MAX)) : 0;
      out.push_back(f);
    }
  }
  return true;
}

Dump goroutines_from_profile(const Profile& p) {
  Dump d;
  d.form = Dump::Form::Grouped;
  StackExpander expand(p);
  for (const auto& s : p.samples) {
    Goroutine& g = d.goroutines.emplace_back();
    g.first_frame = d.frames.size();
    g.weight = s.values.empty() || s.values[0] <= 0 ? 1 : std::min<uint64_t>(static_cast<uint64_t>(s.values[0]), uint64_t{1} << 40);
    if (!expand.append(s, d.frames)) d.truncated = true;
    g.state = infer_state(std::span<const Frame>(d.frames).subspan(g.first_frame));
  }
  d.link_frames();
  return d;
}

}  // namespace leakhound::rt
