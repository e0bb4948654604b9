#include "golang/gomod.h"

#include <filesystem>
#include <sstream>

#include "golang/discover.h"

namespace leakhound::go {
namespace fs = std::filesystem;

static std::string trim(std::string s) {
  auto c = s.find("//");
  if (c != std::string::npos) s.erase(c);
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

GoMod parse_gomod(const std::string& text) {
  GoMod m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.starts_with("module ") || line.starts_with("module\t")) {
      std::string v = trim(line.substr(7));
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '`')) v = v.substr(1, v.size() - 2);
      m.module_path = v;
    } else if (line.starts_with("go ") || line.starts_with("go\t")) {
      std::string v = trim(line.substr(3));
      int maj = 0, min = 0;
      if (std::sscanf(v.c_str(), "%d.%d", &maj, &min) == 2) {
        m.go.major = maj;
        m.go.minor = min;
        m.go.known = true;
      }
    }
  }
  return m;
}

std::optional<GoMod> find_gomod(const std::string& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(start), ec);
  if (ec) return std::nullopt;
  dir = dir.lexically_normal();
  for (int depth = 0; depth < 256; ++depth) {
    fs::path candidate = dir / "go.mod";
    if (fs::is_regular_file(candidate, ec)) {
      std::string text, err;
      if (read_file(candidate.string(), text, err)) {
        GoMod m = parse_gomod(text);
        m.dir = dir.string();
        return m;
      }
      return std::nullopt;
    }
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

}  // namespace leakhound::go
