// Goroutine dumps: the full text form (debug=2, panics, SIGQUIT,
// runtime.Stack(all), `go test` timeouts), parsed tolerantly and grouped by
// leak site. See ../shared/reference/runtime-formats.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace leakhound::rt {

// Strings view the parsed input (text forms) or the decoded profile's string
// table (protobuf): keep that alive while the dump and its analysis are used.
struct Frame {
  std::string_view func;  // "main.worker", "net/http.(*conn).serve"
  std::string_view file;
  uint32_t line = 0;
};

struct Goroutine {
  uint64_t id = 0;
  std::string_view state;  // status or wait reason: "chan receive", "select", "running", ...
  int minutes = -1;      // whole minutes blocked, -1 when not given
  bool locked = false;   // locked to thread
  bool leaked = false;   // marked by Go 1.26's leak profile
  bool no_stack = false; // "stack unavailable"
  bool elided = false;   // some frames were elided
  std::span<const Frame> frames;  // innermost first; views Dump::frames
  size_t first_frame = 0;         // where the frames start in Dump::frames (while parsing)
  Frame created_by;      // func empty when unknown (main goroutine)
  uint64_t creator = 0;  // "in goroutine N" (Go 1.21+), 0 when not given
  uint64_t weight = 1;   // goroutines this entry stands for (grouped profiles: one entry per stack)
};

// Points each record's span (`member`) at its frames: from its `first_frame` to the next record's.
template <typename R>
void link_spans(std::vector<R>& records, const std::vector<Frame>& frames, std::span<const Frame> R::*member) {
  for (size_t i = 0; i < records.size(); ++i) {
    size_t end = i + 1 < records.size() ? records[i + 1].first_frame : frames.size();
    records[i].*member = std::span<const Frame>(frames).subspan(records[i].first_frame, end - records[i].first_frame);
  }
}

// Move-only: goroutines' frame spans point into `frames`.
struct Dump {
  Dump() = default;
  Dump(Dump&&) = default;
  Dump& operator=(Dump&&) = default;
  Dump(const Dump&) = delete;
  Dump& operator=(const Dump&) = delete;

  enum class Form : uint8_t { Full, Grouped } form = Form::Full;
  std::vector<Goroutine> goroutines;
  std::vector<Frame> frames;          // every goroutine's frames, one after the other
  bool proven = false;                // Go 1.26's goroutineleak profile: every goroutine in it is leaked
  // Points each goroutine's span at its frames (after the parser is done adding).
  void link_frames() { link_spans(goroutines, frames, &Goroutine::frames); }
  size_t skipped_lines = 0;  // lines that belong to no goroutine (panic messages, garbage)
  bool truncated = false;    // the last goroutine ends mid-frame
};

// Parses a full dump. Never throws on bad input; lines it cannot place are counted.
Dump parse_full_dump(std::string_view text);

// Does the text look like a full dump (a `goroutine N [` header near the start)?
bool looks_like_full_dump(std::string_view text);

// The grouped text form (debug=1, and Go 1.26's goroutineleak?debug=1): `N @ pcs`
// records with `#` frame lines. States and IDs are not in this form; the state is
// inferred from the innermost frame (runtime.chanrecv1 -> "chan receive", ...).
Dump parse_grouped_profile(std::string_view text);

// The wait a stack shows in its innermost frames (runtime.chanrecv1 -> "chan receive"), "unknown" when hidden.
std::string_view infer_state(std::span<const Frame> frames);
bool looks_like_grouped_profile(std::string_view text);

// Is the frame in Go's standard library (dimmed in listings)? "net/http.(*conn).serve"
// with its file under GOROOT/src; "main.x" and module paths ("github.com/...") are not.
bool is_stdlib_frame(const Frame& f);

// One leak site: goroutines with the same state, first non-runtime frame and creator.
struct Site {
  std::string_view state;
  Frame top;         // first frame outside the runtime
  std::string_view created_by;
  Frame created_at;
  size_t count = 0;
  int min_minutes = -1, max_minutes = -1;
  std::vector<uint64_t> ids;
  std::vector<Frame> stack;  // of the first goroutine, runtime frames folded
  bool known_long_lived = false;  // on the list of expected long-lived goroutines
  bool proven = false;            // the runtime's leak detector marked these goroutines leaked (Go 1.26+)
  double score = 0;               // suspicion: higher first
  std::string why;                // what the score rests on
};

struct Analysis {
  std::vector<Site> sites;        // suspects first (by score), then the rest
  size_t total = 0;
  size_t set_aside = 0;           // goroutines on known long-lived sites
};

const std::vector<std::string>& default_long_lived();

// Groups by leak site and ranks. `long_lived`: functions of expected long-lived
// goroutines (a trailing `*` matches a prefix); a site with one in its stack is set aside.
Analysis analyse(const Dump& dump, const std::vector<std::string>& long_lived = default_long_lived());

}  // namespace leakhound::rt
