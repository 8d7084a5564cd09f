/* Tests for text.c: UTF-8 repair, folding, the offset map, and the proof that
 * the ASCII fast path is byte-identical to the utf8proc path. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/text.h"

static gw_text_t T;
static void setup(void) { gw_text_init(&T); }
static void teardown(void) { gw_text_free(&T); }
TestSuite(text, .init = setup, .fini = teardown);

static const char *fold(const char *s) {
    cr_assert_eq(gw_text_fold(&T, s, strlen(s)), 0);
    return T.fold;
}

/* Every map entry must point at a character start inside orig, be
 * non-decreasing, and the last entry must be orig_len. */
static void check_map(const gw_text_t *t) {
    for (size_t i = 0; i < t->fold_len; i++) {
        cr_assert_lt(t->map[i], t->orig_len, "map[%zu] out of range", i);
        cr_assert_neq((unsigned char)t->orig[t->map[i]] & 0xC0, 0x80, "map[%zu] mid-char", i);
        if (i) cr_assert_geq(t->map[i], t->map[i - 1]);
    }
    cr_assert_eq(t->map[t->fold_len], t->orig_len);
    cr_assert_eq(t->fold[t->fold_len], '\0');
}

Test(text, ascii_lowercase_and_spaces) {
    cr_assert_str_eq(fold("The  PRIME\tMinister\r\n said"), "the prime minister said");
    cr_assert_str_eq(fold("  lead"), " lead");
    cr_assert_str_eq(fold("trail   "), "trail ");
    check_map(&T);
}

/* The starts a matcher tries: the first code point, any after a non-word
 * character, and any next to an unspaced script (Han here); none inside a
 * word of a spaced script. A shorter text folded into the same buffers
 * lists only its own. */
Test(text, starts_are_where_a_match_may_begin) {
    fold("Ab, cd \xe4\xb8\xad\xe6\x96\x87x!"); /* "ab, cd 中文x!" */
    static const uint32_t want[] = {0, 3, 4, 7, 10, 13};
    cr_assert_eq(T.n_starts, sizeof want / sizeof want[0], "%zu starts", T.n_starts);
    for (size_t i = 0; i < T.n_starts; i++) cr_assert_eq(T.starts[i], want[i], "start %zu: %u", i, T.starts[i]);
    fold("word");
    cr_assert_eq(T.n_starts, 1);
    cr_assert_eq(T.starts[0], 0);
    fold("");
    cr_assert_eq(T.n_starts, 0);
}

Test(text, nfc_of_nfd_maps_whole_segment) {
    fold("caf" "e\xcc\x81" "!"); /* e + combining acute */
    cr_assert_str_eq(T.fold, "caf\xc3\xa9!");
    cr_assert_eq(T.map[3], 3);
    cr_assert_eq(T.map[4], 3);
    cr_assert_eq(T.map[5], 6);
    uint32_t s, e;
    gw_text_span(&T, 3, 5, &s, &e);
    cr_assert_eq(s, 3);
    cr_assert_eq(e, 6);
    check_map(&T);
}

Test(text, nfkc_and_casefold) {
    cr_assert_str_eq(fold("\xef\xac\x81nance"), "finance");             /* ﬁ ligature */
    cr_assert_str_eq(fold("\xef\xbc\xa1\xef\xbc\xb3\xef\xbc\xa5\xef\xbc\xa1\xef\xbc\xae"), "asean");
    cr_assert_str_eq(fold("Stra\xc3\x9f" "e"), "strasse");
    cr_assert_str_eq(fold("\xd0\xa0\xd0\x9e\xd0\xa1\xd0\xa1\xd0\x98\xd0\xaf"),
                     "\xd1\x80\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f");  /* РОССИЯ */
    cr_assert_str_eq(fold("T\xc3\x9c" "RK\xc4\xb0YE"), "t\xc3\xbcrkiye");     /* TÜRKİYE */
}

Test(text, turkish_dotted_capital_i) {
    cr_assert_str_eq(fold("\xc4\xb0stanbul"), "istanbul");
    check_map(&T);
    cr_assert_eq(T.map[0], 0);
    cr_assert_eq(T.map[1], 2);
    cr_assert_str_eq(fold("I\xcc\x87stanbul"), "istanbul"); /* NFD form */
    check_map(&T);
    cr_assert_str_eq(fold("\xc4\xb1zmir"), "\xc4\xb1zmir"); /* dotless i stays */
}

Test(text, typographic_variants) {
    cr_assert_str_eq(fold("Malaysia\xe2\x80\x99s \xe2\x80\x98quote\xe2\x80\x9b \xe2\x80\xb2"),
                     "malaysia's 'quote' '");
    cr_assert_str_eq(fold("\xe2\x80\x9chi\xe2\x80\x9d \xe2\x80\x9elow\xe2\x80\x9c"), "\"hi\" \"low\"");
    const char *dashes[] = {"\xe2\x80\x90", "\xe2\x80\x91", "\xe2\x80\x92", "\xe2\x80\x93",
                            "\xe2\x80\x94", "\xe2\x80\x95", "\xe2\x88\x92", "\xef\xb9\x98",
                            "\xef\xb9\xa3", "\xef\xbc\x8d"};
    for (size_t i = 0; i < sizeof(dashes) / sizeof(*dashes); i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "a%sb", dashes[i]);
        cr_assert_str_eq(fold(buf), "a-b", "dash %zu", i);
        check_map(&T);
    }
}

Test(text, spaces_and_invisibles) {
    cr_assert_str_eq(fold("Prime\xc2\xa0Minister"), "prime minister");
    cr_assert_str_eq(fold("a\xe3\x80\x80\xe2\x80\x83 \xe2\x80\xa8\xc2\x85" "b"), "a b");
    cr_assert_str_eq(fold("Ma\xe2\x80\x8bla\xe2\x80\x8cy\xe2\x80\x8ds\xe2\x81\xa0i\xef\xbb\xbf" "a"),
                     "malaysia");
    cr_assert_str_eq(fold("co\xc2\xad" "operation"), "cooperation");
    cr_assert_str_eq(fold("\xe2\x80\x8f\xe2\x80\xaa" "ab\xe2\x80\xac\xe2\x81\xa6" "c\xe2\x81\xa9\xe2\x80\x8e"),
                     "abc");
    check_map(&T);
}

Test(text, span_skips_dropped_and_covers_marks) {
    const char *s = "abc\xe2\x80\x8b" "def";
    fold(s);
    cr_assert_str_eq(T.fold, "abcdef");
    uint32_t a, b;
    gw_text_span(&T, 0, 3, &a, &b);
    cr_assert_eq(a, 0);
    cr_assert_eq(b, 3); /* not the ZWSP */
    gw_text_span(&T, 3, 6, &a, &b);
    cr_assert_eq(a, 6);
    cr_assert_eq(b, 9);
    gw_text_span(&T, 2, 2, &a, &b);
    cr_assert_eq(a, b);
}

Test(text, span_of_expanding_character) {
    fold("x\xc3\x9fy"); /* ß -> ss */
    cr_assert_str_eq(T.fold, "xssy");
    uint32_t a, b;
    gw_text_span(&T, 1, 2, &a, &b); /* half of "ss" */
    cr_assert_eq(a, 1);
    cr_assert_eq(b, 3);
}

Test(text, empty_and_only_spaces) {
    cr_assert_str_eq(fold(""), "");
    cr_assert_eq(T.fold_len, 0);
    cr_assert_eq(T.map[0], 0);
    cr_assert_str_eq(fold(" \t\xc2\xa0 "), " ");
    check_map(&T);
}

Test(utf8, valid) {
    cr_assert(gw_utf8_valid("plain", 5));
    cr_assert(gw_utf8_valid("\xe4\xb9\xa0\xf0\x9f\x98\x80", 7));
    cr_assert_not(gw_utf8_valid("\xc0\xaf", 2));          /* overlong '/' */
    cr_assert_not(gw_utf8_valid("\xe0\x80\xaf", 3));      /* overlong */
    cr_assert_not(gw_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
    cr_assert_not(gw_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
    cr_assert_not(gw_utf8_valid("\xe4\xb9", 2));          /* truncated */
    cr_assert_not(gw_utf8_valid("\x80", 1));
    cr_assert_not(gw_utf8_valid("\xff", 1));
}

static void check_repair(const char *in, size_t len, const char *want, size_t nrep) {
    size_t ol = 0, r = 0;
    char *out = gw_utf8_repair(in, len, &ol, &r);
    cr_assert_not_null(out);
    cr_assert_eq(ol, strlen(want));
    cr_assert_str_eq(out, want);
    cr_assert_eq(r, nrep);
    cr_assert(gw_utf8_valid(out, ol));
    free(out);
}

#define FFFD "\xef\xbf\xbd"
Test(utf8, repair) {
    check_repair("ok", 2, "ok", 0);
    check_repair("a\0b", 3, "a" FFFD "b", 1);
    check_repair("a\xc0\xaf" "b", 4, "a" FFFD FFFD "b", 2);
    check_repair("\xed\xa0\x80x", 4, FFFD FFFD FFFD "x", 3);
    check_repair("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 4);
    check_repair("\xe4\xb9" "z", 3, FFFD "z", 1); /* truncated sequence: one U+FFFD */
    check_repair("\xe4\xb9", 2, FFFD, 1);
    check_repair("\xff\xfe", 2, FFFD FFFD, 2);
    check_repair("caf\xc3\xa9", 5, "caf\xc3\xa9", 0);
}

Test(utf8, decode) {
    int32_t cp;
    cr_assert_eq(gw_utf8_decode("\xd0\x96", 2, 0, &cp), 2);
    cr_assert_eq(cp, 0x416);
    cr_assert_eq(gw_utf8_decode("\xd0", 1, 0, &cp), 1);
    cr_assert_eq(cp, -1);
}

Test(classes, word_and_unspaced) {
    cr_assert(gw_cp_is_word('a'));
    cr_assert(gw_cp_is_word('7'));
    cr_assert_not(gw_cp_is_word('\''));
    cr_assert_not(gw_cp_is_word('-'));
    cr_assert_not(gw_cp_is_word('_'));
    cr_assert(gw_cp_is_word(0x0301));  /* combining acute */
    cr_assert(gw_cp_is_word(0x4E60));  /* 习 */
    cr_assert(gw_cp_is_word(0x0E01));  /* Thai ko kai */
    cr_assert_not(gw_cp_is_word(0x3002)); /* 。 */
    cr_assert(gw_cp_is_unspaced(0x4E60));
    cr_assert(gw_cp_is_unspaced(0x3042)); /* あ */
    cr_assert(gw_cp_is_unspaced(0x30AB)); /* カ */
    cr_assert(gw_cp_is_unspaced(0x0E01));
    cr_assert(gw_cp_is_unspaced(0x1780)); /* Khmer */
    cr_assert_not(gw_cp_is_unspaced(0xAC00)); /* Hangul uses spaces */
    cr_assert_not(gw_cp_is_unspaced('a'));
    cr_assert_not(gw_cp_is_unspaced(0x0436));
}

/* ---- fast path == slow path ------------------------------------------------ */

static void assert_same(const char *s, size_t len) {
    gw_text_t a, b;
    gw_text_init(&a);
    gw_text_init(&b);
    cr_assert_eq(gw_text_fold(&a, s, len), 0);
    cr_assert_eq(gw_text_fold_slow(&b, s, len), 0);
    cr_assert_eq(a.fold_len, b.fold_len, "length differs for [%.*s]", (int)len, s);
    cr_assert_eq(memcmp(a.fold, b.fold, a.fold_len), 0, "fold differs for [%.*s]", (int)len, s);
    cr_assert_eq(memcmp(a.map, b.map, (a.fold_len + 1) * sizeof(uint32_t)), 0,
                 "map differs for [%.*s]", (int)len, s);
    cr_assert(a.n_starts == b.n_starts && !memcmp(a.starts, b.starts, a.n_starts * sizeof(uint32_t)),
              "starts differ for [%.*s]", (int)len, s);
    check_map(&a);
    gw_text_free(&a);
    gw_text_free(&b);
}

static const char *fixed[] = {
    "",
    " ",
    "A",
    "Hello, World!",
    "e\xcc\x81",                          /* ASCII base + combining mark */
    "Cafe\xcc\x81 au lait",
    "Ha\xcc\x80 N\xe1\xbb\x99i",          /* Vietnamese, mixed NFD/NFC */
    "\xc4\xb0stanbul and I\xcc\x87zmir",
    "A\xc2\xa0" "B  \t C\r\n",
    "\xe4\xb8\xad\xe5\x9b\xbd" "ABC" "\xe4\xb9\xa0",
    "x\xe2\x80\x8b" "y\xc2\xad" "z",
    "Guinea\xe2\x80\x93" "Bissau",
    "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 MOSCOW",
    "a\xcc\x88\xcc\x81\xcc\xa3 stack of marks",
    "\xef\xac\x81\xef\xbc\xa1 9\xe2\x81\xb5",
    " \xcc\x81 leading mark",
    "\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8 jamo",   /* Hangul L V T -> one syllable */
    "tab\tnew\nline\x0b\x0c",
};

Test(fastpath, fixed_set) {
    for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++) assert_same(fixed[i], strlen(fixed[i]));
}

/* Pieces the generator glues together at random. */
static const char *pieces[] = {
    "a", "Z", "q", "M", " ", "  ", "\t", "\n", ".", ",", "'", "-", "0", "9", "(",
    "The ", "ASEAN ", "Kuala Lumpur", "U.S.", "Guinea-Bissau",
    "\xc3\xa9", "\xc3\x89", "\xc3\xb1", "\xc3\xbc", "\xc3\x85", "\xc3\x9f", "\xc5\x93",
    "e\xcc\x81", "E\xcc\x81", "o\xcc\x88", "u\xcc\x88", "a\xcc\x8a", "n\xcc\x83", "\xcc\x81", "\xcc\xa3",
    "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", "\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f",
    "\xd1\x97", "\xd1\x94",
    "Vi\xe1\xbb\x87t", "Nguy\xe1\xbb\x85n", "\xc4\x90\xe1\xba\xa1i", "\xc6\xa1", "\xc6\xb0",
    "o\xcc\x9b\xcc\x81", "u\xcc\x9b\xcc\x80", "a\xcc\x86\xcc\x83", /* Vietnamese in NFD */
    "\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3", "\xe4\xb8\xad\xe5\x9b\xbd", "\xe3\x81\x82", "\xe3\x82\xab",
    "\xea\xb0\x80", "\xe0\xb8\x81", "\xd8\xb9", "\xd7\xa9",
    "\xe2\x80\x98", "\xe2\x80\x99", "\xe2\x80\x9b", "\xe2\x80\xb2", "\xe2\x80\x9c", "\xe2\x80\x9d", "\xe2\x80\x9e",
    "\xc2\xa0", "\xe2\x80\x83", "\xe3\x80\x80", "\xe2\x80\xa8",
    "\xe2\x80\x90", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x88\x92", "\xef\xbc\x8d",
    "\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0", "\xef\xbb\xbf", "\xc2\xad",
    "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xab",
    "\xc4\xb0", "I\xcc\x87", "\xc4\xb1", "\xef\xac\x81", "\xef\xbc\xa1", "\xe2\x85\xa0", "\xc2\xb2",
    "\xf0\x9f\x98\x80", "\xef\xbf\xbd",
};

Test(fastpath, generated_strings) {
    unsigned seed = 12345;
    char buf[512];
    const size_t np = sizeof(pieces) / sizeof(*pieces);
    for (int round = 0; round < 4000; round++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int npieces = 1 + (int)((seed >> 16) % 24);
        for (int k = 0; k < npieces; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % np];
            size_t pl = strlen(p);
            if (len + pl >= sizeof(buf)) break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        buf[len] = '\0';
        assert_same(buf, len);
    }
}

Test(fastpath, every_ascii_pair) {
    char buf[3];
    for (int a = 1; a < 128; a++)
        for (int b = 1; b < 128; b += 7) {
            buf[0] = (char)a;
            buf[1] = (char)b;
            buf[2] = 0;
            assert_same(buf, 2);
        }
}

Test(text, reuse_buffers_and_grow) {
    char *big = malloc(2000 * 3 + 1);
    /* 2000 copies of U+FDFA, which NFKC expands to 18 code points */
    size_t len = 0;
    for (size_t i = 0; i < 2000; i++) { memcpy(big + len, "\xef\xb7\xba", 3); len += 3; }
    cr_assert_eq(gw_text_fold(&T, big, len), 0);
    cr_assert_gt(T.fold_len, len * 5);
    check_map(&T);
    cr_assert_str_eq(fold("short"), "short");
    free(big);
}
