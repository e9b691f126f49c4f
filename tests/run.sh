#!/bin/sh
# The whole test suite: installs what is missing, then runs every test
# twice: first on an optimized build (some warnings only show with -O2 and
# -O3), then on a build with AddressSanitizer, UndefinedBehaviorSanitizer
# and leak detection, where any report fails the run (a failing test, or
# a report anywhere in the stage's output).  Each integration
# test starts and stops its own private slapd, and mail servers where it
# needs them, on loopback.  Last, the libFuzzer targets of every parser
# (clang) replay their crash regressions and fuzz for a few seconds each.
#
#   GALGATE_TEST_STAGES="release sanitize fuzz"   the stages to run (default all)
#   GALGATE_FUZZ_SECONDS=6                        fuzzing time per target
#   GALGATE_TEST_JOBS=2                           integration tests at once
#
# The flake check: the chosen tests N times in one build while as many
# CPU-bound jobs as there are cores load the machine; prints how many
# runs failed (and fails if any did).
#
#   tests/run.sh --repeat N [--filter PATTERN] [--stage release|sanitize]
#
# PATTERN is Criterion's (--filter 'crash_*/*'); the default stage is
# sanitize, where load changes timings the most.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

usage() {
	echo "usage: tests/run.sh [--repeat N [--filter PATTERN]" \
	    "[--stage release|sanitize]]" >&2
	exit 2
}

repeat=""; filter=""; rstage=sanitize
while [ $# -gt 0 ]; do
	case $1 in
	--repeat) [ $# -ge 2 ] || usage; repeat=$2; shift 2 ;;
	--filter) [ $# -ge 2 ] || usage; filter=$2; shift 2 ;;
	--stage) [ $# -ge 2 ] || usage; rstage=$2; shift 2 ;;
	*) usage ;;
	esac
done
case $repeat in
'') [ -z "$filter" ] || usage ;;
*[!0-9]*|0) echo "tests/run.sh: --repeat: not a positive number:" \
	    "$repeat" >&2; exit 2 ;;
esac
case $rstage in
release|sanitize) ;;
*) echo "tests/run.sh: --stage: release or sanitize, not '$rstage'" >&2
	exit 2 ;;
esac

./deploy/install-deps.sh --test

export PATH="$PATH:/usr/sbin"
status=0
sanitize_build=${GALGATE_TEST_BUILD:-build-test}

build_release() {
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-release -j "$(nproc)" >/dev/null
}

build_sanitize() {
	cmake -S . -B "$sanitize_build" -DCMAKE_BUILD_TYPE=Debug \
	    -DGALGATE_SANITIZE=ON >/dev/null
	cmake --build "$sanitize_build" -j "$(nproc)" >/dev/null
}

# A leak found in a Criterion test process is reported when it exits but
# does not fail that test: the output is kept and searched for any
# sanitizer report.
sanitizer_env() {
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
	export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
}

sanitizer_reports() {	# log: prints the number of reports in it
	grep -c -E -e 'ERROR: (AddressSanitizer|LeakSanitizer)' \
	    -e 'runtime error:' "$1" || :
}

# every server a test starts lives in its /tmp/gg-* or /tmp/gm-*
# directory and must be stopped by it
servers_left() {	# label
	left=$(pgrep -a -f '/tmp/g[gm]-' || :)
	[ -z "$left" ] && return 1
	echo "== $1: servers the tests left running:"
	echo "$left"
	pkill -f '/tmp/g[gm]-' || :
	return 0
}

run_suite() {	# build-dir label
	echo "== $2: unit tests"
	"$1/unit_tests" --jobs 2 || status=1
	echo "== $2: integration tests"
	"$1/integration_tests" --jobs "${GALGATE_TEST_JOBS:-2}" || status=1
	if servers_left "$2"; then
		status=1
	fi
}

if [ -n "$repeat" ]; then
	if [ "$rstage" = release ]; then
		build=build-release
		build_release
	else
		build=$sanitize_build
		build_sanitize
		sanitizer_env
	fi
	loadpids=""
	stop_load() {
		# shellcheck disable=SC2086
		[ -z "$loadpids" ] || kill $loadpids 2>/dev/null || :
		loadpids=""
	}
	trap stop_load EXIT INT TERM
	i=0
	while [ "$i" -lt "$(nproc)" ]; do
		sh -c 'while :; do :; done' &
		loadpids="$loadpids $!"
		i=$((i + 1))
	done
	echo "== repeat: ${filter:-every test} $repeat times in $build," \
	    "with $(nproc) CPU-bound jobs beside it"
	failed=0; run=1
	while [ "$run" -le "$repeat" ]; do
		log="$build/repeat.$run.log"
		: >"$log"
		ok=1; tested=0
		for bin in unit_tests integration_tests; do
			if [ -n "$filter" ]; then
				"$build/$bin" --jobs 2 --filter "$filter" \
				    >>"$log" 2>&1 || ok=0
			else
				"$build/$bin" --jobs 2 >>"$log" 2>&1 || ok=0
			fi
		done
		[ "$(sanitizer_reports "$log")" = 0 ] || ok=0
		if servers_left "run $run" >>"$log"; then
			ok=0
		fi
		tested=$(sed -n 's/.*Synthesis: Tested: \([0-9]*\).*/\1/p' \
		    "$log" | awk '{ n += $1 } END { print n + 0 }')
		if [ "$tested" -eq 0 ]; then
			stop_load
			echo "tests/run.sh: no test matches '$filter'" >&2
			exit 2
		fi
		if [ $ok = 1 ]; then
			echo "run $run: passed ($tested tests)"
			rm -f "$log"
		else
			failed=$((failed + 1))
			echo "run $run: FAILED ($tested tests), output in $log:"
			grep -E -e '\[FAIL\]' -e 'Assertion Failed' -e \
			    'ERROR: (Address|Leak)Sanitizer' -e 'runtime error:' \
			    -e 'Synthesis' "$log" | head -n 20
		fi
		run=$((run + 1))
	done
	stop_load
	echo "== repeat: $failed of $repeat runs failed"
	[ "$failed" -eq 0 ] || exit 1
	exit 0
fi

for stage in ${GALGATE_TEST_STAGES:-release sanitize fuzz}; do
	started=$(date +%s)
	case $stage in
	release)
		build_release
		run_suite build-release release
		;;
	sanitize)
		build_sanitize
		log="$sanitize_build/sanitize.log"
		rm -f "$log.status"
		(
			sanitizer_env
			# the crash tests' points: every one in the release
			# stage; here each failpoint's first and last pass
			export GALGATE_CRASH_ENDS=${GALGATE_CRASH_ENDS:-1}
			run_suite "$sanitize_build" "sanitize (ASan+UBSan+LSan)"
			echo "$status" > "$log.status"
		) 2>&1 | tee "$log"
		[ "$(cat "$log.status" 2>/dev/null)" = 0 ] || status=1
		n=$(sanitizer_reports "$log")
		if [ "$n" != 0 ]; then
			echo "== sanitize: sanitizer reports in the output" \
			    "above ($n lines)"
			status=1
		fi
		;;
	fuzz)
		# README "Fuzzing": a clang build of its own, the repository's
		# corpus copied, never written
		cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang \
		    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGALGATE_FUZZ=ON \
		    -DGALGATE_TESTS=OFF >/dev/null
		cmake --build build-fuzz --target fuzz -j "$(nproc)" >/dev/null
		echo "== fuzz: crash regressions, then" \
		    "${GALGATE_FUZZ_SECONDS:-6}s per target"
		tests/fuzz/run.sh -t "${GALGATE_FUZZ_SECONDS:-6}" || status=1
		;;
	*)
		echo "tests/run.sh: unknown stage '$stage'" >&2
		exit 2
		;;
	esac
	took=$(($(date +%s) - started))
	echo "== $stage: $((took / 60)) min $((took % 60)) s, build included"
done
if [ $status -ne 0 ]; then
	echo "tests FAILED"
	exit 1
fi
echo "all tests passed"
