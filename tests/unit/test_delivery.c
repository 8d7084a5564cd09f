/*
 * test_delivery.c - the contiguous-watermark tracker, without Kafka.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "geowire/common.h"
#include "geowire/delivery.h"

static int freed;
static void count_free(void *u) { (void)u; freed++; }

static gw_delivery_item_t *reg(gw_delivery_t *d, const char *t, int32_t p, int64_t off, unsigned n)
{
    gw_delivery_item_t *it = NULL;
    cr_assert_eq(gw_delivery_register(d, t, p, off, n, (void *)1, &it), GW_OK);
    return it;
}

Test(delivery, in_order_acks_move_watermark)
{
    gw_delivery_t *d = gw_delivery_new(NULL);
    gw_delivery_item_t *a = reg(d, "in", 0, 0, 1), *b = reg(d, "in", 0, 1, 1);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), -1);
    cr_assert_eq(gw_delivery_in_flight(d), 2);
    cr_assert_eq(gw_delivery_ack(d, a), 1);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 1);
    cr_assert_eq(gw_delivery_ack(d, b), 1);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 2);
    cr_assert_eq(gw_delivery_in_flight(d), 0);
    gw_delivery_free(d);
}

Test(delivery, out_of_order_acks_wait_for_the_gap)
{
    gw_delivery_t *d = gw_delivery_new(NULL);
    gw_delivery_item_t *it[5];
    for (int i = 0; i < 5; i++) it[i] = reg(d, "in", 3, 10 + i, 1);
    /* 12, 14, 11 delivered first: 10 is still missing, nothing committable. */
    gw_delivery_ack(d, it[2]);
    gw_delivery_ack(d, it[4]);
    gw_delivery_ack(d, it[1]);
    cr_assert_eq(gw_delivery_committable(d, "in", 3), -1);
    cr_assert_eq(gw_delivery_in_flight(d), 2);
    gw_delivery_ack(d, it[0]);
    /* 10..12 contiguous, 13 pending. */
    cr_assert_eq(gw_delivery_committable(d, "in", 3), 13);
    gw_delivery_ack(d, it[3]);
    cr_assert_eq(gw_delivery_committable(d, "in", 3), 15);
    gw_delivery_free(d);
}

Test(delivery, several_records_per_item)
{
    gw_delivery_t *d = gw_delivery_new(NULL);
    gw_delivery_item_t *a = reg(d, "in", 0, 5, 3); /* enriched + two alerts */
    gw_delivery_item_t *b = reg(d, "in", 0, 6, 1);
    cr_assert_eq(gw_delivery_ack(d, b), 1);
    cr_assert_eq(gw_delivery_ack(d, a), 0);
    cr_assert_eq(gw_delivery_ack(d, a), 0);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), -1);
    cr_assert_eq(gw_delivery_ack(d, a), 1);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 7);
    gw_delivery_free(d);
}

Test(delivery, gaps_in_offsets)
{
    gw_delivery_t *d = gw_delivery_new(NULL);
    /* A compacted topic: 2, 7, 8, 20. */
    gw_delivery_item_t *a = reg(d, "in", 0, 2, 1), *b = reg(d, "in", 0, 7, 1);
    gw_delivery_item_t *c = reg(d, "in", 0, 8, 1), *e = reg(d, "in", 0, 20, 1);
    gw_delivery_ack(d, b);
    gw_delivery_ack(d, a);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 8);
    gw_delivery_ack(d, e);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 8);
    gw_delivery_ack(d, c);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 21);
    gw_delivery_free(d);
}

Test(delivery, zero_count_items)
{
    gw_delivery_t *d = gw_delivery_new(NULL);
    gw_delivery_item_t *a = reg(d, "in", 0, 0, 1);
    gw_delivery_item_t *z = NULL;
    cr_assert_eq(gw_delivery_register(d, "in", 0, 1, 0, NULL, &z), GW_OK);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), -1);
    gw_delivery_ack(d, a);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 2);
    cr_assert_eq(gw_delivery_register(d, "in", 0, 2, 0, NULL, &z), GW_OK);
    cr_assert_null(z);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 3);
    gw_delivery_free(d);
}

Test(delivery, partitions_are_independent_and_reported_when_moved)
{
    gw_delivery_t *d = gw_delivery_new(NULL);
    gw_delivery_item_t *a0 = reg(d, "in", 0, 0, 1), *a1 = reg(d, "in", 1, 0, 1);
    gw_delivery_item_t *b0 = reg(d, "other", 0, 4, 1);
    gw_delivery_ack(d, a1);
    gw_delivery_ack(d, b0);
    const char *t;
    int32_t p;
    int64_t off;
    int seen = 0;
    while (gw_delivery_next_moved(d, &t, &p, &off)) {
        seen++;
        if (!strcmp(t, "in")) { cr_assert_eq(p, 1); cr_assert_eq(off, 1); }
        else { cr_assert_str_eq(t, "other"); cr_assert_eq(off, 5); }
    }
    cr_assert_eq(seen, 2);
    cr_assert_eq(gw_delivery_next_moved(d, &t, &p, &off), 0);
    gw_delivery_ack(d, a0);
    cr_assert_eq(gw_delivery_next_moved(d, &t, &p, &off), 1);
    cr_assert_str_eq(t, "in");
    cr_assert_eq(p, 0);
    cr_assert_eq(off, 1);
    gw_delivery_free(d);
}

Test(delivery, offsets_must_increase)
{
    gw_delivery_t *d = gw_delivery_new(NULL);
    reg(d, "in", 0, 5, 1);
    cr_assert_eq(gw_delivery_register(d, "in", 0, 5, 1, NULL, NULL), GW_EINVAL);
    cr_assert_eq(gw_delivery_register(d, "in", 0, 4, 1, NULL, NULL), GW_EINVAL);
    cr_assert_eq(gw_delivery_register(d, "in", 0, -1, 1, NULL, NULL), GW_EINVAL);
    cr_assert_eq(gw_delivery_ack(d, NULL), -1);
    gw_delivery_free(d);
}

Test(delivery, revoke_keeps_late_reports_safe)
{
    freed = 0;
    gw_delivery_t *d = gw_delivery_new(count_free);
    gw_delivery_item_t *a = reg(d, "in", 0, 0, 1), *b = reg(d, "in", 0, 1, 2);
    gw_delivery_ack(d, a);
    cr_assert_eq(freed, 1);
    cr_assert_eq(gw_delivery_drop(d, "in", 0), 1);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), -1);
    cr_assert_eq(gw_delivery_pending(d, "in", 0), 0);
    cr_assert_eq(gw_delivery_in_flight(d), 1);
    /* Reassigned: a fresh tracker that starts anywhere (e.g. a committed offset). */
    gw_delivery_item_t *c = reg(d, "in", 0, 1, 1);
    /* Late reports for the revoked generation: no watermark move. */
    cr_assert_eq(gw_delivery_ack(d, b), 0);
    cr_assert_eq(gw_delivery_ack(d, b), 1);
    cr_assert_eq(freed, 2);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), -1);
    const char *t; int32_t p; int64_t off;
    cr_assert_eq(gw_delivery_next_moved(d, &t, &p, &off), 0);
    gw_delivery_ack(d, c);
    cr_assert_eq(gw_delivery_committable(d, "in", 0), 2);
    cr_assert_eq(gw_delivery_in_flight(d), 0);
    gw_delivery_free(d);
    cr_assert_eq(freed, 3);
}

Test(delivery, free_releases_pending_items)
{
    freed = 0;
    gw_delivery_t *d = gw_delivery_new(count_free);
    reg(d, "in", 0, 0, 1);
    reg(d, "in", 0, 1, 1);
    reg(d, "in", 1, 0, 1);
    gw_delivery_drop(d, "in", 1);
    gw_delivery_free(d);
    cr_assert_eq(freed, 3);
}

Test(delivery, many_random_order)
{
    enum { N = 2000 };
    gw_delivery_t *d = gw_delivery_new(NULL);
    static gw_delivery_item_t *it[N];
    int order[N];
    for (int i = 0; i < N; i++) { it[i] = reg(d, "in", 0, i * 2, 1); order[i] = i; }
    unsigned s = 12345;
    for (int i = N - 1; i > 0; i--) {
        s = s * 1103515245u + 12345u;
        int j = (int)((s >> 8) % (unsigned)(i + 1));
        int tmp = order[i]; order[i] = order[j]; order[j] = tmp;
    }
    static int done[N];
    for (int k = 0; k < N; k++) {
        gw_delivery_ack(d, it[order[k]]);
        done[order[k]] = 1;
        int low = 0;
        while (low < N && done[low]) low++;
        int64_t want = low == 0 ? -1 : (int64_t)(low - 1) * 2 + 1;
        cr_assert_eq(gw_delivery_committable(d, "in", 0), want);
    }
    gw_delivery_free(d);
}
