/* Tests for match.c: whole-word leftmost-longest matching over folded text,
 * on the hard cases from the domain notes. All texts are written for these
 * tests. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/common.h"
#include "geowire/match.h"

typedef struct {
    const char *text;
    unsigned flags;
} pat;

static gw_matcher_t *M;
static gw_text_t T;
static gw_match_t OUT[64];
static size_t N;
static int TRUNC;

static void setup(void) {
    M = gw_matcher_new();
    cr_assert_not_null(M);
    gw_text_init(&T);
}
static void teardown(void) {
    gw_matcher_free(M);
    gw_text_free(&T);
}
TestSuite(match, .init = setup, .fini = teardown);

static void add(const char *p, uint32_t v, unsigned flags) {
    cr_assert_eq(gw_matcher_add(M, p, strlen(p), v, flags), 0, "add %s", p);
}

static void scan(const char *text) {
    cr_assert_eq(gw_matcher_build(M), 0);
    cr_assert_eq(gw_text_fold(&T, text, strlen(text)), 0);
    N = gw_matcher_scan(M, &T, OUT, 64, &TRUNC);
    for (size_t i = 0; i < N; i++) {
        cr_assert_leq(OUT[i].start, OUT[i].end);
        cr_assert_leq(OUT[i].end, strlen(text));
        cr_assert(gw_utf8_valid(text + OUT[i].start, OUT[i].end - OUT[i].start));
        if (i) cr_assert_geq(OUT[i].start, OUT[i - 1].start);
    }
}

/* The original text of match i. */
static char *got(const char *text, size_t i) {
    static char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(OUT[i].end - OUT[i].start), text + OUT[i].start);
    return buf;
}

#define EXPECT(i, val, str)                                                   \
    do {                                                                      \
        cr_assert_gt(N, (size_t)(i), "only %zu matches", N);                  \
        cr_assert_eq(OUT[i].value, (uint32_t)(val), "match %d value", (int)(i)); \
        cr_assert_str_eq(got(text, i), str);                                  \
    } while (0)

Test(match, oman_not_in_woman) {
    add("Oman", 1, 0);
    const char *text = "A woman from Muscat said the womanly Omani envoy left; Oman agreed.";
    scan(text);
    cr_assert_eq(N, 1);
    EXPECT(0, 1, "Oman");
}

Test(match, niger_not_in_nigeria) {
    add("Niger", 1, 0);
    add("Nigeria", 2, 0);
    const char *text = "Nigeria and Niger share a border; Nigerian and Nigerien officials met.";
    scan(text);
    cr_assert_eq(N, 2);
    EXPECT(0, 2, "Nigeria");
    EXPECT(1, 1, "Niger");
}

Test(match, guinea_family_longest) {
    add("Guinea", 1, 0);
    add("Guinea-Bissau", 2, 0);
    add("Papua New Guinea", 3, 0);
    add("Equatorial Guinea", 4, 0);
    const char *text = "Guinea-Bissau, Guinea\xe2\x80\x93" "Bissau, Papua New Guinea, "
                       "Equatorial Guinea and plain Guinea.";
    scan(text);
    cr_assert_eq(N, 5);
    EXPECT(0, 2, "Guinea-Bissau");
    EXPECT(1, 2, "Guinea\xe2\x80\x93" "Bissau");
    EXPECT(2, 3, "Papua New Guinea");
    EXPECT(3, 4, "Equatorial Guinea");
    EXPECT(4, 1, "Guinea");
}

Test(match, russia_variants) {
    add("Russia", 1, 0);
    add("ASEAN", 2, 0);
    add("Ukrainian", 3, 0);
    const char *text = "Russia's envoy at the Russia-ASEAN summit; Russo-Ukrainian talks; Russian oil.";
    scan(text);
    cr_assert_eq(N, 4);
    EXPECT(0, 1, "Russia");
    EXPECT(1, 1, "Russia");
    EXPECT(2, 2, "ASEAN");
    EXPECT(3, 3, "Ukrainian");
}

Test(match, curly_apostrophe) {
    add("Malaysia", 1, 0);
    add("Malaysia's", 2, 0);
    const char *text = "Malaysia\xe2\x80\x99s premier and Malaysia today.";
    scan(text);
    cr_assert_eq(N, 2);
    EXPECT(0, 2, "Malaysia\xe2\x80\x99s");
    EXPECT(1, 1, "Malaysia");
}

Test(match, cyrillic_whole_word) {
    add("\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd0\xb8", 1, 0); /* России */
    /* "Россиянин сказал, что в России холодно." */
    const char *text = "\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f\xd0\xbd\xd0\xb8\xd0\xbd "
                       "\xd1\x81\xd0\xba\xd0\xb0\xd0\xb7\xd0\xb0\xd0\xbb, \xd1\x87\xd1\x82\xd0\xbe "
                       "\xd0\xb2 \xd0\xa0\xd0\x9e\xd0\xa1\xd0\xa1\xd0\x98\xd0\x98 "
                       "\xd1\x85\xd0\xbe\xd0\xbb\xd0\xbe\xd0\xb4\xd0\xbd\xd0\xbe.";
    scan(text);
    cr_assert_eq(N, 1);
    EXPECT(0, 1, "\xd0\xa0\xd0\x9e\xd0\xa1\xd0\xa1\xd0\x98\xd0\x98");
}

Test(match, vietnamese_nfc_and_nfd) {
    add("H\xc3\xa0 N\xe1\xbb\x99i", 1, 0); /* Hà Nội, NFC */
    /* NFC then NFD ("Ha\u0300 No\u0323\u0302i") in the text */
    const char *text = "T\xe1\xbb\xab H\xc3\xa0 N\xe1\xbb\x99i \xc4\x91\xe1\xba\xbfn "
                       "Ha\xcc\x80 No\xcc\xa3\xcc\x82i.";
    scan(text);
    cr_assert_eq(N, 2);
    EXPECT(0, 1, "H\xc3\xa0 N\xe1\xbb\x99i");
    EXPECT(1, 1, "Ha\xcc\x80 No\xcc\xa3\xcc\x82i");
}

Test(match, nfd_pattern_matches_nfc_text) {
    add("Co\xcc\x82te d'Ivoire", 1, 0);
    const char *text = "In C\xc3\xb4te d\xe2\x80\x99Ivoire, rain.";
    scan(text);
    cr_assert_eq(N, 1);
    EXPECT(0, 1, "C\xc3\xb4te d\xe2\x80\x99Ivoire");
}

Test(match, accented_letter_is_a_word_char) {
    add("Per", 1, 0);
    const char *text = "Per\xc3\xba and Pere\xcc\x81 but Per.";
    scan(text);
    cr_assert_eq(N, 1);
    EXPECT(0, 1, "Per");
}

Test(match, cjk_without_spaces) {
    add("\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3", 1, 0); /* 习近平 */
    add("\xe4\xb8\xad\xe5\x9b\xbd", 2, 0);             /* 中国 */
    /* 中国国家主席习近平今天会见了客人。 */
    const char *text = "\xe4\xb8\xad\xe5\x9b\xbd\xe5\x9b\xbd\xe5\xae\xb6\xe4\xb8\xbb\xe5\xb8\xad"
                       "\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3\xe4\xbb\x8a\xe5\xa4\xa9\xe4\xbc\x9a"
                       "\xe8\xa7\x81\xe4\xba\x86\xe5\xae\xa2\xe4\xba\xba\xe3\x80\x82";
    scan(text);
    cr_assert_eq(N, 2);
    EXPECT(0, 2, "\xe4\xb8\xad\xe5\x9b\xbd");
    EXPECT(1, 1, "\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3");
}

Test(match, latin_next_to_cjk) {
    add("ASEAN", 1, 0);
    const char *text = "\xe4\xb8\x8e" "ASEAN" "\xe5\xb3\xb0\xe4\xbc\x9a";
    scan(text);
    cr_assert_eq(N, 1);
    EXPECT(0, 1, "ASEAN");
}

Test(match, case_exact) {
    add("US", 1, GW_MATCH_CASE);
    const char *text = "Let us see what the US and the Us and the us say. US";
    scan(text);
    cr_assert_eq(N, 2);
    EXPECT(0, 1, "US");
    EXPECT(1, 1, "US");
}

Test(match, case_exact_loses_to_nothing_but_plain_can_win) {
    add("US", 1, GW_MATCH_CASE);
    add("us", 2, 0);
    const char *text = "us US";
    scan(text);
    cr_assert_eq(N, 3);
    EXPECT(0, 2, "us");
    EXPECT(1, 1, "US");
    EXPECT(2, 2, "US");
}

Test(match, nbsp_and_upper_case) {
    add("prime minister", 1, 0);
    const char *text = "The Prime\xc2\xa0Minister met the PRIME  MINISTER and the prime\nminister.";
    scan(text);
    cr_assert_eq(N, 3);
    EXPECT(0, 1, "Prime\xc2\xa0Minister");
    EXPECT(1, 1, "PRIME  MINISTER");
    EXPECT(2, 1, "prime\nminister");
}

Test(match, prefix) {
    add("sanction", 1, GW_MATCH_PREFIX);
    const char *text = "New sanctions; a sanctioned bank; unsanctioned trade; sanction.";
    scan(text);
    cr_assert_eq(N, 3);
    EXPECT(0, 1, "sanctions");
    EXPECT(1, 1, "sanctioned");
    EXPECT(2, 1, "sanction");
}

Test(match, prefix_and_plain_same_span_in_insertion_order) {
    add("sanctions", 1, 0);
    add("sanction", 2, GW_MATCH_PREFIX);
    add("sanctions", 3, 0);
    const char *text = "sanctions";
    scan(text);
    cr_assert_eq(N, 3);
    EXPECT(0, 1, "sanctions");
    EXPECT(1, 2, "sanctions");
    EXPECT(2, 3, "sanctions");
}

Test(match, duplicates_reported_in_order) {
    add("Georgia", 7, 0);
    add("Georgia", 3, 0);
    add("Georgia", 9, 0);
    const char *text = "Georgia.";
    scan(text);
    cr_assert_eq(N, 3);
    EXPECT(0, 7, "Georgia");
    EXPECT(1, 3, "Georgia");
    EXPECT(2, 9, "Georgia");
}

Test(match, longer_candidate_needs_its_flags) {
    add("New York", 1, 0);
    add("NEW YORK TIMES", 2, GW_MATCH_CASE);
    const char *text = "The New York Times said.";
    scan(text);
    cr_assert_eq(N, 1);
    EXPECT(0, 1, "New York");
}

Test(match, non_overlapping_continue_after_end) {
    add("South China Sea", 1, 0);
    add("China", 2, 0);
    add("Sea", 3, 0);
    const char *text = "South China Sea China Sea";
    scan(text);
    cr_assert_eq(N, 3);
    EXPECT(0, 1, "South China Sea");
    EXPECT(1, 2, "China");
    EXPECT(2, 3, "Sea");
}

Test(match, truncated) {
    add("x", 1, 0);
    cr_assert_eq(gw_matcher_build(M), 0);
    cr_assert_eq(gw_text_fold(&T, "x x x x", 7), 0);
    gw_match_t two[2];
    int trunc = 0;
    cr_assert_eq(gw_matcher_scan(M, &T, two, 2, &trunc), 2);
    cr_assert_eq(trunc, 1);
    cr_assert_eq(gw_matcher_scan(M, &T, two, 0, &trunc), 0);
    cr_assert_eq(trunc, 1);
    gw_match_t four[4];
    cr_assert_eq(gw_matcher_scan(M, &T, four, 4, &trunc), 4);
    cr_assert_eq(trunc, 0);
}

Test(match, degenerate_texts) {
    add("Philippines", 1, 0);
    scan("");
    cr_assert_eq(N, 0);
    cr_assert_eq(TRUNC, 0);
    scan("     \t\xc2\xa0 ");
    cr_assert_eq(N, 0);
    scan("Phil");
    cr_assert_eq(N, 0);
}

/* The walk from a start has no bound of its own: it stops on the NUL that
 * ends the folded text, on which no node has a child since patterns with a
 * NUL are refused. A walk running off the end mid-pattern, a pattern
 * ending at the very end, and a NUL inside the text (valid UTF-8 the
 * pipeline repairs, but not every caller) each stop where they must. */
Test(match, walk_stops_at_the_end_and_at_a_nul) {
    add("kuala lumpur", 1, 0);
    add("kuala", 2, 0);
    const char *text = "in Kuala Lu";
    scan(text);
    cr_assert_eq(N, 1);
    EXPECT(0, 2, "Kuala");
    text = "to Kuala Lumpur";
    scan(text);
    cr_assert_eq(N, 1);
    EXPECT(0, 1, "Kuala Lumpur");
    static const char nul[] = "kuala\0lumpur kuala";
    cr_assert_eq(gw_text_fold(&T, nul, sizeof nul - 1), 0);
    N = gw_matcher_scan(M, &T, OUT, 64, &TRUNC);
    cr_assert_eq(N, 2);
    cr_assert(OUT[0].value == 2 && OUT[0].start == 0 && OUT[0].end == 5);
    cr_assert(OUT[1].value == 2 && OUT[1].start == 13 && OUT[1].end == 18);
}

Test(match, refuses_bad_patterns) {
    cr_assert_eq(gw_matcher_add(M, "", 0, 1, 0), GW_EINVAL);
    cr_assert_eq(gw_matcher_add(M, "  \t ", 4, 1, 0), GW_EINVAL);
    cr_assert_eq(gw_matcher_add(M, "\xe2\x80\x8b\xc2\xa0", 5, 1, 0), GW_EINVAL);
    cr_assert_eq(gw_matcher_add(M, "bad\xc0\xaf", 5, 1, 0), GW_EINVAL);
    cr_assert_eq(gw_matcher_add(M, "a\0b", 3, 1, 0), GW_EINVAL); /* the scan's walk relies on it */
    cr_assert_eq(gw_matcher_count(M), 0);
}

Test(match, counts_and_frozen) {
    add("a", 1, 0);
    add("a", 2, 0);
    cr_assert_eq(gw_matcher_count(M), 2);
    cr_assert_eq(gw_matcher_build(M), 0);
    cr_assert_neq(gw_matcher_add(M, "b", 1, 3, 0), 0);
}

Test(match, spans_are_on_character_boundaries) {
    add("ss", 1, 0);
    add("Turkiye", 2, 0);
    add("istanbul", 3, 0);
    const char *text = "\xc3\x9f T\xc3\xbcrkiye Tu\xcc\x88rkiye T\xc3\x9cRK\xc4\xb0YE \xc4\xb0stanbul";
    scan(text);
    /* ß folds to "ss" and matches; Türkiye is not Turkiye (ü is a letter) */
    cr_assert_eq(N, 2);
    EXPECT(0, 1, "\xc3\x9f");
    EXPECT(1, 3, "\xc4\xb0stanbul");
}

Test(match, turkiye_all_forms) {
    add("T\xc3\xbcrkiye", 1, 0);
    const char *text = "T\xc3\xbcrkiye, Tu\xcc\x88rkiye, T\xc3\x9cRK\xc4\xb0YE.";
    scan(text);
    cr_assert_eq(N, 3);
    EXPECT(0, 1, "T\xc3\xbcrkiye");
    EXPECT(1, 1, "Tu\xcc\x88rkiye");
    EXPECT(2, 1, "T\xc3\x9cRK\xc4\xb0YE");
}

Test(match, zero_width_inside_word) {
    add("Indonesia", 1, 0);
    const char *text = "Indo\xe2\x80\x8bnesia and Indo\xc2\xadnesia";
    scan(text);
    cr_assert_eq(N, 2);
    EXPECT(0, 1, "Indo\xe2\x80\x8bnesia");
    EXPECT(1, 1, "Indo\xc2\xadnesia");
}

Test(match, many_patterns_share_prefixes) {
    char buf[32];
    for (uint32_t i = 0; i < 5000; i++) {
        snprintf(buf, sizeof buf, "term%u", i);
        add(buf, i, 0);
    }
    const char *text = "term42 term4999 term50000 term7";
    scan(text);
    cr_assert_eq(N, 3);
    EXPECT(0, 42, "term42");
    EXPECT(1, 4999, "term4999");
    EXPECT(2, 7, "term7");
}

/* A node keeps up to four child bytes in its own word and a wider one a
 * table: for every width from 1 to 9, each child is found (first, middle,
 * last: the unused bytes of a narrow node repeat its last), and a byte below,
 * between and above them is not. */
Test(match, every_node_width_finds_its_children_only) {
    static const char kids[] = "bdfhjlnpr";
    for (int w = 1; w <= 9; w++)
        for (int c = 0; c < w; c++) {
            char p[8];
            snprintf(p, sizeof p, "%c%c", 'A' + w, kids[c]);
            add(p, (uint32_t)(w * 10 + c), 0);
        }
    char text[1024];
    size_t n = 0;
    for (int w = 1; w <= 9; w++) {
        for (int c = 0; c < w; c++) n += (size_t)snprintf(text + n, sizeof text - n, "%c%c ", 'A' + w, kids[c]);
        /* a, c (between b and d, or above the only child), s (above all), the last child doubled */
        n += (size_t)snprintf(text + n, sizeof text - n, "%ca %cc %cs %c%c%c ", 'A' + w, 'A' + w, 'A' + w, 'A' + w,
                              kids[w - 1], kids[w - 1]);
    }
    cr_assert_eq(gw_matcher_build(M), 0);
    cr_assert_eq(gw_text_fold(&T, text, n), 0);
    gw_match_t out[64];
    size_t got_n = gw_matcher_scan(M, &T, out, 64, NULL);
    cr_assert_eq(got_n, 45, "%zu matches in %s", got_n, text);
    size_t k = 0;
    for (int w = 1; w <= 9; w++)
        for (int c = 0; c < w; c++, k++) cr_assert_eq(out[k].value, (uint32_t)(w * 10 + c), "match %zu", k);
}
