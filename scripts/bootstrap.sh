#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian 12 machine (and CI):
#   1. Debian packages: compilers, libraries, Go toolchain for checking fixtures.
#   2. tree-sitter runtime and Go grammar from the npm registry with `npm pack`
#      (no install scripts run), integrity-checked against pinned SHA-512 sums,
#      unpacked under third_party/ (git-ignored) and compiled into the build.
# Safe to run many times: every step checks whether it is already done.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

APT_PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config   # compiler and build
  clang libclang-rt-14-dev                           # libFuzzer targets and sanitizer runtimes
  libcli11-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libcurl4-openssl-dev
  golang-go                                          # `go vet` over the Go fixtures
  ca-certificates
)

need=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
# npm may come bundled with a Node.js from another channel; ask apt for it only when missing.
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if ((${#need[@]})); then
  echo "bootstrap: installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm packages: name, version, expected integrity (sha512, as the registry reports it)
TP="$here/third_party"
mkdir -p "$TP"
fetch_npm() {
  local name="$1" version="$2" integrity="$3" dest="$4"
  if [ -f "$dest/.integrity" ] && [ "$(cat "$dest/.integrity")" = "$integrity" ]; then
    return 0
  fi
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent --ignore-scripts "$name@$version" >/dev/null)
  local tgz; tgz="$(ls "$tmp"/*.tgz)"
  local got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "bootstrap: integrity mismatch for $name@$version" >&2
    echo "  expected $integrity" >&2
    echo "  got      $got" >&2
    rm -rf "$tmp"; exit 1
  fi
  rm -rf "$dest"; mkdir -p "$dest"
  tar -xzf "$tgz" -C "$dest" --strip-components=1
  echo "$integrity" > "$dest/.integrity"
  rm -rf "$tmp"
  echo "bootstrap: $name@$version unpacked into ${dest#$here/}"
}
# shellcheck source=../third_party.lock
source "$here/third_party.lock"
fetch_npm tree-sitter "$TREE_SITTER_VERSION" "$TREE_SITTER_INTEGRITY" "$TP/tree-sitter"
fetch_npm tree-sitter-go "$TREE_SITTER_GO_VERSION" "$TREE_SITTER_GO_INTEGRITY" "$TP/tree-sitter-go"
echo "bootstrap: ready"
