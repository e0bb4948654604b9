// Heap profiles: the protobuf form (debug=0, already scaled by the runtime)
// and the text form (debug=1, raw sample counts that must be scaled by the
// sampling rate), reduced to allocation sites ranked by what is in use.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/goroutines.h"
#include "runtime/pprof.h"

namespace leakhound::rt {

struct HeapRecord {
  std::span<const Frame> stack;  // leaf first; views HeapProfile::frames
  size_t first_frame = 0;
  int64_t inuse_objects = 0, inuse_bytes = 0, alloc_objects = 0, alloc_bytes = 0;  // scaled estimates
};

// Move-only: records' stacks point into `frames`.
struct HeapProfile {
  HeapProfile() = default;
  HeapProfile(HeapProfile&&) = default;
  HeapProfile& operator=(HeapProfile&&) = default;
  HeapProfile(const HeapProfile&) = delete;
  HeapProfile& operator=(const HeapProfile&) = delete;

  std::vector<HeapRecord> records;
  std::vector<Frame> frames;
  int64_t rate = 0;           // average bytes between samples (runtime.MemProfileRate)
  size_t skipped_lines = 0;   // text form: lines that are no record or frame
  bool truncated = false;
  void link_frames() { link_spans(records, frames, &HeapRecord::stack); }
};

// Saturating arithmetic for counts and sizes from untrusted profiles.
int64_t sat_add(int64_t a, int64_t b);
int64_t sat_sub(int64_t a, int64_t b);

// Go's estimate of the real counts behind sampled ones: each allocation of
// average size s is sampled with probability 1 - exp(-s/rate).
std::pair<int64_t, int64_t> scale_heap_sample(int64_t count, int64_t bytes, int64_t rate);

bool looks_like_heap_text(std::string_view text);
// The debug=1 text form: "heap profile: A: B [C: D] @ heap/2*RATE" then records.
HeapProfile parse_heap_text(std::string_view text);

// Is this protobuf profile a heap profile (inuse_space among its sample types)?
bool is_heap_profile(const Profile& p);
HeapProfile heap_from_profile(const Profile& p);

// One allocation site: records with the same first frame outside the runtime's allocator.
struct HeapSite {
  Frame top;
  std::vector<Frame> stack;  // of the largest record, allocator frames folded
  int64_t inuse_objects = 0, inuse_bytes = 0, alloc_objects = 0, alloc_bytes = 0;
};

// Sites by in-use bytes, largest first (ties: in-use objects).
std::vector<HeapSite> heap_sites(const HeapProfile& h);

// The frame a heap record is charged to: the first outside runtime.* allocator internals.
const Frame* heap_site_frame(std::span<const Frame> stack);

}  // namespace leakhound::rt
