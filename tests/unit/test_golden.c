/* The golden item (tests/fixtures/golden-visit.json) against every
 * expectation listed in tests/fixtures/golden-visit.expected.json, read at
 * test time so the fixture and the test cannot drift apart; and the
 * serialiser's promise that the same item gives the same bytes. */
#include <criterion/criterion.h>
#include "support/shipped.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/pipeline.h"

#define GOLDEN "tests/fixtures/golden-visit.json"
#define EXPECTED "tests/fixtures/golden-visit.expected.json"


TestSuite(golden, .init = gw_test_pipeline_setup, .fini = gw_test_pipeline_teardown);

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (tests run from the repository root)", path);
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}


/* Runs a payload; returns the record bytes (malloc'd) and asserts success. */
static char *process(const char *payload, size_t len, size_t *out_len) {
    gw_input_meta_t meta = {.ingest_ms = 1767225600000LL};
    gw_result_t res;
    cr_assert_eq(gw_pipeline_process(gw_test_pipeline, payload, len, &meta, &res), GW_OK);
    cr_assert_eq(res.reason, GW_REASON_NONE, "rejected (%s): %s", gw_reason_name(res.reason), res.message);
    gw_test_dump_record(res.record, res.record_len);
    char *rec = res.record;
    *out_len = res.record_len;
    res.record = NULL;
    gw_result_clear(&res);
    return rec;
}

static json_t *golden_record(void) {
    size_t len, rlen;
    char *payload = slurp(GOLDEN, &len);
    char *rec = process(payload, len, &rlen);
    free(payload);
    json_error_t jerr;
    json_t *r = json_loadb(rec, rlen, 0, &jerr);
    cr_assert_not_null(r, "record is not JSON: %s", jerr.text);
    free(rec);
    return r;
}

static json_t *expected(void) {
    json_error_t jerr;
    json_t *e = json_load_file(EXPECTED, 0, &jerr);
    cr_assert_not_null(e, "%s:%d: %s", EXPECTED, jerr.line, jerr.text);
    return e;
}


Test(golden, record_identity) {
    json_t *r = golden_record();
    cr_assert_str_eq(json_string_value(json_object_get(r, "schema")), "geowire.record.v1");
    cr_assert_str_eq(json_string_value(json_object_get(r, "id")), "golden-visit-2025-03-10");
    cr_assert_str_eq(json_string_value(json_object_get(r, "published_at")), "2025-03-10T09:15:00Z");
    cr_assert_str_eq(json_string_value(json_object_get(r, "date_basis")), "published_at");
    cr_assert_str_eq(json_string_value(json_object_get(r, "lang")), "en");
    cr_assert_not_null(gw_test_find_by(r, "langs", "lang", "ms"), "the Malay paragraph is not counted");
    json_decref(r);
}

Test(golden, countries) {
    json_t *r = golden_record(), *e = expected();
    size_t i;
    json_t *c;
    json_t *want = json_object_get(e, "countries"), *absent = json_object_get(e, "countries_absent");
    cr_assert(json_array_size(want) > 0 && json_array_size(absent) > 0, "expected file lists no countries");
    json_array_foreach(want, i, c)
        cr_expect_not_null(gw_test_find_by(r, "countries", "code", json_string_value(c)), "country %s missing",
                           json_string_value(c));
    json_array_foreach(absent, i, c)
        cr_expect_null(gw_test_find_by(r, "countries", "code", json_string_value(c)), "country %s must not be tagged",
                       json_string_value(c));
    json_decref(r);
    json_decref(e);
}

Test(golden, people_and_roles) {
    json_t *r = golden_record(), *e = expected();
    const char *id;
    json_t *want;
    json_t *people = json_object_get(e, "people");
    cr_assert(json_object_size(people) > 0, "expected file lists no people");
    json_object_foreach(people, id, want) {
        json_t *a = gw_test_find_by(r, "actors", "id", id);
        cr_expect_not_null(a, "person %s missing", id);
        if (!a) continue;
        cr_expect_str_eq(json_string_value(json_object_get(a, "type")), "person", "%s", id);
        const char *country = json_string_value(json_object_get(want, "country"));
        if (country) {
            json_t *got = json_object_get(a, "country");
            cr_expect(json_is_string(got) && !strcmp(json_string_value(got), country), "%s: country %s expected", id,
                      country);
            cr_expect_not_null(gw_test_find_by(r, "countries", "code", country), "%s: their country %s is not in countries",
                               id, country);
        }
        const char *title = json_string_value(json_object_get(want, "role_title"));
        if (title) {
            json_t *role = json_object_get(a, "role");
            cr_expect(json_is_object(role), "%s: no role, expected '%s'", id, title);
            if (json_is_object(role))
                cr_expect_str_eq(json_string_value(json_object_get(role, "title")), title, "%s", id);
        }
    }
    json_decref(r);
    json_decref(e);
}

Test(golden, themes) {
    json_t *r = golden_record(), *e = expected();
    size_t i;
    json_t *t;
    json_t *want = json_object_get(e, "themes"), *absent = json_object_get(e, "themes_absent");
    cr_assert(json_array_size(want) > 0 && json_array_size(absent) > 0, "expected file lists no themes");
    json_array_foreach(want, i, t)
        cr_expect_not_null(gw_test_find_by(r, "themes", "id", json_string_value(t)), "theme %s missing", json_string_value(t));
    json_array_foreach(absent, i, t)
        cr_expect_null(gw_test_find_by(r, "themes", "id", json_string_value(t)), "theme %s must not fire", json_string_value(t));
    json_decref(r);
    json_decref(e);
}

/* Every key of the expected file is checked above; a new kind of
 * expectation must get a check here rather than be ignored. */
Test(golden, expected_file_has_no_unchecked_keys) {
    json_t *e = expected();
    static const char *const known[] = {"countries", "countries_absent", "people", "themes", "themes_absent"};
    const char *key;
    json_t *v;
    json_object_foreach(e, key, v) {
        int ok = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) ok |= !strcmp(key, known[i]);
        cr_expect(ok, "%s has a key '%s' that test_golden.c does not check", EXPECTED, key);
    }
    json_decref(e);
}

Test(golden, deterministic_bytes) {
    size_t len, l1, l2, l3;
    char *payload = slurp(GOLDEN, &len);
    char *a = process(payload, len, &l1);
    /* another item in between must leave no trace in the pipeline's state */
    static const char other[] = "{\"title\":\"Kremlin rejects proposal\",\"body\":\"Prime Minister Anwar said no.\"}";
    char *b0 = process(other, sizeof other - 1, &l3);
    char *b = process(payload, len, &l2);
    cr_assert_eq(l1, l2, "record lengths differ: %zu vs %zu", l1, l2);
    cr_assert(memcmp(a, b, l1) == 0, "the same item gave different bytes");
    free(a);
    free(b);
    free(b0);
    /* and a different ingest time changes nothing when published_at is given */
    gw_input_meta_t meta = {.ingest_ms = 1700000000000LL};
    gw_result_t res;
    cr_assert_eq(gw_pipeline_process(gw_test_pipeline, payload, len, &meta, &res), GW_OK);
    cr_assert_eq(res.record_len, l1);
    a = process(payload, len, &l2);
    cr_assert(memcmp(a, res.record, l1) == 0, "ingest time leaked into a record with published_at");
    free(a);
    gw_result_clear(&res);
    free(payload);
}

Test(golden, deterministic_with_fresh_pipeline) {
    size_t len, l1, l2;
    char *payload = slurp(GOLDEN, &len);
    char *a = process(payload, len, &l1);
    char err[GW_ERRLEN] = "";
    gw_pipeline_t *q = gw_pipeline_new(gw_test_cfg, err, sizeof err);
    cr_assert_not_null(q, "%s", err);
    gw_input_meta_t meta = {.ingest_ms = 1767225600000LL};
    gw_result_t res;
    cr_assert_eq(gw_pipeline_process(q, payload, len, &meta, &res), GW_OK);
    l2 = res.record_len;
    cr_assert_eq(l1, l2);
    cr_assert(memcmp(a, res.record, l1) == 0, "two pipelines gave different bytes for one item");
    gw_result_clear(&res);
    gw_pipeline_free(q);
    free(a);
    free(payload);
}
