/* Tagging hard cases (domain-notes section 3) through the whole processor
 * chain with the shipped config/geowire.yaml and dictionaries. Every item is
 * written for these tests. Every record produced here also has all of its
 * spans checked: valid UTF-8 byte offsets into the original field, and for
 * theme evidence the term equal to the bytes it points at. */
#include <criterion/criterion.h>
#include "support/shipped.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/pipeline.h"


TestSuite(tagging, .init = gw_test_pipeline_setup, .fini = gw_test_pipeline_teardown);


/* The fields of the item being checked, as the test wrote them. */
static const char *cur_title, *cur_body;

static const char *field_text(const char *field, size_t *len) {
    const char *s = NULL;
    if (!strcmp(field, "title")) s = cur_title;
    else if (!strcmp(field, "body")) s = cur_body;
    cr_assert_not_null(s, "span field '%s' is neither title nor body", field);
    *len = strlen(s);
    return s;
}

static int utf8_boundary(const char *s, size_t len, size_t off) {
    return off == len || ((unsigned char)s[off] & 0xC0) != 0x80;
}

/* The bytes a span points at, in a static buffer. */
static const char *span_str(json_t *sp) {
    static char buf[1024];
    size_t len;
    const char *s = field_text(json_string_value(json_object_get(sp, "field")), &len);
    size_t st = (size_t)json_integer_value(json_object_get(sp, "start"));
    size_t en = (size_t)json_integer_value(json_object_get(sp, "end"));
    cr_assert(st <= en && en <= len, "span [%zu,%zu) outside a field of %zu bytes", st, en, len);
    cr_assert(en - st < sizeof buf);
    memcpy(buf, s + st, en - st);
    buf[en - st] = '\0';
    return buf;
}

static void check_span(json_t *sp, const char *owner) {
    cr_assert(json_is_object(sp), "%s: span is not an object", owner);
    json_t *f = json_object_get(sp, "field"), *st = json_object_get(sp, "start"), *en = json_object_get(sp, "end");
    cr_assert(json_is_string(f) && json_is_integer(st) && json_is_integer(en), "%s: malformed span", owner);
    size_t len;
    const char *s = field_text(json_string_value(f), &len);
    json_int_t a = json_integer_value(st), b = json_integer_value(en);
    cr_assert(a >= 0 && a < b && (size_t)b <= len, "%s: span [%lld,%lld) not inside %s of %zu bytes", owner,
              (long long)a, (long long)b, json_string_value(f), len);
    cr_assert(utf8_boundary(s, len, (size_t)a) && utf8_boundary(s, len, (size_t)b),
              "%s: span [%lld,%lld) of %s splits a UTF-8 sequence", owner, (long long)a, (long long)b,
              json_string_value(f));
}

static void check_all_spans(json_t *rec) {
    size_t i, k;
    json_t *e, *sp;
    json_array_foreach(json_object_get(rec, "countries"), i, e) {
        json_array_foreach(json_object_get(e, "spans"), k, sp) check_span(sp, json_string_value(json_object_get(e, "code")));
    }
    json_array_foreach(json_object_get(rec, "actors"), i, e) {
        json_array_foreach(json_object_get(e, "spans"), k, sp) check_span(sp, json_string_value(json_object_get(e, "id")));
    }
    json_array_foreach(json_object_get(rec, "themes"), i, e) {
        json_array_foreach(json_object_get(e, "evidence"), k, sp) {
            const char *id = json_string_value(json_object_get(e, "id"));
            check_span(sp, id);
            cr_assert_str_eq(json_string_value(json_object_get(sp, "term")), span_str(sp),
                             "%s: evidence term differs from the text it points at", id);
        }
    }
}

/* Tags one item (NULL date: none given) and returns the parsed record;
 * the caller releases it with json_decref. */
static json_t *tag(const char *title, const char *body, const char *date) {
    json_t *item = json_pack("{s:s, s:s?, s:s?}", "title", title, "body", body, "published_at", date);
    cr_assert_not_null(item);
    char *payload = json_dumps(item, JSON_COMPACT);
    json_decref(item);
    gw_input_meta_t meta = {.ingest_ms = 1767225600000LL}; /* 2026-01-01 */
    gw_result_t res;
    cr_assert_eq(gw_pipeline_process(gw_test_pipeline, payload, strlen(payload), &meta, &res), GW_OK);
    free(payload);
    cr_assert_eq(res.reason, GW_REASON_NONE, "rejected (%s): %s", gw_reason_name(res.reason), res.message);
    gw_test_dump_record(res.record, res.record_len);
    json_error_t jerr;
    json_t *rec = json_loadb(res.record, res.record_len, 0, &jerr);
    cr_assert_not_null(rec, "record is not JSON: %s", jerr.text);
    gw_result_clear(&res);
    cur_title = title;
    cur_body = body ? body : "";
    check_all_spans(rec);
    return rec;
}

static json_t *country(json_t *rec, const char *code) { return gw_test_find_by(rec, "countries", "code", code); }
static json_t *actor(json_t *rec, const char *id) { return gw_test_find_by(rec, "actors", "id", id); }
static json_t *bloc(json_t *rec, const char *code) { return gw_test_find_by(rec, "blocs", "code", code); }

static int str_in(json_t *arr, const char *s) {
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (json_is_string(e) && !strcmp(json_string_value(e), s)) return 1;
    return 0;
}
static int has_via(json_t *c, const char *via) { return str_in(json_object_get(c, "via"), via); }

/* Does one of the entity's spans point at exactly `text`? */
static int span_is(json_t *entity, const char *text) {
    size_t i;
    json_t *sp;
    json_array_foreach(json_object_get(entity, "spans"), i, sp) if (!strcmp(span_str(sp), text)) return 1;
    return 0;
}

static int warned(json_t *rec, const char *code, const char *detail_part) {
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(rec, "warnings"), i, w) {
        const char *c = json_string_value(json_object_get(w, "code"));
        const char *d = json_string_value(json_object_get(w, "detail"));
        if (c && !strcmp(c, code) && (!detail_part || (d && strstr(d, detail_part)))) return 1;
    }
    return 0;
}

static const char *str_at(json_t *obj, const char *key) { return json_string_value(json_object_get(obj, key)); }

/* Asserts the actor is present and returns its role (NULL when null). */
static json_t *role_of(json_t *rec, const char *id) {
    json_t *a = actor(rec, id);
    cr_assert_not_null(a, "actor %s missing", id);
    json_t *r = json_object_get(a, "role");
    return json_is_null(r) ? NULL : r;
}

#define ASSERT_COUNTRY(rec, code) cr_assert_not_null(country(rec, code), "country %s missing", code)
#define ASSERT_NO_COUNTRY(rec, code) cr_assert_null(country(rec, code), "country %s wrongly tagged", code)
#define ASSERT_ACTOR(rec, id) cr_assert_not_null(actor(rec, id), "actor %s missing", id)
#define ASSERT_NO_ACTOR(rec, id) cr_assert_null(actor(rec, id), "actor %s wrongly tagged", id)

/* ---- 1. Security Council: Russia's vs the UN's ---------------------------- */

Test(tagging, russias_security_council_is_not_the_un) {
    json_t *r = tag("Russia's Security Council meets on Baltic security",
                    "Security Council Secretary Sergei Shoigu chaired the session in Moscow on Friday.", "2025-02-07");
    json_t *sc = actor(r, "org:security_council_of_russia");
    cr_assert_not_null(sc);
    cr_assert_str_eq(str_at(sc, "country"), "RUS");
    cr_assert(span_is(sc, "Russia's Security Council"));
    ASSERT_NO_ACTOR(r, "org:un_security_council");
    json_t *sh = actor(r, "per:sergei_shoigu");
    cr_assert_not_null(sh);
    cr_assert_str_eq(str_at(sh, "cameo"), "RUSGOV");
    json_decref(r);
}

Test(tagging, bare_security_council_secretary_is_not_the_un) {
    json_t *r = tag("Security talks", "Security Council Secretary Sergei Shoigu chaired a meeting on Friday.",
                    "2025-02-07");
    ASSERT_NO_ACTOR(r, "org:un_security_council");
    ASSERT_NO_ACTOR(r, "org:united_nations");
    cr_assert_str_eq(str_at(actor(r, "per:sergei_shoigu"), "cameo"), "RUSGOV");
    json_decref(r);
}

Test(tagging, un_security_council) {
    json_t *r = tag("UN Security Council fails to agree on ceasefire text",
                    "The United Nations Security Council met for four hours on Tuesday.", "2025-02-07");
    json_t *un = actor(r, "org:un_security_council");
    cr_assert_not_null(un);
    cr_assert(json_is_null(json_object_get(un, "country")));
    cr_assert(span_is(un, "United Nations Security Council"));
    ASSERT_NO_ACTOR(r, "org:security_council_of_russia");
    ASSERT_NO_COUNTRY(r, "RUS");
    json_decref(r);
}

/* domain-notes section 3: the UN is IGOUNO in CAMEO, not IGO + a generic IGO agent code */
Test(tagging, un_security_council_cameo) {
    json_t *r = tag("UN Security Council meets", "The UN Security Council met on Tuesday.", "2025-02-07");
    json_t *un = actor(r, "org:un_security_council");
    cr_assert_not_null(un);
    cr_assert_str_eq(str_at(un, "cameo"), "IGOUNO");
    json_decref(r);
}

/* ---- 2. Transliterations -------------------------------------------------- */

Test(tagging, shoigu_spellings) {
    static const char *const names[] = {"Sergei Shoigu", "Sergey Shoygu", "Sergei Shoygu", "Sergey Shoigu"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char body[160];
        snprintf(body, sizeof body, "%s arrived for talks on Monday.", names[i]);
        json_t *r = tag("Talks open", body, "2025-02-07");
        json_t *a = actor(r, "per:sergei_shoigu");
        cr_assert_not_null(a, "'%s' not resolved", names[i]);
        cr_assert_str_eq(str_at(a, "match"), "full");
        cr_assert(span_is(a, names[i]));
        ASSERT_COUNTRY(r, "RUS");
        json_decref(r);
    }
}

Test(tagging, zelensky_spellings) {
    static const char *const names[] = {"Volodymyr Zelensky", "Volodymyr Zelenskyy", "Volodymyr Zelenskiy"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char body[160];
        snprintf(body, sizeof body, "%s addressed parliament on Monday.", names[i]);
        json_t *r = tag("Address to parliament", body, "2025-02-07");
        json_t *a = actor(r, "per:volodymyr_zelensky");
        cr_assert_not_null(a, "'%s' not resolved", names[i]);
        cr_assert(span_is(a, names[i]));
        cr_assert_str_eq(str_at(a, "country"), "UKR");
        json_decref(r);
    }
}

Test(tagging, zelenskyy_short_in_title_with_full_name_in_body) {
    json_t *r = tag("Zelenskyy appeals for air defence", "Volodymyr Zelensky said more systems were needed.",
                    "2025-02-07");
    json_t *a = actor(r, "per:volodymyr_zelensky");
    cr_assert_not_null(a);
    cr_assert_eq(json_integer_value(json_object_get(a, "mentions")), 2);
    cr_assert(span_is(a, "Zelenskyy"));
    json_decref(r);
}

/* ---- 3. Roles at the story's date ----------------------------------------- */

static void expect_role(const char *id, const char *name, const char *date, const char *title, const char *since,
                        const char *until) {
    char body[200];
    snprintf(body, sizeof body, "%s spoke to reporters after the meeting.", name);
    json_t *r = tag("Meeting ends", body, date);
    json_t *role = role_of(r, id);
    if (!title) {
        cr_assert_null(role, "%s on %s: expected no role, got '%s'", id, date, str_at(role, "title"));
    } else {
        cr_assert_not_null(role, "%s on %s: expected '%s', got no role", id, date, title);
        cr_assert_str_eq(str_at(role, "title"), title, "%s on %s", id, date);
        cr_assert_str_eq(str_at(role, "since"), since, "%s on %s", id, date);
        if (until) cr_assert_str_eq(str_at(role, "until"), until, "%s on %s", id, date);
        else cr_assert(json_is_null(json_object_get(role, "until")), "%s on %s: until should be null", id, date);
    }
    json_decref(r);
}

Test(tagging, shoigu_role_by_date) {
    expect_role("per:sergei_shoigu", "Sergei Shoigu", "2023-06-01", "Minister of Defence", "2012-11-06", "2024-05-11");
    expect_role("per:sergei_shoigu", "Sergei Shoigu", "2025-06-01", "Secretary of the Security Council", "2024-05-12", NULL);
    /* the decree took effect on signing, 2024-05-12 */
    expect_role("per:sergei_shoigu", "Sergei Shoigu", "2024-05-11", "Minister of Defence", "2012-11-06", "2024-05-11");
    expect_role("per:sergei_shoigu", "Sergei Shoigu", "2024-05-12", "Secretary of the Security Council", "2024-05-12", NULL);
}

Test(tagging, prabowo_role_by_date) {
    expect_role("per:prabowo_subianto", "Prabowo Subianto", "2023-06-01", "Minister of Defence", "2019-10-23", "2024-10-20");
    expect_role("per:prabowo_subianto", "Prabowo Subianto", "2025-06-01", "President", "2024-10-20", NULL);
    /* inauguration day: the defence post ends as the presidency begins */
    expect_role("per:prabowo_subianto", "Prabowo Subianto", "2024-10-20", "President", "2024-10-20", NULL);
}

Test(tagging, trump_role_by_date) {
    expect_role("per:donald_trump", "Donald Trump", "2019-06-01", "President", "2017-01-20", "2021-01-20");
    expect_role("per:donald_trump", "Donald Trump", "2023-06-01", NULL, NULL, NULL);
    expect_role("per:donald_trump", "Donald Trump", "2025-06-01", "President", "2025-01-20", NULL);
}

Test(tagging, role_uses_rfc3339_date_in_utc) {
    /* 2024-05-12T01:00+05:00 is 2024-05-11T20:00Z: still the defence minister */
    expect_role("per:sergei_shoigu", "Sergei Shoigu", "2024-05-12T01:00:00+05:00", "Minister of Defence", "2012-11-06",
                "2024-05-11");
}

/* ---- 4. Bare surnames ----------------------------------------------------- */

Test(tagging, bare_anwar_unresolved) {
    json_t *r = tag("Budget debate continues", "Anwar said the budget would pass next week.", "2025-02-07");
    ASSERT_NO_ACTOR(r, "per:anwar_ibrahim");
    cr_assert_eq(json_array_size(json_object_get(r, "actors")), 0);
    cr_assert(warned(r, "unresolved_name", "Anwar"));
    ASSERT_NO_COUNTRY(r, "MYS");
    json_decref(r);
}

Test(tagging, titled_anwar_resolved) {
    json_t *r = tag("Budget debate continues", "Prime Minister Anwar said the budget would pass next week.", "2025-02-07");
    json_t *a = actor(r, "per:anwar_ibrahim");
    cr_assert_not_null(a);
    cr_assert_str_eq(str_at(a, "match"), "title_name");
    cr_assert(span_is(a, "Anwar"));
    cr_assert_str_eq(str_at(json_object_get(a, "role"), "title"), "Prime Minister");
    cr_assert_not(warned(r, "unresolved_name", NULL));
    ASSERT_COUNTRY(r, "MYS");
    json_decref(r);
}

Test(tagging, anwar_after_full_name_resolved) {
    json_t *r = tag("Budget debate continues",
                    "Anwar Ibrahim tabled the budget on Friday. Anwar said it would pass next week.", "2025-02-07");
    json_t *a = actor(r, "per:anwar_ibrahim");
    cr_assert_not_null(a);
    cr_assert_str_eq(str_at(a, "match"), "full");
    cr_assert_eq(json_integer_value(json_object_get(a, "mentions")), 2);
    cr_assert(span_is(a, "Anwar Ibrahim"));
    cr_assert(span_is(a, "Anwar"));
    cr_assert_not(warned(r, "unresolved_name", NULL));
    json_decref(r);
}

/* ---- 5. Honorifics -------------------------------------------------------- */

Test(tagging, datuk_seri_anwar_ibrahim) {
    json_t *r = tag("Datuk Seri Anwar Ibrahim opens investment forum",
                    "Datuk Seri Anwar Ibrahim welcomed the delegates.", "2025-02-07");
    json_t *a = actor(r, "per:anwar_ibrahim");
    cr_assert_not_null(a);
    cr_assert(span_is(a, "Anwar Ibrahim"));
    cr_assert_str_eq(str_at(a, "country"), "MYS");
    json_decref(r);
}

Test(tagging, presiden_prabowo) {
    json_t *r = tag("Presiden Prabowo bertemu para menteri",
                    "Presiden Prabowo mengatakan bahwa pemerintah akan melanjutkan program itu.", "2025-02-07");
    json_t *a = actor(r, "per:prabowo_subianto");
    cr_assert_not_null(a);
    cr_assert_str_eq(str_at(a, "match"), "title_name");
    cr_assert(span_is(a, "Prabowo"));
    cr_assert_str_eq(str_at(json_object_get(a, "role"), "title"), "President");
    ASSERT_COUNTRY(r, "IDN");
    json_decref(r);
}

/* ---- 6. Metonyms ---------------------------------------------------------- */

Test(tagging, kremlin_and_moscow) {
    json_t *r = tag("Kremlin rejects the proposal", "Officials said Moscow would not accept the terms.", "2025-02-07");
    json_t *c = country(r, "RUS");
    cr_assert_not_null(c);
    cr_assert(has_via(c, "seat"));
    cr_assert(has_via(c, "capital"));
    cr_assert(span_is(c, "Kremlin"));
    cr_assert(span_is(c, "Moscow"));
    cr_assert_eq(json_array_size(json_object_get(r, "countries")), 1);
    json_decref(r);
}

Test(tagging, putrajaya) {
    json_t *r = tag("Putrajaya announces new policy", "Putrajaya said the policy takes effect next month.", "2025-02-07");
    json_t *c = country(r, "MYS");
    cr_assert_not_null(c);
    cr_assert(has_via(c, "seat"));
    cr_assert(span_is(c, "Putrajaya"));
    json_decref(r);
}

/* ---- 7. Country-name collisions ------------------------------------------- */

Test(tagging, georgia_us_state) {
    json_t *r = tag("Storms hit the South", "Heavy rain flooded streets in Atlanta, Georgia on Tuesday.", "2025-02-07");
    ASSERT_NO_COUNTRY(r, "GEO");
    json_decref(r);
}

Test(tagging, georgia_country_with_tbilisi) {
    json_t *r = tag("Protests in Georgia", "Thousands marched in Tbilisi against the government of Georgia.",
                    "2025-02-07");
    json_t *c = country(r, "GEO");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "Georgia"));
    cr_assert(span_is(c, "Tbilisi"));
    ASSERT_NO_COUNTRY(r, "USA");
    json_decref(r);
}

Test(tagging, michael_jordan_is_not_jordan) {
    json_t *r = tag("Michael Jordan buys a stake in a team", "Michael Jordan said he was excited about the deal.",
                    "2025-02-07");
    ASSERT_NO_COUNTRY(r, "JOR");
    json_decref(r);
}

Test(tagging, king_abdullah_of_jordan) {
    json_t *r = tag("Talks on refugees", "King Abdullah of Jordan met aid officials on Sunday.", "2025-02-07");
    json_t *c = country(r, "JOR");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "Jordan"));
    json_decref(r);
}

Test(tagging, amman_is_jordan) {
    json_t *r = tag("Talks in Amman", "Officials met in Amman on Sunday.", "2025-02-07");
    json_t *c = country(r, "JOR");
    cr_assert_not_null(c);
    cr_assert(has_via(c, "capital"));
    json_decref(r);
}

Test(tagging, turkey_the_bird) {
    json_t *r = tag("Families roast a turkey", "Many families will roast a turkey for the holiday dinner.", "2025-02-07");
    ASSERT_NO_COUNTRY(r, "TUR");
    json_decref(r);
}

Test(tagging, turkiye_and_turkey_the_country) {
    json_t *r = tag("Türkiye hosts talks", "Türkiye hosted the talks in Ankara.", "2025-02-07");
    json_t *c = country(r, "TUR");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "Türkiye"));
    json_decref(r);
    r = tag("Turkey's president hosts talks", "Turkey hosted talks in Ankara on Monday.", "2025-02-07");
    ASSERT_COUNTRY(r, "TUR");
    json_decref(r);
}

Test(tagging, niger_vs_nigeria) {
    json_t *r = tag("Niger junta expels envoy", "The junta in Niger expelled the envoy.", "2025-02-07");
    ASSERT_COUNTRY(r, "NER");
    ASSERT_NO_COUNTRY(r, "NGA");
    json_decref(r);
    r = tag("Nigeria holds election", "Voters in Nigeria went to the polls.", "2025-02-07");
    ASSERT_COUNTRY(r, "NGA");
    ASSERT_NO_COUNTRY(r, "NER");
    json_decref(r);
}

Test(tagging, guinea_family) {
    json_t *r = tag("Guinea-Bissau prepares for a vote", "Guinea-Bissau will hold a vote in November.", "2025-02-07");
    json_t *c = country(r, "GNB");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "Guinea-Bissau"));
    ASSERT_NO_COUNTRY(r, "GIN");
    json_decref(r);
    r = tag("Regional vote", "Voters in Guinea cast ballots. Equatorial Guinea and Papua New Guinea watched.",
            "2025-02-07");
    ASSERT_COUNTRY(r, "GIN");
    ASSERT_COUNTRY(r, "GNQ");
    ASSERT_COUNTRY(r, "PNG");
    cr_assert(span_is(country(r, "GNQ"), "Equatorial Guinea"));
    cr_assert(span_is(country(r, "PNG"), "Papua New Guinea"));
    cr_assert_eq(json_array_size(json_object_get(country(r, "GIN"), "spans")), 1);
    json_decref(r);
}

/* ---- 8. Substrings and case ----------------------------------------------- */

Test(tagging, oman_inside_woman) {
    json_t *r = tag("A woman wins the award", "The woman thanked her family and the women of her village.", "2025-02-07");
    ASSERT_NO_COUNTRY(r, "OMN");
    json_decref(r);
    r = tag("Talks in Oman", "Officials met in Oman on Sunday.", "2025-02-07");
    ASSERT_COUNTRY(r, "OMN");
    json_decref(r);
}

Test(tagging, india_inside_indiana) {
    json_t *r = tag("Indiana farmers plant corn", "Farmers in Indiana planted corn early this year.", "2025-02-07");
    ASSERT_NO_COUNTRY(r, "IND");
    json_decref(r);
}

Test(tagging, us_vs_pronoun) {
    json_t *r = tag("Let us talk", "Tell us what you think, she said to us.", "2025-02-07");
    ASSERT_NO_COUNTRY(r, "USA");
    json_decref(r);
    r = tag("US imposes tariffs", "The US imposed tariffs on steel.", "2025-02-07");
    json_t *c = country(r, "USA");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "US"));
    json_decref(r);
}

/* ---- 9. Compounds --------------------------------------------------------- */

Test(tagging, russia_asean_hyphen) {
    json_t *r = tag("Russia-ASEAN summit opens", "Leaders gathered for the Russia-ASEAN summit.", "2025-02-07");
    json_t *c = country(r, "RUS");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "Russia"));
    json_t *b = bloc(r, "ASEAN");
    cr_assert_not_null(b);
    cr_assert(json_is_true(json_object_get(b, "named")));
    json_decref(r);
}

Test(tagging, russo_ukrainian_war) {
    json_t *r = tag("Russo-Ukrainian war enters a new phase", "The Russo-Ukrainian war continues.", "2025-02-07");
    json_t *c = country(r, "RUS");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "Russo"));
    ASSERT_COUNTRY(r, "UKR");
    json_decref(r);
    /* the surname is not the combining form */
    r = tag("New film", "Directors Joe Russo and Anthony Russo presented the film.", "2025-02-07");
    ASSERT_NO_COUNTRY(r, "RUS");
    json_decref(r);
}

/* "Sino-" is a combining form of China, confirmed by its second half. */
Test(tagging, sino_japanese_talks) {
    json_t *r = tag("Sino-Japanese talks resume", "Sino-Japanese relations improved this year.", "2025-02-07");
    ASSERT_COUNTRY(r, "CHN");
    ASSERT_COUNTRY(r, "JPN");
    json_decref(r);
}

/* ---- 10. Demonym noise ---------------------------------------------------- */

Test(tagging, demonym_noise) {
    json_t *r = tag("A night out", "The bar serves French fries and Turkish coffee, and a film showed a game of Russian roulette.",
                    "2025-02-07");
    ASSERT_NO_COUNTRY(r, "FRA");
    ASSERT_NO_COUNTRY(r, "TUR");
    ASSERT_NO_COUNTRY(r, "RUS");
    cr_assert_eq(json_array_size(json_object_get(r, "countries")), 0);
    json_decref(r);
}

/* ---- 11. Datelines and media ---------------------------------------------- */

Test(tagging, dateline_is_location_agency_is_media) {
    json_t *r = tag("Budget passes", "KUALA LUMPUR (AFP) - The parliament passed the budget on Thursday after a long debate.",
                    "2025-02-07");
    json_t *c = country(r, "MYS");
    cr_assert_not_null(c);
    cr_assert_str_eq(str_at(c, "role"), "mention");
    cr_assert(has_via(c, "dateline"));
    cr_assert(span_is(c, "KUALA LUMPUR"));
    ASSERT_NO_COUNTRY(r, "FRA");
    json_t *a = actor(r, "org:afp");
    cr_assert_not_null(a);
    cr_assert_str_eq(str_at(a, "type"), "media");
    cr_assert(span_is(a, "AFP"));
    json_decref(r);
}

/* ---- 12. Malay and Indonesian ---------------------------------------------- */

Test(tagging, malay_aliases) {
    json_t *r = tag("Malaysia dan Rusia", "Malaysia akan bekerjasama dengan Rusia dan Amerika Syarikat dalam bidang tenaga.",
                    "2025-02-07");
    cr_assert(span_is(country(r, "RUS"), "Rusia"));
    cr_assert(span_is(country(r, "USA"), "Amerika Syarikat"));
    ASSERT_COUNTRY(r, "MYS");
    json_decref(r);
}

Test(tagging, indonesian_aliases) {
    json_t *r = tag("Indonesia dan Amerika Serikat", "Indonesia akan bekerja sama dengan Amerika Serikat dan Rusia.",
                    "2025-02-07");
    cr_assert(span_is(country(r, "USA"), "Amerika Serikat"));
    cr_assert(span_is(country(r, "RUS"), "Rusia"));
    ASSERT_COUNTRY(r, "IDN");
    json_decref(r);
}

/* ---- Cyrillic and Unicode -------------------------------------------------- */

Test(tagging, cyrillic) {
    json_t *r = tag("Путин провёл совещание", "Президент России Владимир Путин провёл совещание.", "2025-02-07");
    json_t *a = actor(r, "per:vladimir_putin");
    cr_assert_not_null(a);
    cr_assert(span_is(a, "Путин"));
    cr_assert(span_is(a, "Владимир Путин"));
    json_t *c = country(r, "RUS");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "России"));
    cr_assert_str_eq(str_at(r, "lang"), "ru");
    json_decref(r);
}

Test(tagging, nfd_cote_divoire) {
    json_t *r = tag("Co\xcc\x82te d'Ivoire votes", "Voters in Co\xcc\x82te d'Ivoire cast ballots.", "2025-02-07");
    json_t *c = country(r, "CIV");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "Co\xcc\x82te d'Ivoire"), "the span must cover the decomposed original bytes");
    cr_assert_eq(json_array_size(json_object_get(c, "spans")), 2);
    json_decref(r);
}

Test(tagging, curly_apostrophe_possessive) {
    json_t *r = tag("Malaysia\xe2\x80\x99s budget passes", "Malaysia\xe2\x80\x99s parliament passed the budget.", "2025-02-07");
    json_t *c = country(r, "MYS");
    cr_assert_not_null(c);
    cr_assert(span_is(c, "Malaysia"));
    cr_assert_eq(json_integer_value(json_object_get(c, "mentions")), 2);
    json_decref(r);
}

Test(tagging, nbsp_in_title) {
    json_t *r = tag("Budget passes", "Prime\xc2\xa0Minister Anwar said the budget would pass.", "2025-02-07");
    json_t *a = actor(r, "per:anwar_ibrahim");
    cr_assert_not_null(a);
    cr_assert_str_eq(str_at(a, "match"), "title_name");
    cr_assert(span_is(a, "Anwar"));
    json_decref(r);
}

/* ---- 17. Bloc membership by date ------------------------------------------- */

static void timor(const char *date, int member) {
    json_t *r = tag("ASEAN ministers meet", "ASEAN ministers met in Jakarta. Timor-Leste and Indonesia signed a trade deal.",
                    date);
    json_t *b = bloc(r, "ASEAN");
    cr_assert_not_null(b, "%s: ASEAN missing", date);
    cr_assert(json_is_true(json_object_get(b, "named")));
    json_t *m = json_object_get(b, "members_mentioned");
    cr_assert(str_in(m, "IDN"), "%s: IDN not listed", date);
    cr_assert_eq(str_in(m, "TLS"), member, "%s: TLS %s", date, member ? "should be a member" : "was not yet a member");
    ASSERT_COUNTRY(r, "TLS");
    json_decref(r);
}

Test(tagging, timor_leste_asean_by_date) {
    timor("2024-06-01", 0);
    timor("2025-10-25", 0);
    timor("2025-10-26", 1);
    timor("2025-11-01", 1);
}

Test(tagging, implied_asean_needs_membership_at_date) {
    json_t *r = tag("Timor-Leste and Indonesia talk trade", "Timor-Leste and Indonesia signed a trade deal.", "2024-06-01");
    cr_assert_null(bloc(r, "ASEAN"), "one member at that date does not imply ASEAN");
    json_decref(r);
    r = tag("Timor-Leste and Indonesia talk trade", "Timor-Leste and Indonesia signed a trade deal.", "2025-11-01");
    json_t *b = bloc(r, "ASEAN");
    cr_assert_not_null(b);
    cr_assert(json_is_false(json_object_get(b, "named")));
    json_decref(r);
}

/* ---- Spans ------------------------------------------------------------------ */

Test(tagging, spans_point_at_what_matched) {
    /* multi-byte text before every match, in both fields */
    const char *title = "Ёлка — Russia’s Shoigu meets Anwar Ibrahim in Putrajaya";
    const char *body = "«Новости» — Sergei Shoigu, Russia’s security chief, told Malaysian officials in Putrajaya "
                       "that Moscow wanted nuclear energy cooperation.";
    json_t *r = tag(title, body, "2025-03-05");
    json_t *rus = country(r, "RUS"), *mys = country(r, "MYS");
    cr_assert_not_null(rus);
    cr_assert_not_null(mys);
    cr_assert(span_is(rus, "Russia"));
    cr_assert(span_is(rus, "Moscow"));
    cr_assert(span_is(mys, "Putrajaya"));
    cr_assert(span_is(mys, "Malaysian"));
    json_t *sh = actor(r, "per:sergei_shoigu");
    cr_assert_not_null(sh);
    cr_assert(span_is(sh, "Shoigu"));
    cr_assert(span_is(sh, "Sergei Shoigu"));
    cr_assert(span_is(actor(r, "per:anwar_ibrahim"), "Anwar Ibrahim"));
    /* every span's bytes are one of the names the entity goes by */
    size_t i;
    json_t *sp;
    json_array_foreach(json_object_get(rus, "spans"), i, sp) {
        const char *s = span_str(sp);
        cr_assert(!strcmp(s, "Russia") || !strcmp(s, "Moscow") || !strcmp(s, "Sergei Shoigu") || !strcmp(s, "Shoigu"),
                  "unexpected RUS span '%s'", s);
    }
    /* title spans are offsets into the title, body spans into the body */
    json_array_foreach(json_object_get(sh, "spans"), i, sp) {
        const char *f = str_at(sp, "field");
        cr_assert_str_eq(span_str(sp), !strcmp(f, "title") ? "Shoigu" : "Sergei Shoigu");
    }
    json_decref(r);
}
