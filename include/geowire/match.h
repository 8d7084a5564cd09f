/*
 * match.h - one matcher for every dictionary: actors, countries, blocs,
 * theme triggers and discard phrases all become patterns in one automaton.
 *
 * Semantics: whole words only, leftmost-longest, non-overlapping, over the
 * folded text (text.h). A pattern is folded with the same gw_text_fold as
 * the text, so "Türkiye", "TÜRKIYE" and "Tu\u0308rkiye" match alike.
 * Cost per scan grows with the text, not with the number of patterns.
 *
 * Boundaries: a match must not be preceded or followed by a word character
 * (gw_cp_is_word), except next to characters of unspaced scripts
 * (gw_cp_is_unspaced), where no boundary is required.
 *
 * Flags:
 *   GW_MATCH_PREFIX  the pattern's last word may continue: "sanction" with
 *                    this flag matches "sanctions", "sanctioned"; the match
 *                    span extends to the end of that word.
 *   GW_MATCH_CASE    the original text of the span must equal the pattern's
 *                    original bytes exactly ("US" but not "us", "IS").
 * The same pattern text may be added many times with different values;
 * a scan reports every value whose flags hold at the chosen span.
 */
#ifndef GEOWIRE_MATCH_H
#define GEOWIRE_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include "geowire/text.h"

enum { GW_MATCH_PREFIX = 1, GW_MATCH_CASE = 2 };

typedef struct gw_matcher gw_matcher_t;

typedef struct {
    uint32_t start, end;       /* span in the original text (bytes) */
    uint32_t fstart, fend;     /* span in the folded text (bytes) */
    uint32_t value;            /* the value given to gw_matcher_add */
} gw_match_t;

/* Caller owns the matcher; free with gw_matcher_free. NULL on OOM. */
gw_matcher_t *gw_matcher_new(void);
void gw_matcher_free(gw_matcher_t *m);
/* Adds a pattern (raw UTF-8, folded internally). Empty or all-space
 * patterns are refused with GW_EINVAL. Must precede gw_matcher_build. */
int gw_matcher_add(gw_matcher_t *m, const char *pattern, size_t len,
                   uint32_t value, unsigned flags);
/* Freezes the matcher for scanning. */
int gw_matcher_build(gw_matcher_t *m);
size_t gw_matcher_count(const gw_matcher_t *m); /* patterns added */

/* Scans folded text t with a built matcher (an unbuilt one finds nothing). Writes up to `max` matches in text order into out and
 * returns how many it wrote; *truncated is set to 1 if more existed.
 * Several values at one span are written consecutively, in insertion order. */
size_t gw_matcher_scan(const gw_matcher_t *m, const gw_text_t *t,
                       gw_match_t *out, size_t max, int *truncated);

#endif
