/*
 * test_backfill.c - `geowire run --from-time T --output-topic X` on a mock
 * cluster: only items from T on are re-tagged into X, the run stops by
 * itself once caught up, the live output topic and the live group's
 * offsets are untouched, and a second run resumes from the backfill
 * group's commits instead of starting over.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/common.h"
#include "support/support.h"

#define CONFIG "tests/integration/geowire-test.yaml"
#define PARTS 2

static void produce_items(const char *brokers, const char *tag, int n)
{
    char *items[8];
    for (int i = 0; i < n; i++) {
        items[i] = malloc(200);
        snprintf(items[i], 200, "{\"id\":\"%s-%d\",\"title\":\"Talks in Berlin\",\"body\":\"France "
                 "and Germany met.\"}", tag, i);
    }
    cr_assert_eq(gwt_produce(brokers, "news.raw", items, NULL, (size_t)n), 0);
    for (int i = 0; i < n; i++) free(items[i]);
}

static int run(const char *brokers, const char *const *extra, int stop_at_enriched)
{
    char *env[] = {"GEOWIRE_GROUP_ID=gwt-live", NULL};
    char *argv[16] = {(char *)gwt_bin(), "run", "-c", CONFIG, "--brokers", (char *)brokers};
    int k = 6;
    for (size_t i = 0; extra && extra[i]; i++) argv[k++] = (char *)extra[i];
    argv[k] = NULL;
    gwt_proc_t d;
    cr_assert_eq(gwt_spawn(&d, argv, env), 0);
    if (stop_at_enriched > 0) {
        int64_t end = gwt_now() + 60000;
        while (gwt_now() < end && gwt_topic_count(brokers, "news.enriched") < stop_at_enriched)
            gwt_sleep_ms(100);
        gwt_signal(&d, SIGTERM);
    }
    int rc = gwt_wait(&d, 90000);
    if (rc != 0) {
        char *log = gwt_errlog(&d);
        fprintf(stderr, "---- geowire stderr ----\n%s\n", log);
        free(log);
    }
    gwt_proc_free(&d);
    return rc;
}

Test(backfill, retags_from_the_start_time_into_another_topic_and_stops, .timeout = 240)
{
    gw_embedded_t *e = gwt_cluster(PARTS);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    static const char *const extra_topics[] = {"news.backfill", "news.backfill.alerts",
                                               "news.backfill.aggregates", "news.backfill.dlq"};
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(rd_kafka_mock_topic_create(gw_embedded_cluster(e), extra_topics[i], PARTS, 1), 0);

    produce_items(b, "old", 5);
    gwt_sleep_ms(100);
    char from[32];
    snprintf(from, sizeof from, "%lld", (long long)gw_now_ms());
    gwt_sleep_ms(100);
    produce_items(b, "new", 5);

    /* The live daemon has done everything. */
    cr_assert_eq(run(b, NULL, 10), 0);
    cr_assert_eq(gwt_topic_count(b, "news.enriched"), 10);
    int64_t live_committed = gwt_committed_sum(b, "gwt-live", "news.raw", PARTS);
    cr_assert_eq(live_committed, 10);

    const char *args[] = {"--from-time", from, "--output-topic", "news.backfill", NULL};
    cr_assert_eq(run(b, args, 0), 0, "the backfill did not stop by itself");
    gwt_msgs_t ms;
    gwt_consume(b, "news.backfill", 5, 300, 30000, &ms);
    cr_assert_eq(ms.n, 5);
    for (size_t i = 0; i < ms.n; i++)
        cr_assert_not_null(strstr(ms.m[i].payload, "\"id\":\"new-"), "%s", ms.m[i].payload);
    gwt_msgs_free(&ms);
    cr_assert_eq(gwt_topic_count(b, "news.enriched"), 10, "the live output was touched");
    cr_assert_eq(gwt_committed_sum(b, "gwt-live", "news.raw", PARTS), live_committed,
                 "the live group's offsets moved");
    char bgroup[64];
    snprintf(bgroup, sizeof bgroup, "gwt-live.backfill-%s", from);
    cr_assert_eq(gwt_committed_sum(b, bgroup, "news.raw", PARTS), 10);

    /* Run again: resumes from its own commits, nothing is produced twice. */
    cr_assert_eq(run(b, args, 0), 0);
    cr_assert_eq(gwt_topic_count(b, "news.backfill"), 5);

    const char *no_out[] = {"--from-time", from, NULL};
    cr_assert_eq(run(b, no_out, 0), 2);
    const char *live_out[] = {"--from-time", from, "--output-topic", "news.enriched", NULL};
    cr_assert_eq(run(b, live_out, 0), 2);
    gw_embedded_stop(e);
}
