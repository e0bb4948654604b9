#include "runtime/goroutines.h"
#include "runtime/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <tuple>

namespace leakhound::rt {
namespace {

// Offset of a `goroutine N ` or `goroutine N [` header in the line, or npos.
size_t header_at(std::string_view line) {
  for (size_t at = line.find("goroutine "); at != std::string_view::npos; at = line.find("goroutine ", at + 1)) {
    size_t i = at + 10;
    size_t d = i;
    while (i < line.size() && is_digit(line[i])) ++i;
    if (i == d || i >= line.size()) continue;
    if ((line[i] == ' ' || line[i] == '[') && line.find('[', i) != std::string_view::npos &&
        line.rfind("]:") != std::string_view::npos)
      return at;
  }
  return std::string_view::npos;
}

// "goroutine 18 [chan receive, 5 minutes, locked to thread]:"
bool parse_header(std::string_view line, Goroutine& g) {
  size_t i = 10;  // after "goroutine "
  size_t b = i;
  while (i < line.size() && is_digit(line[i])) ++i;
  g.id = to_u64(line.substr(b, i - b));
  size_t open = line.find('[', i);
  size_t close = line.rfind("]:");
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  std::string_view inside = line.substr(open + 1, close - open - 1);
  bool first = true;
  while (!inside.empty()) {
    size_t comma = inside.find(", ");
    std::string_view part = inside.substr(0, comma);
    inside = comma == std::string_view::npos ? std::string_view() : inside.substr(comma + 2);
    if (first) {
      first = false;
      // marks follow the state: "chan receive (scan)", "chan send (leaked)" (not "select (no cases)")
      for (bool again = true; again;) {
        again = false;
        for (std::string_view mark : {" (scan)", " (leaked)", " (durable)"})
          if (part.ends_with(mark)) {
            if (mark == " (leaked)") g.leaked = true;
            part.remove_suffix(mark.size());
            again = true;
          }
      }
      g.state = part;
    } else if (part.ends_with(" minutes") || part.ends_with(" minute")) {
      g.minutes = static_cast<int>(std::min<uint64_t>(to_u64(part), 1u << 30));
    } else if (part == "locked to thread") {
      g.locked = true;
    }
  }
  return true;
}

// "main.worker(0xc000012345, ...)" -> "main.worker"
std::string_view func_name(std::string_view s) {
  s = trim(s);
  // the argument list is the last parenthesised group (generics use [...], methods (*T) come earlier)
  if (!s.empty() && s.back() == ')') {
    int depth = 0;
    for (size_t i = s.size(); i-- > 0;) {
      if (s[i] == ')') ++depth;
      else if (s[i] == '(' && --depth == 0) return s.substr(0, i);
    }
  }
  return s;
}

}  // namespace

bool is_stdlib_frame(const Frame& f) {
  std::string_view fn = f.func;
  size_t slash = fn.rfind('/');
  size_t dot = fn.find('.', slash == std::string_view::npos ? 0 : slash);
  if (dot == std::string_view::npos) return false;
  std::string_view pkg = fn.substr(0, dot);  // "net/http", "main", "github.com/x/y"
  if (pkg == "main" || pkg.substr(0, pkg.find('/')).find('.') != std::string_view::npos) return false;
  if (f.file.empty()) return true;
  // the file under GOROOT/src/<pkg>/ (or <pkg>/ with -trimpath); no allocation: this runs per frame
  auto dir_at = [&](size_t at) {
    return f.file.size() > at + pkg.size() && f.file.compare(at, pkg.size(), pkg) == 0 && f.file[at + pkg.size()] == '/';
  };
  if (dir_at(0)) return true;
  for (size_t at = f.file.find("/src/"); at != std::string_view::npos; at = f.file.find("/src/", at + 1))
    if (dir_at(at + 5)) return true;
  return false;
}

bool looks_like_full_dump(std::string_view text) {
  size_t lines = 0;
  // anywhere in the text: a `go test -v` log or a service log can run for thousands of lines before the dump
  for (size_t pos = 0; pos < text.size(); ++lines) {
    size_t e = text.find('\n', pos);
    std::string_view line = text.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos);
    if (header_at(line) != std::string_view::npos) return true;
    if (e == std::string_view::npos) break;
    pos = e + 1;
  }
  return false;
}

Dump parse_full_dump(std::string_view text) {
  Dump d;
  d.goroutines.reserve(text.size() / 160);  // a goroutine takes 150 bytes or more: no regrowth
  d.frames.reserve(text.size() / 64);       // a frame takes two lines
  Goroutine* g = nullptr;
  enum class Expect { Func, Location, CreatedAt, Skip } expect = Expect::Func;
  std::string prefix_marker;  // tail of a log prefix (`prog[123]: `) to strip from every line
  size_t prefix_len = 0;
  bool indent = false;
  Frame pending;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t e = text.find('\n', pos);
    std::string_view line = text.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos);
    pos = e == std::string_view::npos ? text.size() + 1 : e + 1;
    if (e == std::string_view::npos && line.empty()) break;  // after the final newline
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t h = header_at(line);
    if (h != std::string_view::npos) {
      if (g && expect == Expect::Location) d.frames.push_back(pending);  // a frame without location
      d.goroutines.emplace_back();
      g = &d.goroutines.back();
      g->first_frame = d.frames.size();
      bool ok = parse_header(line.substr(h), *g);
      if (ok && h > 0) {
        // a log prefix (`prog[123]: `, cut through its last two characters: timestamps vary in length),
        // or an indent (a dump pasted into Markdown, a ticket, a chat): stripped from the lines that follow
        indent = line.substr(0, h).find_first_not_of(" \t") == std::string_view::npos;
        prefix_len = h;
        prefix_marker = indent ? std::string(line.substr(0, h)) : std::string(line.substr(h >= 2 ? h - 2 : 0, h >= 2 ? 2 : h));
      }
      if (!ok) {
        d.goroutines.pop_back();
        g = nullptr;
        ++d.skipped_lines;
      }
      expect = Expect::Func;
      continue;
    }
    // strip a log prefix like the header's (timestamps vary in length: cut through the same marker)
    if (prefix_len > 0 && !prefix_marker.empty()) {
      if (indent) {
        if (line.starts_with(prefix_marker)) line.remove_prefix(prefix_marker.size());
      } else {
        size_t m = line.find(prefix_marker);
        if (m != std::string_view::npos && m < prefix_len * 2 + 8) line.remove_prefix(m + prefix_marker.size());
      }
    }
    std::string_view t = trim(line);
    if (t.empty()) {
      if (g && expect == Expect::Location) d.frames.push_back(pending);
      g = nullptr;  // a blank line ends the goroutine
      expect = Expect::Func;
      continue;
    }
    if (!g) {
      ++d.skipped_lines;  // panic message, log noise, the pprof header
      continue;
    }
    bool indented = line.front() == '\t' || line.front() == ' ';
    if (expect == Expect::Skip) continue;  // an ancestor's stack (tracebackancestors)
    if (t.starts_with("[originating from goroutine")) {
      expect = Expect::Skip;
      continue;
    }
    if (t.find("stack unavailable") != std::string_view::npos) {
      g->no_stack = true;
      continue;
    }
    if (t.starts_with("...") && t.find("elided") != std::string_view::npos) {
      g->elided = true;
      continue;
    }
    if (expect == Expect::Location || expect == Expect::CreatedAt) {
      Frame& f = expect == Expect::Location ? pending : g->created_by;
      if (indented && parse_location(t, f)) {
        if (expect == Expect::Location) d.frames.push_back(pending);
        expect = Expect::Func;
        continue;
      }
      if (expect == Expect::Location) d.frames.push_back(pending);  // no location line: keep the function
      expect = Expect::Func;
    }
    if (t.starts_with("created by ")) {
      std::string_view rest = t.substr(11);
      size_t in = rest.find(" in goroutine ");
      g->created_by = Frame{rest.substr(0, in), {}, 0};
      if (in != std::string_view::npos) g->creator = to_u64(rest.substr(in + 14));
      expect = Expect::CreatedAt;
      continue;
    }
    if (indented || t.back() != ')') {
      ++d.skipped_lines;  // a location with no function before it, or not a frame at all
      continue;
    }
    pending = Frame{func_name(t), "", 0};
    expect = Expect::Location;
  }
  if (g && expect == Expect::Location) {
    d.frames.push_back(pending);
    d.truncated = true;
  }
  d.link_frames();
  return d;
}

bool looks_like_grouped_profile(std::string_view text) {
  size_t nl = text.find('\n');
  std::string_view first = text.substr(0, nl);
  while (!first.empty() && first.back() == '\r') first.remove_suffix(1);
  return first.starts_with("goroutine profile: total ") || first.starts_with("goroutineleak profile: total ");
}

std::string_view infer_state(std::span<const Frame> frames) {
  for (size_t i = 0; i < frames.size() && i < 6; ++i) {
    std::string_view f = frames[i].func;
    if (f.starts_with("runtime.chanrecv")) return "chan receive";
    if (f.starts_with("runtime.chansend")) return "chan send";
    if (f == "runtime.selectgo") return "select";
    if (f == "runtime.block") return "select (no cases)";
    if (f.starts_with("internal/sync.runtime_SemacquireMutex") || f.starts_with("sync.runtime_SemacquireMutex"))
      return "sync.Mutex.Lock";  // internal/sync since Go 1.24
    if (f.starts_with("sync.runtime_SemacquireRWMutexR")) return "sync.RWMutex.RLock";
    if (f.starts_with("sync.runtime_SemacquireRWMutex")) return "sync.RWMutex.Lock";
    if (f.starts_with("sync.runtime_Semacquire") || f.starts_with("internal/sync.runtime_Semacquire")) return "semacquire";
    if (f.starts_with("sync.runtime_notifyListWait")) return "sync.Cond.Wait";
    if (f.starts_with("internal/poll.runtime_pollWait")) return "IO wait";
    if (f == "time.Sleep") return "sleep";
  }
  return "unknown";
}

Dump parse_grouped_profile(std::string_view text) {
  Dump d;
  d.form = Dump::Form::Grouped;
  d.proven = text.starts_with("goroutineleak profile:");
  Goroutine* g = nullptr;
  // the state comes from the frames, known once the record ends
  auto finish = [&] {
    if (g) g->state = infer_state(std::span<const Frame>(d.frames).subspan(g->first_frame));
  };
  for_each_line(text, [&](std::string_view line) {
    std::string_view t = trim(line);
    if (t.empty()) {
      finish();
      g = nullptr;
      return true;
    }
    size_t at = t.find(" @ ");
    if (at != std::string_view::npos && at > 0 && is_digit(t[0])) {
      finish();
      d.goroutines.emplace_back();
      g = &d.goroutines.back();
      g->first_frame = d.frames.size();
      g->weight = std::clamp<uint64_t>(to_u64(t), 1, uint64_t{1} << 40);  // a count, not an overflow
      return true;
    }
    if (g && t.starts_with("#") && !t.starts_with("# labels:")) {
      Frame f;
      if (parse_hash_frame(t, f)) {
        d.frames.push_back(f);
        return true;
      }
    }
    if (!g && (t.starts_with("goroutine profile: total") || t.starts_with("goroutineleak profile: total"))) return true;
    if (!g || !t.starts_with("# labels:")) ++d.skipped_lines;
    return true;
  });
  if (g) {
    finish();
    if (g->first_frame == d.frames.size()) d.truncated = true;
  }
  d.link_frames();
  if (d.proven)
    for (Goroutine& x : d.goroutines) x.leaked = true;
  return d;
}

const std::vector<std::string>& default_long_lived() {
  static const std::vector<std::string> list = {
      // the test runner's own waits (a test's goroutine runs under testing.tRunner: it is not on the list,
      // a hung test is exactly what a `go test -timeout` dump is read for)
      "testing.(*T).Run",  "testing.(*M).Run",  "testing.runTests",
      "os/signal.loop",    "os/signal.signal_recv", "runtime.ensureSigM", "runtime.ReadTrace",
      "database/sql.(*DB).connectionOpener", "database/sql.(*DB).connectionCleaner",
      "net/http.(*persistConn).readLoop", "net/http.(*persistConn).writeLoop",
      "net/http.(*Server).Serve", "net/http.(*Server).ListenAndServe", "main.main"};
  return list;
}

namespace {

// The waiting machinery under a blocked goroutine (the scheduler, sync's semaphores,
// the poller): the leak site is the first frame above it.
bool runtime_frame(std::string_view f) {
  return f.starts_with("runtime.") || f.starts_with("internal/") || f.starts_with("runtime/internal/") ||
         f.starts_with("sync.") || f == "time.Sleep";
}

// The long-lived list, split for lookups per frame: exact names in a hash set, prefixes (`pkg.*`) in a list.
struct LongLived {
  std::unordered_set<std::string_view> exact;
  std::vector<std::string_view> prefixes;
  explicit LongLived(const std::vector<std::string>& list) {
    for (const std::string& p : list) {
      if (p.ends_with('*')) prefixes.push_back(std::string_view(p).substr(0, p.size() - 1));
      else exact.insert(p);
    }
  }
  bool operator()(const Goroutine& g) const {
    for (const Frame& f : g.frames) {
      if (exact.count(f.func)) return true;
      for (std::string_view p : prefixes)
        if (f.func.starts_with(p)) return true;
    }
    return false;
  }
};

bool blocking_channel_state(std::string_view s) {
  return s == "chan receive" || s == "chan send" || s == "chan receive (nil chan)" || s == "chan send (nil chan)" ||
         s == "select (no cases)";
}

bool blocking_sync_state(std::string_view s) {
  return s == "sync.WaitGroup.Wait" || s == "sync.Cond.Wait" || s == "semacquire" || s == "sync.Mutex.Lock" ||
         s == "sync.RWMutex.Lock" || s == "sync.RWMutex.RLock";
}

}  // namespace

Analysis analyse(const Dump& dump, const std::vector<std::string>& long_lived) {
  Analysis a;
  for (const Goroutine& g : dump.goroutines) a.total = a.total + g.weight < a.total ? SIZE_MAX : a.total + g.weight;
  // keys view the dump's strings (no copies per goroutine)
  struct Key {
    std::string_view state, func, file, creator;
    uint32_t line;
    bool expected;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      std::hash<std::string_view> h;
      size_t v = h(k.state);
      for (std::string_view s : {k.func, k.file, k.creator}) v = v * 1000003u ^ h(s);
      return (v * 31u + k.line) * 2 + k.expected;
    }
  };
  std::unordered_map<Key, size_t, KeyHash> index;
  static const Frame kNone;
  const LongLived is_long_lived(long_lived);
  for (const Goroutine& g : dump.goroutines) {
    // the leak site: the program's own first frame (a read in net is the caller's read), else the first
    // frame above the waiting machinery, else the innermost
    const Frame* topp = nullptr;
    const Frame* first_std = nullptr;
    for (const Frame& f : g.frames) {
      if (runtime_frame(f.func)) continue;
      if (!is_stdlib_frame(f)) {
        topp = &f;
        break;
      }
      if (!first_std) first_std = &f;
    }
    if (!topp) topp = first_std;
    if (!topp) topp = g.frames.empty() ? &kNone : &g.frames.front();
    const Frame& top = *topp;
    bool expected = is_long_lived(g);
    Key key{g.state, top.func, top.file, g.created_by.func, top.line, expected};
    auto [it, added] = index.emplace(key, a.sites.size());
    if (added) {
      Site s;
      s.state = g.state;
      s.top = top;
      s.created_by = g.created_by.func;
      s.created_at = g.created_by;
      for (const Frame& f : g.frames)
        if (!runtime_frame(f.func)) s.stack.push_back(f);
      // expected long-lived goroutines: any frame of the stack on the list (the main goroutine,
      // the test runner, signal loops, pool openers, idle keep-alive loops, accept loops)
      s.known_long_lived = expected;
      a.sites.push_back(std::move(s));
    }
    Site& s = a.sites[it->second];
    s.count = s.count + g.weight < s.count ? SIZE_MAX : s.count + g.weight;
    if (g.leaked) s.proven = true;
    if (s.ids.size() < 1000 && dump.form == Dump::Form::Full) s.ids.push_back(g.id);
    if (g.minutes >= 0) {
      s.min_minutes = s.min_minutes < 0 ? g.minutes : std::min(s.min_minutes, g.minutes);
      s.max_minutes = std::max(s.max_minutes, g.minutes);
    }
  }
  for (Site& s : a.sites) {
    if (s.proven) s.known_long_lived = false;  // the runtime proved it: no list overrides that
    if (s.known_long_lived) {
      a.set_aside += s.count;
      continue;
    }
    double score = 0;
    std::string why;
    if (blocking_channel_state(s.state)) {
      score += 3;
      why = "blocked on a channel operation";
    } else if (blocking_sync_state(s.state)) {
      score += 2;
      why = "blocked on a lock or WaitGroup";
    } else if (s.state == "select") {
      score += 1.5;
      why = "blocked in a select (a leak unless one case is a timer or a done channel that fires)";
    } else if (s.state == "IO wait") {
      score += 1;
      why = "waiting on network I/O (a missing deadline keeps it forever)";
    } else if (s.state == "unknown") {
      // the grouped form hides the runtime's frames (Go 1.19 shows none): only the count speaks
      score += 1.5;
      why = "parked at this line (the grouped form does not say on what)";
    } else {
      why = "not blocked (" + std::string(s.state) + ")";
    }
    if (s.proven) {
      // unreachable from any running goroutine: it can never wake up
      score = std::max(score, 3.0) + 10;
      why = "proven leaked by the runtime's leak detector (blocked on an object no running goroutine can reach); " + why;
    }
    if (score > 0) {
      if (s.max_minutes > 0) {
        score += std::min(3.0, std::log2(1.0 + s.max_minutes));
        why += ", blocked up to " + std::to_string(s.max_minutes) + " min";
      }
      if (s.count > 1) {
        score += std::min(4.0, std::log10(static_cast<double>(s.count)) * 2);
        why += ", " + std::to_string(s.count) + " goroutines";
      }
    }
    s.score = score;
    s.why = why;
  }
  std::stable_sort(a.sites.begin(), a.sites.end(), [](const Site& x, const Site& y) {
    if (x.known_long_lived != y.known_long_lived) return !x.known_long_lived;
    return x.score > y.score;
  });
  return a;
}

}  // namespace leakhound::rt
