// Pieces the runtime subcommands (goroutines, diff) share: styling, sizes,
// locations, JSON shapes, fetch options and the long-lived list.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "runtime/goroutines.h"
#include "runtime/heap.h"
#include "runtime/source.h"

namespace leakhound::cli {

// ANSI styling when writing to a terminal (--color auto|always|never, NO_COLOR).
class Style {
 public:
  explicit Style(const std::string& color);
  std::string red(std::string_view s) const { return wrap("\033[1;31m", s); }
  std::string yellow(std::string_view s) const { return wrap("\033[33m", s); }
  std::string bold(std::string_view s) const { return wrap("\033[1m", s); }
  std::string dim(std::string_view s) const { return wrap("\033[2m", s); }
  // the function name, dimmed when it is the standard library's
  std::string frame_func(const rt::Frame& f) const;

 private:
  std::string wrap(const char* code, std::string_view s) const;
  bool on_ = false;
};

std::string printable(std::string_view s);     // control bytes (terminal escapes) replaced by '?'
std::string human_bytes(int64_t b);            // "1.5 MB", "-512 B"
std::string location(const rt::Frame& f);     // "file:line" or "?"
// The stack, runtime frames already folded by the analysis; at most `max` frames.
void print_stack(std::ostream& out, const Style& st, std::span<const rt::Frame> stack, size_t max);

rt::FetchOptions fetch_options(const FetchArgs& a);
std::vector<std::string> long_lived_list(const std::vector<std::string>& extra, bool no_defaults);

nlohmann::json frames_json(std::span<const rt::Frame> stack);
nlohmann::json site_json(const rt::Site& s);
nlohmann::json heap_site_json(const rt::HeapSite& s);

}  // namespace leakhound::cli
