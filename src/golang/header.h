// A fast scan of a Go file's head (package clause and imports) without a full
// parse, so packages can be scheduled in import order before they are parsed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace leakhound::go {

struct FileHeader {
  std::string package_name;          // "" when there is no package clause
  std::vector<std::string> imports;  // import paths
  bool generated = false;            // "// Code generated ... DO NOT EDIT." before the package clause
  bool binary = false;               // NUL bytes: not Go source
  bool complete = false;             // the scan reached the first declaration after the imports
};

FileHeader scan_header(std::string_view src);

}  // namespace leakhound::go
