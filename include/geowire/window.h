/*
 * window.h - what the last 15 minutes looked like, for the status page:
 * items per minute, the most frequent countries, pairs and themes, and the
 * latest alerts.
 *
 * Bounded whatever the input: one bucket per minute (15), each counting at
 * most GW_WINDOW_KEYS distinct names per kind (more go to an "other"
 * count), and a ring of the GW_WINDOW_ALERTS latest alerts. Fed by the main
 * loop, read by the HTTP thread: one mutex.
 */
#ifndef GEOWIRE_WINDOW_H
#define GEOWIRE_WINDOW_H

#include <stdint.h>

#include "geowire/common.h"
#include "geowire/pipeline.h"

#define GW_WINDOW_MINUTES 15
#define GW_WINDOW_KEYS 384
#define GW_WINDOW_ALERTS 20

typedef struct gw_window gw_window_t;

/* Caller owns the result; free with gw_window_free. NULL on OOM. */
gw_window_t *gw_window_new(void);
void gw_window_free(gw_window_t *w);

/* Counts one processed item at wall time now_ms: its countries, pairs and
 * themes (unless it is a duplicate) and its alerts (with `id`, the item id,
 * and the result's title). A dead-lettered item counts only as such. */
void gw_window_add(gw_window_t *w, int64_t now_ms, const gw_result_t *res);

/* Appends `"window":{...},"alerts":[...]` (object members, no braces): the
 * per-minute series oldest first, the top `top` names of each kind with
 * their item counts, and the latest alerts newest first. */
void gw_window_json(gw_window_t *w, int64_t now_ms, int top, gw_buf_t *out);

#endif
