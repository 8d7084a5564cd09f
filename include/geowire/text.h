/*
 * text.h - the normalised view of one text field.
 *
 * Matching runs over a folded copy of the text: UTF-8 repaired, NFKC,
 * Unicode case-folded (utf8proc), typographic variants mapped to one form
 * (curly quotes -> ', dashes -> -, NBSP and other spaces -> ' ', runs of
 * white space -> one space). Every folded byte remembers the byte offset of
 * the original character it came from, so a match in the folded text maps
 * back to a span of whole characters in the original value.
 *
 * The fast path (ASCII runs eight bytes at a time, and BMP code points
 * that are a segment alone read from per-code-point tables) and the
 * utf8proc path give
 * byte-identical folded text and maps; tests prove it over every code point.
 */
#ifndef GEOWIRE_TEXT_H
#define GEOWIRE_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const char *orig;   /* the original value (borrowed, must outlive this) */
    size_t orig_len;
    char *fold;         /* owned, NUL-terminated */
    size_t fold_len;
    uint32_t *map;      /* owned; fold_len + 1 entries; map[i] = byte offset in
                           orig of the character that produced fold[i];
                           map[fold_len] = orig_len */
    uint32_t *starts;   /* owned; n_starts ascending offsets in fold where a
                           dictionary match may begin (match.h): code points
                           after a non-word character or next to an
                           unspaced script; found once for every matcher */
    size_t n_starts;
    size_t cap;         /* internal: allocated size of fold/map/starts */
} gw_text_t;

void gw_text_init(gw_text_t *t);
/* Folds `orig` (which must be valid UTF-8: repair first with gw_utf8_repair).
 * Reuses t's buffers. Returns GW_OK or GW_ENOMEM. */
int gw_text_fold(gw_text_t *t, const char *orig, size_t len);
/* Same result via the library path only (no fast path, no tables); for tests. */
int gw_text_fold_slow(gw_text_t *t, const char *orig, size_t len);
void gw_text_free(gw_text_t *t);

/* Maps a folded span [fs, fe) to the original span [*s, *e): start of the
 * character containing fs, end of the character containing fe-1. */
void gw_text_span(const gw_text_t *t, size_t fs, size_t fe, uint32_t *s, uint32_t *e);

/* Returns 1 if `s` is valid UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int gw_utf8_valid(const char *s, size_t len);
/* Copies `s` replacing each invalid sequence with U+FFFD and each NUL byte
 * with U+FFFD. Returns a malloc'd NUL-terminated string (caller frees),
 * its length in *outlen, and the number of repairs in *repairs; NULL on OOM. */
char *gw_utf8_repair(const char *s, size_t len, size_t *outlen, size_t *repairs);

/* Character classes over code points, as the matcher sees them. */
enum { GW_CP_WORD = 1, GW_CP_UNSPACED = 2 };
/* GW_CP_WORD: letters, marks, digits. GW_CP_UNSPACED: scripts written
 * without spaces between words (Han, Kana, Thai, Lao, Khmer, Myanmar): a
 * match next to one of these needs no boundary. Both bits in one call; the
 * BMP is answered from a table (text.c), equal to utf8proc by test. */
unsigned gw_cp_class(int32_t cp);
int gw_cp_is_unspaced(int32_t cp);
/* The ASCII answers inline: word tests and decoding run per character in
 * every stage that walks words (matcher, dedup, language id). */
static inline int gw_cp_is_word(int32_t cp) {
    if (cp < 0x80) return (unsigned)((cp | 0x20) - 'a') < 26 || (unsigned)(cp - '0') < 10;
    return (int)(gw_cp_class(cp) & GW_CP_WORD);
}
/* Decodes one code point at s[i] (i < len); returns its byte length (>=1),
 * or 1 with *cp = -1 for an invalid byte. gw_utf8_decode_wide is the part
 * for lead bytes >= 0x80. */
int gw_utf8_decode_wide(const char *s, size_t len, size_t i, int32_t *cp);
static inline int gw_utf8_decode(const char *s, size_t len, size_t i, int32_t *cp) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) { *cp = (int32_t)c; return 1; }
    return gw_utf8_decode_wide(s, len, i, cp);
}

/* Eight bytes at p as one word, byte k in bits 8k to 8k+7 whatever the
 * machine's byte order: the SWAR loops (text.c, normalize.c) test eight
 * bytes of text at a time. */
static inline uint64_t gw_load8(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Tests over such a word (SWAR), exact as a yes or no over the eight
 * bytes: a subtraction's borrow only spreads upward from a byte that
 * already answered yes. JSON strings are mostly runs of bytes that need no
 * attention, which these skip (record.c, parse.c). */
#define GW_SWAR_ONES 0x0101010101010101ull
#define GW_SWAR_HIGH 0x8080808080808080ull
/* Some byte is >= 0x80. */
static inline int gw_swar_any_high(uint64_t x) { return (x & GW_SWAR_HIGH) != 0; }
/* Some byte is a control character (< 0x20), '"' or '\\': the bytes a JSON
 * string cannot hold as themselves (bytes >= 0x80 answer no). */
static inline int gw_swar_any_json_special(uint64_t x) {
    uint64_t q = x ^ (0x22 * GW_SWAR_ONES), bs = x ^ (0x5C * GW_SWAR_ONES);
    return ((((x - 0x20 * GW_SWAR_ONES) & ~x) | ((q - GW_SWAR_ONES) & ~q) | ((bs - GW_SWAR_ONES) & ~bs)) &
            GW_SWAR_HIGH) != 0;
}

#endif
