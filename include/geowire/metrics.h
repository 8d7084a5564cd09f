/*
 * metrics.h - the daemon's counters, gauges and readiness, read by the HTTP
 * thread while the main loop updates them.
 *
 * Counters and gauges are atomics (no lock on the hot path); labelled sets
 * that grow at run time (alert rules) and the snapshots parsed from
 * librdkafka's statistics JSON (per-partition lag, broker and group state)
 * sit behind one mutex. Rendered as Prometheus text exposition 0.0.4, and
 * as JSON for the status page.
 */
#ifndef GEOWIRE_METRICS_H
#define GEOWIRE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "geowire/common.h"
#include "geowire/pipeline.h"

typedef struct gw_metrics gw_metrics_t;

/* Which topic a delivered record went to. */
typedef enum {
    GW_OUT_ENRICHED = 0,
    GW_OUT_ALERT,
    GW_OUT_AGGREGATE,
    GW_OUT_DEAD_LETTER,
    GW_OUT__COUNT
} gw_out_kind_t;

typedef enum { GW_REBALANCE_ASSIGNED = 0, GW_REBALANCE_REVOKED, GW_REBALANCE_LOST, GW_REBALANCE__COUNT } gw_rebalance_t;

/* Caller owns the result; free with gw_metrics_free. NULL on OOM. */
gw_metrics_t *gw_metrics_new(void);
void gw_metrics_free(gw_metrics_t *m);

/* --- updated by the main loop (any thread is safe) --- */
void gw_metrics_consumed(gw_metrics_t *m);
/* A record acknowledged by the broker. An enriched one counts an item
 * produced; a dead-letter one counts an item dead-lettered for `reason`. */
void gw_metrics_delivered(gw_metrics_t *m, gw_out_kind_t kind, gw_reason_t reason);
void gw_metrics_retried(gw_metrics_t *m);
/* Consume -> delivery ack of an item's enriched or dead-letter record. */
void gw_metrics_latency_us(gw_metrics_t *m, int64_t us);
/* Counts what one processed item contributed: alerts by rule, duplicate. */
void gw_metrics_item(gw_metrics_t *m, const gw_result_t *res);
/* Declares alert rules so their counters exist (at 0) before they fire. */
int gw_metrics_declare_rule(gw_metrics_t *m, const char *rule);
void gw_metrics_rebalance(gw_metrics_t *m, gw_rebalance_t ev, int partitions);
/* The main loop turned (liveness). */
void gw_metrics_heartbeat(gw_metrics_t *m);
/* Queue depths: items handed to the processing thread and not yet taken
 * back, records in the producer queue, items not fully delivered. */
void gw_metrics_queues(gw_metrics_t *m, int64_t processing, int64_t producer_queue, int64_t in_flight);
/* Copies the version string. GW_OK or GW_ENOMEM. */
int gw_metrics_dict_version(gw_metrics_t *m, const char *version);
/* Shutdown has begun: not ready any more. */
void gw_metrics_stopping(gw_metrics_t *m);
/* A statistics JSON document from librdkafka's stats_cb, of the consumer
 * (consumer=1) or the producer. Keeps per-partition lag and committed
 * offsets (consumer), broker connection and group state. GW_EINVAL (with a
 * reason) when it does not parse. */
int gw_metrics_stats(gw_metrics_t *m, int consumer, const char *json, size_t len, char *err,
                     size_t errlen);

/* --- read by the HTTP thread --- */
/* 1 when the main loop turned within `stall_ms`. */
int gw_metrics_live(gw_metrics_t *m, int64_t stall_ms);
/* 1 when ready: the consumer joined its group (an assignment arrived, even
 * an empty one, and the group coordinator is up) and the producer has a
 * broker connection. Otherwise 0 and a JSON object
 * {"ready":false,"reasons":[...]} in `why` (appended). */
int gw_metrics_ready(gw_metrics_t *m, gw_buf_t *why);
/* Appends the Prometheus text exposition (format 0.0.4). */
void gw_metrics_render(gw_metrics_t *m, gw_buf_t *out);
/* Appends the figures of the status page as JSON object members (no braces):
 * "totals":{...},"lag":[...],"queues":{...},... */
void gw_metrics_status(gw_metrics_t *m, gw_buf_t *out);

#endif
