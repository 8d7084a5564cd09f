/*
 * delivery.c - the per-partition contiguous-watermark tracker (delivery.h).
 *
 * Each partition keeps its items in a FIFO (offset order). Acks only count
 * down; the watermark moves when the head of the FIFO is done, popping
 * every done item from the front. Items are allocated one by one so their
 * address is a stable handle for delivery-report opaques.
 */
#include "geowire/delivery.h"
#include "geowire/common.h"

#include <stdlib.h>
#include <string.h>

typedef struct part part_t;

struct gw_delivery_item {
    part_t *part;
    gw_delivery_item_t *next;
    int64_t offset;
    unsigned remaining;
    void *user;
};

struct part {
    char *topic;
    int32_t partition;
    int dropped;
    int moved;
    int64_t last_registered;   /* -1: none yet */
    int64_t committable;       /* -1: nothing done yet */
    gw_delivery_item_t *head, *tail;
    size_t pending;            /* items in the FIFO not done */
    part_t *next;
};

struct gw_delivery {
    part_t *parts;             /* tracked partitions */
    part_t *orphans;           /* dropped partitions with items in flight */
    size_t in_flight;
    gw_delivery_free_fn free_user;
};

gw_delivery_t *gw_delivery_new(gw_delivery_free_fn free_user)
{
    gw_delivery_t *d = gw_calloc(1, sizeof *d);
    if (d) d->free_user = free_user;
    return d;
}

static void release_item(gw_delivery_t *d, gw_delivery_item_t *it)
{
    if (d->free_user && it->user) d->free_user(it->user);
    free(it);
}

static void free_part(gw_delivery_t *d, part_t *p)
{
    gw_delivery_item_t *it = p->head;
    while (it) {
        gw_delivery_item_t *n = it->next;
        release_item(d, it);
        it = n;
    }
    free(p->topic);
    free(p);
}

void gw_delivery_free(gw_delivery_t *d)
{
    if (!d) return;
    for (part_t *p = d->parts, *n; p; p = n) { n = p->next; free_part(d, p); }
    for (part_t *p = d->orphans, *n; p; p = n) { n = p->next; free_part(d, p); }
    free(d);
}

static part_t *find(const gw_delivery_t *d, const char *topic, int32_t partition)
{
    for (part_t *p = d->parts; p; p = p->next)
        if (p->partition == partition && !strcmp(p->topic, topic)) return p;
    return NULL;
}

int gw_delivery_register(gw_delivery_t *d, const char *topic, int32_t partition,
                         int64_t offset, unsigned count, void *user,
                         gw_delivery_item_t **item)
{
    if (item) *item = NULL;
    if (!d || !topic || offset < 0) return GW_EINVAL;
    part_t *p = find(d, topic, partition);
    if (!p) {
        p = gw_calloc(1, sizeof *p);
        if (!p) return GW_ENOMEM;
        p->topic = gw_strdup(topic);
        if (!p->topic) { free(p); return GW_ENOMEM; }
        p->partition = partition;
        p->last_registered = -1;
        p->committable = -1;
        p->next = d->parts;
        d->parts = p;
    }
    if (offset <= p->last_registered) return GW_EINVAL;

    gw_delivery_item_t *it = gw_calloc(1, sizeof *it);
    if (!it) return GW_ENOMEM;
    it->part = p;
    it->offset = offset;
    it->remaining = count;
    it->user = user;
    p->last_registered = offset;
    if (p->tail) p->tail->next = it; else p->head = it;
    p->tail = it;
    if (count > 0) {
        p->pending++;
        d->in_flight++;
    } else if (p->head == it) {
        /* Nothing to wait for and nothing before it: done right away. */
        p->head = p->tail = NULL;
        p->committable = offset + 1;
        p->moved = 1;
        release_item(d, it);
        return GW_OK;
    }
    if (item) *item = it;
    return GW_OK;
}

static void unlink_orphan(gw_delivery_t *d, part_t *p)
{
    for (part_t **pp = &d->orphans; *pp; pp = &(*pp)->next)
        if (*pp == p) { *pp = p->next; break; }
    free_part(d, p);
}

int gw_delivery_ack(gw_delivery_t *d, gw_delivery_item_t *it)
{
    if (!d || !it || it->remaining == 0) return -1;
    if (--it->remaining > 0) return 0;

    part_t *p = it->part;
    p->pending--;
    d->in_flight--;
    /* Pop the done prefix; every popped item advances the watermark. */
    while (p->head && p->head->remaining == 0) {
        gw_delivery_item_t *h = p->head;
        p->head = h->next;
        if (!p->head) p->tail = NULL;
        if (!p->dropped) {
            p->committable = h->offset + 1;
            p->moved = 1;
        }
        release_item(d, h);
    }
    if (p->dropped && p->pending == 0) unlink_orphan(d, p);
    return 1;
}

void *gw_delivery_item_user(const gw_delivery_item_t *item)
{
    return item ? item->user : NULL;
}

int64_t gw_delivery_item_offset(const gw_delivery_item_t *item)
{
    return item ? item->offset : -1;
}

int64_t gw_delivery_committable(const gw_delivery_t *d, const char *topic, int32_t partition)
{
    const part_t *p = d ? find(d, topic, partition) : NULL;
    return p ? p->committable : -1;
}

int gw_delivery_next_moved(gw_delivery_t *d, const char **topic, int32_t *partition,
                           int64_t *committable)
{
    for (part_t *p = d->parts; p; p = p->next) {
        if (!p->moved) continue;
        p->moved = 0;
        *topic = p->topic;
        *partition = p->partition;
        *committable = p->committable;
        return 1;
    }
    return 0;
}

size_t gw_delivery_drop(gw_delivery_t *d, const char *topic, int32_t partition)
{
    if (!d) return 0;
    part_t **pp = &d->parts;
    while (*pp && !((*pp)->partition == partition && !strcmp((*pp)->topic, topic)))
        pp = &(*pp)->next;
    part_t *p = *pp;
    if (!p) return 0;
    *pp = p->next;
    size_t pending = p->pending;
    if (pending == 0) {
        free_part(d, p);
        return 0;
    }
    p->dropped = 1;
    p->moved = 0;
    p->next = d->orphans;
    d->orphans = p;
    return pending;
}

size_t gw_delivery_in_flight(const gw_delivery_t *d)
{
    return d ? d->in_flight : 0;
}

size_t gw_delivery_pending(const gw_delivery_t *d, const char *topic, int32_t partition)
{
    const part_t *p = d ? find(d, topic, partition) : NULL;
    return p ? p->pending : 0;
}
