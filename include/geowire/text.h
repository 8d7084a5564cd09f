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
 * The ASCII fast path (a run of ASCII followed by ASCII) and the utf8proc
 * path give byte-identical folded text and maps; tests prove it.
 */
#ifndef GEOWIRE_TEXT_H
#define GEOWIRE_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *orig;   /* the original value (borrowed, must outlive this) */
    size_t orig_len;
    char *fold;         /* owned, NUL-terminated */
    size_t fold_len;
    uint32_t *map;      /* owned; fold_len + 1 entries; map[i] = byte offset in
                           orig of the character that produced fold[i];
                           map[fold_len] = orig_len */
    size_t cap;         /* internal: allocated size of fold/map */
} gw_text_t;

void gw_text_init(gw_text_t *t);
/* Folds `orig` (which must be valid UTF-8: repair first with gw_utf8_repair).
 * Reuses t's buffers. Returns GW_OK or GW_ENOMEM. */
int gw_text_fold(gw_text_t *t, const char *orig, size_t len);
/* Same result via the library path only (no ASCII fast path); for tests. */
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
int gw_cp_is_word(int32_t cp);      /* letters, marks, digits */
/* Scripts written without spaces between words (Han, Kana, Thai, Lao,
 * Khmer, Myanmar): a match next to one of these needs no boundary. */
int gw_cp_is_unspaced(int32_t cp);
/* Decodes one code point at s[i]; returns its byte length (>=1), or 1 with
 * *cp = -1 for an invalid byte. */
int gw_utf8_decode(const char *s, size_t len, size_t i, int32_t *cp);

#endif
