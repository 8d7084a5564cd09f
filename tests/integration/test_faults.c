/*
 * test_faults.c - broker faults injected into the mock cluster while a
 * stream of items flows through the real (sanitized) `geowire run`.
 *
 * Each test hosts a 3-broker mock in the test process, starts the daemon,
 * produces N items at a steady rate from a thread, and, once the stream is
 * flowing, injects one kind of fault for a while: a broker down and up,
 * partition leaders moving, retriable errors on Produce, Fetch,
 * OffsetCommit or JoinGroup requests, a large round-trip time. Then every
 * input id must reach the output topic (duplicates are allowed:
 * at-least-once), SIGTERM must exit 0, and the committed offsets must cover
 * every input item.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"

#define CONFIG "tests/integration/geowire-test.yaml"
#define PARTS 4
#define BROKERS 3
enum { API_PRODUCE = 0, API_FETCH = 1, API_OFFSET_COMMIT = 8, API_JOIN_GROUP = 11 };
enum { N = 600, RATE = 150 }; /* a four-second stream */

typedef struct {
    gw_embedded_t *e;
    rd_kafka_mock_cluster_t *mc;
    const char *b;
    char group[64];
    char tag[16];
    char **items;
    gwt_proc_t d;
    gwt_stream_t *s;
} run_t;

static void dump_log(gwt_proc_t *p)
{
    char *s = gwt_errlog(p);
    size_t l = strlen(s);
    fprintf(stderr, "---- daemon stderr (tail) ----\n%s\n", l > 6000 ? s + l - 6000 : s);
    free(s);
}

/* Cluster, daemon (with `config`, NULL for the test config, and `env`, a
 * "K=V" for its environment or NULL) and stream; returns once the daemon's
 * first records are out, so the fault lands on a stream already flowing
 * through it. */
static void start(run_t *r, const char *name, int wait_first, const char *config, const char *env_extra)
{
    static const char *const topics[] = {"news.raw", "news.enriched", "news.alerts", "news.dlq",
                                         "news.aggregates"};
    char err[256];
    memset(r, 0, sizeof *r);
    r->e = gw_embedded_start(BROKERS, topics, 5, PARTS, err, sizeof err);
    cr_assert_not_null(r->e, "mock cluster: %s", err);
    r->mc = gw_embedded_cluster(r->e);
    r->b = gw_embedded_bootstraps(r->e);
    snprintf(r->group, sizeof r->group, "g-fault-%s", name);
    snprintf(r->tag, sizeof r->tag, "%.8s", name);
    r->items = gwt_items(r->tag, N);

    static char genv[128];
    snprintf(genv, sizeof genv, "GEOWIRE_GROUP_ID=%s", r->group);
    char *env[] = {genv, (char *)env_extra, NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", (char *)(config ? config : CONFIG), "--brokers", (char *)r->b,
                    NULL};
    cr_assert_eq(gwt_spawn(&r->d, argv, env), 0);
    r->s = gwt_stream_start(r->b, "news.raw", r->items, N, RATE, NULL);
    cr_assert_not_null(r->s);
    if (!wait_first) return;
    int64_t end = gwt_now() + 60000;
    while (gwt_now() < end && gwt_topic_count(r->b, "news.enriched") < 20) gwt_sleep_ms(100);
    if (gwt_topic_count(r->b, "news.enriched") < 20) dump_log(&r->d);
    cr_assert_geq(gwt_topic_count(r->b, "news.enriched"), 20, "the stream never started flowing");
}

/* The stream ends, every id is in the output and the group's committed
 * offsets cover every input item. */
static void settle(run_t *r)
{
    cr_assert_eq(gwt_stream_join(r->s, 120000), 0, "the test's own producer lost items");
    size_t seen = 0, dups = 0;
    gwt_msgs_t out = {0};
    int64_t end = gwt_now() + 120000;
    while (gwt_now() < end) {
        int64_t c = gwt_topic_count(r->b, "news.enriched");
        if (c >= N) {
            gwt_consume(r->b, "news.enriched", (size_t)c, 300, 30000, &out);
            seen = gwt_ids_seen(&out, r->tag, N, &dups);
            gwt_msgs_free(&out);
            if (seen == N) break;
        }
        gwt_sleep_ms(250);
    }
    if (seen != N) {
        /* The loop counts ids only once the output holds N records: read
         * what is there, so a shortfall reports its true size. */
        gwt_consume(r->b, "news.enriched", N, 300, 30000, &out);
        seen = gwt_ids_seen(&out, r->tag, N, &dups);
        gwt_msgs_free(&out);
        dump_log(&r->d);
    }
    cr_assert_eq(seen, N, "%zu of %d ids reached the output", seen, N);
    fprintf(stderr, "[figure] faults/%s: %d ids out, %zu duplicates\n", r->group + 8, N, dups);
    /* A fault can cost the group membership (a coordinator down for longer
     * than reconnect backoff plus the 6 s session timeout): the member
     * rejoins, replays from the last commit and commits again. Shut down once
     * that has happened, so the exit code and the final commit are tested on
     * a settled group, not on a rejoin in progress. */
    int64_t committed = -1;
    end = gwt_now() + 90000;
    while (gwt_now() < end && (committed = gwt_committed_sum(r->b, r->group, "news.raw", PARTS)) != N)
        gwt_sleep_ms(500);
    if (committed != N) dump_log(&r->d);
    cr_assert_eq(committed, N, "auto-commit covered %lld of %d while running", (long long)committed, N);
}

/* settle(), then SIGTERM exits 0 and the committed offsets still cover
 * every input item. */
static void finish(run_t *r)
{
    settle(r);
    gwt_signal(&r->d, SIGTERM);
    int rc = gwt_wait(&r->d, 30000);
    if (rc != 0) dump_log(&r->d);
    cr_assert_eq(rc, 0, "SIGTERM: exit %d", rc);
    int64_t committed = gwt_committed_sum(r->b, r->group, "news.raw", PARTS);
    cr_assert_eq(committed, N, "committed %lld of %d after shutdown", (long long)committed, N);
    gwt_proc_free(&r->d);
    gwt_items_free(r->items, N);
    gw_embedded_stop(r->e);
}

Test(faults, broker_down_and_up, .timeout = 240)
{
    run_t r;
    start(&r, "down", 1, NULL, NULL);
    for (int broker = 1; broker <= BROKERS; broker++) {
        /* Each broker in turn leads some partitions and may coordinate the
         * group; 2.0.2's set_down moves no leader, so its partitions stall. */
        rd_kafka_mock_broker_set_down(r.mc, broker);
        gwt_sleep_ms(1500);
        rd_kafka_mock_broker_set_up(r.mc, broker);
        gwt_sleep_ms(500);
    }
    finish(&r);
}

Test(faults, leaders_move, .timeout = 240)
{
    run_t r;
    start(&r, "leaders", 1, NULL, NULL);
    static const char *const moved[] = {"news.raw", "news.enriched"};
    for (int round = 1; round <= 4; round++) {
        for (int t = 0; t < 2; t++)
            for (int p = 0; p < PARTS; p++)
                rd_kafka_mock_partition_set_leader(r.mc, moved[t], p, (p + round) % BROKERS + 1);
        gwt_sleep_ms(800);
    }
    finish(&r);
}

/* Every class of Produce error, retriable or possibly persisted, while the
 * stream flows. The daemon runs with one request in flight, like the test's
 * own producer (tests/support), because of a defect of the 2.0.2 mock, not of
 * geowire: rd_kafka_mock_validate_records() (src/rdkafka_mock.c) returns
 * before any sequence check when the request has no TransactionalId, and
 * rd_kafka_mock_handle_Produce() (src/rdkafka_mock_handlers.c) appends
 * nothing for an injected error but appends the next request's batch
 * whatever its BaseSequence. With two requests in flight for a partition,
 * the first failing and the second succeeding, librdkafka takes the success
 * as proof that the first batch is on the log ("implicitly acked by
 * subsequent batch success", as a real broker would have refused the second
 * with OUT_OF_ORDER_SEQUENCE_NUMBER) and reports it delivered: the record is
 * lost on the mock only. This is what made this test fail under load (599
 * of 600 ids); README "Hardening" has the probe that shows it for each error
 * class. */
Test(faults, produce_errors, .timeout = 240)
{
    static const char *const edits[] = {
        "    message.timeout.ms: 10000",
        "    message.timeout.ms: 10000\n    max.in.flight.requests.per.connection: 1", NULL};
    char conf[256];
    cr_assert_eq(gwt_config_write(conf, sizeof conf, edits), 0);
    run_t r;
    start(&r, "produce", 1, conf, NULL);
    for (int i = 0; i < 3; i++) {
        rd_kafka_mock_push_request_errors(r.mc, API_PRODUCE, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                          RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                          RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR__TRANSPORT,
                                          RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                                          RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
        gwt_sleep_ms(800);
    }
    finish(&r);
    unlink(conf);
}

Test(faults, fetch_errors, .timeout = 240)
{
    run_t r;
    start(&r, "fetch", 1, NULL, NULL);
    for (int i = 0; i < 3; i++) {
        rd_kafka_mock_push_request_errors(r.mc, API_FETCH, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                          RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                          RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__TRANSPORT,
                                          RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                                          RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
        gwt_sleep_ms(800);
    }
    finish(&r);
}

Test(faults, offset_commit_errors, .timeout = 240)
{
    run_t r;
    /* A 30 s session timeout instead of the test config's 6 s: the
     * NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE errors send the consumer
     * looking for its coordinator, and under load that once took over 6 s,
     * so the member was expired just after SIGTERM and the final commit
     * failed (exit 1). Losing the group is broker_down_and_up's subject;
     * this test is about failed commits. */
    start(&r, "commit", 1, NULL, "GW_TEST_SESSION_MS=30000");
    /* auto.commit.interval.ms is 500 in the test config: these fail the
     * next several commits; a later one must still cover everything. */
    for (int i = 0; i < 3; i++) {
        rd_kafka_mock_push_request_errors(r.mc, API_OFFSET_COMMIT, 4, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                          RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                          RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                                          RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
        gwt_sleep_ms(1000);
    }
    finish(&r);
}

Test(faults, join_group_errors, .timeout = 240)
{
    run_t r;
    /* The daemon's first joins fail while the stream is already flowing in. */
    start(&r, "join", 0, NULL, NULL);
    rd_kafka_mock_push_request_errors(r.mc, API_JOIN_GROUP, 4, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                      RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                      RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
    finish(&r);
}

Test(faults, large_round_trip_time, .timeout = 240)
{
    run_t r;
    start(&r, "rtt", 1, NULL, NULL);
    for (int broker = 1; broker <= BROKERS; broker++) rd_kafka_mock_broker_set_rtt(r.mc, broker, 400);
    gwt_sleep_ms(3000);
    for (int broker = 1; broker <= BROKERS; broker++) rd_kafka_mock_broker_set_rtt(r.mc, broker, 0);
    finish(&r);
}

/* SIGTERM while every broker answers 20 s late, until librdkafka declares
 * the group session expired (6 s without a heartbeat answer); then the
 * brokers answer again. The aggregates flushed at shutdown wait for their
 * acks meanwhile, so the final commit comes after the loss and is refused
 * ("assignment lost"): the case the exit code is about. Returns the exit
 * code; the log must show the refused commit. */
static int stop_losing_group(run_t *r)
{
    for (int broker = 1; broker <= BROKERS; broker++) rd_kafka_mock_broker_set_rtt(r->mc, broker, 20000);
    gwt_signal(&r->d, SIGTERM);
    int lost = gwt_wait_log(&r->d, "Consumer group session timed out", 60000);
    for (int broker = 1; broker <= BROKERS; broker++) rd_kafka_mock_broker_set_rtt(r->mc, broker, 0);
    int rc = gwt_wait(&r->d, 60000);
    char *log = gwt_errlog(&r->d);
    int refused = strstr(log, "final commit failed") != NULL;
    free(log);
    if (!lost || !refused) dump_log(&r->d);
    cr_assert(lost, "the group session never expired");
    cr_assert(refused, "the final commit was not refused: the test lost its subject");
    return rc;
}

/* Everything was committed by auto-commit before the group was lost:
 * nothing will be consumed again, so the exit is 0. */
Test(faults, group_lost_at_shutdown_after_everything_committed_exits_0, .timeout = 240)
{
    static const char *const edits[] = {"  shutdown_timeout_ms: 15000", "  shutdown_timeout_ms: 40000", NULL};
    char conf[256];
    cr_assert_eq(gwt_config_write(conf, sizeof conf, edits), 0);
    run_t r;
    start(&r, "lostok", 1, conf, NULL);
    settle(&r);
    int rc = stop_losing_group(&r);
    cr_assert_eq(rc, 0, "exit %d", rc);
    int64_t committed = gwt_committed_sum(r.b, r.group, "news.raw", PARTS);
    cr_assert_eq(committed, N, "committed %lld of %d after shutdown", (long long)committed, N);
    gwt_proc_free(&r.d);
    gwt_items_free(r.items, N);
    gw_embedded_stop(r.e);
    unlink(conf);
}

/* The same loss with nothing committed (auto-commit never comes round):
 * every item will be consumed again, so the exit is 1. */
Test(faults, group_lost_at_shutdown_with_offsets_uncommitted_exits_1, .timeout = 240)
{
    static const char *const edits[] = {"  shutdown_timeout_ms: 15000", "  shutdown_timeout_ms: 40000",
                                        "    auto.commit.interval.ms: 500", "    auto.commit.interval.ms: 3600000",
                                        NULL};
    char conf[256];
    cr_assert_eq(gwt_config_write(conf, sizeof conf, edits), 0);
    run_t r;
    start(&r, "lostbad", 1, conf, NULL);
    cr_assert_eq(gwt_stream_join(r.s, 120000), 0, "the test's own producer lost items");
    cr_assert(gwt_wait_count(r.b, "news.enriched", N, 120000), "the output never held every item");
    int rc = stop_losing_group(&r);
    cr_assert_eq(rc, 1, "exit %d", rc);
    int64_t committed = gwt_committed_sum(r.b, r.group, "news.raw", PARTS);
    cr_assert_eq(committed, 0, "committed %lld of %d", (long long)committed, N);
    gwt_proc_free(&r.d);
    gwt_items_free(r.items, N);
    gw_embedded_stop(r.e);
    unlink(conf);
}
