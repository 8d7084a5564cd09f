/*
 * words.h - the words of a folded text, found once for every stage that
 * reads words (language identification, dedup).
 *
 * A word is a maximal run of word characters (gw_cp_is_word: letters,
 * marks, digits) of a folded text (text.h); a run of an unspaced script
 * (Han, Thai, ...) is one word. Each word carries its FNV-1a hash, which
 * both readers use (the stopword table is keyed by it; dedup mixes it with
 * the length), so no stage hashes a word's bytes again.
 */
#ifndef GEOWIRE_WORDS_H
#define GEOWIRE_WORDS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t hash;      /* gw_words_hash of its bytes */
    uint32_t start;     /* byte offset in the text */
    uint32_t len;       /* bytes */
    uint32_t letters;   /* ASCII letters in it */
    uint32_t wide;      /* 1 if it has a code point >= U+0080 */
} gw_word_t;

typedef struct {
    gw_word_t *w;       /* owned; n words in text order */
    size_t n, cap;
} gw_words_t;

/* 64-bit FNV-1a over s[0, n): the hash of a word. */
uint64_t gw_words_hash(const char *s, size_t n);

/* Finds the words of the folded text s[0, len) (valid UTF-8) into ws,
 * reusing its memory. GW_OK or GW_ENOMEM (ws then holds no words).
 * Free with gw_words_free. */
int gw_words_find(gw_words_t *ws, const char *s, size_t len);
void gw_words_free(gw_words_t *ws);

/* The index of the first word of ws ending after offset `from` (ws->n if
 * none): words are in order, so a binary search finds it. */
size_t gw_words_after(const gw_words_t *ws, size_t from);

/* The word of text s starting at `from` and ending at `to` at the latest
 * (len 0 if s[from] is no word character). */
gw_word_t gw_words_scan(const char *s, size_t from, size_t to);

/* Walks the words of the slice s[from, to) of a text whose words are ws;
 * start with *k = gw_words_after(ws, from). Returns the next word, or NULL
 * after the last: a word inside the slice as ws holds it, one the slice
 * cuts as its part inside (from and to on code point boundaries), scanned
 * again into *cut. A slice's words are then exactly the words of the slice
 * folded alone. */
static inline const gw_word_t *gw_words_next(const gw_words_t *ws, const char *s, size_t from, size_t to,
                                             size_t *k, gw_word_t *cut) {
    if (from >= to || *k >= ws->n) return NULL;
    const gw_word_t *w = &ws->w[*k];
    size_t end = (size_t)w->start + w->len;
    if (w->start >= to) return NULL;
    (*k)++;
    if (w->start >= from && end <= to) return w;
    *cut = gw_words_scan(s, w->start > from ? w->start : from, end < to ? end : to);
    return cut;
}

#endif
