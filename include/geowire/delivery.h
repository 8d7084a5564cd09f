/*
 * delivery.h - at-least-once bookkeeping between consumed offsets and
 * delivery reports. Pure C, no Kafka.
 *
 * Every consumed input message becomes an item, registered in offset order
 * on its (topic, partition) with the number of records produced for it.
 * Each successful delivery report acks one record; an item is done when its
 * count reaches 0. Delivery reports arrive out of order (several output
 * partitions, retries), so the committable offset of a partition is the
 * contiguous watermark: (highest offset such that it and every earlier
 * registered offset are done) + 1. Offsets need not be consecutive (compacted
 * topics, transaction markers): only registered offsets count.
 *
 * Items are referenced by pointer from produced records (the opaque of the
 * delivery report). A dropped partition (revoked or lost) leaves the table
 * at once, but its unfinished items stay valid until their last ack, so a
 * late delivery report never touches freed memory; acks on a dropped
 * partition never move a watermark.
 */
#ifndef GEOWIRE_DELIVERY_H
#define GEOWIRE_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_delivery gw_delivery_t;
typedef struct gw_delivery_item gw_delivery_item_t;

/* Called with an item's user pointer when the tracker releases the item
 * (after it is done, or when the tracker is freed). May be NULL. */
typedef void (*gw_delivery_free_fn)(void *user);

/* Caller owns the tracker; free with gw_delivery_free. NULL on OOM. */
gw_delivery_t *gw_delivery_new(gw_delivery_free_fn free_user);
/* Releases every item (calling free_user) and the tracker. */
void gw_delivery_free(gw_delivery_t *d);

/* Registers `offset` on (topic, partition) with `count` records to deliver
 * (0 = done at once). Offsets must increase per partition: a smaller or
 * equal offset returns GW_EINVAL (a re-delivery already being tracked).
 * On GW_OK *item (if not NULL) is the handle to pass to gw_delivery_ack; the
 * tracker owns it. `user` is handed to free_user when the item is released. */
int gw_delivery_register(gw_delivery_t *d, const char *topic, int32_t partition,
                         int64_t offset, unsigned count, void *user,
                         gw_delivery_item_t **item);

/* Acks one record of `item`. Returns 1 when the item became done (the item
 * may be released during the call: do not use it afterwards), 0 when it
 * still waits for records, -1 when it had no record left to ack. */
int gw_delivery_ack(gw_delivery_t *d, gw_delivery_item_t *item);

/* The user pointer and coordinates of an item (valid until it is done). */
void *gw_delivery_item_user(const gw_delivery_item_t *item);
int64_t gw_delivery_item_offset(const gw_delivery_item_t *item);

/* The committable offset of (topic, partition): watermark + 1, or -1 when
 * nothing is done yet or the partition is not tracked. */
int64_t gw_delivery_committable(const gw_delivery_t *d, const char *topic, int32_t partition);

/* Walks the partitions whose watermark moved since the last call: returns 1
 * and fills the outputs (topic is owned by the tracker, valid until the
 * partition is dropped), 0 when there is none left. Each moved partition is
 * reported once per move. */
int gw_delivery_next_moved(gw_delivery_t *d, const char **topic, int32_t *partition,
                           int64_t *committable);

/* Forgets (topic, partition): on revoke after the final store, or on lost.
 * Its pending items stay alive until acked but never move a watermark.
 * Returns the number of items that were still pending. */
size_t gw_delivery_drop(gw_delivery_t *d, const char *topic, int32_t partition);

/* Items registered and not yet done, over all partitions (including dropped
 * partitions' items still awaiting their reports): the backpressure gauge. */
size_t gw_delivery_in_flight(const gw_delivery_t *d);

/* Items not done on partitions currently tracked (not dropped). */
size_t gw_delivery_pending(const gw_delivery_t *d, const char *topic, int32_t partition);

#endif
