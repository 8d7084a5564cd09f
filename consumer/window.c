/*
 * window.c - the status page's rolling 15 minutes (window.h).
 *
 * Each minute bucket holds one open-addressing table per kind (countries,
 * pairs, themes) of fixed size, allocated on first use and cleared when the
 * bucket is reused a quarter of an hour later: memory never grows past
 * GW_WINDOW_MINUTES tables of SLOTS entries per kind.
 */
#include "geowire/window.h"
#include "geowire/record.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512 /* power of two, > GW_WINDOW_KEYS so probing stays short */
#define KINDS 3   /* GW_FACET_COUNTRY, _PAIR, _THEME */

typedef struct {
    char name[sizeof(((gw_facet_t *)0)->name)];
    uint32_t count;      /* 0: empty slot */
} slot_t;

typedef struct {
    int64_t minute;      /* minutes since the epoch; -1: unused */
    uint64_t items, dead, dups;
    uint64_t other[KINDS];   /* names beyond GW_WINDOW_KEYS */
    size_t used[KINDS];
    slot_t *tab[KINDS];      /* SLOTS each, or NULL */
} bucket_t;

typedef struct {
    int64_t ts_ms;
    char rule[sizeof(((gw_facet_t *)0)->name)];
    char id[96];
    char title[sizeof(((gw_result_t *)0)->title)];
} alert_t;

struct gw_window {
    pthread_mutex_t mu;
    bucket_t b[GW_WINDOW_MINUTES];
    alert_t alerts[GW_WINDOW_ALERTS];
    size_t n_alerts, next_alert;
};

gw_window_t *gw_window_new(void)
{
    gw_window_t *w = gw_calloc(1, sizeof *w);
    if (!w) return NULL;
    pthread_mutex_init(&w->mu, NULL);
    for (int i = 0; i < GW_WINDOW_MINUTES; i++) w->b[i].minute = -1;
    return w;
}

void gw_window_free(gw_window_t *w)
{
    if (!w) return;
    for (int i = 0; i < GW_WINDOW_MINUTES; i++)
        for (int k = 0; k < KINDS; k++) free(w->b[i].tab[k]);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The bucket of `minute`, cleared if it last held an older minute. */
static bucket_t *bucket_at(gw_window_t *w, int64_t minute)
{
    bucket_t *b = &w->b[minute % GW_WINDOW_MINUTES];
    if (b->minute != minute) {
        b->minute = minute;
        b->items = b->dead = b->dups = 0;
        for (int k = 0; k < KINDS; k++) {
            b->other[k] = 0;
            b->used[k] = 0;
            if (b->tab[k]) memset(b->tab[k], 0, SLOTS * sizeof(slot_t));
        }
    }
    return b;
}

static void count_name(bucket_t *b, int kind, const char *name)
{
    if (!b->tab[kind] && !(b->tab[kind] = gw_calloc(SLOTS, sizeof(slot_t)))) {
        b->other[kind]++;
        return;
    }
    slot_t *t = b->tab[kind];
    for (uint32_t i = hash(name) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
        if (!t[i].count) {
            if (b->used[kind] >= GW_WINDOW_KEYS) { b->other[kind]++; return; }
            snprintf(t[i].name, sizeof t[i].name, "%s", name);
            t[i].count = 1;
            b->used[kind]++;
            return;
        }
        if (!strcmp(t[i].name, name)) { t[i].count++; return; }
    }
}

void gw_window_add(gw_window_t *w, int64_t now_ms, const gw_result_t *res)
{
    pthread_mutex_lock(&w->mu);
    bucket_t *b = bucket_at(w, now_ms / 60000);
    b->items++;
    if (res->reason != GW_REASON_NONE) b->dead++;
    if (res->duplicate) b->dups++;
    for (size_t i = 0; i < res->n_facets; i++) {
        const gw_facet_t *f = &res->facets[i];
        if (f->kind == GW_FACET_ALERT) {
            alert_t *a = &w->alerts[w->next_alert];
            w->next_alert = (w->next_alert + 1) % GW_WINDOW_ALERTS;
            if (w->n_alerts < GW_WINDOW_ALERTS) w->n_alerts++;
            a->ts_ms = now_ms;
            snprintf(a->rule, sizeof a->rule, "%s", f->name);
            snprintf(a->id, sizeof a->id, "%s", res->id ? res->id : "");
            memcpy(a->title, res->title, sizeof a->title);
        } else if (!res->duplicate && f->kind < KINDS) {
            count_name(b, (int)f->kind, f->name);
        }
    }
    pthread_mutex_unlock(&w->mu);
}

typedef struct {
    const char *name;
    uint64_t count;
} tally_t;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const tally_t *)a)->name, ((const tally_t *)b)->name);
}

/* Most frequent first; ties by name, so the order is stable. */
static int by_count(const void *a, const void *b)
{
    const tally_t *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Appends `[[name,count],...]`: the top names of `kind` over the live
 * buckets. Caller holds mu. */
static void top_json(gw_window_t *w, int64_t first_minute, int kind, int top, gw_buf_t *out)
{
    size_t n = 0;
    uint64_t other = 0;
    tally_t *all = gw_malloc(GW_WINDOW_MINUTES * GW_WINDOW_KEYS * sizeof *all);
    gw_buf_putc(out, '[');
    if (!all) { gw_buf_putc(out, ']'); return; }
    for (int i = 0; i < GW_WINDOW_MINUTES; i++) {
        const bucket_t *b = &w->b[i];
        if (b->minute < first_minute) continue;
        other += b->other[kind];
        if (!b->tab[kind]) continue;
        for (size_t s = 0; s < SLOTS; s++)
            if (b->tab[kind][s].count) all[n++] = (tally_t){b->tab[kind][s].name, b->tab[kind][s].count};
    }
    qsort(all, n, sizeof *all, by_name);
    size_t m = 0;   /* merge equal names in place */
    for (size_t i = 0; i < n; i++) {
        if (m && !strcmp(all[m - 1].name, all[i].name)) all[m - 1].count += all[i].count;
        else all[m++] = all[i];
    }
    qsort(all, m, sizeof *all, by_count);
    for (size_t i = 0; i < m && i < (size_t)top; i++) {
        gw_buf_append(out, i ? ",[" : "[", i ? 2 : 1);
        gw_json_str(out, all[i].name, strlen(all[i].name));
        gw_buf_printf(out, ",%llu]", (unsigned long long)all[i].count);
    }
    if (other) gw_buf_printf(out, "%s[\"(other)\",%llu]", m ? "," : "", (unsigned long long)other);
    gw_buf_putc(out, ']');
    free(all);
}

void gw_window_json(gw_window_t *w, int64_t now_ms, int top, gw_buf_t *out)
{
    static const char *const kinds[KINDS] = {"countries", "pairs", "themes"};
    int64_t now_min = now_ms / 60000, first = now_min - (GW_WINDOW_MINUTES - 1);
    pthread_mutex_lock(&w->mu);
    gw_buf_printf(out, "\"window\":{\"minutes\":%d,\"per_minute\":[", GW_WINDOW_MINUTES);
    for (int64_t mi = first; mi <= now_min; mi++) {
        const bucket_t *b = &w->b[mi % GW_WINDOW_MINUTES];
        int live = b->minute == mi;
        gw_buf_printf(out, "%s{\"t\":%lld,\"items\":%llu,\"dead_lettered\":%llu,\"duplicates\":%llu}",
                      mi == first ? "" : ",", (long long)(mi * 60000),
                      (unsigned long long)(live ? b->items : 0), (unsigned long long)(live ? b->dead : 0),
                      (unsigned long long)(live ? b->dups : 0));
    }
    gw_buf_putc(out, ']');
    for (int k = 0; k < KINDS; k++) {
        gw_buf_printf(out, ",\"%s\":", kinds[k]);
        top_json(w, first, k, top, out);
    }
    gw_buf_append(out, "},\"alerts\":[", 12);
    for (size_t i = 0; i < w->n_alerts; i++) {
        const alert_t *a = &w->alerts[(w->next_alert + GW_WINDOW_ALERTS - 1 - i) % GW_WINDOW_ALERTS];
        gw_buf_printf(out, "%s{\"ts\":%lld,\"rule\":", i ? "," : "", (long long)a->ts_ms);
        gw_json_str(out, a->rule, strlen(a->rule));
        gw_buf_append(out, ",\"id\":", 6);
        gw_json_str(out, a->id, strlen(a->id));
        gw_buf_append(out, ",\"title\":", 9);
        gw_json_str(out, a->title, strlen(a->title));
        gw_buf_putc(out, '}');
    }
    gw_buf_putc(out, ']');
    pthread_mutex_unlock(&w->mu);
}
