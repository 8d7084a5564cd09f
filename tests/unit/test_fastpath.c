/* The fast paths equal the slow ones: folding (every code point, alone and
 * in mixed text) against utf8proc's path, and the JSON scanner against
 * jansson (valid items give the same record, invalid ones are refused with
 * jansson's verdict). */
#include <criterion/criterion.h>
#include "support/shipped.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "geowire/common.h"
#include "support/support.h"
#include "geowire/lang.h"
#include "geowire/parse.h"
#include "geowire/pipeline.h"
#include "geowire/processor.h"
#include "geowire/record.h"
#include "geowire/text.h"

static void expect_same_fold(const char *s, size_t len) {
    gw_text_t a, b;
    gw_text_init(&a);
    gw_text_init(&b);
    cr_assert_eq(gw_text_fold(&a, s, len), GW_OK);
    cr_assert_eq(gw_text_fold_slow(&b, s, len), GW_OK);
    cr_assert_eq(a.fold_len, b.fold_len, "fold length of '%.*s': fast %zu, slow %zu", (int)len, s,
                 a.fold_len, b.fold_len);
    cr_assert(!memcmp(a.fold, b.fold, a.fold_len), "folded bytes of '%.*s' differ: '%s' vs '%s'",
              (int)len, s, a.fold, b.fold);
    cr_assert(!memcmp(a.map, b.map, (a.fold_len + 1) * sizeof(uint32_t)), "offset map of '%.*s' differs",
              (int)len, s);
    cr_assert(a.n_starts == b.n_starts && !memcmp(a.starts, b.starts, a.n_starts * sizeof(uint32_t)),
              "match starts of '%.*s' differ", (int)len, s);
    gw_text_free(&a);
    gw_text_free(&b);
}

/* Every code point, between ASCII letters (the lone-code-point path) and
 * before a combining mark (which must send it down the library path). */
Test(fastpath, fold_every_code_point_alone_and_before_a_mark) {
    gw_text_t a, b;
    gw_text_init(&a);
    gw_text_init(&b);
    char s[16];
    size_t checked = 0;
    for (uint32_t cp = 0x80; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        for (int ctx = 0; ctx < 2; ctx++) {
            size_t n = 0;
            s[n++] = 'A';
            n += gwt_utf8(s + n, cp);
            if (ctx) n += gwt_utf8(s + n, 0x0301);
            s[n++] = 'b';
            cr_assert_eq(gw_text_fold(&a, s, n), GW_OK);
            cr_assert_eq(gw_text_fold_slow(&b, s, n), GW_OK);
            cr_assert(a.fold_len == b.fold_len && !memcmp(a.fold, b.fold, a.fold_len) &&
                          !memcmp(a.map, b.map, (a.fold_len + 1) * sizeof(uint32_t)),
                      "U+%04X (context %d): fast '%s', slow '%s'", cp, ctx, a.fold, b.fold);
            checked++;
        }
    }
    cr_assert_gt(checked, 2000000);
    gw_text_free(&a);
    gw_text_free(&b);
}

/* The class table against utf8proc's general categories, over every code
 * point: word = letters, marks, digits and other numbers. */
Test(fastpath, classes_equal_utf8proc_categories) {
    for (int32_t cp = 0x80; cp <= 0x10FFFF; cp++) {
        utf8proc_category_t c = utf8proc_category(cp);
        int word = c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT ||
                   c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_LO || c == UTF8PROC_CATEGORY_MN ||
                   c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME || c == UTF8PROC_CATEGORY_ND ||
                   c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
        unsigned k = gw_cp_class(cp);
        cr_assert_eq(!!(k & GW_CP_WORD), word, "U+%04X word", cp);
        cr_assert_eq(gw_cp_is_word(cp), word, "U+%04X gw_cp_is_word", cp);
        cr_assert_eq(!!(k & GW_CP_UNSPACED), gw_cp_is_unspaced(cp), "U+%04X unspaced", cp);
    }
    for (int32_t cp = -1; cp < 0x80; cp++) {
        int word = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
        cr_assert_eq(gw_cp_is_word(cp), word, "%d", cp);
        cr_assert_eq(gw_cp_class(cp), (unsigned)word, "%d", cp);
    }
}

Test(fastpath, fold_mixed_texts) {
    static const char *const texts[] = {
        "Prime Minister  Anwar\tIbrahim\n\nmet\r\nofficials",
        "e\xcc\x81t\xc3\xa9 and E\xcc\x81TE\xcc\x81",                      /* decomposed accents after ASCII */
        "\xc4\xb0stanbul, I\xcc\x87stanbul, \xc4\xb1sparta",                 /* Turkish dotted and dotless i */
        "\xd0\x92\xd0\xbb\xd0\xb0\xd0\xb4\xd0\xb8\xd0\xbc\xd0\xb8\xd1\x80 \xd0\x9f\xd1\x83\xd1\x82\xd0\xb8\xd0\xbd",
        "\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3\xe4\xbc\x9a\xe8\xa7\x81",      /* Han */
        "Nguy\xe1\xbb\x85n Ph\xc3\xba Tr\xe1\xbb\x8dng \xc4\x90\xe1\xbb\xa9\x63",
        "Stra\xc3\x9f\x65 STRASSE \xe1\xba\x9e \xef\xac\x81nance",            /* sharp s, capital sharp s, ligature */
        "zero\xe2\x80\x8bwidth soft\xc2\xad" "hyphen \xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\x94 dash\xc2\xa0nbsp",
        "\xea\xb0\x80\xe1\x86\xa8 Hangul with a trailing jamo, \xef\xbd\x81\xef\xbd\x82 full width",
        "\xd9\x85\xd8\xad\xd9\x85\xd9\x8e\xd9\x91\xd8\xaf \xd8\xa3\xd8\xad\xd9\x85\xd8\xaf",    /* Arabic with harakat */
        "\xce\xa3\xce\x99\xce\xa3\xce\xa5\xce\xa6\xce\x9f\xce\xa3 \xcf\x83\xce\xbf\xcf\x86\xcf\x8c\xcf\x82",
        "   leading and trailing   ",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) expect_same_fold(texts[i], strlen(texts[i]));
}

/* ASCII is folded and its match starts found eight bytes at a time, a
 * block falling back to single bytes when it holds a control character or
 * two white spaces in a row. Random texts over the bytes that decide those
 * cases (white space of every kind, runs of spaces, capitals, digits,
 * punctuation, control characters, DEL) and a few non-ASCII pieces that
 * end a run (a precomposed letter, a combining mark that pulls the last
 * ASCII byte out of the run, Han), each also shifted by 0-7 bytes so every
 * case lands on every position of a block: the same folded bytes, offsets
 * and starts as the library path, byte by byte. */
Test(fastpath, ascii_eight_at_a_time_equals_byte_by_byte) {
    static const char *const alphabet[] = {
        "a", "z", "A", "Z", "M", "0", "9", " ", " ", " ", "  ", "   ", "\t", "\n", "\r", "\v", "\f",
        ".", ",", "-", "'", "@", "[", "`", "{", "/", ":", "\x01", "\x1f", "\x7f", "~",
        "word ", "Word, ", "UN ", "x y", "\xc3\xa9", "\xcc\x81", "\xe4\xb8\xad",
    };
    const size_t na = sizeof alphabet / sizeof alphabet[0];
    unsigned seed = 2026;
    char buf[256];
    size_t checked = 0;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % 8); /* the shift */
        memset(buf, 'q', len);
        seed = seed * 1103515245u + 12345u;
        int pieces = 1 + (int)((seed >> 16) % 60);
        for (int k = 0; k < pieces; k++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 100;
            /* mostly letters and spaces, as text is */
            const char *p = r < 45 ? alphabet[r % 5] : r < 70 ? " " : alphabet[(seed >> 8) % na];
            size_t pl = strlen(p);
            if (len + pl >= sizeof buf) break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        buf[len] = '\0';
        expect_same_fold(buf, len);
        checked++;
    }
    cr_assert_eq(checked, 3000);
}

/* Sentences: the splitter passes over eight bytes at a time where none of
 * them can end a sentence. The rule (normalize.c) applied byte by byte,
 * here, must give the same starts over texts built from what decides it:
 * the end marks with and without the space and capital, quote or digit
 * after them, line breaks, 。 and another character with its lead byte
 * (あ), '/' and '>' (which the block test takes along with '.' and '?'),
 * at every shift within a block. */
static size_t sentences_by_byte(const char *s, size_t n, uint32_t *st) {
    size_t k = 0;
    st[k++] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t next = 0;
        if (s[i] == '\n') next = i + 1;
        else if ((s[i] == '.' || s[i] == '!' || s[i] == '?') && i + 2 < n && s[i + 1] == ' ') {
            unsigned char c = (unsigned char)s[i + 2];
            if ((c >= 'A' && c <= 'Z') || c == '"' || c >= 0x80 || (c >= '0' && c <= '9')) next = i + 2;
        } else if (i + 2 < n && !memcmp(s + i, "\xe3\x80\x82", 3))
            next = i + 3;
        if (next && next < n && next > st[k - 1]) st[k++] = (uint32_t)next;
    }
    return k;
}

Test(fastpath, sentences_eight_at_a_time_equal_byte_by_byte) {
    static const char *const pieces[] = {
        "word", "x", " ", "  ", ". ", ".", "! ", "? ", "?", "\n", "A", "b", "\"", "7", ",",
        "U.S. ", "\xe3\x80\x82", "\xe3\x81\x82", "\xc3\xa9", "\xc3\x89", "/ ", "> ", "1/2",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    char err[256];
    gw_langid_t *lang = gw_lang_load("config/dictionaries/languages.yaml", err, sizeof err);
    cr_assert_not_null(lang, "%s", err);
    gw_env_t env = {.lang = lang};
    unsigned seed = 77;
    char buf[400];
    uint32_t want[400];
    size_t with_ends = 0;
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(round % 8);
        memset(buf, 'q', len);
        seed = seed * 1103515245u + 12345u;
        int n = 1 + (int)((seed >> 16) % 80);
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 100;
            const char *p = r < 50 ? pieces[r % 4] : pieces[(seed >> 8) % np];
            size_t pl = strlen(p);
            if (len + pl >= sizeof buf) break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        buf[len] = '\0';
        gw_record_t r;
        gw_record_init(&r);
        r.field[GW_FIELD_TITLE] = gw_strdup("");
        r.field[GW_FIELD_BODY] = gw_strdup(buf);
        r.field_len[GW_FIELD_BODY] = len;
        cr_assert_eq(gw_normalize_run(&r, &env), GW_OK);
        size_t nw = sentences_by_byte(buf, len, want);
        with_ends += nw > 1;
        cr_assert(r.n_sentences[GW_FIELD_BODY] == nw &&
                      !memcmp(r.sentences[GW_FIELD_BODY], want, nw * sizeof(uint32_t)),
                  "sentences of '%s': %zu, want %zu", buf, r.n_sentences[GW_FIELD_BODY], nw);
        gw_record_free(&r);
    }
    cr_assert_gt(with_ends, 1000, "too few texts with a sentence end: %zu", with_ends);
    gw_lang_free(lang);
}

/* ---- JSON: the scanner against jansson ------------------------------------ */

TestSuite(fastjson, .init = gw_test_pipeline_setup, .fini = gw_test_pipeline_teardown);

static void run(const char *payload, gw_result_t *res) {
    gw_input_meta_t meta = {.ingest_ms = 1767270896000LL};
    cr_assert_eq(gw_pipeline_process(gw_test_pipeline, payload, strlen(payload), &meta, res), GW_OK);
    if (res->record) gw_test_dump_record(res->record, res->record_len);
}

/* The scanner leaves any nested value to jansson, so adding one member
 * holding an array sends the same item through jansson: both records must
 * be byte-identical. */
static void expect_same_as_jansson(const char *payload) {
    const char *close = strrchr(payload, '}');
    cr_assert(close);
    char slow[4096];
    int inner = strchr(payload, ':') != NULL;
    snprintf(slow, sizeof slow, "%.*s%s\"zz_nested\":[1,{\"a\":null}]%s", (int)(close - payload), payload,
             inner ? "," : "", close);
    gw_result_t a, b;
    run(payload, &a);
    run(slow, &b);
    cr_assert_eq(a.reason, b.reason, "%s: reason %s vs %s (%s)", payload, gw_reason_name(a.reason),
                 gw_reason_name(b.reason), b.message);
    cr_assert_str_eq(a.message, b.message, "%s", payload);
    cr_assert_eq(a.record_len, b.record_len, "%s:\n%s\n%s", payload, a.record, b.record);
    if (a.record) cr_assert(!memcmp(a.record, b.record, a.record_len), "%s:\n%s\n%s", payload, a.record, b.record);
    gw_result_clear(&a);
    gw_result_clear(&b);
}

Test(fastjson, valid_items_give_the_records_jansson_gives) {
    static const char *const items[] = {
        "{\"id\":\"a1\",\"title\":\"Lavrov visits Kuala Lumpur\",\"body\":\"Russia and Malaysia held talks.\"}",
        "{ \"title\" : \"Spaces\\tand\\nescapes \\\"quoted\\\" \\\\ \\/ \\b\\f\\r\" ,\"body\":\"x\" }",
        "{\"title\":\"\\u0041\\u00e9\\u4e60 \\ud83d\\ude00 surrogate pair\",\"body\":\"\\u0000 a NUL\"}",
        "{\"title\":\"NUL in the title \\u0000 here\",\"body\":\"Body\"}",
        "{\"id\":12345,\"title\":\"integer id\",\"body\":\"b\"}",
        "{\"id\":-0,\"title\":\"negative zero id\",\"body\":\"b\"}",
        "{\"id\":-987654321012345678,\"title\":\"big negative id\",\"body\":\"b\"}",
        "{\"id\":null,\"title\":\"null id\",\"body\":null,\"text\":\"text alias\"}",
        "{\"title\":\"wrong types\",\"body\":\"b\",\"source\":true,\"url\":7,\"lang\":false}",
        "{\"title\":\"published\",\"body\":\"b\",\"published_at\":\"2025-07-10T08:00:00+08:00\"}",
        "{\"title\":\"bad date\",\"body\":\"b\",\"published_at\":\"soon\\u0000ish\"}",
        "{\"title\":\"date not a string\",\"body\":\"b\",\"published_at\":20250710}",
        "{\"title\":\"lang\",\"body\":\"b\",\"lang\":\"ms\",\"unknown\":\"ignored\",\"\":\"empty key\"}",
        "{\"title\":\"title only\"}",
        "{\"body\":\"  \",\"title\":\"\\u00a0\"}",
        "{}",
        "{\"title\":42}",
        "{\"id\":true,\"title\":\"bool id\"}",
        "{\"title\":\"x\",\"body\":\"\xc3\xa9t\xc3\xa9 \xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3\"}",
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) expect_same_as_jansson(items[i]);
}

/* JSON jansson refuses must never be read by the scanner. */
Test(fastjson, invalid_json_is_refused_as_jansson_refuses_it) {
    static const char *const bad[] = {
        "{\"title\":\"dup\",\"title\":\"dup\"}",
        "{\"title\":\"raw\x01" "control\"}",
        "{\"title\":\"lone \\ud800 surrogate\"}",
        "{\"title\":\"lone \\udc00 low\"}",
        "{\"title\":\"bad \\x escape\"}",
        "{\"title\":\"short \\u12\"}",
        "{\"title\":\"x\"} trailing",
        "{\"id\":0123,\"title\":\"x\"}",
        "{\"id\":123456789012345678901234567890,\"title\":\"x\"}",
        "{\"title\":\"x\",}",
        "{\"title\" \"x\"}",
        "{\"title\":\"unterminated}",
        "{\"title\":tru}",
        "{\"title\":\"x\"",
        "{'title':'x'}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gw_result_t res;
        run(bad[i], &res);
        cr_assert_eq(res.reason, GW_REASON_INVALID_JSON, "%s: %s", bad[i], gw_reason_name(res.reason));
        gw_result_clear(&res);
    }
}

/* ---- fixed-point numbers: gw_buf_fixed against printf ---------------------- */

static void expect_fixed(double v, int decimals) {
    char want[512];
    snprintf(want, sizeof want, "%.*f", decimals, v);
    gw_buf_t b;
    gw_buf_init(&b);
    gw_buf_fixed(&b, v, decimals);
    cr_assert_str_eq(b.data, want, "%.17g with %d decimals", v, decimals);
    gw_buf_free(&b);
}

Test(fastpath, fixed_point_equals_printf) {
    static const double special[] = {0.0, -0.0, 1.0, -1.0, 0.5, 0.0005, 0.0015, 0.0625, 0.1875, 0.9995,
                                     0.99949999999999994, 1e-300, 5e-324, 123456.7895, 999999999999999.0,
                                     1e15, 1e300, -2.5, 2.5, 0.125, 0.375};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        for (int d = 0; d <= 3; d++) expect_fixed(special[i], d);
    /* exact ties at every scale the salience range uses: k / 2^j */
    for (int j = 1; j <= 12; j++)
        for (int k = 0; k <= (1 << j); k++)
            for (int d = 0; d <= 3; d++) expect_fixed((double)k / (double)(1 << j), d);
    /* values the scorer produces: ratios of small sums and logarithms */
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        double v = (double)(s >> 11) / 9007199254740992.0 * (i % 3 ? 1.0 : 40.0);
        expect_fixed(v, 3);
        expect_fixed(v / (v + 1.5), 3);
        expect_fixed(log2(1.0 + v * 7), 2);
    }
}

/* ---- JSON string escaping: gw_json_str against the plain loop -------------- */

/* The byte-at-a-time escaper gw_json_str replaced (eight-byte runs of plain
 * ASCII skipped at once): the reference its output must equal. */
static void json_str_plain(gw_buf_t *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    gw_buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            int32_t cp;
            int n = gw_utf8_decode(s, len, i, &cp);
            if (cp >= 0) gw_buf_append(b, s + i, (size_t)n), i += (size_t)n - 1;
            else gw_buf_append(b, "\xEF\xBF\xBD", 3);
        } else if (c == '"') gw_buf_append(b, "\\\"", 2);
        else if (c == '\\') gw_buf_append(b, "\\\\", 2);
        else if (c == '\n') gw_buf_append(b, "\\n", 2);
        else if (c == '\r') gw_buf_append(b, "\\r", 2);
        else if (c == '\t') gw_buf_append(b, "\\t", 2);
        else if (c < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            gw_buf_append(b, u, 6);
        } else gw_buf_putc(b, (char)c);
    }
    gw_buf_putc(b, '"');
}

static void expect_same_json_str(const char *s, size_t len) {
    gw_buf_t a, b;
    gw_buf_init(&a);
    gw_buf_init(&b);
    gw_buf_append(&a, "x", 1); /* not at the start of the buffer */
    gw_buf_append(&b, "x", 1);
    gw_json_str(&a, s, len);
    json_str_plain(&b, s, len);
    cr_assert_eq(a.len, b.len, "escaped length of %zu bytes: fast %zu, plain %zu", len, a.len, b.len);
    cr_assert(!memcmp(a.data, b.data, a.len + 1), "escaped bytes differ: '%s' vs '%s'", a.data, b.data);
    gw_buf_free(&a);
    gw_buf_free(&b);
}

/* Every byte value at every place of a word and across a word's end, in
 * plain ASCII context; UTF-8 sequences cut by the end of the string or by a
 * word boundary; then random bytes and random mixes of text and hostile
 * bytes, at every length around the word size. */
Test(fastpath, json_escaping_equals_the_plain_loop) {
    char s[64];
    for (int c = 0; c < 256; c++)
        for (size_t len = 1; len <= 24; len++)
            for (size_t at = 0; at < len; at++) {
                memset(s, 'a', len);
                s[at] = (char)c;
                expect_same_json_str(s, len);
            }
    static const char *const seqs[] = {"\xC3\xA9", "\xE4\xB9\xA0", "\xF0\x9F\x98\x80", "\xED\xA0\x80", "\xC0\xAF",
                                       "\xE0\x80\xAF", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\x80", "\xBF",
                                       "\xEF\xBF\xBD", "\xC2\x80", "\xDF\xBF", "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF"};
    for (size_t k = 0; k < sizeof seqs / sizeof seqs[0]; k++) {
        size_t n = strlen(seqs[k]);
        for (size_t at = 0; at < 20; at++)
            for (size_t cut = 1; cut <= n; cut++) { /* whole, and cut short by the end */
                memset(s, 'b', at);
                memcpy(s + at, seqs[k], cut);
                expect_same_json_str(s, at + cut);
                memset(s + at + cut, '"', 9);
                expect_same_json_str(s, at + cut + 9);
            }
    }
    static const char pool[] = "abc XYZ09.,\"\\\n\r\t\x01\x1f\x7f";
    uint64_t r = 0x9E3779B97F4A7C15ull;
    for (int iter = 0; iter < 200000; iter++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        size_t len = (size_t)(r % 41), mode = (size_t)(r >> 8) % 3;
        uint64_t q = r;
        for (size_t i = 0; i < len; i++) {
            q = q * 6364136223846793005ull + 1442695040888963407ull;
            unsigned char v = (unsigned char)(q >> 56);
            if (mode == 0) s[i] = (char)v;                                     /* any byte */
            else if (mode == 1) s[i] = v < 200 ? 'a' + v % 26 : pool[v % (sizeof pool - 1)]; /* mostly plain */
            else s[i] = v < 128 ? pool[v % (sizeof pool - 1)] : (char)(0x80 | (v & 0x7F)); /* hostile */
        }
        expect_same_json_str(s, len);
    }
}

/* Appends inline while they fit and through the grower when they do not:
 * the buffer equals the concatenation whatever the sizes, including a piece
 * that exactly fills the room (the terminating NUL still needs a byte). */
Test(fastpath, buffer_appends_equal_the_concatenation) {
    gw_buf_t b;
    gw_buf_init(&b);
    char want[20000], piece[600];
    size_t n = 0;
    uint64_t r = 12345;
    while (n < sizeof want - sizeof piece) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        size_t k = b.cap > b.len ? b.cap - b.len - (r & 1) : (size_t)(r % 600); /* fill, or one short */
        if (k >= sizeof piece || r % 5 == 0) k = (size_t)(r >> 20) % sizeof piece;
        for (size_t i = 0; i < k; i++) piece[i] = (char)('a' + (n + i) % 26);
        if (k == 1 && r % 3 == 0) gw_buf_putc(&b, piece[0]);
        else cr_assert_eq(gw_buf_append(&b, piece, k), GW_OK);
        memcpy(want + n, piece, k);
        n += k;
        cr_assert_eq(b.len, n);
        cr_assert(b.len < b.cap);
        cr_assert_eq(b.data[b.len], '\0');
        cr_assert(!memcmp(b.data, want, n));
    }
    gw_buf_free(&b);
}

/* ---- UTF-8 validation: gw_utf8_valid against the decoder ------------------- */

/* The loop gw_utf8_valid replaced: every character through the decoder. */
static int utf8_valid_plain(const char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        int32_t cp;
        int n = gw_utf8_decode(s, len, i, &cp);
        if (cp < 0) return 0;
        i += (size_t)n;
    }
    return 1;
}

/* Every one-, two- and three-byte sequence after ASCII at each place of a
 * word and cut by the end; four-byte leads with sampled continuations;
 * then random mixes of ASCII, valid characters and stray bytes. */
Test(fastpath, utf8_validation_equals_the_decoder) {
    char s[64];
    for (unsigned a = 0x80; a < 0x100; a++)
        for (unsigned b = 0; b < 0x100; b++)
            for (size_t at = 5; at <= 8; at++) {
                memset(s, 'a', at);
                s[at] = (char)a;
                s[at + 1] = (char)b;
                for (size_t len = at + 1; len <= at + 2; len++)
                    cr_assert_eq(gw_utf8_valid(s, len), utf8_valid_plain(s, len), "%02x %02x at %zu, %zu bytes", a, b, at, len);
                for (unsigned c = 0x70; c < 0xD0; c += 0x0F) {
                    s[at + 2] = (char)c;
                    s[at + 3] = (char)0x80;
                    cr_assert_eq(gw_utf8_valid(s, at + 3), utf8_valid_plain(s, at + 3), "%02x %02x %02x", a, b, c);
                    cr_assert_eq(gw_utf8_valid(s, at + 4), utf8_valid_plain(s, at + 4), "%02x %02x %02x 80", a, b, c);
                }
            }
    static const char *const chars[] = {"\xC3\xA9", "\xE4\xB9\xA0", "\xF0\x9F\x98\x80", "\xD0\x96", "\xE0\xA4\x95"};
    uint64_t r = 0xD1B54A32D192ED03ull;
    for (int iter = 0; iter < 300000; iter++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        size_t len = 0, want = (size_t)(r % 48);
        uint64_t q = r;
        while (len < want) {
            q = q * 6364136223846793005ull + 1442695040888963407ull;
            unsigned v = (unsigned)(q >> 58);
            if (v < 40) s[len++] = (char)('a' + v % 26);
            else if (v < 60) {
                const char *c = chars[v % 5];
                size_t n = strlen(c);
                if (len + n > sizeof s) break;
                memcpy(s + len, c, n);
                len += n;
            } else s[len++] = (char)(0x80 + (q >> 40) % 0x80); /* a stray or lead byte */
        }
        cr_assert_eq(gw_utf8_valid(s, len), utf8_valid_plain(s, len), "random string %d", iter);
    }
}

/* The scanner's strings against jansson's: random valid strings of plain
 * runs and escapes, across word boundaries, in every member the record
 * shows (title, id, source, url), and before a country name in the body,
 * whose span then shows the body's decoded length. */
Test(fastjson, escaped_strings_decode_as_jansson_decodes_them) {
    static const char *const pieces[] = {"\\n", "\\\"", "\\\\", "\\/", "\\t", "\\r", "\\b", "\\f", "\\u00e9",
                                         "\\u4e60", "\\ud83d\\ude00", "\\u0041", "\xc3\xa9", "\xe4\xb9\xa0", " ", "'"};
    uint64_t r = 0xA0761D6478BD642Full;
    for (int iter = 0; iter < 400; iter++) {
        char str[200], item[1200];
        size_t n = 0;
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        int parts = (int)(r % 9);
        uint64_t q = r;
        for (int k = 0; k < parts; k++) {
            q = q * 6364136223846793005ull + 1442695040888963407ull;
            size_t run = (size_t)(q >> 59) % 17; /* a plain run of 0-16 bytes */
            for (size_t i = 0; i < run; i++) str[n++] = (char)('a' + (q >> (i % 50)) % 26);
            const char *p = pieces[(q >> 20) % (sizeof pieces / sizeof pieces[0])];
            memcpy(str + n, p, strlen(p));
            n += strlen(p);
        }
        str[n] = '\0';
        snprintf(item, sizeof item,
                 "{\"id\":\"%s\",\"title\":\"%s x\",\"source\":\"%s\",\"url\":\"%s\",\"body\":\"%s Malaysia signed.\"}",
                 str, str, str, str, str);
        expect_same_as_jansson(item);
    }
}

/* ---- timestamps: the digit writer against printf --------------------------- */

/* gw_time_format and the normalised form gw_parse_date writes, against the
 * printf formats they replaced, over every hour offset at random instants
 * of the years 1000-9999 (which the offset can carry into 999 or 10000). */
Test(fastpath, timestamps_equal_printf) {
    uint64_t r = 0x2545F4914F6CDD1Dull;
    for (int iter = 0; iter < 100000; iter++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        int y = 1000 + (int)(r % 9000), mo = 1 + (int)((r >> 16) % 12), d = 1 + (int)((r >> 24) % 28);
        if (iter % 7 == 0) y = iter % 2 ? 1000 : 9999, mo = iter % 2 ? 1 : 12, d = iter % 2 ? 1 : 31;
        int hh = (int)((r >> 32) % 24), mm = (int)((r >> 40) % 60), ss = (int)((r >> 48) % 61);
        int oh = (int)((r >> 54) % 24), om = (int)((r >> 59) % 2) * 30, sign = r & 1 ? 1 : -1;
        char in[40], out[40], want[40];
        snprintf(in, sizeof in, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, hh, mm, ss, sign > 0 ? '+' : '-', oh, om);
        int32_t day;
        cr_assert_eq(gw_parse_date(in, strlen(in), out, &day), GW_OK, "%s", in);
        int64_t secs = (int64_t)gw_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + (ss > 59 ? 59 : ss) -
                       (int64_t)sign * (oh * 60 + om) * 60;
        int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400), rem = secs - days * 86400;
        int yy, mmo, dd;
        gw_civil_from_days((int32_t)days, &yy, &mmo, &dd);
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", yy % 10000, mmo, dd, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60));
        cr_assert_str_eq(out, want, "%s", in);
        cr_assert_eq(day, (int32_t)days, "%s", in);
        /* any instant, before 1970 too */
        int64_t ms = (int64_t)(r % 400000000000000ull) - 100000000000000LL;
        char t[21], dt[11];
        gw_time_format(ms, t);
        int64_t s2 = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
        int32_t d2 = (int32_t)(s2 >= 0 ? s2 / 86400 : -((-s2 + 86399) / 86400));
        int64_t rem2 = s2 - (int64_t)d2 * 86400;
        gw_date_format(d2, dt);
        snprintf(want, sizeof want, "%.10sT%02u:%02u:%02uZ", dt, (unsigned)(rem2 / 3600) % 24u,
                 (unsigned)(rem2 / 60) % 60u, (unsigned)rem2 % 60u);
        cr_assert_str_eq(t, want, "%lld ms", (long long)ms);
    }
}

/* Span offsets of every digit count, through the record writer's digit
 * pairs: a country after N bytes of padding has its span start at N. */
Test(fastjson, span_offsets_of_every_width_print_as_printf_prints_them) {
    static const size_t pads[] = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 9999, 10000, 10099, 99999, 100000, 123456, 999990};
    size_t cap = 1000100;
    char *item = malloc(cap);
    cr_assert_not_null(item);
    for (size_t k = 0; k < sizeof pads / sizeof pads[0]; k++) {
        size_t n = (size_t)snprintf(item, cap, "{\"title\":\"t\",\"body\":\"");
        memset(item + n, 'x', pads[k]);
        n += pads[k];
        if (pads[k]) item[n - 1] = ' ';
        snprintf(item + n, cap - n, "Malaysia said.\"}");
        gw_result_t res;
        run(item, &res);
        cr_assert_eq(res.reason, GW_REASON_NONE, "%zu: %s", pads[k], res.message);
        char want[80];
        snprintf(want, sizeof want, "{\"field\":\"body\",\"start\":%zu,\"end\":%zu}", pads[k], pads[k] + 8);
        cr_assert_not_null(strstr(res.record, want), "pad %zu: no %s", pads[k], want);
        gw_result_clear(&res);
    }
    free(item);
}

/* ---- hits: the slot table against the list ---------------------------------- */

/* gw_record_hit finds an entity's hit through a table; the list it replaced
 * was walked from the start. Over many items (each a new generation of the
 * table) with a few to a thousand distinct entities (so the table grows
 * while full of current hits), every answer is the hit the walk finds, or a
 * new one appended at the end, and a new hit starts empty; also when the
 * generation number wraps (slots of item 0 must not come back). */
Test(fastpath, hit_table_finds_what_the_list_walk_finds) {
    gw_record_t r;
    gw_record_init(&r);
    uint64_t q = 0x853C49E6748FEA9Bull;
    for (int item = 0; item < 300; item++) {
        if (item == 1) r.hit_gen = UINT32_MAX; /* the reset wraps to item 0's generation */
        gw_record_reset(&r);
        size_t distinct = item % 50 == 49 ? 1000 : 1 + (size_t)item % 40;
        for (int ask = 0; ask < 3000; ask++) {
            q = q * 6364136223846793005ull + 1442695040888963407ull;
            gw_hit_kind_t kind = (gw_hit_kind_t)((q >> 60) % 6);
            uint32_t index = (uint32_t)((q >> 33) % distinct);
            size_t want = r.n_hits;
            for (size_t i = 0; i < r.n_hits; i++)
                if (r.hits[i].kind == kind && r.hits[i].index == index) { want = i; break; }
            size_t before = r.n_hits;
            gw_hit_t *h = gw_record_hit(&r, kind, index);
            cr_assert_not_null(h);
            cr_assert_eq((size_t)(h - r.hits), want, "item %d: (%d, %u) at %zu, the walk says %zu", item, (int)kind,
                         index, (size_t)(h - r.hits), want);
            cr_assert_eq(r.n_hits, before + (want == before));
            if (want == before) cr_assert(h->mentions == 0 && h->n_spans == 0 && h->kind == kind && h->index == index);
            h->mentions++;
        }
    }
    gw_record_free(&r);
}
