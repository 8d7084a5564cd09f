/*
 * test_group.c - scaling out on a real broker: three geowire processes in
 * one consumer group share a 6-partition input topic; one is killed with
 * SIGKILL mid-stream (the others take its partitions over, nothing is
 * lost, duplicates are counted), or stopped gracefully (no duplicates).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_support.h"

enum { PARTS = 6, MEMBERS = 3 };

typedef struct {
    char pre[64], raw[96], enriched[96];
    char *cfg;
    gwt_proc_t d[MEMBERS];
} group_t;

/* Starts three members on fresh topics and waits until the range assignor
 * gave each its 2 of the 6 partitions. */
static void start_group(group_t *g, const char *tag, const char *const *producer)
{
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    gwk_prefix(g->pre, sizeof g->pre, tag);
    snprintf(g->raw, sizeof g->raw, "%s.raw", g->pre);
    snprintf(g->enriched, sizeof g->enriched, "%s.enriched", g->pre);
    cr_assert_eq(gwk_create_topics(b, g->pre, PARTS, PARTS), 0);
    gwk_cfg_t c = {.producer = producer};
    g->cfg = gwk_config(tag, &c);
    for (int i = 0; i < MEMBERS; i++)
        cr_assert_eq(gwk_spawn(&g->d[i], gwk_release_bin(), g->cfg, b, g->pre, g->pre, NULL), 0);
    for (int i = 0; i < MEMBERS; i++) {
        int ok = gwt_wait_log(&g->d[i], "msg=\"partitions assigned\" count=2 ", 60000);
        if (!ok) gwk_dump_log(&g->d[i], "member");
        cr_assert(ok, "member %d never owned 2 of the %d partitions", i, PARTS);
    }
}

/* Like gwt_wait_log, but only counts what the child logged after byte
 * `from` of its log. */
static int wait_log_after(const gwt_proc_t *p, size_t from, const char *needle, int timeout_ms)
{
    int64_t end = gwt_now() + timeout_ms;
    do {
        char *l = gwt_errlog(p);
        int found = l && strlen(l) > from && strstr(l + from, needle);
        free(l);
        if (found) return 1;
        gwt_sleep_ms(200);
    } while (gwt_now() < end);
    return 0;
}

static size_t log_len(const gwt_proc_t *p)
{
    char *l = gwt_errlog(p);
    size_t n = l ? strlen(l) : 0;
    free(l);
    return n;
}

static void stop_group(group_t *g)
{
    for (int i = 0; i < MEMBERS; i++) {
        if (!g->d[i].reaped) {
            gwt_signal(&g->d[i], SIGTERM);
            int rc = gwt_wait(&g->d[i], 30000);
            if (rc != 0) gwk_dump_log(&g->d[i], "member");
            cr_assert_eq(rc, 0, "member %d: exit %d", i, rc);
        }
        gwt_proc_free(&g->d[i]);
    }
    free(g->cfg);
}

Test(group, sigkill_of_one_member_loses_nothing, .timeout = 400)
{
    enum { N = 30000 };
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    group_t g;
    start_group(&g, "gk", NULL);
    char **items = gwk_items("gk", N);
    cr_assert_eq(gwt_produce(b, g.raw, items, NULL, N), 0);
    /* Mid-stream: some output, far from all of it. */
    cr_assert(gwk_wait_count(b, g.enriched, N / 6, 120000, NULL));
    int64_t at_kill = gwt_topic_count(b, g.enriched);
    size_t mark[MEMBERS];
    for (int i = 1; i < MEMBERS; i++) mark[i] = log_len(&g.d[i]);
    gwt_signal(&g.d[0], SIGKILL);
    cr_assert_eq(gwt_wait(&g.d[0], 10000), 128 + SIGKILL);
    cr_assert(at_kill < N, "the stream had already ended at the kill: make N larger");
    /* Done when every input offset is committed (at least once: only after
     * its records were delivered); the output's record count says nothing
     * here, duplicates reach it before the last ids. */
    int ok = 0;
    for (int64_t end = gwt_now() + 240000; !ok && gwt_now() < end; gwt_sleep_ms(500))
        ok = gwt_committed_sum(b, g.pre, g.raw, PARTS) == N;
    /* The survivors own all six partitions now. */
    for (int i = 1; i < MEMBERS; i++) {
        int took = wait_log_after(&g.d[i], mark[i], "msg=\"partitions assigned\" count=3 ", 60000);
        if (!took) gwk_dump_log(&g.d[i], "survivor");
        cr_assert(took, "survivor %d did not take over 3 partitions", i);
    }
    if (!ok) for (int i = 1; i < MEMBERS; i++) gwk_dump_log(&g.d[i], "survivor");
    cr_assert(ok, "the input was never committed up to %d", N);
    stop_group(&g);

    gwt_msgs_t out;
    gwt_consume(b, g.enriched, (size_t)gwt_topic_count(b, g.enriched), 1500, 120000, &out);
    gwt_cover_t c = gwk_cover(&out, "gk", N);
    fprintf(stderr, "[figure] at_least_once, 3 members, kill -9 of one after %lld of %d records: "
            "%zu ids of %d, %zu duplicates\n", (long long)at_kill, N, c.distinct, N, c.duplicates);
    cr_assert_eq(c.distinct, N, "lost ids: %zu of %d present", c.distinct, N);
    cr_assert_eq(c.foreign, 0);
    gwt_msgs_free(&out);
    gwt_items_free(items, N);
}

Test(group, graceful_stop_of_one_member_repeats_nothing, .timeout = 400)
{
    enum { N = 30000 };
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    group_t g;
    start_group(&g, "gs", NULL);
    char **items = gwk_items("gs", N);
    cr_assert_eq(gwt_produce(b, g.raw, items, NULL, N), 0);
    cr_assert(gwk_wait_count(b, g.enriched, N / 6, 120000, NULL));
    int64_t at_stop = gwt_topic_count(b, g.enriched);
    gwt_signal(&g.d[0], SIGTERM);
    int rc = gwt_wait(&g.d[0], 30000);
    if (rc != 0) gwk_dump_log(&g.d[0], "stopped member");
    cr_assert_eq(rc, 0, "the stopped member: exit %d", rc);
    cr_assert(at_stop < N, "the stream had already ended at the stop: make N larger");
    int ok = gwk_wait_count(b, g.enriched, N, 240000, NULL);
    if (!ok) for (int i = 1; i < MEMBERS; i++) gwk_dump_log(&g.d[i], "member");
    cr_assert(ok, "the output never reached %d records", N);
    stop_group(&g);
    cr_assert_eq(gwt_committed_sum(b, g.pre, g.raw, PARTS), N, "every offset committed");

    gwt_msgs_t out;
    gwt_consume(b, g.enriched, N, 1500, 120000, &out);
    gwt_cover_t c = gwk_cover(&out, "gs", N);
    fprintf(stderr, "[figure] at_least_once, 3 members, graceful stop of one after %lld of %d records: "
            "%zu ids, %zu duplicates\n", (long long)at_stop, N, c.distinct, c.duplicates);
    cr_assert_eq(c.distinct, N);
    cr_assert_eq(c.duplicates, 0, "a graceful stop repeated %zu records", c.duplicates);
    gwt_msgs_free(&out);
    gwt_items_free(items, N);
}
