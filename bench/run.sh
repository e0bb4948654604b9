#!/usr/bin/env bash
# leakhound benchmark: leakhound vs. a bare tree-sitter parse + one walk vs.
# `go vet -lostcancel -httpresponse`, on a corpus of real Go code (the Go 1.19
# tree plus 15 Debian-packaged Go libraries). See bench/README.md.
#
#   bench/run.sh [--quick] [--repeat N]
#
#   --quick      skip go vet (it takes minutes)
#   --repeat N   run each timed command N times (in turns) and keep the fastest
#                (default 1; applies to go vet too)
#
# Environment:
#   LEAKHOUND        analyser binary (default: <repo>/build/leakhound); rows are
#                    skipped with a message when it does not exist
#   LEAKHOUND_ARGS   extra arguments for `leakhound scan` (e.g. --tests skip)
#   BENCH_INCLUDE_GENERATED=1
#                    keep generated files (`// Code generated ... DO NOT EDIT.`)
#                    in the benchmark file list and pass --include-generated to
#                    leakhound; by default both leave them out, as leakhound does
#   CC               C compiler for the baseline (default gcc)
#
# Outputs (bench/out/, git-ignored): corpus.txt, files.txt, ts_parse_baseline,
# summary.txt, leakhound-j{1,2}.json, vet-packages.txt, vet-failed.txt, vet.log.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="$here/out"
mkdir -p "$out"

quick=0
repeat=1
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --repeat) repeat="${2:?--repeat needs a number}"; shift ;;
    --repeat=*) repeat="${1#*=}" ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --repeat wants a positive integer" >&2; exit 2; }

LEAKHOUND="${LEAKHOUND:-$repo/build/leakhound}"
LEAKHOUND_ARGS="${LEAKHOUND_ARGS:-}"
CC="${CC:-gcc}"
TIME=/usr/bin/time

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- corpus ----
"$here/setup_corpus.sh" >/dev/null || die "setup_corpus.sh failed"
mapfile -t ROOTS <"$out/corpus.txt"
((${#ROOTS[@]})) || die "no corpus roots"
[ -x "$TIME" ] || die "$TIME missing (Debian package 'time')"

# Every .go file under the roots, pruned the way leakhound's discovery prunes:
# no folder named testdata or vendor, no hidden or _-prefixed folder or file;
# symlinked files are taken, symlinked folders are not followed.
all_files="$out/files-all.txt"
for r in "${ROOTS[@]}"; do
  find "$r" -mindepth 1 \
    \( -type d \( -name testdata -o -name vendor -o -name '.*' -o -name '_*' \) -prune \) -o \
    \( -name '*.go' ! -name '.*' ! -name '_*' -xtype f -print \)
done | LC_ALL=C sort >"$all_files"

# Generated files, by Go's rule (a `// Code generated ... DO NOT EDIT.` line
# before the package clause); leakhound skips them unless --include-generated.
gen_files="$out/files-generated.txt"
tr '\n' '\0' <"$all_files" | xargs -0 -r awk '
  /^package[ \t]/ { nextfile }
  /^\/\/ Code generated .* DO NOT EDIT\.$/ { print FILENAME; nextfile }' | LC_ALL=C sort >"$gen_files"

files="$out/files.txt"
if [ "${BENCH_INCLUDE_GENERATED:-0}" = 1 ]; then
  cp "$all_files" "$files"
  LEAKHOUND_ARGS="--include-generated $LEAKHOUND_ARGS"
else
  LC_ALL=C comm -23 "$all_files" "$gen_files" >"$files"
fi

count_bytes() { tr '\n' '\0' <"$1" | du -cb --files0-from=- 2>/dev/null | tail -n1 | cut -f1; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
n_all=$(wc -l <"$all_files");  b_all=$(count_bytes "$all_files")
n_gen=$(wc -l <"$gen_files");  b_gen=$(count_bytes "$gen_files")
n_files=$(wc -l <"$files");    b_files=$(count_bytes "$files")
say "corpus: ${#ROOTS[@]} roots (bench/out/corpus.txt)"
say "corpus: $n_all .go files, $(mb "$b_all") MB; of these $n_gen generated, $(mb "$b_gen") MB"
say "benchmark set: $n_files files, $(mb "$b_files") MB (bench/out/files.txt)"

# Warm the page cache so that the first timed run does not pay for disk reads.
tr '\n' '\0' <"$all_files" | xargs -0 cat >/dev/null

# ------------------------------------------------------------- baseline -----
TS_LIB="$repo/third_party/tree-sitter/vendor/tree-sitter/lib"
TS_GO="$repo/third_party/tree-sitter-go/src"
baseline="$out/ts_parse_baseline"
if [ ! -f "$TS_LIB/src/lib.c" ] || [ ! -f "$TS_GO/parser.c" ]; then
  die "tree-sitter sources missing under third_party/: run scripts/bootstrap.sh first"
fi
if [ ! -x "$baseline" ] || [ "$here/ts_parse_baseline.c" -nt "$baseline" ] \
   || [ "$TS_GO/parser.c" -nt "$baseline" ] || [ "$TS_LIB/src/lib.c" -nt "$baseline" ]; then
  say "compiling $baseline"
  "$CC" -O2 -DNDEBUG -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
    -I"$TS_LIB/include" -I"$TS_LIB/src" -I"$TS_GO" \
    "$TS_LIB/src/lib.c" "$TS_GO/parser.c" "$here/ts_parse_baseline.c" \
    -lpthread -o "$baseline.tmp" || die "baseline build failed"
  mv "$baseline.tmp" "$baseline"
fi

# ----------------------------------------------------------- timing ---------
HZ=$(getconf CLK_TCK)
# Busy CPU time of the whole machine so far, in clock ticks (user nice system
# irq softirq steal), to tell how much else ran during a timed command.
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# timed NAME MAXRC CMD...: one run of CMD under /usr/bin/time. If it is the
# fastest run of NAME so far, keeps "wall user sys maxrss_kb other_cpu_s" in
# T_<NAME>, its stdout in $out/NAME.stdout and its stderr in $out/NAME.stderr.
# other_cpu_s = CPU time the rest of the machine used meanwhile. Exit statuses
# up to MAXRC are accepted (leakhound exits 1 when it has findings; go vet
# exits 2 when a package fails to type-check); a higher one fails the run.
timed() {
  local name="$1" maxrc="$2"; shift 2
  local rc=0 line b0 b1 other v="T_$name" tf="$out/$name.time" so="$out/$name.stdout"
  b0=$(cpu_busy)
  "$TIME" -f '%e %U %S %M' -o "$tf" "$@" >"$so.tmp" 2>"$out/$name.stderr.tmp" || rc=$?
  b1=$(cpu_busy)
  if ((rc > maxrc)); then
    mv "$out/$name.stderr.tmp" "$out/$name.stderr"
    say "$name: exit status $rc (see bench/out/$name.stderr)"
    tail -n 5 "$out/$name.stderr" >&2
    rm -f "$so.tmp"
    return 1
  fi
  line="$(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$tf" | tail -n1)"
  other=$(awk -v d=$((b1 - b0)) -v hz="$HZ" -v l="$line" 'BEGIN {
    split(l, f, " "); o = d / hz - f[2] - f[3]; printf "%.2f", (o > 0 ? o : 0) }')
  line="$line $other"
  say "$name: wall user sys rss_kb other_cpu_s = $line"
  if [ -z "${!v:-}" ] || awk -v a="${line%% *}" -v b="${!v%% *}" 'BEGIN { exit !(a < b) }'; then
    printf -v "$v" '%s' "$line"
    mv "$so.tmp" "$so"; mv "$out/$name.stderr.tmp" "$out/$name.stderr"
  else
    rm -f "$so.tmp" "$out/$name.stderr.tmp"
  fi
}

rows=()   # "label|files|bytes|wall|user|sys|rss_kb|other"
add_row() { # label files bytes "wall user sys rss other"
  local w u s m o; read -r w u s m o <<<"$4"
  rows+=("$1|$2|$3|$w|$u|$s|$m|$o")
}

have_lh=0; [ -x "$LEAKHOUND" ] && have_lh=1
all_rules=""
((have_lh)) && all_rules="$("$LEAKHOUND" rules --format json | grep -o '"name": *"[a-z-]*"' | sed 's/.*"\([a-z-]*\)"$/\1/' | paste -sd, -)"
# The commands take turns, $repeat rounds, so that a burst of other load on
# the machine hits one round of everything rather than all rounds of one.
for ((round = 1; round <= repeat; round++)); do
  ((repeat > 1)) && say "round $round of $repeat"
  for j in 1 2; do
    timed "baseline_j$j" 0 "$baseline" -j "$j" "$files" || true
  done
  if ((have_lh)); then
    for j in 1 2; do
      # shellcheck disable=SC2086  # LEAKHOUND_ARGS is split on purpose
      timed "leakhound_j$j" 1 "$LEAKHOUND" scan --format json -j "$j" $LEAKHOUND_ARGS "${ROOTS[@]}" || true
    done
    # the cost of the rules: body-close alone vs every rule (also the ones off by default)
    # shellcheck disable=SC2086
    timed "leakhound_bodyclose_j2" 1 "$LEAKHOUND" scan --format json -j 2 --no-config $LEAKHOUND_ARGS \
      "${ROOTS[@]}" --rules body-close || true
    # shellcheck disable=SC2086
    timed "leakhound_allrules_j2" 1 "$LEAKHOUND" scan --format json -j 2 --no-config $LEAKHOUND_ARGS \
      "${ROOTS[@]}" --rules "$all_rules" || true
  fi
done

for j in 1 2; do
  v="T_baseline_j$j"
  [ -n "${!v:-}" ] || continue
  bl="$(cat "$out/baseline_j$j.stdout")"
  say "baseline -j$j: $bl"
  bf=$(sed -n 's/^files=\([0-9]*\).*/\1/p' <<<"$bl")
  bb=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$bl")
  add_row "ts baseline -j$j" "$bf" "$bb" "${!v}"
done

lh_note=""
if ((have_lh)); then
  for j in 1 2; do
    v="T_leakhound_j$j"
    [ -n "${!v:-}" ] || continue
    cp "$out/leakhound_j$j.stdout" "$out/leakhound-j$j.json"
    lf="$( (command -v jq >/dev/null && jq -r '.stats.files // empty' "$out/leakhound-j$j.json") 2>/dev/null \
          || grep -o '"files": *[0-9]*' "$out/leakhound-j$j.json" | tail -n1 | grep -o '[0-9]*$')"
    nfind="$( (command -v jq >/dev/null && jq -r '.findings | length' "$out/leakhound-j$j.json") 2>/dev/null || echo '?')"
    say "leakhound -j$j: stats.files=${lf:-?} findings=$nfind"
    if [ -n "$lf" ] && [ "$lf" != "$n_files" ]; then
      lh_note="note: leakhound reported stats.files=$lf, the benchmark set has $n_files files"
      say "$lh_note"
    fi
    add_row "leakhound -j$j" "${lf:-$n_files}" "$b_files" "${!v}"
  done
  [ -n "${T_leakhound_bodyclose_j2:-}" ] && add_row "lh body-close -j2" "$n_files" "$b_files" "$T_leakhound_bodyclose_j2"
  [ -n "${T_leakhound_allrules_j2:-}" ] && add_row "lh all rules -j2" "$n_files" "$b_files" "$T_leakhound_allrules_j2"
else
  lh_note="leakhound rows skipped: $LEAKHOUND not found (build it, or set LEAKHOUND=path)"
  say "$lh_note"
fi

# ---------------------------------------------------------------- go vet ----
vet_note=""
if ((quick)); then
  vet_note="go vet skipped (--quick)"
  say "$vet_note"
elif ! command -v go >/dev/null; then
  vet_note="go vet skipped: no go command"
  say "$vet_note"
else
  # GOPATH mode: /usr/share/gocode is Debian's GOPATH; `std` and `cmd` are the
  # packages of GOROOT=/usr/lib/go-1.19, whose src is a symlink to the same
  # /usr/share/go-1.19/src that golang-1.19-src installs.
  export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=
  go_src_root="$(cd "$(go env GOROOT)/src" && pwd -P)"
  patterns=()
  for r in "${ROOTS[@]}"; do
    if [ "$(cd "$r" && pwd -P)" = "$go_src_root" ]; then
      patterns+=(std cmd)
    else
      patterns+=("${r#/usr/share/gocode/src/}/...")
    fi
  done
  # One line per package variant (the package, its test variants, its .test
  # main): import path | the package it belongs to | load error? | pkg-config
  # names | dependencies.
  go list -e -test -f '{{.ImportPath}}|{{if .ForTest}}{{.ForTest}}{{else}}{{.ImportPath}}{{end}}|{{if or .Error .DepsErrors}}BAD{{end}}|{{join .CgoPkgConfig ","}}|{{join .Deps ","}}' \
    "${patterns[@]}" >"$out/vet-list.txt" 2>"$out/vet-list.stderr"
  # pkg-config modules that are not installed make cgo fail for that package.
  missing_pc="$(cut -d'|' -f4 "$out/vet-list.txt" | tr ',' '\n' | sed '/^$/d' | sort -u |
    while read -r m; do pkg-config --exists "$m" 2>/dev/null || echo "$m"; done | paste -sd, -)"
  # A package cannot be vetted when it or a test variant of it has a load
  # error (missing import), needs a missing pkg-config module, or depends on
  # a package that does.
  awk -F'|' -v miss="$missing_pc" '
    function base(p) { sub(/ \[.*\]$/, "", p); sub(/\.test$/, "", p); return p }
    BEGIN { n = split(miss, m, ","); for (i = 1; i <= n; i++) missing[m[i]] = 1 }
    {
      line[NR] = $0; p = base($2); pkgs[p] = 1
      if ($3 == "BAD") {
        if ($1 == $2 && $1 !~ /\.test$/) bad[p] = "load error"       # the package itself
        else if (!(p in bad)) bad[p] = "load error in tests only"  # a test variant / test main
      }
      k = split($4, c, ","); for (i = 1; i <= k; i++) if (c[i] in missing) { bad[p] = "pkg-config " c[i]; cgo[base($1)] = 1 }
    }
    END {
      for (r = 1; r <= NR; r++) {
        split(line[r], f, "|"); p = base(f[2]); if (p in bad) continue
        k = split(f[5], d, ","); for (i = 1; i <= k; i++) if (d[i] in cgo) { bad[p] = "depends on " d[i]; break }
      }
      for (p in pkgs) if (p in bad) print p "\t" bad[p] > "/dev/stderr"; else print p
    }' "$out/vet-list.txt" 2>"$out/vet-unloadable.txt" | LC_ALL=C sort >"$out/vet-packages.txt"
  LC_ALL=C sort -o "$out/vet-unloadable.txt" "$out/vet-unloadable.txt"
  n_vet=$(wc -l <"$out/vet-packages.txt")
  n_unl=$(wc -l <"$out/vet-unloadable.txt")
  n_unl_t=$(grep -c 'tests only' "$out/vet-unloadable.txt")
  say "go vet: $n_vet packages to vet, $n_unl left out, $n_unl_t of them only for their tests (bench/out/vet-unloadable.txt${missing_pc:+; missing pkg-config: $missing_pc})"

  # Files go vet sees (for the files/MB columns): the packages' Go, cgo and
  # test files for this GOOS/GOARCH.
  mapfile -t vet_pkgs <"$out/vet-packages.txt"
  # shellcheck disable=SC2016  # a Go template, not shell
  go list -e -f '{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .CgoFiles}}{{$d}}/{{.}}
{{end}}{{range .TestGoFiles}}{{$d}}/{{.}}
{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}
{{end}}' "${vet_pkgs[@]}" 2>/dev/null | sed '/^$/d' | LC_ALL=C sort -u >"$out/vet-files.txt"
  n_vf=$(wc -l <"$out/vet-files.txt"); b_vf=$(count_bytes "$out/vet-files.txt")

  say "go vet: warming the build cache (untimed run)"
  go vet -lostcancel -httpresponse "${vet_pkgs[@]}" >"$out/vet-warm.log" 2>&1
  say "go vet: timed run"
  for ((round = 1; round <= repeat; round++)); do
    timed go_vet 2 go vet -lostcancel -httpresponse "${vet_pkgs[@]}" || true
  done
  cp "$out/go_vet.stderr" "$out/vet.log" 2>/dev/null
  # go vet prints a "# pkg" header before each package's output. A package
  # whose block has a "vet:" (type-check) error or compiler error failed; the
  # file:line:col lines of the other blocks are the analysers' diagnostics.
  : >"$out/vet-failed.txt"
  awk -v failed="$out/vet-failed.txt" '
    function flush() { if (hdr != "") { if (bad) print hdr > failed; else diag += nd }; hdr = ""; bad = 0; nd = 0 }
    /^# / { flush(); hdr = $2; next }
    /^vet: / || /\.go:[0-9]+(:[0-9]+)?: (undefined|cannot|invalid|too many|not enough|missing|unknown|imported and not used|declared but not used)/ { bad = 1; next }
    /\.go:[0-9]+:[0-9]+: / { nd++ }
    END { flush(); print diag + 0 }' "$out/vet.log" >"$out/vet-diag-count.txt"
  sort -u -o "$out/vet-failed.txt" "$out/vet-failed.txt"
  n_vfail=$(wc -l <"$out/vet-failed.txt")
  n_diag=$(cat "$out/vet-diag-count.txt")
  vet_note="go vet: $n_vet packages vetted ($n_vfail failed while vetting: bench/out/vet-failed.txt), $n_unl not vettable in GOPATH mode ($n_unl_t only for imports in their tests: bench/out/vet-unloadable.txt); $n_diag diagnostics"
  say "$vet_note"
  [ -n "${T_go_vet:-}" ] && add_row "go vet" "$n_vf" "$b_vf" "$T_go_vet"
fi

# --------------------------------------------------------------- summary ----
summary="$out/summary.txt"
{
  echo "leakhound benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')  $(nproc) cores  load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "corpus: ${#ROOTS[@]} roots, $n_all .go files, $(mb "$b_all") MB ($n_gen generated, $(mb "$b_gen") MB)"
  echo "benchmark set: $n_files files, $(mb "$b_files") MB$([ "${BENCH_INCLUDE_GENERATED:-0}" = 1 ] && echo ' (generated files included)' || echo ' (generated files left out, as leakhound does by default)')"
  if ((repeat > 1)); then echo "each row: fastest of $repeat runs"; fi
  echo
  printf '%-18s %7s %7s %8s %8s %9s %10s %8s %8s\n' "tool" "files" "MB" "wall s" "CPU s" "MB/s" "MB/s/core" "RSS MB" "other s"
  for r in "${rows[@]}"; do
    IFS='|' read -r label f b w u s m o <<<"$r"
    awk -v l="$label" -v f="$f" -v b="$b" -v w="$w" -v u="$u" -v s="$s" -v m="$m" -v o="$o" 'BEGIN {
      mbv = b / 1e6; cpu = u + s
      printf "%-18s %7d %7.1f %8.2f %8.2f %9.2f %10.2f %8.1f %8.2f\n", l, f, mbv, w, cpu,
        (w > 0 ? mbv / w : 0), (cpu > 0 ? mbv / cpu : 0), m / 1024, o }'
  done
  echo
  wall_of() { local r; for r in "${rows[@]}"; do [ "${r%%|*}" = "$1" ] && { cut -d'|' -f4 <<<"$r"; return; }; done; }
  bj2="$(wall_of 'ts baseline -j2')"; lj2="$(wall_of 'leakhound -j2')"; gv="$(wall_of 'go vet')"
  if [ -n "$bj2" ] && [ -n "$lj2" ]; then
    awk -v a="$lj2" -v b="$bj2" 'BEGIN { printf "leakhound -j2 wall / ts baseline -j2 wall = %.2f\n", a / b }'
  fi
  bc="$(wall_of 'lh body-close -j2')"; ar="$(wall_of 'lh all rules -j2')"
  if [ -n "$bc" ] && [ -n "$ar" ]; then
    awk -v a="$ar" -v b="$bc" 'BEGIN { printf "all rules wall / body-close alone wall  = %.2f\n", a / b }'
  fi
  if [ -n "$gv" ] && [ -n "$lj2" ]; then
    awk -v a="$gv" -v b="$lj2" 'BEGIN { printf "go vet wall / leakhound -j2 wall       = %.2f\n", a / b }'
  fi
  [ -n "$lh_note" ] && echo "$lh_note"
  [ -n "$vet_note" ] && echo "$vet_note"
  echo "columns: wall s = elapsed; CPU s = user + sys; MB/s = MB / wall; MB/s/core = MB / CPU s;"
  echo "         RSS MB = peak resident set of the largest single process (/usr/bin/time %M);"
  echo "         other s = CPU time used by everything else on the machine during the run (0 = quiet)"
} >"$summary"
echo
cat "$summary"
