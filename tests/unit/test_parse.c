/* The parse stage as the daemon sees it, through gw_pipeline_process with
 * the shipped config: every dead-letter reason, plain-text items, ids,
 * published_at forms, UTF-8 repair, lang, and record_too_large. */
#include <criterion/criterion.h>
#include "support/shipped.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/pipeline.h"


#define INGEST_MS 1767270896000LL /* 2026-01-01T12:34:56Z */
#define INGEST_STR "2026-01-01T12:34:56Z"

TestSuite(parse, .init = gw_test_pipeline_setup, .fini = gw_test_pipeline_teardown);


static void run_on(gw_pipeline_t *p, const char *payload, size_t len, int64_t ingest_ms, gw_result_t *res) {
    gw_input_meta_t meta = {.ingest_ms = ingest_ms};
    cr_assert_eq(gw_pipeline_process(p, payload, len, &meta, res), GW_OK);
    if (res->record) gw_test_dump_record(res->record, res->record_len);
}

/* Expects a dead-letter verdict with the given reason. */
static void expect_reason(const char *payload, size_t len, gw_reason_t want, const char *what) {
    gw_result_t res;
    run_on(gw_test_pipeline, payload, len, INGEST_MS, &res);
    cr_assert_eq(res.reason, want, "%s: reason %s, expected %s (%s)", what, gw_reason_name(res.reason),
                 gw_reason_name(want), res.message);
    cr_assert_null(res.record, "%s: a rejected item has no record", what);
    cr_assert(res.message[0], "%s: rejection without a message", what);
    gw_result_clear(&res);
}
#define REJECT(lit, reason) expect_reason(lit, sizeof(lit) - 1, reason, lit)

/* Expects a record; returns it parsed (caller decrefs). */
static json_t *accept_at(const char *payload, size_t len, int64_t ingest_ms) {
    gw_result_t res;
    run_on(gw_test_pipeline, payload, len, ingest_ms, &res);
    cr_assert_eq(res.reason, GW_REASON_NONE, "rejected (%s): %s", gw_reason_name(res.reason), res.message);
    json_error_t jerr;
    json_t *r = json_loadb(res.record, res.record_len, 0, &jerr);
    cr_assert_not_null(r, "record is not JSON: %s", jerr.text);
    cr_assert_str_eq(json_string_value(json_object_get(r, "id")), res.id, "result id and record id differ");
    gw_result_clear(&res);
    return r;
}
static json_t *accept(const char *payload, size_t len) { return accept_at(payload, len, INGEST_MS); }
#define ACCEPT(lit) accept(lit, sizeof(lit) - 1)

static const char *str_at(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static int warned(json_t *rec, const char *code) {
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(rec, "warnings"), i, w) if (!strcmp(str_at(w, "code"), code)) return 1;
    return 0;
}

/* ---- dead-letter reasons -------------------------------------------------- */

Test(parse, empty) {
    expect_reason("", 0, GW_REASON_EMPTY, "zero bytes");
    REJECT("   \t\r\n  \n", GW_REASON_EMPTY);
}

Test(parse, too_large) {
    size_t max = gw_test_cfg->limits.max_item_bytes;
    char *big = malloc(max + 2);
    cr_assert_not_null(big);
    memcpy(big, "Headline\n", 9);
    memset(big + 9, 'a', max + 1 - 9);
    big[max + 1] = '\0';
    expect_reason(big, max + 1, GW_REASON_TOO_LARGE, "max_item_bytes + 1");
    /* exactly at the limit is allowed */
    for (size_t i = 9; i < max; i += 8) big[i] = ' ';
    gw_result_t res;
    run_on(gw_test_pipeline, big, max, INGEST_MS, &res);
    cr_assert_neq(res.reason, GW_REASON_TOO_LARGE, "a payload of exactly max_item_bytes is not too large");
    gw_result_clear(&res);
    free(big);
}

Test(parse, invalid_json) {
    REJECT("{\"title\": \"unterminated", GW_REASON_INVALID_JSON);
    REJECT("{\"title\": \"a\",}", GW_REASON_INVALID_JSON);
    REJECT("{\"title\": \"a\"} trailing", GW_REASON_INVALID_JSON);
    REJECT("[1, 2", GW_REASON_INVALID_JSON);
    /* duplicate keys are ambiguous: which title? */
    REJECT("{\"title\": \"a\", \"title\": \"b\"}", GW_REASON_INVALID_JSON);
}

/* A payload need not end with a NUL: one whose last bytes are the digits
 * of a number, copied into a buffer of exactly its size, is refused without
 * a read past its end (the address sanitizer catches one; fuzz_pipeline
 * found it). */
Test(parse, number_at_the_very_end_of_the_payload) {
    static const char *const cut[] = {"{\"title\": \"a\", \"version\": 12", "{\"version\": -7", "{\"a\":1"};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        size_t n = strlen(cut[i]);
        char *exact = malloc(n);
        memcpy(exact, cut[i], n);
        expect_reason(exact, n, GW_REASON_INVALID_JSON, cut[i]);
        free(exact);
    }
}

static char *nested(size_t depth, const char *open, const char *inner, const char *close) {
    size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + li + 1), *p = s;
    cr_assert_not_null(s);
    for (size_t i = 0; i < depth; i++, p += lo) memcpy(p, open, lo);
    memcpy(p, inner, li);
    p += li;
    for (size_t i = 0; i < depth; i++, p += lc) memcpy(p, close, lc);
    *p = '\0';
    return s;
}

Test(parse, invalid_json_deep_nesting) {
    char *s = nested(10000, "[", "", "]");
    expect_reason(s, strlen(s), GW_REASON_INVALID_JSON, "10,000 nested arrays");
    free(s);
    s = nested(10000, "{\"a\":", "1", "}");
    expect_reason(s, strlen(s), GW_REASON_INVALID_JSON, "10,000 nested objects");
    free(s);
    /* unclosed, as a hostile payload would be */
    s = nested(10000, "[", "", "");
    expect_reason(s, strlen(s), GW_REASON_INVALID_JSON, "10,000 unclosed arrays");
    free(s);
}

Test(parse, nesting_at_the_limit_is_fine) {
    int max = gw_test_cfg->limits.max_json_depth;
    /* the item object is one level; an extra field nests max - 1 more */
    char *inner = nested((size_t)max - 1, "[", "", "]");
    size_t n = strlen(inner) + 64;
    char *s = malloc(n);
    cr_assert_not_null(s);
    snprintf(s, n, "{\"title\":\"Talks\",\"extra\":%s}", inner);
    json_t *r = accept(s, strlen(s));
    json_decref(r);
    snprintf(s, n, "{\"title\":\"Talks\",\"extra\":[%s]}", inner);
    expect_reason(s, strlen(s), GW_REASON_INVALID_JSON, "max_json_depth + 1");
    free(s);
    free(inner);
}

Test(parse, not_object_array) {
    REJECT("[{\"title\": \"a\"}]", GW_REASON_NOT_OBJECT);
    REJECT("[]", GW_REASON_NOT_OBJECT);
    REJECT("  \n [\"x\"]", GW_REASON_NOT_OBJECT);
}

/* A payload starting with '"' is JSON (parse.c), and a JSON string is
 * well-formed JSON that is not an object. */
Test(parse, not_object_string) {
    REJECT("\"Kremlin rejects plan\"", GW_REASON_NOT_OBJECT);
    REJECT("\"\"", GW_REASON_NOT_OBJECT);
}

Test(parse, no_text) {
    REJECT("{}", GW_REASON_NO_TEXT);
    REJECT("{\"id\": \"x-1\", \"source\": \"AFP\"}", GW_REASON_NO_TEXT);
    REJECT("{\"title\": null, \"body\": null}", GW_REASON_NO_TEXT);
    REJECT("{\"title\": \"  \\n \", \"body\": \"\\t\"}", GW_REASON_NO_TEXT);
    REJECT("{\"title\": \"\", \"text\": \"\"}", GW_REASON_NO_TEXT);
}

Test(parse, no_text_keeps_the_id) {
    gw_result_t res;
    static const char p[] = "{\"id\": \"keep-me\"}";
    run_on(gw_test_pipeline, p, sizeof p - 1, INGEST_MS, &res);
    cr_assert_eq(res.reason, GW_REASON_NO_TEXT);
    cr_assert_not_null(res.id, "the item's id should travel with the dead letter");
    cr_assert_str_eq(res.id, "keep-me");
    gw_result_clear(&res);
}

Test(parse, invalid_field) {
    REJECT("{\"title\": 5}", GW_REASON_INVALID_FIELD);
    REJECT("{\"title\": \"ok\", \"body\": [\"a\"]}", GW_REASON_INVALID_FIELD);
    REJECT("{\"text\": {\"p\": 1}}", GW_REASON_INVALID_FIELD);
    REJECT("{\"title\": \"ok\", \"id\": 1.5}", GW_REASON_INVALID_FIELD);
    REJECT("{\"title\": \"ok\", \"id\": {\"a\": 1}}", GW_REASON_INVALID_FIELD);
    REJECT("{\"title\": true}", GW_REASON_INVALID_FIELD);
}

Test(parse, optional_fields_of_wrong_type_are_ignored_with_a_warning) {
    json_t *r = ACCEPT("{\"title\": \"Talks\", \"source\": 7, \"url\": [\"x\"]}");
    cr_assert(json_is_null(json_object_get(r, "source")));
    cr_assert(json_is_null(json_object_get(r, "url")));
    cr_assert(warned(r, "field_ignored"));
    json_decref(r);
}

/* ---- plain text and headline-only items ------------------------------------ */

Test(parse, plain_text_first_line_is_title) {
    static const char p[] = "  Kremlin rejects plan  \nMoscow said on Monday it would not accept the terms.\nSecond line.";
    json_t *r = ACCEPT(p);
    cr_assert_str_eq(str_at(r, "title"), "Kremlin rejects plan");
    cr_assert(json_is_null(json_object_get(r, "source")));
    /* body spans are offsets into the body: the text after the first newline */
    const char *body = strchr(p, '\n') + 1;
    size_t i;
    json_t *c;
    int moscow = 0;
    json_array_foreach(json_object_get(r, "countries"), i, c) {
        size_t k;
        json_t *sp;
        json_array_foreach(json_object_get(c, "spans"), k, sp) {
            if (strcmp(str_at(sp, "field"), "body")) continue;
            json_int_t a = json_integer_value(json_object_get(sp, "start"));
            json_int_t b = json_integer_value(json_object_get(sp, "end"));
            moscow |= b - a == 6 && !memcmp(body + a, "Moscow", 6);
        }
    }
    cr_assert(moscow, "no body span points at 'Moscow'");
    cr_assert_str_eq(str_at(r, "date_basis"), "ingest");
    json_decref(r);
}

Test(parse, plain_text_single_line) {
    json_t *r = ACCEPT("Kremlin rejects plan");
    cr_assert_str_eq(str_at(r, "title"), "Kremlin rejects plan");
    json_decref(r);
}

Test(parse, headline_only_json) {
    json_t *r = ACCEPT("{\"title\": \"Kremlin rejects plan\"}");
    cr_assert_str_eq(str_at(r, "title"), "Kremlin rejects plan");
    cr_assert_eq(json_array_size(json_object_get(r, "warnings")), 0);
    cr_assert_eq(json_array_size(json_object_get(r, "countries")), 1);
    json_decref(r);
}

Test(parse, body_only_and_text_alias) {
    json_t *r = ACCEPT("{\"body\": \"Moscow said no.\"}");
    cr_assert_str_eq(str_at(r, "title"), "");
    cr_assert_not_null(json_object_get(r, "countries"));
    cr_assert_eq(json_array_size(json_object_get(r, "countries")), 1);
    json_decref(r);
    r = ACCEPT("{\"title\": \"Talks\", \"text\": \"Moscow said no.\"}");
    cr_assert_eq(json_array_size(json_object_get(r, "countries")), 1, "'text' is read as the body");
    json_decref(r);
}

/* ---- ids --------------------------------------------------------------------- */

Test(parse, id_string_verbatim) {
    json_t *r = ACCEPT("{\"id\": \"  AFP:2025/03/10#Ünïcode \", \"title\": \"Talks\"}");
    cr_assert_str_eq(str_at(r, "id"), "  AFP:2025/03/10#Ünïcode ");
    json_decref(r);
}

Test(parse, id_integer_as_decimal_string) {
    json_t *r = ACCEPT("{\"id\": 42, \"title\": \"Talks\"}");
    cr_assert_str_eq(str_at(r, "id"), "42");
    json_decref(r);
    r = ACCEPT("{\"id\": -9007199254740993, \"title\": \"Talks\"}");
    cr_assert_str_eq(str_at(r, "id"), "-9007199254740993");
    json_decref(r);
}

static char *content_id(const char *payload, int64_t ingest_ms) {
    json_t *r = accept_at(payload, strlen(payload), ingest_ms);
    char *id = strdup(str_at(r, "id"));
    json_decref(r);
    return id;
}

Test(parse, missing_id_is_a_stable_content_id) {
    const char *a = "{\"title\": \"Talks\", \"body\": \"Moscow said no.\", \"published_at\": \"2025-03-10\"}";
    const char *a_null = "{\"id\": null, \"title\": \"Talks\", \"body\": \"Moscow said no.\", \"published_at\": \"2025-03-10\"}";
    const char *b = "{\"title\": \"Talks\", \"body\": \"Moscow said yes.\", \"published_at\": \"2025-03-10\"}";
    const char *c = "{\"title\": \"Talks\", \"body\": \"Moscow said no.\", \"published_at\": \"2025-03-11\"}";
    /* moving text between title and body is different content */
    const char *d = "{\"title\": \"TalksMoscow said no.\", \"published_at\": \"2025-03-10\"}";
    char *ia = content_id(a, INGEST_MS), *ia2 = content_id(a, INGEST_MS + 3600000), *ian = content_id(a_null, INGEST_MS);
    char *ib = content_id(b, INGEST_MS), *ic = content_id(c, INGEST_MS), *id = content_id(d, INGEST_MS);
    cr_assert_eq(strlen(ia), 35, "gw- and 32 hex digits: %s", ia);
    cr_assert(!strncmp(ia, "gw-", 3));
    cr_assert(strspn(ia + 3, "0123456789abcdef") == 32, "%s", ia);
    cr_assert_str_eq(ia, ia2, "the content id must not depend on ingest time");
    cr_assert_str_eq(ia, ian, "id null is the same as no id");
    cr_assert_str_neq(ia, ib);
    cr_assert_str_neq(ia, ic);
    cr_assert_str_neq(ia, id);
    free(ia);
    free(ia2);
    free(ian);
    free(ib);
    free(ic);
    free(id);
}

Test(parse, missing_id_without_date_does_not_depend_on_ingest_time) {
    const char *a = "{\"title\": \"Talks\", \"body\": \"Moscow said no.\"}";
    char *x = content_id(a, INGEST_MS), *y = content_id(a, INGEST_MS + 86400000LL * 40);
    cr_assert_str_eq(x, y);
    free(x);
    free(y);
}

/* ---- published_at ------------------------------------------------------------ */

static void expect_date(const char *given, const char *want) {
    char p[256];
    snprintf(p, sizeof p, "{\"title\": \"Talks\", \"published_at\": \"%s\"}", given);
    json_t *r = accept(p, strlen(p));
    cr_assert_str_eq(str_at(r, "published_at"), want, "published_at '%s'", given);
    cr_assert_str_eq(str_at(r, "date_basis"), "published_at", "published_at '%s'", given);
    cr_assert_not(warned(r, "published_at_invalid"), "published_at '%s'", given);
    json_decref(r);
}

Test(parse, published_at_forms) {
    expect_date("2025-03-10T09:15:00Z", "2025-03-10T09:15:00Z");
    expect_date("2025-03-10T12:30:00+08:00", "2025-03-10T04:30:00Z");
    expect_date("2025-03-10T01:00:00+05:00", "2025-03-09T20:00:00Z");
    expect_date("2025-12-31T22:00:00-03:00", "2026-01-01T01:00:00Z");
    expect_date("2025-03-10T09:15:00.123456Z", "2025-03-10T09:15:00Z");
    expect_date("2024-02-29T23:59:59-00:30", "2024-03-01T00:29:59Z");
    expect_date("2025-03-10", "2025-03-10");
    expect_date("2025-03", "2025-03");
    expect_date("2025", "2025");
}

static void expect_bad_date(const char *json_value) {
    char p[256];
    snprintf(p, sizeof p, "{\"title\": \"Talks\", \"published_at\": %s}", json_value);
    json_t *r = accept(p, strlen(p));
    cr_assert(warned(r, "published_at_invalid"), "published_at %s: no published_at_invalid warning", json_value);
    cr_assert_str_eq(str_at(r, "date_basis"), "ingest", "published_at %s", json_value);
    cr_assert_str_eq(str_at(r, "published_at"), INGEST_STR, "published_at %s", json_value);
    json_decref(r);
}

Test(parse, published_at_garbage_falls_back_to_ingest) {
    expect_bad_date("\"yesterday\"");
    expect_bad_date("\"\"");
    expect_bad_date("\"2025-13-01\"");
    expect_bad_date("\"2025-02-30\"");
    expect_bad_date("\"2025-03-10T25:00:00Z\"");
    expect_bad_date("\"2025-03-10T09:15:00\"");       /* no zone */
    expect_bad_date("\"2025-03-10T09:15:00+0800\"");  /* not RFC 3339 */
    expect_bad_date("\"10/03/2025\"");
    expect_bad_date("\"2025-03-10 garbage\"");
    expect_bad_date("1741598100");                     /* not a string */
}

Test(parse, no_published_at_uses_ingest_quietly) {
    json_t *r = ACCEPT("{\"title\": \"Talks\"}");
    cr_assert_str_eq(str_at(r, "date_basis"), "ingest");
    cr_assert_str_eq(str_at(r, "published_at"), INGEST_STR);
    cr_assert_not(warned(r, "published_at_invalid"));
    json_decref(r);
}

/* ---- UTF-8 repair ------------------------------------------------------------- */

Test(parse, invalid_utf8_in_json_is_repaired) {
    static const char p[] = "{\"title\": \"Moscow \xff talks\", \"body\": \"Caf\xc3 closed. \xed\xa0\x80 Surrogate.\"}";
    json_t *r = ACCEPT(p);
    cr_assert_str_eq(str_at(r, "title"), "Moscow \xef\xbf\xbd talks");
    cr_assert(warned(r, "utf8_repaired"));
    json_decref(r);
}

Test(parse, invalid_utf8_in_plain_text_is_repaired) {
    static const char p[] = "Moscow \xc0\xaf talks\nBody with a stray \x80 byte.";
    json_t *r = ACCEPT(p);
    cr_assert(warned(r, "utf8_repaired"));
    const char *t = str_at(r, "title");
    cr_assert(strstr(t, "\xef\xbf\xbd"), "no U+FFFD in '%s'", t);
    cr_assert(!strstr(t, "\xc0"), "overlong sequence kept");
    json_decref(r);
}

Test(parse, nul_bytes_are_repaired) {
    /* an escaped NUL inside a JSON string */
    json_t *r = ACCEPT("{\"title\": \"Mos\\u0000cow talks\"}");
    cr_assert(warned(r, "utf8_repaired"));
    cr_assert_str_eq(str_at(r, "title"), "Mos\xef\xbf\xbd" "cow talks");
    json_decref(r);
    /* a raw NUL byte in plain text */
    static const char p[] = "Moscow\0 talks\nBody.";
    r = accept(p, sizeof p - 1);
    cr_assert(warned(r, "utf8_repaired"));
    cr_assert_str_eq(str_at(r, "title"), "Moscow\xef\xbf\xbd talks");
    json_decref(r);
    /* a raw NUL byte inside a JSON string */
    static const char q[] = "{\"title\": \"Moscow\0 talks\"}";
    r = accept(q, sizeof q - 1);
    cr_assert(warned(r, "utf8_repaired"));
    json_decref(r);
}

/* ---- lang ---------------------------------------------------------------------- */

Test(parse, lang_kept_when_valid) {
    json_t *r = ACCEPT("{\"title\": \"The minister said that the talks would resume\", \"lang\": \"ms\"}");
    cr_assert_str_eq(str_at(r, "lang"), "ms");
    cr_assert_not(warned(r, "lang_invalid"));
    json_decref(r);
}

Test(parse, lang_detected_when_invalid_or_absent) {
    static const char body[] = "The minister said that the talks with the delegation would resume after the holiday, "
                               "and that the government was ready for the next round.";
    char p[512];
    snprintf(p, sizeof p, "{\"title\": \"Talks to resume\", \"body\": \"%s\", \"lang\": \"klingon\"}", body);
    json_t *r = accept(p, strlen(p));
    cr_assert_str_eq(str_at(r, "lang"), "en");
    cr_assert(warned(r, "lang_invalid"));
    json_decref(r);
    snprintf(p, sizeof p, "{\"title\": \"Talks to resume\", \"body\": \"%s\"}", body);
    r = accept(p, strlen(p));
    cr_assert_str_eq(str_at(r, "lang"), "en");
    cr_assert_not(warned(r, "lang_invalid"));
    json_decref(r);
}

/* ---- record_too_large ------------------------------------------------------------ */

Test(parse, record_too_large) {
    gw_config_t small = *gw_test_cfg; /* shallow: shares the strings, freed once with gw_test_cfg */
    small.limits.max_record_bytes = 200;
    char err[GW_ERRLEN] = "";
    gw_pipeline_t *q = gw_pipeline_new(&small, err, sizeof err);
    cr_assert_not_null(q, "%s", err);
    static const char p[] = "{\"id\": \"big-1\", \"title\": \"Kremlin rejects plan\", \"body\": \"Moscow said no.\"}";
    gw_result_t res;
    run_on(q, p, sizeof p - 1, INGEST_MS, &res);
    cr_assert_eq(res.reason, GW_REASON_RECORD_TOO_LARGE, "got %s", gw_reason_name(res.reason));
    cr_assert_null(res.record);
    cr_assert_str_eq(res.id, "big-1");
    gw_result_clear(&res);
    /* the same item fits the shipped limit */
    run_on(gw_test_pipeline, p, sizeof p - 1, INGEST_MS, &res);
    cr_assert_eq(res.reason, GW_REASON_NONE);
    cr_assert_gt(res.record_len, 200);
    gw_result_clear(&res);
    gw_pipeline_free(q);
}

Test(parse, reason_names) {
    static const char *const names[] = {"none", "empty", "too_large", "invalid_json", "not_object", "no_text",
                                        "invalid_field", "record_too_large", "produce_failed", "internal"};
    for (int i = 0; i < GW_REASON__COUNT; i++) cr_assert_str_eq(gw_reason_name((gw_reason_t)i), names[i]);
}

/* The command line's instants (redrive --since/--until, run --from-time). */
#include "geowire/parse.h"
Test(parse, instants_for_the_command_line)
{
    int64_t ms;
    cr_assert_eq(gw_parse_instant_ms("1795825081763", &ms), GW_OK);
    cr_assert_eq(ms, 1795825081763LL);
    cr_assert_eq(gw_parse_instant_ms("2026-11-27", &ms), GW_OK);
    cr_assert_eq(ms, 1795737600000LL);
    cr_assert_eq(gw_parse_instant_ms("2026-11-27T10:00:05Z", &ms), GW_OK);
    cr_assert_eq(ms, 1795737600000LL + 36005000LL);
    cr_assert_eq(gw_parse_instant_ms("2026-11-27T12:00:05+02:00", &ms), GW_OK);
    cr_assert_eq(ms, 1795737600000LL + 36005000LL);
    cr_assert_eq(gw_parse_instant_ms("2026", &ms), GW_OK); /* a year, not 2026 ms */
    cr_assert_eq(ms, 1767225600000LL);
    cr_assert_eq(gw_parse_instant_ms("yesterday", &ms), GW_EINVAL);
    cr_assert_eq(gw_parse_instant_ms("2026-13-01", &ms), GW_EINVAL);
    cr_assert_eq(gw_parse_instant_ms("", &ms), GW_EINVAL);
}
