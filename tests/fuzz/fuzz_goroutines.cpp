// libFuzzer target: any bytes as a full goroutine dump (debug=2), through the
// parser, the grouping, a diff against itself and the difference written as a
// profile and read back. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/diff.h"
#include "runtime/goroutines.h"
#include "runtime/pprof.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 20) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)leakhound::rt::looks_like_full_dump(text);
  auto dump = leakhound::rt::parse_full_dump(text);
  auto an = leakhound::rt::analyse(dump);
  (void)an;
  auto empty = leakhound::rt::parse_full_dump("");
  auto d = leakhound::rt::diff_goroutines(empty, dump);
  (void)d;
  auto prof = leakhound::rt::goroutine_diff_profile(empty, dump);
  leakhound::rt::Profile back;
  std::string err;
  if (!leakhound::rt::decode_profile(leakhound::rt::encode_profile(prof), back, err)) __builtin_trap();
  return 0;
}
