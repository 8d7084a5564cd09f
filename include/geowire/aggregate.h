/*
 * aggregate.h - dashboard counts in tumbling event-time windows.
 *
 * Each item falls in the window [k*W, (k+1)*W) of its event time (W =
 * aggregates.window_seconds): `published_at` when it carries a time of day;
 * for a date, month or year alone, the ingest time moved into that period;
 * never later than the ingest time (a future date is a clock or typing
 * error). The watermark is the highest event time seen; a window closes when
 * the watermark passes its end by aggregates.allowed_lateness_seconds, and
 * then one record (schema geowire.aggregate.v1) is emitted. An item whose
 * window has closed is counted in `late` of the window holding the
 * watermark, not in its own.
 *
 * A quiet wire must still close windows: gw_agg_tick, called with wall time,
 * moves the watermark on by the wall time that passed since the previous
 * tick when no item arrived in between (so a backlog being consumed never
 * makes its own items late). gw_agg_flush emits every open window, marked
 * partial, before a graceful shutdown or a revoke commits offsets.
 *
 * Counts exclude duplicates and withdrawal notices (dedup.h): `items` are
 * stories counted, `duplicates` and `withdrawn` say how many were left out.
 * Memory: open windows are those within lateness of the watermark
 * (lateness / W + 2 of them), each with counters bounded by the dictionary
 * (countries, pairs of parties, themes, rules) and the partition count.
 */
#ifndef GEOWIRE_AGGREGATE_H
#define GEOWIRE_AGGREGATE_H

#include <stdint.h>
#include "geowire/config.h"
#include "geowire/processor.h"

#define GW_AGGREGATE_SCHEMA "geowire.aggregate.v1"

typedef struct gw_agg gw_agg_t;

/* From cfg->aggregates; an unset instance becomes "host:pid". NULL on OOM
 * (reason in err). The pipeline owns it. */
gw_agg_t *gw_agg_new(const gw_config_t *cfg, char *err, size_t errlen);
void gw_agg_free(gw_agg_t *a);

/* The chain stage (after alerts): counts the record (and its partition),
 * closes the windows the watermark passed (records queued with
 * gw_record_emit). */
int gw_aggregate_run(gw_record_t *r, const gw_env_t *env);

/* Quiet-wire close and flush (see above); records are queued on r. */
int gw_agg_tick(const gw_env_t *env, int64_t now_ms, gw_record_t *r);
int gw_agg_flush(const gw_env_t *env, gw_record_t *r);

typedef struct {
    size_t open_windows;
    size_t counters;       /* keys held over all open windows */
    int64_t watermark_ms;  /* INT64_MIN before the first item */
} gw_agg_stats_t;
void gw_agg_stats(const gw_agg_t *a, gw_agg_stats_t *st);

/* The event time of a parsed record, as described above (ms). */
int64_t gw_agg_event_ms(const gw_record_t *r);

#endif
