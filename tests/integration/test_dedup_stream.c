/*
 * test_dedup_stream.c - deduplication, story versions and aggregates
 * through the real binary (sanitized) on a mock cluster hosted in the test:
 * a stream with copies, a new version, a kill and a late copy gives one
 * alert per story and one retraction on the alerts topic, and aggregate
 * records (closed by the quiet wire, then by the shutdown flush) whose sum
 * counts each story once. One partition, so the stream keeps its order.
 * Every text is written for this test.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/shipped.h"
#include "support/support.h"

#define CONFIG "tests/integration/geowire-test.yaml"

#define STORY_BODY                                                                                          \
    "Russian Deputy Prime Minister Alexander Novak and Malaysian Economy Minister Rafizi Ramli agreed on "   \
    "Thursday to expand cooperation in liquefied natural gas and nuclear power training, officials said "   \
    "after talks in Putrajaya.\\nThe two sides signed a memorandum that sets up a joint working group on "   \
    "energy which will meet twice a year, the Malaysian ministry said in a statement.\\nNovak said Moscow " \
    "was ready to supply more oil products to Southeast Asia and invited Malaysian companies to an energy " \
    "forum in Moscow next spring."

#define PUB "\"published_at\":\"2026-11-26T08:00:00Z\""

static char *stream[] = {
    /* the wire story: alerts */
    "{\"id\":\"wire-1\"," PUB ",\"title\":\"Russia and Malaysia agree to expand energy cooperation\","
    "\"body\":\"KUALA LUMPUR (Wire) - " STORY_BODY "\"}",
    /* another outlet's copy: no alert */
    "{\"id\":\"outlet-7\"," PUB ",\"title\":\"Malaysia, Russia to deepen energy ties\","
    "\"body\":\"PUTRAJAYA, Nov 26 (Daily Outlet) - " STORY_BODY
    "\\nCopyright 2026 Daily Outlet. All rights reserved. Follow us for more news.\"}",
    /* another story about the same meeting: alerts */
    "{\"id\":\"other-3\"," PUB ",\"title\":\"Opposition criticises Putrajaya talks with Russian delegation\","
    "\"body\":\"Opposition lawmakers in Malaysia on Thursday questioned the government's decision to host "
    "Russian Deputy Prime Minister Alexander Novak in Putrajaya, saying the talks on energy cooperation risked "
    "exposing local banks to Western sanctions.\\nA spokesman for the opposition coalition said parliament had "
    "not been consulted about the memorandum and demanded that the economy ministry publish its terms.\"}",
    /* a story that fires nothing */
    "{\"id\":\"farm-1\"," PUB ",\"title\":\"Thai farmers protest falling rice prices\","
    "\"body\":\"Thai farmers protested in Bangkok against falling rice prices and demanded that the government "
    "buy surplus stocks before the harvest season begins in the north.\"}",
    /* the wire's update of its story: no alert */
    "{\"id\":\"wire-1\",\"version\":2," PUB ",\"title\":\"UPDATE 1-Russia and Malaysia agree to expand energy "
    "cooperation\",\"body\":\"KUALA LUMPUR (Wire) - " STORY_BODY "\\nRafizi said the group meets in January.\"}",
    /* the kill: a retraction of wire-1's alert */
    "{\"id\":\"wire-1-kill\",\"supersedes\":\"wire-1\"," PUB ",\"title\":\"KILL-Russia and Malaysia agree to expand "
    "energy cooperation\",\"body\":\"Please kill the story. It was sent in error.\"}",
    /* a late copy of the withdrawn story: no alert */
    "{\"id\":\"late-outlet\"," PUB ",\"title\":\"Russia, Malaysia in energy pact\","
    "\"body\":\"" STORY_BODY "\"}",
};
#define N_STREAM (sizeof(stream) / sizeof(stream[0]))

static void dump_log(gwt_proc_t *p) {
    char *s = gwt_errlog(p);
    size_t l = strlen(s);
    fprintf(stderr, "---- daemon stderr (tail) ----\n%s\n", l > 6000 ? s + l - 6000 : s);
    free(s);
}

static json_t *parse(const gwt_msg_t *m) {
    gw_test_dump_record(m->payload, m->len);
    json_error_t je;
    json_t *j = json_loadb(m->payload, m->len, 0, &je);
    cr_assert_not_null(j, "not JSON: %s", je.text);
    return j;
}

static json_int_t get_int(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* Sums a count map of every aggregate record into `sum`. */
static void add_counts(json_t *sum, json_t *agg, const char *map) {
    const char *k;
    json_t *v;
    json_t *dst = json_object_get(sum, map);
    if (!dst) json_object_set_new(sum, map, dst = json_object());
    json_object_foreach(json_object_get(agg, map), k, v) {
        json_object_set_new(dst, k, json_integer(get_int(dst, k) + json_integer_value(v)));
    }
}

static void spawn(gwt_proc_t *d, const char *brokers, const char *group, char *window, char *lateness) {
    char g[64], w[64], l[64];
    snprintf(g, sizeof g, "GEOWIRE_GROUP_ID=%s", group);
    snprintf(w, sizeof w, "GW_TEST_AGG_WINDOW=%s", window);
    snprintf(l, sizeof l, "GW_TEST_AGG_LATENESS=%s", lateness);
    char *env[] = {g, w, l, "GEOWIRE_INSTANCE=stream-test", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", CONFIG, "--brokers", (char *)brokers, NULL};
    cr_assert_eq(gwt_spawn(d, argv, env), 0);
}

Test(dedup_stream, one_alert_per_story_a_retraction_and_aggregates, .timeout = 180) {
    gw_embedded_t *e = gwt_cluster(1);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    cr_assert_eq(gwt_produce(b, "news.raw", stream, NULL, N_STREAM), 0);
    gwt_proc_t d;
    /* 2 s windows, 1 s lateness: the quiet wire closes the window ~3 s after
     * the last item */
    spawn(&d, b, "g-dedup-stream", "2", "1");

    gwt_msgs_t out, alerts, aggs;
    gwt_consume(b, "news.enriched", N_STREAM, 500, 60000, &out);
    if (out.n != N_STREAM) dump_log(&d);
    cr_assert_eq(out.n, N_STREAM, "enriched records: %zu", out.n);
    const char *status[N_STREAM] = {"new", "duplicate", "new", "new", "update", "withdrawal", "duplicate"};
    for (size_t i = 0; i < out.n; i++) {
        json_t *j = parse(&out.m[i]);
        json_t *dd = json_object_get(j, "dedup");
        cr_assert_str_eq(json_string_value(json_object_get(dd, "status")), status[i], "record %zu (%s)", i,
                         json_string_value(json_object_get(j, "id")));
        json_decref(j);
    }

    gwt_consume(b, "news.alerts", 3, 2000, 30000, &alerts);
    if (alerts.n != 3) dump_log(&d);
    cr_assert_eq(alerts.n, 3, "alerts topic: %zu records, want 2 alerts and 1 retraction", alerts.n);
    int alert_wire = 0, alert_other = 0, retraction = 0;
    for (size_t i = 0; i < alerts.n; i++) {
        json_t *j = parse(&alerts.m[i]);
        const char *schema = json_string_value(json_object_get(j, "schema"));
        const char *item = json_string_value(json_object_get(j, "item_id"));
        if (!strcmp(schema, "geowire.alert.v1")) {
            cr_assert_str_eq(json_string_value(json_object_get(j, "cluster")), item);
            alert_wire += !strcmp(item, "wire-1");
            alert_other += !strcmp(item, "other-3");
        } else {
            cr_assert_str_eq(schema, "geowire.alert-retraction.v1");
            cr_assert_str_eq(item, "wire-1");
            cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "withdrawn_by"), "item_id")),
                             "wire-1-kill");
            cr_assert_str_eq(gwt_header(&alerts.m[i], "geowire-source-topic"), "news.raw");
            retraction++;
        }
        json_decref(j);
    }
    cr_assert(alert_wire == 1 && alert_other == 1 && retraction == 1, "wire %d other %d retraction %d", alert_wire,
              alert_other, retraction);

    /* The quiet wire closes the window: no item after the stream. */
    gwt_consume(b, "news.aggregates", 1, 1000, 30000, &aggs);
    if (aggs.n < 1) dump_log(&d);
    cr_assert_geq(aggs.n, 1, "no aggregate record after the wire went quiet");
    json_t *sum = json_object();
    json_int_t items = 0, dups = 0, withdrawn = 0, late = 0;
    for (size_t i = 0; i < aggs.n; i++) {
        json_t *j = parse(&aggs.m[i]);
        cr_assert_str_eq(json_string_value(json_object_get(j, "window_start")), "2026-11-26T08:00:00Z");
        cr_assert_str_eq(json_string_value(json_object_get(j, "closed_by")), "idle");
        cr_assert_str_eq(json_string_value(json_object_get(j, "instance")), "stream-test");
        cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "partitions"), 0)), 0);
        cr_assert_null(gwt_header(&aggs.m[i], "geowire-source-topic"), "a tick record has no source");
        items += get_int(j, "items");
        dups += get_int(j, "duplicates");
        withdrawn += get_int(j, "withdrawn");
        late += get_int(j, "late");
        add_counts(sum, j, "countries");
        add_counts(sum, j, "alerts");
        json_decref(j);
    }
    cr_assert_eq(items, 3, "stories: wire-1, other-3, farm-1");
    cr_assert_eq(dups, 3, "the copy, the update and the late copy");
    cr_assert_eq(withdrawn, 1);
    cr_assert_eq(late, 0);
    cr_assert_eq(get_int(json_object_get(sum, "countries"), "RUS"), 2);
    cr_assert_eq(get_int(json_object_get(sum, "countries"), "MYS"), 2);
    cr_assert_eq(get_int(json_object_get(sum, "alerts"), "russia-asean"), 2);
    json_decref(sum);

    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 30000), 0);
    gwt_msgs_free(&out);
    gwt_msgs_free(&alerts);
    gwt_msgs_free(&aggs);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
}

/* A graceful shutdown flushes the open window (partial) before it commits,
 * and a restart does not count those items again: the two runs' records
 * sum to each story once. */
Test(dedup_stream, shutdown_flushes_and_restart_does_not_recount, .timeout = 180) {
    gw_embedded_t *e = gwt_cluster(1);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    cr_assert_eq(gwt_produce(b, "news.raw", stream, NULL, 4), 0);
    gwt_proc_t d;
    spawn(&d, b, "g-dedup-flush", "3600", "3600"); /* nothing closes by itself */
    gwt_msgs_t out, aggs;
    gwt_consume(b, "news.enriched", 4, 300, 60000, &out);
    cr_assert_eq(out.n, 4);
    gwt_msgs_free(&out);
    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 30000), 0);
    gwt_proc_free(&d);
    gwt_consume(b, "news.aggregates", 1, 1000, 20000, &aggs);
    cr_assert_eq(aggs.n, 1, "one flushed window");
    json_t *j = parse(&aggs.m[0]);
    cr_assert_str_eq(json_string_value(json_object_get(j, "closed_by")), "flush");
    cr_assert(json_is_true(json_object_get(j, "partial")));
    json_int_t items = get_int(j, "items");
    cr_assert_eq(items, 3);
    json_decref(j);
    gwt_msgs_free(&aggs);
    cr_assert_eq(gwt_committed_sum(b, "g-dedup-flush", "news.raw", 1), 4, "offsets committed after the flush");

    /* the rest of the stream in a second run */
    cr_assert_eq(gwt_produce(b, "news.raw", stream + 4, NULL, N_STREAM - 4), 0);
    spawn(&d, b, "g-dedup-flush", "3600", "3600");
    for (int64_t end = gwt_now() + 60000; gwt_now() < end && gwt_topic_count(b, "news.enriched") < (int64_t)N_STREAM;)
        gwt_sleep_ms(100);
    cr_assert_eq(gwt_topic_count(b, "news.enriched"), (int64_t)N_STREAM, "the first run's items are not redone");
    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 30000), 0);
    gwt_proc_free(&d);
    gwt_consume(b, "news.aggregates", 2, 1000, 20000, &aggs);
    cr_assert_eq(aggs.n, 2);
    j = parse(&aggs.m[1]);
    cr_assert_str_eq(json_string_value(json_object_get(j, "window_start")), "2026-11-26T08:00:00Z");
    cr_assert(json_is_true(json_object_get(j, "partial")));
    /* the second run's dedup window starts empty: its stories count there */
    items += get_int(j, "items");
    cr_assert_eq(get_int(j, "items") + get_int(j, "duplicates") + get_int(j, "withdrawn"), (json_int_t)(N_STREAM - 4));
    json_decref(j);
    gwt_msgs_free(&aggs);
    gw_embedded_stop(e);
}
