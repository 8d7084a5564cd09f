/*
 * test_tag.c - `geowire tag` as a user runs it: a real process, stdin to
 * stdout. Hostile lines must each give exactly one record line, in order,
 * and every line must be a record valid against the shipped JSON Schema.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define GEOWIRE "build/san/geowire"

static size_t count_lines(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t n = 0;
    int c, last = '\n';
    while ((c = fgetc(f)) != EOF) {
        if (c == '\n') n++;
        last = c;
    }
    fclose(f);
    return n + (last != '\n');
}

static int run(const char *cmd) {
    int st = system(cmd);
    cr_assert(WIFEXITED(st), "command died: %s", cmd);
    return WEXITSTATUS(st);
}

static void setup(void) { cr_assert_eq(run("mkdir -p build/fixtures"), 0); }

/* Runs tag over `in`, writes `out`; returns exit status. */
static int tag(const char *in, const char *out) {
    char cmd[512];
    snprintf(cmd, sizeof(cmd), GEOWIRE " tag -c config/geowire.yaml < %s > %s 2>build/tag-test.err", in, out);
    return run(cmd);
}

Test(tag, hostile_lines_give_one_record_each, .init = setup, .timeout = 300) {
    cr_assert_eq(run("sh tests/fixtures/hostile.jsonl.gen build/fixtures/hostile.txt >/dev/null"), 0);
    cr_assert_eq(tag("build/fixtures/hostile.txt", "build/fixtures/hostile.out"), 0);
    size_t in = count_lines("build/fixtures/hostile.txt");
    size_t out = count_lines("build/fixtures/hostile.out");
    cr_assert_gt(in, 50);
    cr_assert_eq(out, in, "%zu input lines gave %zu output lines", in, out);

    /* Every output line is a JSON object with a schema and either tags or
     * an error with a reason. */
    FILE *f = fopen("build/fixtures/hostile.out", "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int errors = 0, records = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_error_t e;
        json_t *r = json_loadb(line, (size_t)n, 0, &e);
        cr_assert_not_null(r, "not JSON: %s", e.text);
        cr_assert_str_eq(json_string_value(json_object_get(r, "schema")), "geowire.record.v1");
        if (json_object_get(r, "error")) {
            errors++;
            cr_assert_not_null(json_string_value(json_object_get(json_object_get(r, "error"), "reason")));
        } else {
            records++;
            cr_assert(json_is_array(json_object_get(r, "countries")));
        }
        json_decref(r);
    }
    free(line);
    fclose(f);
    cr_assert_gt(errors, 0);
    cr_assert_gt(records, 0);
    cr_assert_eq(run("python3 tools/validate-records.py build/fixtures/hostile.out >/dev/null"), 0,
                 "records do not validate against schema/record.schema.json");
}

Test(tag, sample_feed_and_eval_set_validate_against_schema, .init = setup, .timeout = 120) {
    cr_assert_eq(tag("config/sample-feed.jsonl", "build/fixtures/feed.out"), 0);
    cr_assert_eq(count_lines("build/fixtures/feed.out"), count_lines("config/sample-feed.jsonl"));
    cr_assert_eq(run("python3 tools/validate-records.py build/fixtures/feed.out >/dev/null"), 0);
    cr_assert_eq(run("python3 -c \"import json\n"
                     "for l in open('tests/eval/items.jsonl'):\n"
                     "  d=json.loads(l); d.pop('labels',None); d.pop('note',None); print(json.dumps(d))\" "
                     "> build/fixtures/eval-in.jsonl"), 0);
    cr_assert_eq(tag("build/fixtures/eval-in.jsonl", "build/fixtures/eval.out"), 0);
    cr_assert_eq(count_lines("build/fixtures/eval.out"), count_lines("tests/eval/items.jsonl"));
    cr_assert_eq(run("python3 tools/validate-records.py build/fixtures/eval.out >/dev/null"), 0);
}

Test(tag, output_is_deterministic, .init = setup, .timeout = 120) {
    cr_assert_eq(tag("config/sample-feed.jsonl", "build/fixtures/feed1.out"), 0);
    cr_assert_eq(tag("config/sample-feed.jsonl", "build/fixtures/feed2.out"), 0);
    cr_assert_eq(run("cmp -s build/fixtures/feed1.out build/fixtures/feed2.out"), 0,
                 "the same items gave different bytes");
}

Test(tag, bad_config_exits_2_with_position, .init = setup, .timeout = 60) {
    FILE *f = fopen("build/fixtures/bad.yaml", "w");
    fputs("kafka:\n  brokers: embedded\n  group_id: g\n  bogus: 1\ntopics:\n  input: [a]\ndictionaries: {}\n", f);
    fclose(f);
    cr_assert_eq(run(GEOWIRE " check -c build/fixtures/bad.yaml 2>build/fixtures/bad.err"), 2);
    FILE *e = fopen("build/fixtures/bad.err", "r");
    char buf[4096] = {0};
    size_t got = fread(buf, 1, sizeof(buf) - 1, e);
    fclose(e);
    cr_assert_gt(got, 0);
    cr_assert_not_null(strstr(buf, "bad.yaml:4:3: unknown key 'bogus'"), "got: %s", buf);
    cr_assert_not_null(strstr(buf, "bad.yaml:6:10:"), "got: %s", buf);
    cr_assert_not_null(strstr(buf, "missing 'dictionaries.countries'"), "got: %s", buf);
}

Test(tag, shipped_config_checks_ok, .timeout = 60) {
    cr_assert_eq(run(GEOWIRE " check -c config/geowire.yaml >/dev/null"), 0);
}
