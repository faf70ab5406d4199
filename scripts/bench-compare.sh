#!/usr/bin/env bash
# Compares the hot-path Go benchmarks of two commits on this machine:
# normalizing each carrier's payloads, encoding and decoding a canonical
# event, and one event through detection. Both sides are built first, then
# run in turn, one benchmark package at a time (base, new, then new, base,
# and so on), so that a machine getting busier or quieter weighs on both
# alike; benchstat prints the difference with its spread and whether it is
# significant.
#
# Usage: scripts/bench-compare.sh BASE [NEW]      (or make bench-compare BASE=<rev> [NEW=<rev>])
#   BASE  any git revision; checked out with git worktree add into a temporary
#         directory that is removed afterwards
#   NEW   a git revision the same way; without it, the working tree as it is
#         (uncommitted changes included)
#
# Settings (environment):
#   COUNT      runs of each side, interleaved  (default 6; 1..50)
#   BENCHTIME  go test -benchtime of each run  (default 1s)
#   CPU        go test -cpu                    (default 1)
#   BENCHSTAT  the benchstat binary            (default benchstat from PATH, then $GOPATH/bin)
#   GO         the go command                  (default go)
#   KEEP       a directory to keep both sides' raw go test output in (default: not kept)
#   ONLY       some of the packages below, space-separated (default: all of them)
#
# Only benchmarks that exist at both commits are compared; the others are
# named on stderr. A package missing at one side is skipped the same way, so
# BASE may predate this script and any benchmark added since.
set -euo pipefail

# The hot paths: package, then a -bench pattern (go test's per-level form:
# the part after the slash selects sub-benchmarks, and then a benchmark
# without any is not run, hence two lines for event). The reference
# implementations measured next to ours (goavro, encoding/json) are left out.
SUITES=(
	"normalizers/all ^BenchmarkNormalize$"
	"event ^(BenchmarkAvroEncoder|BenchmarkAppendJSON)$"
	"event ^BenchmarkAvroDecode$/^AvroDecoder$"
	"detect ^BenchmarkApply(Lanes)?$"
)
if [[ -n ${ONLY:-} ]]; then
	kept=()
	for suite in "${SUITES[@]}"; do
		[[ " $ONLY " == *" ${suite%% *} "* ]] && kept+=("$suite")
	done
	if [[ ${#kept[@]} -eq 0 ]]; then
		echo "bench-compare: ONLY=$ONLY names none of the hot-path packages (${SUITES[*]%% *})" >&2
		exit 2
	fi
	SUITES=("${kept[@]}")
fi

usage() {
	echo "usage: $0 BASE [NEW]  (compares the hot-path benchmarks of BASE with NEW, or with the working tree)" >&2
	exit 2
}
[[ $# -ge 1 && $# -le 2 && -n $1 ]] || usage
BASE_REV=$1
NEW_REV=${2:-}
COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
CPU=${CPU:-1}
GO=${GO:-go}
KEEP=${KEEP:-}
ONLY=${ONLY:-}

if ! [[ $COUNT =~ ^[0-9]+$ ]] || ((COUNT < 1 || COUNT > 50)); then
	echo "bench-compare: COUNT=$COUNT: want a whole number of runs from 1 to 50" >&2
	exit 2
fi
BENCHSTAT=${BENCHSTAT:-$(command -v benchstat || echo "$("$GO" env GOPATH)/bin/benchstat")}
if [[ ! -x $BENCHSTAT ]]; then
	echo "bench-compare: benchstat not found at $BENCHSTAT: run make bench-compare (it installs it) or go install golang.org/x/perf/cmd/benchstat@latest" >&2
	exit 2
fi

ROOT=$(git rev-parse --show-toplevel)
cd "$ROOT"
resolve() {
	git rev-parse --verify --quiet "$1^{commit}" || {
		echo "bench-compare: $1 is not a commit in $ROOT: give a hash, branch or tag" >&2
		exit 2
	}
}
BASE_HASH=$(resolve "$BASE_REV")
BASE_LABEL=$(git rev-parse --short "$BASE_HASH")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wismo-bench-compare.XXXXXX")
WORKTREES=()
cleanup() {
	for w in "${WORKTREES[@]}"; do
		git -C "$ROOT" worktree remove --force "$w" >/dev/null 2>&1 || true
	done
	git -C "$ROOT" worktree prune >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

checkout() { # checkout REV DIR
	git worktree add --detach --quiet "$2" "$1"
	WORKTREES+=("$2")
}
checkout "$BASE_HASH" "$TMP/base"
if [[ -n $NEW_REV ]]; then
	NEW_HASH=$(resolve "$NEW_REV")
	NEW_LABEL=$(git rev-parse --short "$NEW_HASH")
	checkout "$NEW_HASH" "$TMP/new"
	NEW_DIR=$TMP/new
else
	NEW_LABEL=worktree
	if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
		NEW_LABEL=worktree+changes
	fi
	NEW_DIR=$ROOT
fi
if [[ $NEW_LABEL == "$BASE_LABEL" ]]; then
	NEW_LABEL=$NEW_LABEL-new
fi

# build SIDE DIR: one test binary per suite, and the top-level benchmarks
# each binary holds.
build() {
	local side=$1 dir=$2 pkg pattern name
	mkdir -p "$TMP/$side.bin"
	for suite in "${SUITES[@]}"; do
		read -r pkg pattern <<<"$suite"
		name=${pkg//\//_}
		if [[ ! -d $dir/$pkg || -f $TMP/$side.bin/$name.list ]]; then
			continue
		fi
		echo "bench-compare: building $pkg at $side" >&2
		(cd "$dir" && "$GO" test -c -o "$TMP/$side.bin/$name.test" "./$pkg") || {
			echo "bench-compare: $pkg does not build at $side ($dir): fix the build or pick another revision" >&2
			exit 1
		}
		"$TMP/$side.bin/$name.test" -test.list '^Benchmark' | grep '^Benchmark' | sort >"$TMP/$side.bin/$name.list" || true
	done
}
build base "$TMP/base"
build new "$NEW_DIR"

# The -bench pattern of each suite, narrowed to the top-level benchmarks
# that match it on both sides.
declare -A RUN
for i in "${!SUITES[@]}"; do
	read -r pkg pattern <<<"${SUITES[$i]}"
	name=${pkg//\//_}
	top=${pattern%%/*}
	sub=
	[[ $pattern == */* ]] && sub=/${pattern#*/}
	b=$TMP/base.bin/$name.list n=$TMP/new.bin/$name.list
	if [[ ! -f $b || ! -f $n ]]; then
		echo "bench-compare: $pkg exists on one side only; not compared" >&2
		continue
	fi
	both=$(comm -12 "$b" "$n" | grep -E "$top" | paste -sd '|' || true)
	for only in $(comm -3 "$b" "$n" | tr -d '\t' | grep -E "$top" || true); do
		echo "bench-compare: $pkg $only exists on one side only; not compared" >&2
	done
	[[ -n $both ]] && RUN[$i]="^($both)\$$sub"
done
if [[ ${#RUN[@]} -eq 0 ]]; then
	echo "bench-compare: no hot-path benchmark exists at both $BASE_LABEL and $NEW_LABEL" >&2
	exit 1
fi

echo "bench-compare: $BASE_LABEL against $NEW_LABEL, $COUNT runs each interleaved, -benchtime $BENCHTIME -cpu $CPU" >&2
echo "bench-compare: load before: $(uptime)" >&2
for ((round = 1; round <= COUNT; round++)); do
	echo "bench-compare: round $round of $COUNT" >&2
	for i in "${!SUITES[@]}"; do
		read -r pkg _ <<<"${SUITES[$i]}"
		name=${pkg//\//_}
		[[ -n ${RUN[$i]:-} ]] || continue
		# Which side goes first alternates (base new, new base, ...), so a
		# steady drift in the machine's load weighs on both alike.
		sides="base new"
		((round % 2)) || sides="new base"
		for side in $sides; do
			dir=$TMP/base
			[[ $side == new ]] && dir=$NEW_DIR
			# Run from the package's directory, as go test does, so that
			# benchmarks find their testdata.
			(cd "$dir/$pkg" && "$TMP/$side.bin/$name.test" -test.run '^$' -test.bench "${RUN[$i]}" \
				-test.benchmem -test.cpu "$CPU" -test.benchtime "$BENCHTIME" -test.count 1) >>"$TMP/$side.txt" || {
				echo "bench-compare: $pkg benchmarks failed at $side; output so far in $TMP/$side.txt" >&2
				tail -20 "$TMP/$side.txt" >&2
				exit 1
			}
		done
	done
done
echo "bench-compare: load after: $(uptime)" >&2

if [[ -n $KEEP ]]; then
	mkdir -p "$KEEP"
	cp "$TMP/base.txt" "$KEEP/$BASE_LABEL.txt"
	cp "$TMP/new.txt" "$KEEP/$NEW_LABEL.txt"
fi
# Time, bytes and allocations per operation; the benchmarks' own rates
# (events/s, MB/s) say the same as time per operation.
"$BENCHSTAT" -filter '.unit:(sec/op OR B/op OR allocs/op)' "$BASE_LABEL=$TMP/base.txt" "$NEW_LABEL=$TMP/new.txt"
