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
    if (wire == 2 && (field == 1 || field == 2 || field == 4 || field == 5 || field == 6)) {
      Reader m{r.bytes()};
      if (!r.ok) break;
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

Dump goroutines_from_profile(const Profile& p) {
  Dump d;
  d.form = Dump::Form::Grouped;
  std::unordered_map<uint64_t, const Profile::Location*> locs;
  std::unordered_map<uint64_t, const Profile::Function*> funcs;
  for (const auto& l : p.locations) locs[l.id] = &l;
  for (const auto& f : p.functions) funcs[f.id] = &f;
  for (const auto& s : p.samples) {
    Goroutine g;
    g.weight = s.values.empty() || s.values[0] <= 0 ? 1 : static_cast<uint64_t>(s.values[0]);
    for (uint64_t id : s.locations) {
      auto li = locs.find(id);
      if (li == locs.end()) continue;
      for (const auto& line : li->second->lines) {
        auto fi = funcs.find(line.function);
        Frame f;
        if (fi != funcs.end()) {
          f.func = std::string(p.str(fi->second->name));
          f.file = std::string(p.str(fi->second->filename));
        }
        f.line = line.line > 0 ? static_cast<uint32_t>(std::min<int64_t>(line.line, UINT32_MAX)) : 0;
        g.frames.push_back(std::move(f));
      }
    }
    g.state = infer_state(g.frames);
    d.goroutines.push_back(std::move(g));
  }
  return d;
}

}  // namespace leakhound::rt
