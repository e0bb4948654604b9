// libFuzzer target: any bytes as a grouped goroutine profile (debug=1, also
// Go 1.26's goroutineleak), through the parser and the grouping. Must never
// crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/goroutines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 20) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)leakhound::rt::looks_like_grouped_profile(text);
  auto dump = leakhound::rt::parse_grouped_profile(text);
  auto an = leakhound::rt::analyse(dump);
  (void)an;
  return 0;
}
