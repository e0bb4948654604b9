#include "runtime/text.h"

#include <algorithm>
#include <array>

namespace leakhound::rt {

uint64_t to_u64(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) break;
    if (v > (UINT64_MAX - 9) / 10) return v;  // saturate on absurd input
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_location(std::string_view s, Frame& f) {
  s = trim(s);
  // "file:line +0x1f fp=.. sp=.. pc=..": the file may hold spaces (C:/Program Files/Go/...), so cut at the
  // offset or the frame pointers, not at the first space
  size_t cut = s.find(" +0x");
  if (cut == std::string_view::npos) cut = s.find(" fp=");
  std::string_view loc = trim(s.substr(0, cut));
  size_t colon = loc.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= loc.size() || !is_digit(loc[colon + 1])) return false;
  f.file = loc.substr(0, colon);
  f.line = static_cast<uint32_t>(std::min<uint64_t>(to_u64(loc.substr(colon + 1)), UINT32_MAX));
  return true;
}

bool parse_hash_frame(std::string_view t, Frame& f) {
  if (!t.starts_with("#")) return false;
  std::array<std::string_view, 3> fields;
  size_t n = 0;
  std::string_view rest = t.substr(1);
  // Go separates the fields with tabs; names (generic shapes) and paths may hold spaces. Spaces separate
  // only when there is no tab (a copy-paste that lost them).
  const char* seps = rest.find('\t') != std::string_view::npos ? "\t" : "\t ";
  while (!rest.empty() && n < fields.size()) {
    size_t tab = n == 2 ? std::string_view::npos : rest.find_first_of(seps);
    std::string_view part = rest.substr(0, tab);
    if (!part.empty()) fields[n++] = part;
    if (tab == std::string_view::npos) break;
    rest = rest.substr(tab + 1);
  }
  if (n < 3 || !fields[0].starts_with("0x")) return false;
  std::string_view fn = fields[1];
  f.func = fn.substr(0, fn.rfind("+0x"));
  f.file = {};
  f.line = 0;
  parse_location(fields[2], f);
  return true;
}

}  // namespace leakhound::rt
