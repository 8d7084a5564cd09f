/* The word pass (words.c) against a plain per-code-point reference, its
 * slices against the slice scanned alone, and language identification over
 * the body's word list against each paragraph detected on its own. All
 * sample texts are written for these tests. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/common.h"
#include "support/support.h"
#include "geowire/lang.h"
#include "geowire/pipeline.h"
#include "geowire/processor.h"
#include "geowire/record.h"
#include "geowire/text.h"
#include "geowire/words.h"

/* The reference: decode every code point, classify it with gw_cp_is_word,
 * and hash each run with gw_words_hash. */
static size_t reference(const char *s, size_t len, gw_word_t *out, size_t max) {
    size_t n = 0, i = 0;
    while (i < len) {
        int32_t cp;
        int l = gw_utf8_decode(s, len, i, &cp);
        if (!gw_cp_is_word(cp)) {
            i += (size_t)l;
            continue;
        }
        gw_word_t w = {.start = (uint32_t)i};
        while (i < len) {
            l = gw_utf8_decode(s, len, i, &cp);
            if (!gw_cp_is_word(cp)) break;
            if (cp >= 0x80) w.wide = 1;
            else if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') w.letters++;
            i += (size_t)l;
        }
        w.len = (uint32_t)(i - w.start);
        w.hash = gw_words_hash(s + w.start, w.len);
        cr_assert_lt(n, max);
        out[n++] = w;
    }
    return n;
}

static void expect_word(const gw_word_t *a, const gw_word_t *b, const char *s, size_t k) {
    cr_assert(a->start == b->start && a->len == b->len && a->hash == b->hash && a->letters == b->letters &&
                  a->wide == b->wide,
              "word %zu of '%s': start %u/%u len %u/%u letters %u/%u wide %u/%u", k, s, a->start, b->start,
              a->len, b->len, a->letters, b->letters, a->wide, b->wide);
}

static void expect_reference(gw_words_t *ws, const char *s, size_t len) {
    static gw_word_t ref[4096];
    size_t n = reference(s, len, ref, 4096);
    cr_assert_eq(gw_words_find(ws, s, len), GW_OK);
    cr_assert_eq(ws->n, n, "'%.*s': %zu words, reference %zu", (int)len, s, ws->n, n);
    for (size_t k = 0; k < n; k++) expect_word(&ws->w[k], &ref[k], s, k);
}

/* Every code point inside a word, alone, and after a digit: the ASCII
 * byte table and the decoded path agree with the reference everywhere. */
Test(words, every_code_point) {
    gw_words_t ws = {0};
    char buf[32];
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        size_t n = 0;
        buf[n++] = 'a';
        n += gwt_utf8(buf + n, cp);
        buf[n++] = '7';
        buf[n++] = ' ';
        n += gwt_utf8(buf + n, cp);
        buf[n++] = '.';
        n += gwt_utf8(buf + n, cp);
        buf[n] = '\0';
        expect_reference(&ws, buf, n);
    }
    gw_words_free(&ws);
}

/* Pieces of folded text: ASCII words and digits, punctuation, Latin with
 * diacritics, Vietnamese, Cyrillic, Han, Arabic, a combining mark, an
 * emoji, a no-break space. */
static const char *const pieces[] = {
    "the", "talks", "2026", "a1b2", " ", " ", " ", ", ", ". ", "-", "'", "(", ")", "é", "déclaré",
    "nguyễn", "đường", "переговоры", "київ", "中国外交部", "の", "مصر", "e\xcc\x81", "\xf0\x9f\x98\x80",
    "\xc2\xa0", "ĳ", "x", "und", "dass", "bahawa", "karena", "STOP", "\xe2\x80\x94",
};
#define NPIECES (sizeof pieces / sizeof pieces[0])

static size_t random_text(char *buf, size_t cap, unsigned *seed) {
    size_t n = 0, k = 1 + (size_t)rand_r(seed) % 60;
    for (size_t i = 0; i < k; i++) {
        const char *p = pieces[(size_t)rand_r(seed) % NPIECES];
        size_t l = strlen(p);
        if (n + l + 1 > cap) break;
        memcpy(buf + n, p, l);
        n += l;
    }
    buf[n] = '\0';
    return n;
}

Test(words, mixed_texts) {
    gw_words_t ws = {0};
    char buf[2048];
    unsigned seed = 7;
    for (int t = 0; t < 20000; t++) {
        size_t n = random_text(buf, sizeof buf, &seed);
        expect_reference(&ws, buf, n);
    }
    gw_words_free(&ws);
}

/* A slice's words read from the whole text's list (clamped at its ends)
 * are the words of the slice scanned alone, at every pair of code point
 * boundaries of a text. */
Test(words, slices_equal_the_slice_alone) {
    gw_words_t all = {0}, alone = {0};
    char buf[512];
    unsigned seed = 11;
    for (int t = 0; t < 300; t++) {
        size_t n = random_text(buf, 120, &seed);
        cr_assert_eq(gw_words_find(&all, buf, n), GW_OK);
        for (size_t a = 0; a <= n; a++) {
            if (a < n && ((unsigned char)buf[a] & 0xC0) == 0x80) continue;
            for (size_t b = a; b <= n; b++) {
                if (b < n && ((unsigned char)buf[b] & 0xC0) == 0x80) continue;
                cr_assert_eq(gw_words_find(&alone, buf + a, b - a), GW_OK);
                size_t k = gw_words_after(&all, a), m = 0;
                gw_word_t cut;
                for (const gw_word_t *next; (next = gw_words_next(&all, buf, a, b, &k, &cut)); m++) {
                    gw_word_t w = *next;
                    w.start -= (uint32_t)a;
                    cr_assert_lt(m, alone.n, "slice [%zu, %zu) of '%s': more words than alone", a, b, buf);
                    expect_word(&w, &alone.w[m], buf, m);
                }
                cr_assert_eq(m, alone.n, "slice [%zu, %zu) of '%s': %zu words, alone %zu", a, b, buf, m,
                             alone.n);
            }
        }
    }
    gw_words_free(&all);
    gw_words_free(&alone);
}

/* ---- language identification over the body's word list ----------------- */

static const char *const sentences[] = {
    "The minister said that the talks with the delegation would resume after the holiday.",
    "Menteri itu berkata bahawa kerajaan akan menambah peruntukan kerana harga barang naik.",
    "Menteri itu mengatakan bahwa pemerintah akan menambah anggaran karena harga barang naik.",
    "Der Minister sagte, dass die Gespräche mit der Regierung im Winter weitergehen werden.",
    "Le ministre a déclaré que les discussions avec le gouvernement reprendront dans la semaine.",
    "Bộ trưởng cho biết các cuộc đàm phán với phái đoàn sẽ tiếp tục sau kỳ nghỉ.",
    "Министр заявил, что переговоры с делегацией возобновятся после праздников.",
    "外交部长表示，与代表团的会谈将在假期后恢复。",
    "وقال الوزير إن المحادثات مع الوفد ستستأنف بعد العطلة.",
    "Mereka sudah ada di dalam dengan kami untuk itu.",
    "12 300 4.5%",
    "KUALA LUMPUR (AFP) -",
};
#define NSENT (sizeof sentences / sizeof sentences[0])

static gw_langid_t *L;
static void lang_setup(void) {
    char err[GW_ERRLEN] = "";
    L = gw_lang_load("config/dictionaries/languages.yaml", err, sizeof err);
    cr_assert_not_null(L, "load failed: %s", err);
}
static void lang_teardown(void) { gw_lang_free(L); }
TestSuite(words_lang, .init = lang_setup, .fini = lang_teardown);

/* The normaliser detects each paragraph on a slice of the body's word list
 * (the headline with the first): the same counts as detecting each
 * paragraph's own text. */
Test(words_lang, paragraphs_on_the_word_list_equal_each_paragraph_alone) {
    unsigned seed = 3;
    gw_env_t env = {.lang = L};
    for (int t = 0; t < 400; t++) {
        char title[256], body[4096], para[1024];
        size_t tn = 0, bn = 0;
        const char *ts = sentences[(size_t)rand_r(&seed) % NSENT];
        tn = (size_t)snprintf(title, sizeof title, "%.*s", (int)(rand_r(&seed) % 2 ? strlen(ts) : 0), ts);
        int nparas = 1 + rand_r(&seed) % 5;
        size_t pstart[8], pend[8];
        for (int p = 0; p < nparas; p++) {
            if (p) bn += (size_t)snprintf(body + bn, sizeof body - bn, "%s", rand_r(&seed) % 3 ? "\n\n" : "\n");
            pstart[p] = bn;
            int ns = 1 + rand_r(&seed) % 3;
            for (int s = 0; s < ns; s++)
                bn += (size_t)snprintf(body + bn, sizeof body - bn, "%s%s", s ? " " : "",
                                       sentences[(size_t)rand_r(&seed) % NSENT]);
            pend[p] = bn;
        }
        gw_record_t r;
        gw_record_init(&r);
        r.field[GW_FIELD_TITLE] = gw_strndup(title, tn);
        r.field_len[GW_FIELD_TITLE] = tn;
        r.field[GW_FIELD_BODY] = gw_strndup(body, bn);
        r.field_len[GW_FIELD_BODY] = bn;
        cr_assert_eq(gw_normalize_run(&r, &env), GW_OK);

        /* Expected: each paragraph alone, the headline with the first. */
        gw_lang_count_t want[8];
        size_t nwant = 0;
        for (int p = 0; p < nparas; p++) {
            size_t pl = pend[p] - pstart[p];
            const char *code;
            if (p == 0 && tn) {
                snprintf(para, sizeof para, "%s %.*s", title, (int)pl, body + pstart[p]);
                code = gw_lang_detect(L, para, strlen(para), NULL);
            } else {
                code = gw_lang_detect(L, body + pstart[p], pl, NULL);
            }
            cr_assert_not_null(code);
            if (!strcmp(code, "und")) continue;
            size_t i = 0;
            while (i < nwant && strcmp(want[i].lang, code)) i++;
            if (i == nwant) {
                snprintf(want[nwant].lang, sizeof want[nwant].lang, "%s", code);
                want[nwant++].paragraphs = 0;
            }
            want[i].paragraphs++;
        }
        cr_assert_eq(r.n_langs, nwant, "title '%s' body '%s': %zu languages, alone %zu", title, body, r.n_langs,
                     nwant);
        for (size_t i = 0; i < nwant; i++)
            cr_assert(!strcmp(r.langs[i].lang, want[i].lang) && r.langs[i].paragraphs == want[i].paragraphs,
                      "body '%s': %s x%d, alone %s x%d", body, r.langs[i].lang, r.langs[i].paragraphs,
                      want[i].lang, want[i].paragraphs);
        gw_record_free(&r);
    }
}
