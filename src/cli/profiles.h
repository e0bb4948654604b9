// Loading any goroutine or heap profile the runtime tools accept, from a file,
// stdin or a pprof endpoint, with the form detected from the bytes.
#pragma once

#include <memory>
#include <string>

#include "runtime/goroutines.h"
#include "runtime/heap.h"
#include "runtime/pprof.h"
#include "runtime/source.h"

namespace leakhound::cli {

struct LoadedProfile {
  enum class Kind { Goroutines, Heap } kind = Kind::Goroutines;
  rt::Input input;   // the bytes the text forms' views point into
  std::string raw;   // gunzipped protobuf
  rt::Profile prof;  // the protobuf forms' views point into its string table
  rt::Dump dump;
  rt::HeapProfile heap;
  std::string form;  // what was read, for messages: "full goroutine dump (debug=2)", ...
};

// Reads and parses `spec`. `heap`: a URL without a path fetches /debug/pprof/heap
// instead of the goroutine dump. Returns null with `err` set on failure.
std::unique_ptr<LoadedProfile> load_profile(const std::string& spec, bool heap, const rt::FetchOptions& opt,
                                            std::string& err);

}  // namespace leakhound::cli
