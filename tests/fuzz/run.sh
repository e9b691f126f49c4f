#!/bin/sh
# Runs the libFuzzer targets built in build-fuzz (see README "Fuzzing"),
# one after the other:
#   1. each target replays its crash regressions, tests/fuzz/regressions/
#      TARGET/*: every input that once crashed it must now pass;
#   2. then fuzzes for SECONDS on a scratch copy of tests/fuzz/corpus/
#      TARGET (the repository's corpus is never written), with the
#      target's dictionary.
# The smoke runs use seed 1 (GALGATE_FUZZ_SEED overrides; 0 = random).
# Any crash, sanitizer report or broken property fails the run; the input
# that did it is kept in BUILD/fuzz-artifacts/ and named in the output.
#
#   tests/fuzz/run.sh [-b BUILD] [-t SECONDS] [TARGET...]
#
# TARGET is a corpus name (ccdir, conf, dirsync, dn, iosync, mail,
# pcm_trans); none means all.  SECONDS defaults to 8.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build-fuzz
secs=8
while getopts b:t: opt; do
	case $opt in
	b) build=$(cd "$OPTARG" && pwd) ;;
	t) secs=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD] [-t SECONDS] [TARGET...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
fuzz=$top/tests/fuzz
targets=${*:-$(cd "$fuzz/corpus" && ls)}

work=$(mktemp -d /tmp/galgate-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
status=0

for t in $targets; do
	bin=$build/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "fuzz $t: $bin is missing (cmake --build $build --target fuzz)"
		status=1
		continue
	fi
	log=$work/$t.log
	if [ -d "$fuzz/regressions/$t" ] &&
	    [ -n "$(ls -A "$fuzz/regressions/$t")" ]; then
		if ! "$bin" "$fuzz/regressions/$t"/* >"$log" 2>&1; then
			echo "fuzz $t: a regression input fails again:"
			grep -E 'Running:|ERROR|violated|SUMMARY' "$log" | tail -n 20
			status=1
			continue
		fi
		nreg=$(ls -A "$fuzz/regressions/$t" | wc -l)
	else
		nreg=0
	fi
	mkdir -p "$work/$t"
	cp "$fuzz/corpus/$t"/* "$work/$t/"
	dict=
	[ -f "$fuzz/$t.dict" ] && dict=-dict=$fuzz/$t.dict
	# shellcheck disable=SC2086
	# a fixed seed: the suite explores the same inputs on every machine,
	# so it passes or fails on the code, not on luck (the long runs in
	# README "Fuzzing" are where new inputs are searched for);
	# GALGATE_FUZZ_SEED=0 asks libFuzzer for a random one
	if "$bin" -seed="${GALGATE_FUZZ_SEED:-1}" -max_total_time="$secs" \
	    -print_final_stats=1 \
	    -artifact_prefix="$artifacts/$t-" $dict "$work/$t" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
		    sed -n 's/.*\(cov: [0-9]*\) \(ft: [0-9]*\) \(corp: [^ ]*\).*/\1 \2 \3/p')
		echo "fuzz $t: ok, $nreg regressions replayed, $execs runs in" \
		    "${secs}s ($rate/s), $cov"
	else
		echo "fuzz $t: FAILED"
		# the report, and the stack frames inside galgate
		grep -E "ERROR|violated|SUMMARY|Test unit written|^    #[0-9]+ .* $top/" \
		    "$log" | head -n 30
		status=1
	fi
done
exit $status
