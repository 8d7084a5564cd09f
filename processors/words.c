/*
 * words.c - the words of a folded text with their hashes, in one pass
 * (see words.h). Language identification tallies them paragraph by
 * paragraph and dedup shingles them; each used to walk and hash the body's
 * characters on its own.
 */
#include "geowire/words.h"
#include "geowire/common.h"
#include "geowire/text.h"

#include <stdlib.h>

#define FNV_INIT 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

uint64_t gw_words_hash(const char *s, size_t n) {
    uint64_t h = FNV_INIT;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
    return h;
}

/* What a byte adds to a word as it is scanned: 0 ends the word (an ASCII
 * byte that is no word character), an ASCII letter adds 1 and an ASCII
 * digit 1 << 32 (so the low half counts letters), a byte >= 0x80 (a
 * non-ASCII code point, decoded) has the top bit set. One load classifies
 * every byte of a word. */
#define LT 1ull
#define DG (1ull << 32)
#define NA (1ull << 63)
#define NA16 NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA
static const uint64_t byte_class[256] = {
    ['0'] = DG, ['1'] = DG, ['2'] = DG, ['3'] = DG, ['4'] = DG, ['5'] = DG, ['6'] = DG, ['7'] = DG, ['8'] = DG, ['9'] = DG,
    ['A'] = LT, ['B'] = LT, ['C'] = LT, ['D'] = LT, ['E'] = LT, ['F'] = LT, ['G'] = LT, ['H'] = LT, ['I'] = LT,
    ['J'] = LT, ['K'] = LT, ['L'] = LT, ['M'] = LT, ['N'] = LT, ['O'] = LT, ['P'] = LT, ['Q'] = LT, ['R'] = LT,
    ['S'] = LT, ['T'] = LT, ['U'] = LT, ['V'] = LT, ['W'] = LT, ['X'] = LT, ['Y'] = LT, ['Z'] = LT,
    ['a'] = LT, ['b'] = LT, ['c'] = LT, ['d'] = LT, ['e'] = LT, ['f'] = LT, ['g'] = LT, ['h'] = LT, ['i'] = LT,
    ['j'] = LT, ['k'] = LT, ['l'] = LT, ['m'] = LT, ['n'] = LT, ['o'] = LT, ['p'] = LT, ['q'] = LT, ['r'] = LT,
    ['s'] = LT, ['t'] = LT, ['u'] = LT, ['v'] = LT, ['w'] = LT, ['x'] = LT, ['y'] = LT, ['z'] = LT,
    [0x80] = NA16, NA16, NA16, NA16, NA16, NA16, NA16, NA16,
};
#undef LT
#undef DG
#undef NA
#undef NA16

/* The word starting at s[i] and ending at `len` at the latest; its len is
 * 0 if s[i] is not a word character. ASCII bytes are hashed and counted
 * without decoding; a non-ASCII code point is decoded and classified
 * (gw_cp_is_word). */
static inline __attribute__((always_inline)) gw_word_t scan_word(const char *s, size_t len, size_t i) {
    uint64_t h = FNV_INIT, acc = 0;
    uint32_t wide = 0;
    size_t start = i;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        uint64_t k = byte_class[c];
        if ((int64_t)k > 0) {
            acc += k;
            h = (h ^ c) * FNV_PRIME;
            i++;
            continue;
        }
        if (!k) break;
        int32_t cp;
        size_t n = (size_t)gw_utf8_decode_wide(s, len, i, &cp);
        if (!gw_cp_is_word(cp)) break;
        for (size_t b = 0; b < n; b++) h = (h ^ (unsigned char)s[i + b]) * FNV_PRIME;
        i += n;
        wide = 1;
    }
    return (gw_word_t){.hash = h, .start = (uint32_t)start, .len = (uint32_t)(i - start),
                       .letters = (uint32_t)acc, .wide = wide};
}

int gw_words_find(gw_words_t *ws, const char *s, size_t len) {
    size_t i = 0;
    ws->n = 0;
    while (i < len) {
        if (!byte_class[(unsigned char)s[i]]) { /* spaces and punctuation */
            i++;
            continue;
        }
        if (ws->n == ws->cap) {
            size_t cap = ws->cap ? ws->cap * 2 : 256;
            gw_word_t *w = gw_realloc(ws->w, cap * sizeof(*w));
            if (!w) {
                ws->n = 0;
                return GW_ENOMEM;
            }
            ws->w = w;
            ws->cap = cap;
        }
        gw_word_t w = scan_word(s, len, i);
        if (!w.len) { /* a non-ASCII character that is not a word character */
            int32_t cp;
            i += (size_t)gw_utf8_decode_wide(s, len, i, &cp);
            continue;
        }
        ws->w[ws->n++] = w;
        i += w.len;
    }
    return GW_OK;
}

void gw_words_free(gw_words_t *ws) {
    free(ws->w);
    ws->w = NULL;
    ws->n = ws->cap = 0;
}

size_t gw_words_after(const gw_words_t *ws, size_t from) {
    size_t lo = 0, hi = ws->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)ws->w[mid].start + ws->w[mid].len <= from) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

gw_word_t gw_words_scan(const char *s, size_t from, size_t to) { return scan_word(s, to, from); }
