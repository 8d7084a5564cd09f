/*
 * match.c - a byte trie over folded patterns, walked from every word start.
 *
 * Leftmost-longest over whole words means only word starts can begin a
 * match, so a plain trie walk from each start is enough (no failure links):
 * the work per start is bounded by the longest pattern prefix present in the
 * text there, independent of how many patterns exist. The folded text lists
 * its starts (gw_text_t.starts, found once while folding), so the several
 * matchers that scan one text do not classify its characters again. Transitions live in
 * one open-addressing table keyed by (node, byte); the root has a direct
 * 256-entry array because every start position probes it.
 *
 * Node 0 is the root, so a child id of 0 means "no child". A table slot packs
 * parent, byte and child into one 64-bit word (28-bit node ids).
 *
 * The hash table serves construction only. gw_matcher_build renumbers the
 * nodes breadth-first and stores each node's children with consecutive ids:
 * the shallow nodes every word start visits then sit together in a few
 * cache lines, where the hashed slots were spread over megabytes (the scan
 * was bound by those cache misses, perf showed the lookup at 18% of the
 * daemon). A node's bytes are a sorted run when it has a few children, a
 * dense 256-byte table when it has many (the root's letters and the level
 * under them, where a run took a binary search and a loop per byte).
 */
#include "geowire/match.h"
#include "geowire/common.h"

#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

typedef struct {
    uint32_t value;
    unsigned flags;
    size_t orig_off, orig_len; /* pattern's original bytes in m->blob */
    int32_t next;              /* next pattern ending at the same node */
} pat_t;

struct gw_matcher {
    uint32_t root[256];
    uint32_t nnodes, node_cap;
    int32_t *head, *tail;      /* per node: patterns ending here, insertion order */
    uint64_t *hslots;          /* key(node<<8|byte) << 28 | child; 0 = empty */
    size_t hcap, hcount;
    pat_t *pats;
    size_t npats, pcap;
    char *blob;
    size_t blen, bcap;
    gw_text_t scratch;
    int frozen;
    /* built: per node (breadth-first ids) its children's first id, their
     * count, the first pattern ending there, and the children's bytes: up
     * to NARROW of them in `bytes` itself, in order, the unused ones
     * repeating the last; a wider node's in a dense table of 256 bytes at
     * dense + bytes (1 + the child's index, 0 for none) */
    struct node { uint32_t first, bytes, n; int32_t head; } *nodes;
    uint8_t *dense;
};

/* Most nodes have one child, nearly all at most four: their bytes fit in
 * the node's own word and are compared at once, with no second memory
 * read. The few wider ones (the root's letters, the level under them)
 * cost a 256-byte table each. */
#define NARROW 4


#define NODE_BITS 28
#define NODE_MASK ((1ull << NODE_BITS) - 1)

static inline uint64_t hkey_of(uint32_t node, unsigned char b) {
    return ((uint64_t)node << 8) | b;
}

static inline size_t hslot(uint64_t key, size_t cap) {
    key = (key + 1) * 0x9E3779B97F4A7C15ull;
    return (size_t)(key >> 32) & (cap - 1);
}

/* The child of a built node. For a narrow node, the bytes equal to b
 * become zero bytes of x, and the lowest set bit of z marks the first of
 * them (the usual zero-byte test: a borrow only runs upwards from a true
 * zero, so the lowest mark is exact). */
static inline uint32_t child(const gw_matcher_t *m, uint32_t node, unsigned char b) {
    const struct node *n = &m->nodes[node];
    if (n->n > NARROW) {
        unsigned x = m->dense[n->bytes + b];
        return x ? n->first + x - 1 : 0;
    }
    uint32_t x = n->bytes ^ (b * 0x01010101u);
    uint32_t z = (x - 0x01010101u) & ~x & 0x80808080u;
    if (!z) return 0;
    uint32_t idx = (uint32_t)__builtin_ctz(z) >> 3;
    return idx < n->n ? n->first + idx : 0;
}

/* The child of a node during construction. */
static uint32_t child_hashed(const gw_matcher_t *m, uint32_t node, unsigned char b) {
    if (node == 0) return m->root[b];
    if (!m->hcap) return 0;
    uint64_t key = hkey_of(node, b);
    size_t i = hslot(key, m->hcap);
    for (;;) {
        uint64_t v = m->hslots[i];
        if (!v) return 0;
        if ((v >> NODE_BITS) == key) return (uint32_t)(v & NODE_MASK);
        i = (i + 1) & (m->hcap - 1);
    }
}

static int hgrow(gw_matcher_t *m) {
    size_t cap = m->hcap ? m->hcap * 2 : 1024;
    uint64_t *k = gw_calloc(cap, sizeof(*k));
    if (!k) return GW_ENOMEM;
    for (size_t i = 0; i < m->hcap; i++) {
        uint64_t v = m->hslots[i];
        if (!v) continue;
        size_t s = hslot(v >> NODE_BITS, cap);
        while (k[s]) s = (s + 1) & (cap - 1);
        k[s] = v;
    }
    free(m->hslots);
    m->hslots = k;
    m->hcap = cap;
    return GW_OK;
}

static int new_node(gw_matcher_t *m, uint32_t *id) {
    if (m->nnodes == m->node_cap) {
        if (m->node_cap >= (uint32_t)NODE_MASK / 2) return GW_ELIMIT;
        uint32_t cap = m->node_cap * 2;
        int32_t *h = gw_realloc(m->head, cap * sizeof(*h));
        if (!h) return GW_ENOMEM;
        m->head = h;
        int32_t *t = gw_realloc(m->tail, cap * sizeof(*t));
        if (!t) return GW_ENOMEM;
        m->tail = t;
        m->node_cap = cap;
    }
    *id = m->nnodes++;
    m->head[*id] = m->tail[*id] = -1;
    return GW_OK;
}

static int add_child(gw_matcher_t *m, uint32_t node, unsigned char b, uint32_t *out) {
    uint32_t c = child_hashed(m, node, b);
    if (c) { *out = c; return GW_OK; }
    if (node != 0 && (m->hcount + 1) * 2 > m->hcap && hgrow(m)) return GW_ENOMEM;
    int rc = new_node(m, &c);
    if (rc) return rc;
    if (node == 0) {
        m->root[b] = c;
    } else {
        uint64_t key = hkey_of(node, b);
        size_t i = hslot(key, m->hcap);
        while (m->hslots[i]) i = (i + 1) & (m->hcap - 1);
        m->hslots[i] = (key << NODE_BITS) | c;
        m->hcount++;
    }
    *out = c;
    return GW_OK;
}

gw_matcher_t *gw_matcher_new(void) {
    gw_matcher_t *m = gw_calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->node_cap = 1024;
    m->head = gw_malloc(m->node_cap * sizeof(int32_t));
    m->tail = gw_malloc(m->node_cap * sizeof(int32_t));
    if (!m->head || !m->tail) { gw_matcher_free(m); return NULL; }
    m->nnodes = 1;
    m->head[0] = m->tail[0] = -1;
    gw_text_init(&m->scratch);
    return m;
}

void gw_matcher_free(gw_matcher_t *m) {
    if (!m) return;
    free(m->head);
    free(m->tail);
    free(m->hslots);
    free(m->pats);
    free(m->blob);
    free(m->nodes);
    free(m->dense);
    gw_text_free(&m->scratch);
    free(m);
}

size_t gw_matcher_count(const gw_matcher_t *m) { return m ? m->npats : 0; }

static int is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int gw_matcher_add(gw_matcher_t *m, const char *pattern, size_t len, uint32_t value,
                   unsigned flags) {
    if (!m || !pattern || m->frozen) return GW_EINVAL;
    if (!gw_utf8_valid(pattern, len) || memchr(pattern, '\0', len)) return GW_EINVAL;
    while (len && is_ascii_space(pattern[0])) { pattern++; len--; }
    while (len && is_ascii_space(pattern[len - 1])) len--;
    if (!len) return GW_EINVAL;
    if (gw_text_fold(&m->scratch, pattern, len)) return GW_ENOMEM;
    const char *f = m->scratch.fold;
    size_t fl = m->scratch.fold_len;
    while (fl && f[0] == ' ') { f++; fl--; }
    while (fl && f[fl - 1] == ' ') fl--;
    if (!fl) return GW_EINVAL; /* only spaces or invisible characters */

    if (m->npats == m->pcap) {
        size_t cap = m->pcap ? m->pcap * 2 : 256;
        pat_t *p = gw_realloc(m->pats, cap * sizeof(*p));
        if (!p) return GW_ENOMEM;
        m->pats = p;
        m->pcap = cap;
    }
    if (m->blen + len > m->bcap) {
        size_t cap = m->bcap ? m->bcap : 4096;
        while (cap < m->blen + len) cap *= 2;
        char *b = gw_realloc(m->blob, cap);
        if (!b) return GW_ENOMEM;
        m->blob = b;
        m->bcap = cap;
    }
    uint32_t node = 0;
    for (size_t i = 0; i < fl; i++) {
        int rc = add_child(m, node, (unsigned char)f[i], &node);
        if (rc) return rc;
    }

    int32_t idx = (int32_t)m->npats++;
    pat_t *p = &m->pats[idx];
    p->value = value;
    p->flags = flags & (GW_MATCH_PREFIX | GW_MATCH_CASE);
    p->orig_off = m->blen;
    p->orig_len = len;
    p->next = -1;
    memcpy(m->blob + m->blen, pattern, len);
    m->blen += len;
    if (m->tail[node] < 0) m->head[node] = idx;
    else m->pats[m->tail[node]].next = idx;
    m->tail[node] = idx;
    return GW_OK;
}

/* Renumbers the trie breadth-first (children of a node get consecutive ids
 * in byte order) into nodes, and drops the construction hash. */
static int freeze(gw_matcher_t *m) {
    uint32_t nn = m->nnodes;
    /* children of each old node, grouped: count, prefix sums, fill */
    uint32_t *cnt = gw_calloc((size_t)nn + 1, sizeof(uint32_t));
    uint32_t *ekid = gw_malloc(((size_t)m->hcount + 256) * sizeof(uint32_t));
    uint8_t *ebyte = gw_malloc((size_t)m->hcount + 256);
    uint32_t *newid = gw_malloc((size_t)nn * sizeof(uint32_t)), *order = gw_malloc((size_t)nn * sizeof(uint32_t));
    struct node *nodes = gw_calloc(nn, sizeof(*nodes));
    uint8_t *dense = NULL;
    int rc = GW_ENOMEM;
    if (!cnt || !ekid || !ebyte || !newid || !order || !nodes) goto out;
    for (size_t i = 0; i < m->hcap; i++)
        if (m->hslots[i]) cnt[(m->hslots[i] >> NODE_BITS) >> 8]++;
    for (unsigned b = 0; b < 256; b++) cnt[0] += m->root[b] != 0;
    uint32_t sum = 0;
    for (uint32_t i = 0; i <= nn; i++) { uint32_t c = cnt[i]; cnt[i] = sum; sum += c; }
    /* cnt[i] is now the start of node i's run; fill in byte order per node:
     * root first, then the hash slots (sorted per node below) */
    for (unsigned b = 0; b < 256; b++)
        if (m->root[b]) { ebyte[cnt[0]] = (uint8_t)b; ekid[cnt[0]++] = m->root[b]; }
    for (size_t i = 0; i < m->hcap; i++) {
        uint64_t v = m->hslots[i];
        if (!v) continue;
        uint32_t parent = (uint32_t)((v >> NODE_BITS) >> 8);
        ebyte[cnt[parent]] = (uint8_t)((v >> NODE_BITS) & 0xFF);
        ekid[cnt[parent]++] = (uint32_t)(v & NODE_MASK);
    }
    /* cnt[i] is now the end of node i's run, its start is cnt[i-1] (0 for the root) */
    for (uint32_t i = 1; i < nn; i++) { /* few children each: insertion sort by byte */
        uint32_t a = cnt[i - 1], e = cnt[i];
        for (uint32_t x = a + 1; x < e; x++)
            for (uint32_t y = x; y > a && ebyte[y - 1] > ebyte[y]; y--) {
                uint8_t tb = ebyte[y]; ebyte[y] = ebyte[y - 1]; ebyte[y - 1] = tb;
                uint32_t tk = ekid[y]; ekid[y] = ekid[y - 1]; ekid[y - 1] = tk;
            }
    }
    /* breadth-first: order[] lists old ids by new id */
    size_t nwide = 0;
    for (uint32_t i = 0; i < nn; i++) nwide += cnt[i] - (i ? cnt[i - 1] : 0) > NARROW;
    if (nwide > UINT32_MAX / 256) goto out;
    dense = gw_calloc(nwide ? nwide : 1, 256);
    if (!dense) goto out;
    uint32_t qn = 1, doff = 0;
    order[0] = 0;
    newid[0] = 0;
    for (uint32_t q = 0; q < qn; q++) {
        uint32_t old = order[q], a = old ? cnt[old - 1] : 0, e = cnt[old];
        nodes[q].first = qn;
        nodes[q].n = e - a;
        nodes[q].head = m->head[old];
        if (e - a > NARROW) {
            /* at most 243 children: patterns are UTF-8 without NUL */
            nodes[q].bytes = doff;
            for (uint32_t x = a; x < e; x++) dense[doff + ebyte[x]] = (uint8_t)(x - a + 1);
            doff += 256;
        } else {
            uint32_t w = 0;
            for (uint32_t x = 0; x < NARROW; x++) /* byte x in bits 8x to 8x+7 */
                w |= (uint32_t)(a + x < e ? ebyte[a + x] : e > a ? ebyte[e - 1] : 0) << (8 * x);
            nodes[q].bytes = w;
        }
        for (uint32_t x = a; x < e; x++) {
            newid[ekid[x]] = qn;
            order[qn++] = ekid[x];
        }
    }
    for (unsigned b = 0; b < 256; b++) m->root[b] = m->root[b] ? newid[m->root[b]] : 0;
    free(m->head);
    free(m->tail);
    m->head = m->tail = NULL;
    m->nodes = nodes;
    m->dense = dense;
    nodes = NULL;
    dense = NULL;
    free(m->hslots);
    m->hslots = NULL;
    m->hcap = m->hcount = 0;
    rc = GW_OK;
out:
    free(cnt); free(ekid); free(ebyte); free(newid); free(order); free(nodes); free(dense);
    return rc;
}

int gw_matcher_build(gw_matcher_t *m) {
    if (!m) return GW_EINVAL;
    if (!m->frozen && freeze(m) != GW_OK) return GW_ENOMEM;
    m->frozen = 1;
    gw_text_free(&m->scratch);
    return GW_OK;
}

/* ---- scanning ------------------------------------------------------------- */

typedef struct {
    int word, unspaced;
} cls_t;

static inline cls_t cls_at(const char *f, size_t len, size_t i, int *n) {
    unsigned char c = (unsigned char)f[i];
    cls_t r;
    if (c < 0x80) {
        *n = 1;
        r.word = gw_cp_is_word(c);
        r.unspaced = 0;
        return r;
    }
    int32_t cp;
    *n = gw_utf8_decode_wide(f, len, i, &cp);
    unsigned k = cp >= 0 ? gw_cp_class(cp) : 0;
    r.word = (k & GW_CP_WORD) != 0;
    r.unspaced = (k & GW_CP_UNSPACED) != 0;
    return r;
}

/* Class of the code point that ends just before j (j > 0). */
static cls_t cls_before(const char *f, size_t len, size_t j) {
    size_t k = j - 1;
    while (k > 0 && ((unsigned char)f[k] & 0xC0) == 0x80 && j - k < 4) k--;
    int n;
    return cls_at(f, len, k, &n);
}

/* Where a candidate that matched the bytes [i, j) may end. */
typedef struct {
    size_t plain;   /* j if the right boundary holds, else NONE */
    size_t prefix;  /* end of the word containing j-1 */
} ends_t;

static ends_t node_ends(const gw_text_t *t, size_t j) {
    const char *f = t->fold;
    size_t len = t->fold_len;
    ends_t e = {NONE, j};
    if (j == len) { e.plain = j; return e; }
    int n;
    cls_t next = cls_at(f, len, j, &n);
    if (!next.word || next.unspaced || cls_before(f, len, j).unspaced) e.plain = j;
    size_t k = j;
    while (k < len) {
        cls_t c = cls_at(f, len, k, &n);
        if (!c.word || c.unspaced) break;
        k += (size_t)n;
    }
    e.prefix = k;
    return e;
}

static size_t cand_end(const gw_matcher_t *m, const gw_text_t *t, const pat_t *p, size_t i,
                       ends_t e) {
    size_t end = (p->flags & GW_MATCH_PREFIX) ? e.prefix : e.plain;
    if (end == NONE) return NONE;
    if (p->flags & GW_MATCH_CASE) {
        uint32_t s, oe;
        gw_text_span(t, i, end, &s, &oe);
        size_t ol = oe - s;
        const char *pat = m->blob + p->orig_off;
        if (p->flags & GW_MATCH_PREFIX) {
            if (ol < p->orig_len || memcmp(t->orig + s, pat, p->orig_len)) return NONE;
        } else if (ol != p->orig_len || memcmp(t->orig + s, pat, ol)) {
            return NONE;
        }
    }
    return end;
}

typedef struct {
    gw_match_t *out;
    size_t max, count;
    int *truncated;
} sink_t;

static int put(const gw_text_t *t, sink_t *k, size_t i, size_t end, uint32_t value) {
    if (k->count >= k->max) { *k->truncated = 1; return 1; }
    gw_match_t *o = &k->out[k->count++];
    gw_text_span(t, i, end, &o->start, &o->end);
    o->fstart = (uint32_t)i;
    o->fend = (uint32_t)end;
    o->value = value;
    return 0;
}

/* Tries every pattern that starts at folded offset i, resuming the walk at
 * `node`, reached by the bytes [i, j), where the first pattern ends. Returns
 * the end of the chosen span (and writes its values), or 0 when nothing
 * matches there. Sets *stop when the output is full. */
static size_t try_at(const gw_matcher_t *m, const gw_text_t *t, size_t i, uint32_t node, size_t j,
                     sink_t *k, int *stop) {
    const char *f = t->fold;
    size_t len = t->fold_len;
    size_t best = 0, nbest_nodes = 0;
    uint32_t best_node = 0, counted = 0;
    ends_t best_e = {NONE, 0}; /* the ends at best_node, kept for the write below */
    while (node) {
        if (m->nodes[node].head >= 0) {
            ends_t e = node_ends(t, j);
            for (int32_t p = m->nodes[node].head; p >= 0; p = m->pats[p].next) {
                size_t end = cand_end(m, t, &m->pats[p], i, e);
                if (end == NONE) continue;
                if (end > best) {
                    best = end;
                    nbest_nodes = 1;
                    best_node = counted = node;
                    best_e = e;
                } else if (end == best && counted != node) {
                    nbest_nodes++;
                    counted = node;
                }
            }
        }
        if (j >= len) break;
        node = child(m, node, (unsigned char)f[j]);
        j++;
    }
    if (!best) return 0;

    if (nbest_nodes == 1) {
        for (int32_t p = m->nodes[best_node].head; p >= 0; p = m->pats[p].next) {
            if (cand_end(m, t, &m->pats[p], i, best_e) != best) continue;
            if (put(t, k, i, best, m->pats[p].value)) { *stop = 1; return best; }
        }
        return best;
    }
    /* Several nodes share the longest span (prefix patterns ending where a
     * longer pattern ends): merge their lists by insertion index. Each list
     * is already in order, so collect and sort when they fit on the stack,
     * else fall back to repeated minimum search (no allocation in a scan). */
    int32_t cand[256];
    size_t nc = 0;
    int overflow = 0;
    node = 0;
    for (size_t jj = i; jj < len && !overflow;) {
        node = child(m, node, (unsigned char)f[jj++]);
        if (!node) break;
        if (m->nodes[node].head < 0) continue;
        ends_t e = node_ends(t, jj);
        for (int32_t p = m->nodes[node].head; p >= 0; p = m->pats[p].next) {
            if (cand_end(m, t, &m->pats[p], i, e) != best) continue;
            if (nc == sizeof(cand) / sizeof(cand[0])) { overflow = 1; break; }
            cand[nc++] = p;
        }
    }
    if (!overflow) {
        for (size_t a = 1; a < nc; a++) { /* insertion sort: few, mostly sorted */
            int32_t v = cand[a];
            size_t b = a;
            while (b > 0 && cand[b - 1] > v) { cand[b] = cand[b - 1]; b--; }
            cand[b] = v;
        }
        for (size_t a = 0; a < nc; a++)
            if (put(t, k, i, best, m->pats[cand[a]].value)) { *stop = 1; break; }
        return best;
    }
    int32_t last = -1;
    for (;;) {
        int32_t pick = -1;
        node = 0;
        for (size_t jj = i; jj < len;) {
            node = child(m, node, (unsigned char)f[jj++]);
            if (!node) break;
            if (m->nodes[node].head < 0) continue;
            ends_t e = node_ends(t, jj);
            for (int32_t p = m->nodes[node].head; p >= 0; p = m->pats[p].next) {
                if (p <= last) continue;
                if (pick >= 0 && p >= pick) break;
                if (cand_end(m, t, &m->pats[p], i, e) == best) { pick = p; break; }
            }
        }
        if (pick < 0) break;
        if (put(t, k, i, best, m->pats[pick].value)) { *stop = 1; break; }
        last = pick;
    }
    return best;
}

size_t gw_matcher_scan(const gw_matcher_t *m, const gw_text_t *t, gw_match_t *out, size_t max,
                       int *truncated) {
    int trunc_local = 0;
    if (!truncated) truncated = &trunc_local;
    *truncated = 0;
    if (!m || !m->frozen || !t || !t->fold || !t->fold_len) return 0;
    sink_t k = {out, out ? max : 0, 0, truncated};
    const unsigned char *f = (const unsigned char *)t->fold;
    int stop = 0;
    size_t next = 0; /* the end of the last match: no match overlaps it */
    const uint32_t *starts = t->starts;
    const struct node *nodes = m->nodes;
    for (size_t s = 0, ns = t->n_starts; s < ns; s++) {
        size_t i = starts[s];
        if (i < next) continue;
        /* Most starts end on no pattern: walk the trie until a node where
         * one ends, and leave the choice of a span to try_at only then. The
         * walk needs no bound: the folded text ends in a NUL, and no node
         * has a child on it (patterns hold no NUL, gw_matcher_add). */
        uint32_t node = m->root[f[i]];
        size_t j = i + 1;
        while (node && nodes[node].head < 0) node = child(m, node, f[j++]);
        if (!node) continue;
        size_t end = try_at(m, t, i, node, j, &k, &stop);
        if (stop) break;
        if (end) next = end;
    }
    return k.count;
}
