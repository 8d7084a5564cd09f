/*
 * dedup.c - duplicate stories and story versions over a bounded window
 * (the model is described in dedup.h and README "Deduplication and story
 * versions").
 *
 * The window is a ring of window_items fixed-size entries in arrival order;
 * a new entry takes the slot of the oldest. Entries are found through
 * chained hash indexes (the item id, the exact text hash, and one per LSH
 * band) whose links are entry sequence numbers: a chain runs from newest to
 * oldest, so a walk stops at the first sequence number that has left the
 * ring, and nothing is ever unlinked. Stories (clusters) live in a table of
 * the same size, reference-counted by their entries.
 */
#include "geowire/dedup.h"
#include "geowire/common.h"
#include "geowire/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MH 64                  /* MinHash values per item */
#define ROWS 2                 /* LSH: rows per band */
#define BANDS (MH / ROWS)
#define IX_ID 0
#define IX_EXACT 1
#define IX_BAND 2
#define NIDX (IX_BAND + BANDS)
#define SHINGLE 3              /* words per shingle */
#define MIN_SHINGLES 8         /* fewer: too short to call near-duplicate */
#define NO_CLUSTER UINT32_MAX

typedef struct {
    uint64_t seq;              /* 1-based arrival number; 0 = empty */
    int64_t at_ms;             /* ingest time */
    uint64_t key[NIDX];
    uint64_t next[NIDX];       /* older entry in the same bucket, 0 = none */
    uint32_t mh[MH];
    uint8_t linked[NIDX];      /* which indexes hold this entry */
    char *id;                  /* the item id (<= GW_DEDUP_MAX_ID bytes) */
    char *dup_of;              /* the verdict given, repeated on redelivery */
    uint8_t status, is_dup;
    uint8_t alerted_here;      /* this item's alert is the story's */
    int64_t version;
    uint32_t cluster;
} entry_t;

typedef struct {
    char *id;                  /* the story's first id; NULL = free slot */
    uint32_t refs;
    uint32_t next_free;
    int withdrawn;
    char *alert_item;          /* the item whose alert went out, or NULL */
    char *alert_rules;         /* its rules, a JSON array of ids */
} cluster_t;

struct gw_dedup {
    size_t cap;                /* window_items */
    int64_t window_ms;
    double threshold;
    entry_t *e;                /* ring: seq s lives at e[(s - 1) % cap] */
    uint64_t seq, oldest;      /* live entries: oldest..seq */
    uint64_t *head[NIDX];      /* bucket -> newest seq */
    size_t mask;
    cluster_t *c;
    uint32_t free_cluster;
    size_t n_clusters, string_bytes;
    uint64_t *tok;             /* scratch: word hashes of the current item */
    size_t tok_cap;
    uint64_t cur_seq;          /* the current item's entry (0: not remembered) */
    uint32_t cur_cluster;      /* and its story, for the post-alerts step */
};

static const char *const status_names[GW_STORY__COUNT] = {"new", "duplicate", "update", "correction",
                                                           "withdrawal", "stale_version"};

const char *gw_story_status_name(gw_story_status_t s) { return s < GW_STORY__COUNT ? status_names[s] : "new"; }

/* splitmix64's finaliser: a cheap, well-mixed 64-bit hash step. */
static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return mix(h ^ n);
}

/* ------------------------------------------------------------- markers */

typedef struct { const char *word; gw_story_status_t kind; } marker_t;
static const marker_t markers[] = {
    {"UPDATE", GW_STORY_UPDATE},          {"UPDATED", GW_STORY_UPDATE},
    {"UPDATES", GW_STORY_UPDATE},         {"REFILE", GW_STORY_UPDATE},
    {"REFILED", GW_STORY_UPDATE},         {"REPEAT", GW_STORY_UPDATE},
    {"CORRECTED", GW_STORY_CORRECTION},   {"CORRECTION", GW_STORY_CORRECTION},
    {"CORRECTS", GW_STORY_CORRECTION},    {"KILL", GW_STORY_WITHDRAWAL},
    {"KILLED", GW_STORY_WITHDRAWAL},      {"WITHDRAWN", GW_STORY_WITHDRAWAL},
    {"ELIMINATION", GW_STORY_WITHDRAWAL}, {"ELIMINATE", GW_STORY_WITHDRAWAL},
    {"STORY", GW_STORY_NEW}, /* only as in "STORY WITHDRAWN" */
};

static int strength(gw_story_status_t k) {
    return k == GW_STORY_WITHDRAWAL ? 3 : k == GW_STORY_CORRECTION ? 2 : k == GW_STORY_UPDATE ? 1 : 0;
}

/* Wire tags are upper-case words leading the headline (Reuters "UPDATE 2-",
 * "CORRECTED-", "STORY WITHDRAWN"; dpa "KILL KILL KILL"; AP eliminations).
 * Only whole upper-case words count, so "Killer whale" or "Update on talks"
 * are headlines, not markers. */
gw_story_status_t gw_story_marker(const char *t, size_t n) {
    size_t i = 0;
    gw_story_status_t best = GW_STORY_NEW;
    int tags = 0;
    while (i < n && t[i] == ' ') i++;
    for (;;) {
        size_t w = i;
        while (i < n && t[i] >= 'A' && t[i] <= 'Z') i++;
        if (i - w < 4 || (i < n && ((t[i] >= 'a' && t[i] <= 'z') || (unsigned char)t[i] >= 0x80))) break;
        const marker_t *m = NULL;
        for (size_t k = 0; k < sizeof(markers) / sizeof(markers[0]) && !m; k++)
            if (strlen(markers[k].word) == i - w && !memcmp(markers[k].word, t + w, i - w)) m = &markers[k];
        if (!m) break;
        tags++;
        if (strength(m->kind) > strength(best)) best = m->kind;
        while (i < n && (t[i] == ' ' || t[i] == '-' || t[i] == ':' || (t[i] >= '0' && t[i] <= '9'))) i++;
    }
    return tags ? best : GW_STORY_NEW;
}

/* ---------------------------------------------------------- the window */

static size_t pow2_at_least(size_t n) {
    size_t p = 1024;
    while (p < n) p <<= 1;
    return p;
}

gw_dedup_t *gw_dedup_new(const gw_config_t *cfg, char *err, size_t errlen) {
    gw_dedup_t *d = gw_calloc(1, sizeof(*d));
    if (!d) { gw_err(err, errlen, GW_ENOMEM, "dedup: out of memory"); return NULL; }
    d->cap = cfg->dedup.window_items ? cfg->dedup.window_items : 1;
    d->window_ms = (int64_t)cfg->dedup.window_seconds * 1000;
    d->threshold = cfg->dedup.threshold;
    d->oldest = 1;
    size_t nb = pow2_at_least(d->cap);
    d->mask = nb - 1;
    d->e = gw_calloc(d->cap, sizeof(*d->e));
    d->c = gw_calloc(d->cap, sizeof(*d->c));
    int ok = d->e && d->c;
    for (int x = 0; ok && x < NIDX; x++) ok = (d->head[x] = gw_calloc(nb, sizeof(uint64_t))) != NULL;
    if (!ok) {
        gw_dedup_free(d);
        gw_err(err, errlen, GW_ENOMEM, "dedup: out of memory for a window of %zu items", cfg->dedup.window_items);
        return NULL;
    }
    for (size_t i = 0; i < d->cap; i++) d->c[i].next_free = i + 1 < d->cap ? (uint32_t)(i + 1) : NO_CLUSTER;
    d->free_cluster = 0;
    return d;
}

static void forget_alert(gw_dedup_t *d, cluster_t *c) {
    if (c->alert_item) d->string_bytes -= strlen(c->alert_item) + 1 + strlen(c->alert_rules) + 1;
    free(c->alert_item);
    free(c->alert_rules);
    c->alert_item = c->alert_rules = NULL;
}

static void release_entry(gw_dedup_t *d, entry_t *e) {
    if (!e->seq) return;
    if (e->id) d->string_bytes -= strlen(e->id) + 1;
    if (e->dup_of) d->string_bytes -= strlen(e->dup_of) + 1;
    free(e->id);
    free(e->dup_of);
    cluster_t *c = &d->c[e->cluster];
    if (--c->refs == 0) {
        d->string_bytes -= strlen(c->id) + 1;
        free(c->id);
        forget_alert(d, c);
        memset(c, 0, sizeof(*c));
        c->next_free = d->free_cluster;
        d->free_cluster = e->cluster;
        d->n_clusters--;
    }
    memset(e, 0, sizeof(*e));
}

void gw_dedup_free(gw_dedup_t *d) {
    if (!d) return;
    for (size_t i = 0; d->e && d->c && i < d->cap; i++) release_entry(d, &d->e[i]);
    free(d->e);
    free(d->c);
    for (int x = 0; x < NIDX; x++) free(d->head[x]);
    free(d->tok);
    free(d);
}

void gw_dedup_stats(const gw_dedup_t *d, gw_dedup_stats_t *st) {
    st->items = (size_t)(d->seq - d->oldest + 1);
    st->clusters = d->n_clusters;
    st->string_bytes = d->string_bytes;
}

static entry_t *at(gw_dedup_t *d, uint64_t seq) { return &d->e[(seq - 1) % d->cap]; }
static int live(const gw_dedup_t *d, uint64_t seq) { return seq && seq >= d->oldest && seq <= d->seq; }

/* Entries leave by age from the old end only; an entry of the right age
 * stuck behind an older one (ingest times are not monotonic across
 * partitions) is skipped by find() until it reaches the end. */
static void expire(gw_dedup_t *d, int64_t now_ms) {
    while (d->oldest <= d->seq && at(d, d->oldest)->at_ms < now_ms - d->window_ms)
        release_entry(d, at(d, d->oldest++));
}

/* Walks the chain of `key` in index x, newest first; returns the next live
 * entry after `from` (0 to start) holding that key and young enough. */
static uint64_t find(const gw_dedup_t *d, int x, uint64_t key, uint64_t from, int64_t now_ms) {
    uint64_t s = from ? d->e[(from - 1) % d->cap].next[x] : d->head[x][key & d->mask];
    for (; live(d, s); s = d->e[(s - 1) % d->cap].next[x]) {
        const entry_t *e = &d->e[(s - 1) % d->cap];
        if (e->linked[x] && e->key[x] == key && e->at_ms >= now_ms - d->window_ms) return s;
    }
    return 0;
}

/* The newest entry with this id; with `exact`, the newest that also has
 * this text and version (the item itself, delivered again). */
static entry_t *find_id(gw_dedup_t *d, const char *id, int64_t now_ms, const uint64_t *exact, int64_t version) {
    uint64_t key = hash_bytes(id, strlen(id));
    for (uint64_t s = find(d, IX_ID, key, 0, now_ms); s; s = find(d, IX_ID, key, s, now_ms)) {
        entry_t *e = at(d, s);
        if (!strcmp(e->id, id) && (!exact || (e->key[IX_EXACT] == *exact && e->version == version))) return e;
    }
    return NULL;
}

/* -------------------------------------------------------- fingerprints */

typedef struct {
    uint64_t exact;
    uint32_t mh[MH];
    int near;                  /* enough shingles for a signature */
} print_t;

/* Word hashes of a folded field from folded offset `from`: words are runs
 * of letters, marks and digits, so punctuation, case and spacing do not
 * matter. */
static int words(gw_dedup_t *d, const gw_text_t *t, size_t from, size_t *n) {
    *n = 0;
    size_t i = from;
    while (i < t->fold_len) {
        int32_t cp;
        int l = gw_utf8_decode(t->fold, t->fold_len, i, &cp);
        if (!gw_cp_is_word(cp)) { i += (size_t)l; continue; }
        size_t w = i;
        while (i < t->fold_len) {
            l = gw_utf8_decode(t->fold, t->fold_len, i, &cp);
            if (!gw_cp_is_word(cp)) break;
            i += (size_t)l;
        }
        if (*n == d->tok_cap) {
            size_t cap = d->tok_cap ? d->tok_cap * 2 : 512;
            uint64_t *nt = gw_realloc(d->tok, cap * sizeof(*nt));
            if (!nt) return GW_ENOMEM;
            d->tok = nt;
            d->tok_cap = cap;
        }
        d->tok[(*n)++] = hash_bytes(t->fold + w, i - w);
    }
    return GW_OK;
}

/* The body after its dateline ("KUALA LUMPUR (AFP) -" differs between
 * outlets), or the title of a headline-only item. */
static int fingerprint(gw_dedup_t *d, const gw_record_t *r, print_t *p) {
    const gw_text_t *b = &r->text[GW_FIELD_BODY];
    size_t from = 0;
    while (from < b->fold_len && b->map && b->map[from] < r->dateline_end) from++;
    size_t n;
    if (words(d, b, from, &n) != GW_OK) return GW_ENOMEM;
    if (!n && words(d, &r->text[GW_FIELD_TITLE], 0, &n) != GW_OK) return GW_ENOMEM;
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) h = mix(h ^ d->tok[i]) + i;
    p->exact = mix(h ^ n);
    p->near = n >= SHINGLE - 1 + MIN_SHINGLES;
    for (int k = 0; k < MH; k++) p->mh[k] = UINT32_MAX;
    if (!p->near) return GW_OK;
    for (size_t i = 0; i + SHINGLE <= n; i++) {
        uint64_t s = mix(d->tok[i] ^ mix(d->tok[i + 1] ^ mix(d->tok[i + 2])));
        for (int k = 0; k < MH; k++) {
            uint32_t v = (uint32_t)(mix(s + 0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1)) >> 32);
            if (v < p->mh[k]) p->mh[k] = v;
        }
    }
    return GW_OK;
}

static double similarity(const uint32_t *a, const uint32_t *b) {
    int same = 0;
    for (int k = 0; k < MH; k++) same += a[k] == b[k];
    return (double)same / MH;
}

static uint64_t band_key(const uint32_t *mh, int b) {
    return mix(((uint64_t)mh[b * ROWS] << 32 | mh[b * ROWS + 1]) ^ (uint64_t)b);
}

/* The best earlier copy of this text: an exact match, else the most
 * similar signature at or above the threshold. Withdrawal notices are not
 * in these indexes: their text is an advisory, not the story. */
static entry_t *find_copy(gw_dedup_t *d, const print_t *p, int64_t now_ms) {
    uint64_t s = find(d, IX_EXACT, p->exact, 0, now_ms);
    if (s) return at(d, s);
    if (!p->near) return NULL;
    entry_t *best = NULL;
    double best_sim = d->threshold - 1e-9;
    for (int b = 0; b < BANDS; b++) {
        uint64_t key = band_key(p->mh, b);
        for (s = find(d, IX_BAND + b, key, 0, now_ms); s; s = find(d, IX_BAND + b, key, s, now_ms)) {
            entry_t *e = at(d, s);
            double sim = similarity(p->mh, e->mh);
            if (sim > best_sim || (sim == best_sim && best && e->seq < best->seq)) {
                best = e;
                best_sim = sim;
            }
        }
    }
    return best;
}

/* ------------------------------------------------------------ updating */

static int set_str(char **dst, const char *s) {
    free(*dst);
    *dst = s ? gw_strdup(s) : NULL;
    return s && !*dst ? GW_ENOMEM : GW_OK;
}

/* Remembers the current item as the newest entry. `cluster` NO_CLUSTER
 * starts a story named by the item's id. Only the id index holds entries
 * that are not copies of the story text (withdrawal notices). */
static int insert(gw_dedup_t *d, const gw_record_t *r, const print_t *p, uint32_t cluster, int text_indexed) {
    size_t idlen = strlen(r->id);
    if (idlen > GW_DEDUP_MAX_ID) return GW_OK;
    char *id = gw_strdup(r->id), *dup = r->dedup.duplicate_of ? gw_strdup(r->dedup.duplicate_of) : NULL;
    char *cid = cluster == NO_CLUSTER ? gw_strdup(r->id) : NULL;
    if (!id || (r->dedup.duplicate_of && !dup) || (cluster == NO_CLUSTER && !cid)) {
        free(id); free(dup); free(cid);
        return GW_ENOMEM;
    }
    uint64_t seq = d->seq + 1;
    entry_t *e = at(d, seq);
    /* The story's reference is taken before the oldest entry leaves: that
     * entry may hold the story's last one. */
    if (cluster != NO_CLUSTER) d->c[cluster].refs++;
    if (e->seq) { /* the ring is full: its slot holds the oldest entry */
        release_entry(d, e);
        d->oldest++;
    }
    if (cluster == NO_CLUSTER) { /* a free slot exists: stories <= live entries < cap */
        cluster = d->free_cluster;
        d->free_cluster = d->c[cluster].next_free;
        d->c[cluster] = (cluster_t){.id = cid, .refs = 1};
        d->n_clusters++;
        d->string_bytes += idlen + 1;
    }
    d->seq = seq;
    e->seq = seq;
    e->at_ms = r->ingest_ms;
    e->id = id;
    e->dup_of = dup;
    d->string_bytes += idlen + 1 + (dup ? strlen(dup) + 1 : 0);
    e->status = (uint8_t)r->dedup.status;
    e->is_dup = (uint8_t)r->dedup.is_duplicate;
    e->version = r->story.version;
    e->cluster = cluster;
    memcpy(e->mh, p->mh, sizeof(e->mh));
    e->key[IX_ID] = hash_bytes(r->id, idlen);
    e->key[IX_EXACT] = p->exact;
    e->linked[IX_ID] = 1;
    e->linked[IX_EXACT] = (uint8_t)text_indexed;
    for (int b = 0; b < BANDS; b++) {
        e->key[IX_BAND + b] = band_key(p->mh, b);
        e->linked[IX_BAND + b] = (uint8_t)(text_indexed && p->near);
    }
    for (int x = 0; x < NIDX; x++) {
        if (!e->linked[x]) continue;
        uint64_t *h = &d->head[x][e->key[x] & d->mask];
        e->next[x] = *h;
        *h = seq;
    }
    d->cur_seq = seq;
    d->cur_cluster = cluster;
    return GW_OK;
}

/* The retraction of a story's alert (schema/alert-retraction.schema.json):
 * the alerted item and its rules, and the notice that withdrew it. */
static int emit_retraction(gw_dedup_t *d, gw_record_t *r, cluster_t *c) {
    gw_buf_t b;
    gw_buf_init(&b);
    gw_buf_printf(&b, "{\"schema\":\"geowire.alert-retraction.v1\",\"item_id\":");
    gw_json_str(&b, c->alert_item, strlen(c->alert_item));
    gw_buf_printf(&b, ",\"rules\":%s,\"cluster\":", c->alert_rules);
    gw_json_str(&b, c->id, strlen(c->id));
    gw_buf_printf(&b, ",\"reason\":\"withdrawal\",\"withdrawn_by\":{\"item_id\":");
    gw_json_str(&b, r->id, strlen(r->id));
    gw_buf_printf(&b, ",\"title\":");
    gw_json_str(&b, r->field[GW_FIELD_TITLE], r->field_len[GW_FIELD_TITLE]);
    gw_buf_printf(&b, ",\"published_at\":\"%s\"}}", r->published);
    int rc = b.oom ? GW_ENOMEM : gw_record_emit(r, GW_EMIT_ALERT, b.data, b.len);
    gw_buf_free(&b);
    if (rc == GW_OK) forget_alert(d, c);
    return rc;
}

/* Fills the record's verdict; cluster NO_CLUSTER names the item itself. */
static int verdict(gw_dedup_t *d, gw_record_t *r, gw_story_status_t status, const char *dup_of, uint32_t cluster) {
    r->dedup.status = (int)status;
    r->dedup.is_duplicate = dup_of != NULL;
    if (set_str(&r->dedup.duplicate_of, dup_of) != GW_OK) return GW_ENOMEM;
    return set_str(&r->dedup.cluster, cluster == NO_CLUSTER ? r->id : d->c[cluster].id);
}

int gw_dedup_run(gw_record_t *r, const gw_env_t *env) {
    gw_dedup_t *d = env->dedup;
    if (!d) return GW_OK;
    d->cur_seq = 0;
    d->cur_cluster = NO_CLUSTER;
    print_t p;
    if (fingerprint(d, r, &p) != GW_OK) return GW_ENOMEM;
    int64_t now = r->ingest_ms;
    expire(d, now);
    gw_story_status_t mark = gw_story_marker(r->field[GW_FIELD_TITLE], r->field_len[GW_FIELD_TITLE]);
    if (r->story.withdrawn) mark = GW_STORY_WITHDRAWAL;

    entry_t *self = find_id(d, r->id, now, &p.exact, r->story.version);
    if (self) {
        /* A redelivery: the same verdict as the first time. */
        cluster_t *c = &d->c[self->cluster];
        r->dedup_suppress_alert = c->withdrawn || self->status == GW_STORY_WITHDRAWAL ||
                                  (c->alert_item && !self->alerted_here);
        d->cur_seq = self->seq;
        d->cur_cluster = self->cluster;
        r->dedup.status = self->status;
        r->dedup.is_duplicate = self->is_dup;
        if (set_str(&r->dedup.duplicate_of, self->dup_of) || set_str(&r->dedup.cluster, c->id)) return GW_ENOMEM;
        return GW_OK;
    }
    entry_t *story = find_id(d, r->story.supersedes ? r->story.supersedes : r->id, now, NULL, 0);
    if (story) {
        uint32_t cl = story->cluster;
        cluster_t *c = &d->c[cl];
        char *sid = gw_strdup(story->id);
        if (!sid) return GW_ENOMEM;
        int rc;
        if (mark == GW_STORY_WITHDRAWAL) {
            c->withdrawn = 1;
            r->dedup_suppress_alert = 1;
            rc = verdict(d, r, GW_STORY_WITHDRAWAL, sid, cl);
            if (!rc && c->alert_item) rc = emit_retraction(d, r, c);
            if (!rc) rc = insert(d, r, &p, cl, 0);
        } else if (r->story.version >= 0 && story->version > r->story.version) {
            r->dedup_suppress_alert = 1;
            rc = verdict(d, r, GW_STORY_STALE, sid, cl);
        } else {
            c->withdrawn = 0; /* a new version after a withdrawal stands again */
            r->dedup_suppress_alert = c->alert_item != NULL;
            rc = verdict(d, r, mark == GW_STORY_CORRECTION ? GW_STORY_CORRECTION : GW_STORY_UPDATE, sid, cl);
            if (!rc) rc = insert(d, r, &p, cl, 1);
        }
        free(sid);
        return rc;
    }
    if (mark == GW_STORY_WITHDRAWAL) {
        /* Withdraws a story this window never saw (or no longer holds). */
        r->dedup_suppress_alert = 1;
        return verdict(d, r, GW_STORY_WITHDRAWAL, NULL, NO_CLUSTER);
    }
    entry_t *copy = find_copy(d, &p, now);
    if (copy) {
        uint32_t cl = copy->cluster;
        char *cid = gw_strdup(copy->id);
        if (!cid) return GW_ENOMEM;
        r->dedup_suppress_alert = d->c[cl].withdrawn || d->c[cl].alert_item;
        int rc = verdict(d, r, mark != GW_STORY_NEW ? mark : GW_STORY_DUPLICATE, cid, cl);
        free(cid);
        return rc ? rc : insert(d, r, &p, cl, 1);
    }
    int rc = verdict(d, r, mark, NULL, NO_CLUSTER);
    return rc ? rc : insert(d, r, &p, NO_CLUSTER, 1);
}

static int add_rule(const char *id, void *ctx) {
    gw_buf_t *b = ctx;
    if (b->len > 1) gw_buf_putc(b, ',');
    gw_json_str(b, id, strlen(id));
    return b->oom ? GW_ENOMEM : GW_OK;
}

/* After the alerts stage: when this item's alert went out, the story is
 * alerted, so its copies and later versions are not alerted again and a
 * withdrawal retracts this item's alert. */
int gw_dedup_alerted_run(gw_record_t *r, const gw_env_t *env) {
    gw_dedup_t *d = env->dedup;
    if (!d || !r->n_alerts || r->dedup_suppress_alert || d->cur_cluster == NO_CLUSTER) return GW_OK;
    cluster_t *c = &d->c[d->cur_cluster];
    if (c->alert_item) return GW_OK; /* a redelivery of the alerting item */
    gw_buf_t rules;
    gw_buf_init(&rules);
    gw_buf_putc(&rules, '[');
    int rc = gw_record_each_alert_rule(r, add_rule, &rules);
    gw_buf_putc(&rules, ']');
    char *item = gw_strdup(r->id);
    if (rc == GW_OK && (rules.oom || !item)) rc = GW_ENOMEM;
    if (rc != GW_OK) {
        free(item);
        gw_buf_free(&rules);
        return rc;
    }
    c->alert_item = item;
    c->alert_rules = gw_buf_steal(&rules, NULL);
    d->string_bytes += strlen(item) + 1 + strlen(c->alert_rules) + 1;
    if (d->cur_seq) at(d, d->cur_seq)->alerted_here = 1;
    return GW_OK;
}
