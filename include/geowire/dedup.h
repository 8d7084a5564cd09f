/*
 * dedup.h - duplicate stories and story versions over a bounded window.
 *
 * Wire stories are republished by many outlets with new headlines and
 * boilerplate, and resent by the wire itself as updates, corrections and
 * withdrawals. The dedup stage remembers the last dedup.window_items items
 * (and none older than dedup.window_seconds of ingest time) and gives each
 * item its dedup block: the story's cluster (the id of its first copy seen),
 * whether it repeats a story already in the window, and what kind of copy it
 * is (gw_story_status_t).
 *
 *  - exact duplicate: the same words in the same order in the body (folded,
 *    punctuation and the wire dateline ignored; the title when there is no
 *    body). The headline is not hashed: a re-headlined copy is the common case.
 *  - near duplicate: one-permutation MinHash (64 bins, densified) over word 3-shingles of the body,
 *    estimated Jaccard similarity >= dedup.threshold against any item in the
 *    window (found through LSH: 32 bands of 2 rows). Bodies of fewer than 10
 *    words are only ever exact duplicates.
 *  - a new version of a story: the same `id` with other text or a higher
 *    `version`, or a `supersedes` naming the story's id. It replaces the story
 *    as the version later versions compare with; the older text stays in the
 *    window, so late copies of it still join the story.
 *  - a withdrawal: a leading KILL / WITHDRAWN / ELIMINATION marker in the
 *    title or `pubstatus` withheld/canceled (see gw_story_marker). The story
 *    is marked withdrawn; if it was alerted, a retraction record goes to the
 *    alerts topic.
 *
 * The same item delivered again (same id, same text, same version: a Kafka
 * redelivery) gets the same verdict as the first time, so records stay
 * byte-identical on replay. Memory is bounded by the window: window_items
 * entries of fixed size (in window_items rounded up to a power of two
 * slots) plus ids of at most GW_DEDUP_MAX_ID bytes; an item with a longer
 * id is compared with the window but not remembered.
 */
#ifndef GEOWIRE_DEDUP_H
#define GEOWIRE_DEDUP_H

#include <stddef.h>
#include "geowire/config.h"
#include "geowire/processor.h"

#define GW_DEDUP_MAX_ID 256

typedef enum {
    GW_STORY_NEW = 0,      /* the first copy of a story in the window */
    GW_STORY_DUPLICATE,    /* another copy (exact or near) of a story in the window */
    GW_STORY_UPDATE,       /* a new version (UPDATE, REFILE, same id with new text, higher version) */
    GW_STORY_CORRECTION,   /* a new version marked CORRECTED / CORRECTION / CORRECTS */
    GW_STORY_WITHDRAWAL,   /* a kill or withdrawal notice */
    GW_STORY_STALE,        /* a version older than one already seen */
    GW_STORY__COUNT
} gw_story_status_t;

/* "new", "duplicate", ...: the record's dedup.status. Static string. */
const char *gw_story_status_name(gw_story_status_t s);

/* The version marker leading a headline: a run of upper-case tags at its
 * start, separated by spaces, '-', ':' or digits ("UPDATE 2-CORRECTED-...",
 * "KILL KILL KILL"). UPDATE/UPDATED/UPDATES/REFILE/REFILED/REPEAT give
 * GW_STORY_UPDATE; CORRECTED/CORRECTION/CORRECTS give GW_STORY_CORRECTION;
 * KILL/KILLED/WITHDRAWN/ELIMINATION/ELIMINATE (and STORY before one of them)
 * give GW_STORY_WITHDRAWAL; the strongest tag wins (withdrawal > correction >
 * update). Anything else is GW_STORY_NEW (no marker). */
gw_story_status_t gw_story_marker(const char *title, size_t len);

typedef struct gw_dedup gw_dedup_t;

/* Builds an empty window from cfg->dedup. NULL on OOM (reason in err).
 * The pipeline owns it. */
gw_dedup_t *gw_dedup_new(const gw_config_t *cfg, char *err, size_t errlen);
void gw_dedup_free(gw_dedup_t *d);

/* What the window holds now (tests check the memory bound with it). */
typedef struct {
    size_t items;        /* entries remembered */
    size_t clusters;     /* stories they belong to */
    size_t string_bytes; /* bytes of ids and verdicts held */
} gw_dedup_stats_t;
void gw_dedup_stats(const gw_dedup_t *d, gw_dedup_stats_t *st);

/* The chain stage (after themes, before alerts): fills r->dedup and
 * r->dedup_suppress_alert, updates the window, and emits a retraction when
 * a withdrawal hits an alerted story. */
int gw_dedup_run(gw_record_t *r, const gw_env_t *env);
/* The post-alerts stage: remembers that the current item's story was
 * alerted (by this item, with these rules). */
int gw_dedup_alerted_run(gw_record_t *r, const gw_env_t *env);

#endif
