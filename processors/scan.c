/*
 * scan.c - runs the entity and theme matchers over the folded title and
 * body. The number of matches kept per item is capped (limits.max_matches)
 * so a body of one name repeated a million times costs a bounded record.
 */
#include "geowire/common.h"
#include "geowire/processor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int scan_all(gw_record_t *r, const gw_matcher_t *m, gw_match_t **out, uint8_t **fields,
                    size_t *count) {
    size_t max = r->max_matches;
    gw_match_t *buf = gw_malloc(max * sizeof(*buf));
    uint8_t *fl = gw_malloc(max);
    if (!buf || !fl) {
        free(buf);
        free(fl);
        return GW_ENOMEM;
    }
    size_t n = 0;
    int truncated = 0;
    for (int f = 0; f < GW_FIELDS && n < max; f++) {
        int t = 0;
        size_t got = gw_matcher_scan(m, &r->text[f], buf + n, max - n, &t);
        memset(fl + n, f, got);
        n += got;
        truncated |= t;
    }
    if (truncated) {
        char msg[96];
        int len = snprintf(msg, sizeof(msg), "more than %zu dictionary matches; the rest were not used", max);
        gw_record_warn(r, "matches_truncated", msg, (size_t)len);
    }
    *out = buf;
    *fields = fl;
    *count = n;
    return GW_OK;
}

int gw_scan_run(gw_record_t *r, const gw_env_t *env) {
    int rc = scan_all(r, env->dict->entities, &r->ematch, &r->ematch_field, &r->n_ematch);
    if (rc == GW_OK) rc = scan_all(r, env->dict->themes_m, &r->tmatch, &r->tmatch_field, &r->n_tmatch);
    return rc;
}
