/*
 * metrics.c - counters, gauges, readiness and their renderings (metrics.h).
 */
#include "geowire/metrics.h"
#include "geowire/record.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Upper bounds of the latency histogram, seconds: from a local broker's
 * few milliseconds to a minute-long outage. */
static const double lat_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                    0.25,  0.5,    1,     2.5,  5,    10,   30, 60};
#define N_LAT (sizeof(lat_bounds) / sizeof(lat_bounds[0]))

/* Bounds on what the statistics and the rules can make grow. */
#define MAX_RULES 4096
#define MAX_PARTS 1024

typedef struct {
    char *rule;
    atomic_uint_fast64_t n;
} rule_count_t;

typedef struct {
    char topic[128];
    int32_t partition;
    int64_t lag;        /* -1: unknown yet */
    int64_t committed;  /* -1: nothing committed */
} part_stat_t;

struct gw_metrics {
    atomic_uint_fast64_t consumed, retries, duplicates;
    atomic_uint_fast64_t delivered[GW_OUT__COUNT];
    atomic_uint_fast64_t dead[GW_REASON__COUNT];
    atomic_uint_fast64_t lat_bucket[N_LAT + 1];   /* last: +Inf */
    atomic_uint_fast64_t lat_sum_us, lat_count;
    atomic_uint_fast64_t rebalances[GW_REBALANCE__COUNT];
    atomic_int_fast64_t assigned;                 /* partitions, from the rebalance callback */
    atomic_int joined;                            /* an assignment arrived and was not lost */
    atomic_int stopping;
    atomic_int_fast64_t heartbeat_ms;             /* monotonic */
    atomic_int_fast64_t processing, producer_queue, in_flight;
    int64_t start_wall_ms;

    pthread_mutex_t mu;           /* guards everything below */
    char *dict_version;
    rule_count_t *rules;
    size_t n_rules, cap_rules;
    part_stat_t parts[MAX_PARTS];
    size_t n_parts;
    int consumer_stats, producer_stats;   /* a statistics document arrived */
    int group_up;                         /* consumer cgrp.state == "up" */
    char group_state[32];
    int producer_brokers_up, consumer_brokers_up;
};

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

gw_metrics_t *gw_metrics_new(void)
{
    gw_metrics_t *m = gw_calloc(1, sizeof *m);
    if (!m) return NULL;
    pthread_mutex_init(&m->mu, NULL);
    atomic_store(&m->heartbeat_ms, mono_ms());
    m->start_wall_ms = gw_now_ms();
    return m;
}

void gw_metrics_free(gw_metrics_t *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_rules; i++) free(m->rules[i].rule);
    free(m->rules);
    free(m->dict_version);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* ----------------------------------------------------------- updates */

void gw_metrics_consumed(gw_metrics_t *m) { atomic_fetch_add(&m->consumed, 1); }
void gw_metrics_retried(gw_metrics_t *m) { atomic_fetch_add(&m->retries, 1); }
void gw_metrics_heartbeat(gw_metrics_t *m) { atomic_store(&m->heartbeat_ms, mono_ms()); }
void gw_metrics_stopping(gw_metrics_t *m) { atomic_store(&m->stopping, 1); }

void gw_metrics_delivered(gw_metrics_t *m, gw_out_kind_t kind, gw_reason_t reason)
{
    if (kind >= GW_OUT__COUNT) return;
    atomic_fetch_add(&m->delivered[kind], 1);
    if (kind == GW_OUT_DEAD_LETTER)
        atomic_fetch_add(&m->dead[reason < GW_REASON__COUNT ? reason : GW_REASON_INTERNAL], 1);
}

void gw_metrics_latency_us(gw_metrics_t *m, int64_t us)
{
    if (us < 0) us = 0;
    double s = (double)us / 1e6;
    size_t b = 0;
    while (b < N_LAT && s > lat_bounds[b]) b++;
    atomic_fetch_add(&m->lat_bucket[b], 1);   /* non-cumulative; summed when rendered */
    atomic_fetch_add(&m->lat_sum_us, (uint_fast64_t)us);
    atomic_fetch_add(&m->lat_count, 1);
}

/* The counter of `rule`, added when new. Caller holds mu. NULL when the
 * table is full or out of memory. */
static rule_count_t *rule_slot(gw_metrics_t *m, const char *rule)
{
    for (size_t i = 0; i < m->n_rules; i++)
        if (!strcmp(m->rules[i].rule, rule)) return &m->rules[i];
    if (m->n_rules >= MAX_RULES) return NULL;
    if (m->n_rules == m->cap_rules) {
        size_t cap = m->cap_rules ? m->cap_rules * 2 : 16;
        rule_count_t *r = gw_realloc(m->rules, cap * sizeof *r);
        if (!r) return NULL;
        m->rules = r;
        m->cap_rules = cap;
    }
    char *d = gw_strdup(rule);
    if (!d) return NULL;
    rule_count_t *s = &m->rules[m->n_rules++];
    s->rule = d;
    atomic_init(&s->n, 0);
    return s;
}

int gw_metrics_declare_rule(gw_metrics_t *m, const char *rule)
{
    pthread_mutex_lock(&m->mu);
    rule_count_t *s = rule_slot(m, rule);
    pthread_mutex_unlock(&m->mu);
    return s ? GW_OK : GW_ENOMEM;
}

void gw_metrics_item(gw_metrics_t *m, const gw_result_t *res)
{
    if (res->duplicate) atomic_fetch_add(&m->duplicates, 1);
    int locked = 0;
    for (size_t i = 0; i < res->n_facets; i++) {
        if (res->facets[i].kind != GW_FACET_ALERT) continue;
        if (!locked) { pthread_mutex_lock(&m->mu); locked = 1; }
        rule_count_t *s = rule_slot(m, res->facets[i].name);
        if (s) atomic_fetch_add(&s->n, 1);
    }
    if (locked) pthread_mutex_unlock(&m->mu);
}

void gw_metrics_rebalance(gw_metrics_t *m, gw_rebalance_t ev, int partitions)
{
    if (ev >= GW_REBALANCE__COUNT) return;
    atomic_fetch_add(&m->rebalances[ev], 1);
    if (ev == GW_REBALANCE_ASSIGNED) {
        atomic_fetch_add(&m->assigned, partitions);
        atomic_store(&m->joined, 1);
    } else {
        atomic_fetch_sub(&m->assigned, partitions);
        if (atomic_load(&m->assigned) < 0) atomic_store(&m->assigned, 0);
        /* A lost assignment means the group dropped us; a revoke is the
         * first half of an ordinary rebalance and keeps us joined. */
        if (ev == GW_REBALANCE_LOST) atomic_store(&m->joined, 0);
    }
}

void gw_metrics_queues(gw_metrics_t *m, int64_t processing, int64_t producer_queue, int64_t in_flight)
{
    atomic_store(&m->processing, processing);
    atomic_store(&m->producer_queue, producer_queue);
    atomic_store(&m->in_flight, in_flight);
}

int gw_metrics_dict_version(gw_metrics_t *m, const char *version)
{
    char *d = gw_strdup(version ? version : "");
    if (!d) return GW_ENOMEM;
    pthread_mutex_lock(&m->mu);
    free(m->dict_version);
    m->dict_version = d;
    pthread_mutex_unlock(&m->mu);
    return GW_OK;
}

/* Brokers of a statistics document in state UP (logical entries such as
 * the group coordinator alias are skipped: they mirror a real one). */
static int brokers_up(json_t *root)
{
    int up = 0;
    const char *name;
    json_t *b;
    json_object_foreach(json_object_get(root, "brokers"), name, b) {
        const char *src = json_string_value(json_object_get(b, "source"));
        const char *st = json_string_value(json_object_get(b, "state"));
        if (src && !strcmp(src, "logical")) continue;
        if (st && !strcmp(st, "UP")) up++;
    }
    return up;
}

static int64_t int_or(json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* The assigned partitions of a consumer document (topics.*.partitions.*
 * with desired=true; the -1 entry is librdkafka's unassigned queue). */
static size_t read_parts(json_t *root, part_stat_t *out, size_t cap)
{
    size_t n = 0;
    const char *tname, *pname;
    json_t *t, *p;
    json_object_foreach(json_object_get(root, "topics"), tname, t) {
        json_object_foreach(json_object_get(t, "partitions"), pname, p) {
            int64_t part = int_or(p, "partition", -1);
            if (part < 0 || !json_is_true(json_object_get(p, "desired")) || n >= cap) continue;
            part_stat_t *s = &out[n++];
            snprintf(s->topic, sizeof s->topic, "%s", tname);
            s->partition = (int32_t)part;
            s->lag = int_or(p, "consumer_lag", -1);
            int64_t c = int_or(p, "committed_offset", -1);
            s->committed = c >= 0 ? c : -1;
        }
    }
    return n;
}

int gw_metrics_stats(gw_metrics_t *m, int consumer, const char *json, size_t len, char *err,
                     size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return gw_err(err, errlen, GW_EINVAL, "statistics JSON: %s", je.text);
    }
    int up = brokers_up(root);
    if (consumer) {
        part_stat_t *parts = gw_malloc(MAX_PARTS * sizeof *parts);
        if (!parts) { json_decref(root); return gw_err(err, errlen, GW_ENOMEM, "out of memory"); }
        size_t n = read_parts(root, parts, MAX_PARTS);
        const char *st = json_string_value(json_object_get(json_object_get(root, "cgrp"), "state"));
        pthread_mutex_lock(&m->mu);
        memcpy(m->parts, parts, n * sizeof *parts);
        m->n_parts = n;
        m->consumer_stats = 1;
        m->consumer_brokers_up = up;
        m->group_up = st && !strcmp(st, "up");
        snprintf(m->group_state, sizeof m->group_state, "%s", st ? st : "none");
        pthread_mutex_unlock(&m->mu);
        free(parts);
    } else {
        pthread_mutex_lock(&m->mu);
        m->producer_stats = 1;
        m->producer_brokers_up = up;
        pthread_mutex_unlock(&m->mu);
    }
    json_decref(root);
    return GW_OK;
}

/* -------------------------------------------------------------- reads */

int gw_metrics_live(gw_metrics_t *m, int64_t stall_ms)
{
    return mono_ms() - atomic_load(&m->heartbeat_ms) <= stall_ms;
}

int gw_metrics_ready(gw_metrics_t *m, gw_buf_t *why)
{
    const char *reasons[6];
    size_t n = 0;
    char group[96];
    if (atomic_load(&m->stopping)) reasons[n++] = "shutting down";
    pthread_mutex_lock(&m->mu);
    if (!atomic_load(&m->joined)) reasons[n++] = "consumer has not joined its group (no assignment yet)";
    if (!m->consumer_stats || !m->producer_stats) reasons[n++] = "no client statistics yet";
    else {
        if (!m->group_up) {
            snprintf(group, sizeof group, "consumer group coordinator not connected (state %s)",
                     m->group_state);
            reasons[n++] = group;
        }
        if (!m->producer_brokers_up) reasons[n++] = "producer has no broker connection";
    }
    pthread_mutex_unlock(&m->mu);
    if (!n) return 1;
    gw_buf_append(why, "{\"ready\":false,\"reasons\":[", 26);
    for (size_t i = 0; i < n; i++) {
        if (i) gw_buf_putc(why, ',');
        gw_json_str(why, reasons[i], strlen(reasons[i]));
    }
    gw_buf_append(why, "]}", 2);
    return 0;
}

/* A label value per the exposition format: \ " and newline escaped. */
static void label(gw_buf_t *b, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\') gw_buf_append(b, "\\\\", 2);
        else if (*p == '"') gw_buf_append(b, "\\\"", 2);
        else if (*p == '\n') gw_buf_append(b, "\\n", 2);
        else gw_buf_putc(b, *p);
    }
}

static void head(gw_buf_t *b, const char *name, const char *type, const char *help)
{
    gw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t ld(atomic_uint_fast64_t *a) { return (uint64_t)atomic_load(a); }

static const char *const out_names[GW_OUT__COUNT] = {"enriched", "alert", "aggregate", "dead_letter"};
static const char *const rebalance_names[GW_REBALANCE__COUNT] = {"assigned", "revoked", "lost"};

void gw_metrics_render(gw_metrics_t *m, gw_buf_t *b)
{
    head(b, "geowire_items_consumed_total", "counter", "Input items consumed.");
    gw_buf_printf(b, "geowire_items_consumed_total %llu\n", (unsigned long long)ld(&m->consumed));
    head(b, "geowire_items_produced_total", "counter",
         "Items whose enriched record the broker acknowledged.");
    gw_buf_printf(b, "geowire_items_produced_total %llu\n",
                  (unsigned long long)ld(&m->delivered[GW_OUT_ENRICHED]));
    head(b, "geowire_items_dead_lettered_total", "counter",
         "Items whose dead-letter record the broker acknowledged, by reason.");
    for (int r = 1; r < GW_REASON__COUNT; r++)
        gw_buf_printf(b, "geowire_items_dead_lettered_total{reason=\"%s\"} %llu\n",
                      gw_reason_name((gw_reason_t)r), (unsigned long long)ld(&m->dead[r]));
    head(b, "geowire_records_delivered_total", "counter",
         "Records acknowledged by the broker, by output topic kind.");
    for (int k = 0; k < GW_OUT__COUNT; k++)
        gw_buf_printf(b, "geowire_records_delivered_total{kind=\"%s\"} %llu\n", out_names[k],
                      (unsigned long long)ld(&m->delivered[k]));
    head(b, "geowire_delivery_retries_total", "counter",
         "Records produced again after a retriable delivery failure.");
    gw_buf_printf(b, "geowire_delivery_retries_total %llu\n", (unsigned long long)ld(&m->retries));
    head(b, "geowire_duplicates_total", "counter", "Items the deduplication stage marked as duplicates.");
    gw_buf_printf(b, "geowire_duplicates_total %llu\n", (unsigned long long)ld(&m->duplicates));

    head(b, "geowire_processing_latency_seconds", "histogram",
         "Time from consuming an item to the broker's acknowledgement of its record.");
    uint64_t cum = 0;
    for (size_t i = 0; i <= N_LAT; i++) {
        cum += ld(&m->lat_bucket[i]);
        if (i < N_LAT) gw_buf_printf(b, "geowire_processing_latency_seconds_bucket{le=\"%g\"} %llu\n",
                                     lat_bounds[i], (unsigned long long)cum);
        else gw_buf_printf(b, "geowire_processing_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
                           (unsigned long long)cum);
    }
    /* The count is the +Inf bucket, so the two always agree in a scrape. */
    gw_buf_printf(b, "geowire_processing_latency_seconds_sum %.6f\n",
                  (double)ld(&m->lat_sum_us) / 1e6);
    gw_buf_printf(b, "geowire_processing_latency_seconds_count %llu\n", (unsigned long long)cum);

    head(b, "geowire_rebalances_total", "counter", "Consumer group rebalance callbacks, by event.");
    for (int e = 0; e < GW_REBALANCE__COUNT; e++)
        gw_buf_printf(b, "geowire_rebalances_total{event=\"%s\"} %llu\n", rebalance_names[e],
                      (unsigned long long)ld(&m->rebalances[e]));
    head(b, "geowire_assigned_partitions", "gauge", "Input partitions assigned to this instance.");
    gw_buf_printf(b, "geowire_assigned_partitions %lld\n", (long long)atomic_load(&m->assigned));
    head(b, "geowire_producer_queue_messages", "gauge",
         "Messages in the producer's queue, not yet acknowledged (rd_kafka_outq_len).");
    gw_buf_printf(b, "geowire_producer_queue_messages %lld\n", (long long)atomic_load(&m->producer_queue));
    head(b, "geowire_processing_queue_items", "gauge",
         "Consumed items handed to the processing thread and not yet produced.");
    gw_buf_printf(b, "geowire_processing_queue_items %lld\n", (long long)atomic_load(&m->processing));
    head(b, "geowire_items_in_flight", "gauge", "Consumed items not yet fully delivered.");
    gw_buf_printf(b, "geowire_items_in_flight %lld\n", (long long)atomic_load(&m->in_flight));
    head(b, "geowire_last_loop_seconds", "gauge", "Seconds since the main loop last turned.");
    gw_buf_printf(b, "geowire_last_loop_seconds %.3f\n",
                  (double)(mono_ms() - atomic_load(&m->heartbeat_ms)) / 1000.0);
    head(b, "geowire_start_time_seconds", "gauge", "Start time of the process, seconds since the epoch.");
    gw_buf_printf(b, "geowire_start_time_seconds %.3f\n", (double)m->start_wall_ms / 1000.0);

    int major = rd_kafka_version() >> 24, minor = (rd_kafka_version() >> 16) & 0xff,
        patch = (rd_kafka_version() >> 8) & 0xff;
    head(b, "geowire_build_info", "gauge", "Always 1; the labels say which geowire and librdkafka run.");
    gw_buf_printf(b, "geowire_build_info{version=\"%s\",librdkafka=\"%d.%d.%d\"} 1\n", GW_VERSION, major,
                  minor, patch);

    pthread_mutex_lock(&m->mu);
    head(b, "geowire_dictionary_info", "gauge", "Always 1; the label is the loaded dictionaries' version.");
    gw_buf_append(b, "geowire_dictionary_info{version=\"", 33);
    label(b, m->dict_version ? m->dict_version : "");
    gw_buf_append(b, "\"} 1\n", 5);
    head(b, "geowire_alerts_fired_total", "counter", "Alerts the rules added to records, by rule.");
    for (size_t i = 0; i < m->n_rules; i++) {
        gw_buf_append(b, "geowire_alerts_fired_total{rule=\"", 33);
        label(b, m->rules[i].rule);
        gw_buf_printf(b, "\"} %llu\n", (unsigned long long)ld(&m->rules[i].n));
    }
    head(b, "geowire_consumer_lag_messages", "gauge",
         "Messages between the partition's high watermark and the consumer position (librdkafka statistics).");
    for (size_t i = 0; i < m->n_parts; i++) {
        if (m->parts[i].lag < 0) continue;   /* unknown until the first fetch */
        gw_buf_append(b, "geowire_consumer_lag_messages{topic=\"", 37);
        label(b, m->parts[i].topic);
        gw_buf_printf(b, "\",partition=\"%d\"} %lld\n", (int)m->parts[i].partition,
                      (long long)m->parts[i].lag);
    }
    head(b, "geowire_consumer_committed_offset", "gauge",
         "Last committed offset of each assigned partition (librdkafka statistics).");
    for (size_t i = 0; i < m->n_parts; i++) {
        if (m->parts[i].committed < 0) continue;
        gw_buf_append(b, "geowire_consumer_committed_offset{topic=\"", 41);
        label(b, m->parts[i].topic);
        gw_buf_printf(b, "\",partition=\"%d\"} %lld\n", (int)m->parts[i].partition,
                      (long long)m->parts[i].committed);
    }
    pthread_mutex_unlock(&m->mu);
    gw_buf_t why;
    gw_buf_init(&why);
    int ready = gw_metrics_ready(m, &why);
    gw_buf_free(&why);
    head(b, "geowire_ready", "gauge", "1 when /readyz answers 200.");
    gw_buf_printf(b, "geowire_ready %d\n", ready);
}

void gw_metrics_status(gw_metrics_t *m, gw_buf_t *b)
{
    uint64_t dead = 0;
    for (int r = 1; r < GW_REASON__COUNT; r++) dead += ld(&m->dead[r]);
    uint64_t alerts = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n_rules; i++) alerts += ld(&m->rules[i].n);
    gw_buf_printf(b, "\"version\":\"%s\",\"dictionaries\":", GW_VERSION);
    const char *dv = m->dict_version ? m->dict_version : "";
    gw_json_str(b, dv, strlen(dv));
    gw_buf_printf(b, ",\"started_ms\":%lld,\"totals\":{\"consumed\":%llu,\"produced\":%llu,"
                  "\"dead_lettered\":%llu,\"duplicates\":%llu,\"alerts\":%llu,\"retries\":%llu},"
                  "\"dead_lettered_by_reason\":{",
                  (long long)m->start_wall_ms, (unsigned long long)ld(&m->consumed),
                  (unsigned long long)ld(&m->delivered[GW_OUT_ENRICHED]), (unsigned long long)dead,
                  (unsigned long long)ld(&m->duplicates), (unsigned long long)alerts,
                  (unsigned long long)ld(&m->retries));
    int first = 1;
    for (int r = 1; r < GW_REASON__COUNT; r++) {
        uint64_t v = ld(&m->dead[r]);
        if (!v) continue;
        gw_buf_printf(b, "%s\"%s\":%llu", first ? "" : ",", gw_reason_name((gw_reason_t)r),
                      (unsigned long long)v);
        first = 0;
    }
    gw_buf_append(b, "},\"lag\":[", 9);
    for (size_t i = 0; i < m->n_parts; i++) {
        gw_buf_append(b, i ? ",{\"topic\":" : "{\"topic\":", i ? 10 : 9);
        gw_json_str(b, m->parts[i].topic, strlen(m->parts[i].topic));
        gw_buf_printf(b, ",\"partition\":%d,\"lag\":%lld,\"committed\":%lld}", (int)m->parts[i].partition,
                      (long long)m->parts[i].lag, (long long)m->parts[i].committed);
    }
    pthread_mutex_unlock(&m->mu);
    uint64_t cnt = ld(&m->lat_count);
    gw_buf_printf(b, "],\"queues\":{\"processing\":%lld,\"producer\":%lld,\"in_flight\":%lld,"
                  "\"assigned_partitions\":%lld},\"latency_avg_ms\":%.3f",
                  (long long)atomic_load(&m->processing), (long long)atomic_load(&m->producer_queue), (long long)atomic_load(&m->in_flight),
                  (long long)atomic_load(&m->assigned),
                  cnt ? (double)ld(&m->lat_sum_us) / 1000.0 / (double)cnt : 0.0);
}
