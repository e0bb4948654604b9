#!/usr/bin/env bash
# Configure and build one flavour of leakhound.
#   scripts/build.sh release   -> build/        (RelWithDebInfo)
#   scripts/build.sh asan      -> build-asan/   (AddressSanitizer + UBSan)
#   scripts/build.sh fuzz      -> build-fuzz/   (clang, libFuzzer targets)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
flavour="${1:-release}"
jobs="${JOBS:-$(nproc)}"
case "$flavour" in
  release) dir="$here/build"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) dir="$here/build-asan"; args=(-DCMAKE_BUILD_TYPE=Debug -DLEAKHOUND_SANITIZE=ON -DLEAKHOUND_BENCH=OFF
                                      -DCMAKE_CXX_FLAGS=-O1) ;;
  fuzz) dir="$here/build-fuzz"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKHOUND_FUZZ=ON
                                      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: $0 release|asan|fuzz" >&2; exit 2 ;;
esac
cmake -S "$here" -B "$dir" -G Ninja "${args[@]}" >/dev/null
ninja -C "$dir" -j "$jobs"
