#include "report/suppress.h"

#include <cstdint>
#include <string>

namespace leakhound::report {
namespace {

// Does this source line carry an ignore directive naming `rule`?
bool line_ignores(std::string_view text, std::string_view rule) {
  constexpr std::string_view kTag = "//leakhound:ignore";
  size_t p = text.find(kTag);
  if (p == std::string_view::npos) return false;
  std::string_view rest = text.substr(p + kTag.size());
  if (rest.empty() || (rest[0] != ' ' && rest[0] != '\t')) return false;
  size_t b = rest.find_first_not_of(" \t");
  if (b == std::string_view::npos) return false;
  rest = rest.substr(b);
  std::string_view names = rest.substr(0, rest.find_first_of(" \t\r"));
  while (!names.empty()) {
    size_t comma = names.find(',');
    std::string_view n = names.substr(0, comma);
    if (n == rule || n == "all") return true;
    if (comma == std::string_view::npos) break;
    names.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool is_suppressed(std::string_view src, uint32_t line, std::string_view rule) {
  if (line == 0) return false;
  // find the start of line-1 and line
  size_t pos = 0;
  uint32_t cur = 1;
  size_t prev_start = std::string_view::npos;
  while (cur < line) {
    size_t nl = src.find('\n', pos);
    if (nl == std::string_view::npos) return false;
    if (cur == line - 1) prev_start = pos;
    pos = nl + 1;
    ++cur;
  }
  auto line_at = [&](size_t start) {
    size_t e = src.find('\n', start);
    return src.substr(start, e == std::string_view::npos ? std::string_view::npos : e - start);
  };
  if (line_ignores(line_at(pos), rule)) return true;
  if (prev_start != std::string_view::npos && line_ignores(line_at(prev_start), rule)) return true;
  return false;
}

}  // namespace leakhound::report
