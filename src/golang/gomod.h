// go.mod: the module path and the `go` language version, which gates rules.
#pragma once

#include <optional>
#include <string>

namespace leakhound::go {

struct GoVersion {
  int major = 1;
  int minor = 99;  // without a go line, assume the newest
  bool known = false;
  bool at_least(int maj, int min) const { return major > maj || (major == maj && minor >= min); }
  std::string str() const { return std::to_string(major) + "." + std::to_string(minor); }
};

struct GoMod {
  std::string dir;          // folder holding go.mod
  std::string module_path;  // "" when the file has no module line
  GoVersion go;
};

// Parses go.mod text (module and go directives; everything else is ignored).
GoMod parse_gomod(const std::string& text);

// Finds the nearest go.mod in `dir` or above; nullopt when there is none.
std::optional<GoMod> find_gomod(const std::string& dir);

}  // namespace leakhound::go
