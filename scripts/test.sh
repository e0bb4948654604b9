#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs every test:
#   1. unit, fixture and CLI tests under AddressSanitizer + UBSan (ctest)
#   2. the libFuzzer target over the Go front end and engine, for a bounded time
#   3. the release build's full ctest suite (unit tests + `go vet` of the fixtures), last
# FUZZ_SECONDS (default 45 per target, six targets) bounds the fuzzing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/bootstrap.sh

echo "== sanitizer build and tests"
bash scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j 2 -E 'valid_go'

echo "== fuzzing (bounded)"
bash scripts/build.sh fuzz
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-45}"

echo "== release build and tests"
bash scripts/build.sh release
ctest --test-dir build --output-on-failure -j 2
