#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds leakhound, and scans
# the bundled examples (which leak on purpose: expect findings, exit code 1);
# then runs a small Go program that leaks goroutines, reads its goroutine dump
# and shows each leak site next to the static finding in the same function.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/bootstrap.sh"
bash "$here/scripts/build.sh" release >/dev/null
cd "$here"
set +e
./build/leakhound scan examples/...
code=$?
set -e
echo "leakhound exited with $code (0 clean, 1 findings, 2 error)"
[ "$code" -le 1 ] || exit "$code"

echo
echo "== goroutines: tests/runtime/dumpgen leaks goroutines and dumps them; leakhound groups the dump"
(cd tests/runtime/dumpgen && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run .) >build/demo-goroutines.txt
set +e
./build/leakhound goroutines --source tests/runtime/dumpgen build/demo-goroutines.txt
code=$?
set -e
echo "leakhound goroutines exited with $code (0 no suspect, 1 suspects, 2 error)"
[ "$code" -le 1 ]
