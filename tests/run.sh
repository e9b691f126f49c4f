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
#   GALGATE_FUZZ_SECONDS=8                        fuzzing time per target
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./deploy/install-deps.sh --test

export PATH="$PATH:/usr/sbin"
status=0

run_suite() {	# build-dir label
	echo "== $2: unit tests"
	"$1/unit_tests" --jobs 2 || status=1
	echo "== $2: integration tests"
	"$1/integration_tests" --jobs 2 || status=1
	# every server a test starts lives in its /tmp/gg-* or /tmp/gm-*
	# directory and must be stopped by it
	left=$(pgrep -a -f '/tmp/g[gm]-' || :)
	if [ -n "$left" ]; then
		echo "== $2: servers the tests left running:"
		echo "$left"
		pkill -f '/tmp/g[gm]-' || :
		status=1
	fi
}

for stage in ${GALGATE_TEST_STAGES:-release sanitize fuzz}; do
	case $stage in
	release)
		cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
		cmake --build build-release -j "$(nproc)" >/dev/null
		run_suite build-release release
		;;
	sanitize)
		build=${GALGATE_TEST_BUILD:-build-test}
		cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug \
		    -DGALGATE_SANITIZE=ON >/dev/null
		cmake --build "$build" -j "$(nproc)" >/dev/null
		# A leak found in a Criterion test process is reported when
		# it exits but does not fail that test: the stage's output
		# is kept and searched for any sanitizer report.
		log="$build/sanitize.log"
		rm -f "$log.status"
		(
			export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
			export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
			export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
			run_suite "$build" "sanitize (ASan+UBSan+LSan)"
			echo "$status" > "$log.status"
		) 2>&1 | tee "$log"
		[ "$(cat "$log.status" 2>/dev/null)" = 0 ] || status=1
		if grep -E -e 'ERROR: (AddressSanitizer|LeakSanitizer)' \
		    -e 'runtime error:' "$log" >/dev/null; then
			echo "== sanitize: sanitizer reports in the output" \
			    "above ($(grep -c -E -e 'ERROR: (Address|Leak)Sanitizer' \
			    -e 'runtime error:' "$log") lines)"
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
		    "${GALGATE_FUZZ_SECONDS:-8}s per target"
		tests/fuzz/run.sh -t "${GALGATE_FUZZ_SECONDS:-8}" || status=1
		;;
	*)
		echo "tests/run.sh: unknown stage '$stage'" >&2
		exit 2
		;;
	esac
done
if [ $status -ne 0 ]; then
	echo "tests FAILED"
	exit 1
fi
echo "all tests passed"
