#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "runtime/goroutines.h"
#include "runtime/pprof.h"

namespace leakhound::cli {
namespace {

constexpr size_t kMaxInput = 1ull << 30;  // 1 GB: the pprof handler itself stops at 64 MB
constexpr double kSuspect = 3.0;           // a site scoring this much is reported as a suspect

bool read_source(const std::string& source, std::string& out, std::string& err) {
  std::istream* in = &std::cin;
  std::ifstream file;
  if (source != "-") {
    file.open(source, std::ios::binary);
    if (!file) {
      err = "cannot read " + source;
      return false;
    }
    in = &file;
    file.seekg(0, std::ios::end);
    auto size = file.tellg();
    file.seekg(0, std::ios::beg);
    if (size > 0 && static_cast<size_t>(size) <= kMaxInput) {
      // a regular file: one read into a buffer of its size (the loop below takes what it grew by)
      out.resize(static_cast<size_t>(size));
      file.read(out.data(), size);
      out.resize(static_cast<size_t>(file.gcount()));
      file.clear();
    }
  }
  char buf[1 << 16];
  while (in->read(buf, sizeof buf) || in->gcount() > 0) {
    out.append(buf, static_cast<size_t>(in->gcount()));
    if (out.size() > kMaxInput) {
      err = source + ": larger than 1 GB, not read";
      return false;
    }
  }
  return true;
}

std::string loc(const rt::Frame& f) { return f.file.empty() ? "?" : fmt::format("{}:{}", f.file, f.line); }

std::string minutes(const rt::Site& s) {
  if (s.max_minutes < 0) return "under 1 min";
  if (s.min_minutes == s.max_minutes) return fmt::format("{} min", s.max_minutes);
  return fmt::format("{}-{} min", s.min_minutes, s.max_minutes);
}

}  // namespace

int cmd_goroutines(const GoroutinesArgs& a) {
  std::string text, err;
  if (!read_source(a.source, text, err)) {
    std::cerr << "leakhound: " << err << "\n";
    return 2;
  }
  rt::Dump dump;
  if (rt::is_gzip(text)) {
    // the protobuf form (debug=0): gzip'd profile.proto
    std::string raw;
    rt::Profile prof;
    if (!rt::gunzip(text, raw, 512ull << 20, err) || !rt::decode_profile(raw, prof, err)) {
      std::cerr << "leakhound: " << (a.source == "-" ? "stdin" : a.source) << ": " << err << "\n";
      return 2;
    }
    bool goroutine = !prof.sample_types.empty() && prof.str(prof.sample_types[0].first) == "goroutine";
    if (!goroutine) {
      std::cerr << "leakhound: " << (a.source == "-" ? "stdin" : a.source)
                << ": a pprof profile, but not a goroutine profile (sample type `"
                << (prof.sample_types.empty() ? "" : std::string(prof.str(prof.sample_types[0].first)))
                << "`); heap profiles are not supported yet\n";
      return 2;
    }
    dump = rt::goroutines_from_profile(prof);
  } else if (rt::looks_like_grouped_profile(text)) {
    dump = rt::parse_grouped_profile(text);
  } else if (rt::looks_like_full_dump(text)) {
    dump = rt::parse_full_dump(text);
  } else {
    std::cerr << "leakhound: " << (a.source == "-" ? "stdin" : a.source)
              << ": not a goroutine dump: this build reads the full text form (debug=2: runtime.Stack, SIGQUIT, "
                 "panics), the grouped text form (debug=1) and gzip'd protobuf (debug=0)\n";
    return 2;
  }
  rt::Analysis an = rt::analyse(dump);
  size_t suspects = 0;
  for (const auto& s : an.sites)
    if (!s.known_long_lived && s.score >= kSuspect) ++suspects;

  if (a.format == "json") {
    nlohmann::json sites = nlohmann::json::array();
    for (const auto& s : an.sites) {
      nlohmann::json stack = nlohmann::json::array();
      for (const auto& f : s.stack) stack.push_back({{"func", f.func}, {"file", f.file}, {"line", f.line}});
      sites.push_back({{"state", s.state},
                       {"count", s.count},
                       {"func", s.top.func},
                       {"file", s.top.file},
                       {"line", s.top.line},
                       {"created_by", s.created_by},
                       {"created_at", loc(s.created_at)},
                       {"min_minutes", s.min_minutes},
                       {"max_minutes", s.max_minutes},
                       {"suspect", !s.known_long_lived && s.score >= kSuspect},
                       {"known_long_lived", s.known_long_lived},
                       {"score", s.score},
                       {"why", s.why},
                       {"ids", s.ids},
                       {"stack", stack}});
    }
    nlohmann::json out = {{"goroutines", an.total},
                          {"sites", sites},
                          {"suspect_sites", suspects},
                          {"set_aside", an.set_aside},
                          {"skipped_lines", dump.skipped_lines},
                          {"truncated", dump.truncated}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << fmt::format("{} goroutines in {} sites; {} suspect sites; {} goroutines on known long-lived sites set "
                             "aside{}\n",
                             an.total, an.sites.size(), suspects, an.set_aside,
                             dump.truncated ? " (the dump is truncated)" : "");
    for (const auto& s : an.sites) {
      bool suspect = !s.known_long_lived && s.score >= kSuspect;
      if (!suspect && !a.all) continue;
      std::cout << fmt::format("\n{} {} x{} [{}, {}] {}\n", suspect ? "SUSPECT" : s.known_long_lived ? "expected" : "other",
                               s.top.func, s.count, s.state, minutes(s), loc(s.top));
      std::cout << fmt::format("    why: {}\n", s.why.empty() ? "known long-lived goroutine" : s.why);
      if (!s.created_by.empty()) std::cout << fmt::format("    created by {} at {}\n", s.created_by, loc(s.created_at));
      for (size_t i = 0; i < s.stack.size() && i < 8; ++i)
        std::cout << fmt::format("      {} {}\n", s.stack[i].func, loc(s.stack[i]));
      std::string ids;
      for (size_t i = 0; i < s.ids.size() && i < a.max_ids; ++i) ids += (i ? " " : "") + std::to_string(s.ids[i]);
      if (s.ids.size() > a.max_ids) ids += fmt::format(" (+{} more)", s.count - a.max_ids);
      std::cout << fmt::format("    goroutines: {}\n", ids);
    }
    if (dump.skipped_lines) std::cerr << fmt::format("note: {} lines outside any goroutine were skipped\n", dump.skipped_lines);
  }
  return suspects ? 1 : 0;
}

}  // namespace leakhound::cli
