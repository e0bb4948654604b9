// Finding the Go files to scan, and the module each belongs to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/finding.h"

namespace leakhound::go {

struct DiscoverOptions {
  uint64_t max_file_bytes = 10ull * 1024 * 1024;  // larger files are skipped with a notice
  bool include_tests = true;                      // *_test.go
};

struct DiscoverResult {
  std::vector<std::string> files;            // sorted, unique
  std::vector<report::Notice> notices;       // skipped or unreadable entries
  std::vector<std::string> errors;           // fatal: a path that does not exist
};

// Walks each root (a directory, a file, or "dir/..." / "./..."): *.go files,
// skipping vendor/, testdata/, hidden and "_"-prefixed folders and files.
// Explicitly named files are always taken. Symlinked folders are not followed
// (no loops); symlinked files are.
DiscoverResult discover(const std::vector<std::string>& roots, const DiscoverOptions& opts);

// Reads at most `limit` bytes from the start of a file (the whole file when limit is 0).
bool read_file_prefix(const std::string& path, size_t limit, std::string& out, std::string& error);

// Reads a whole file; false with a message on failure.
bool read_file(const std::string& path, std::string& out, std::string& error);

}  // namespace leakhound::go
