// What the analysers produce: findings (a leak at a source position) and
// notices (input the tool could not fully handle: skipped files, syntax errors).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace leakhound::report {

enum class Severity : uint8_t { Info, Warning, Error };
std::string_view severity_name(Severity s);

struct Related {
  std::string file;
  uint32_t line = 0;
  uint32_t col = 0;
  std::string message;
};

struct Finding {
  std::string rule;      // e.g. "body-close"
  Severity severity = Severity::Warning;
  std::string file;
  uint32_t line = 0;
  uint32_t col = 0;
  std::string message;   // what leaks and on which path
  std::string fix;       // how to fix it
  std::string source_line;
  std::vector<Related> related;  // the leaking exit, etc.
  std::string function;          // the function (or literal) it is in, when known
  uint32_t func_line = 0, func_end = 0;  // that function's first and last lines
};

struct Notice {
  std::string file;
  uint32_t line = 0;
  std::string message;
};

// Sort by file, line, column, rule; drop exact duplicates.
void sort_and_dedupe(std::vector<Finding>& findings);

}  // namespace leakhound::report
