/*
 * dedup.c - duplicate stories and story versions over a bounded window
 * (the model is described in dedup.h and README "Deduplication and story
 * versions").
 *
 * The window is a ring of fixed-size entries in arrival order holding at
 * most window_items of them; when full, a new entry pushes out the oldest.
 * Entries are found through chained hash indexes (the item id, the exact
 * text hash, and one per LSH band) whose links are entry sequence numbers:
 * a chain runs from newest to oldest, so a walk stops at the first sequence
 * number that has left the ring, and nothing is ever unlinked. The ring has
 * a power-of-two number of slots, so a link is followed with a mask rather
 * than a division, and each index keeps its keys and links in an array of
 * its own, so a walk reads 16 bytes a step instead of a scattered entry.
 * Stories (clusters) live in a table of window_items slots,
 * reference-counted by their entries. The band chains' old part is also
 * kept frozen side by side per band key (see freeze()).
 */
#include "geowire/dedup.h"
#include "geowire/common.h"
#include "geowire/text.h"
#include "geowire/words.h"

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
#define FREEZE_EVERY 1024      /* inserts between two rebuilds of the frozen bands */

/* An entry's place in one index; valid while the entry is live and held
 * by that index. */
typedef struct {
    uint64_t key;
    uint64_t next;             /* older entry in the same bucket (seq), 0 = none */
} link_t;

typedef struct {
    uint64_t seq;              /* 1-based arrival number; 0 = empty */
    int64_t at_ms;             /* ingest time */
    uint64_t exact;            /* the text hash, held by the index or not */
    uint32_t mh[MH];
    char *id;                  /* the item id (<= GW_DEDUP_MAX_ID bytes) */
    char *dup_of;              /* the verdict given, repeated on redelivery */
    uint8_t status, is_dup;
    uint8_t alerted_here;      /* this item's alert is the story's */
    uint8_t banded;            /* held by the band indexes */
    int64_t version;
    uint32_t cluster;
} entry_t;

/* One entry's place in one band, frozen (see freeze()). */
typedef struct {
    uint64_t key;
    uint64_t seq_band;         /* seq << 6 | band */
} frozen_t;

typedef struct {
    char *id;                  /* the story's first id; NULL = free slot */
    uint32_t refs;
    uint32_t next_free;
    int withdrawn;
    char *alert_item;          /* the item whose alert went out, or NULL */
    char *alert_rules;         /* its rules, a JSON array of ids */
} cluster_t;

struct gw_dedup {
    size_t cap;                /* window_items: live entries at most */
    int64_t window_ms;
    double threshold;
    size_t mask;               /* slots and buckets: mask + 1, a power of two >= cap */
    entry_t *e;                /* ring: seq s lives at e[(s - 1) & mask] */
    link_t *link[NIDX];        /* per index, per slot like e */
    uint8_t (*fp)[MH];         /* per slot: the low byte of each signature value */
    uint64_t *compared;        /* per slot: the last lookup that looked at it */
    uint64_t seq, oldest;      /* live entries: oldest..seq */
    uint64_t *head[NIDX];      /* bucket -> newest seq */
    uint64_t lookups;          /* near-duplicate lookups so far */
    cluster_t *c;
    uint32_t free_cluster;
    size_t n_clusters, string_bytes;
    uint64_t *tok;             /* scratch: word hashes of the current item */
    size_t tok_cap;
    uint64_t *cand;            /* scratch: its near-duplicate candidates */
    size_t cand_cap;
    frozen_t *fz;              /* the band entries up to fz_upto, grouped by bucket */
    uint32_t *fz_start;        /* per bucket: its first element; fz_buckets + 1 */
    size_t fz_cap, fz_buckets;
    uint64_t fz_upto;          /* entries with seq <= fz_upto are frozen; 0: none */
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

/* A word's (or an id's) hash: its FNV-1a (words.h) mixed with its length. */
static uint64_t hash_bytes(const char *s, size_t n) { return mix(gw_words_hash(s, n) ^ n); }

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
    d->e = gw_calloc(nb, sizeof(*d->e));
    d->c = gw_calloc(d->cap, sizeof(*d->c));
    d->fp = gw_calloc(nb, sizeof(*d->fp));
    d->compared = gw_calloc(nb, sizeof(*d->compared));
    int ok = d->e && d->c && d->fp && d->compared;
    for (int x = 0; ok && x < NIDX; x++)
        ok = (d->head[x] = gw_calloc(nb, sizeof(uint64_t))) && (d->link[x] = gw_calloc(nb, sizeof(link_t)));
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
    for (size_t i = 0; d->e && d->c && i <= d->mask; i++) release_entry(d, &d->e[i]);
    free(d->e);
    free(d->c);
    free(d->fp);
    free(d->compared);
    for (int x = 0; x < NIDX; x++) {
        free(d->head[x]);
        free(d->link[x]);
    }
    free(d->tok);
    free(d->cand);
    free(d->fz);
    free(d->fz_start);
    free(d);
}

void gw_dedup_stats(const gw_dedup_t *d, gw_dedup_stats_t *st) {
    st->items = (size_t)(d->seq - d->oldest + 1);
    st->clusters = d->n_clusters;
    st->string_bytes = d->string_bytes;
}

static size_t slot(const gw_dedup_t *d, uint64_t seq) { return (size_t)(seq - 1) & d->mask; }
static entry_t *at(gw_dedup_t *d, uint64_t seq) { return &d->e[slot(d, seq)]; }
static int live(const gw_dedup_t *d, uint64_t seq) { return seq && seq >= d->oldest && seq <= d->seq; }

/* Entries leave by age from the old end only; an entry of the right age
 * stuck behind an older one (ingest times are not monotonic across
 * partitions) is skipped by find() until it reaches the end. */
static void expire(gw_dedup_t *d, int64_t now_ms) {
    while (d->oldest <= d->seq && at(d, d->oldest)->at_ms < now_ms - d->window_ms)
        release_entry(d, at(d, d->oldest++));
}

/* A walk down the chain of `key` in index x, newest entry first. */
typedef struct {
    int x;
    uint64_t key;
    uint64_t s;                /* the entry to look at next; 0 = the chain is done */
} walk_t;

static walk_t walk_start(const gw_dedup_t *d, int x, uint64_t key) {
    return (walk_t){.x = x, .key = key, .s = d->head[x][key & d->mask]};
}

/* One link: returns the entry it looked at if it holds the key, else 0,
 * and moves on. A walk ends at the first entry that has left the window. */
static uint64_t walk_step(const gw_dedup_t *d, walk_t *w) {
    uint64_t s = w->s;
    if (!live(d, s)) {
        w->s = 0;
        return 0;
    }
    const link_t *l = &d->link[w->x][slot(d, s)];
    w->s = l->next;
    return l->key == w->key ? s : 0;
}

/* Not older than the window's age (see expire()). */
static int young(const gw_dedup_t *d, const entry_t *e, int64_t now_ms) { return e->at_ms >= now_ms - d->window_ms; }

/* The walk's next entry holding its key and young enough, or 0. */
static uint64_t walk_next(const gw_dedup_t *d, walk_t *w, int64_t now_ms) {
    while (w->s) {
        uint64_t s = walk_step(d, w);
        if (s && young(d, &d->e[slot(d, s)], now_ms)) return s;
    }
    return 0;
}

/* The newest entry with this id; with `exact`, the newest that also has
 * this text and version (the item itself, delivered again). */
static entry_t *find_id(gw_dedup_t *d, const char *id, int64_t now_ms, const uint64_t *exact, int64_t version) {
    walk_t w = walk_start(d, IX_ID, hash_bytes(id, strlen(id)));
    for (uint64_t s; (s = walk_next(d, &w, now_ms));) {
        entry_t *e = at(d, s);
        if (!strcmp(e->id, id) && (!exact || (e->exact == *exact && e->version == version))) return e;
    }
    return NULL;
}

/* -------------------------------------------------------- fingerprints */

typedef struct {
    uint64_t exact;
    uint32_t mh[MH];
    int near;                  /* enough shingles for a signature */
} print_t;

/* Stores x at (*v)[n], growing the scratch vector *v of *cap slots. */
static int push(uint64_t **v, size_t *cap, size_t n, uint64_t x) {
    if (n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        uint64_t *nv = gw_realloc(*v, c * sizeof(*nv));
        if (!nv) return GW_ENOMEM;
        *v = nv;
        *cap = c;
    }
    (*v)[n] = x;
    return GW_OK;
}

/* Word hashes of a folded field from folded offset `from` (a word the
 * offset cuts counts as its part after it), from the words the normaliser
 * found: words are runs of letters, marks and digits, so punctuation, case
 * and spacing do not matter. */
static int words(gw_dedup_t *d, const gw_text_t *t, const gw_words_t *ws, size_t from, size_t *n) {
    size_t k = gw_words_after(ws, from);
    *n = 0;
    if (ws->n - k > d->tok_cap) { /* room for every word at once */
        uint64_t *v = gw_realloc(d->tok, (ws->n - k) * sizeof(*v));
        if (!v) return GW_ENOMEM;
        d->tok = v;
        d->tok_cap = ws->n - k;
    }
    gw_word_t cut;
    for (const gw_word_t *w; (w = gw_words_next(ws, t->fold, from, t->fold_len, &k, &cut));)
        d->tok[(*n)++] = mix(w->hash ^ w->len);
    return GW_OK;
}

/* One-permutation MinHash: each shingle is hashed once; the hash's top
 * bits pick one of the MH bins and the bin keeps the least low half seen.
 * (The first version took the minimum of MH separate hashes of every
 * shingle: 64 hash steps per shingle, a quarter of the whole chain's cost.)
 * Bins no shingle fell into are filled by "optimal densification"
 * (Shrivastava, ICML 2017): an empty bin copies the value of the first
 * filled bin in its own pseudo-random probe sequence. Two items probe the
 * same sequence, so a shared empty bin agrees exactly when the bins it
 * copies agree, and the share of equal bins stays an unbiased estimate of
 * the Jaccard similarity of the shingle sets. */
static void signature(uint64_t *tok, size_t n, uint32_t *mh) {
    uint64_t filled = 0;
    for (size_t i = 0; i < n; i++) tok[i] = mix(tok[i]);
    for (size_t i = 0; i + SHINGLE <= n; i++) {
        uint64_t s = mix(tok[i] ^ mix(tok[i + 1] ^ mix(tok[i + 2])));
        unsigned bin = (unsigned)(s >> 58); /* MH = 64 bins */
        uint32_t v = (uint32_t)s;
        uint64_t bit = 1ull << bin;
        if (!(filled & bit) || v < mh[bin]) mh[bin] = v;
        filled |= bit;
    }
    if (!filled) return;
    uint32_t orig[MH];
    memcpy(orig, mh, sizeof(orig));
    for (unsigned k = 0; k < MH; k++) {
        /* mix is a bijection, so the probes reach every bin residue: the
         * loop ends at a filled bin (after MH / filled bins probes on average). */
        uint64_t probe = (uint64_t)k << 32;
        unsigned from = k;
        while (!(filled & (1ull << from))) from = (unsigned)(mix(++probe) & (MH - 1));
        mh[k] = orig[from];
    }
}

/* The body after its dateline ("KUALA LUMPUR (AFP) -" differs between
 * outlets), or the title of a headline-only item. */
static int fingerprint(gw_dedup_t *d, const gw_record_t *r, print_t *p) {
    const gw_text_t *b = &r->text[GW_FIELD_BODY];
    size_t from = 0;
    while (from < b->fold_len && b->map && b->map[from] < r->dateline_end) from++;
    size_t n;
    if (words(d, b, &r->words[GW_FIELD_BODY], from, &n) != GW_OK) return GW_ENOMEM;
    if (!n && words(d, &r->text[GW_FIELD_TITLE], &r->words[GW_FIELD_TITLE], 0, &n) != GW_OK) return GW_ENOMEM;
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) h = mix(h ^ d->tok[i]) + i;
    p->exact = mix(h ^ n);
    p->near = n >= SHINGLE - 1 + MIN_SHINGLES;
    for (int k = 0; k < MH; k++) p->mh[k] = UINT32_MAX;
    if (p->near) signature(d->tok, n, p->mh);
    return GW_OK;
}

static double similarity(const uint32_t *a, const uint32_t *b) {
    int same = 0;
    for (int k = 0; k < MH; k++) same += a[k] == b[k];
    return (double)same / MH;
}

/* Equal values have equal low bytes, so the share of equal bytes is at
 * least the similarity: a bound read from one cache line, where the
 * signature takes four. */
static double similarity_bound(const uint8_t *a, const uint8_t *b) {
    int same = 0;
    for (int k = 0; k < MH; k++) same += a[k] == b[k];
    return (double)same / MH;
}

static uint64_t band_key(const uint32_t *mh, int b) {
    return mix(((uint64_t)mh[b * ROWS] << 32 | mh[b * ROWS + 1]) ^ (uint64_t)b);
}

static size_t fz_bucket(const gw_dedup_t *d, uint64_t key, int b) {
    return (size_t)(key ^ ((uint64_t)b * 0x9e3779b97f4a7c15ULL)) & (d->fz_buckets - 1);
}

/* Rebuilds the frozen bands from the live entries (every FREEZE_EVERY
 * inserts). At a full window of template-like stories (market reports,
 * results, the bench's corpus) one band key is shared by hundreds of
 * entries, and walking their chain costs a dependent cache miss per entry:
 * that load alone was a third of dedup's time at a full window. Frozen, the
 * entries of one key lie side by side in one bucket and are read in
 * sequence; only entries newer than the rebuild are found through the
 * chains. The chains still hold every entry, so a failed rebuild (out of
 * memory) only means longer walks. A counting sort by bucket: two passes over
 * the live entries, about 30 instructions per entry and band. */
static void freeze(gw_dedup_t *d) {
    size_t n = 0;
    for (uint64_t s = d->oldest; s <= d->seq; s++) n += at(d, s)->banded ? BANDS : 0;
    size_t nb = 1024;
    while (nb < n) nb <<= 1;
    if (n > d->fz_cap) {
        frozen_t *f = gw_realloc(d->fz, n * sizeof(*f));
        if (!f) return;
        d->fz = f;
        d->fz_cap = n;
    }
    if (nb != d->fz_buckets) {
        uint32_t *st = gw_realloc(d->fz_start, (nb + 1) * sizeof(*st));
        if (!st) return;
        d->fz_start = st;
        d->fz_buckets = nb;
    }
    uint32_t *st = d->fz_start;
    memset(st, 0, (nb + 1) * sizeof(*st));
    for (uint64_t s = d->oldest; s <= d->seq; s++) {
        const entry_t *e = at(d, s);
        for (int b = 0; e->banded && b < BANDS; b++) st[fz_bucket(d, band_key(e->mh, b), b) + 1]++;
    }
    for (size_t i = 0; i < nb; i++) st[i + 1] += st[i];
    /* st[i] is now where bucket i starts; placing moves it to its end, so
     * the place pass leaves st[i] = start of bucket i + 1: shift back. */
    for (uint64_t s = d->oldest; s <= d->seq; s++) {
        const entry_t *e = at(d, s);
        for (int b = 0; e->banded && b < BANDS; b++) {
            uint64_t k = band_key(e->mh, b);
            d->fz[st[fz_bucket(d, k, b)]++] = (frozen_t){.key = k, .seq_band = s << 6 | (uint64_t)b};
        }
    }
    memmove(st + 1, st, nb * sizeof(*st));
    st[0] = 0;
    d->fz_upto = d->seq;
}

/* The entries sharing a band with signature `mh`, into d->cand (an entry
 * once per band it shares): the frozen ones from their buckets, the newer
 * ones from the band chains, down to the last frozen entry. The chains are
 * walked side by side, one link of each in turn: their links are
 * independent loads, mostly cache misses, which the processor then waits
 * for together rather than one after another. */
static int band_candidates(gw_dedup_t *d, const uint32_t *mh, size_t *n) {
    walk_t band[BANDS];
    int walking[BANDS], nw = 0; /* the bands whose chains still hold unfrozen entries, in band order */
    *n = 0;
    for (int b = 0; b < BANDS; b++) {
        uint64_t k = band_key(mh, b);
        band[b] = walk_start(d, IX_BAND + b, k);
        if (band[b].s > d->fz_upto) walking[nw++] = b;
        if (!d->fz_upto) continue;
        size_t bk = fz_bucket(d, k, b);
        for (uint32_t i = d->fz_start[bk]; i < d->fz_start[bk + 1]; i++) {
            const frozen_t *f = &d->fz[i];
            uint64_t s = f->seq_band >> 6;
            if (f->key != k || (int)(f->seq_band & 63) != b || !live(d, s)) continue;
            if (push(&d->cand, &d->cand_cap, *n, s) != GW_OK) return GW_ENOMEM;
            (*n)++;
        }
    }
    /* A round takes one link of each band still walking; one that ends (or
     * reaches the frozen entries) leaves the list, so the rounds of a long
     * chain do not pass over the finished ones (32 tests a round). The
     * candidates come in the same order as when every band was tested every
     * round. */
    while (nw) {
        int kept = 0;
        for (int k = 0; k < nw; k++) {
            walk_t *w = &band[walking[k]];
            uint64_t s = walk_step(d, w);
            if (s) {
                if (push(&d->cand, &d->cand_cap, *n, s) != GW_OK) return GW_ENOMEM;
                (*n)++;
            }
            if (w->s > d->fz_upto) walking[kept++] = walking[k];
        }
        nw = kept;
    }
    return GW_OK;
}

/* The best earlier copy of this text: an exact match, else the most
 * similar signature at or above the threshold (ties: the oldest). Withdrawal
 * notices are not in these indexes: their text is an advisory, not the story.
 * *copy is NULL when there is none. */
static int find_copy(gw_dedup_t *d, const print_t *p, int64_t now_ms, entry_t **copy) {
    walk_t w = walk_start(d, IX_EXACT, p->exact);
    uint64_t s = walk_next(d, &w, now_ms);
    *copy = s ? at(d, s) : NULL;
    if (s || !p->near) return GW_OK;
    size_t n;
    if (band_candidates(d, p->mh, &n) != GW_OK) return GW_ENOMEM;
    double best_sim = d->threshold - 1e-9;
    uint64_t lookup = ++d->lookups;
    uint8_t fp[MH];
    for (int k = 0; k < MH; k++) fp[k] = (uint8_t)p->mh[k];
    for (size_t i = 0; i < n; i++) {
        /* The bounds are cache misses too: ask for a few ahead. */
        if (i + 4 < n) __builtin_prefetch(d->fp[slot(d, d->cand[i + 4])]);
        size_t sl = slot(d, d->cand[i]);
        if (d->compared[sl] == lookup) continue; /* met in another band */
        d->compared[sl] = lookup;
        /* Most candidates share a band or two and no more: their bound
         * already falls short of the best so far (or of the threshold). */
        if (similarity_bound(fp, d->fp[sl]) < best_sim) continue;
        entry_t *e = &d->e[sl];
        if (!young(d, e, now_ms)) continue;
        double sim = similarity(p->mh, e->mh);
        if (sim > best_sim || (sim == best_sim && *copy && e->seq < (*copy)->seq)) {
            *copy = e;
            best_sim = sim;
        }
    }
    return GW_OK;
}

/* ------------------------------------------------------------ updating */

static int set_str(char **dst, const char *s) {
    free(*dst);
    *dst = s ? gw_strdup(s) : NULL;
    return s && !*dst ? GW_ENOMEM : GW_OK;
}

/* Makes entry `seq` the newest of its bucket in index x. */
static void link_in(gw_dedup_t *d, int x, uint64_t seq, uint64_t key) {
    uint64_t *h = &d->head[x][key & d->mask];
    d->link[x][slot(d, seq)] = (link_t){.key = key, .next = *h};
    *h = seq;
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
    if (d->seq - d->oldest + 1 >= d->cap) /* the window is full */
        release_entry(d, at(d, d->oldest++));
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
    e->exact = p->exact;
    memcpy(e->mh, p->mh, sizeof(e->mh));
    for (int k = 0; k < MH; k++) d->fp[slot(d, seq)][k] = (uint8_t)p->mh[k];
    link_in(d, IX_ID, seq, hash_bytes(r->id, idlen));
    if (text_indexed) link_in(d, IX_EXACT, seq, p->exact);
    e->banded = text_indexed && p->near;
    for (int b = 0; e->banded && b < BANDS; b++) link_in(d, IX_BAND + b, seq, band_key(p->mh, b));
    if (d->seq - d->fz_upto >= FREEZE_EVERY) freeze(d);
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
    entry_t *copy;
    if (find_copy(d, &p, now, &copy) != GW_OK) return GW_ENOMEM;
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
