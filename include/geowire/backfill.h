/*
 * backfill.h - `geowire run --from-time`: re-tag the input topic's history
 * into other topics, under a consumer group of its own, and stop once
 * caught up.
 *
 * Each partition starts where the backfill group committed (a backfill
 * that was interrupted resumes), else at the first message at or after the
 * start time; messages older than the start time are consumed without
 * producing anything. The run ends when every assigned partition reached
 * the end offset it had when it was assigned and every record landed.
 */
#ifndef GEOWIRE_BACKFILL_H
#define GEOWIRE_BACKFILL_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "geowire/config.h"

typedef struct gw_backfill gw_backfill_t;

/* Points `cfg` at the backfill's topics and group: topics.output becomes
 * `output` (required, and not the live output topic), alerts, aggregates
 * and dead letters go to OUTPUT.alerts, OUTPUT.aggregates and OUTPUT.dlq,
 * and kafka.group_id becomes `group`, or GROUP.backfill-FROM_MS by default.
 * Returns a new backfill (caller frees with gw_backfill_free), or NULL
 * with the reason in err. */
gw_backfill_t *gw_backfill_new(gw_config_t *cfg, int64_t from_ms, const char *output,
                               const char *group, char *err, size_t errlen);
void gw_backfill_free(gw_backfill_t *b);

/* From the rebalance callback, before the partitions are assigned: sets
 * each one's start offset and captures its end offset. */
void gw_backfill_on_assign(gw_backfill_t *b, rd_kafka_t *consumer,
                           rd_kafka_topic_partition_list_t *parts);

/* 1 when the message predates the start time: consume it, produce nothing. */
int gw_backfill_skip(const gw_backfill_t *b, const rd_kafka_message_t *m);

/* 1 when every partition of the current assignment has been consumed up to
 * its captured end offset. Checks at most twice a second (0 in between). */
int gw_backfill_caught_up(gw_backfill_t *b, rd_kafka_t *consumer);

#endif
