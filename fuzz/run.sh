#!/bin/sh
# Runs libFuzzer targets one after another, each for SECONDS, and prints one
# line per target: executions, new corpus entries, crashes. Exit 1 if any
# target crashed (the input is kept under build/fuzz/crashes/).
#   fuzz/run.sh SECONDS TARGET...
# A run name without a binary of its own ("resolve") uses build/fuzz/fuzz_pipeline.
# Needs to run from the repository root (the targets load config/geowire.yaml).
set -u
secs=$1; shift
status=0
mkdir -p build/fuzz/crashes
for run in "$@"; do
    bin=build/fuzz/fuzz_$run
    [ -x "$bin" ] || bin=build/fuzz/fuzz_pipeline
    work=build/fuzz/corpus/$run
    mkdir -p "$work"
    dict=""
    [ -f "fuzz/dict/$run.dict" ] && dict="-dict=fuzz/dict/$run.dict"
    log=build/fuzz/$run.log
    # -rss_limit_mb and -timeout turn a memory blow-up or a hang into a
    # reported crash instead of a stuck CI job.
    $bin $dict -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$run-" \
        "$work" "fuzz/corpus/$run" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    units=$(ls "$work" | wc -l)
    crashes=$(ls build/fuzz/crashes | grep -c "^$run-" || true)
    echo "fuzz $run: ${secs}s, ${execs:-0} executions, corpus $units, exit $rc, crash files $crashes"
    if [ $rc -ne 0 ]; then
        status=1
        grep -m1 -A12 'ERROR\|invariant broken\|deadly signal' "$log" | head -n 20
    fi
done
exit $status
