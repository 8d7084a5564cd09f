/*
 * backfill.c - `geowire run --from-time` (backfill.h).
 */
#include "geowire/backfill.h"
#include "geowire/common.h"
#include "geowire/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_TIMEOUT_MS 10000
#define CHECK_EVERY_MS 500

typedef struct {
    int32_t partition;
    int64_t start, end;  /* first offset to read; end offset when assigned */
} part_t;

struct gw_backfill {
    int64_t from_ms;
    part_t *parts;
    size_t n, cap;
    int64_t last_check;
};

gw_backfill_t *gw_backfill_new(gw_config_t *cfg, int64_t from_ms, const char *output,
                               const char *group, char *err, size_t errlen)
{
    if (!output || !*output) {
        gw_err(err, errlen, GW_EINVAL, "--from-time needs --output-topic: a backfill never writes "
               "to the live output topic");
        return NULL;
    }
    if (!strcmp(output, cfg->topics.output)) {
        gw_err(err, errlen, GW_EINVAL, "--output-topic %s is the live output topic (topics.output); "
               "a backfill writes elsewhere", output);
        return NULL;
    }
    gw_backfill_t *b = gw_calloc(1, sizeof *b);
    char alerts[512], aggregates[512], dlq[512], gid[512];
    snprintf(alerts, sizeof alerts, "%s.alerts", output);
    snprintf(aggregates, sizeof aggregates, "%s.aggregates", output);
    snprintf(dlq, sizeof dlq, "%s.dlq", output);
    snprintf(gid, sizeof gid, "%s.backfill-%" PRId64, cfg->kafka.group_id, from_ms);
    if (!b || gw_config_set(&cfg->topics.output, output) ||
        gw_config_set(&cfg->topics.alerts, alerts) ||
        gw_config_set(&cfg->topics.aggregates, aggregates) ||
        gw_config_set(&cfg->topics.dead_letter, dlq) ||
        gw_config_set(&cfg->kafka.group_id, group ? group : gid)) {
        free(b);
        gw_err(err, errlen, GW_ENOMEM, "out of memory");
        return NULL;
    }
    b->from_ms = from_ms;
    return b;
}

void gw_backfill_free(gw_backfill_t *b)
{
    if (!b) return;
    free(b->parts);
    free(b);
}

static part_t *part(gw_backfill_t *b, int32_t partition, int add)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->parts[i].partition == partition) return &b->parts[i];
    if (!add) return NULL;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        part_t *np = gw_realloc(b->parts, cap * sizeof *np);
        if (!np) return NULL;
        b->parts = np;
        b->cap = cap;
    }
    b->parts[b->n].partition = partition;
    return &b->parts[b->n++];
}

void gw_backfill_on_assign(gw_backfill_t *b, rd_kafka_t *consumer,
                           rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_topic_partition_list_t *bytime = rd_kafka_topic_partition_list_copy(parts);
    for (int i = 0; i < bytime->cnt; i++) bytime->elems[i].offset = b->from_ms;
    rd_kafka_resp_err_t ce = rd_kafka_committed(consumer, committed, QUERY_TIMEOUT_MS);
    rd_kafka_resp_err_t te = rd_kafka_offsets_for_times(consumer, bytime, QUERY_TIMEOUT_MS);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t we = rd_kafka_query_watermark_offsets(consumer, tp->topic, tp->partition,
                                                                  &lo, &hi, QUERY_TIMEOUT_MS);
        int64_t c = !ce && !committed->elems[i].err ? committed->elems[i].offset : -1;
        int64_t t = !te && !bytime->elems[i].err ? bytime->elems[i].offset : -1;
        /* Resume a backfill from its own commits. A time lookup of -1 means
         * "nothing since" from a broker but "unsupported" from librdkafka
         * 2.0.2's mock: read from the start then, gw_backfill_skip drops
         * what is older. */
        int64_t start = c >= 0 ? c : t >= 0 ? t : RD_KAFKA_OFFSET_BEGINNING;
        tp->offset = start;
        part_t *p = part(b, tp->partition, 1);
        if (p) {
            p->start = start >= 0 ? start : lo;
            p->end = we ? INT64_MAX : hi; /* unknown end: never caught up by mistake */
        }
        char ps[16], ss[32], es[32];
        snprintf(ps, sizeof ps, "%" PRId32, tp->partition);
        snprintf(ss, sizeof ss, "%" PRId64, p ? p->start : start);
        snprintf(es, sizeof es, "%" PRId64, hi);
        gw_log(GW_LOG_INFO, "backfill", c >= 0 ? "partition resumes from the backfill group's offset"
               : "partition starts at the start time", "topic", tp->topic, "partition", ps,
               "start", ss, "end", es, (const char *)NULL);
    }
    rd_kafka_topic_partition_list_destroy(committed);
    rd_kafka_topic_partition_list_destroy(bytime);
}

int gw_backfill_skip(const gw_backfill_t *b, const rd_kafka_message_t *m)
{
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    return ts >= 0 && ts < b->from_ms;
}

int gw_backfill_caught_up(gw_backfill_t *b, rd_kafka_t *consumer)
{
    int64_t now = gw_now_ms();
    if (now - b->last_check < CHECK_EVERY_MS) return 0;
    b->last_check = now;
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(consumer, &a) || !a) return 0;
    int done = a->cnt > 0 && !rd_kafka_position(consumer, a);
    for (int i = 0; done && i < a->cnt; i++) {
        const part_t *p = part(b, a->elems[i].partition, 0);
        int64_t pos = a->elems[i].offset;
        done = p && (p->start >= p->end || (pos >= 0 && pos >= p->end));
    }
    rd_kafka_topic_partition_list_destroy(a);
    return done;
}
