/*
 * fuzz_match.c - the matcher (processors/match.c) over patterns and a text
 * both taken from the input.
 *
 * Input: pattern lines, a blank line, then the text. A pattern line starting
 * with '*' is added with GW_MATCH_PREFIX, with '=' GW_MATCH_CASE; each
 * pattern's value is its line number.
 *
 * Invariants: matches come in text order without overlap; each lies inside
 * both texts on character boundaries; the folded text under a match is the
 * folded pattern (its start, for prefix patterns), and for case-sensitive
 * patterns the original bytes equal the pattern's.
 */
#include "fuzz.h"
#include "geowire/common.h"
#include "geowire/match.h"
#include "geowire/text.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_PATTERNS = 64, MAX_MATCHES = 256 };

typedef struct {
    const char *s; size_t len;  /* trimmed original pattern */
    char *fold; size_t fold_len; /* trimmed folded pattern */
    unsigned flags;
} pat_t;

static int boundary(const char *s, size_t len, size_t off) {
    return off == len || ((unsigned char)s[off] & 0xC0) != 0x80;
}

/* The matcher trims ASCII space around the raw pattern and ' ' around its
 * folded form; the oracle does the same to know what a match must equal. */
static void trim(const char **s, size_t *n, int ascii_ws) {
    while (*n && (ascii_ws ? strchr(" \t\r\n\f\v", (*s)[0]) != NULL : (*s)[0] == ' ')) { (*s)++; (*n)--; }
    while (*n && (ascii_ws ? strchr(" \t\r\n\f\v", (*s)[*n - 1]) != NULL : (*s)[*n - 1] == ' ')) (*n)--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *in = (const char *)data;
    const char *sep = memmem(in, size, "\n\n", 2);
    if (!sep) return 0;
    gw_matcher_t *m = gw_matcher_new();
    GWF_CHECK(m, "matcher_new");
    pat_t pats[MAX_PATTERNS];
    size_t np = 0;
    gw_text_t pf;
    gw_text_init(&pf);
    for (const char *p = in; p < sep && np < MAX_PATTERNS;) {
        const char *nl = memchr(p, '\n', (size_t)(sep - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(sep - p);
        unsigned flags = 0;
        const char *s = p;
        size_t sl = n;
        if (sl && s[0] == '*') { flags = GW_MATCH_PREFIX; s++; sl--; }
        else if (sl && s[0] == '=') { flags = GW_MATCH_CASE; s++; sl--; }
        p += n + 1;
        int rc = gw_matcher_add(m, s, sl, (uint32_t)np, flags);
        if (rc == GW_EINVAL) continue;
        GWF_CHECK(rc == GW_OK, "matcher_add returned %d", rc);
        trim(&s, &sl, 1);
        GWF_CHECK(gw_text_fold(&pf, s, sl) == GW_OK, "fold pattern");
        const char *f = pf.fold;
        size_t fl = pf.fold_len;
        trim(&f, &fl, 0);
        pats[np] = (pat_t){s, sl, NULL, fl, flags};
        pats[np].fold = malloc(fl ? fl : 1);
        memcpy(pats[np].fold, f, fl);
        np++;
    }
    gw_text_free(&pf);
    GWF_CHECK(gw_matcher_build(m) == GW_OK, "build");
    GWF_CHECK(gw_matcher_count(m) == np, "count %zu != %zu", gw_matcher_count(m), np);

    size_t tlen, rep;
    char *text = gw_utf8_repair(sep + 2, size - (size_t)(sep + 2 - in), &tlen, &rep);
    GWF_CHECK(text, "repair");
    gw_text_t t;
    gw_text_init(&t);
    GWF_CHECK(gw_text_fold(&t, text, tlen) == GW_OK, "fold text");
    gw_match_t out[MAX_MATCHES];
    int trunc = 0;
    size_t n = gw_matcher_scan(m, &t, out, MAX_MATCHES, &trunc);
    GWF_CHECK(n <= MAX_MATCHES, "scan wrote %zu", n);
    GWF_CHECK(!trunc || n + np > MAX_MATCHES, "truncated with room left (%zu)", n);
    for (size_t i = 0; i < n; i++) {
        const gw_match_t *x = &out[i];
        GWF_CHECK(x->value < np, "value %u of %zu patterns", x->value, np);
        GWF_CHECK(x->fstart < x->fend && x->fend <= t.fold_len, "folded span [%u,%u) of %zu", x->fstart,
                  x->fend, t.fold_len);
        GWF_CHECK(x->start < x->end && x->end <= tlen, "span [%u,%u) of %zu", x->start, x->end, tlen);
        GWF_CHECK(boundary(text, tlen, x->start) && boundary(text, tlen, x->end), "span splits a character");
        if (i) {
            const gw_match_t *y = &out[i - 1];
            int same = y->fstart == x->fstart && y->fend == x->fend;
            GWF_CHECK(same || y->fend <= x->fstart, "matches out of order or overlapping");
            GWF_CHECK(!same || y->value < x->value, "values at one span not in insertion order");
        }
        const pat_t *p = &pats[x->value];
        size_t fl = x->fend - x->fstart;
        if (p->flags & GW_MATCH_PREFIX)
            GWF_CHECK(fl >= p->fold_len && !memcmp(t.fold + x->fstart, p->fold, p->fold_len),
                      "prefix match does not start with its pattern");
        else
            GWF_CHECK(fl == p->fold_len && !memcmp(t.fold + x->fstart, p->fold, fl),
                      "match is not its folded pattern");
        if (p->flags & GW_MATCH_CASE)
            GWF_CHECK(x->end - x->start == p->len && !memcmp(text + x->start, p->s, p->len),
                      "case-sensitive match differs from the pattern");
    }
    gw_text_free(&t);
    free(text);
    for (size_t i = 0; i < np; i++) free(pats[i].fold);
    gw_matcher_free(m);
    return 0;
}
