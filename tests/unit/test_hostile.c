/*
 * test_hostile.c - real-world nastiness through the whole processor chain,
 * each with a bounded, stated outcome within the per-item limits:
 *
 *   10 MB item                 too_large, before any parsing
 *   raw and escaped NUL bytes  repaired to U+FFFD (utf8_repaired), names on
 *                              both sides still found
 *   overlong UTF-8, surrogates raw bytes repaired; a lone \u surrogate escape
 *                              is invalid_json (jansson's verdict, with where)
 *   JSON nested 10,000 deep    invalid_json, by the depth pre-check
 *   a million-entry array      too_large at the default limit; with the
 *                              limit raised, a record (the unknown key ignored)
 *   one name a million times   too_large at the default limit; with the limit
 *                              raised, a record with matches_truncated, spans
 *                              capped at max_evidence, under max_record_bytes
 *   HTML with entities         tags from intact words, spans on the original
 *   right-to-left, zero-width  zero-width characters do not split a name;
 *                              the span covers them
 *   billion-laughs YAML        refused at the first anchor, file:line:col
 * `geowire tag` over the generated corpus (tools/gen-hostile.py) is tested
 * in tests/integration/test_tag.c and under valgrind (make valgrind).
 */
#include <criterion/criterion.h>
#include "support/shipped.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/pipeline.h"
#include "geowire/yaml.h"

TestSuite(hostile, .init = gw_test_pipeline_setup, .fini = gw_test_pipeline_teardown);

typedef struct {
    gw_result_t res;
    json_t *rec;   /* parsed record, NULL for a dead letter */
} out_t;

static out_t run_on(gw_pipeline_t *p, const char *payload, size_t len)
{
    out_t o = {0};
    gw_input_meta_t meta = {.ingest_ms = 1767225600000LL};
    cr_assert_eq(gw_pipeline_process(p, payload, len, &meta, &o.res), GW_OK);
    if (o.res.reason == GW_REASON_NONE) {
        json_error_t je;
        o.rec = json_loadb(o.res.record, o.res.record_len, 0, &je);
        cr_assert_not_null(o.rec, "record is not JSON: %s", je.text);
        gw_test_dump_record(o.res.record, o.res.record_len);
    }
    return o;
}

static out_t run(const char *payload, size_t len) { return run_on(gw_test_pipeline, payload, len); }

static void out_free(out_t *o)
{
    json_decref(o->rec);
    gw_result_clear(&o->res);
}

static void expect_reason(const char *payload, size_t len, gw_reason_t want)
{
    out_t o = run(payload, len);
    cr_assert_eq(o.res.reason, want, "reason %s (%s), want %s", gw_reason_name(o.res.reason),
                 o.res.message, gw_reason_name(want));
    cr_assert(o.res.message[0], "a dead letter says why");
    out_free(&o);
}

static int has_warning(json_t *rec, const char *code)
{
    return gw_test_find_by(rec, "warnings", "code", code) != NULL;
}

/* The original text under a span of the record's title. */
static char *title_span(json_t *rec, json_t *span)
{
    const char *t = json_string_value(json_object_get(rec, "title"));
    json_int_t s = json_integer_value(json_object_get(span, "start")),
               e = json_integer_value(json_object_get(span, "end"));
    cr_assert(t && 0 <= s && s <= e && (size_t)e <= strlen(t));
    return strndup(t + s, (size_t)(e - s));
}

/* A pipeline like the shipped one with max_item_bytes raised, to show what
 * the stages do past the gate (the daemon's default refuses these). */
static gw_pipeline_t *roomy_pipeline(size_t max_item_bytes)
{
    char err[GW_ERRLEN] = "";
    size_t keep = gw_test_cfg->limits.max_item_bytes;
    gw_test_cfg->limits.max_item_bytes = max_item_bytes;
    gw_pipeline_t *p = gw_pipeline_new(gw_test_cfg, err, sizeof err);
    gw_test_cfg->limits.max_item_bytes = keep;
    cr_assert_not_null(p, "%s", err);
    return p;
}

/* {"id":ID,"title":TITLE,"body":"<body>"} with body = unit repeated n times. */
static char *repeated_item(const char *id, const char *title, const char *unit, size_t n, size_t *len)
{
    size_t ul = strlen(unit), cap = ul * n + strlen(id) + strlen(title) + 64;
    char *p = malloc(cap);
    int h = snprintf(p, cap, "{\"id\":\"%s\",\"title\":\"%s\",\"body\":\"", id, title);
    size_t o = (size_t)h;
    for (size_t i = 0; i < n; i++, o += ul) memcpy(p + o, unit, ul);
    memcpy(p + o, "\"}", 3);
    *len = o + 2;
    return p;
}

Test(hostile, ten_megabyte_item_is_too_large, .timeout = 60)
{
    size_t len;
    char *p = repeated_item("ten-mb", "Ten megabytes", "Russia and Malaysia. ", 10 * 1024 * 1024 / 21, &len);
    cr_assert_gt(len, 10 * 1000 * 1000);
    expect_reason(p, len, GW_REASON_TOO_LARGE);
    free(p);
}

Test(hostile, nul_bytes_are_repaired_not_fatal)
{
    static const char raw[] = "{\"id\":\"nul\",\"title\":\"Russia\0Malaysia\",\"body\":\"x\"}";
    static const char esc[] = "{\"id\":\"nul2\",\"title\":\"Russia\\u0000Malaysia\",\"body\":\"x\"}";
    const char *ps[] = {raw, esc};
    size_t ls[] = {sizeof raw - 1, sizeof esc - 1};
    for (int i = 0; i < 2; i++) {
        out_t o = run(ps[i], ls[i]);
        cr_assert_eq(o.res.reason, GW_REASON_NONE, "%s", o.res.message);
        cr_assert_str_eq(json_string_value(json_object_get(o.rec, "title")), "Russia\xef\xbf\xbdMalaysia");
        cr_assert(has_warning(o.rec, "utf8_repaired"));
        cr_assert_not_null(gw_test_find_by(o.rec, "countries", "code", "RUS"));
        cr_assert_not_null(gw_test_find_by(o.rec, "countries", "code", "MYS"));
        out_free(&o);
    }
}

Test(hostile, overlong_utf8_and_raw_surrogates_are_repaired_escaped_halves_refused)
{
    /* Raw overlong '/', overlong NUL, a raw surrogate, beyond U+10FFFF; then
     * JSON escapes: a lone high, a lone low, a reversed pair. */
    static const char raw[] = "{\"id\":\"ovl\",\"title\":\"Russia \xc0\xaf \xc0\x80 \xed\xa0\x80 \xf4\x90\x80\x80 end\","
                              "\"body\":\"Malaysia\"}";
    static const char esc[] = "{\"id\":\"sur\",\"title\":\"Russia \\ud800 \\udc00 \\udc00\\ud800 "
                              "\\ud83c\\uddf7\\ud83c\\uddfa\",\"body\":\"Malaysia \\uD800\"}";
    out_t o = run(raw, sizeof raw - 1);
    cr_assert_eq(o.res.reason, GW_REASON_NONE, "%s", o.res.message);
    const char *t = json_string_value(json_object_get(o.rec, "title"));
    cr_assert_not_null(strstr(t, "Russia \xef\xbf\xbd"), "%s", t);
    cr_assert_null(strstr(t, "\xc0"));
    cr_assert(has_warning(o.rec, "utf8_repaired"));
    cr_assert_not_null(gw_test_find_by(o.rec, "countries", "code", "RUS"));
    out_free(&o);

    /* A \u escape that is half a surrogate pair is not a character: jansson
     * (and the fast scanner, which leaves such strings to it) refuses the
     * item as invalid_json, saying where; a proper pair decodes. */
    o = run(esc, sizeof esc - 1);
    cr_assert_eq(o.res.reason, GW_REASON_INVALID_JSON, "%s", gw_reason_name(o.res.reason));
    cr_assert_not_null(strstr(o.res.message, "invalid Unicode '\\uD800'"), "%s", o.res.message);
    out_free(&o);
    static const char pair[] = "{\"id\":\"pair\",\"title\":\"Russia \\ud83c\\uddf7\\ud83c\\uddfa\",\"body\":\"x\"}";
    o = run(pair, sizeof pair - 1);
    cr_assert_eq(o.res.reason, GW_REASON_NONE, "%s", o.res.message);
    cr_assert_str_eq(json_string_value(json_object_get(o.rec, "title")), "Russia \xf0\x9f\x87\xb7\xf0\x9f\x87\xba");
    out_free(&o);

    /* An escaped backslash before "ud800" is text, not an escape. */
    static const char text[] = "{\"id\":\"bs\",\"title\":\"path C:\\\\ud800\",\"body\":\"Russia\"}";
    o = run(text, sizeof text - 1);
    cr_assert_eq(o.res.reason, GW_REASON_NONE);
    cr_assert_str_eq(json_string_value(json_object_get(o.rec, "title")), "path C:\\ud800");
    cr_assert_not(has_warning(o.rec, "utf8_repaired"));
    out_free(&o);
}

Test(hostile, json_nested_ten_thousand_deep_is_invalid_json, .timeout = 30)
{
    enum { D = 10000 };
    char *p = malloc(5 * D + 64);
    size_t n = (size_t)sprintf(p, "{\"id\":\"deep\",\"title\":\"t\",\"body\":");
    memset(p + n, '[', D);
    memset(p + n + D, ']', D);
    n += 2 * D;
    p[n++] = '}';
    out_t o = run(p, n);
    cr_assert_eq(o.res.reason, GW_REASON_INVALID_JSON);
    cr_assert_not_null(strstr(o.res.message, "nested deeper than 64"), "%s", o.res.message);
    out_free(&o);
    /* Deep objects and an unterminated opening run: the same verdict. */
    n = 0;
    for (int i = 0; i < D; i++, n += 5) memcpy(p + n, "{\"a\":", 5);
    expect_reason(p, n, GW_REASON_INVALID_JSON);
    free(p);
}

Test(hostile, million_entry_array, .timeout = 120)
{
    /* {"id":"arr","title":"Array","body":"Russia","tags":[0,0,...]} */
    char *p = malloc(2 * 1000000 + 128);
    size_t len = (size_t)sprintf(p, "{\"id\":\"arr\",\"title\":\"Array\",\"body\":\"Russia\",\"tags\":[");
    for (int i = 0; i < 1000000; i++) { p[len++] = '0'; p[len++] = ','; }
    p[len - 1] = ']';
    p[len++] = '}';
    expect_reason(p, len, GW_REASON_TOO_LARGE);

    gw_pipeline_t *roomy = roomy_pipeline(4 * 1024 * 1024);
    out_t o = run_on(roomy, p, len);
    cr_assert_eq(o.res.reason, GW_REASON_NONE, "%s", o.res.message);
    cr_assert_not_null(gw_test_find_by(o.rec, "countries", "code", "RUS"));
    out_free(&o);
    gw_pipeline_free(roomy);
    free(p);
}

Test(hostile, one_name_a_million_times, .timeout = 300)
{
    size_t len;
    char *p = repeated_item("putin-1m", "One name", "Putin ", 1000000, &len);
    expect_reason(p, len, GW_REASON_TOO_LARGE);

    gw_pipeline_t *roomy = roomy_pipeline(8 * 1024 * 1024);
    out_t o = run_on(roomy, p, len);
    cr_assert_eq(o.res.reason, GW_REASON_NONE, "%s", o.res.message);
    cr_assert(has_warning(o.rec, "matches_truncated"));
    cr_assert_leq(o.res.record_len, gw_test_cfg->limits.max_record_bytes);
    json_t *putin = gw_test_find_by(o.rec, "actors", "id", "per:vladimir_putin");
    cr_assert_not_null(putin);
    cr_assert_leq(json_array_size(json_object_get(putin, "spans")), gw_test_cfg->limits.max_evidence);
    cr_assert_leq(json_integer_value(json_object_get(putin, "mentions")), (json_int_t)gw_test_cfg->limits.max_matches);
    out_free(&o);
    gw_pipeline_free(roomy);
    free(p);
}

Test(hostile, html_with_entities)
{
    static const char p[] =
        "{\"id\":\"html\",\"title\":\"<b>Russia</b> &amp; <i>Malaysia</i> &#x0; &#1114112; &bogus;\","
        "\"body\":\"<p>Talks in <a href=\\\"https://x.test/?q=Indonesia\\\">Jakarta</a> &lt;script&gt;"
        "alert(1)&lt;/script&gt;</p><script>while(1){}</script><!-- Russia -->\"}";
    out_t o = run(p, sizeof p - 1);
    cr_assert_eq(o.res.reason, GW_REASON_NONE, "%s", o.res.message);
    /* Entities are not decoded: the title keeps them verbatim and the spans
     * point at the names between the tags. */
    cr_assert_not_null(strstr(json_string_value(json_object_get(o.rec, "title")), "&amp;"));
    const char *codes[] = {"RUS", "MYS"}, *names[] = {"Russia", "Malaysia"};
    for (int i = 0; i < 2; i++) {
        json_t *c = gw_test_find_by(o.rec, "countries", "code", codes[i]);
        cr_assert_not_null(c, "%s", codes[i]);
        json_t *span = json_array_get(json_object_get(c, "spans"), 0);
        cr_assert_str_eq(json_string_value(json_object_get(span, "field")), "title");
        char *s = title_span(o.rec, span);
        cr_assert_str_eq(s, names[i]);
        free(s);
    }
    out_free(&o);
}

Test(hostile, right_to_left_and_zero_width_characters)
{
    /* U+200B inside "Russia", U+200C/U+200D inside "Malaysia", a BOM and a
     * word joiner around "Indonesia", a soft hyphen inside a name; an RLO
     * override spelling "Russia" backwards must not match. */
    static const char p[] = "{\"id\":\"zw\",\"title\":\"Rus\\u200bsia and \\u202eaissuR\\u202c\","
                            "\"body\":\"Ma\\u200clay\\u200dsia \\ufeffIndonesia\\u2060 and \\u2067Japan\\u2069 \\u061c\"}";
    out_t o = run(p, sizeof p - 1);
    cr_assert_eq(o.res.reason, GW_REASON_NONE, "%s", o.res.message);
    json_t *rus = gw_test_find_by(o.rec, "countries", "code", "RUS");
    cr_assert_not_null(rus);
    cr_assert_eq(json_integer_value(json_object_get(rus, "mentions")), 1, "the reversed spelling is no mention");
    char *s = title_span(o.rec, json_array_get(json_object_get(rus, "spans"), 0));
    cr_assert_str_eq(s, "Rus\xe2\x80\x8bsia", "the span covers the zero-width space");
    free(s);
    cr_assert_not_null(gw_test_find_by(o.rec, "countries", "code", "MYS"));
    cr_assert_not_null(gw_test_find_by(o.rec, "countries", "code", "IDN"));
    cr_assert_not_null(gw_test_find_by(o.rec, "countries", "code", "JPN"));
    out_free(&o);
}

/* The billion-laughs config comes from the hostile-input generator, so the
 * test, `make valgrind` and the README describe one file. */
Test(hostile, billion_laughs_yaml_is_refused_at_the_first_anchor, .timeout = 60)
{
    cr_assert_eq(system("mkdir -p build/fixtures && python3 tools/gen-hostile.py --bomb build/fixtures/bomb.yaml"), 0);
    char err[GW_ERRLEN] = "";
    gw_yaml_doc_t *d = gw_yaml_load("build/fixtures/bomb.yaml", 0, err, sizeof err);
    cr_assert_null(d);
    cr_assert_not_null(strstr(err, "build/fixtures/bomb.yaml:4:6: YAML anchors are not allowed"), "%s", err);

    /* As a config: `geowire check` says where and exits 2. */
    int st = system("build/san/geowire check -c build/fixtures/bomb.yaml 2>build/hostile-bomb.err");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "geowire check must exit 2");
    FILE *f = fopen("build/hostile-bomb.err", "r");
    char line[512] = "";
    cr_assert(f && fgets(line, sizeof line, f));
    fclose(f);
    cr_assert_not_null(strstr(line, "bomb.yaml:4:6: YAML anchors are not allowed"), "%s", line);
}
