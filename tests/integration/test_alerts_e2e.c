/*
 * test_alerts_e2e.c - alert rules through the real binary (sanitized):
 * `geowire run --print` over a mock cluster hosted in the test, fed every
 * case of tests/fixtures/alerts-cases.jsonl (the alerts topic must hold
 * exactly one russia-asean record per case marked `fires`, keyed and headed
 * like the enriched records, and --print must show them as they are
 * produced), and `geowire check` on a broken rules file.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/shipped.h"
#include "support/support.h"

#define CONFIG "tests/integration/geowire-test.yaml"
#define MAX_CASES 128

typedef struct {
    char *ids[MAX_CASES];
    int fires[MAX_CASES];
    char *items[MAX_CASES];
    size_t n, n_fire;
} cases_t;

/* The fixture's cases as input items whose id is the case id. */
static void load_cases(cases_t *c) {
    memset(c, 0, sizeof *c);
    FILE *f = fopen("tests/fixtures/alerts-cases.jsonl", "r");
    cr_assert_not_null(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0 && c->n < MAX_CASES) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        cr_assert_not_null(j, "fixture line: %s", je.text);
        c->ids[c->n] = strdup(json_string_value(json_object_get(j, "id")));
        c->fires[c->n] = json_is_true(json_object_get(j, "fires"));
        c->n_fire += (size_t)c->fires[c->n];
        json_object_del(j, "fires");
        json_object_del(j, "note");
        c->items[c->n] = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        c->n++;
    }
    free(line);
    fclose(f);
}

static void free_cases(cases_t *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->ids[i]);
        free(c->items[i]);
    }
}

static int case_index(const cases_t *c, const char *id) {
    for (size_t i = 0; id && i < c->n; i++)
        if (!strcmp(c->ids[i], id)) return (int)i;
    return -1;
}

static void dump_log(gwt_proc_t *p) {
    char *s = gwt_errlog(p);
    size_t l = strlen(s);
    fprintf(stderr, "---- daemon stderr (tail) ----\n%s\n", l > 6000 ? s + l - 6000 : s);
    free(s);
}

Test(alerts_e2e, each_firing_reaches_the_alerts_topic_once, .timeout = 120) {
    cases_t cs;
    load_cases(&cs);
    cr_assert(cs.n_fire > 0 && cs.n_fire < cs.n, "the fixture has both sides");
    gw_embedded_t *e = gwt_cluster(4);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    cr_assert_eq(gwt_produce(b, "news.raw", cs.items, NULL, cs.n), 0);

    gwt_proc_t d;
    char *env[] = {"GEOWIRE_GROUP_ID=g-alerts", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", CONFIG, "--brokers", (char *)b, "--print", NULL};
    cr_assert_eq(gwt_spawn(&d, argv, env), 0);

    /* Every enriched record first: once they are all there, every alert
     * record was produced under the same items' delivery count. stdout is
     * drained meanwhile, or --print would block on a full pipe. */
    for (int64_t end = gwt_now() + 60000; gwt_now() < end; gwt_sleep_ms(100)) {
        gwt_read_out(&d);
        if (gwt_topic_count(b, "news.enriched") >= (int64_t)cs.n) break;
    }
    gwt_msgs_t out, alerts;
    gwt_consume(b, "news.enriched", cs.n, 500, 60000, &out);
    if (out.n != cs.n) dump_log(&d);
    cr_assert_eq(out.n, cs.n, "enriched records: %zu of %zu", out.n, cs.n);
    gwt_consume(b, "news.alerts", cs.n_fire, 1500, 30000, &alerts);
    if (alerts.n != cs.n_fire) dump_log(&d);
    cr_assert_eq(alerts.n, cs.n_fire, "alert records: %zu, want %zu", alerts.n, cs.n_fire);

    int seen[MAX_CASES] = {0};
    for (size_t i = 0; i < alerts.n; i++) {
        const gwt_msg_t *m = &alerts.m[i];
        gw_test_dump_record(m->payload, m->len);
        json_error_t je;
        json_t *j = json_loadb(m->payload, m->len, 0, &je);
        cr_assert_not_null(j, "alert record %zu is not JSON: %s", i, je.text);
        cr_assert_str_eq(json_string_value(json_object_get(j, "schema")), "geowire.alert.v1");
        cr_assert_str_eq(json_string_value(json_object_get(j, "rule")), "russia-asean");
        const char *id = json_string_value(json_object_get(j, "item_id"));
        int k = case_index(&cs, id);
        cr_assert(k >= 0 && cs.fires[k], "alert for %s, which must not fire", id ? id : "(null)");
        cr_assert(!seen[k]++, "two alert records for %s", id);
        cr_assert(m->key && !strcmp(m->key, id), "alert record keyed by the item id");
        cr_assert_str_eq(gwt_header(m, "geowire-source-topic"), "news.raw");
        cr_assert_not_null(gwt_header(m, "geowire-source-offset"));
        json_decref(j);
    }
    /* The enriched records agree: alerts[] is filled exactly on the same items. */
    for (size_t i = 0; i < out.n; i++) {
        json_t *j = json_loadb(out.m[i].payload, out.m[i].len, 0, NULL);
        cr_assert_not_null(j);
        int k = case_index(&cs, json_string_value(json_object_get(j, "id")));
        cr_assert(k >= 0);
        cr_assert_eq(json_array_size(json_object_get(j, "alerts")) > 0, cs.fires[k], "alerts[] of %s", cs.ids[k]);
        json_decref(j);
    }

    /* --print shows each alert record as produced (delivery reports can
     * lag the consumer above, so wait for the last ones). */
    size_t printed = 0;
    for (int64_t end = gwt_now() + 20000; gwt_now() < end; gwt_sleep_ms(200)) {
        gwt_read_out(&d);
        printed = 0;
        for (const char *s = d.out; s && (s = strstr(s, "\"schema\":\"geowire.alert.v1\"")); s++) printed++;
        if (printed >= cs.n_fire) break;
    }
    cr_assert_eq(printed, cs.n_fire, "--print showed %zu alert records", printed);

    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 20000), 0);
    gwt_msgs_free(&out);
    gwt_msgs_free(&alerts);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
    free_cases(&cs);
}

/* `geowire check` validates the rules with the dictionaries: a config whose
 * alerts file names an unknown bloc exits 2 with the rule's position. */
Test(alerts_e2e, check_reports_rule_errors_with_position, .timeout = 60) {
    char dir[] = "/tmp/gwt-rules-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char cwd[1024], conf[1100], rules[1100];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(conf, sizeof conf, "%s/geowire.yaml", dir);
    snprintf(rules, sizeof rules, "%s/alerts.yaml", dir);
    FILE *f = fopen(rules, "w");
    fputs("version: t\nrules:\n  - id: r\n    description: d\n    when:\n      pair: [RUS, ASEAN_PLUS]\n", f);
    fclose(f);
    f = fopen(conf, "w");
    fprintf(f, "kafka: {brokers: embedded, group_id: g}\nalerts: alerts.yaml\ndictionaries:\n");
    static const char *const keys[] = {"countries", "countries_overlay", "blocs", "people", "organizations",
                                       "discards", "themes", "languages", "titles"};
    static const char *const files[] = {"countries", "countries-overlay", "blocs", "people", "organizations",
                                        "discards", "themes", "languages", "titles"};
    for (int i = 0; i < 9; i++) fprintf(f, "  %s: %s/config/dictionaries/%s.yaml\n", keys[i], cwd, files[i]);
    fclose(f);
    gwt_proc_t p;
    char *argv[] = {(char *)gwt_bin(), "check", "-c", conf, NULL};
    cr_assert_eq(gwt_spawn(&p, argv, NULL), 0);
    int rc = gwt_wait(&p, 30000);
    char *err = gwt_errlog(&p);
    char want[1200];
    snprintf(want, sizeof want, "%s:6:19: unknown country or bloc code 'ASEAN_PLUS'", rules);
    cr_assert_eq(rc, 2, "exit %d, stderr: %s", rc, err);
    cr_assert(strstr(err, want), "stderr lacks '%s': %s", want, err);
    free(err);
    gwt_proc_free(&p);

    /* the shipped config: its rules are checked and reported */
    char *ok_argv[] = {(char *)gwt_bin(), "check", "-c", "config/geowire.yaml", NULL};
    cr_assert_eq(gwt_spawn(&p, ok_argv, NULL), 0);
    rc = gwt_wait(&p, 30000);
    gwt_read_out(&p);
    cr_assert_eq(rc, 0);
    cr_assert(p.out && strstr(p.out, "/config/alerts.yaml: ok (") && strstr(p.out, "alert rule"), "stdout: %s",
              p.out ? p.out : "");
    gwt_proc_free(&p);
    unlink(rules);
    unlink(conf);
    rmdir(dir);
}
