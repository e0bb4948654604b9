#include "cli/profiles.h"

#include <fmt/format.h>

namespace leakhound::cli {

std::unique_ptr<LoadedProfile> parse_text(std::unique_ptr<LoadedProfile> p, std::string_view data, std::string& err);

namespace {

constexpr size_t kMaxDecompressed = 512ull << 20;

bool looks_like_html(std::string_view d) {
  size_t i = d.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos) return false;
  d = d.substr(i, 64);
  for (std::string_view tag : {"<!DOCTYPE", "<!doctype", "<html", "<HTML", "<head", "<body"})
    if (d.starts_with(tag)) return true;
  return false;
}

}  // namespace

std::unique_ptr<LoadedProfile> load_profile(const std::string& spec, bool heap, const rt::FetchOptions& opt,
                                            std::string& err) {
  auto p = std::make_unique<LoadedProfile>();
  if (!rt::load_input(spec, p->input, err, opt, heap ? "/debug/pprof/heap" : "/debug/pprof/goroutine?debug=2"))
    return nullptr;
  std::string_view data = p->input.data();
  const std::string& name = p->input.name();
  // protobuf: gzip'd as pprof writes it, or plain (a Profile message starts with field 1, a sample type)
  bool plain_proto = !data.empty() && data[0] == 0x0a && data.find('\0') != std::string_view::npos;
  if (rt::is_gzip(data) || plain_proto) {
    std::string_view msg = data;
    if (rt::is_gzip(data)) {
      if (!rt::gunzip(data, p->raw, kMaxDecompressed, err)) {
        err = name + ": " + err;
        return nullptr;
      }
      msg = p->raw;
    }
    if (!rt::decode_profile(msg, p->prof, err)) {
      // a gzip'd text dump (dump.txt.gz) is not a protobuf: read the text inside
      if (rt::is_gzip(data) && (rt::looks_like_full_dump(p->raw) || rt::looks_like_grouped_profile(p->raw) ||
                                rt::looks_like_heap_text(p->raw)))
      {
        std::string_view raw = p->raw;  // the text views the decompressed buffer, which p keeps
        return parse_text(std::move(p), raw, err);
      }
      err = name + ": " + err;
      return nullptr;
    }
    std::string_view type = p->prof.sample_types.empty() ? "" : p->prof.str(p->prof.sample_types[0].first);
    for (const auto& s : p->prof.samples)
      if (!s.values.empty() && s.values[0] < 0) {
        err = name + ": a difference profile (negative counts, as `leakhound diff --write-pprof` writes): open it with "
                     "go tool pprof, or diff the two snapshots it came from";
        return nullptr;
      }
    if (type == "goroutine" || type == "goroutineleak") {
      p->kind = LoadedProfile::Kind::Goroutines;
      p->dump = rt::goroutines_from_profile(p->prof);
      p->form = "goroutine profile (protobuf, debug=0)";
      // Go 1.26's leak profile names its sample type after the profile
      if (type == "goroutineleak") {
        p->dump.proven = true;
        for (auto& g : p->dump.goroutines) g.leaked = true;
        p->form = "goroutine leak profile (protobuf)";
      }
    } else if (rt::is_heap_profile(p->prof)) {
      p->kind = LoadedProfile::Kind::Heap;
      p->heap = rt::heap_from_profile(p->prof);
      p->form = "heap profile (protobuf)";
    } else {
      err = fmt::format("{}: a pprof profile of `{}`, not a goroutine or heap profile", name,
                        type.empty() ? "nothing" : type);
      return nullptr;
    }
    return p;
  }
  return parse_text(std::move(p), data, err);
}

std::unique_ptr<LoadedProfile> parse_text(std::unique_ptr<LoadedProfile> p, std::string_view data, std::string& err) {
  const std::string& name = p->input.name();
  if (rt::looks_like_heap_text(data)) {
    p->kind = LoadedProfile::Kind::Heap;
    p->heap = rt::parse_heap_text(data);
    p->form = "heap profile (text, debug=1)";
    return p;
  }
  if (rt::looks_like_grouped_profile(data)) {
    p->dump = rt::parse_grouped_profile(data);
    p->form = p->dump.proven ? "goroutine leak profile (debug=1)" : "goroutine profile (grouped text, debug=1)";
    return p;
  }
  if (rt::looks_like_full_dump(data)) {
    p->dump = rt::parse_full_dump(data);
    p->form = "full goroutine dump (debug=2)";
    return p;
  }
  if (data.empty())
    err = name + ": empty: no goroutine dump or heap profile in it";
  else if (looks_like_html(data))
    err = name + ": an HTML page, not a profile (is this the pprof index? use /debug/pprof/goroutine?debug=2)";
  else
    err = name +
          ": not a goroutine dump or heap profile: leakhound reads full dumps (debug=2: runtime.Stack, SIGQUIT, "
          "panics, test timeouts), grouped profiles (debug=1, also goroutineleak), heap profiles (debug=1 text) and "
          "gzip'd protobuf profiles (debug=0)";
  return nullptr;
}

}  // namespace leakhound::cli
