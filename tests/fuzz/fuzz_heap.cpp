// libFuzzer target: any bytes as a heap profile's text form (debug=1), through
// the parser, the scaling, the allocation sites and a diff written as a
// profile. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/diff.h"
#include "runtime/heap.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 20) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)leakhound::rt::looks_like_heap_text(text);
  auto h = leakhound::rt::parse_heap_text(text);
  auto sites = leakhound::rt::heap_sites(h);
  (void)sites;
  auto empty = leakhound::rt::parse_heap_text("");
  auto d = leakhound::rt::diff_heap(empty, h);
  (void)d;
  auto prof = leakhound::rt::heap_diff_profile(h, empty);
  (void)leakhound::rt::encode_profile(prof);
  return 0;
}
