/*
 * test_redrive.c - `geowire redrive` on a mock cluster hosted by the test:
 * an end-to-end fix-and-replay (items dead-lettered as too_large go through
 * after the limit is raised, with their original provenance on the
 * records), filtering by reason and time, a dry run, and the bound: a
 * redrive into the dead-letter topic itself still stops.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geowire/common.h"
#include "support/support.h"

#define CONFIG "tests/integration/geowire-test.yaml"

static int run_daemon_until(const char *cfg, const char *brokers, const char *topic, int64_t n)
{
    char *env[] = {"GEOWIRE_GROUP_ID=gwt-redrive", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", (char *)cfg, "--brokers", (char *)brokers, NULL};
    gwt_proc_t d;
    cr_assert_eq(gwt_spawn(&d, argv, env), 0);
    int ok = gwt_wait_count(brokers, topic, n, 60000);
    gwt_signal(&d, SIGTERM);
    int rc = gwt_wait(&d, 30000);
    if (!ok || rc != 0) {
        char *log = gwt_errlog(&d);
        fprintf(stderr, "---- daemon stderr ----\n%s\n", log);
        free(log);
    }
    gwt_proc_free(&d);
    cr_assert(ok, "%s never reached %lld records", topic, (long long)n);
    return rc;
}

/* Runs `geowire redrive ARGS...` to the end; returns its exit code and
 * copies its stdout into out. */
static int redrive(const char *brokers, const char *const *args, char *out, size_t n)
{
    char *argv[24] = {(char *)gwt_bin(), "redrive", "-c", CONFIG, "--brokers", (char *)brokers};
    int k = 6;
    for (size_t i = 0; args && args[i] && k < 23; i++) argv[k++] = (char *)args[i];
    argv[k] = NULL;
    gwt_proc_t p;
    cr_assert_eq(gwt_spawn(&p, argv, NULL), 0);
    int rc = gwt_wait(&p, 60000);
    snprintf(out, n, "%s", p.out ? p.out : "");
    if (rc != 0) {
        char *log = gwt_errlog(&p);
        fprintf(stderr, "---- redrive stderr ----\n%s\n", log);
        free(log);
    }
    gwt_proc_free(&p);
    return rc;
}

Test(redrive, too_large_items_go_through_after_the_fix_with_their_provenance, .timeout = 180)
{
    gw_embedded_t *e = gwt_cluster(2);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    /* 3 good items, 2 over the test config's 8 KiB limit, 1 invalid JSON. */
    char big[2][10000];
    for (int i = 0; i < 2; i++) {
        int n = snprintf(big[i], sizeof big[i], "{\"id\":\"big-%d\",\"title\":\"Long report on "
                         "France\",\"body\":\"", i);
        memset(big[i] + n, 'a', 9000);
        strcpy(big[i] + n + 9000, " Paris.\"}");
    }
    char *items[] = {"{\"id\":\"ok-0\",\"title\":\"Talks in Berlin\"}", big[0],
                     "{\"id\":\"ok-1\",\"title\":\"Talks in Tokyo\"}", "{\"id\":broken", big[1],
                     "{\"id\":\"ok-2\",\"title\":\"Talks in Nairobi\"}"};
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, 6), 0);
    run_daemon_until(CONFIG, b, "news.dlq", 3);
    cr_assert_eq(gwt_topic_count(b, "news.enriched"), 3);

    char out[4096];
    const char *args[] = {"--reason", "too_large", NULL};
    cr_assert_eq(redrive(b, args, out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "matched=2 redriven=2 failed=0"), "%s", out);
    cr_assert_eq(gwt_topic_count(b, "news.raw"), 8);

    /* The replayed inputs carry where they were first read and which dead
     * letter they came from. */
    gwt_msgs_t dlq, raw;
    cr_assert_eq(gwt_consume(b, "news.dlq", 3, 200, 30000, &dlq), 3);
    cr_assert_eq(gwt_consume(b, "news.raw", 8, 200, 30000, &raw), 8);
    size_t replayed = 0;
    for (size_t i = 0; i < raw.n; i++) {
        const gwt_msg_t *m = &raw.m[i];
        const char *from = gwt_header(m, "geowire-redriven-from");
        if (!from) continue;
        replayed++;
        cr_assert_str_eq(gwt_header(m, "geowire-redriven-reason"), "too_large");
        cr_assert_str_eq(gwt_header(m, "geowire-redrive-count"), "1");
        cr_assert_str_eq(gwt_header(m, "geowire-original-topic"), "news.raw");
        cr_assert_not_null(strstr(m->payload, "\"id\":\"big-"));
        /* The dead letter it names is the one holding the same original offset. */
        int matched = 0;
        for (size_t k = 0; k < dlq.n; k++) {
            char coord[64];
            snprintf(coord, sizeof coord, "news.dlq/%d/%lld", (int)dlq.m[k].partition,
                     (long long)dlq.m[k].offset);
            if (!strcmp(coord, from)) {
                cr_assert_str_eq(gwt_header(&dlq.m[k], "geowire-source-offset"),
                                 gwt_header(m, "geowire-original-offset"));
                cr_assert_str_eq(gwt_header(&dlq.m[k], "geowire-source-partition"),
                                 gwt_header(m, "geowire-original-partition"));
                matched = 1;
            }
        }
        cr_assert(matched, "geowire-redriven-from %s names no dead letter", from);
    }
    cr_assert_eq(replayed, 2);

    /* The fix: a larger limit. The same group picks up only the replays,
     * and their records keep the original provenance. */
    char cfg[64];
    const char *edits[] = {"  max_item_bytes:", "  max_item_bytes: 65536", NULL};
    cr_assert_eq(gwt_config_write(cfg, sizeof cfg, edits), 0);
    run_daemon_until(cfg, b, "news.enriched", 5);
    gwt_msgs_t enr;
    cr_assert_eq(gwt_consume(b, "news.enriched", 5, 500, 30000, &enr), 5);
    size_t with_prov = 0;
    for (size_t i = 0; i < enr.n; i++) {
        if (!strstr(enr.m[i].payload, "\"id\":\"big-")) continue;
        cr_assert_str_eq(gwt_header(&enr.m[i], "geowire-original-topic"), "news.raw");
        cr_assert_not_null(gwt_header(&enr.m[i], "geowire-original-offset"));
        cr_assert_not_null(gwt_header(&enr.m[i], "geowire-redriven-from"));
        cr_assert_str_eq(gwt_header(&enr.m[i], "geowire-source-topic"), "news.raw");
        with_prov++;
    }
    cr_assert_eq(with_prov, 2);
    cr_assert_eq(gwt_topic_count(b, "news.dlq"), 3, "the fixed items were dead-lettered again");
    gwt_msgs_free(&dlq);
    gwt_msgs_free(&raw);
    gwt_msgs_free(&enr);
    unlink(cfg);
    gw_embedded_stop(e);
}

/* Dead letters written straight to the topic, with the daemon's headers. */
static void produce_dead_letters(const char *brokers, const char *reason, int n, int first)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char e[256];
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof e);
    rd_kafka_conf_set(c, "log_level", "3", e, sizeof e);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof e);
    cr_assert_not_null(rk, "%s", e);
    for (int i = 0; i < n; i++) {
        char v[64], off[16];
        snprintf(v, sizeof v, "{\"id\":\"dl-%d\"", first + i);
        snprintf(off, sizeof off, "%d", first + i);
        cr_assert_eq(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("news.dlq"),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_VALUE(v, strlen(v)),
                                       RD_KAFKA_V_HEADER("geowire-source-topic", "news.raw", -1),
                                       RD_KAFKA_V_HEADER("geowire-source-partition", "0", -1),
                                       RD_KAFKA_V_HEADER("geowire-source-offset", off, -1),
                                       RD_KAFKA_V_HEADER("geowire-dlq-reason", reason, -1),
                                       RD_KAFKA_V_END), 0);
    }
    cr_assert_eq(rd_kafka_flush(rk, 20000), 0);
    rd_kafka_destroy(rk);
}

Test(redrive, filters_by_reason_and_time_and_a_dry_run_produces_nothing, .timeout = 120)
{
    gw_embedded_t *e = gwt_cluster(2);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    produce_dead_letters(b, "invalid_json", 3, 0);
    gwt_sleep_ms(50); /* message timestamps: the early ones strictly before t */
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)gw_now_ms());
    gwt_sleep_ms(50);
    produce_dead_letters(b, "no_text", 2, 3);
    produce_dead_letters(b, "invalid_json", 1, 5);

    char out[4096];
    const char *dry[] = {"--dry-run", NULL};
    cr_assert_eq(redrive(b, dry, out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "matched=6"), "%s", out);
    cr_assert_not_null(strstr(out, "reason=no_text"), "%s", out);
    cr_assert_not_null(strstr(out, " source=news.raw/0/4\n"), "%s", out);
    cr_assert_eq(gwt_topic_count(b, "news.raw"), 0, "a dry run produced");

    const char *since[] = {"--since", t, "--reason", "invalid_json", NULL};
    cr_assert_eq(redrive(b, since, out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "matched=1 redriven=1"), "%s", out);
    const char *until[] = {"--until", t, NULL};
    cr_assert_eq(redrive(b, until, out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "matched=3 redriven=3"), "%s", out);
    const char *reasons[] = {"-r", "no_text,invalid_json", "--since", t, NULL};
    cr_assert_eq(redrive(b, reasons, out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "matched=3 redriven=3"), "%s", out);
    cr_assert_eq(gwt_topic_count(b, "news.raw"), 7);

    const char *bad[] = {"--reason", "nope", NULL};
    cr_assert_eq(redrive(b, bad, out, sizeof out), 2);
    const char *badtime[] = {"--since", "yesterday", NULL};
    cr_assert_eq(redrive(b, badtime, out, sizeof out), 2);
    gw_embedded_stop(e);
}

/* Replaying the dead-letter topic into itself would never end without the
 * bound captured at start: it must replay exactly what was there. */
Test(redrive, stops_at_the_end_offsets_captured_at_start, .timeout = 120)
{
    gw_embedded_t *e = gwt_cluster(2);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    produce_dead_letters(b, "empty", 4, 0);
    char out[4096];
    const char *self[] = {"--to", "news.dlq", NULL};
    cr_assert_eq(redrive(b, self, out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "scanned=4 matched=4 redriven=4"), "%s", out);
    cr_assert_eq(gwt_topic_count(b, "news.dlq"), 8);
    /* A second replay of the replays counts them. */
    gwt_msgs_t ms;
    cr_assert_eq(gwt_consume(b, "news.dlq", 8, 200, 30000, &ms), 8);
    size_t seconds = 0;
    for (size_t i = 0; i < ms.n; i++) {
        const char *c = gwt_header(&ms.m[i], "geowire-redrive-count");
        if (c) {
            cr_assert_str_eq(c, "1");
            cr_assert_str_eq(gwt_header(&ms.m[i], "geowire-original-topic"), "news.raw");
            seconds++;
        }
    }
    cr_assert_eq(seconds, 4);
    gwt_msgs_free(&ms);
    gw_embedded_stop(e);
}

Test(redrive, refuses_the_embedded_broker)
{
    char *argv[] = {(char *)gwt_bin(), "redrive", "-c", CONFIG, "--brokers", "embedded", NULL};
    gwt_proc_t p;
    cr_assert_eq(gwt_spawn(&p, argv, NULL), 0);
    cr_assert_eq(gwt_wait(&p, 30000), 2);
    gwt_proc_free(&p);
}
