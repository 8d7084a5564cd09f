/*
 * txn.c - exactly-once: batches of input items in Kafka transactions.
 *
 * Error classes follow librdkafka's transactional API (INTRODUCTION.md,
 * examples/transactions.c): a retriable error is retried until the
 * deadline, an error that requires an abort aborts and rewinds, anything
 * else (fenced, fatal) stops the daemon.
 */
#include "geowire/txn.h"
#include "geowire/common.h"
#include "geowire/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Consecutive aborts without a commit in between: the same batch failing
 * again and again (a record the broker always refuses) must not spin. */
#define MAX_ABORTS_IN_A_ROW 5

struct gw_txn {
    rd_kafka_t *producer, *consumer;
    size_t batch_items;
    int batch_ms;
    int timeout_ms;
    int open;                 /* a transaction is begun */
    size_t items;             /* items counted into the open transaction */
    int64_t opened_at;        /* monotonic ms */
    rd_kafka_resp_err_t failed;  /* a record of the open transaction failed */
    int aborts_in_a_row;
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Writes the reason of a non-abortable error and destroys it. */
static int fatal(rd_kafka_error_t *e, const char *what, char *err, size_t errlen)
{
    int fenced = rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__FENCED ||
                 rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
                 rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
    gw_err(err, errlen, GW_ERR, "%s: %s%s", what, rd_kafka_error_string(e),
           fenced ? " (fenced: another instance uses the same transactional.id)" : "");
    rd_kafka_error_destroy(e);
    return GW_TXN_FATAL;
}

gw_txn_t *gw_txn_new(rd_kafka_t *producer, rd_kafka_t *consumer, size_t batch_items,
                     int batch_ms, int timeout_ms, char *err, size_t errlen)
{
    gw_txn_t *t = gw_calloc(1, sizeof *t);
    if (!t) { gw_err(err, errlen, GW_ENOMEM, "out of memory"); return NULL; }
    t->producer = producer;
    t->consumer = consumer;
    t->batch_items = batch_items ? batch_items : 1;
    t->batch_ms = batch_ms;
    t->timeout_ms = timeout_ms;
    /* A coordinator still loading (a broker just started) is retriable. */
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(producer, timeout_ms);
        if (!e) return t;
        if (rd_kafka_error_is_retriable(e) && now_ms() < deadline) {
            rd_kafka_error_destroy(e);
            continue;
        }
        fatal(e, "init_transactions", err, errlen);
        free(t);
        return NULL;
    }
}

void gw_txn_free(gw_txn_t *t)
{
    free(t);
}

int gw_txn_item(gw_txn_t *t, char *err, size_t errlen)
{
    if (!t->open) {
        rd_kafka_error_t *e = rd_kafka_begin_transaction(t->producer);
        if (e) {
            fatal(e, "begin_transaction", err, errlen);
            return GW_ERR;
        }
        t->open = 1;
        t->items = 0;
        t->failed = RD_KAFKA_RESP_ERR_NO_ERROR;
        t->opened_at = now_ms();
    }
    t->items++;
    return GW_OK;
}

void gw_txn_record_failed(gw_txn_t *t, rd_kafka_resp_err_t err)
{
    if (!t->failed) t->failed = err;
}

/* Seeks every assigned partition to its committed offset: the records of
 * the aborted batch are consumed and produced again. */
static int rewind_consumer(gw_txn_t *t, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    rd_kafka_resp_err_t re = rd_kafka_assignment(t->consumer, &a);
    if (re) return gw_err(err, errlen, GW_ERR, "assignment: %s", rd_kafka_err2str(re));
    if (a->cnt == 0) { rd_kafka_topic_partition_list_destroy(a); return GW_OK; }
    re = rd_kafka_committed(t->consumer, a, t->timeout_ms);
    if (re) {
        rd_kafka_topic_partition_list_destroy(a);
        return gw_err(err, errlen, GW_ERR, "reading committed offsets: %s", rd_kafka_err2str(re));
    }
    for (int i = 0; i < a->cnt; i++)
        if (a->elems[i].offset < 0) a->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(t->consumer, a, t->timeout_ms);
    rd_kafka_topic_partition_list_destroy(a);
    if (e) {
        gw_err(err, errlen, GW_ERR, "seek: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return GW_ERR;
    }
    return GW_OK;
}

int gw_txn_abort(gw_txn_t *t, const char *why, int rewind, char *err, size_t errlen)
{
    if (!t->open) return GW_TXN_OK;
    gw_log(GW_LOG_WARN, "txn", "aborting the transaction; its items will be processed again",
           "reason", why, (const char *)NULL);
    rd_kafka_error_t *e = rd_kafka_abort_transaction(t->producer, t->timeout_ms);
    if (e) return fatal(e, "abort_transaction", err, errlen);
    t->open = 0;
    /* abort_transaction purged what was queued; serve every delivery
     * report so the caller's records are released before it forgets
     * them. */
    int64_t deadline = now_ms() + t->timeout_ms;
    while (rd_kafka_outq_len(t->producer) > 0 && now_ms() < deadline) rd_kafka_poll(t->producer, 50);
    rd_kafka_poll(t->producer, 0);
    if (rd_kafka_outq_len(t->producer) > 0) {
        gw_err(err, errlen, GW_ERR, "records of the aborted transaction still queued after %d ms",
               t->timeout_ms);
        return GW_TXN_FATAL;
    }
    if (++t->aborts_in_a_row >= MAX_ABORTS_IN_A_ROW) {
        gw_err(err, errlen, GW_ERR, "%d transactions aborted in a row (last: %s): stopping",
               t->aborts_in_a_row, why);
        return GW_TXN_FATAL;
    }
    if (rewind && rewind_consumer(t, err, errlen) != GW_OK) return GW_TXN_FATAL;
    return GW_TXN_ABORTED;
}

/* Handles an error of send_offsets / commit: abortable -> abort, else fatal. */
static int on_error(gw_txn_t *t, rd_kafka_error_t *e, const char *what, char *err, size_t errlen)
{
    if (rd_kafka_error_txn_requires_abort(e)) {
        char why[256];
        snprintf(why, sizeof why, "%s: %s", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return gw_txn_abort(t, why, 1, err, errlen);
    }
    return fatal(e, what, err, errlen);
}

int gw_txn_commit(gw_txn_t *t, int force, char *err, size_t errlen)
{
    if (!t->open) return GW_TXN_OK;
    if (!force && t->items < t->batch_items && now_ms() - t->opened_at < t->batch_ms) return GW_TXN_OK;

    /* Every record must be delivered before the offsets go in: a failed
     * one dooms the transaction. */
    rd_kafka_flush(t->producer, t->timeout_ms);
    if (t->failed) {
        char why[256];
        snprintf(why, sizeof why, "a record was not delivered: %s", rd_kafka_err2str(t->failed));
        return gw_txn_abort(t, why, 1, err, errlen);
    }

    rd_kafka_topic_partition_list_t *pos = NULL;
    rd_kafka_resp_err_t re = rd_kafka_assignment(t->consumer, &pos);
    if (re) return gw_txn_abort(t, rd_kafka_err2str(re), 1, err, errlen);
    rd_kafka_position(t->consumer, pos);
    rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(t->consumer);
    int64_t deadline = now_ms() + t->timeout_ms;
    rd_kafka_error_t *e;
    /* Partitions not consumed yet have no position and are left out by
     * librdkafka; retriable errors are retried within the deadline. */
    while ((e = rd_kafka_send_offsets_to_transaction(t->producer, pos, md, t->timeout_ms)) &&
           rd_kafka_error_is_retriable(e) && now_ms() < deadline)
        rd_kafka_error_destroy(e);
    rd_kafka_consumer_group_metadata_destroy(md);
    rd_kafka_topic_partition_list_destroy(pos);
    if (e) return on_error(t, e, "send_offsets_to_transaction", err, errlen);

    while ((e = rd_kafka_commit_transaction(t->producer, t->timeout_ms)) &&
           rd_kafka_error_is_retriable(e) && now_ms() < deadline)
        rd_kafka_error_destroy(e);
    if (e) return on_error(t, e, "commit_transaction", err, errlen);
    t->open = 0;
    t->aborts_in_a_row = 0;
    return GW_TXN_OK;
}
