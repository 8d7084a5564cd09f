/*
 * text.c - UTF-8 validation/repair and the folded view used by the matcher.
 *
 * Folding works segment by segment: a segment is a starter code point plus
 * the non-starters (combining marks, Hangul medial/final jamo) that follow
 * it. NFC composition never crosses a segment boundary, so each segment can
 * be normalised on its own and every folded byte it yields maps back to the
 * segment's first byte. That keeps spans on whole characters: "e\u0301"
 * folds to "é" and maps back to all three original bytes.
 *
 * Turkish capital dotted I (U+0130) case-folds to "i\u0307". We drop a
 * U+0307 that directly follows "i" inside one segment, so "İstanbul" (and
 * its NFD form "I\u0307stanbul") fold to "istanbul" and match the pattern
 * most dictionaries carry. The dot above is not distinctive for an i that
 * already has a dot; what gets lost is only Lithuanian-style i\u0307\u0301
 * nuance, which nothing in geowire depends on.
 */
#include "geowire/text.h"
#include "geowire/common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define FOLD_OPTS (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD)

/* ---- eight ASCII bytes at a time ------------------------------------------- */

/* SWAR over a uint64_t (gw_load8: byte k of the text is byte k of the
 * word whatever the machine's byte order); every test below leaves its
 * answer in the high bit of each byte. All of them are exact per byte only
 * for ASCII bytes (below 0x80), which is all they are given: no carry
 * crosses a byte. */
#define B8(x) (0x0101010101010101ull * (uint8_t)(x))
#define HIGH B8(0x80)

static inline void store8(char *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* Bytes of v (all ASCII) that are >= lo, for 0 < lo <= 0x80. */
#define GE(v, lo) (((v) + B8(0x80 - (lo))) & HIGH)
/* Bytes of v (all ASCII) equal to c. */
static inline uint64_t eq8(uint64_t v, unsigned char c) {
    uint64_t x = v ^ B8(c);
    return ~((x + B8(0x7F)) | x) & HIGH;
}

/* The end of the ASCII run starting at i: the first byte >= 0x80, or len. */
static size_t ascii_end(const char *s, size_t len, size_t i) {
    while (i + 8 <= len && !(gw_load8(s + i) & HIGH)) i += 8;
    while (i < len && (unsigned char)s[i] < 0x80) i++;
    return i;
}

/* ---- UTF-8 --------------------------------------------------------------- */

/* The two- and three-byte forms that every script but emoji and rare Han
 * uses, in few steps and inline where the folding reads them; 0 for
 * anything else, which gw_utf8_decode_wide's general path answers. */
static inline int decode_short(const unsigned char *s, size_t len, size_t i, int32_t *cp) {
    unsigned c = s[i];
    if (c >= 0xC2 && c <= 0xDF && i + 1 < len && (s[i + 1] & 0xC0) == 0x80) {
        *cp = (int32_t)((c & 0x1F) << 6 | (s[i + 1] & 0x3F));
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF && i + 2 < len && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
        uint32_t v = (c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
        if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
            *cp = (int32_t)v;
            return 3;
        }
    }
    return 0;
}

int gw_utf8_decode_wide(const char *str, size_t len, size_t i, int32_t *cp) {
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[i];
    if (c < 0x80) { *cp = (int32_t)c; return 1; }
    int short_len = decode_short(s, len, i, cp);
    if (short_len) return short_len;
    size_t n;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; min = 0x10000; }
    else { *cp = -1; return 1; }
    if (i + n > len) { *cp = -1; return 1; }
    for (size_t k = 1; k < n; k++) {
        unsigned cc = s[i + k];
        if ((cc & 0xC0) != 0x80) { *cp = -1; return 1; }
        v = (v << 6) | (cc & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = -1; return 1; }
    *cp = (int32_t)v;
    return (int)n;
}

/* gw_utf8_decode_wide with the common forms inline. */
static inline int decode_at(const char *s, size_t len, size_t i, int32_t *cp) {
    int n = decode_short((const unsigned char *)s, len, i, cp);
    return n ? n : gw_utf8_decode_wide(s, len, i, cp);
}

int gw_utf8_valid(const char *s, size_t len) {
    size_t i = 0;
    while ((i = ascii_end(s, len, i)) < len) {
        int32_t cp;
        int n = decode_at(s, len, i, &cp);
        if (cp < 0) return 0;
        i += (size_t)n;
    }
    return 1;
}

/* Length of the maximal prefix of a broken sequence at s[i] (Unicode's
 * "maximal subpart" practice): one U+FFFD replaces the lead byte plus the
 * continuation bytes that could still have been part of a valid sequence. */
static size_t bad_seq_len(const unsigned char *s, size_t len, size_t i) {
    unsigned c = s[i];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 1;
    size_t k = 1;
    if (i + 1 < len && s[i + 1] >= lo && s[i + 1] <= hi) {
        k = 2;
        while (k < n && i + k < len && (s[i + k] & 0xC0) == 0x80) k++;
    }
    return k;
}

char *gw_utf8_repair(const char *str, size_t len, size_t *outlen, size_t *repairs) {
    const unsigned char *s = (const unsigned char *)str;
    size_t nrep = 0;
    /* Each bad byte grows to at most 3 bytes. */
    if (len > (SIZE_MAX - 1) / 3) return NULL;
    char *out = gw_malloc(len * 3 + 1);
    if (!out) return NULL;
    size_t o = 0, i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c >= 0x01 && c < 0x80) { out[o++] = (char)c; i++; continue; }
        int32_t cp = -1;
        int n = c ? gw_utf8_decode(str, len, i, &cp) : 1;
        if (cp > 0) {
            memcpy(out + o, s + i, (size_t)n);
            o += (size_t)n;
            i += (size_t)n;
            continue;
        }
        out[o++] = (char)0xEF; out[o++] = (char)0xBF; out[o++] = (char)0xBD;
        nrep++;
        i += c ? bad_seq_len(s, len, i) : 1;
    }
    out[o] = '\0';
    if (outlen) *outlen = o;
    if (repairs) *repairs = nrep;
    return out;
}

/* ---- character classes ---------------------------------------------------- */

/* The library's answer, for the tables and for code points above the BMP. */
static int is_word_lib(int32_t cp) {
    if (cp < 0x80) return gw_cp_is_word(cp);
    if (cp > 0x10FFFF) return 0;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

int gw_cp_is_unspaced(int32_t cp) {
    if (cp < 0x0E00) return 0;
    return (cp >= 0x0E00 && cp <= 0x0E7F)        /* Thai */
        || (cp >= 0x0E80 && cp <= 0x0EFF)        /* Lao */
        || (cp >= 0x0F00 && cp <= 0x0FFF)        /* Tibetan */
        || (cp >= 0x1000 && cp <= 0x109F)        /* Myanmar */
        || (cp >= 0x1780 && cp <= 0x17FF)        /* Khmer */
        || (cp >= 0x19E0 && cp <= 0x19FF)        /* Khmer symbols */
        || (cp >= 0x2E80 && cp <= 0x2FDF)        /* CJK radicals, Kangxi */
        || (cp >= 0x3005 && cp <= 0x3007)        /* 々 〆 〇 */
        || (cp >= 0x3021 && cp <= 0x3029)        /* Hangzhou numerals */
        || (cp >= 0x3031 && cp <= 0x3035)        /* kana repeat marks */
        || (cp >= 0x3040 && cp <= 0x30FF)        /* Hiragana, Katakana */
        || (cp >= 0x31F0 && cp <= 0x31FF)        /* Katakana ext */
        || (cp >= 0x3400 && cp <= 0x4DBF)        /* CJK ext A */
        || (cp >= 0x4E00 && cp <= 0x9FFF)        /* CJK unified */
        || (cp >= 0xA9E0 && cp <= 0xA9FF)        /* Myanmar ext B */
        || (cp >= 0xAA60 && cp <= 0xAA7F)        /* Myanmar ext A */
        || (cp >= 0xF900 && cp <= 0xFAFF)        /* CJK compatibility */
        || (cp >= 0xFF66 && cp <= 0xFF9F)        /* half-width Katakana */
        || (cp >= 0x1B000 && cp <= 0x1B16F)      /* Kana supplement/ext */
        || (cp >= 0x20000 && cp <= 0x3134F);     /* CJK ext B..G */
}

/* ---- folding -------------------------------------------------------------- */

void gw_text_init(gw_text_t *t) { memset(t, 0, sizeof(*t)); }

void gw_text_free(gw_text_t *t) {
    free(t->fold);
    free(t->map);
    free(t->starts);
    gw_text_init(t);
}

static int reserve(gw_text_t *t, size_t need) {
    if (need <= t->cap) return GW_OK;
    size_t cap = t->cap ? t->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(uint32_t)) return GW_ENOMEM;
        cap *= 2;
    }
    char *f = gw_realloc(t->fold, cap + 1);
    if (!f) return GW_ENOMEM;
    t->fold = f;
    uint32_t *m = gw_realloc(t->map, (cap + 1) * sizeof(uint32_t));
    if (!m) return GW_ENOMEM;
    t->map = m;
    uint32_t *st = gw_realloc(t->starts, (cap + 1) * sizeof(uint32_t));
    if (!st) return GW_ENOMEM;
    t->starts = st;
    t->cap = cap;
    return GW_OK;
}

/* Code points that continue the segment of the starter before them. */
static int is_nonstarter(int32_t cp) {
    if (cp < 0x300) return 0;
    if (cp >= 0x1160 && cp <= 0x11FF) return 1; /* Hangul V/T jamo compose with L/LV */
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (p->combining_class) return 1;
    return p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_MC ||
           p->category == UTF8PROC_CATEGORY_ME;
}

static int nonstarter_at(const char *s, size_t len, size_t i, int fast);

/* End of the segment starting at i (orig must be valid UTF-8); `fast`
 * reads the per-code-point tables, else utf8proc alone. */
static size_t segment_end(const char *s, size_t len, size_t i, int fast) {
    int32_t cp;
    i += (size_t)gw_utf8_decode(s, len, i, &cp);
    while (i < len && (unsigned char)s[i] >= 0x80) {
        int n = nonstarter_at(s, len, i, fast);
        if (!n) break;
        i += (size_t)n;
    }
    return i;
}

static int is_dropped(int32_t cp) {
    return cp == 0x00AD || (cp >= 0x200B && cp <= 0x200F) || cp == 0x2060 || cp == 0xFEFF ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static int is_space(int32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= '\t' && cp <= '\r');
    if (cp == 0x85 || cp == 0xA0) return 1;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

/* Typographic variants after NFKC + case fold. */
static int32_t post_map(int32_t cp) {
    if (cp < 0x80) return (cp >= '\t' && cp <= '\r') ? ' ' : cp;
    switch (cp) {
    case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: return '\'';
    case 0x201C: case 0x201D: case 0x201E: case 0x201F: return '"';
    case 0x2212: case 0xFE58: case 0xFE63: case 0xFF0D: return '-';
    default: break;
    }
    if (cp >= 0x2010 && cp <= 0x2015) return '-';
    if (is_space(cp)) return ' ';
    return cp;
}

/* Appends one folded code point, collapsing white-space runs. */
static inline int emit(gw_text_t *t, int32_t cp, uint32_t origin) {
    if (cp == ' ' && t->fold_len && t->fold[t->fold_len - 1] == ' ') return GW_OK;
    if (t->fold_len + 4 > t->cap && reserve(t, t->fold_len + 4)) return GW_ENOMEM;
    unsigned char *o = (unsigned char *)t->fold + t->fold_len;
    size_t n;
    if (cp < 0x80) { o[0] = (unsigned char)cp; n = 1; }
    else if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | cp >> 6); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        o[0] = (unsigned char)(0xF0 | cp >> 18);
        o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    /* all four: the room is reserved, and those past n are written over
     * by what follows (or lie past the end) */
    uint32_t *m = t->map + t->fold_len;
    m[0] = m[1] = m[2] = m[3] = origin;
    t->fold_len += n;
    return GW_OK;
}

/* The k-th code point of a normalised segment as the folded text gets it,
 * or -1 when it is left out. */
static int32_t folded_cp(const int32_t *cps, utf8proc_ssize_t k) {
    int32_t cp = cps[k];
    if (cp == 0x0307 && k > 0 && cps[k - 1] == 'i') return -1;
    if (is_dropped(cp)) return -1;
    return post_map(cp);
}

/* Folds one segment orig[a, b) through utf8proc. */
static int fold_segment(gw_text_t *t, const char *orig, size_t a, size_t b) {
    unsigned char sbuf[64];
    int32_t cbuf[64];
    unsigned char *src = sbuf;
    int32_t *cps = cbuf;
    int rc = GW_OK;
    if (b - a > sizeof(sbuf)) {
        src = gw_malloc(b - a);
        if (!src) return GW_ENOMEM;
    }
    /* Drop invisible characters before normalisation so they cannot block a
     * composition. */
    size_t n = 0;
    for (size_t i = a; i < b;) {
        int32_t cp;
        int k = gw_utf8_decode(orig, b, i, &cp);
        if (cp < 0 || !is_dropped(cp)) {
            memcpy(src + n, orig + i, (size_t)k);
            n += (size_t)k;
        }
        i += (size_t)k;
    }
    if (n == 0) goto out;
    utf8proc_ssize_t cap = (utf8proc_ssize_t)(sizeof(cbuf) / sizeof(cbuf[0]));
    utf8proc_ssize_t m = utf8proc_decompose(src, (utf8proc_ssize_t)n, cps, cap, FOLD_OPTS);
    if (m > cap) {
        cps = gw_malloc((size_t)m * sizeof(int32_t));
        if (!cps) { rc = GW_ENOMEM; goto out; }
        m = utf8proc_decompose(src, (utf8proc_ssize_t)n, cps, m, FOLD_OPTS);
    }
    if (m < 0) {
        /* Not valid UTF-8: the caller broke the contract; emit U+FFFD
         * rather than lose the position. */
        rc = emit(t, 0xFFFD, (uint32_t)a);
        goto out;
    }
    m = utf8proc_normalize_utf32(cps, m, FOLD_OPTS);
    if (m < 0) { rc = emit(t, 0xFFFD, (uint32_t)a); goto out; }
    for (utf8proc_ssize_t k = 0; k < m; k++) {
        int32_t cp = folded_cp(cps, k);
        if (cp >= 0 && (rc = emit(t, cp, (uint32_t)a))) break;
    }
out:
    if (src != sbuf) free(src);
    if (cps != cbuf) free(cps);
    return rc;
}

/* ---- per-code-point tables ------------------------------------------------- */

/* utf8proc answers a property lookup in tens of instructions and a folding
 * in hundreds; text is folded and classified code point by code point, so
 * the BMP's answers are kept in tables, one block of 256 code points at a
 * time, filled from the library functions above on first use. They are
 * memos of pure functions (the output never depends on which blocks are
 * filled), written once under a lock and read lock-free after an acquire
 * load of the block's flag; tests compare them with utf8proc over every
 * code point. */
enum { CPF_WORD = GW_CP_WORD, CPF_UNSPACED = GW_CP_UNSPACED, CPF_NONSTARTER = 4 };
enum { LONE_LIB = -1, LONE_DROP = -2 };

typedef struct {
    int32_t lone[256];  /* a lone code point's folded form after post_map, or LONE_* */
    uint8_t flags[256]; /* CPF_* */
} cp_block_t;

static cp_block_t cp_blocks[256];
static atomic_uchar cp_ready[256];
static pthread_mutex_t cp_lock = PTHREAD_MUTEX_INITIALIZER;

/* What folding cp as a segment alone yields, when that is at most one code
 * point: exactly fold_segment's work (the same library calls and rules),
 * done once per code point. */
static int32_t lone_of(int32_t cp) {
    if (is_dropped(cp)) return LONE_DROP;
    utf8proc_uint8_t src[4];
    int32_t cps[64];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, src);
    utf8proc_ssize_t m = utf8proc_decompose(src, n, cps, 64, FOLD_OPTS);
    if (m < 0 || m > 64 || (m = utf8proc_normalize_utf32(cps, m, FOLD_OPTS)) < 0) return LONE_LIB;
    int32_t v = LONE_DROP;
    for (utf8proc_ssize_t k = 0; k < m; k++) {
        int32_t f = folded_cp(cps, k);
        if (f < 0) continue;
        if (v != LONE_DROP) return LONE_LIB;
        v = f;
    }
    return v;
}

static void fill_block(unsigned b) {
    pthread_mutex_lock(&cp_lock);
    if (!atomic_load_explicit(&cp_ready[b], memory_order_relaxed)) {
        cp_block_t *k = &cp_blocks[b];
        for (int32_t x = 0; x < 256; x++) {
            int32_t cp = (int32_t)(b << 8) | x;
            k->flags[x] = (uint8_t)((is_word_lib(cp) ? CPF_WORD : 0) | (gw_cp_is_unspaced(cp) ? CPF_UNSPACED : 0) |
                                    (is_nonstarter(cp) ? CPF_NONSTARTER : 0));
            k->lone[x] = cp >= 0xD800 && cp <= 0xDFFF ? LONE_LIB : lone_of(cp);
        }
        atomic_store_explicit(&cp_ready[b], 1, memory_order_release);
    }
    pthread_mutex_unlock(&cp_lock);
}

/* cp must be in the BMP. */
static inline const cp_block_t *cp_block(int32_t cp) {
    unsigned b = (unsigned)cp >> 8;
    if (!atomic_load_explicit(&cp_ready[b], memory_order_acquire)) fill_block(b);
    return &cp_blocks[b];
}

/* gw_cp_class, inline for the folding's own per-code-point loops. */
static inline unsigned cp_class(int32_t cp) {
    if (cp < 0x80) return (unsigned)gw_cp_is_word(cp);
    if (cp < 0x10000) return cp_block(cp)->flags[cp & 0xFF] & (GW_CP_WORD | GW_CP_UNSPACED);
    return (is_word_lib(cp) ? GW_CP_WORD : 0u) | (gw_cp_is_unspaced(cp) ? GW_CP_UNSPACED : 0u);
}

unsigned gw_cp_class(int32_t cp) { return cp_class(cp); }

/* The byte length of the code point at s[i] if it is a non-starter (it
 * continues the segment before it), else 0. */
static int nonstarter_at(const char *s, size_t len, size_t i, int fast) {
    if ((unsigned char)s[i] < 0x80) return 0;
    int32_t cp;
    int n = gw_utf8_decode_wide(s, len, i, &cp);
    if (cp < 0) return 0;
    if (fast && cp < 0x10000) return cp_block(cp)->flags[cp & 0xFF] & CPF_NONSTARTER ? n : 0;
    return is_nonstarter(cp) ? n : 0;
}

/* Folds orig[i, end) where every byte is ASCII and none is followed by a
 * non-ASCII byte inside the run (ASCII then ASCII cannot compose). The
 * buffer is reserved once for the run: ASCII never grows. Eight bytes go
 * at once when they hold no control character and no two white spaces in
 * a row (nothing to collapse): capitals lowered, offsets consecutive; the
 * rest byte by byte. */
static int fold_ascii(gw_text_t *t, const char *orig, size_t i, size_t end) {
    if (reserve(t, t->fold_len + (end - i))) return GW_ENOMEM;
    char *f = t->fold;
    uint32_t *map = t->map;
    size_t o = t->fold_len;
    int space = o && f[o - 1] == ' ';
    while (i < end) {
        if (i + 8 <= end) {
            uint64_t v = gw_load8(orig + i);
            uint64_t sp = eq8(v, ' ');
            if (!(~GE(v, 0x20) & HIGH) && !(sp & (sp << 8)) && !(space && orig[i] == ' ')) {
                v |= (GE(v, 'A') & ~GE(v, 'Z' + 1)) >> 2;
                store8(f + o, v);
                for (uint32_t k = 0; k < 8; k++) map[o + k] = (uint32_t)i + k;
                o += 8;
                i += 8;
                space = orig[i - 1] == ' ';
                continue;
            }
        }
        /* a byte alone, then eight again */
        unsigned char c = (unsigned char)orig[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        else if (c == ' ' || (c >= '\t' && c <= '\r')) { /* white space: one space */
            if (space) { i++; continue; }
            c = ' ';
        }
        space = c == ' ';
        f[o] = (char)c;
        map[o++] = (uint32_t)i++;
    }
    t->fold_len = o;
    return GW_OK;
}

/* The fast path: ASCII runs in one loop, and a BMP code point that is a
 * segment alone (no non-starter follows it) from the tables. Returns the
 * offset folded up to: i itself when the segment there needs the library
 * path (a code point with its marks, or one the tables leave to utf8proc). */
static size_t fold_fast(gw_text_t *t, const char *orig, size_t len, size_t i, int *rc) {
    unsigned char c = (unsigned char)orig[i];
    if (c < 0x80) {
        size_t e = ascii_end(orig, len, i);
        /* the last one composes with a non-starter after it */
        if (e < len && nonstarter_at(orig, len, e, 1)) e--;
        if (e > i) *rc = fold_ascii(t, orig, i, e);
        return e;
    }
    /* A run of non-ASCII code points: each one decoded once, as the
     * follower that decides whether the one before is a segment alone, then
     * folded from its table entry. */
    int32_t cp;
    size_t e = i + (size_t)decode_at(orig, len, i, &cp);
    for (;;) {
        if (cp < 0 || cp >= 0x10000) return i;
        int32_t next = -1;
        size_t ne = e;
        if (e < len && (unsigned char)orig[e] >= 0x80) {
            ne = e + (size_t)decode_at(orig, len, e, &next);
            if (next >= 0 && (next >= 0x10000 ? is_nonstarter(next)
                                               : cp_block(next)->flags[next & 0xFF] & CPF_NONSTARTER))
                return i;
        }
        int32_t v = cp_block(cp)->lone[cp & 0xFF];
        if (v == LONE_LIB) return i;
        if (v != LONE_DROP && (*rc = emit(t, v, (uint32_t)i))) return i;
        i = e;
        if (ne == e) return i; /* ASCII or the end follows */
        cp = next;
        e = ne;
    }
}

/* The offsets where a match may begin (match.h's boundaries): a code point
 * whose predecessor is no word character or is of an unspaced script, or
 * which is of an unspaced script itself. Found here once, where each
 * matcher scanning the text used to classify every code point again.
 * `fast` takes eight ASCII bytes at a time; the slow path (for the tests)
 * goes code point by code point. */
static const uint8_t ascii_word_byte[256] = { /* letters and digits; 0 from 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
};

static void find_starts(gw_text_t *t, int fast) {
    const char *f = t->fold;
    size_t len = t->fold_len, n = 0, i = 0;
    uint32_t *st = t->starts;
    unsigned prev = 0;
    while (i < len) {
        /* The fast path: eight ASCII bytes at once; a start is a byte after
         * a byte (or code point) that is no letter or digit. */
        if (fast && i + 8 <= len) {
            uint64_t v = gw_load8(f + i);
            if (!(v & HIGH)) {
                uint64_t y = v | B8(0x20);
                uint64_t w = (GE(v, '0') & ~GE(v, '9' + 1)) | (GE(y, 'a') & ~GE(y, 'z' + 1));
                uint64_t at = ~(w << 8 | (prev == GW_CP_WORD ? 0x80u : 0u)) & HIGH;
                for (; at; at &= at - 1) st[n++] = (uint32_t)(i + ((unsigned)__builtin_ctzll(at) >> 3));
                prev = w >> 63 ? GW_CP_WORD : 0;
                i += 8;
                continue;
            }
        }
        if (prev == GW_CP_WORD) { /* inside a word of a spaced script */
            while (ascii_word_byte[(unsigned char)f[i]]) i++;
            if (i == len) break; /* the NUL after the text stopped it */
        }
        unsigned char c = (unsigned char)f[i];
        unsigned k;
        int l = 1;
        if (c < 0x80) k = (unsigned)gw_cp_is_word(c);
        else {
            int32_t cp;
            l = decode_at(f, len, i, &cp);
            k = cp >= 0 ? cp_class(cp) : 0;
        }
        if (prev != GW_CP_WORD || (k & GW_CP_UNSPACED)) st[n++] = (uint32_t)i;
        prev = k;
        i += (size_t)l;
    }
    t->n_starts = n;
}

static int fold_impl(gw_text_t *t, const char *orig, size_t len, int fast) {
    t->orig = orig;
    t->orig_len = len;
    t->fold_len = 0;
    if (len > UINT32_MAX - 1) return GW_EINVAL;
    if (reserve(t, len + 16)) return GW_ENOMEM;
    size_t i = 0;
    while (i < len) {
        if (fast) {
            int rc = GW_OK;
            size_t e = fold_fast(t, orig, len, i, &rc);
            if (rc) return rc;
            if (e > i) {
                i = e;
                continue;
            }
        }
        size_t e = segment_end(orig, len, i, fast);
        int rc = fold_segment(t, orig, i, e);
        if (rc) return rc;
        i = e;
    }
    t->fold[t->fold_len] = '\0';
    t->map[t->fold_len] = (uint32_t)len;
    find_starts(t, fast);
    return GW_OK;
}

int gw_text_fold(gw_text_t *t, const char *orig, size_t len) { return fold_impl(t, orig, len, 1); }

int gw_text_fold_slow(gw_text_t *t, const char *orig, size_t len) {
    return fold_impl(t, orig, len, 0);
}

void gw_text_span(const gw_text_t *t, size_t fs, size_t fe, uint32_t *s, uint32_t *e) {
    if (fe > t->fold_len) fe = t->fold_len;
    if (fs > fe) fs = fe;
    *s = t->map[fs];
    if (fe == fs) { *e = *s; return; }
    size_t last = t->map[fe - 1];
    *e = (uint32_t)segment_end(t->orig, t->orig_len, last, 1);
}
