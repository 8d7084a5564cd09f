/*
 * txn.h - exactly-once processing (kafka.processing_guarantee: exactly_once):
 * consume -> transform -> produce inside Kafka transactions.
 *
 * Each transaction holds a batch of input items (kafka.transaction_items
 * items or kafka.transaction_ms milliseconds, whichever comes first): every
 * record produced for them and, through send_offsets_to_transaction, the
 * consumer's positions. Committing makes the records visible to
 * read_committed readers and commits the input offsets atomically; aborting
 * discards both and rewinds the consumer to the committed offsets, so the
 * batch is processed again. A producer fenced by a newer instance with the
 * same transactional.id (a zombie) or any other fatal producer error stops
 * the daemon.
 *
 * Needs Kafka >= 2.5 (KIP-447: one producer for every input partition,
 * fenced by the consumer group's generation). librdkafka's mock cluster
 * accepts the calls but proves none of this (see README): the real-broker
 * suite (tests/kafka/) does.
 *
 * Threads: the main thread only (the rebalance callback runs on it too).
 */
#ifndef GEOWIRE_TXN_H
#define GEOWIRE_TXN_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

typedef struct gw_txn gw_txn_t;

/* Outcomes of gw_txn_commit and gw_txn_abort. */
typedef enum {
    GW_TXN_OK = 0,       /* committed, or nothing was open / due */
    GW_TXN_ABORTED = 1,  /* aborted and rewound: the caller forgets what was in flight */
    GW_TXN_FATAL = 2,    /* cannot go on (fenced, fatal error, repeated aborts): stop */
} gw_txn_result_t;

/* Calls init_transactions on `producer` (created with transactional.id),
 * bounded by timeout_ms: this fences any older producer with the same id
 * and aborts the transaction it left open. Neither handle is owned. Caller
 * owns the result (gw_txn_free). NULL with the reason in err. */
gw_txn_t *gw_txn_new(rd_kafka_t *producer, rd_kafka_t *consumer, size_t batch_items,
                     int batch_ms, int timeout_ms, char *err, size_t errlen);
void gw_txn_free(gw_txn_t *t);

/* Before the records of one input item are produced: opens a transaction
 * when none is open and counts the item into it. GW_OK, or GW_ERR with the
 * reason in err (fatal). */
int gw_txn_item(gw_txn_t *t, char *err, size_t errlen);

/* A record of the open transaction was not delivered (or not accepted by
 * the producer): the transaction can no longer commit and is aborted at
 * the next gw_txn_commit. */
void gw_txn_record_failed(gw_txn_t *t, rd_kafka_resp_err_t err);

/* Commits the open transaction when `force` is set or the batch is due
 * (item count or age reached): flushes the producer (delivery reports are
 * served), sends the consumer's positions, commits. An abortable error
 * aborts instead (see gw_txn_abort). Returns a gw_txn_result_t; the reason
 * of GW_TXN_FATAL is written into err. */
int gw_txn_commit(gw_txn_t *t, int force, char *err, size_t errlen);

/* Aborts the open transaction (if any), waits until every delivery report
 * of its records was served (so the caller's records are released) and,
 * when `rewind` is set, seeks each assigned partition back to its committed
 * offset (its start when nothing was committed yet); lost partitions need
 * no rewind: their next owner starts from the committed offsets. Returns
 * GW_TXN_OK (nothing was open), GW_TXN_ABORTED, or GW_TXN_FATAL with the
 * reason in err. */
int gw_txn_abort(gw_txn_t *t, const char *why, int rewind, char *err, size_t errlen);

#endif
