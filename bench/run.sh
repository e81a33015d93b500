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
# Settings (environment): ROUNDS (rounds of the small groups, default 30),
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
# The headline build is the documented one (docs/jenkins.md): without the
# man-page renderer urfave/cli links by default. The other two are timed
# beside it in the small groups.
go build -tags urfave_cli_no_docs -o "$WORK/jobnotify" .
go build -o "$WORK/jobnotify-docs" .
go build -tags urfave_cli_no_docs -ldflags "-s -w" -o "$WORK/jobnotify-sw" .
go build -o "$WORK/minpost" ./bench/minpost
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
mibs() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

report() {
	echo "## jobnotify benchmark, $(date -u +%Y-%m-%d)"
	echo
	echo "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1), $(uname -sr)"
	echo "- $(go version)"
	[ -z "$CURL" ] || echo "- $("$CURL" --version | head -1 | cut -d' ' -f1-2)"
	echo "- binaries: jobnotify -tags urfave_cli_no_docs $(size "$WORK/jobnotify") bytes ($(mibs "$(size "$WORK/jobnotify")")); without the tag $(size "$WORK/jobnotify-docs") bytes ($(mibs "$(size "$WORK/jobnotify-docs")")); with the tag and -ldflags \"-s -w\" $(size "$WORK/jobnotify-sw") bytes ($(mibs "$(size "$WORK/jobnotify-sw")")); bench/minpost $(size "$WORK/minpost") bytes"
	echo "- command: bench/run.sh (ROUNDS=$ROUNDS BIG_ROUNDS=$BIG_ROUNDS WARMUP=$WARMUP BENCHTIME=$BENCHTIME)"
	echo
	echo "### Whole process, in rotation against 127.0.0.1"
	echo
	"$WORK/compare" -jobnotify "$WORK/jobnotify" -label "jobnotify send (-tags urfave_cli_no_docs)" \
		-variant "jobnotify built without the tag=$WORK/jobnotify-docs" \
		-variant "jobnotify -tags urfave_cli_no_docs -ldflags \"-s -w\"=$WORK/jobnotify-sw" \
		-minpost "$WORK/minpost" \
		-curl "$CURL" -gnu-time "$GNU_TIME" -url "$URL" -dir "$WORK" \
		-rounds "$ROUNDS" -big-rounds "$BIG_ROUNDS" -warmup "$WARMUP"
	echo
	echo "### Package initialisation (GODEBUG=inittrace=1, one dry run)"
	echo
	GODEBUG=inittrace=1 "$WORK/jobnotify-docs" send --dry-run --url "$URL/x" >/dev/null 2>"$WORK/inittrace-docs" || true
	GODEBUG=inittrace=1 "$WORK/jobnotify" send --dry-run --url "$URL/x" >/dev/null 2>"$WORK/inittrace" || true
	for f in inittrace-docs inittrace; do
		awk -v f="$f" '/^init / { ms += $5; b += $8; n++ }
			END { printf "- %s: %d packages, %.2f ms, %d KiB allocated\n", (f == "inittrace-docs" ? "without the tag" : "-tags urfave_cli_no_docs"), n, ms, b / 1024 }' "$WORK/$f"
	done
	echo "- costliest without the tag:"
	awk '/^init / { printf "%s %s\n", $5, $2 }' "$WORK/inittrace-docs" | sort -rn | head -3 |
		awk '{ printf "  - %s %.2f ms\n", $2, $1 }'
	echo
	echo "### Go benchmarks (go test -run '^\$' -bench . -benchmem -benchtime $BENCHTIME ./envcollect ./notify ./redact ./internal/fastjson)"
	echo
	echo '```'
	go test -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" ./envcollect ./notify ./redact ./internal/fastjson 2>&1 |
		grep -E '^(Benchmark|ok|FAIL|---)' || true
	echo '```'
}

if [ -n "${BENCH_OUT:-}" ]; then
	report | tee "$BENCH_OUT"
else
	report
fi
