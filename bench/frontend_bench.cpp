// Micro-benchmarks (Google Benchmark) of the scan pipeline's stages on a
// synthetic file of typical Go: tree-sitter parse + conversion to our AST,
// and the whole in-memory scan (binder, CFG, resource engine, rules).
// The corpus benchmark against tree-sitter's bare parse and go vet is bench/run.sh.
#include <benchmark/benchmark.h>

#include <string>

#include "golang/parse.h"
#include "scan/scan.h"

namespace {

std::string synthetic_source(int functions) {
  std::string s = "package bench\n\nimport (\n\t\"io\"\n\t\"net/http\"\n)\n\n";
  for (int i = 0; i < functions; ++i) {
    std::string n = std::to_string(i);
    s += "func fetch" + n + "(c *http.Client, u string) (int, error) {\n"
         "\tresp, err := c.Get(u)\n\tif err != nil {\n\t\treturn 0, err\n\t}\n"
         "\tdefer resp.Body.Close()\n\tif resp.StatusCode != 200 {\n\t\treturn resp.StatusCode, nil\n\t}\n"
         "\tb, err := io.ReadAll(resp.Body)\n\tfor i := 0; i < len(b); i++ {\n\t\tif b[i] == 0 {\n\t\t\tbreak\n\t\t}\n\t}\n"
         "\treturn len(b), err\n}\n\n";
  }
  return s;
}

void BM_ParseToAst(benchmark::State& state) {
  std::string src = synthetic_source(static_cast<int>(state.range(0)));
  leakhound::go::Parser parser;
  for (auto _ : state) {
    auto r = parser.parse("bench.go", src);
    benchmark::DoNotOptimize(r.file->root);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src.size()));
}
BENCHMARK(BM_ParseToAst)->Arg(10)->Arg(200);

void BM_ScanInMemory(benchmark::State& state) {
  std::string src = synthetic_source(static_cast<int>(state.range(0)));
  leakhound::scan::ScanOptions o;
  o.jobs = 1;
  for (auto _ : state) {
    auto r = leakhound::scan::scan_sources({{"bench.go", src}}, o);
    benchmark::DoNotOptimize(r.findings.size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src.size()));
}
BENCHMARK(BM_ScanInMemory)->Arg(10)->Arg(200);

}  // namespace

BENCHMARK_MAIN();
