#!/usr/bin/env bash
# Benchmark corpus set-up for leakhound (idempotent).
#
#  1. Installs, with apt-get, only those of the corpus packages (and `time`)
#     that are missing; `apt-get update` runs only when something is missing.
#     If another apt/dpkg process holds the lock, waits and retries (<= 10 min).
#  2. Prints the corpus ROOT directories, one per line, on stdout and writes
#     them to bench/out/corpus.txt:
#       - the Go 1.19 source tree (golang-1.19-src: /usr/share/go-1.19/src)
#       - for each listed -dev package, the top-level import-path directories
#         it installs under /usr/share/gocode/src (found with `dpkg -L`),
#         e.g. /usr/share/gocode/src/google.golang.org/grpc.
#     Dependency packages that apt pulls in (also under /usr/share/gocode/src)
#     are NOT part of the corpus, and neither are compatibility symlinks that a
#     package installs (e.g. github.com/coreos/etcd -> go.etcd.io/etcd).
# Progress messages go to stderr, so `roots=$(bench/setup_corpus.sh)` works.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/out"
mkdir -p "$out"

GO_SRC_PKG=golang-1.19-src
CORPUS_PKGS=(
  golang-google-grpc-dev
  golang-github-prometheus-client-golang-dev
  golang-github-gomodule-redigo-dev
  golang-github-go-sql-driver-mysql-dev
  golang-github-lib-pq-dev
  golang-github-docker-docker-dev
  golang-github-containerd-containerd-dev
  golang-etcd-server-dev
  golang-github-gorilla-websocket-dev
  golang-github-go-resty-resty-dev
  golang-github-valyala-fasthttp-dev
  golang-github-hashicorp-go-retryablehttp-dev
  golang-github-nats-io-go-nats-dev
  golang-github-minio-minio-go-dev
  golang-golang-x-net-dev
)
# golang-go: the `go` command used for the `go vet` comparison in run.sh.
EXTRA_PKGS=(time golang-go)

log() { echo "setup_corpus: $*" >&2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# Run an apt-get command, retrying while another apt/dpkg holds its locks.
apt_retry() {
  local deadline=$((SECONDS + 600)) logf rc
  logf="$(mktemp)"
  while :; do
    rc=0
    # DPkg::Lock::Timeout makes apt itself wait on the dpkg frontend lock;
    # the loop also covers the lists lock taken by `apt-get update`.
    "$@" -o DPkg::Lock::Timeout=60 >"$logf" 2>&1 || rc=$?
    if ((rc == 0)); then rm -f "$logf"; return 0; fi
    if grep -qiE 'could not get lock|unable to acquire|lock-frontend|is another process using it|dpkg was interrupted' "$logf" \
       && ((SECONDS < deadline)); then
      if grep -qi 'dpkg was interrupted' "$logf"; then
        # Only when no other dpkg is running: a crashed run left work half-done.
        pgrep -x dpkg >/dev/null || dpkg --configure -a >&2 || true
      fi
      log "apt/dpkg is busy (another package manager running?); retrying in 15 s"
      sleep 15
      continue
    fi
    cat "$logf" >&2; rm -f "$logf"
    return "$rc"
  done
}

need=()
for p in "$GO_SRC_PKG" "${CORPUS_PKGS[@]}" "${EXTRA_PKGS[@]}"; do
  installed "$p" || need+=("$p")
done
if ((${#need[@]})); then
  log "installing missing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  apt_retry $SUDO apt-get update -qq
  apt_retry $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  log "installed ${#need[@]} package(s)"
fi

# --- corpus roots -----------------------------------------------------------
roots=()

# Go source tree: the directory named src that golang-1.19-src installs.
go_src="$(dpkg -L "$GO_SRC_PKG" | grep -E '^/usr/share/go-[0-9.]+/src$' | head -n1 || true)"
[ -n "$go_src" ] || go_src=/usr/share/go-1.19/src
[ -d "$go_src" ] || { log "Go source tree not found ($go_src)"; exit 1; }
roots+=("$go_src")

GOCODE=/usr/share/gocode/src
# Import-path root of a path relative to $GOCODE: hosts whose repositories sit
# at host/owner/repo (github.com/lib/pq, golang.org/x/net) take 3 components,
# the rest (google.golang.org/grpc, go.etcd.io/etcd, gopkg.in/yaml.v2) take 2.
import_root() {
  awk -F/ '{
    n = ($1 ~ /^(github\.com|gitlab\.com|bitbucket\.org|golang\.org|code\.google\.com|go\.googlesource\.com)$/) ? 3 : 2
    if (NF <= n) next                 # a file directly in a namespace dir: ignore
    r = $1; for (i = 2; i <= n; i++) r = r "/" $i
    print r
  }'
}
for p in "${CORPUS_PKGS[@]}"; do
  # Regular files (not symlinks) that the package installs under $GOCODE; a
  # root is kept only if it is a real directory, so symlinked aliases drop out.
  pkg_roots="$(dpkg -L "$p" | grep "^$GOCODE/" | while IFS= read -r f; do
      if [ -f "$f" ] && [ ! -L "$f" ]; then printf '%s\n' "${f#"$GOCODE"/}"; fi
    done | import_root | sort -u)"
  if [ -z "$pkg_roots" ]; then
    log "warning: $p installs no files under $GOCODE"
    continue
  fi
  while IFS= read -r r; do
    if [ -d "$GOCODE/$r" ] && [ ! -L "$GOCODE/$r" ]; then roots+=("$GOCODE/$r"); fi
  done <<<"$pkg_roots"
done

printf '%s\n' "${roots[@]}" | awk '!seen[$0]++' >"$out/corpus.txt"
cat "$out/corpus.txt"
