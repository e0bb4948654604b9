// Facts passed from a package to the packages that import it (the model of
// go/analysis): declarations for type-light resolution, and per-function
// summaries computed by the flow engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "golang/types.h"

namespace leakhound::go {

struct FuncFacts {
  uint64_t consumes_params = 0;  // bit i: parameter i is closed, kept or handed on (not just read)
  uint64_t closes_params = 0;    // bit i: parameter i is released (a subset of consumes)
  std::vector<std::string> fresh_results;  // per result: resource id the caller must release, or ""
  bool may_exit = false;  // may end the process (os.Exit, log.Fatal, a logger's Fatal, ...): a call ends a path
  // Factories of objects with timeouts (http.Client, http.Server, net.Dialer: kind k): bit 2k set when
  // the function returns one without a timeout, bit 2k+1 when it returns one with (see rules/timeouts.h)
  uint8_t timeout_bounds = 0;
  bool consumes(size_t i) const { return i < 64 && (consumes_params >> i) & 1; }
  bool returns_fresh() const {
    for (auto& r : fresh_results)
      if (!r.empty()) return true;
    return false;
  }
};

struct PackageFacts {
  PackageDecls decls;
  StringMap<FuncFacts> funcs;  // "F", "T.M"
  const FuncFacts* func(std::string_view key) const {
    auto it = funcs.find(key);
    return it == funcs.end() ? nullptr : &it->second;
  }
};

// One slot per package of the run, created before analysis starts so the map
// itself is never modified concurrently; a slot is read only once published.
class FactStore {
 public:
  // Creates a slot: only before analysis starts (the map must not change concurrently).
  PackageFacts* reserve(const std::string& path) {
    auto& s = slots_[path];
    if (!s) s = std::make_unique<Slot>();
    return &s->facts;
  }
  // The slot a package's own worker fills (find-only: safe while others read).
  PackageFacts* slot(std::string_view path) {
    auto it = slots_.find(path);
    return it == slots_.end() ? nullptr : &it->second->facts;
  }
  void publish(const std::string& path) {
    auto it = slots_.find(path);
    if (it != slots_.end()) it->second->ready.store(true, std::memory_order_release);
  }
  // The facts of a package that has been analysed, or null.
  const PackageFacts* get(std::string_view path) const {
    auto it = slots_.find(path);
    if (it == slots_.end() || !it->second->ready.load(std::memory_order_acquire)) return nullptr;
    return &it->second->facts;
  }
  bool known(std::string_view path) const { return slots_.find(path) != slots_.end(); }

 private:
  struct Slot {
    PackageFacts facts;
    std::atomic<bool> ready{false};
  };
  StringMap<std::unique_ptr<Slot>> slots_;
};

}  // namespace leakhound::go
