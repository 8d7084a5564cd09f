/*
 * test_eos.c - kafka.processing_guarantee: exactly_once on a real broker.
 * librdkafka 2.0.2's mock cluster cannot prove any of this (it neither
 * persists transactional offsets, nor hides aborted records, nor fences
 * zombies), so these tests exist only here. Readers are read_committed
 * (librdkafka's default isolation level, which gwt_consume keeps).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_support.h"

enum { PARTS = 6 };

/* transaction.timeout.ms is low so that a transaction left open by a
 * killed process that nobody resumes is aborted within seconds (readers
 * stall at it until then). */
static const char *const eos_producer[] = {"transactional.id", "${GWK_TXN_ID}",
                                           "transaction.timeout.ms", "10000",
                                           "message.timeout.ms", "10000", NULL};

typedef struct {
    char pre[64], raw[96], enriched[96], txn_env[128];
    char *cfg;
} eos_t;

static void eos_setup(eos_t *e, const char *tag, int n, char ***items)
{
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    gwk_prefix(e->pre, sizeof e->pre, tag);
    snprintf(e->raw, sizeof e->raw, "%s.raw", e->pre);
    snprintf(e->enriched, sizeof e->enriched, "%s.enriched", e->pre);
    snprintf(e->txn_env, sizeof e->txn_env, "GWK_TXN_ID=%s-instance-1", e->pre);
    cr_assert_eq(gwk_create_topics(b, e->pre, PARTS, PARTS), 0);
    gwk_cfg_t c = {.guarantee = "exactly_once", .producer = eos_producer};
    e->cfg = gwk_config(tag, &c);
    *items = gwk_items(tag, (size_t)n);
    cr_assert_eq(gwt_produce(b, e->raw, *items, NULL, (size_t)n), 0);
}

static int spawn_instance(gwt_proc_t *p, const char *bin, eos_t *e)
{
    char *env[] = {e->txn_env, NULL};
    return gwk_spawn(p, bin, e->cfg, gwk_env("GW_KAFKA_BROKERS"), e->pre, e->pre, env);
}

Test(eos, sigkill_and_restart_read_committed_sees_each_id_once, .timeout = 400)
{
    enum { N = 20000 };
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    eos_t e;
    char **items;
    eos_setup(&e, "ek", N, &items);

    gwt_proc_t d;
    cr_assert_eq(spawn_instance(&d, gwk_release_bin(), &e), 0);
    /* The high watermark counts uncommitted records too: kill while a
     * transaction is certainly open. */
    int ok = gwk_wait_count(b, e.enriched, N / 4, 120000, &d);
    if (!ok) gwk_dump_log(&d, "first instance");
    cr_assert(ok);
    int64_t at_kill = gwt_topic_count(b, e.enriched);
    gwt_signal(&d, SIGKILL);
    cr_assert_eq(gwt_wait(&d, 10000), 128 + SIGKILL);
    gwt_proc_free(&d);
    cr_assert(at_kill < N, "the stream had already ended at the kill: make N larger");

    /* The restart with the same transactional.id aborts what the killed
     * process left open and resumes from the committed offsets. */
    cr_assert_eq(spawn_instance(&d, gwk_release_bin(), &e), 0);
    gwt_msgs_t out;
    gwt_consume(b, e.enriched, N, 3000, 240000, &out);
    if (out.n < N) gwk_dump_log(&d, "restarted instance");
    gwt_signal(&d, SIGTERM);
    int rc = gwt_wait(&d, 30000);
    if (rc != 0) gwk_dump_log(&d, "restarted instance");
    cr_assert_eq(rc, 0, "SIGTERM: exit %d", rc);
    gwt_proc_free(&d);

    gwt_cover_t c = gwk_cover(&out, "ek", N);
    int64_t on_log = gwt_topic_count(b, e.enriched);
    fprintf(stderr, "[figure] exactly_once, kill -9 after %lld records on the log, restart: read_committed "
            "sees %zu ids of %d, %zu duplicates (%lld records on the log incl. aborted ones and markers)\n",
            (long long)at_kill, c.distinct, N, c.duplicates, (long long)on_log);
    cr_assert_eq(c.distinct, N, "ids seen: %zu of %d", c.distinct, N);
    cr_assert_eq(c.duplicates, 0, "read_committed saw %zu duplicates", c.duplicates);
    cr_assert_eq(c.foreign, 0);
    /* The offsets went in the transactions: the group's committed offsets
     * cover the whole input. */
    cr_assert_eq(gwt_committed_sum(b, e.pre, e.raw, PARTS), N);
    gwt_msgs_free(&out);
    gwt_items_free(items, N);
    free(e.cfg);
}

Test(eos, a_second_instance_with_the_same_transactional_id_fences_the_first, .timeout = 300)
{
    enum { N1 = 3000, N2 = 3000 };
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    eos_t e;
    char **first, **second;
    eos_setup(&e, "ez", N1, &first);

    /* The sanitized binary: the transactional paths under ASan+UBSan. */
    gwt_proc_t a, z;
    cr_assert_eq(spawn_instance(&a, gwt_bin(), &e), 0);
    gwt_msgs_t out;
    gwt_consume(b, e.enriched, N1, 0, 120000, &out);
    if (out.n < N1) gwk_dump_log(&a, "first instance");
    cr_assert_eq(out.n, N1, "first batch: %zu of %d committed", out.n, N1);
    gwt_msgs_free(&out);

    /* Same transactional.id, same group: its init_transactions fences the
     * first instance, which must stop at its next transactional call
     * (the second batch reaches both members after the rebalance). */
    cr_assert_eq(spawn_instance(&z, gwt_bin(), &e), 0);
    int up = gwt_wait_log(&z, "msg=running", 60000);
    if (!up) gwk_dump_log(&z, "second instance");
    cr_assert(up);
    second = gwk_items("ez2", N2);
    cr_assert_eq(gwt_produce(b, e.raw, second, NULL, N2), 0);
    int rc = gwt_wait(&a, 120000);
    char *log = gwt_errlog(&a);
    if (rc != 1) fprintf(stderr, "---- first instance ----\n%s\n", log);
    cr_assert_eq(rc, 1, "the fenced instance must stop with exit 1, got %d", rc);
    cr_assert(strstr(log, "FENCED") || strstr(log, "fenced"), "the log does not say it was fenced");
    free(log);

    gwt_consume(b, e.enriched, N1 + N2, 3000, 180000, &out);
    gwt_signal(&z, SIGTERM);
    rc = gwt_wait(&z, 30000);
    if (rc != 0 || out.n != N1 + N2) gwk_dump_log(&z, "second instance");
    cr_assert_eq(rc, 0);
    gwt_cover_t c1 = gwk_cover(&out, "ez", N1), c2 = gwk_cover(&out, "ez2", N2);
    fprintf(stderr, "[eos] fenced zombie: %zu + %zu ids, %zu records read_committed\n", c1.distinct,
            c2.distinct, out.n);
    cr_assert_eq(c1.distinct, N1);
    cr_assert_eq(c2.distinct, N2);
    cr_assert_eq(out.n, N1 + N2, "each id exactly once: %zu records for %d ids", out.n, N1 + N2);
    gwt_msgs_free(&out);
    gwt_proc_free(&a);
    gwt_proc_free(&z);
    gwt_items_free(first, N1);
    gwt_items_free(second, N2);
    free(e.cfg);
}

/* exactly_once needs a transactional.id and at_least_once refuses one:
 * `geowire check` says where, exit 2. */
Test(eos, the_transactional_id_goes_with_exactly_once_only, .timeout = 60)
{
    static const char *const no_tid[] = {"transaction.timeout.ms", "10000", NULL};
    static const char *const tid[] = {"transactional.id", "geowire-1", NULL};
    struct { const char *name, *guarantee; const char *const *producer; const char *want; } cases[] = {
        {"eos-no-tid", "exactly_once", no_tid, "exactly_once needs kafka.producer.transactional.id"},
        {"alo-tid", "at_least_once", tid, "transactional.id is only for"},
    };
    for (size_t i = 0; i < 2; i++) {
        gwk_cfg_t c = {.guarantee = cases[i].guarantee, .producer = cases[i].producer};
        char *cfg = gwk_config(cases[i].name, &c);
        char *env[] = {"GEOWIRE_GROUP_ID=g", "GWK_TOPICS=t", NULL};
        char *argv[] = {(char *)gwt_bin(), "check", "-c", cfg, NULL};
        gwt_proc_t p;
        cr_assert_eq(gwt_spawn(&p, argv, env), 0);
        cr_assert_eq(gwt_wait(&p, 30000), 2, "%s: exit code", cases[i].name);
        char *log = gwt_errlog(&p);
        char where[256];
        snprintf(where, sizeof where, "%s:4:", cfg);
        cr_assert(strstr(log, cases[i].want) && strstr(log, where), "%s: %s", cases[i].name, log);
        free(log);
        gwt_proc_free(&p);
        free(cfg);
    }
}

/* The abort path (an abortable error, abort, rewind, process again) needs
 * an injected broker error, which only the mock offers. The mock shows
 * aborted records and keeps no transactional offsets, so this proves only
 * that the daemon recovers and loses nothing, not exactly-once. */
Test(eos, an_abortable_error_aborts_rewinds_and_loses_nothing_on_the_mock, .timeout = 200)
{
    enum { N = 400, AddPartitionsToTxn = 24 /* Kafka ApiKey */ };
    gw_embedded_t *e = gwt_cluster(4);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    char **items = gwk_items("ea", N);
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, N), 0);
    rd_kafka_mock_push_request_errors(gw_embedded_cluster(e), AddPartitionsToTxn, 1,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    gwk_cfg_t c = {.guarantee = "exactly_once", .producer = eos_producer};
    char *cfg = gwk_config("eos-mock", &c);
    char *env[] = {"GWK_TXN_ID=eos-mock-1", NULL};
    gwt_proc_t d;
    cr_assert_eq(gwk_spawn(&d, gwt_bin(), cfg, b, "news", "g-eos-mock", env), 0);
    int aborted = gwt_wait_log(&d, "aborting the transaction", 90000);
    gwt_msgs_t out;
    gwt_consume(b, "news.enriched", N, 0, 90000, &out);
    gwt_cover_t cov = gwk_cover(&out, "ea", N);
    if (!aborted || cov.distinct != N) gwk_dump_log(&d, "geowire");
    cr_assert(aborted, "the injected error did not abort a transaction");
    int64_t deadline = gwt_now() + 90000;
    while (cov.distinct < N && gwt_now() < deadline) {
        gwt_msgs_free(&out);
        gwt_sleep_ms(500);
        gwt_consume(b, "news.enriched", N, 0, 30000, &out);
        cov = gwk_cover(&out, "ea", N);
    }
    cr_assert_eq(cov.distinct, N, "after the abort: %zu of %d ids", cov.distinct, N);
    gwt_signal(&d, SIGTERM);
    int rc = gwt_wait(&d, 30000);
    if (rc != 0) gwk_dump_log(&d, "geowire");
    cr_assert_eq(rc, 0);
    gwt_msgs_free(&out);
    gwt_proc_free(&d);
    gwt_items_free(items, N);
    free(cfg);
    gw_embedded_stop(e);
}
