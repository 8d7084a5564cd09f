/*
 * test_fuzz_replay.c - every fuzz target, built without libFuzzer under the
 * test build's ASan+UBSan (build/san/fuzz/replay_*), replays its seed corpus
 * and every crash a fuzzing campaign found (fuzz/regress/<target>/, one file
 * per fixed bug). The targets check their invariants themselves and abort
 * when one breaks, so a zero exit with every input replayed is the pass.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Runs one target over its corpus folders; returns how many inputs ran. */
static long replay(const char *target, const char *corpora) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "build/san/fuzz/replay_%s %s fuzz/regress/%s 2>build/replay-%s.err",
             target, corpora, target, target);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "cannot run %s", cmd);
    long n = -1;
    char line[128];
    while (fgets(line, sizeof line, p)) sscanf(line, "replayed %ld inputs", &n);
    int st = pclose(p);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "%s: an input broke an invariant or crashed (see build/replay-%s.err)", target, target);
    return n;
}

Test(fuzz_replay, pipeline_json_and_text, .timeout = 120) {
    cr_assert_geq(replay("pipeline", "fuzz/corpus/pipeline fuzz/corpus/resolve fuzz/regress/resolve"), 19);
}
Test(fuzz_replay, text_fold_and_offset_map, .timeout = 60) { cr_assert_geq(replay("text", "fuzz/corpus/text"), 7); }
Test(fuzz_replay, matcher, .timeout = 60) { cr_assert_geq(replay("match", "fuzz/corpus/match"), 4); }
Test(fuzz_replay, config_loader, .timeout = 60) { cr_assert_geq(replay("config", "fuzz/corpus/config"), 4); }
Test(fuzz_replay, dictionary_loaders, .timeout = 120) { cr_assert_geq(replay("dict", "fuzz/corpus/dict"), 9); }
Test(fuzz_replay, alert_rules, .timeout = 120) { cr_assert_geq(replay("rules", "fuzz/corpus/rules"), 2); }
