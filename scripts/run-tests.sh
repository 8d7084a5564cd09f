#!/bin/sh
# Runs criterion test binaries one after another (each in turn uses both
# cores) and prints one closing line with the totals.
set -u
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
passed=0; failed=0; bad=""
for t in "$@"; do
    out=$("$t" --jobs "${GW_TEST_JOBS:-2}" 2>&1); rc=$?
    [ -n "${GW_TEST_LOGDIR:-}" ] && printf '%s\n' "$out" > "$GW_TEST_LOGDIR/$(basename "$t").log"
    printf '%s\n' "$out" | tail -n 40 | grep -v '^\[----\]' || true
    # The assertion and its message, which the tail above may not reach.
    printf '%s\n' "$out" | grep -A3 'Assertion Failed' || true
    line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(printf '%s' "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        bad="$bad $(basename "$t")"
        [ -z "$line" ] && failed=$((failed + 1))
    fi
done
echo "tests: $passed passed, $failed failed"
[ -z "$bad" ] || { echo "failing suites:$bad"; exit 1; }
