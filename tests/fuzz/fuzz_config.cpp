// libFuzzer target: any bytes as a .leakhound.toml. Must either load or throw
// ConfigError; never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  try {
    auto cfg = leakhound::config::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
    (void)cfg;
  } catch (const leakhound::config::ConfigError&) {
  }
  return 0;
}
