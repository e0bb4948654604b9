// libFuzzer target: any bytes as a pprof profile, gzip'd (with a decompression
// cap) or raw protobuf, through the decoder and the conversion to goroutine
// sites and heap sites. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/diff.h"
#include "runtime/heap.h"
#include "runtime/pprof.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 20) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string raw, err;
  std::string_view msg = in;
  if (leakhound::rt::is_gzip(in)) {
    if (!leakhound::rt::gunzip(in, raw, 16u << 20, err)) return 0;
    msg = raw;
  }
  leakhound::rt::Profile p;
  if (!leakhound::rt::decode_profile(msg, p, err)) return 0;
  auto an = leakhound::rt::analyse(leakhound::rt::goroutines_from_profile(p));
  (void)an;
  // the same bytes as a heap profile, and a diff of it written back
  auto h = leakhound::rt::heap_from_profile(p);
  auto sites = leakhound::rt::heap_sites(h);
  (void)sites;
  leakhound::rt::Profile back;
  if (!leakhound::rt::decode_profile(leakhound::rt::encode_profile(leakhound::rt::heap_diff_profile(h, h)), back, err))
    __builtin_trap();
  return 0;
}
