#!/bin/sh
# The whole test suite: installs what is missing, builds with
# AddressSanitizer and UndefinedBehaviorSanitizer, runs the unit tests and
# the integration tests (each starts and stops its own private slapd, and
# mail servers where it needs them, on loopback).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./deploy/install-deps.sh --test

# an optimized build first: some warnings only show with -O2 and -O3
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j "$(nproc)" >/dev/null

build=${GALGATE_TEST_BUILD:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DGALGATE_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export PATH="$PATH:/usr/sbin"

status=0
echo "== unit tests"
"$build/unit_tests" --jobs 2 || status=1
echo "== integration tests"
"$build/integration_tests" --jobs 2 || status=1
if [ $status -ne 0 ]; then
	echo "tests FAILED"
	exit 1
fi
echo "all tests passed"
