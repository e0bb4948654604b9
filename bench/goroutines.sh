#!/usr/bin/env bash
# The goroutine-dump benchmark: a Go program (bench/dumpgen) parks ~200,000
# goroutines at 60 sites and writes its full dump (debug=2 text, about 64 MB);
# `leakhound goroutines` parses and groups it on one core (taskset -c 0). Prints
# wall time, peak RSS and RSS / input size, fastest of N rounds.
#   bench/goroutines.sh [--repeat N] [--goroutines N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeat=3
n=200000
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    --goroutines) n="$2"; shift 2 ;;
    *) echo "usage: $0 [--repeat N] [--goroutines N]" >&2; exit 2 ;;
  esac
done
bin="${LEAKHOUND:-$here/build/leakhound}"
[ -x "$bin" ] || { echo "build leakhound first: scripts/build.sh release" >&2; exit 2; }
out="$here/bench/out"
mkdir -p "$out"
dump="$out/goroutines-$n.txt"
if [ ! -s "$dump" ]; then
  echo "generating $dump ..."
  (cd "$here/bench/dumpgen" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . -n "$n" >"$dump")
fi
size=$(stat -c %s "$dump")
echo "input: $dump: $size bytes ($(grep -c '^goroutine ' "$dump") goroutines)"
best_wall=999999; best_rss=0
for i in $(seq 1 "$repeat"); do
  # exit 1 = suspects found, expected here
  /usr/bin/time -f "%e %M" -o "$out/goroutines.time" taskset -c 0 "$bin" goroutines --format json "$dump" >/dev/null || [ $? -eq 1 ]
  read -r wall rss < <(tail -n 1 "$out/goroutines.time")  # the line before says "exited with non-zero status 1"
  echo "round $i: ${wall} s, peak RSS ${rss} kB"
  if awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; best_rss=$rss; fi
done
awk -v w="$best_wall" -v r="$best_rss" -v s="$size" \
  'BEGIN{printf "fastest: %.2f s on one core, peak RSS %.0f MB = %.2fx the input (%.1f MB)\n", w, r/1024, r*1024/s, s/1048576}'
