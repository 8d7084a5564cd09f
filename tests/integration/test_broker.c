/*
 * test_broker.c - `geowire broker` as a real process.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "support/support.h"

static int partitions_of(const char *brokers, const char *topic)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char e[256];
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof e);
    rd_kafka_conf_set(c, "log_level", "3", e, sizeof e);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof e);
    const struct rd_kafka_metadata *md = NULL;
    int n = -1;
    if (rd_kafka_metadata(rk, 1, NULL, &md, 5000) == 0) {
        for (int i = 0; i < md->topic_cnt; i++)
            if (!strcmp(md->topics[i].topic, topic)) n = md->topics[i].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_destroy(rk);
    return n;
}

Test(broker, prints_brokers_first_and_exits_0_on_sigterm, .timeout = 60)
{
    char *argv[] = {(char *)gwt_bin(), "broker", "--partitions", "3", "--topics", "alpha,beta", NULL};
    gwt_proc_t p;
    cr_assert_eq(gwt_spawn(&p, argv, NULL), 0);
    char line[512];
    cr_assert_eq(gwt_first_line(&p, line, sizeof line, 10000), 0, "no first line");
    cr_assert(!strncmp(line, "BROKERS=127.0.0.1:", 18), "first line: %s", line);
    const char *b = line + 8;
    cr_assert_eq(partitions_of(b, "alpha"), 3);
    cr_assert_eq(partitions_of(b, "beta"), 3);
    cr_assert_eq(partitions_of(b, "news.raw"), -1, "--topics replaces the defaults");

    char *msgs[] = {"one", "two", "three"};
    cr_assert_eq(gwt_produce(b, "alpha", msgs, NULL, 3), 0);
    gwt_msgs_t got;
    gwt_consume(b, "alpha", 3, 200, 15000, &got);
    cr_assert_eq(got.n, 3);
    gwt_msgs_free(&got);

    gwt_signal(&p, SIGTERM);
    cr_assert_eq(gwt_wait(&p, 10000), 0);
    gwt_read_out(&p);
    cr_assert_eq(p.out_len, strlen(line) + 1, "stdout holds only the BROKERS line: %s", p.out);
    gwt_proc_free(&p);
}

Test(broker, default_topics_and_sigint, .timeout = 60)
{
    char *argv[] = {(char *)gwt_bin(), "broker", NULL};
    gwt_proc_t p;
    cr_assert_eq(gwt_spawn(&p, argv, NULL), 0);
    char line[512];
    cr_assert_eq(gwt_first_line(&p, line, sizeof line, 10000), 0);
    const char *b = line + 8;
    const char *topics[] = {"news.raw", "news.enriched", "news.alerts", "news.dlq", "news.aggregates"};
    for (int i = 0; i < 5; i++) cr_assert_eq(partitions_of(b, topics[i]), 1, "%s", topics[i]);
    gwt_signal(&p, SIGINT);
    cr_assert_eq(gwt_wait(&p, 10000), 0);
    gwt_proc_free(&p);
}

Test(broker, bad_options_exit_2)
{
    char *argv[] = {(char *)gwt_bin(), "broker", "--partitions", "0", NULL};
    gwt_proc_t p;
    gwt_spawn(&p, argv, NULL);
    cr_assert_eq(gwt_wait(&p, 10000), 2);
    gwt_proc_free(&p);
}

Test(broker, embedded_listeners_get_tcp_nodelay)
{
    const char *topics[] = {"t"};
    char err[256];
    gw_embedded_t *e = gw_embedded_start(1, topics, 1, 1, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    /* One broker, one listening socket found by its port. */
    cr_assert_eq(gw_kafka_nodelay_listeners(gw_embedded_bootstraps(e)), 1);
    cr_assert_eq(gw_kafka_nodelay_listeners("127.0.0.1:1"), 0);
    gw_embedded_stop(e);
}
