/*
 * normalize.c - folds the text fields for matching and finds the structure
 * later stages weigh evidence by: sentences, the lead paragraph, a wire
 * dateline, and the language of each paragraph.
 */
#include "geowire/common.h"
#include "geowire/processor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_upper_ascii(char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower_ascii(char c) { return c >= 'a' && c <= 'z'; }

/* The bytes a sentence end starts with: '\n', '.', '!', '?' and the lead
 * byte of 。 */
static const unsigned char ends_sentence[256] = {['\n'] = 1, ['.'] = 1, ['!'] = 1, ['?'] = 1, [0xE3] = 1};

/* Whether any of the eight bytes in v (gw_load8) may be one of those: most
 * blocks hold none and are passed over at once. The zero-byte test is
 * exact for "any", over every byte value; '.' and '?' are tested at once
 * as the bytes b with b | 0x11 == 0x3F, which also takes '/' and '>' (the
 * table turns those down). */
static inline int may_end_sentence8(uint64_t v) {
#define ONES 0x0101010101010101ull
#define ZERO_IN(x) (((x) - ONES) & ~(x))
#define HAS(w, c) ZERO_IN((w) ^ (ONES * (c)))
    return ((HAS(v, '\n') | HAS(v | ONES * 0x11, 0x3F) | HAS(v, '!') | HAS(v, 0xE3)) & (ONES * 0x80)) != 0;
#undef HAS
#undef ZERO_IN
#undef ONES
}

/* A sentence ends at . ! ? or 。 followed by space and a capital, quote or
 * digit, and at every line break. "U.S. officials" does not end one: the
 * next word is lower case; "the U.S. President" would, which costs a pair
 * at worst, never a tag. */
static int split_sentences(gw_record_t *r, int f) {
    const char *s = r->field[f];
    size_t n = r->field_len[f], cap = 16, k = 0;
    uint32_t *st = gw_malloc(cap * sizeof(*st));
    if (!st) return GW_ENOMEM;
    st[k++] = 0;
    size_t block_end = 0; /* the end of the last block found to hold a candidate */
    for (size_t i = 0; i < n; i++) {
        /* most bytes end nothing: eight at a time, and the bytes of a block
         * that may hold an end one table read each */
        if (i >= block_end) {
            while (i + 8 <= n && !may_end_sentence8(gw_load8(s + i))) i += 8;
            if (i == n) break;
            block_end = i + 8;
        }
        if (!ends_sentence[(unsigned char)s[i]]) continue;
        size_t next = 0;
        if (s[i] == '\n') next = i + 1;
        else if ((s[i] == '.' || s[i] == '!' || s[i] == '?') && i + 2 < n && s[i + 1] == ' ') {
            char c = s[i + 2];
            if (is_upper_ascii(c) || c == '"' || (unsigned char)c >= 0x80 || (c >= '0' && c <= '9'))
                next = i + 2;
        } else if (i + 2 < n && (unsigned char)s[i] == 0xE3 && (unsigned char)s[i + 1] == 0x80 &&
                   (unsigned char)s[i + 2] == 0x82) /* 。 */
            next = i + 3;
        if (next && next < n && next > st[k - 1]) {
            if (k == cap) {
                uint32_t *ns = gw_realloc(st, cap * 2 * sizeof(*ns));
                if (!ns) { free(st); return GW_ENOMEM; }
                st = ns;
                cap *= 2;
            }
            st[k++] = (uint32_t)next;
        }
    }
    r->sentences[f] = st;
    r->n_sentences[f] = k;
    return GW_OK;
}

/* "KUALA LUMPUR (AFP) -" or "MOSCOW, March 3 (Reuters) —": a place in
 * capitals, an optional date, an agency in parentheses, a dash. The place
 * there is where the story was filed, not a party to it. */
static size_t find_dateline(const char *s, size_t n) {
    size_t i = 0, letters = 0;
    while (i < n && i < 60 && s[i] != '(' && s[i] != ',') {
        if (is_lower_ascii(s[i])) return 0;
        if (is_upper_ascii(s[i]) || (unsigned char)s[i] >= 0x80) letters++;
        i++;
    }
    if (letters < 3 || i >= n) return 0;
    const char *open = memchr(s + i, '(', n - i < 40 ? n - i : 40);
    if (!open) return 0;
    size_t rest = n - (size_t)(open - s);
    const char *close = memchr(open, ')', rest < 40 ? rest : 40);
    if (!close) return 0;
    size_t j = (size_t)(close - s) + 1;
    while (j < n && s[j] == ' ') j++;
    if (j < n && s[j] == '-') return j + 1;
    if (j + 2 < n && (unsigned char)s[j] == 0xE2 && (unsigned char)s[j + 1] == 0x80 &&
        ((unsigned char)s[j + 2] == 0x93 || (unsigned char)s[j + 2] == 0x94)) /* – — */
        return j + 3;
    return 0;
}

/* Counts a paragraph of `bytes` in language `code`; *best (-1: none yet)
 * becomes the language with most text, ties to the first that reached it. */
static int count_lang(gw_record_t *r, const char *code, size_t bytes, size_t *best_bytes, int *best,
                      size_t *tally) {
    size_t i;
    for (i = 0; i < r->n_langs; i++)
        if (strcmp(r->langs[i].lang, code) == 0) break;
    if (i == r->n_langs) {
        gw_lang_count_t *nl = gw_realloc(r->langs, (r->n_langs + 1) * sizeof(*nl));
        if (!nl) return GW_ENOMEM;
        r->langs = nl;
        memset(&r->langs[i], 0, sizeof(r->langs[i]));
        memcpy(r->langs[i].lang, code, strnlen(code, sizeof(r->langs[i].lang) - 1));
        tally[i] = 0;
        r->n_langs++;
    }
    r->langs[i].paragraphs++;
    tally[i] += bytes;
    if (tally[i] > *best_bytes) {
        *best_bytes = tally[i];
        *best = (int)i;
    }
    return GW_OK;
}

/* Start of the folded text produced by original offsets >= off, searched
 * from *cur onward (paragraphs come in order). The map never decreases, so
 * a binary search finds it. */
static size_t fold_at(const gw_text_t *t, size_t off, size_t *cur) {
    size_t lo = *cur, hi = t->fold_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->map[mid] < off) lo = mid + 1;
        else hi = mid;
    }
    return *cur = lo;
}

/* Language per paragraph of the body (the title joins the first), the
 * item's language being the one with most text. Detection reads slices of
 * the folded body's word list (words.h), found once for the whole body: a
 * paragraph break is a starter and folds to a space, so a slice holds
 * exactly the words of the paragraph folded alone. */
static int detect_languages(gw_record_t *r, const gw_langid_t *lid) {
    size_t tally[32], best_bytes = 0;
    int best = -1; /* r->lang is written once, at the end (not printed at every change of leader) */
    const char *b = r->field[GW_FIELD_BODY];
    const gw_text_t *bt = &r->text[GW_FIELD_BODY], *tt = &r->text[GW_FIELD_TITLE];
    size_t n = r->field_len[GW_FIELD_BODY], start = 0, cur = 0;
    int first = 1;
    for (;;) {
        const char *nl = start < n ? memchr(b + start, '\n', n - start) : NULL;
        size_t i = nl ? (size_t)(nl - b) : n;
        size_t len = i - start;
        int blank = 1;
        for (size_t k = start; k < i && blank; k++) blank = b[k] == ' ' || b[k] == '\t' || b[k] == '\r';
        if (!blank || (first && i == n)) {
            const char *code;
            size_t bytes = len;
            size_t fs = fold_at(bt, start, &cur), fe = fold_at(bt, i, &cur);
            gw_lang_part_t parts[2] = {
                {.fold = tt->fold, .words = &r->words[GW_FIELD_TITLE], .from = 0, .to = tt->fold_len},
                {.fold = bt->fold, .words = &r->words[GW_FIELD_BODY], .from = fs, .to = fe},
            };
            if (first && r->field_len[GW_FIELD_TITLE]) {
                /* Headlines are short: detect them together with the lead. */
                code = gw_lang_detect_parts(lid, parts, 2, NULL);
                bytes = r->field_len[GW_FIELD_TITLE] + 1 + len;
            } else {
                code = gw_lang_detect_parts(lid, parts + 1, 1, NULL);
            }
            first = 0;
            if (r->n_langs < 32 && strcmp(code, "und") != 0 &&
                count_lang(r, code, bytes, &best_bytes, &best, tally) != GW_OK)
                return GW_ENOMEM;
        }
        if (i == n) break;
        start = i + 1;
    }
    if (best >= 0) memcpy(r->lang, r->langs[best].lang, sizeof(r->lang));
    else memcpy(r->lang, "und", 4);
    if (r->lang_given && gw_lang_known(lid, r->lang_given)) snprintf(r->lang, sizeof(r->lang), "%s", r->lang_given);
    else if (r->lang_given) {
        char msg[80];
        int m = snprintf(msg, sizeof(msg), "lang '%.20s' is not a known code; detected instead", r->lang_given);
        gw_record_warn(r, "lang_invalid", msg, (size_t)m);
    }
    return GW_OK;
}

int gw_normalize_run(gw_record_t *r, const gw_env_t *env) {
    for (int f = 0; f < GW_FIELDS; f++) {
        if (gw_text_fold(&r->text[f], r->field[f], r->field_len[f]) != GW_OK) return GW_ENOMEM;
        if (gw_words_find(&r->words[f], r->text[f].fold, r->text[f].fold_len) != GW_OK) return GW_ENOMEM;
        if (split_sentences(r, f) != GW_OK) return GW_ENOMEM;
    }
    const char *b = r->field[GW_FIELD_BODY];
    size_t n = r->field_len[GW_FIELD_BODY], i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
    const char *nl = memchr(b + i, '\n', n - i);
    r->lead_end = nl ? (size_t)(nl - b) : n;
    r->dateline_end = find_dateline(b + i, n - i);
    if (r->dateline_end) r->dateline_end += i;
    return detect_languages(r, env->lang);
}
