// Micro-benchmarks (Google Benchmark) of the runtime tools' parsers on
// synthetic inputs built in memory: the full goroutine dump (debug=2) parse and
// the grouping, and the heap profile's text form. The 64 MB dump from a real Go
// program is bench/goroutines.sh.
#include <benchmark/benchmark.h>

#include <string>

#include "runtime/goroutines.h"
#include "runtime/heap.h"

namespace {

std::string synthetic_dump(int goroutines) {
  std::string s;
  for (int i = 0; i < goroutines; ++i) {
    int site = i % 40;
    s += "goroutine " + std::to_string(i + 10) + " [chan receive, " + std::to_string(i % 7) + " minutes]:\n";
    s += "main.worker" + std::to_string(site) + "(0xc000012345, {0x4b7c25?, 0x40?})\n\t/src/app/worker.go:" +
         std::to_string(40 + site) + " +0x5d\n";
    s += "main.(*Server).handle(0xc0000a2000?)\n\t/src/app/server.go:88 +0x1f\n";
    s += "created by main.start in goroutine 1\n\t/src/app/main.go:17 +0x8e\n\n";
  }
  return s;
}

void BM_ParseFullDump(benchmark::State& state) {
  std::string text = synthetic_dump(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto d = leakhound::rt::parse_full_dump(text);
    benchmark::DoNotOptimize(d.goroutines.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseFullDump)->Arg(1000)->Arg(50000);

void BM_ParseAndGroup(benchmark::State& state) {
  std::string text = synthetic_dump(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto an = leakhound::rt::analyse(leakhound::rt::parse_full_dump(text));
    benchmark::DoNotOptimize(an.sites.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseAndGroup)->Arg(50000);

void BM_ParseHeapText(benchmark::State& state) {
  std::string text = "heap profile: 1: 1 [1: 1] @ heap/1048576\n";
  for (int i = 0; i < state.range(0); ++i)
    text += std::to_string(i % 9 + 1) + ": " + std::to_string((i % 9 + 1) * 4096) + " [20: 81920] @ 0x1 0x2 0x3\n" +
            "#\t0x4a1\tmain.alloc" + std::to_string(i % 300) + "+0x21\t/app/alloc.go:" + std::to_string(i % 300) +
            "\n#\t0x4a2\tmain.main+0x9\t/app/main.go:5\n\n";
  for (auto _ : state) {
    auto sites = leakhound::rt::heap_sites(leakhound::rt::parse_heap_text(text));
    benchmark::DoNotOptimize(sites.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseHeapText)->Arg(20000);

}  // namespace
