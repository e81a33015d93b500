#!/bin/sh
# bench/run.sh — jobnotify's benchmark harness. See docs/performance.md.
#
# Builds jobnotify, bench/minpost and bench/server, starts the server on
# 127.0.0.1, times jobnotify against curl and a minimal Go POST in
# rotation, runs the Go benchmarks, and prints one Markdown report.
#
#   bench/run.sh                 # full run, about 2 to 3 minutes on 2 cores
#   ROUNDS=10 BENCHTIME=100x bench/run.sh   # quick smoke run
#
# Settings (environment): ONLY (only these groups, by number, e.g.
# ONLY="1 2b 2c"; default all), ROUNDS (rounds of the small groups, default 30),
# BIG_ROUNDS (rounds of the large-body groups, default 20), WARMUP (3),
# BENCHTIME (go test -benchtime, default 1s), BENCH_OUT (also write the
# report to this file).
#
# Needs go; uses curl and GNU time when present. Run as root on a Debian or
# Ubuntu machine, it installs missing curl and time with apt-get (and says
# so); otherwise it skips the curl rows and the GNU time cross-check with a
# note. Nothing leaves 127.0.0.1.
set -eu

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-30}
BIG_ROUNDS=${BIG_ROUNDS:-20}
WARMUP=${WARMUP:-3}
BENCHTIME=${BENCHTIME:-1s}

note() { printf 'bench: %s\n' "$*" >&2; }

command -v go >/dev/null 2>&1 || { note "go is not installed (https://go.dev/dl/); it is needed to build jobnotify"; exit 2; }

# Missing tools: install them when we can, else carry on without them.
missing=""
command -v curl >/dev/null 2>&1 || missing="$missing curl"
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		note "installing missing Debian packages:$missing (apt-get, as root)"
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2 ||
			note "apt-get failed; carrying on without:$missing"
	else
		note "missing:$missing (not root or no apt-get: install them for the full report)"
	fi
fi
CURL=$(command -v curl 2>/dev/null || true)
GNU_TIME=""
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then GNU_TIME=/usr/bin/time; fi
[ -n "$CURL" ] || note "curl not found: the curl rows are skipped"
[ -n "$GNU_TIME" ] || note "GNU time not found: peak RSS comes from wait4's ru_maxrss only (the same number GNU time prints)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/jobnotify-bench.XXXXXX")
SERVER_PID=""
cleanup() {
	[ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

note "building in $WORK"
# jobnotify is built as its release is (.goreleaser.yaml): static,
# -trimpath, without the man-page renderer urfave/cli links by default,
# without the symbol table and DWARF; bench/minpost with the very same
# flags, so that linking differences cancel out. The build a plain
# `go build` makes (dynamic where a C compiler is installed, with the
# renderer) is timed beside it in the small groups.
release_build() { CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags "-s -w" "$@"; }
release_build -o "$WORK/jobnotify" .
release_build -o "$WORK/minpost" ./bench/minpost
go build -o "$WORK/jobnotify-plain" .
go build -o "$WORK/server" ./bench/server
go build -o "$WORK/compare" ./bench/compare

"$WORK/server" -addr-file "$WORK/addr" &
SERVER_PID=$!
i=0
while [ ! -s "$WORK/addr" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { note "bench/server did not start"; exit 1; }
	sleep 0.05
done
URL=$(cat "$WORK/addr")

size() { wc -c <"$1" | tr -d ' '; }
file_kind() {
	if command -v file >/dev/null 2>&1; then
		file -b "$1" | grep -o -E 'statically linked|dynamically linked' || echo "linking unknown"
	else
		echo "linking unknown (no file command)"
	fi
}
mibs() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

report() {
	echo "## jobnotify benchmark, $(date -u +%Y-%m-%d)"
	echo
	echo "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1), $(uname -sr)"
	echo "- $(go version)"
	[ -z "$CURL" ] || echo "- $("$CURL" --version | head -1 | cut -d' ' -f1-2)"
	echo "- builds: jobnotify and bench/minpost alike, CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags \"-s -w\": $(size "$WORK/jobnotify") bytes ($(mibs "$(size "$WORK/jobnotify")")), $(file_kind "$WORK/jobnotify"), and $(size "$WORK/minpost") bytes ($(mibs "$(size "$WORK/minpost")")), $(file_kind "$WORK/minpost"); jobnotify from a plain go build $(size "$WORK/jobnotify-plain") bytes, $(file_kind "$WORK/jobnotify-plain")"
	echo "- command: bench/run.sh (ROUNDS=$ROUNDS BIG_ROUNDS=$BIG_ROUNDS WARMUP=$WARMUP BENCHTIME=$BENCHTIME${ONLY:+ ONLY=\"$ONLY\"})"
	echo
	echo "### Whole process, in rotation against 127.0.0.1"
	echo
	"$WORK/compare" -jobnotify "$WORK/jobnotify" -label "jobnotify send" \
		-variant "jobnotify from a plain go build=$WORK/jobnotify-plain" \
		-minpost "$WORK/minpost" \
		-curl "$CURL" -gnu-time "$GNU_TIME" -url "$URL" -dir "$WORK" \
		-rounds "$ROUNDS" -big-rounds "$BIG_ROUNDS" -warmup "$WARMUP" -groups "${ONLY:-}"
	echo
	echo "### Package initialisation (GODEBUG=inittrace=1, one dry run)"
	echo
	GODEBUG=inittrace=1 "$WORK/jobnotify-plain" send --dry-run --url "$URL/x" >/dev/null 2>"$WORK/inittrace-plain" || true
	GODEBUG=inittrace=1 "$WORK/jobnotify" send --dry-run --url "$URL/x" >/dev/null 2>"$WORK/inittrace" || true
	for f in inittrace inittrace-plain; do
		awk -v f="$f" '/^init / { ms += $5; b += $8; n++ }
			END { printf "- %s: %d packages, %.2f ms, %d KiB allocated\n", (f == "inittrace-plain" ? "a plain go build" : "the release build"), n, ms, b / 1024 }' "$WORK/$f"
	done
	echo "- costliest in the release build:"
	awk '/^init / { printf "%s %s\n", $5, $2 }' "$WORK/inittrace" | sort -rn | head -3 |
		awk '{ printf "  - %s %.2f ms\n", $2, $1 }'
	echo
	echo "### Go benchmarks (go test -run '^\$' -bench . -benchmem -benchtime $BENCHTIME ./envcollect ./notify ./redact ./internal/fastjson)"
	echo
	echo '```'
	go test -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" ./envcollect ./notify ./redact ./internal/fastjson 2>&1 |
		grep -E '^(Benchmark|ok|FAIL|---)' | tee "$WORK/gobench" || true
	echo '```'
	echo
	# The targets the Go benchmarks check: a payload of 3,000 variables
	# built in 2 ms or less, redaction at 100 MB/s or more (its slowest case).
	awk '
		/^BenchmarkBuild\/vars=3000\/body=none/ { for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") build = $i / 1e6 }
		/^BenchmarkRedact\// { for (i = 1; i < NF; i++) if ($(i+1) == "MB/s" && (red == "" || $i < red)) red = $i }
		END {
			if (build != "") printf "%s  payload build, 3,000 variables: %.2f ms (target ≤ 2 ms)\n", (build <= 2 ? "MET    " : "NOT MET"), build
			if (red != "") printf "%s  redaction: %.1f MB/s at the slowest (target ≥ 100 MB/s)\n", (red >= 100 ? "MET    " : "NOT MET"), red
		}' "$WORK/gobench"
}

if [ -n "${BENCH_OUT:-}" ]; then
	report | tee "$BENCH_OUT"
else
	report
fi
