// Small pieces shared by the text parsers of goroutine and heap profiles.
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/goroutines.h"

namespace leakhound::rt {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Leading decimal digits as a number (saturating on absurd input); 0 when none.
uint64_t to_u64(std::string_view s);

// Without surrounding blanks and a trailing CR.
std::string_view trim(std::string_view s);

// "\t/src/app/worker.go:42 +0x5d fp=..." -> file and line; false when it is not a location.
bool parse_location(std::string_view s, Frame& f);

// A frame line of the grouped forms (debug=1 goroutine and heap profiles):
// "#\t0x428c06\tinternal/poll.runtime_pollWait+0x56\t\t/usr/lib/go/src/runtime/netpoll.go:173".
bool parse_hash_frame(std::string_view t, Frame& f);

// Calls fn(line) for each line (without its newline or CRs); stops early when fn returns false.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t e = text.find('\n', pos);
    std::string_view line = text.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos);
    pos = e == std::string_view::npos ? text.size() : e + 1;
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!fn(line)) return;
  }
}

}  // namespace leakhound::rt
