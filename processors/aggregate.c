/*
 * aggregate.c - tumbling event-time windows of dashboard counts (the model
 * is in aggregate.h; the record in README "Aggregates").
 *
 * Open windows sit in an array sorted by start (a handful: those within
 * the allowed lateness of the watermark). Each holds its counters in one
 * open-addressing table keyed by (kind, code or number), so countries,
 * pairs, themes and partitions share one structure.
 */
#include "geowire/aggregate.h"
#include "geowire/common.h"
#include "geowire/dedup.h"
#include "geowire/serialize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { K_COUNTRY = 1, K_PAIR, K_THEME, K_RULE, K_PARTITION };

/* One counter: a code (country, "A-B" pair, theme, rule) or a partition number.
 * Codes are copied, not dictionary indexes, so a dictionary reload between
 * two items cannot change what an open window counted. */
typedef struct {
    uint64_t hash;   /* 0 = empty slot */
    char *name;      /* owned; NULL for a partition */
    int64_t num;
    uint8_t kind;
    uint32_t n;
} slot_t;

typedef struct {
    int64_t start;
    uint32_t items, duplicates, withdrawn, late;
    int partial;             /* this instance already flushed part of it */
    slot_t *m;
    size_t cap, n;
} window_t;

struct gw_agg {
    int64_t size_ms, late_ms;
    char *instance;
    window_t *w;
    size_t n_w, cap_w;
    int64_t watermark;       /* INT64_MIN before the first item */
    int64_t last_tick;       /* INT64_MIN before the first tick */
    uint64_t items_since_tick;
    int64_t flushed_upto;    /* highest window start flushed early */
    gw_buf_t out;
};

static const char *const closed_names[] = {"watermark", "idle", "flush"};
enum { CLOSED_WATERMARK, CLOSED_IDLE, CLOSED_FLUSH };

gw_agg_t *gw_agg_new(const gw_config_t *cfg, char *err, size_t errlen) {
    gw_agg_t *a = gw_calloc(1, sizeof(*a));
    if (!a) { gw_err(err, errlen, GW_ENOMEM, "aggregates: out of memory"); return NULL; }
    a->size_ms = (int64_t)cfg->aggregates.window_seconds * 1000;
    a->late_ms = (int64_t)cfg->aggregates.lateness_seconds * 1000;
    a->watermark = a->last_tick = a->flushed_upto = INT64_MIN;
    gw_buf_init(&a->out);
    if (cfg->aggregates.instance) {
        a->instance = gw_strdup(cfg->aggregates.instance);
    } else {
        char host[256] = "localhost";
        gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = '\0';
        gw_buf_printf(&a->out, "%s:%ld", host, (long)getpid());
        a->instance = gw_buf_steal(&a->out, NULL);
    }
    if (!a->instance) {
        gw_agg_free(a);
        gw_err(err, errlen, GW_ENOMEM, "aggregates: out of memory");
        return NULL;
    }
    return a;
}

static void window_free(window_t *w) {
    for (size_t i = 0; i < w->cap; i++) free(w->m[i].name);
    free(w->m);
}

void gw_agg_free(gw_agg_t *a) {
    if (!a) return;
    for (size_t i = 0; i < a->n_w; i++) window_free(&a->w[i]);
    free(a->w);
    free(a->instance);
    gw_buf_free(&a->out);
    free(a);
}

void gw_agg_stats(const gw_agg_t *a, gw_agg_stats_t *st) {
    st->open_windows = a->n_w;
    st->counters = 0;
    for (size_t i = 0; i < a->n_w; i++) st->counters += a->w[i].n;
    st->watermark_ms = a->watermark;
}

static int64_t floor_to(int64_t t, int64_t size) {
    int64_t q = t / size;
    if (t % size < 0) q--;
    return q * size;
}

/* ------------------------------------------------------------ counting */

static uint64_t slot_hash(int kind, const char *name, int64_t num) {
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)kind;
    if (name)
        for (const char *c = name; *c; c++) h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
    else h = (h ^ (uint64_t)num) * 0x9e3779b97f4a7c15ULL;
    return (h ^ (h >> 29)) | 1; /* never 0: 0 marks an empty slot */
}

/* Adds one to the counter (kind, name or num). */
static int bump(window_t *w, int kind, const char *name, int64_t num) {
    if (2 * (w->n + 1) > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        slot_t *m = gw_calloc(cap, sizeof(*m));
        if (!m) return GW_ENOMEM;
        for (size_t i = 0; i < w->cap; i++) {
            if (!w->m[i].hash) continue;
            size_t j = (size_t)w->m[i].hash & (cap - 1);
            while (m[j].hash) j = (j + 1) & (cap - 1);
            m[j] = w->m[i];
        }
        free(w->m);
        w->m = m;
        w->cap = cap;
    }
    uint64_t h = slot_hash(kind, name, num);
    size_t j = (size_t)h & (w->cap - 1);
    for (; w->m[j].hash; j = (j + 1) & (w->cap - 1)) {
        slot_t *sl = &w->m[j];
        if (sl->hash == h && sl->kind == kind && (name ? sl->name && !strcmp(sl->name, name) : sl->num == num)) {
            sl->n++;
            return GW_OK;
        }
    }
    char *copy = name ? gw_strdup(name) : NULL;
    if (name && !copy) return GW_ENOMEM;
    w->m[j] = (slot_t){.hash = h, .name = copy, .num = num, .kind = (uint8_t)kind, .n = 1};
    w->n++;
    return GW_OK;
}

static int bump_rule(const char *id, void *w) { return bump(w, K_RULE, id, 0); }

/* What a story contributes: countries that act in it (a dateline or a
 * passing mention is not what a who-meets-whom dashboard counts), every
 * pair of parties named in one sentence, fired themes, rules that fired. */
static int count_story(window_t *w, const gw_record_t *r, const gw_dict_t *d) {
    int rc = GW_OK;
    w->items++;
    for (size_t i = 0; rc == GW_OK && i < r->n_hits; i++) {
        const gw_hit_t *h = &r->hits[i];
        if (h->kind == GW_HIT_COUNTRY && h->actor) rc = bump(w, K_COUNTRY, d->countries[h->index].code, 0);
        else if (h->kind == GW_HIT_THEME && h->actor) rc = bump(w, K_THEME, d->themes[h->index].id, 0);
    }
    for (size_t i = 0; rc == GW_OK && i < r->n_pairs; i++) {
        const char *a = gw_party_code(d, r->pairs[i].a), *b = gw_party_code(d, r->pairs[i].b);
        if (strcmp(a, b) > 0) { const char *t = a; a = b; b = t; }
        char code[64];
        snprintf(code, sizeof(code), "%s-%s", a, b);
        rc = bump(w, K_PAIR, code, 0);
    }
    return rc == GW_OK ? gw_record_each_alert_rule(r, bump_rule, w) : rc;
}

/* The window starting at `start`, created (in order) when missing. */
static window_t *window_at(gw_agg_t *a, int64_t start) {
    size_t i = 0;
    while (i < a->n_w && a->w[i].start < start) i++;
    if (i < a->n_w && a->w[i].start == start) return &a->w[i];
    if (a->n_w == a->cap_w) {
        size_t cap = a->cap_w ? a->cap_w * 2 : 4;
        window_t *nw = gw_realloc(a->w, cap * sizeof(*nw));
        if (!nw) return NULL;
        a->w = nw;
        a->cap_w = cap;
    }
    memmove(&a->w[i + 1], &a->w[i], (a->n_w - i) * sizeof(*a->w));
    a->n_w++;
    a->w[i] = (window_t){.start = start, .partial = start <= a->flushed_upto};
    return &a->w[i];
}

/* ------------------------------------------------------------- records */

static int by_name(const void *x, const void *y) {
    return strcmp((*(const slot_t *const *)x)->name, (*(const slot_t *const *)y)->name);
}

/* Writes ,"field":{"code":n,...} for one kind of counter, in code order so
 * the record is deterministic. */
static int write_counts(gw_buf_t *b, const window_t *w, int kind, const char *field) {
    const slot_t **v = gw_malloc((w->n ? w->n : 1) * sizeof(*v));
    if (!v) return GW_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < w->cap; i++)
        if (w->m[i].hash && w->m[i].kind == kind) v[n++] = &w->m[i];
    qsort(v, n, sizeof(*v), by_name);
    gw_buf_printf(b, ",\"%s\":{", field);
    for (size_t i = 0; i < n; i++) {
        if (i) gw_buf_putc(b, ',');
        gw_json_str(b, v[i]->name, strlen(v[i]->name));
        gw_buf_printf(b, ":%u", v[i]->n);
    }
    gw_buf_putc(b, '}');
    free(v);
    return GW_OK;
}

static int by_int(const void *x, const void *y) {
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static int write_partitions(gw_buf_t *b, const window_t *w) {
    int64_t *v = gw_malloc((w->n ? w->n : 1) * sizeof(*v));
    if (!v) return GW_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < w->cap; i++)
        if (w->m[i].hash && w->m[i].kind == K_PARTITION) v[n++] = w->m[i].num;
    qsort(v, n, sizeof(*v), by_int);
    gw_buf_append(b, ",\"partitions\":[", 15);
    for (size_t i = 0; i < n; i++) gw_buf_printf(b, "%s%lld", i ? "," : "", (long long)v[i]);
    gw_buf_putc(b, ']');
    free(v);
    return GW_OK;
}

/* Emits window i's record on r and removes the window. */
static int emit_window(gw_agg_t *a, gw_record_t *r, size_t i, int closed_by) {
    window_t *w = &a->w[i];
    gw_buf_t *b = &a->out;
    char s[21], e[21];
    gw_time_format(w->start, s);
    gw_time_format(w->start + a->size_ms, e);
    gw_buf_reset(b);
    gw_buf_printf(b, "{\"schema\":\"" GW_AGGREGATE_SCHEMA "\",\"window_start\":\"%s\",\"window_end\":\"%s\","
                  "\"instance\":", s, e);
    gw_json_str(b, a->instance, strlen(a->instance));
    int rc = write_partitions(b, w);
    gw_buf_printf(b, ",\"closed_by\":\"%s\",\"partial\":%s,\"items\":%u,\"duplicates\":%u,\"withdrawn\":%u,"
                  "\"late\":%u", closed_names[closed_by], closed_by == CLOSED_FLUSH || w->partial ? "true" : "false",
                  w->items, w->duplicates, w->withdrawn, w->late);
    if (rc == GW_OK) rc = write_counts(b, w, K_COUNTRY, "countries");
    if (rc == GW_OK) rc = write_counts(b, w, K_PAIR, "pairs");
    if (rc == GW_OK) rc = write_counts(b, w, K_THEME, "themes");
    if (rc == GW_OK) rc = write_counts(b, w, K_RULE, "alerts");
    gw_buf_putc(b, '}');
    if (rc == GW_OK && b->oom) rc = GW_ENOMEM;
    if (rc == GW_OK) rc = gw_record_emit(r, GW_EMIT_AGGREGATE, b->data, b->len);
    if (rc != GW_OK) return rc; /* the window stays: a later close retries */
    if (closed_by == CLOSED_FLUSH && w->start > a->flushed_upto) a->flushed_upto = w->start;
    window_free(w);
    memmove(&a->w[i], &a->w[i + 1], (a->n_w - i - 1) * sizeof(*a->w));
    a->n_w--;
    return GW_OK;
}

/* Emits, oldest first, every window the watermark has passed by the
 * allowed lateness. */
static int close_passed(gw_agg_t *a, gw_record_t *r, int closed_by) {
    while (a->n_w && a->w[0].start + a->size_ms + a->late_ms <= a->watermark) {
        int rc = emit_window(a, r, 0, closed_by);
        if (rc != GW_OK) return rc;
    }
    return GW_OK;
}

/* --------------------------------------------------------------- stage */

int64_t gw_agg_event_ms(const gw_record_t *r) {
    if (r->date_from_ingest) return r->ingest_ms;
    const char *p = r->published;
    size_t n = strlen(p);
    int64_t start = (int64_t)r->day * 86400000, ev;
    if (n == 20) {
        ev = start + ((int64_t)atoi(p + 11) * 3600 + atoi(p + 14) * 60 + atoi(p + 17)) * 1000;
    } else {
        /* a date, month or year: the ingest time if it falls inside, else
         * the nearest edge of the period */
        int y = atoi(p), m = n >= 7 ? atoi(p + 5) : 12;
        int32_t end_day = n == 10 ? r->day + 1 : m == 12 ? gw_days_from_civil(y + 1, 1, 1)
                                                           : gw_days_from_civil(y, m + 1, 1);
        int64_t end = (int64_t)end_day * 86400000 - 1;
        ev = r->ingest_ms < start ? start : r->ingest_ms > end ? end : r->ingest_ms;
    }
    return ev < r->ingest_ms ? ev : r->ingest_ms;
}

int gw_aggregate_run(gw_record_t *r, const gw_env_t *env) {
    gw_agg_t *a = env->agg;
    if (!a) return GW_OK;
    a->items_since_tick++;
    int64_t ev = gw_agg_event_ms(r);
    if (ev > a->watermark) a->watermark = ev;
    int64_t start = floor_to(ev, a->size_ms);
    int late = start + a->size_ms + a->late_ms <= a->watermark;
    window_t *w = window_at(a, late ? floor_to(a->watermark, a->size_ms) : start);
    if (!w) return GW_ENOMEM;
    int rc = GW_OK;
    if (late) w->late++;
    else if (r->dedup.status == GW_STORY_WITHDRAWAL) w->withdrawn++;
    else if (r->dedup.is_duplicate) w->duplicates++;
    else rc = count_story(w, r, env->dict);
    if (rc == GW_OK && r->partition >= 0) rc = bump(w, K_PARTITION, NULL, r->partition);
    return rc != GW_OK ? rc : close_passed(a, r, CLOSED_WATERMARK);
}

int gw_agg_tick(const gw_env_t *env, int64_t now_ms, gw_record_t *r) {
    gw_agg_t *a = env->agg;
    if (!a) return GW_OK;
    /* Only a tick interval without items moves event time on by itself:
     * a backlog being consumed keeps its own clock. */
    if (a->last_tick != INT64_MIN && !a->items_since_tick && a->watermark != INT64_MIN && now_ms > a->last_tick)
        a->watermark += now_ms - a->last_tick;
    a->last_tick = now_ms;
    a->items_since_tick = 0;
    return close_passed(a, r, CLOSED_IDLE);
}

int gw_agg_flush(const gw_env_t *env, gw_record_t *r) {
    gw_agg_t *a = env->agg;
    while (a && a->n_w) {
        int rc = emit_window(a, r, 0, CLOSED_FLUSH);
        if (rc != GW_OK) return rc;
    }
    return GW_OK;
}
