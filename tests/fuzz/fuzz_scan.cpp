// libFuzzer target: any bytes as a Go file through the whole static pipeline
// (tree-sitter front end, our AST, resolver, CFG, resource engine, rules).
// Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scan/scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  std::string src(reinterpret_cast<const char*>(data), size);
  leakhound::scan::ScanOptions o;
  o.jobs = 1;
  o.parse_timeout_seconds = 2.0;
  o.tests = leakhound::scan::TestsMode::Normal;
  auto r = leakhound::scan::scan_sources({{"fuzz.go", src}}, o);
  (void)r;
  return 0;
}
