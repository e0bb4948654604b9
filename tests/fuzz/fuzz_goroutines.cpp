// libFuzzer target: any bytes as a goroutine dump, through the parser and the
// grouping. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/goroutines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 20) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto dump = leakhound::rt::parse_full_dump(text);
  auto an = leakhound::rt::analyse(dump);
  (void)an;
  (void)leakhound::rt::looks_like_full_dump(text);
  return 0;
}
