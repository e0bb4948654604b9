// Two snapshots of the same process: what grew, what is new, what is gone.
// Goroutine dumps are compared by leak site, heap profiles by allocation site;
// both can be written back as a profile.proto of the difference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/goroutines.h"
#include "runtime/heap.h"
#include "runtime/pprof.h"

namespace leakhound::rt {

struct SiteChange {
  Site site;           // from AFTER when the site is there, else from BEFORE
  int64_t before = 0, after = 0;
  int64_t growth() const { return sat_sub(after, before); }
};

struct GoroutineDiff {
  std::vector<SiteChange> sites;  // by growth, largest first; sites gone last
  int64_t total_before = 0, total_after = 0;
  bool states_compared = false;   // both snapshots carry states (full dumps)
};

// Sites match on their first frame outside the runtime (function, file, line); when
// both dumps are full dumps, also on the state and the creating function.
GoroutineDiff diff_goroutines(const Dump& before, const Dump& after,
                              const std::vector<std::string>& long_lived = default_long_lived());

struct HeapChange {
  HeapSite site;  // from AFTER when there, else BEFORE
  HeapSite before, after;
  int64_t growth_bytes() const { return sat_sub(after.inuse_bytes, before.inuse_bytes); }
  int64_t growth_objects() const { return sat_sub(after.inuse_objects, before.inuse_objects); }
};

struct HeapDiff {
  std::vector<HeapChange> sites;  // by in-use bytes growth, largest first
  int64_t inuse_before = 0, inuse_after = 0;
};

HeapDiff diff_heap(const HeapProfile& before, const HeapProfile& after);

// The difference as a profile (AFTER minus BEFORE per distinct stack; negative
// where BEFORE had more), ready for encode_profile + gzip and `go tool pprof`.
Profile goroutine_diff_profile(const Dump& before, const Dump& after);
Profile heap_diff_profile(const HeapProfile& before, const HeapProfile& after);

}  // namespace leakhound::rt
