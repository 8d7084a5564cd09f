/*
 * test_metrics.c - the metrics module without Kafka: what librdkafka's
 * statistics documents turn into (lag, committed offsets, readiness), the
 * readiness rules, the histogram, label escaping, liveness.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "geowire/metrics.h"

/* Shapes of librdkafka 2.0.2 statistics (STATISTICS.md), trimmed. */
static const char consumer_stats[] =
    "{\"name\":\"geowire-consumer#consumer-1\",\"type\":\"consumer\",\"brokers\":{"
    "\"127.0.0.1:9092/1\":{\"name\":\"127.0.0.1:9092/1\",\"nodeid\":1,\"source\":\"learned\",\"state\":\"UP\"},"
    "\"GroupCoordinator\":{\"name\":\"GroupCoordinator\",\"nodeid\":-1,\"source\":\"logical\",\"state\":\"UP\"}},"
    "\"topics\":{\"news.raw\":{\"topic\":\"news.raw\",\"partitions\":{"
    "\"0\":{\"partition\":0,\"desired\":true,\"committed_offset\":40,\"consumer_lag\":2},"
    "\"1\":{\"partition\":1,\"desired\":true,\"committed_offset\":-1001,\"consumer_lag\":-1},"
    "\"2\":{\"partition\":2,\"desired\":false,\"committed_offset\":7,\"consumer_lag\":0},"
    "\"-1\":{\"partition\":-1,\"desired\":false,\"committed_offset\":-1001,\"consumer_lag\":-1}}}},"
    "\"cgrp\":{\"state\":\"up\",\"join_state\":\"steady\",\"rebalance_cnt\":1,\"assignment_size\":2}}";

static const char producer_up[] =
    "{\"type\":\"producer\",\"brokers\":{\"127.0.0.1:9092/1\":{\"nodeid\":1,\"source\":\"learned\",\"state\":\"UP\"}}}";
static const char producer_down[] =
    "{\"type\":\"producer\",\"brokers\":{\"127.0.0.1:9092/1\":{\"nodeid\":1,\"source\":\"learned\",\"state\":\"TRY_CONNECT\"},"
    "\"127.0.0.1:9092/bootstrap\":{\"nodeid\":-1,\"source\":\"configured\",\"state\":\"DOWN\"}}}";

static char *render(gw_metrics_t *m)
{
    gw_buf_t b;
    gw_buf_init(&b);
    gw_metrics_render(m, &b);
    return gw_buf_steal(&b, NULL);
}

static char *why_not_ready(gw_metrics_t *m, int *ready)
{
    gw_buf_t b;
    gw_buf_init(&b);
    *ready = gw_metrics_ready(m, &b);
    gw_buf_putc(&b, '\0');
    return gw_buf_steal(&b, NULL);
}

Test(metrics, statistics_give_lag_committed_offsets_and_readiness)
{
    gw_metrics_t *m = gw_metrics_new();
    int ready;
    char *why = why_not_ready(m, &ready);
    cr_expect_eq(ready, 0);
    cr_expect(strstr(why, "no assignment yet") && strstr(why, "no client statistics yet"), "%s", why);
    free(why);

    char err[256];
    cr_assert_eq(gw_metrics_stats(m, 1, consumer_stats, strlen(consumer_stats), err, sizeof err), GW_OK, "%s", err);
    cr_assert_eq(gw_metrics_stats(m, 0, producer_up, strlen(producer_up), err, sizeof err), GW_OK);
    why = why_not_ready(m, &ready);
    cr_expect_eq(ready, 0, "statistics alone do not mean the group was joined");
    free(why);
    gw_metrics_rebalance(m, GW_REBALANCE_ASSIGNED, 0); /* an empty assignment: still a member */
    why = why_not_ready(m, &ready);
    cr_expect_eq(ready, 1, "%s", why);
    free(why);

    char *t = render(m);
    cr_expect(strstr(t, "geowire_consumer_lag_messages{topic=\"news.raw\",partition=\"0\"} 2\n"), "%s", t);
    cr_expect(strstr(t, "geowire_consumer_committed_offset{topic=\"news.raw\",partition=\"0\"} 40\n"));
    cr_expect_null(strstr(t, "partition=\"1\"}"), "unknown lag and no commit are left out");
    cr_expect_null(strstr(t, "partition=\"2\"}"), "a partition not assigned is left out");
    cr_expect_null(strstr(t, "partition=\"-1\"}"));
    cr_expect(strstr(t, "geowire_ready 1\n"));
    free(t);

    /* the producer loses its broker: not ready, with the reason */
    cr_assert_eq(gw_metrics_stats(m, 0, producer_down, strlen(producer_down), err, sizeof err), GW_OK);
    why = why_not_ready(m, &ready);
    cr_expect_eq(ready, 0);
    cr_expect(strstr(why, "\"ready\":false") && strstr(why, "producer has no broker connection"), "%s", why);
    free(why);
    cr_assert_eq(gw_metrics_stats(m, 0, producer_up, strlen(producer_up), err, sizeof err), GW_OK);
    gw_metrics_rebalance(m, GW_REBALANCE_LOST, 0);
    why = why_not_ready(m, &ready);
    cr_expect_eq(ready, 0, "a lost assignment is no membership");
    free(why);
    gw_metrics_rebalance(m, GW_REBALANCE_ASSIGNED, 2);
    gw_metrics_stopping(m);
    why = why_not_ready(m, &ready);
    cr_expect(!ready && strstr(why, "shutting down"), "%s", why);
    free(why);

    cr_expect_eq(gw_metrics_stats(m, 1, "{not json", 9, err, sizeof err), GW_EINVAL);
    gw_metrics_free(m);
}

Test(metrics, histogram_is_cumulative_and_counters_move)
{
    gw_metrics_t *m = gw_metrics_new();
    gw_metrics_latency_us(m, 500);        /* 0.5 ms -> le 0.001 */
    gw_metrics_latency_us(m, 20000);      /* 20 ms -> le 0.025 */
    gw_metrics_latency_us(m, 120000000);  /* 2 min -> +Inf only */
    gw_metrics_consumed(m);
    gw_metrics_delivered(m, GW_OUT_DEAD_LETTER, GW_REASON_TOO_LARGE);
    gw_metrics_delivered(m, GW_OUT_ENRICHED, GW_REASON_NONE);
    char *t = render(m);
    cr_expect(strstr(t, "geowire_processing_latency_seconds_bucket{le=\"0.001\"} 1\n"), "%s", t);
    cr_expect(strstr(t, "geowire_processing_latency_seconds_bucket{le=\"0.01\"} 1\n"));
    cr_expect(strstr(t, "geowire_processing_latency_seconds_bucket{le=\"0.025\"} 2\n"));
    cr_expect(strstr(t, "geowire_processing_latency_seconds_bucket{le=\"60\"} 2\n"));
    cr_expect(strstr(t, "geowire_processing_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
    cr_expect(strstr(t, "geowire_processing_latency_seconds_count 3\n"));
    cr_expect(strstr(t, "geowire_processing_latency_seconds_sum 120.020500\n"));
    cr_expect(strstr(t, "geowire_items_consumed_total 1\n"));
    cr_expect(strstr(t, "geowire_items_produced_total 1\n"));
    cr_expect(strstr(t, "geowire_items_dead_lettered_total{reason=\"too_large\"} 1\n"));
    cr_expect(strstr(t, "geowire_records_delivered_total{kind=\"dead_letter\"} 1\n"));
    free(t);
    gw_metrics_free(m);
}

Test(metrics, queue_depths_reach_metrics_and_status)
{
    gw_metrics_t *m = gw_metrics_new();
    gw_metrics_queues(m, 17, 230, 412);
    char *t = render(m);
    cr_expect(strstr(t, "\ngeowire_processing_queue_items 17\n"), "%s", t);
    cr_expect(strstr(t, "\ngeowire_producer_queue_messages 230\n"), "%s", t);
    cr_expect(strstr(t, "\ngeowire_items_in_flight 412\n"), "%s", t);
    free(t);
    gw_buf_t b;
    gw_buf_init(&b);
    gw_metrics_status(m, &b);
    gw_buf_putc(&b, '\0');
    cr_expect(strstr(b.data, "\"queues\":{\"processing\":17,\"producer\":230,\"in_flight\":412,"), "%s", b.data);
    gw_buf_free(&b);
    gw_metrics_free(m);
}

Test(metrics, rules_and_versions_are_escaped_labels)
{
    gw_metrics_t *m = gw_metrics_new();
    cr_assert_eq(gw_metrics_declare_rule(m, "quiet-rule"), GW_OK);
    cr_assert_eq(gw_metrics_dict_version(m, "a=\"1\"\\b\nc"), GW_OK);
    gw_result_t res;
    memset(&res, 0, sizeof res);
    gw_facet_t f[2] = {{GW_FACET_ALERT, "russia-asean"}, {GW_FACET_COUNTRY, "RUS"}};
    res.facets = f;
    res.n_facets = 2;
    res.duplicate = 1;
    gw_metrics_item(m, &res);
    gw_metrics_item(m, &res);
    char *t = render(m);
    cr_expect(strstr(t, "geowire_alerts_fired_total{rule=\"quiet-rule\"} 0\n"), "declared rules start at 0");
    cr_expect(strstr(t, "geowire_alerts_fired_total{rule=\"russia-asean\"} 2\n"), "%s", t);
    cr_expect(strstr(t, "geowire_duplicates_total 2\n"));
    cr_expect(strstr(t, "geowire_dictionary_info{version=\"a=\\\"1\\\"\\\\b\\nc\"} 1\n"), "%s", t);
    free(t);
    cr_expect(gw_metrics_live(m, 10000));
    gw_metrics_free(m);
}
