#include "cli/runtime_common.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

namespace leakhound::cli {

Style::Style(const std::string& color)
    : on_(color == "always" || (color == "auto" && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr)) {}

std::string Style::wrap(const char* code, std::string_view s) const {
  if (!on_) return std::string(s);
  return std::string(code) + std::string(s) + "\033[0m";
}

std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // no terminal escapes from a remote endpoint
  return out;
}

std::string Style::frame_func(const rt::Frame& f) const {
  return rt::is_stdlib_frame(f) ? dim(printable(f.func)) : printable(f.func);
}

std::string human_bytes(int64_t b) {
  double v = b < 0 ? -static_cast<double>(b) : static_cast<double>(b);
  const char* sign = b < 0 ? "-" : "";
  if (v < 1024) return fmt::format("{}{} B", sign, static_cast<int64_t>(v));
  if (v < 1024.0 * 1024) return fmt::format("{}{:.1f} kB", sign, v / 1024);
  if (v < 1024.0 * 1024 * 1024) return fmt::format("{}{:.1f} MB", sign, v / (1024.0 * 1024));
  return fmt::format("{}{:.2f} GB", sign, v / (1024.0 * 1024 * 1024));
}

std::string location(const rt::Frame& f) {
  return f.file.empty() ? "?" : fmt::format("{}:{}", printable(f.file), f.line);
}

void print_stack(std::ostream& out, const Style& st, std::span<const rt::Frame> stack, size_t max) {
  for (size_t i = 0; i < stack.size() && i < max; ++i)
    out << fmt::format("      {} {}\n", st.frame_func(stack[i]), st.dim(location(stack[i])));
  if (stack.size() > max) out << fmt::format("      ... {} more frames\n", stack.size() - max);
}

rt::FetchOptions fetch_options(const FetchArgs& a) {
  rt::FetchOptions o;
  o.connect_timeout = a.connect_timeout;
  o.timeout = a.timeout;
  o.max_bytes = static_cast<size_t>(a.max_size_mb * 1024 * 1024);
  return o;
}

std::vector<std::string> long_lived_list(const std::vector<std::string>& extra, bool no_defaults) {
  std::vector<std::string> list;
  if (!no_defaults) list = rt::default_long_lived();
  list.insert(list.end(), extra.begin(), extra.end());
  return list;
}

nlohmann::json frames_json(std::span<const rt::Frame> stack) {
  nlohmann::json js = nlohmann::json::array();
  for (const auto& f : stack) js.push_back({{"func", f.func}, {"file", f.file}, {"line", f.line}});
  return js;
}

nlohmann::json site_json(const rt::Site& s) {
  return {{"state", s.state},
          {"count", s.count},
          {"func", s.top.func},
          {"file", s.top.file},
          {"line", s.top.line},
          {"created_by", s.created_by},
          {"created_at", location(s.created_at)},
          {"min_minutes", s.min_minutes},
          {"max_minutes", s.max_minutes},
          {"known_long_lived", s.known_long_lived},
          {"proven", s.proven},
          {"score", s.score},
          {"why", s.why},
          {"ids", s.ids},
          {"stack", frames_json(s.stack)}};
}

nlohmann::json heap_site_json(const rt::HeapSite& s) {
  return {{"func", s.top.func},
          {"file", s.top.file},
          {"line", s.top.line},
          {"inuse_bytes", s.inuse_bytes},
          {"inuse_objects", s.inuse_objects},
          {"alloc_bytes", s.alloc_bytes},
          {"alloc_objects", s.alloc_objects},
          {"stack", frames_json(s.stack)}};
}

}  // namespace leakhound::cli
