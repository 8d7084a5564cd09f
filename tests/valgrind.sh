#!/bin/sh
# make valgrind: memcheck over a build without sanitizers (build/vg/geowire).
#  1. `geowire run` on the embedded broker over the sample feed with --print,
#     until every feed item has been printed, then SIGTERM: the daemon's
#     whole life (Kafka handles, mock cluster, delivery tracking, shutdown).
#  2. `geowire tag` over the hostile corpus (tools/gen-hostile.py).
#  3. `geowire check` on the billion-laughs config (exit 2, refused).
# Both must exit 0 with zero memcheck errors and no definite or indirect
# leak; tests/valgrind.supp names the only library internals suppressed.
set -u
bin=build/vg/geowire
out=build/vg
VG="valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=30
    --suppressions=tests/valgrind.supp --gen-suppressions=all"
status=0

# --- 1. the daemon ---------------------------------------------------------
feed=config/sample-feed.jsonl
want=$(grep -c . "$feed")
rm -f $out/run.out $out/run.err
env -u GEOWIRE_BROKERS $VG --log-file=$out/run.vg $bin run -c config/geowire.yaml --print \
    --feed "$feed" >$out/run.out 2>$out/run.err &
pid=$!
printed() { n=$(grep -c '"schema":"geowire.record.v1"' $out/run.out 2>/dev/null); echo "${n:-0}"; }
# Under valgrind the first group join and every item are slow: poll, bounded.
i=0
while [ "$(printed)" -lt "$want" ] && [ $i -lt 600 ]; do
    kill -0 $pid 2>/dev/null || break
    sleep 0.5; i=$((i + 1))
done
got=$(printed)
kill -TERM $pid 2>/dev/null
wait $pid; rc=$?
echo "valgrind run: $got of $want feed items printed, exit $rc ($(grep 'ERROR SUMMARY' $out/run.vg | sed 's/==[0-9]*== //'))"
if [ "$rc" -ne 0 ] || [ "$got" -lt "$want" ]; then
    status=1; tail -n 60 $out/run.vg; tail -n 20 $out/run.err
fi

# --- 2. tag over the hostile corpus ----------------------------------------
mkdir -p build/fixtures
python3 tools/gen-hostile.py --out build/fixtures/hostile.txt --bomb build/fixtures/bomb.yaml >/dev/null || exit 1
lines=$(wc -l < build/fixtures/hostile.txt)
$VG --log-file=$out/tag.vg $bin tag -c config/geowire.yaml <build/fixtures/hostile.txt >$out/tag.out 2>$out/tag.err
rc=$?
got=$(wc -l < $out/tag.out)
echo "valgrind tag: $lines hostile lines, $got records, exit $rc ($(grep 'ERROR SUMMARY' $out/tag.vg | sed 's/==[0-9]*== //'))"
if [ "$rc" -ne 0 ] || [ "$got" -ne "$lines" ]; then
    status=1; tail -n 60 $out/tag.vg
fi

# --- 3. the billion-laughs config ------------------------------------------
$VG --log-file=$out/check.vg $bin check -c build/fixtures/bomb.yaml >/dev/null 2>$out/check.err
rc=$?
echo "valgrind check: billion-laughs config, exit $rc, want 2 ($(grep 'ERROR SUMMARY' $out/check.vg | sed 's/==[0-9]*== //'))"
if [ "$rc" -ne 2 ]; then
    status=1; cat $out/check.err; tail -n 60 $out/check.vg
fi
exit $status
