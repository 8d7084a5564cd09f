/* Officials read from titles (processors/officials.c) through the whole
 * chain with the shipped config and title patterns. Every name below is
 * invented for these tests, so no dictionary lists it: what comes out was
 * read from the text. */
#include <criterion/criterion.h>
#include "support/shipped.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/common.h"
#include "geowire/pipeline.h"

TestSuite(officials, .init = gw_test_pipeline_setup, .fini = gw_test_pipeline_teardown);

/* Tags one body (dated 2026-11-20) and returns the parsed record. */
static json_t *tag(const char *title, const char *body, const char *lang) {
    json_t *item = json_pack("{s:s, s:s, s:s, s:s}", "title", title, "body", body, "lang", lang,
                             "published_at", "2026-11-20");
    char *payload = json_dumps(item, JSON_COMPACT);
    json_decref(item);
    gw_result_t res;
    gw_input_meta_t meta = {.ingest_ms = 1767225600000LL};
    cr_assert_eq(gw_pipeline_process(gw_test_pipeline, payload, strlen(payload), &meta, &res), GW_OK);
    free(payload);
    cr_assert_eq(res.reason, GW_REASON_NONE, "rejected: %s", res.message);
    gw_test_dump_record(res.record, res.record_len);
    json_error_t jerr;
    json_t *rec = json_loadb(res.record, res.record_len, 0, &jerr);
    cr_assert_not_null(rec, "record is not JSON: %s", jerr.text);
    gw_result_clear(&res);
    return rec;
}

static int count_pattern_people(json_t *rec) {
    size_t i;
    json_t *a;
    int n = 0;
    json_array_foreach(json_object_get(rec, "actors"), i, a) {
        n += !strcmp(json_string_value(json_object_get(a, "match")), "title_pattern") &&
             !strcmp(json_string_value(json_object_get(a, "type")), "person");
    }
    return n;
}

/* The official `id` is in the record with this name, country, role title
 * and role code, found by its title. */
static json_t *expect_official(json_t *rec, const char *id, const char *name, const char *country,
                               const char *title, const char *code) {
    json_t *a = gw_test_find_by(rec, "actors", "id", id);
    cr_assert_not_null(a, "%s not found in %s", id, json_dumps(json_object_get(rec, "actors"), 0));
    cr_assert_str_eq(json_string_value(json_object_get(a, "name")), name);
    cr_assert_str_eq(json_string_value(json_object_get(a, "type")), "person");
    cr_assert_str_eq(json_string_value(json_object_get(a, "match")), "title_pattern");
    cr_assert_float_eq(json_real_value(json_object_get(a, "confidence")), 0.7, 1e-9);
    if (country) cr_assert_str_eq(json_string_value(json_object_get(a, "country")), country);
    else cr_assert(json_is_null(json_object_get(a, "country")));
    json_t *role = json_object_get(a, "role");
    cr_assert_str_eq(json_string_value(json_object_get(role, "title")), title);
    cr_assert_str_eq(json_string_value(json_object_get(role, "code")), code);
    cr_assert(json_is_null(json_object_get(role, "since")));
    return a;
}

static int warned(json_t *rec, const char *code, const char *needle) {
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(rec, "warnings"), i, w) {
        if (!strcmp(json_string_value(json_object_get(w, "code")), code) &&
            strstr(json_string_value(json_object_get(w, "detail")), needle))
            return 1;
    }
    return 0;
}

Test(officials, english_possessive_title_and_later_surname) {
    json_t *rec = tag("Border talks", "Cambodia's Defence Minister Sok Vannak arrived in Hanoi on Tuesday. "
                      "Vannak said the border would stay open.", "en");
    json_t *a = expect_official(rec, "tp:sok_vannak", "Sok Vannak", "KHM", "Minister of Defence", "GOV");
    cr_assert_eq(json_integer_value(json_object_get(a, "mentions")), 2, "the bare surname counts too");
    cr_assert_str_eq(json_string_value(json_object_get(a, "cameo")), "KHMGOV");
    json_t *c = gw_test_find_by(rec, "countries", "code", "KHM");
    cr_assert_not_null(c);
    json_decref(rec);
}

Test(officials, english_apposition_demonym_and_of) {
    json_t *rec = tag("Trade", "The deal was welcomed by Tea Sokha, the Cambodian interior minister, and by "
                      "Nguyen Van Binh, the deputy defence minister of Vietnam.", "en");
    expect_official(rec, "tp:tea_sokha", "Tea Sokha", "KHM", "Minister of Home Affairs", "GOV");
    expect_official(rec, "tp:nguyen_van_binh", "Nguyen Van Binh", "VNM", "Deputy Minister of Defence", "GOV");
    json_decref(rec);
}

Test(officials, two_titles_joined_by_and_yield_two_people) {
    json_t *rec = tag("Visit", "Malaysia's Defence Minister Arif Rahman and Foreign Minister Zulkifli Omar flew "
                      "to Tokyo.", "en");
    expect_official(rec, "tp:arif_rahman", "Arif Rahman", "MYS", "Minister of Defence", "GOV");
    expect_official(rec, "tp:zulkifli_omar", "Zulkifli Omar", "MYS", "Minister of Foreign Affairs", "GOV");
    cr_assert_eq(count_pattern_people(rec), 2);
    json_decref(rec);
}

Test(officials, malay_word_order_and_honorifics) {
    json_t *rec = tag("Latihan", "Menteri Pertahanan Malaysia Datuk Seri Azman Hakim Yusof berkata latihan itu "
                      "penting. Panglima Angkatan Tentera Jeneral Tan Sri Hafiz Osman turut hadir.", "ms");
    expect_official(rec, "tp:azman_hakim_yusof", "Azman Hakim Yusof", "MYS", "Minister of Defence", "GOV");
    expect_official(rec, "tp:hafiz_osman", "Hafiz Osman", "MYS", "Chief of the Armed Forces", "MIL");
    json_decref(rec);
}

Test(officials, indonesian_offices_and_a_dictionary_surname_inside_a_new_name) {
    /* "Prabowo" alone is the president's unambiguous short form; inside a
     * longer name after a title it is someone else's surname. */
    json_t *rec = tag("Kunjungan", "Menteri Luar Negeri Thailand Somsak Chaiyaporn tiba di Jakarta. Kapolri "
                      "Jenderal Polisi Rudi Hartono Prabowo memimpin apel pasukan.", "id");
    expect_official(rec, "tp:somsak_chaiyaporn", "Somsak Chaiyaporn", "THA", "Minister of Foreign Affairs", "GOV");
    expect_official(rec, "tp:rudi_hartono_prabowo", "Rudi Hartono Prabowo", "IDN", "Police Chief", "COP");
    cr_assert_null(gw_test_find_by(rec, "actors", "id", "per:prabowo_subianto"));
    json_decref(rec);
}

Test(officials, russian_genitive_country_and_declined_surname) {
    json_t *rec = tag("Визит", "Министр обороны Вьетнама Нгуен Ван Хоа провёл переговоры в Москве. Посол "
                      "Индонезии в России Ахмад Фаузи также присутствовал. Российский министр торговли Олег "
                      "Белов встретился с ними. Позже делегация Белова уехала.", "ru");
    expect_official(rec, "tp:nguen_van_khoa", "Нгуен Ван Хоа", "VNM", "Minister of Defence", "GOV");
    expect_official(rec, "tp:akhmad_fauzi", "Ахмад Фаузи", "IDN", "Ambassador", "GOV");
    json_t *b = expect_official(rec, "tp:oleg_belov", "Олег Белов", "RUS", "Minister of Trade", "GOV");
    cr_assert_eq(json_integer_value(json_object_get(b, "mentions")), 2, "\"Белова\" is the same surname");
    json_decref(rec);
}

Test(officials, intergovernmental_official_has_no_country) {
    json_t *rec = tag("ASEAN", "ASEAN Secretary-General Kavi Hongsa opened the meeting.", "en");
    json_t *a = expect_official(rec, "tp:kavi_hongsa", "Kavi Hongsa", NULL, "Secretary-General", "IGO");
    cr_assert_str_eq(json_string_value(json_object_get(a, "cameo")), "IGO");
    json_decref(rec);
}

Test(officials, a_dictionary_person_wins) {
    json_t *rec = tag("Talks", "Vietnam's Defence Minister Phan Van Giang met Indonesian Defence Minister "
                      "Sjafrie Sjamsoeddin.", "en");
    cr_assert_not_null(gw_test_find_by(rec, "actors", "id", "per:phan_van_giang"));
    cr_assert_not_null(gw_test_find_by(rec, "actors", "id", "per:sjafrie_sjamsoeddin"));
    cr_assert_eq(count_pattern_people(rec), 0);
    json_decref(rec);
}

Test(officials, bodies_after_a_country_cue) {
    json_t *rec = tag("Drills", "The Indonesian Air Force and the Thai Navy flew joint sorties; Kazakhstan's "
                      "Security Council met.", "en");
    const char *ids[] = {"tp:idn_air_force", "tp:tha_navy", "tp:kaz_security_council"};
    const char *names[] = {"Air Force of Indonesia", "Navy of Thailand", "Security Council of Kazakhstan"};
    for (int i = 0; i < 3; i++) {
        json_t *a = gw_test_find_by(rec, "actors", "id", ids[i]);
        cr_assert_not_null(a, "%s missing", ids[i]);
        cr_assert_str_eq(json_string_value(json_object_get(a, "name")), names[i]);
        cr_assert_str_eq(json_string_value(json_object_get(a, "type")), "government_body");
        cr_assert_str_eq(json_string_value(json_object_get(a, "match")), "title_pattern");
    }
    json_decref(rec);
}

Test(officials, false_friends_are_no_people) {
    const char *bodies[] = {
        "Malaysia's Prime Minister's Office said the visit would go ahead.",
        "The Thai prime minister Kuala Lumpur visit was postponed.",
        "Vietnam's foreign minister General Assembly remarks were brief.",
        "Indonesia's defence minister On Monday announced a plan.",
        "The defence minister said the drills would continue.",
        "Menteri Pertahanan itu berkata rundingan akan diteruskan.",
        "Министр обороны заявил, что учения продолжатся.",
        "Former Thai prime minister Somchai Wongsa was questioned.",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        json_t *rec = tag("x", bodies[i], "en");
        cr_assert_eq(count_pattern_people(rec), 0, "a person read from: %s", bodies[i]);
        json_decref(rec);
    }
    json_t *rec = tag("x", "Malaysia's Prime Minister's Office said the visit would go ahead.", "en");
    json_t *o = gw_test_find_by(rec, "actors", "id", "tp:mys_prime_ministers_office");
    cr_assert_not_null(o, "the office is a body");
    json_decref(rec);
}

Test(officials, a_title_without_a_name_is_a_role_mention_of_the_country) {
    json_t *rec = tag("x", "The Cambodian defence minister said the exercise would go ahead.", "en");
    cr_assert_eq(count_pattern_people(rec), 0);
    cr_assert_not_null(gw_test_find_by(rec, "countries", "code", "KHM"));
    cr_assert_eq(json_array_size(json_object_get(rec, "warnings")), 0);
    json_decref(rec);
}

Test(officials, a_name_with_no_country_is_a_warning) {
    json_t *rec = tag("x", "Defence Minister Arif Rahman said the talks went well.", "en");
    cr_assert_eq(count_pattern_people(rec), 0);
    cr_assert(warned(rec, "unresolved_name", "Arif Rahman"), "warnings: %s",
              json_dumps(json_object_get(rec, "warnings"), 0));
    json_decref(rec);
}

Test(officials, title_case_headline_yields_no_name_from_its_capitals) {
    json_t *rec = tag("Vietnam's Defence Minister Meets Russian Counterpart In Hanoi",
                      "Talks went well, said Dang Quoc Hung, Vietnam's deputy defence minister.", "en");
    cr_assert_null(gw_test_find_by(rec, "actors", "id", "tp:meets_russian_counterpart_in_hanoi"));
    expect_official(rec, "tp:dang_quoc_hung", "Dang Quoc Hung", "VNM", "Deputy Minister of Defence", "GOV");
    cr_assert_eq(count_pattern_people(rec), 1);
    json_decref(rec);
}

Test(officials, a_cue_only_the_pattern_files_know_names_its_country) {
    /* "Swedish" is no demonym in countries-overlay.yaml; en.yaml adds it as
     * a cue before a title, so the country is counted there. */
    json_t *rec = tag("x", "Swedish Foreign Minister Karin Lindqvist arrived in Hanoi.", "en");
    expect_official(rec, "tp:karin_lindqvist", "Karin Lindqvist", "SWE", "Minister of Foreign Affairs", "GOV");
    json_t *c = gw_test_find_by(rec, "countries", "code", "SWE");
    cr_assert_not_null(c);
    cr_assert_geq(json_integer_value(json_object_get(c, "mentions")), 2, "the cue and the person");
    json_decref(rec);
}

Test(officials, a_hostile_item_of_titles_is_bounded) {
    /* Thousands of distinct titled names: the record keeps a bounded number
     * of officials and stays valid. */
    char *body = malloc(200000);
    size_t n = 0;
    for (int i = 0; n < 190000; i++)
        n += (size_t)snprintf(body + n, 200000 - n, "Malaysia's Defence Minister Arif R%c%c%c said. ", 'a' + i % 26,
                              'a' + (i / 26) % 26, 'a' + (i / 676) % 26);
    json_t *rec = tag("x", body, "en");
    free(body);
    int people = count_pattern_people(rec);
    cr_assert(people > 0 && people <= 64, "%d officials", people);
    json_decref(rec);
}
