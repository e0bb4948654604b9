#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time, seeded with the Go fixtures
# and examples. A crash, leak or timeout fails the run (and leaves the input in
# build-fuzz/artifacts/).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
out="$here/build-fuzz"
mkdir -p "$out/artifacts" "$out/corpus/fuzz_scan"
cp "$here"/tests/fixtures/*/*.go "$here"/examples/*/*.go "$out/corpus/fuzz_scan/" 2>/dev/null || true
mkdir -p "$out/corpus/fuzz_goroutines"
printf 'goroutine 1 [chan receive, 3 minutes]:\nmain.f(0x1)\n\t/a/b.go:3 +0x1\ncreated by main.g in goroutine 2\n\t/a/c.go:4 +0x2\n\n' \
  >"$out/corpus/fuzz_goroutines/seed.txt"
mkdir -p "$out/corpus/fuzz_pprof"
# a real goroutine profile (gzip'd protobuf) from the test program, when Go is here
if command -v go >/dev/null 2>&1; then
  (cd "$here/tests/runtime/dumpgen" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . debug0 \
    >"$out/corpus/fuzz_pprof/goroutine.pb.gz" 2>/dev/null) || true
  (cd "$here/tests/runtime/dumpgen" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . \
    >"$out/corpus/fuzz_goroutines/full.txt" 2>/dev/null) || true
  mkdir -p "$out/corpus/fuzz_grouped" "$out/corpus/fuzz_heap" "$out/seed-heap"
  (cd "$here/tests/runtime/dumpgen" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . debug1 \
    >"$out/corpus/fuzz_grouped/grouped.txt" 2>/dev/null) || true
  (cd "$here/tests/runtime/dumpgen" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . heap "$out/seed-heap" \
    >/dev/null 2>&1 && cp "$out/seed-heap/heap.txt" "$out/corpus/fuzz_heap/" \
    && cp "$out/seed-heap/heap.pb.gz" "$out/corpus/fuzz_pprof/") || true
fi
mkdir -p "$out/corpus/fuzz_grouped" "$out/corpus/fuzz_heap"
printf 'goroutine profile: total 3\n3 @ 0x1 0x2\n# labels: {"k":"v"}\n#\t0x1\truntime.chanrecv1+0x1\t/go/src/runtime/chan.go:442\n#\t0x2\tmain.f+0x9\t/a/b.go:3\n\n' \
  >"$out/corpus/fuzz_grouped/seed.txt"
printf 'heap profile: 1: 64 [2: 128] @ heap/1048576\n1: 64 [2: 128] @ 0x1\n#\t0x1\tmain.keep+0x1\t/a/k.go:7\n\n# runtime.MemStats\n' \
  >"$out/corpus/fuzz_heap/seed.txt"
mkdir -p "$out/corpus/fuzz_config"
cp "$here"/docs/examples/leakhound.toml "$out/corpus/fuzz_config/example.toml" 2>/dev/null || true
cp "$here"/tests/fixtures/user-models/.leakhound.toml "$out/corpus/fuzz_config/fixture.toml" 2>/dev/null || true
for target in "$out"/fuzz_*; do
  [ -x "$target" ] || continue
  name="$(basename "$target")"
  echo "fuzz: $name for ${seconds}s"
  mkdir -p "$out/corpus/$name"
  "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus/$name" 2>&1 | tail -n 12
done
