/*
 * test_daemon.c - `geowire run` as a real process (the sanitized binary)
 * against a mock cluster hosted in the test process, so the test can take
 * the broker down and inject errors. Each test uses its own cluster and
 * consumer group; every wait is bounded.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

#define CONFIG "tests/integration/geowire-test.yaml"
#define PARTS 4

static int spawn_daemon(gwt_proc_t *p, const char *brokers, const char *group)
{
    static char genv[128];
    snprintf(genv, sizeof genv, "GEOWIRE_GROUP_ID=%s", group);
    char *env[] = {genv, NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", CONFIG, "--brokers", (char *)brokers, NULL};
    return gwt_spawn(p, argv, env);
}

/* The id field of a JSON payload, malloc'd, or NULL. */
static char *json_id(const char *payload, size_t len)
{
    json_error_t e;
    json_t *j = json_loadb(payload, len, 0, &e);
    if (!j) return NULL;
    const char *id = json_string_value(json_object_get(j, "id"));
    char *r = id ? strdup(id) : NULL;
    json_decref(j);
    return r;
}

static void dump_log(gwt_proc_t *p)
{
    char *s = gwt_errlog(p);
    size_t l = strlen(s);
    fprintf(stderr, "---- daemon stderr (tail) ----\n%s\n", l > 6000 ? s + l - 6000 : s);
    free(s);
}

/* A copy of the test config in /tmp with absolute dictionary paths and
 * `extra` inserted under kafka.consumer. Returns the path (static). */
static const char *config_with(const char *extra)
{
    static char path[] = "/tmp/gwt-conf-XXXXXX.yaml";
    strcpy(path, "/tmp/gwt-conf-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    FILE *in = fopen(CONFIG, "r");
    FILE *out = fdopen(fd, "w");
    char cwd[1024], line[1024];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    while (fgets(line, sizeof line, in)) {
        char *d = strstr(line, "../../config/");
        if (d) {
            fprintf(out, "%.*s%s/config/%s", (int)(d - line), line, cwd, d + 13);
            continue;
        }
        fputs(line, out);
        if (!strncmp(line, "  consumer:", 11)) fprintf(out, "%s\n", extra);
    }
    fclose(in);
    fclose(out);
    return path;
}

Test(daemon, items_in_records_out_with_provenance_then_sigterm_commits, .timeout = 90)
{
    enum { N = 2000 };
    gw_embedded_t *e = gwt_cluster(PARTS);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    char **items = gwt_items("p", N);
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, N), 0);

    gwt_proc_t d;
    cr_assert_eq(spawn_daemon(&d, b, "g-provenance"), 0);
    int64_t t0 = gwt_now();
    int ok = gwt_wait_count(b, "news.enriched", N, 60000);
    int64_t t1 = gwt_now();
    if (!ok) dump_log(&d);
    cr_assert(ok, "output never reached %d records", N);
    fprintf(stderr, "[figure] %d items in %lld ms incl. group join (sanitized build)\n", N,
            (long long)(t1 - t0));

    gwt_msgs_t out;
    gwt_consume(b, "news.enriched", N, 500, 20000, &out);
    cr_assert_eq(out.n, N, "want exactly %d records, got %zu", N, out.n);
    cr_assert_eq(gwt_ids_seen(&out, "p", N, NULL), N);
    for (size_t i = 0; i < out.n; i++) {
        const gwt_msg_t *m = &out.m[i];
        json_error_t je;
        json_t *j = json_loadb(m->payload, m->len, 0, &je);
        cr_assert_not_null(j, "record %zu is not JSON: %s", i, je.text);
        const char *id = json_string_value(json_object_get(j, "id"));
        cr_assert_not_null(id);
        cr_assert(m->key && !strcmp(m->key, id), "record keyed by its id");
        json_decref(j);
        cr_assert_str_eq(gwt_header(m, "geowire-source-topic"), "news.raw");
        const char *sp = gwt_header(m, "geowire-source-partition");
        const char *so = gwt_header(m, "geowire-source-offset");
        const char *pa = gwt_header(m, "geowire-processed-at");
        cr_assert(sp && atoi(sp) >= 0 && atoi(sp) < PARTS);
        cr_assert(so && atol(so) >= 0);
        cr_assert(pa && atoll(pa) > 1700000000000LL);
        cr_assert_not_null(gwt_header(m, "geowire-version"));
        cr_assert_null(gwt_header(m, "geowire-dlq-reason"));
    }
    gwt_msgs_free(&out);

    gwt_signal(&d, SIGTERM);
    int rc = gwt_wait(&d, 20000);
    if (rc != 0) dump_log(&d);
    cr_assert_eq(rc, 0, "SIGTERM: exit code %d", rc);
    cr_assert_eq(d.out_len, 0, "nothing on stdout without --print");
    cr_assert_eq(gwt_committed_sum(b, "g-provenance", "news.raw", PARTS), N,
                 "all offsets committed on shutdown");
    gwt_proc_free(&d);
    gwt_items_free(items, N);
    gw_embedded_stop(e);
}

Test(daemon, each_dead_letter_reason_reaches_the_dlq, .timeout = 60)
{
    gw_embedded_t *e = gwt_cluster(PARTS);
    const char *b = gw_embedded_bootstraps(e);
    static char big[9000];
    memset(big, 'x', sizeof big - 1);
    memcpy(big, "{\"id\":\"big\",\"body\":\"", 20);
    big[sizeof big - 3] = '"';
    big[sizeof big - 2] = '}';
    struct { const char *payload; const char *reason; } cases[] = {
        {"{\"id\": \"broken\", \"title\": ", "invalid_json"},
        {"[1, 2, 3]", "not_object"},
        {"{\"id\": \"notext\"}", "no_text"},
        {big, "too_large"},
        {"   ", "empty"},
    };
    enum { NC = 5 };
    char *payloads[NC + 1];
    for (int i = 0; i < NC; i++) payloads[i] = (char *)cases[i].payload;
    payloads[NC] = "{\"id\":\"it-ok-0000\",\"title\":\"Talks\",\"body\":\"France and Germany met.\"}";
    cr_assert_eq(gwt_produce(b, "news.raw", payloads, NULL, NC + 1), 0);

    gwt_proc_t d;
    spawn_daemon(&d, b, "g-dlq");
    gwt_msgs_t dlq;
    gwt_consume(b, "news.dlq", NC, 1000, 30000, &dlq);
    if (dlq.n != NC) dump_log(&d);
    cr_assert_eq(dlq.n, NC, "dead letters: %zu", dlq.n);
    for (int c = 0; c < NC; c++) {
        int found = 0;
        for (size_t i = 0; i < dlq.n; i++) {
            const gwt_msg_t *m = &dlq.m[i];
            if (m->len != strlen(cases[c].payload) || memcmp(m->payload, cases[c].payload, m->len))
                continue;
            found = 1;
            cr_assert_str_eq(gwt_header(m, "geowire-dlq-reason"), cases[c].reason,
                             "case %d: reason %s", c, gwt_header(m, "geowire-dlq-reason"));
            cr_assert_not_null(gwt_header(m, "geowire-dlq-message"));
            cr_assert_str_eq(gwt_header(m, "geowire-source-topic"), "news.raw");
            cr_assert_not_null(gwt_header(m, "geowire-source-partition"));
            cr_assert_not_null(gwt_header(m, "geowire-source-offset"));
            cr_assert_not_null(gwt_header(m, "geowire-processed-at"));
        }
        cr_assert(found, "original bytes of case %s not in the DLQ", cases[c].reason);
    }
    gwt_msgs_t out;
    gwt_consume(b, "news.enriched", 1, 300, 15000, &out);
    cr_assert_eq(out.n, 1);
    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 20000), 0);
    cr_assert_eq(gwt_committed_sum(b, "g-dlq", "news.raw", PARTS), NC + 1);
    gwt_msgs_free(&dlq);
    gwt_msgs_free(&out);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
}

Test(daemon, sigkill_mid_stream_then_restart_loses_nothing, .timeout = 120)
{
    enum { N = 3000 };
    gw_embedded_t *e = gwt_cluster(PARTS);
    const char *b = gw_embedded_bootstraps(e);
    char **items = gwt_items("k", N);
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, N), 0);

    gwt_proc_t d;
    spawn_daemon(&d, b, "g-kill");
    int started = gwt_wait_count(b, "news.enriched", 50, 30000);
    if (!started) dump_log(&d);
    cr_assert(started);
    gwt_signal(&d, SIGKILL);
    cr_assert_eq(gwt_wait(&d, 5000), 128 + SIGKILL);
    int64_t at_kill = gwt_topic_count(b, "news.enriched");
    gwt_proc_free(&d);

    gwt_proc_t d2;
    spawn_daemon(&d2, b, "g-kill");
    gwt_msgs_t out;
    size_t seen = 0;
    int64_t end = gwt_now() + 60000;
    while (gwt_now() < end) {
        if (gwt_wait_count(b, "news.enriched", N, 2000)) {
            gwt_consume(b, "news.enriched", (size_t)gwt_topic_count(b, "news.enriched"), 200, 20000, &out);
            seen = gwt_ids_seen(&out, "k", N, NULL);
            gwt_msgs_free(&out);
            if (seen == N) break;
        }
    }
    if (seen != N) dump_log(&d2);
    cr_assert_eq(seen, N, "ids seen after restart: %zu of %d (output at kill: %lld)", seen, N,
                 (long long)at_kill);
    fprintf(stderr, "[figure] SIGKILL at %lld of %d outputs; %lld records after restart (duplicates are allowed)\n",
            (long long)at_kill, N, (long long)gwt_topic_count(b, "news.enriched"));
    gwt_signal(&d2, SIGTERM);
    cr_assert_eq(gwt_wait(&d2, 20000), 0);
    gwt_proc_free(&d2);
    gwt_items_free(items, N);
    gw_embedded_stop(e);
}

Test(daemon, broker_down_mid_stream_loses_nothing, .timeout = 120)
{
    enum { N = 2000 };
    gw_embedded_t *e = gwt_cluster(PARTS);
    const char *b = gw_embedded_bootstraps(e);
    char **items = gwt_items("d", N);
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, N / 2), 0);

    gwt_proc_t d;
    spawn_daemon(&d, b, "g-down");
    cr_assert(gwt_wait_count(b, "news.enriched", 20, 30000));
    /* Longer than session.timeout.ms (6 s): the group loses the partitions
     * while they are paused, and the daemon must resume them when they come
     * back; records in flight time out (message.timeout.ms 10 s) and are
     * produced again. */
    rd_kafka_mock_broker_set_down(gw_embedded_cluster(e), 1);
    gwt_sleep_ms(7000);
    rd_kafka_mock_broker_set_up(gw_embedded_cluster(e), 1);
    cr_assert_eq(gwt_produce(b, "news.raw", items + N / 2, NULL, N / 2), 0);

    /* The rejoined member consumes again from the last commit: the copies
     * it re-produces can bring the output count to N before every id is
     * there, and every id can be there before it reaches the end of the
     * input. So wait for the id set, then for its commits to cover the
     * input, then stop it. */
    size_t seen = 0;
    int64_t end = gwt_now() + 60000;
    while (gwt_now() < end && seen != N) {
        if (gwt_wait_count(b, "news.enriched", N, 1000)) {
            gwt_msgs_t out;
            gwt_consume(b, "news.enriched", (size_t)gwt_topic_count(b, "news.enriched"), 300, 20000, &out);
            seen = gwt_ids_seen(&out, "d", N, NULL);
            gwt_msgs_free(&out);
        }
    }
    if (seen != N) dump_log(&d);
    cr_assert_eq(seen, N, "ids after the outage: %zu of %d", seen, N);
    end = gwt_now() + 30000;
    while (gwt_now() < end && gwt_committed_sum(b, "g-down", "news.raw", PARTS) < N) gwt_sleep_ms(200);
    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 20000), 0);
    cr_assert_eq(gwt_committed_sum(b, "g-down", "news.raw", PARTS), N);
    gwt_proc_free(&d);
    gwt_items_free(items, N);
    gw_embedded_stop(e);
}

Test(daemon, injected_produce_errors_lose_nothing, .timeout = 90)
{
    enum { N = 1000 };
    gw_embedded_t *e = gwt_cluster(PARTS);
    const char *b = gw_embedded_bootstraps(e);
    char **items = gwt_items("e", N);
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, N), 0);
    /* From now on Produce requests fail, retriably, several times over. One
     * request in flight: with more, the 2.0.2 mock can lose a record that
     * librdkafka reports delivered (test_faults.c, produce_errors). */
    static const char *const edits[] = {
        "    message.timeout.ms: 10000",
        "    message.timeout.ms: 10000\n    max.in.flight.requests.per.connection: 1", NULL};
    char conf[256];
    cr_assert_eq(gwt_config_write(conf, sizeof conf, edits), 0);
    rd_kafka_mock_push_request_errors(gw_embedded_cluster(e), 0 /* Produce */, 8,
                                      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                                      RD_KAFKA_RESP_ERR__TRANSPORT);
    gwt_proc_t d;
    char *env[] = {"GEOWIRE_GROUP_ID=g-errors", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", conf, "--brokers", (char *)b, NULL};
    gwt_spawn(&d, argv, env);
    int done = gwt_wait_count(b, "news.enriched", N, 60000);
    gwt_msgs_t out;
    gwt_consume(b, "news.enriched", (size_t)gwt_topic_count(b, "news.enriched"), 300, 20000, &out);
    size_t seen = gwt_ids_seen(&out, "e", N, NULL);
    if (!done || seen != N) dump_log(&d);
    cr_assert_eq(seen, N);
    gwt_msgs_free(&out);
    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 20000), 0);
    cr_assert_eq(gwt_committed_sum(b, "g-errors", "news.raw", PARTS), N);
    gwt_proc_free(&d);
    unlink(conf);
    gwt_items_free(items, N);
    gw_embedded_stop(e);
}

Test(daemon, refused_record_is_dead_lettered_with_the_original, .timeout = 90)
{
    enum { N = 200 };
    gw_embedded_t *e = gwt_cluster(PARTS);
    const char *b = gw_embedded_bootstraps(e);
    char **items = gwt_items("r", N);
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, N), 0);
    /* The broker refuses the daemon's first produce request permanently. */
    rd_kafka_mock_push_request_errors(gw_embedded_cluster(e), 0, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    gwt_proc_t d;
    spawn_daemon(&d, b, "g-refused");
    /* Every id ends up in the output or, refused, in the DLQ. */
    size_t total = 0, in_dlq = 0;
    int64_t end = gwt_now() + 60000;
    gwt_msgs_t out, dlq;
    while (gwt_now() < end) {
        int64_t no = gwt_topic_count(b, "news.enriched"), nd = gwt_topic_count(b, "news.dlq");
        if (no + nd >= N) {
            gwt_consume(b, "news.enriched", (size_t)no, 200, 20000, &out);
            gwt_consume(b, "news.dlq", (size_t)nd, 200, 20000, &dlq);
            char *seen = calloc(N, 1);
            in_dlq = 0;
            for (size_t i = 0; i < out.n; i++) {
                char *id = json_id(out.m[i].payload, out.m[i].len);
                if (id) seen[atoi(id + 5)] = 1;
                free(id);
            }
            for (size_t i = 0; i < dlq.n; i++) {
                const char *r = gwt_header(&dlq.m[i], "geowire-dlq-reason");
                cr_assert(r && (!strcmp(r, "record_too_large") || !strcmp(r, "produce_failed")), "reason %s", r);
                char *id = json_id(dlq.m[i].payload, dlq.m[i].len); /* the original item */
                cr_assert_not_null(id, "DLQ holds the original JSON item");
                seen[atoi(id + 5)] = 1;
                in_dlq++;
                free(id);
            }
            total = 0;
            for (int i = 0; i < N; i++) total += seen[i];
            free(seen);
            gwt_msgs_free(&out);
            gwt_msgs_free(&dlq);
            if (total == N) break;
        }
        gwt_sleep_ms(200);
    }
    if (total != N) dump_log(&d);
    cr_assert_eq(total, N, "ids accounted for: %zu of %d", total, N);
    fprintf(stderr, "[figure] refused produce request: %zu items dead-lettered, rest delivered\n", in_dlq);
    gwt_signal(&d, SIGTERM);
    int rc = gwt_wait(&d, 20000);
    cr_assert_eq(rc, 0, "exit %d", rc);
    gwt_proc_free(&d);
    gwt_items_free(items, N);
    gw_embedded_stop(e);
}

Test(daemon, missing_dead_letter_topic_is_a_clear_error, .timeout = 40)
{
    gw_embedded_t *e = gwt_cluster(1);
    const char *b = gw_embedded_bootstraps(e);
    char *env[] = {"GEOWIRE_GROUP_ID=g-missing", "GW_TEST_DLQ=news.nowhere", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", CONFIG, "--brokers", (char *)b, NULL};
    gwt_proc_t d;
    gwt_spawn(&d, argv, env);
    int rc = gwt_wait(&d, 25000);
    char *log = gwt_errlog(&d);
    cr_assert_eq(rc, 1, "exit %d", rc);
    cr_assert(strstr(log, "news.nowhere") && strstr(log, "missing"), "log: %s", log);
    free(log);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
}

Test(daemon, embedded_print_and_feed, .timeout = 60)
{
    char feed[] = "/tmp/gwt-feed-XXXXXX";
    int fd = mkstemp(feed);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "{\"id\":\"it-f-0000\",\"title\":\"Trade\",\"body\":\"France and Germany met.\"}\n");
    fprintf(f, "{\"id\":\"it-f-0001\",\"title\":\"Fish\",\"body\":\"Indonesia and Malaysia met.\"}\n");
    fprintf(f, "[1]\n");
    fclose(f);
    char *env[] = {"GEOWIRE_GROUP_ID=g-embedded", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", CONFIG, "--brokers", "embedded", "--print",
                    "--feed", feed, NULL};
    gwt_proc_t d;
    gwt_spawn(&d, argv, env);
    cr_assert(gwt_wait_log(&d, "embedded broker listening on 127.0.0.1:", 10000));
    int64_t end = gwt_now() + 30000;
    size_t lines = 0;
    while (gwt_now() < end) {
        gwt_read_out(&d);
        lines = 0;
        for (size_t i = 0; i < d.out_len; i++) lines += d.out[i] == '\n';
        if (lines >= 2) break;
        gwt_sleep_ms(100);
    }
    if (lines < 2) dump_log(&d);
    cr_assert_geq(lines, 2);
    cr_assert(strstr(d.out, "it-f-0000") && strstr(d.out, "it-f-0001"));
    /* Only records on stdout: every line is a JSON object. */
    char *save = NULL;
    for (char *l = strtok_r(d.out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_error_t je;
        json_t *j = json_loads(l, 0, &je);
        cr_assert(j && json_is_object(j), "stdout line is not a record: %.80s", l);
        json_decref(j);
    }
    d.out_len = 0;
    gwt_signal(&d, SIGINT);
    cr_assert_eq(gwt_wait(&d, 20000), 0);
    gwt_proc_free(&d);
    unlink(feed);
}

Test(daemon, usage_errors_exit_2)
{
    char *argv[] = {(char *)gwt_bin(), "run", "--bogus", NULL};
    gwt_proc_t d;
    gwt_spawn(&d, argv, NULL);
    cr_assert_eq(gwt_wait(&d, 10000), 2);
    gwt_proc_free(&d);
    char *argv2[] = {(char *)gwt_bin(), "run", "-c", "/nonexistent/geowire.yaml", NULL};
    gwt_spawn(&d, argv2, NULL);
    cr_assert_eq(gwt_wait(&d, 10000), 2);
    gwt_proc_free(&d);
    /* An empty broker list is an error, never the embedded broker. */
    char *argv3[] = {(char *)gwt_bin(), "run", "--brokers", "", NULL};
    gwt_spawn(&d, argv3, NULL);
    cr_assert_eq(gwt_wait(&d, 10000), 2);
    gwt_proc_free(&d);
}

Test(daemon, bad_passthrough_property_names_file_and_key_hides_secrets, .timeout = 30)
{
    gw_embedded_t *e = gwt_cluster(1);
    const char *b = gw_embedded_bootstraps(e);
    const char *conf = config_with("    no.such.property: 12");
    char *argv[] = {(char *)gwt_bin(), "run", "-c", (char *)conf, "--brokers", (char *)b, NULL};
    gwt_proc_t d;
    gwt_spawn(&d, argv, NULL);
    cr_assert_eq(gwt_wait(&d, 20000), 2);
    char *log = gwt_errlog(&d);
    char want[512];
    snprintf(want, sizeof want, "%s: kafka.consumer.no.such.property: ", conf);
    cr_assert(strstr(log, want), "log: %s", log);
    free(log);
    gwt_proc_free(&d);
    unlink(conf);

    /* A value from the environment is secret: its text never appears. */
    char *env[] = {"GW_TEST_SESSION_MS=hunter2-not-a-number", NULL};
    char *argv2[] = {(char *)gwt_bin(), "run", "-c", CONFIG, "--brokers", (char *)b, NULL};
    gwt_spawn(&d, argv2, env);
    cr_assert_eq(gwt_wait(&d, 20000), 2);
    log = gwt_errlog(&d);
    cr_assert(strstr(log, "kafka.consumer.session.timeout.ms: invalid value (secret, not shown)"), "log: %s", log);
    cr_assert_null(strstr(log, "hunter2"), "secret leaked: %s", log);
    free(log);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
}

Test(daemon, refused_dead_letter_stops_without_committing_it, .timeout = 60)
{
    enum { N = 50 };
    gw_embedded_t *e = gwt_cluster(1);
    const char *b = gw_embedded_bootstraps(e);
    char **items = gwt_items("x", N);
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, N), 0);
    /* Every Produce request is refused: enriched records, then their
     * dead-letter replacements. */
    rd_kafka_resp_err_t errs[64];
    for (int i = 0; i < 64; i++) errs[i] = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    rd_kafka_mock_push_request_errors_array(gw_embedded_cluster(e), 0, 64, errs);
    gwt_proc_t d;
    spawn_daemon(&d, b, "g-dlqfail");
    int rc = gwt_wait(&d, 40000);
    char *log = gwt_errlog(&d);
    cr_assert_eq(rc, 1, "exit %d; log: %s", rc, log);
    cr_assert(strstr(log, "dead-letter record refused permanently"), "log: %s", log);
    free(log);
    rd_kafka_mock_clear_request_errors(gw_embedded_cluster(e), 0);
    int64_t committed = gwt_committed_sum(b, "g-dlqfail", "news.raw", 1);
    cr_assert(committed >= 0 && committed < N, "committed %lld of %d", (long long)committed, N);
    gwt_proc_free(&d);
    gwt_items_free(items, N);
    gw_embedded_stop(e);
}

/* 1 once `p` logged an assignment of at least one partition (a
 * cooperative member may first get an empty one), polled up to timeout_ms. */
static int wait_nonempty_assignment(gwt_proc_t *p, int timeout_ms)
{
    static const char needle[] = "msg=\"partitions assigned\" count=";
    int64_t end = gwt_now() + timeout_ms;
    do {
        char *s = gwt_errlog(p);
        int found = 0;
        for (const char *q = strstr(s, needle); q && !found; q = strstr(q + 1, needle))
            found = q[sizeof needle - 1] >= '1' && q[sizeof needle - 1] <= '9';
        free(s);
        if (found) return 1;
        gwt_sleep_ms(100);
    } while (gwt_now() < end);
    return 0;
}

/* Every wait polls for its condition with a deadline far above the quiet
 * machine's figures (join 3 s, rebalance rounds of a few seconds, 3000
 * items in about 10 s): under load the two sanitized daemons, the mock and
 * the test share two cores, and this test failed twice when its deadlines
 * were tight. */
Test(daemon, second_member_joins_cooperative_rebalance_loses_nothing, .timeout = 420)
{
    enum { N = 3000 };
    gw_embedded_t *e = gwt_cluster(PARTS);
    const char *b = gw_embedded_bootstraps(e);
    char **items = gwt_items("c", N);
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, N / 2), 0);
    const char *conf = config_with("    partition.assignment.strategy: cooperative-sticky");
    char *env[] = {"GEOWIRE_GROUP_ID=g-coop", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", (char *)conf, "--brokers", (char *)b, NULL};
    gwt_proc_t d1, d2;
    gwt_spawn(&d1, argv, env);
    cr_assert(gwt_wait_count(b, "news.enriched", 100, 90000), "the first member never produced");
    gwt_spawn(&d2, argv, env);
    /* The second member gets partitions taken from the first (revoke ->
     * drain, store, commit, incremental unassign). */
    int revoked = gwt_wait_log(&d1, "partitions revoked", 90000);
    int shared = revoked && wait_nonempty_assignment(&d2, 90000);
    if (!shared) { dump_log(&d1); dump_log(&d2); }
    cr_assert(revoked, "the first member never gave partitions up");
    cr_assert(shared, "the second member never got partitions");
    cr_assert_eq(gwt_produce(b, "news.raw", items + N / 2, NULL, N - N / 2), 0);

    size_t seen = 0;
    int64_t end = gwt_now() + 150000;
    while (gwt_now() < end && seen < N) {
        if (gwt_wait_count(b, "news.enriched", N, 2000)) {
            gwt_msgs_t out;
            gwt_consume(b, "news.enriched", (size_t)gwt_topic_count(b, "news.enriched"), 200, 30000, &out);
            seen = gwt_ids_seen(&out, "c", N, NULL);
            gwt_msgs_free(&out);
        }
    }
    if (seen != N) { dump_log(&d1); dump_log(&d2); }
    cr_assert_eq(seen, N, "ids across the rebalance: %zu of %d", seen, N);
    gwt_signal(&d2, SIGTERM);
    cr_assert_eq(gwt_wait(&d2, 60000), 0);
    gwt_signal(&d1, SIGTERM);
    cr_assert_eq(gwt_wait(&d1, 60000), 0);
    cr_assert_eq(gwt_committed_sum(b, "g-coop", "news.raw", PARTS), N);
    gwt_proc_free(&d1);
    gwt_proc_free(&d2);
    unlink(conf);
    gwt_items_free(items, N);
    gw_embedded_stop(e);
}
