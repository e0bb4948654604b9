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
  std::string go_build;                // the `//go:build` expression before the package clause, if any
  std::vector<std::string> plus_build;  // `// +build` lines (old syntax), each without the prefix
};

FileHeader scan_header(std::string_view src);

// Can the file's build constraints hold for a module whose go.mod says `go`
// major.minor? Release tags go1.N up to that version are true; every other tag
// (GOOS, GOARCH, cgo, `ignore`, custom) may be either. Returns false only when
// the constraint is false whatever those tags are (`!go1.7` in a go 1.17 module).
bool build_constraint_can_hold(const FileHeader& h, int go_major, int go_minor);

// Is the file tagged `ignore` (a program run with `go run`, such as a generator)?
bool is_go_run_program(const FileHeader& h);

}  // namespace leakhound::go
