/*
 * daemon.c - `geowire run`: consume -> gw_pipeline_process -> produce, at
 * least once.
 *
 * Delivery: the consumer never auto-stores offsets. Each consumed message is
 * an item in the delivery tracker with the number of records produced for it
 * (enriched + alerts, or one dead-letter record); delivery reports ack them,
 * and only the tracker's contiguous watermark is stored (auto-commit then
 * commits stored offsets). A record refused permanently by the broker is
 * replaced by a dead-letter record of the original payload; a retriable
 * failure is produced again; a dead-letter record refused permanently stops
 * the daemon without storing its offset. Nothing is ever skipped silently.
 *
 * Threads: the processor chain runs on the processing thread (worker.h),
 * one item at a time in consume order; everything else on the main thread
 * (delivery reports are served by rd_kafka_poll/flush on it, rebalances by
 * rd_kafka_consumer_poll), except the shutdown watchdog and librdkafka's own
 * threads (which only log). The main thread hands each consumed item to the
 * processing thread and takes finished ones back in the same order; only
 * then is an item registered with the tracker and its records produced, so
 * the delivery rules above hold unchanged. Whatever else uses the pipeline
 * (reload, aggregate ticks and flushes) waits until no item is queued
 * (settle_jobs).
 */
#include "geowire/daemon.h"
#include "geowire/backfill.h"
#include "geowire/addr.h"
#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/delivery.h"
#include "geowire/http.h"
#include "geowire/kafka.h"
#include "geowire/log.h"
#include "geowire/metrics.h"
#include "geowire/parse.h"
#include "geowire/pipeline.h"
#include "geowire/redrive.h"
#include "geowire/reload.h"
#include "geowire/signals.h"
#include "geowire/window.h"
#include "geowire/worker.h"
#include "geowire/txn.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOPIC_CHECK_TIMEOUT_MS 10000
#define REVOKE_DRAIN_CAP_MS 10000
/* Items queued for the processing thread: enough that it never waits for
 * the main thread, few enough that settling them (before a reload or a
 * rebalance) takes milliseconds. */
#define WORKER_DEPTH 128

/* One consumed input message, owned by the tracker (freed via item_free). */
typedef struct {
    gw_delivery_item_t *item;
    char *topic;
    int32_t partition;
    int64_t offset;
    char *payload;      /* original bytes: dead-lettered if the output is refused */
    size_t len;
    char *key;
    size_t key_len;
    rd_kafka_headers_t *prov;  /* provenance of a redriven item (redrive.h), or NULL */
    int64_t consumed_us;  /* monotonic, for the consume-to-ack latency */
    int stamped;          /* meta.ingest_ms is the message's timestamp (not now) */
    /* The processing thread's job (worker.h): in, then out. */
    int skip;             /* older than --from-time: not processed, done at once */
    gw_input_meta_t meta;
    int rc;
    gw_result_t res;      /* cleared once its records are produced */
} item_ctx_t;

typedef enum { REC_ENRICHED, REC_ALERT, REC_AGGREGATE, REC_DLQ } rec_kind_t;

/* One produced record: the opaque of its delivery report. */
typedef struct {
    item_ctx_t *ctx;
    rec_kind_t kind;
    gw_reason_t reason;   /* REC_DLQ: why */
} rec_t;

/* A record whose delivery failed, waiting on the main loop to be produced
 * again or replaced by a dead-letter record. */
typedef struct failed {
    rec_t *rec;
    rd_kafka_resp_err_t err;
    char *payload;
    size_t len;
    char *key;
    size_t key_len;
    rd_kafka_headers_t *hdrs;
    struct failed *next;
} failed_t;

typedef struct {
    gw_config_t *cfg;
    gw_pipeline_t *pipe;
    rd_kafka_t *consumer, *producer;
    gw_txn_t *txn;            /* exactly_once only (consumer/txn.c) */
    gw_delivery_t *track;
    gw_worker_t *worker;      /* runs the chain; the main thread never touches pipe while it has jobs */
    gw_backfill_t *backfill;  /* --from-time, else NULL */
    failed_t *failed_head, *failed_tail;
    int print;
    int paused;
    int64_t over_since;       /* when in-flight first exceeded the cap, -1 */
    int fatal;                /* stop with exit 1 */
    char fatal_msg[GW_ERRLEN];
    char broker_err[GW_ERRLEN]; /* the last non-fatal client error (error_cb), "" if none */
    uint64_t n_items, n_records, n_dlq, n_retries;
    int bench_copy;           /* hidden --bench-copy: records are the input bytes */
    uint64_t ack_hist[256];   /* consume-to-ack latency, see latency_add */
    uint64_t age_hist[256];   /* input record's timestamp to ack, the same way */
    gw_metrics_t *metrics;    /* read by the HTTP thread */
    gw_window_t *window;
    int stats_ms;             /* librdkafka statistics interval; 0: none (no HTTP) */
    int64_t unsourced;        /* records of no input item produced so far */
} daemon_t;

/* ------------------------------------------------------------------ utils */

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Latencies of each item's main record (enriched or dead letter), kept in
 * buckets an eighth of a binary order wide (about 9 %), so a quantile costs
 * no per-item memory; reported when stopping. Two are kept: from consume
 * (the main thread takes the message) to acknowledgement, and the record's
 * age at acknowledgement (from the input message's timestamp: what a
 * reader of the output waits, including the time the message spent in the
 * broker and in librdkafka's queues, on one clock when the producer runs
 * on the same host). */
static void latency_add(uint64_t *hist, int64_t us)
{
    int b = us > 1 ? (int)(8.0 * log2((double)us)) : 0;
    hist[b > 255 ? 255 : b]++;
}

/* The q-quantile (0..1) in milliseconds: the upper bound of its bucket. */
static double latency_ms(const uint64_t *hist, double q)
{
    uint64_t total = 0, seen = 0;
    for (int b = 0; b < 256; b++) total += hist[b];
    if (!total) return 0;
    for (int b = 0; b < 256; b++) {
        seen += hist[b];
        if ((double)seen >= q * (double)total) return pow(2.0, (b + 1) / 8.0) / 1000.0;
    }
    return 0;
}

static void item_free(void *u)
{
    item_ctx_t *c = u;
    gw_result_clear(&c->res);
    free(c->topic);
    free(c->payload);
    free(c->key);
    if (c->prov) rd_kafka_headers_destroy(c->prov);
    free(c);
}

static void set_fatal(daemon_t *dm, const char *msg)
{
    if (!dm->fatal) snprintf(dm->fatal_msg, sizeof dm->fatal_msg, "%s", msg);
    dm->fatal = 1;
    gw_signals_request_stop();
}

static char *dup_bytes(const void *p, size_t n)
{
    char *d = gw_malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

/* Provenance headers on every record. The processing time lives here, not
 * in the record, so a replay produces identical record bytes. */
static rd_kafka_headers_t *make_headers(const item_ctx_t *c, gw_reason_t reason, const char *why)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(8);
    char num[32];
    if (c->partition >= 0) { /* not for a record of no input item */
        rd_kafka_header_add(h, "geowire-source-topic", -1, c->topic, -1);
        snprintf(num, sizeof num, "%" PRId32, c->partition);
        rd_kafka_header_add(h, "geowire-source-partition", -1, num, -1);
        snprintf(num, sizeof num, "%" PRId64, c->offset);
        rd_kafka_header_add(h, "geowire-source-offset", -1, num, -1);
    }
    snprintf(num, sizeof num, "%" PRId64, gw_now_ms());
    rd_kafka_header_add(h, "geowire-processed-at", -1, num, -1);
    rd_kafka_header_add(h, "geowire-version", -1, GW_VERSION, -1);
    gw_redrive_add_provenance(h, c->prov);
    if (reason != GW_REASON_NONE) {
        rd_kafka_header_add(h, "geowire-dlq-reason", -1, gw_reason_name(reason), -1);
        rd_kafka_header_add(h, "geowire-dlq-message", -1, why ? why : "", -1);
    }
    return h;
}

static const char *rec_topic(const daemon_t *dm, rec_kind_t k)
{
    switch (k) {
    case REC_ENRICHED: return dm->cfg->topics.output;
    case REC_ALERT: return dm->cfg->topics.alerts;
    case REC_AGGREGATE: return dm->cfg->topics.aggregates;
    default: return dm->cfg->topics.dead_letter;
    }
}

static void push_failed(daemon_t *dm, rec_t *rec, rd_kafka_resp_err_t err, const void *payload,
                        size_t len, const void *key, size_t key_len, rd_kafka_headers_t *hdrs)
{
    failed_t *f = gw_calloc(1, sizeof *f);
    if (f) {
        f->payload = dup_bytes(payload, len);
        f->key = key ? dup_bytes(key, key_len) : NULL;
    }
    if (!f || !f->payload || (key && !f->key)) {
        /* Cannot even remember the record: stop rather than lose it (its
         * item never completes, so its offset is never stored). */
        if (f) { free(f->payload); free(f->key); free(f); }
        if (hdrs) rd_kafka_headers_destroy(hdrs);
        set_fatal(dm, "out of memory while keeping a failed record for retry");
        return;
    }
    f->rec = rec;
    f->err = err;
    f->len = len;
    f->key_len = key_len;
    f->hdrs = hdrs;
    if (dm->failed_tail) dm->failed_tail->next = f; else dm->failed_head = f;
    dm->failed_tail = f;
}

/* Exactly-once: a record of the open transaction failed. It is not retried
 * alone: the whole transaction aborts and its items are processed again. */
static void txn_record_failed(daemon_t *dm, rec_t *rec, rd_kafka_resp_err_t err,
                              rd_kafka_headers_t *hdrs)
{
    gw_txn_record_failed(dm->txn, err);
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    free(rec);
}

/* Produces one record; on QUEUE_FULL serves delivery reports and retries
 * (never drops). Headers are consumed. Any other immediate refusal goes down
 * the same path as a failed delivery report. */
static void produce(daemon_t *dm, rec_t *rec, const void *payload, size_t len, const void *key,
                    size_t key_len, rd_kafka_headers_t *hdrs)
{
    const char *topic = rec_topic(dm, rec->kind);
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            dm->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)payload, len), RD_KAFKA_V_KEY(key, key ? key_len : 0),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(rec), RD_KAFKA_V_END);
        if (!err) return;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(dm->producer, 100);
            gw_metrics_heartbeat(dm->metrics); /* waiting on the broker is not a stall */
            continue;
        }
        if (dm->txn && err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
            txn_record_failed(dm, rec, err, hdrs);
            return;
        }
        push_failed(dm, rec, err, payload, len, key, key_len, hdrs);
        return;
    }
}

static void produce_dlq(daemon_t *dm, rec_t *rec, gw_reason_t reason, const char *why)
{
    item_ctx_t *c = rec->ctx;
    rec->kind = REC_DLQ;
    rec->reason = reason;
    dm->n_dlq++;
    produce(dm, rec, c->payload, c->len, c->key, c->key_len, make_headers(c, reason, why));
}

/* Records of no input item (aggregate windows a quiet wire or a flush
 * closes) are tracked as items of partition -1 of an unnamed topic: they
 * get the same retries, dead-lettering (of the record itself) and shutdown
 * drain as any record, and their offsets are never stored. Unkeyed. */
static void produce_unsourced(daemon_t *dm, gw_result_t *res)
{
    for (size_t i = 0; i < res->n_emits && !dm->fatal; i++) {
        const gw_emit_t *e = &res->emits[i];
        item_ctx_t *c = gw_calloc(1, sizeof *c);
        rec_t *rec = gw_calloc(1, sizeof *rec);
        if (c) {
            c->topic = gw_strdup("");
            c->payload = dup_bytes(e->data, e->len);
            c->partition = -1;
            c->offset = dm->unsourced;
            c->len = e->len;
            c->consumed_us = mono_us();
        }
        if (!c || !rec || !c->topic || !c->payload ||
            gw_delivery_register(dm->track, c->topic, -1, c->offset, 1, c, &c->item) != GW_OK) {
            if (c) item_free(c);
            free(rec);
            set_fatal(dm, "out of memory while producing an aggregate record");
            break;
        }
        dm->unsourced++;
        rec->ctx = c;
        rec->kind = e->kind == GW_EMIT_AGGREGATE ? REC_AGGREGATE : REC_ALERT;
        produce(dm, rec, e->data, e->len, NULL, 0, make_headers(c, GW_REASON_NONE, NULL));
    }
    gw_result_clear(res);
}

/* --bench-copy (hidden; `make bench` only): the record is a copy of the
 * input, so the same consume/produce/delivery path runs with no processor
 * and the benchmark can compare the enriching daemon with a bare copy. */
static int bench_copy(const item_ctx_t *c, gw_result_t *res)
{
    if (!(res->record = dup_bytes(c->payload, c->len))) return GW_ENOMEM;
    res->record_len = c->len;
    return GW_OK;
}

/* The processing thread's function (worker.h): runs the chain over one
 * consumed item. Touches only the item and the pipeline. */
static void process_item(void *ud, void *job)
{
    const daemon_t *dm = ud;
    item_ctx_t *c = job;
    if (c->skip) return;
    c->rc = dm->bench_copy ? bench_copy(c, &c->res)
                           : gw_pipeline_process(dm->pipe, c->payload, c->len, &c->meta, &c->res);
}

/* Registers a processed item with the tracker and produces its records (or
 * its dead letter). Items arrive here in consume order. */
static void complete_item(daemon_t *dm, item_ctx_t *c)
{
    if (dm->fatal) { /* stopping: never registered, so consumed again next run */
        item_free(c);
        return;
    }
    if (c->skip) {
        /* Older than --from-time: done at once, so its offset is committed. */
        if (gw_delivery_register(dm->track, c->topic, c->partition, c->offset, 0, c, NULL) == GW_ENOMEM) {
            item_free(c);
            set_fatal(dm, "out of memory while tracking a consumed message");
        }
        return;
    }
    gw_result_t *res = &c->res;
    if (c->rc != GW_OK && res->reason == GW_REASON_NONE) {
        res->reason = GW_REASON_INTERNAL;
        snprintf(res->message, sizeof res->message, "processing failed: out of memory");
    }
    unsigned count = 1u + (unsigned)res->n_emits;

    int r = gw_delivery_register(dm->track, c->topic, c->partition, c->offset, count, c, &c->item);
    if (r == GW_EINVAL) {
        /* Already tracked (a re-fetch of an offset still in flight): the
         * first copy completes it. */
        item_free(c);
        return;
    }
    if (r != GW_OK) {
        item_free(c);
        set_fatal(dm, "out of memory while tracking a consumed message");
        return;
    }
    dm->n_items++;
    gw_metrics_consumed(dm->metrics);
    gw_metrics_item(dm->metrics, res);
    gw_window_add(dm->window, gw_now_ms(), res);
    char te[GW_ERRLEN];
    if (dm->txn && gw_txn_item(dm->txn, te, sizeof te) != GW_OK) {
        gw_result_clear(res);
        set_fatal(dm, te);
        return;
    }

    rec_t *recs[1 + 64];
    size_t nrec = count;
    rec_t **rv = recs;
    rec_t **heap = NULL;
    if (nrec > sizeof recs / sizeof recs[0]) {
        heap = gw_calloc(nrec, sizeof *heap);
        rv = heap;
    }
    size_t made = 0;
    while (rv && made < nrec) {
        rv[made] = gw_calloc(1, sizeof(rec_t));
        if (!rv[made]) break;
        rv[made++]->ctx = c;
    }
    if (!rv || made < nrec) {
        /* Registered but never produced: the item stays open, so its offset
         * is never stored; stop and let the next run redo it. */
        for (size_t i = 0; rv && i < made; i++) free(rv[i]);
        free(heap);
        gw_result_clear(res);
        set_fatal(dm, "out of memory while producing");
        return;
    }

    /* Keyed by the input key, else by the item id, so one item's records
     * keep their order on one partition. */
    const char *k = c->key ? c->key : res->id;
    size_t kl = c->key ? c->key_len : (res->id ? strlen(res->id) : 0);
    if (res->reason != GW_REASON_NONE) {
        produce_dlq(dm, rv[0], res->reason, res->message);
    } else {
        rv[0]->kind = REC_ENRICHED;
        produce(dm, rv[0], res->record, res->record_len, k, kl, make_headers(c, GW_REASON_NONE, NULL));
    }
    for (size_t i = 0; i < res->n_emits; i++) {
        const gw_emit_t *e = &res->emits[i];
        rv[i + 1]->kind = e->kind == GW_EMIT_AGGREGATE ? REC_AGGREGATE : REC_ALERT;
        produce(dm, rv[i + 1], e->data, e->len, k, kl, make_headers(c, GW_REASON_NONE, NULL));
    }
    free(heap);
    gw_result_clear(res);
}

/* Takes back the items the processing thread has finished, waiting at most
 * wait_ms for the first. Returns how many were completed. */
static size_t complete_done(daemon_t *dm, int wait_ms)
{
    size_t n = 0;
    item_ctx_t *c;
    while ((c = gw_worker_done(dm->worker, n ? 0 : wait_ms))) {
        complete_item(dm, c);
        n++;
    }
    return n;
}

/* Completes every queued item: before anything else uses the pipeline
 * (reload, aggregate windows), before a rebalance lets partitions go, and
 * at shutdown. Bounded: the queue is short and each item finite. */
static void settle_jobs(daemon_t *dm)
{
    while (gw_worker_pending(dm->worker)) complete_done(dm, 100);
}

/* Closes the aggregate windows a quiet wire leaves open (flush = 0), or
 * emits every open window before offsets are committed at shutdown or on a
 * revoke (flush = 1): README "Aggregates". */
static void aggregates_tick(daemon_t *dm, int flush)
{
    settle_jobs(dm);
    gw_result_t res;
    if ((flush ? gw_pipeline_flush(dm->pipe, &res) : gw_pipeline_tick(dm->pipe, gw_now_ms(), &res)) != GW_OK)
        gw_log(GW_LOG_WARN, "daemon", "out of memory while closing aggregate windows; they stay open",
               (const char *)NULL);
    char te[GW_ERRLEN]; /* exactly_once: these records need a transaction too */
    if (dm->txn && res.n_emits && gw_txn_item(dm->txn, te, sizeof te) != GW_OK) set_fatal(dm, te);
    produce_unsourced(dm, &res);
}

/* ------------------------------------------------------ delivery reports */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    daemon_t *dm = opaque;
    rec_t *rec = m->_private;
    if (!rec) { /* a --feed line */
        if (m->err)
            gw_log(GW_LOG_ERROR, "daemon", "feed record not delivered", "error",
                   rd_kafka_err2str(m->err), (const char *)NULL);
        return;
    }
    if (m->err && dm->txn) {
        txn_record_failed(dm, rec, m->err, NULL);
        return;
    }
    if (m->err) {
        rd_kafka_headers_t *h = NULL;
        rd_kafka_message_detach_headers((rd_kafka_message_t *)m, &h);
        push_failed(dm, rec, m->err, m->payload, m->len, m->key, m->key_len, h);
        return;
    }
    dm->n_records++;
    static const gw_out_kind_t out_kind[] = {GW_OUT_ENRICHED, GW_OUT_ALERT, GW_OUT_AGGREGATE, GW_OUT_DEAD_LETTER};
    gw_metrics_delivered(dm->metrics, out_kind[rec->kind], rec->reason);
    if (rec->kind == REC_ENRICHED || rec->kind == REC_DLQ) {
        int64_t us = mono_us() - rec->ctx->consumed_us;
        latency_add(dm->ack_hist, us);
        if (rec->ctx->stamped) latency_add(dm->age_hist, (gw_now_ms() - rec->ctx->meta.ingest_ms) * 1000);
        gw_metrics_latency_us(dm->metrics, us);
    }
    if (dm->print && rec->kind != REC_DLQ) {
        fwrite(m->payload, 1, m->len, stdout);
        fputc('\n', stdout);
    }
    gw_delivery_ack(dm->track, rec->ctx->item);
    free(rec);
}

static int permanent(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
        return 1;
    default:
        return 0;
    }
}

/* Works through the failed records (main thread, outside any callback). */
static void handle_failed(daemon_t *dm)
{
    while (dm->failed_head && !dm->fatal) {
        failed_t *f = dm->failed_head;
        dm->failed_head = f->next;
        if (!dm->failed_head) dm->failed_tail = NULL;
        rec_t *rec = f->rec;
        item_ctx_t *c = rec->ctx;
        char off[32];
        snprintf(off, sizeof off, "%" PRId64, c->offset);
        char part[16];
        snprintf(part, sizeof part, "%" PRId32, c->partition);
        static const char *const kind_names[] = {"enriched", "alert", "aggregate", "dead-letter"};
        const char *what = kind_names[rec->kind];

        if (!permanent(f->err)) {
            /* Retriable (timed out, broker gone, leader moved): the record
             * is produced again, however long the outage lasts. */
            dm->n_retries++;
            gw_metrics_retried(dm->metrics);
            gw_log(GW_LOG_WARN, "daemon", "delivery failed, producing again", "record", what,
                   "error", rd_kafka_err2str(f->err), "source_topic", c->topic, "source_partition",
                   part, "source_offset", off, (const char *)NULL);
            rd_kafka_headers_t *h = f->hdrs;
            f->hdrs = NULL;
            produce(dm, rec, f->payload, f->len, f->key, f->key_len, h);
        } else if (rec->kind == REC_DLQ) {
            char msg[GW_ERRLEN];
            snprintf(msg, sizeof msg,
                     "dead-letter record refused permanently (%s) for %s [%s] offset %s: stopping; "
                     "this offset is not committed and will be consumed again",
                     rd_kafka_err2str(f->err), c->topic, part, off);
            set_fatal(dm, msg);
            /* rec is deliberately not acked: its offset must never be stored. */
            free(rec);
        } else {
            gw_reason_t r = (f->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
                             f->err == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE ||
                             f->err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE)
                                ? GW_REASON_RECORD_TOO_LARGE : GW_REASON_PRODUCE_FAILED;
            char why[256];
            snprintf(why, sizeof why, "%s record refused by the broker: %s", what,
                     rd_kafka_err2str(f->err));
            gw_log(GW_LOG_WARN, "daemon", "record refused, dead-lettering the input", "record", what,
                   "reason", gw_reason_name(r), "error", rd_kafka_err2str(f->err), "source_topic",
                   c->topic, "source_partition", part, "source_offset", off, (const char *)NULL);
            produce_dlq(dm, rec, r, why);
        }
        if (f->hdrs) rd_kafka_headers_destroy(f->hdrs);
        free(f->payload);
        free(f->key);
        free(f);
    }
}

static void store_offsets(daemon_t *dm)
{
    if (dm->txn) return; /* exactly_once: offsets travel in the transaction */
    rd_kafka_topic_partition_list_t *l = NULL;
    const char *t;
    int32_t p;
    int64_t off;
    while (gw_delivery_next_moved(dm->track, &t, &p, &off)) {
        if (p < 0) continue; /* records of no input item: nothing to commit */
        if (!l) l = rd_kafka_topic_partition_list_new(4);
        rd_kafka_topic_partition_list_add(l, t, p)->offset = off;
    }
    if (!l) return;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(dm->consumer, l);
    /* _STATE for a partition no longer assigned: its items will be
     * redelivered to the new owner; nothing to do here. */
    if (err && err != RD_KAFKA_RESP_ERR__STATE)
        gw_log(GW_LOG_WARN, "daemon", "storing offsets failed", "error", rd_kafka_err2str(err),
               (const char *)NULL);
    rd_kafka_topic_partition_list_destroy(l);
}

/* Serves delivery reports and retries until nothing is in flight, the
 * deadline passes, or a fatal error occurs. Returns 1 when drained. */
static int drain(daemon_t *dm, int64_t deadline)
{
    for (;;) {
        handle_failed(dm);
        if (dm->fatal) return 0;
        if (gw_delivery_in_flight(dm->track) == 0 && !dm->failed_head) return 1;
        int64_t left = deadline - mono_ms();
        if (left <= 0) return 0;
        gw_metrics_heartbeat(dm->metrics);
        rd_kafka_flush(dm->producer, (int)(left < 100 ? left : 100));
    }
}

/* Releases the records waiting for a retry or a dead letter. */
static void free_failed(daemon_t *dm)
{
    while (dm->failed_head) {
        failed_t *f = dm->failed_head;
        dm->failed_head = f->next;
        if (f->hdrs) rd_kafka_headers_destroy(f->hdrs);
        free(f->rec);
        free(f->payload);
        free(f->key);
        free(f);
    }
    dm->failed_tail = NULL;
}

/* Exactly-once: commits the open transaction when due (or now), or aborts
 * it when abort_why is set (partitions lost: no rewind, their next owner
 * starts from the committed offsets). After an abort, everything
 * tracked belongs to the aborted batch and is forgotten (gw_txn_abort served
 * every delivery report: no record points into the old tracker). Returns 1
 * when nothing is left uncommitted. */
static int txn_settle(daemon_t *dm, int now, const char *abort_why)
{
    char e[GW_ERRLEN];
    int r = abort_why ? gw_txn_abort(dm->txn, abort_why, 0, e, sizeof e)
                      : gw_txn_commit(dm->txn, now, e, sizeof e);
    if (r == GW_TXN_FATAL) set_fatal(dm, e);
    if (r != GW_TXN_ABORTED) return r == GW_TXN_OK;
    gw_delivery_t *fresh = gw_delivery_new(item_free);
    if (!fresh) {
        set_fatal(dm, "out of memory after a transaction abort");
        return 0;
    }
    free_failed(dm);
    gw_delivery_free(dm->track);
    dm->track = fresh;
    return 0;
}

/* -------------------------------------------------------------- consumer */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    daemon_t *dm = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    char n[16];
    snprintf(n, sizeof n, "%d", parts->cnt);

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        gw_log(GW_LOG_INFO, "daemon", "partitions assigned", "count", n, "protocol",
               cooperative ? "cooperative" : "eager", (const char *)NULL);
        if (dm->backfill) gw_backfill_on_assign(dm->backfill, rk, parts);
        gw_metrics_rebalance(dm->metrics, GW_REBALANCE_ASSIGNED, parts->cnt);
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e) {
                gw_log(GW_LOG_ERROR, "daemon", "incremental assign failed", "error",
                       rd_kafka_error_string(e), (const char *)NULL);
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk, parts);
        }
        /* Under backpressure new partitions start paused too. Otherwise
         * resume them explicitly: 2.0.2 keeps a partition's pause flag across
         * a lost/revoke + reassign, so a partition lost while paused would
         * come back paused and never be consumed (seen in the broker-outage
         * test). */
        if (dm->paused) rd_kafka_pause_partitions(rk, parts);
        else rd_kafka_resume_partitions(rk, parts);
        return;
    }

    /* Queued items are produced and tracked before their partitions go. */
    settle_jobs(dm);
    int lost = rd_kafka_assignment_lost(rk);
    gw_metrics_rebalance(dm->metrics, lost ? GW_REBALANCE_LOST : GW_REBALANCE_REVOKED, parts->cnt);
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !lost) {
        /* Let in-flight records land so their offsets are committed before
         * another member takes the partitions over (fewer duplicates). */
        int bound = dm->cfg->kafka.shutdown_timeout_ms;
        if (bound > REVOKE_DRAIN_CAP_MS) bound = REVOKE_DRAIN_CAP_MS;
        aggregates_tick(dm, 1);
        drain(dm, mono_ms() + bound);
        if (dm->txn) txn_settle(dm, 1, NULL);
        store_offsets(dm);
        rd_kafka_resp_err_t ce = dm->txn ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_commit(rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            gw_log(GW_LOG_WARN, "daemon", "commit on revoke failed", "error", rd_kafka_err2str(ce),
                   (const char *)NULL);
    }
    if (lost && dm->txn) txn_settle(dm, 1, "partitions lost");
    gw_log(lost ? GW_LOG_WARN : GW_LOG_INFO, "daemon", lost ? "partitions lost" : "partitions revoked",
           "count", n, (const char *)NULL);
    for (int i = 0; i < parts->cnt; i++) {
        size_t pending = gw_delivery_drop(dm->track, parts->elems[i].topic, parts->elems[i].partition);
        if (pending) {
            char pn[32], pp[16];
            snprintf(pn, sizeof pn, "%zu", pending);
            snprintf(pp, sizeof pp, "%" PRId32, parts->elems[i].partition);
            gw_log(GW_LOG_WARN, "daemon", "partition left with items in flight; they will be consumed again",
                   "topic", parts->elems[i].topic, "partition", pp, "items", pn, (const char *)NULL);
        }
    }
    if (cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    daemon_t *dm = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fe[256], msg[GW_ERRLEN];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, fe, sizeof fe);
        snprintf(msg, sizeof msg, "fatal %s error: %s: %s", rd_kafka_name(rk),
                 rd_kafka_err2name(orig), fe);
        set_fatal(dm, msg);
        return;
    }
    /* Broker outages etc.: librdkafka recovers by itself; records are
     * retried by the delivery path. */
    snprintf(dm->broker_err, sizeof dm->broker_err, "%s", reason);
    gw_log(GW_LOG_WARN, "rdkafka", reason, "error", rd_kafka_err2name((rd_kafka_resp_err_t)err),
           "client", rd_kafka_name(rk), (const char *)NULL);
}

/* librdkafka's statistics (lag, committed offsets, broker and group state)
 * feed the metrics; served on the thread that polls the handle. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    daemon_t *dm = opaque;
    char err[GW_ERRLEN];
    if (gw_metrics_stats(dm->metrics, rd_kafka_type(rk) == RD_KAFKA_CONSUMER, json, len, err, sizeof err))
        gw_log(GW_LOG_WARN, "daemon", err, "client", rd_kafka_name(rk), (const char *)NULL);
    return 0; /* librdkafka frees json */
}

static int conf_stats(daemon_t *dm, rd_kafka_conf_t *conf, char *err, size_t errlen)
{
    if (!dm->stats_ms) return GW_OK;
    char v[16];
    snprintf(v, sizeof v, "%d", dm->stats_ms);
    rd_kafka_conf_set_stats_cb(conf, stats_cb);
    return gw_kafka_conf_set(conf, "statistics.interval.ms", v, "http.stats_interval_ms", err, errlen);
}

/* Backpressure in two steps. librdkafka 2.0.2 makes a pause expensive: it
 * discards the prefetched queue, and a resume only takes effect at the
 * broker thread's next wakeup (measured ~0.9 s on the mock). So a short
 * excursion over limits.max_in_flight is absorbed by serving delivery
 * reports instead of the consumer (at most SOFT_WAIT_MS without a consumer
 * poll); only when it lasts longer (a slow or absent broker) are the
 * assigned partitions paused, and then the consumer is polled as usual
 * (rebalances, max.poll.interval.ms) until in-flight drops below half the
 * cap. Returns 1 when the caller should skip this round's consumer poll. */
#define SOFT_WAIT_MS 500
static int backpressure(daemon_t *dm)
{
    size_t inflight = gw_delivery_in_flight(dm->track);
    size_t cap = dm->cfg->limits.max_in_flight ? dm->cfg->limits.max_in_flight : 10000;
    if (!dm->paused) {
        if (inflight <= cap) { dm->over_since = -1; return 0; }
        int64_t now = mono_ms();
        if (dm->over_since < 0) dm->over_since = now;
        if (now - dm->over_since < SOFT_WAIT_MS) {
            rd_kafka_poll(dm->producer, 10);
            return 1;
        }
    } else if (inflight >= cap / 2) {
        return 0;
    }
    int want_pause = !dm->paused;
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(dm->consumer, &a) || !a) return 0;
    if (want_pause) rd_kafka_pause_partitions(dm->consumer, a);
    else rd_kafka_resume_partitions(dm->consumer, a);
    rd_kafka_topic_partition_list_destroy(a);
    dm->paused = want_pause;
    dm->over_since = -1;
    char n[32];
    snprintf(n, sizeof n, "%zu", inflight);
    gw_log(want_pause ? GW_LOG_WARN : GW_LOG_INFO, "daemon",
           want_pause ? "paused consumption: too many records awaiting delivery" : "resumed consumption",
           "in_flight", n, (const char *)NULL);
    return 0;
}

/* A consumed message: copied into an item and queued for the processing
 * thread (waiting for room by completing finished items). */
static void handle_message(daemon_t *dm, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
        gw_log(GW_LOG_WARN, "daemon", "consumer error", "error", rd_kafka_message_errstr(m),
               "code", rd_kafka_err2name(m->err), (const char *)NULL);
        return;
    }
    item_ctx_t *c = gw_calloc(1, sizeof *c);
    if (c) {
        c->topic = gw_strdup(rd_kafka_topic_name(m->rkt));
        c->skip = dm->backfill && gw_backfill_skip(dm->backfill, m);
        if (!c->skip) {
            c->payload = dup_bytes(m->payload ? m->payload : "", m->payload ? m->len : 0);
            c->key = m->key ? dup_bytes(m->key, m->key_len) : NULL;
        }
    }
    if (!c || !c->topic || (!c->skip && (!c->payload || (m->key && !c->key)))) {
        if (c) item_free(c);
        set_fatal(dm, "out of memory while tracking a consumed message");
        return;
    }
    c->partition = m->partition;
    c->offset = m->offset;
    c->len = m->payload ? m->len : 0;
    c->key_len = m->key ? m->key_len : 0;
    if (!c->skip) c->prov = gw_redrive_provenance(m);
    c->consumed_us = mono_us();
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    c->meta = (gw_input_meta_t){c->key, c->key_len, ts >= 0 ? ts : gw_now_ms(), c->partition};
    c->stamped = ts >= 0;
    while (gw_worker_full(dm->worker)) complete_done(dm, 100);
    gw_worker_submit(dm->worker, c);
}

/* ------------------------------------------------------------------ feed */

static int feed_file(daemon_t *dm, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        gw_log(GW_LOG_ERROR, "daemon", "cannot open the feed file", "file", path, "error",
               strerror(errno), (const char *)NULL);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t count = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                dm->producer, RD_KAFKA_V_TOPIC(dm->cfg->topics.input),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(line, (size_t)n),
                RD_KAFKA_V_OPAQUE(NULL), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) { rd_kafka_poll(dm->producer, 100); continue; }
            if (err)
                gw_log(GW_LOG_ERROR, "daemon", "feed record refused", "error", rd_kafka_err2str(err),
                       (const char *)NULL);
            else count++;
            break;
        }
    }
    free(line);
    fclose(f);
    char nb[32];
    snprintf(nb, sizeof nb, "%" PRIu64, count);
    gw_log(GW_LOG_INFO, "daemon", "feed produced", "file", path, "records", nb, "topic",
           dm->cfg->topics.input, (const char *)NULL);
    return 0;
}

/* -------------------------------------------------------------- watchdog */

/* Shutdown watchdog. librdkafka 2.0.2's consumer close can hang after a
 * partition was lost (fixed in 2.1.0), and a broker that is gone makes the
 * flush and commit wait. The whole shutdown is bounded by
 * kafka.shutdown_timeout_ms; when it passes the process leaves with
 * _exit(). Decision: the exit code is 0 only if nothing was in flight and
 * the final synchronous commit succeeded, or failed while the group's
 * committed offsets already covered every record (all work is durable,
 * only the LeaveGroup is missing and the broker expires the member after
 * session.timeout.ms); otherwise 1, so a supervisor sees that records will
 * be consumed again. Either way a warning or error is logged. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int timeout_ms;
    atomic_int committed;
} watchdog_t;

static void *watchdog_main(void *arg)
{
    watchdog_t *w = arg;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += w->timeout_ms / 1000;
    dl.tv_nsec += (long)(w->timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    while (!w->done && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&w->cv, &w->mu, &dl);
    int done = w->done;
    pthread_mutex_unlock(&w->mu);
    if (done) return NULL;
    if (atomic_load(&w->committed)) {
        gw_log(GW_LOG_WARN, "daemon", "shutdown timed out after the final commit; exiting without "
               "closing the consumer", (const char *)NULL);
        _exit(0);
    }
    gw_log(GW_LOG_ERROR, "daemon", "shutdown timed out before offsets were committed; "
           "uncommitted records will be consumed again", (const char *)NULL);
    _exit(1);
    return NULL;
}

/* After a failed final commit. Auto-commit may already have covered every
 * offset this member owes: then a commit refused because the group was lost
 * (the session expired during a slow shutdown) or is rebalancing leaves
 * nothing to consume again, and exiting 1 would report a loss that is not
 * there. Asks the broker for the group's committed offsets on the current
 * assignment and returns 1 when each covers the tracker's committable
 * offset; 0 otherwise, and when the broker does not answer. */
static int offsets_already_committed(daemon_t *dm, int timeout_ms)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(dm->consumer, &l) || !l) return 0;
    int ok = rd_kafka_committed(dm->consumer, l, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; ok && i < l->cnt; i++) {
        int64_t owed = gw_delivery_committable(dm->track, l->elems[i].topic, l->elems[i].partition);
        ok = owed < 0 || (!l->elems[i].err && l->elems[i].offset >= owed);
    }
    rd_kafka_topic_partition_list_destroy(l);
    return ok;
}

/* ------------------------------------------------------------------- run */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: geowire run [-c FILE] [--brokers LIST] [--http ADDR:PORT|off] [--print]\n"
            "                   [--feed FILE] [-v|-q] [--group ID] [--output-topic T] [--from-time TIME]\n"
            "  Consumes the input topic, tags each item and produces enriched records,\n"
            "  alerts and dead letters, until SIGTERM/SIGINT.\n"
            "  -c, --config FILE   configuration (default: $GEOWIRE_CONFIG, ./config/geowire.yaml)\n"
            "  -b, --brokers LIST  bootstrap servers, or 'embedded' (overrides kafka.brokers)\n"
            "  -H, --http ADDR:PORT  serve /metrics, /healthz, /readyz and the status page there\n"
            "                      (overrides http.listen; [::1]:PORT for IPv6, port 0 = any free\n"
            "                      port, 'off' = none); exit 2 if it cannot be bound\n"
            "  -p, --print         also write each produced enriched and alert record to stdout\n"
            "  -f, --feed FILE     produce each line of FILE to the input topic at start\n"
            "  -g, --group ID      consumer group (overrides kafka.group_id)\n"
            "  -o, --output-topic T  produce enriched records to T (overrides topics.output)\n"
            "  -F, --from-time TIME  backfill: re-tag the input from TIME (RFC 3339, a date, or ms\n"
            "                      since the epoch) into --output-topic T (required; alerts,\n"
            "                      aggregates, dead letters to T.alerts, T.aggregates, T.dlq) under\n"
            "                      group GROUP.backfill-MS (or --group), then stop once caught up\n"
            "  -v, --verbose       one log level more than log.level (-vv: debug plus librdkafka's\n"
            "                      debug contexts generic,broker,topic,cgrp,fetch,conf)\n"
            "  -q, --quiet         one log level less than log.level (-qq: errors only)\n"
            "  -h, --help          this help\n");
}

/* Keys geowire sets itself: a passthrough value would silently break the
 * delivery guarantee or contradict another config key. */
static int reserved(const gw_kv_t *kv, size_t n, const char *file, const char *section,
                    const char *const *keys, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        for (const char *const *k = keys; *k; k++)
            if (!strcmp(kv[i].key, *k))
                return gw_err(err, errlen, GW_EINVAL, "%s: kafka.%s.%s: set by geowire, not "
                              "configurable here", file, section, *k);
    return GW_OK;
}

static rd_kafka_t *make_consumer(daemon_t *dm, const char *brokers, char *err, size_t errlen)
{
    const gw_config_t *cfg = dm->cfg;
    static const char *const res[] = {"group.id", "bootstrap.servers", "enable.auto.offset.store", NULL};
    if (reserved(cfg->kafka.consumer, cfg->kafka.n_consumer, cfg->path, "consumer", res, err, errlen))
        return NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    gw_kafka_conf_logging(conf);
    if (gw_kafka_conf_set(conf, "bootstrap.servers", brokers, "kafka.brokers", err, errlen) ||
        gw_kafka_conf_set(conf, "group.id", cfg->kafka.group_id, "kafka.group_id", err, errlen) ||
        gw_kafka_conf_set(conf, "client.id", "geowire-consumer", NULL, err, errlen) ||
        gw_kafka_conf_set(conf, "enable.auto.offset.store", "false", NULL, err, errlen) ||
        gw_kafka_conf_set(conf, "enable.auto.commit", "true", NULL, err, errlen) ||
        gw_kafka_conf_set(conf, "auto.offset.reset", "earliest", NULL, err, errlen) ||
        gw_kafka_conf_set(conf, "session.timeout.ms", "10000", NULL, err, errlen) ||
        conf_stats(dm, conf, err, errlen) ||
        gw_kafka_conf_apply(conf, cfg->kafka.consumer, cfg->kafka.n_consumer, cfg->path, "consumer",
                            err, errlen) ||
        (cfg->kafka.guarantee == GW_GUARANTEE_EXACTLY_ONCE && /* offsets go in transactions */
         gw_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, err, errlen))) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, dm);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    char es[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof es);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        gw_err(err, errlen, GW_EINVAL, "%s: consumer: %s", cfg->path, es);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

static rd_kafka_t *make_producer(daemon_t *dm, const char *brokers, char *err, size_t errlen)
{
    const gw_config_t *cfg = dm->cfg;
    static const char *const res[] = {"bootstrap.servers", NULL};
    if (reserved(cfg->kafka.producer, cfg->kafka.n_producer, cfg->path, "producer", res, err, errlen))
        return NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    gw_kafka_conf_logging(conf);
    if (gw_kafka_conf_set(conf, "bootstrap.servers", brokers, "kafka.brokers", err, errlen) ||
        gw_kafka_conf_set(conf, "client.id", "geowire-producer", NULL, err, errlen) ||
        gw_kafka_conf_set(conf, "enable.idempotence", "true", NULL, err, errlen) ||
        conf_stats(dm, conf, err, errlen) ||
        gw_kafka_conf_apply(conf, cfg->kafka.producer, cfg->kafka.n_producer, cfg->path, "producer",
                            err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, dm);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    char es[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof es);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        gw_err(err, errlen, GW_EINVAL, "%s: producer: %s", cfg->path, es);
        return NULL;
    }
    return rk;
}

/* What the metrics say about the loaded set: its version, and one counter
 * per alert rule (at 0 until it fires). At start and after each reload. */
static int metrics_pipeline(daemon_t *dm)
{
    int rc = gw_metrics_dict_version(dm->metrics, gw_pipeline_dict_version(dm->pipe));
    const char *id;
    for (size_t i = 0; rc == GW_OK && (id = gw_pipeline_rule_id(dm->pipe, i)); i++)
        rc = gw_metrics_declare_rule(dm->metrics, id);
    return rc;
}

/* Opens the HTTP endpoint with the monitoring routes (not started yet).
 * --http is explicit: an address that cannot be bound is an error (exit 2).
 * http.listen is shared by every instance run from the same config, so a
 * taken address there is a warning and this instance runs without one;
 * any other failure is an error. *out stays NULL when off or taken. */
static int open_http(daemon_t *dm, const char *opt, gw_http_t **out)
{
    const char *addr = opt ? opt : dm->cfg->http.listen;
    *out = NULL;
    if (!addr || !strcmp(addr, "off")) {
        gw_log(GW_LOG_INFO, "http", "HTTP endpoint off", (const char *)NULL);
        return GW_OK;
    }
    char err[GW_ERRLEN];
    int in_use;
    gw_http_t *h = gw_http_bind(addr, &in_use, err, sizeof err);
    if (!h && in_use && !opt) {
        gw_log(GW_LOG_WARN, "http", "HTTP address taken (another instance?); running without "
               "metrics, health and status endpoints; give this one --http ADDR:PORT",
               "address", addr, "error", err, (const char *)NULL);
        return GW_OK;
    }
    if (!h) {
        gw_log(GW_LOG_ERROR, "http", err, "address", addr, "from", opt ? "--http" : "http.listen",
               (const char *)NULL);
        return GW_ERR;
    }
    if (gw_http_monitoring(h, dm->metrics, dm->window, dm->cfg->http.stall_timeout_ms) != GW_OK) {
        gw_log(GW_LOG_ERROR, "http", "out of memory", (const char *)NULL);
        gw_http_free(h);
        return GW_ERR;
    }
    dm->stats_ms = dm->cfg->http.stats_interval_ms;
    char msg[160];
    snprintf(msg, sizeof msg, "HTTP endpoint listening on http://%s/", gw_http_address(h));
    gw_log(GW_LOG_INFO, "http", msg, "address", gw_http_address(h), (const char *)NULL);
    *out = h;
    return GW_OK;
}

int gw_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"brokers", required_argument, NULL, 'b'},
        {"print", no_argument, NULL, 'p'},        {"feed", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},         {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},        {"group", required_argument, NULL, 'g'},
        {"output-topic", required_argument, NULL, 'o'},
        {"from-time", required_argument, NULL, 'F'}, {"bench-copy", no_argument, NULL, 'B'},
        {"http", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    const char *group = NULL, *output_topic = NULL;
    int64_t from_ms = -1;
    const char *cfg_path = NULL, *brokers_opt = NULL, *feed = NULL, *http_opt = NULL;
    int print = 0, verbosity = 0, copy = 0;
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, "c:b:pf:hvqg:o:F:H:", opts, NULL)) != -1) {
        switch (o) {
        case 'c': cfg_path = optarg; break;
        case 'b': brokers_opt = optarg; break;
        case 'p': print = 1; break;
        case 'f': feed = optarg; break;
        case 'v': verbosity++; break;
        case 'q': verbosity--; break;
        case 'g': group = optarg; break;
        case 'o': output_topic = optarg; break;
        case 'F':
            if (gw_parse_instant_ms(optarg, &from_ms) != GW_OK) {
                fprintf(stderr, "geowire run: --from-time '%s': expected RFC 3339, a date or ms since "
                        "the epoch\n", optarg);
                return 2;
            }
            break;
        case 'B': copy = 1; break;
        case 'H': http_opt = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (brokers_opt && !*brokers_opt) { /* embedded is never the silent default */
        fprintf(stderr, "geowire run: --brokers needs a bootstrap list or 'embedded'\n");
        return 2;
    }
    if (http_opt && strcmp(http_opt, "off")) {
        struct sockaddr_storage ss;
        socklen_t sl;
        char why[GW_ERRLEN];
        if (gw_addr_parse(http_opt, &ss, &sl, why, sizeof why) != GW_OK) {
            fprintf(stderr, "geowire run: --http %s\n", why);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "geowire run: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (feed && access(feed, R_OK) != 0) {
        fprintf(stderr, "geowire run: --feed %s: %s\n", feed, strerror(errno));
        return 2;
    }

    char err[GW_ERRLEN];
    char *found = NULL;
    if (!cfg_path) {
        found = gw_config_find(err, sizeof err);
        if (!found) {
            fprintf(stderr, "geowire run: no configuration: %s\n", err);
            return 2;
        }
        cfg_path = found;
    }
    daemon_t dm;
    memset(&dm, 0, sizeof dm);
    dm.print = print;
    dm.bench_copy = copy;
    dm.over_since = -1;
    dm.cfg = gw_config_load(cfg_path, err, sizeof err);
    free(found);
    if (!dm.cfg) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    if (from_ms >= 0 &&
        !(dm.backfill = gw_backfill_new(dm.cfg, from_ms, output_topic, group, err, sizeof err))) {
        fprintf(stderr, "geowire run: %s\n", err);
        gw_config_free(dm.cfg);
        return 2;
    }
    if (from_ms < 0 && ((group && gw_config_set(&dm.cfg->kafka.group_id, group)) ||
                        (output_topic && gw_config_set(&dm.cfg->topics.output, output_topic)))) {
        gw_config_free(dm.cfg);
        return 1;
    }
    gw_log_setup(dm.cfg->log.level, dm.cfg->log.format);
    gw_log_verbosity(verbosity);
    gw_kafka_register_secrets(dm.cfg);
    gw_signals_install();

    int rc = 1;
    gw_embedded_t *emb = NULL;
    gw_http_t *http = NULL;
    const char *brokers = brokers_opt ? brokers_opt : dm.cfg->kafka.brokers;
    int64_t t_start = mono_ms();

    dm.metrics = gw_metrics_new();
    dm.window = gw_window_new();
    if (!dm.metrics || !dm.window) { gw_log(GW_LOG_ERROR, "daemon", "out of memory", (const char *)NULL); goto out; }
    if (open_http(&dm, http_opt, &http) != GW_OK) { rc = 2; goto out; }
    /* Routes of other modules (POST /-/reload) are added here, before the
     * server starts. */
    if (http && dm.cfg->http.reload &&
        gw_http_route(http, "POST", "/-/reload", gw_reload_http, NULL) != GW_OK) {
        gw_log(GW_LOG_ERROR, "daemon", "out of memory", (const char *)NULL);
        goto out;
    }
    if (http && gw_http_start(http, err, sizeof err) != GW_OK) {
        gw_log(GW_LOG_ERROR, "http", err, (const char *)NULL);
        rc = 2;
        goto out;
    }

    dm.pipe = gw_pipeline_new(dm.cfg, err, sizeof err);
    if (!dm.pipe) {
        gw_log(GW_LOG_ERROR, "daemon", err, (const char *)NULL);
        rc = 2;
        goto out;
    }
    if (metrics_pipeline(&dm) != GW_OK) {
        gw_log(GW_LOG_ERROR, "daemon", "out of memory", (const char *)NULL);
        goto out;
    }
    dm.track = gw_delivery_new(item_free);
    /* Exactly-once processes on the main thread: an aborted transaction
     * rewinds the consumer, and no consumed item may still be queued then. */
    dm.worker = gw_worker_new(WORKER_DEPTH, dm.cfg->kafka.guarantee != GW_GUARANTEE_EXACTLY_ONCE,
                              process_item, &dm);
    if (!dm.track || !dm.worker) { gw_log(GW_LOG_ERROR, "daemon", "out of memory", (const char *)NULL); goto out; }

    if (!strcmp(brokers, "embedded")) {
        const char *topics[] = {dm.cfg->topics.input, dm.cfg->topics.output, dm.cfg->topics.alerts,
                                dm.cfg->topics.dead_letter, dm.cfg->topics.aggregates};
        emb = gw_embedded_start(1, topics, 5, dm.cfg->kafka.embedded_partitions, err, sizeof err);
        if (!emb) { gw_log(GW_LOG_ERROR, "daemon", err, (const char *)NULL); goto out; }
        brokers = gw_embedded_bootstraps(emb);
        char msg[256];
        snprintf(msg, sizeof msg, "embedded broker listening on %s", brokers);
        gw_log(GW_LOG_INFO, "daemon", msg, "brokers", brokers, (const char *)NULL);
    }

    dm.producer = make_producer(&dm, brokers, err, sizeof err);
    if (!dm.producer) {
        gw_log(GW_LOG_ERROR, "daemon", err, (const char *)NULL);
        rc = 2;
        goto out;
    }
    {
        const char *need[] = {dm.cfg->topics.output, dm.cfg->topics.alerts, dm.cfg->topics.dead_letter,
                              dm.cfg->topics.aggregates};
        int crc = gw_kafka_check_topics(dm.producer, need, 4, TOPIC_CHECK_TIMEOUT_MS, err, sizeof err);
        if (crc == GW_EIO) {
            /* No broker answered. Why (a TLS handshake refused, SASL
             * authentication failed, no listener) is only in the client's
             * error events, queued until polled: serve them, then name the
             * last one in the line that ends the daemon. */
            rd_kafka_poll(dm.producer, 0);
        }
        if (crc) {
            char msg[2 * GW_ERRLEN + 32];
            snprintf(msg, sizeof msg, "%s%s%s", err, crc == GW_EIO && dm.broker_err[0] ? "; last broker error: " : "",
                     crc == GW_EIO ? dm.broker_err : "");
            gw_log(GW_LOG_ERROR, "daemon", msg, "brokers", brokers, (const char *)NULL);
            goto out;
        }
    }
    dm.consumer = make_consumer(&dm, brokers, err, sizeof err);
    if (!dm.consumer) {
        gw_log(GW_LOG_ERROR, "daemon", err, (const char *)NULL);
        rc = 2;
        goto out;
    }
    {
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, dm.cfg->topics.input, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t se = rd_kafka_subscribe(dm.consumer, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (se) {
            gw_log(GW_LOG_ERROR, "daemon", "subscribe failed", "error", rd_kafka_err2str(se),
                   (const char *)NULL);
            goto out;
        }
    }
    if (dm.cfg->kafka.guarantee == GW_GUARANTEE_EXACTLY_ONCE) {
        if (feed) {
            gw_log(GW_LOG_ERROR, "daemon", "--feed is not available with exactly_once (the producer "
                   "is transactional)", (const char *)NULL);
            rc = 2;
            goto out;
        }
        dm.txn = gw_txn_new(dm.producer, dm.consumer, (size_t)dm.cfg->kafka.transaction_items,
                            dm.cfg->kafka.transaction_ms, dm.cfg->kafka.shutdown_timeout_ms, err,
                            sizeof err);
        if (!dm.txn) { gw_log(GW_LOG_ERROR, "daemon", err, (const char *)NULL); goto out; }
    }
    if (print) setvbuf(stdout, NULL, _IOLBF, 0);
    if (feed && feed_file(&dm, feed) != 0) { rc = 2; goto out; }
    gw_log(GW_LOG_INFO, "daemon", "running", "input", dm.cfg->topics.input, "output",
           dm.cfg->topics.output, "group", dm.cfg->kafka.group_id, "guarantee",
           dm.txn ? "exactly_once" : "at_least_once", "dict_version",
           gw_pipeline_dict_version(dm.pipe), (const char *)NULL);

    /* One message at a time: 2.0.2's batch consume mis-stores offsets
     * around pause/resume, which backpressure uses. */
    while (!gw_signals_stop_requested()) {
        gw_metrics_heartbeat(dm.metrics);
        gw_metrics_queues(dm.metrics, (int64_t)gw_worker_pending(dm.worker), rd_kafka_outq_len(dm.producer),
                          (int64_t)gw_delivery_in_flight(dm.track));
        if (dm.txn) txn_settle(&dm, 0, NULL);
        handle_failed(&dm);
        store_offsets(&dm);
        if (gw_reload_pending()) { /* between items: SIGHUP, POST /-/reload */
            settle_jobs(&dm);
            if (gw_reload_poll(dm.pipe, dm.cfg) > 0) metrics_pipeline(&dm);
        }
        if (backpressure(&dm)) continue;
        /* While the processing thread has items, the consumer is only
         * looked at, and the wait is for finished items instead. */
        size_t queued = gw_worker_pending(dm.worker);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(dm.consumer, queued ? 0 : 100);
        if (m) {
            handle_message(&dm, m);
            rd_kafka_message_destroy(m);
        } else if (!queued) {
            aggregates_tick(&dm, 0); /* a poll with nothing: the wire is quiet */
        }
        complete_done(&dm, m ? 0 : 10);
        rd_kafka_poll(dm.producer, 0);
        if (dm.backfill && !gw_worker_pending(dm.worker) && !gw_delivery_in_flight(dm.track) &&
            !dm.failed_head && gw_backfill_caught_up(dm.backfill, dm.consumer)) {
            gw_log(GW_LOG_INFO, "backfill", "caught up with the end offsets seen at assignment",
                   (const char *)NULL);
            break;
        }
    }

    /* Shutdown: stop consuming, let every record land, store, commit, close;
     * bounded by the watchdog (see watchdog_main for the exit code). */
    {
        gw_metrics_stopping(dm.metrics);
        int sig = gw_signals_last();
        gw_log(dm.fatal ? GW_LOG_ERROR : GW_LOG_INFO, "daemon", dm.fatal ? dm.fatal_msg : "stopping",
               "signal", sig == 15 ? "SIGTERM" : sig == 2 ? "SIGINT" : "none", (const char *)NULL);
        watchdog_t w;
        pthread_mutex_init(&w.mu, NULL);
        pthread_cond_init(&w.cv, NULL);
        w.done = 0;
        w.timeout_ms = dm.cfg->kafka.shutdown_timeout_ms > 0 ? dm.cfg->kafka.shutdown_timeout_ms : 30000;
        atomic_init(&w.committed, 0);
        pthread_t th;
        int have_wd = pthread_create(&th, NULL, watchdog_main, &w) == 0;

        settle_jobs(&dm);
        if (!dm.fatal) aggregates_tick(&dm, 1);
        /* Leave a little of the budget for close and destroy. */
        int drained = drain(&dm, mono_ms() + w.timeout_ms * 3 / 4);
        if (dm.txn && !dm.fatal) drained = txn_settle(&dm, 1, NULL) && drained;
        store_offsets(&dm);
        rd_kafka_resp_err_t ce = dm.txn ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_commit(dm.consumer, NULL, 0);
        int committed = drained && !dm.fatal && (!ce || ce == RD_KAFKA_RESP_ERR__NO_OFFSET);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            committed = drained && !dm.fatal && offsets_already_committed(&dm, w.timeout_ms / 4);
            gw_log(committed ? GW_LOG_WARN : GW_LOG_ERROR, "daemon",
                   committed ? "final commit failed; the group's committed offsets already cover every record"
                             : "final commit failed",
                   "error", rd_kafka_err2str(ce), (const char *)NULL);
        }
        if (!drained && !dm.fatal) {
            char n[32];
            snprintf(n, sizeof n, "%zu", gw_delivery_in_flight(dm.track));
            gw_log(GW_LOG_ERROR, "daemon", "records still in flight at shutdown; their inputs will be "
                   "consumed again", "items", n, (const char *)NULL);
        }
        atomic_store(&w.committed, committed);
        rd_kafka_consumer_close(dm.consumer);
        rd_kafka_destroy(dm.consumer);
        dm.consumer = NULL;
        rd_kafka_flush(dm.producer, 1000);
        rd_kafka_destroy(dm.producer);
        dm.producer = NULL;

        if (have_wd) {
            pthread_mutex_lock(&w.mu);
            w.done = 1;
            pthread_cond_signal(&w.cv);
            pthread_mutex_unlock(&w.mu);
            pthread_join(th, NULL);
        }
        pthread_cond_destroy(&w.cv);
        pthread_mutex_destroy(&w.mu);

        double secs = (double)(mono_ms() - t_start) / 1000.0;
        char a[32], b[32], d[32], r[32], rate[32], p50[32], p99[32], a50[32], a99[32];
        snprintf(a, sizeof a, "%" PRIu64, dm.n_items);
        snprintf(b, sizeof b, "%" PRIu64, dm.n_records);
        snprintf(d, sizeof d, "%" PRIu64, dm.n_dlq);
        snprintf(r, sizeof r, "%" PRIu64, dm.n_retries);
        snprintf(rate, sizeof rate, "%.0f", secs > 0 ? (double)dm.n_items / secs : 0.0);
        snprintf(p50, sizeof p50, "%.2f", latency_ms(dm.ack_hist, 0.50));
        snprintf(p99, sizeof p99, "%.2f", latency_ms(dm.ack_hist, 0.99));
        snprintf(a50, sizeof a50, "%.2f", latency_ms(dm.age_hist, 0.50));
        snprintf(a99, sizeof a99, "%.2f", latency_ms(dm.age_hist, 0.99));
        gw_log(GW_LOG_INFO, "daemon", "stopped", "items", a, "records_delivered", b, "dead_letters", d,
               "retries", r, "items_per_s_overall", rate, "ack_latency_p50_ms", p50,
               "ack_latency_p99_ms", p99, "record_age_p50_ms", a50, "record_age_p99_ms", a99,
               "committed", committed ? "true" : "false",
               (const char *)NULL);
        rc = dm.fatal ? 1 : committed ? 0 : 1;
    }

out:
    if (dm.consumer) { rd_kafka_consumer_close(dm.consumer); rd_kafka_destroy(dm.consumer); }
    if (dm.producer) { rd_kafka_flush(dm.producer, 1000); rd_kafka_destroy(dm.producer); }
    while (dm.failed_head) {
        failed_t *f = dm.failed_head;
        dm.failed_head = f->next;
        if (f->hdrs) rd_kafka_headers_destroy(f->hdrs);
        free(f->rec);
        free(f->payload);
        free(f->key);
        free(f);
    }
    gw_http_free(http);   /* first: its thread reads the metrics and the window */
    gw_window_free(dm.window);
    gw_metrics_free(dm.metrics);
    free_failed(&dm);
    gw_txn_free(dm.txn);
    gw_worker_free(dm.worker);
    gw_delivery_free(dm.track);
    gw_backfill_free(dm.backfill);
    gw_pipeline_free(dm.pipe);
    gw_embedded_stop(emb);
    gw_config_free(dm.cfg);
    gw_log_forget_secrets();
    fflush(stdout);
    return rc;
}
