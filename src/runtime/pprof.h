// pprof's protobuf profiles (the debug=0 form of /debug/pprof/goroutine and
// friends): gzip-compressed perftools.profiles.Profile messages. A small
// reader for the fields leakhound needs (see the field numbers in
// ../shared/reference/runtime-formats.md).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/goroutines.h"

namespace leakhound::rt {

// Is this gzip data (the form pprof writes)?
bool is_gzip(std::string_view data);

// Decompresses gzip data, refusing to produce more than `cap` bytes (a
// decompression bomb guard). Returns false with `err` set on failure.
bool gunzip(std::string_view in, std::string& out, size_t cap, std::string& err);

struct Profile {
  struct Sample {
    std::vector<uint64_t> locations;  // leaf first
    std::vector<int64_t> values;
  };
  struct Line {
    uint64_t function = 0;
    int64_t line = 0;
  };
  struct Location {
    uint64_t id = 0;
    std::vector<Line> lines;  // inlined calls: callee first
  };
  struct Function {
    uint64_t id = 0;
    int64_t name = 0, filename = 0;  // string table indexes
  };
  std::vector<std::pair<int64_t, int64_t>> sample_types;  // (type, unit) string indexes
  std::pair<int64_t, int64_t> period_type{0, 0};          // heap: ("space", "bytes")
  int64_t period = 0;                                     // heap: the sampling rate in bytes
  int64_t time_nanos = 0;
  std::vector<int64_t> comments;                          // string indexes
  std::vector<Sample> samples;
  std::vector<Location> locations;
  std::vector<Function> functions;
  std::vector<std::string> strings;
  std::string_view str(int64_t i) const {
    return i >= 0 && static_cast<size_t>(i) < strings.size() ? std::string_view(strings[static_cast<size_t>(i)]) : "";
  }
};

// Bounds on the frames a profile may expand to: per stack, and in all.
constexpr size_t kMaxStackFrames = 1024;
constexpr size_t kMaxProfileFrames = 16u << 20;

// Decodes an (uncompressed) Profile message. Returns false with `err` on malformed input.
bool decode_profile(std::string_view data, Profile& out, std::string& err);

// Encodes a Profile message (uncompressed); the writer's half of decode_profile.
std::string encode_profile(const Profile& p);

// Builds a Profile from stacks (each frame one location), for writing.
class ProfileBuilder {
 public:
  ProfileBuilder();
  int64_t str(std::string_view s);  // the string's table index, added when new
  void add_sample_type(std::string_view type, std::string_view unit);
  void add(std::span<const Frame> stack, std::vector<int64_t> values);
  Profile& profile() { return p_; }

 private:
  Profile p_;
  std::unordered_map<std::string, int64_t> strings_;
  std::map<std::pair<int64_t, int64_t>, uint64_t> functions_;  // (name, file) -> id
  std::map<std::pair<uint64_t, int64_t>, uint64_t> locations_;  // (function, line) -> id
};

// gzip-compresses `in` (the form pprof tools expect on disk).
bool gzip(std::string_view in, std::string& out, std::string& err);

// The index of the sample type named `type` ("inuse_space"), -1 when absent.
int sample_index(const Profile& p, std::string_view type);

// Turns samples' location lists into frames (inlined calls expanded, callee first), within the
// per-stack and total bounds above.
class StackExpander {
 public:
  explicit StackExpander(const Profile& p);
  // Appends the sample's frames to `out`; false when a bound cut the stack short.
  bool append(const Profile::Sample& s, std::vector<Frame>& out);

 private:
  const Profile& p_;
  std::unordered_map<uint64_t, const Profile::Location*> locs_;
  std::unordered_map<uint64_t, const Profile::Function*> funcs_;
  size_t budget_ = kMaxProfileFrames;
};

// A goroutine profile as a grouped dump (one entry per stack, weighted by its count).
Dump goroutines_from_profile(const Profile& p);

}  // namespace leakhound::rt
