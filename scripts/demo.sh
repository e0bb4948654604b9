#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds leakhound, and scans
# the bundled examples (which leak on purpose: expect findings, exit code 1).
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
[ "$code" -le 1 ]
