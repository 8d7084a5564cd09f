/* Alert rules: the loader (every malformed rule is `file:line:col: what`)
 * and the evaluator (each operator, bloc membership by the story's date,
 * what alerts[] and the alert record say), run through the whole processor
 * chain with the shipped dictionaries and rules written by each test. Every
 * item is written for these tests. Records and alert records produced here
 * go to the schema check of `make test`. */
#include <criterion/criterion.h>
#include "support/shipped.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/dict.h"
#include "geowire/lang.h"
#include "geowire/pipeline.h"
#include "geowire/processor.h"
#include "geowire/rules.h"

static gw_config_t *cfg;
static gw_dict_t *dict;

static void load_cfg(void) {
    char err[GW_ERRLEN] = "";
    cfg = gw_config_load("config/geowire.yaml", err, sizeof err);
    cr_assert_not_null(cfg, "config: %s", err);
}

static void load_dict(void) {
    char err[GW_ERRLEN] = "";
    load_cfg();
    dict = gw_dict_load(cfg, err, sizeof err);
    cr_assert_not_null(dict, "dictionaries: %s", err);
}

static void unload(void) {
    gw_dict_free(dict);
    gw_config_free(cfg);
}

TestSuite(rules, .init = load_dict, .fini = unload);
TestSuite(evaluator, .init = load_cfg, .fini = unload);

/* ---- the loader ---------------------------------------------------------- */

/* Loads `yaml` as "bad.yaml", expects failure with exactly `where`
 * ("bad.yaml:L:C: ") followed by a message containing `what`. */
static void refused(const char *yaml, const char *where, const char *what) {
    char err[GW_ERRLEN] = "";
    gw_rules_t *rs = gw_rules_parse("bad.yaml", yaml, strlen(yaml), dict, err, sizeof err);
    cr_assert_null(rs, "accepted:\n%s", yaml);
    cr_assert(!strncmp(err, where, strlen(where)), "error '%s' not at %s", err, where);
    cr_assert(strstr(err, what), "error '%s' does not say '%s'", err, what);
}

#define HEAD "version: t\nrules:\n  - id: r\n    description: d\n    when:\n"

Test(rules, shipped_file_loads) {
    char err[GW_ERRLEN] = "";
    gw_rules_t *rs = gw_rules_load(cfg->alerts, dict, err, sizeof err);
    cr_assert_not_null(rs, "%s", err);
    cr_assert(rs->n_rules >= 1);
    cr_assert_str_eq(rs->rules[0].id, "russia-asean");
    gw_rules_free(rs);
}

Test(rules, every_operator_and_shorthand_loads) {
    const char *y = HEAD
        "      all:\n"
        "        - country: RUS\n"
        "        - country: {code: [RUS, MYS], member_of: ASEAN, role: actor, min_salience: 0.5}\n"
        "        - bloc: ASEAN\n"
        "        - bloc: {code: [ASEAN, BRICS], named: false}\n"
        "        - pair: [RUS, ASEAN]\n"
        "        - pair: {a: [RUS, BLR], b: ASEAN, min_sentences: 2}\n"
        "        - actor: per:sergei_shoigu\n"
        "        - actor: {id: [org:rosatom, per:anwar_ibrahim], type: [person, company], role: [GOV, BUS], country: [RUS, ASEAN], min_salience: 0.2}\n"
        "        - theme: SANCTIONS\n"
        "        - theme: {id: [TRADE, ARMS_TRADE], min_score: 0.6}\n"
        "        - any: [{lang: [ms, id]}, {source: Bernama}]\n"
        "        - not: {lang: ru}\n";
    char err[GW_ERRLEN] = "";
    gw_rules_t *rs = gw_rules_parse("ok.yaml", y, strlen(y), dict, err, sizeof err);
    cr_assert_not_null(rs, "%s", err);
    const gw_cond_t *all = rs->rules[0].when;
    cr_assert_eq(all->kind, GW_COND_ALL);
    cr_assert_eq(all->n_kids, 12);
    cr_assert_eq(all->kids[1]->role, 1);
    cr_assert_eq(all->kids[1]->member_of.n, 1);
    cr_assert_eq(all->kids[5]->side[0].n, 2);
    cr_assert(all->kids[5]->side[1].v[0] & GW_RULE_BLOC, "ASEAN is a bloc party");
    cr_assert_eq(all->kids[5]->min_sentences, 2);
    cr_assert_eq(all->kids[7]->ids.n, 2);
    cr_assert(all->kids[7]->ids.v[0] & GW_RULE_ORG, "org:rosatom is an organisation");
    cr_assert_eq(all->kids[7]->n_codes, 2);
    cr_assert_eq(all->kids[11]->kind, GW_COND_NOT);
    gw_rules_free(rs);
}

Test(rules, unknown_operator) { refused(HEAD "      contry: RUS\n", "bad.yaml:6:7: ", "unknown condition 'contry'"); }
Test(rules, unknown_country) { refused(HEAD "      country: RUX\n", "bad.yaml:6:16: ", "unknown country code 'RUX'"); }
Test(rules, unknown_bloc) {
    refused(HEAD "      country: {member_of: ASEANN}\n", "bad.yaml:6:28: ", "unknown bloc 'ASEANN'");
}
Test(rules, unknown_party) {
    refused(HEAD "      pair: [RUS, ASIAN]\n", "bad.yaml:6:19: ", "unknown country or bloc code 'ASIAN'");
}
Test(rules, unknown_theme) {
    refused(HEAD "      theme: {id: [TRADE, SANCTION]}\n", "bad.yaml:6:27: ", "unknown theme 'SANCTION'");
}
Test(rules, unknown_person) {
    refused(HEAD "      actor: per:sergei_shoygu\n", "bad.yaml:6:14: ", "unknown person 'per:sergei_shoygu'");
}
Test(rules, unknown_organisation) { refused(HEAD "      actor: org:kgb\n", "bad.yaml:6:14: ", "unknown organisation 'org:kgb'"); }
Test(rules, unknown_actor_type) {
    refused(HEAD "      actor: {type: politician}\n", "bad.yaml:6:21: ", "unknown actor type 'politician'");
}
Test(rules, unknown_role_code) { refused(HEAD "      actor: {role: [GOV, PM]}\n", "bad.yaml:6:27: ", "unknown role code 'PM'"); }
Test(rules, country_role_is_actor_or_mention) {
    refused(HEAD "      country: {code: RUS, role: leader}\n", "bad.yaml:6:34: ", "'role' must be actor or mention");
}
Test(rules, salience_out_of_range) {
    refused(HEAD "      country: {code: RUS, min_salience: 1.5}\n", "bad.yaml:6:42: ", "between 0 and 1");
}
Test(rules, score_not_a_number) {
    refused(HEAD "      theme: {id: TRADE, min_score: high}\n", "bad.yaml:6:37: ", "must be a number");
}
Test(rules, unknown_key_in_leaf) {
    refused(HEAD "      theme: {id: TRADE, score: 0.5}\n", "bad.yaml:6:26: ", "unknown key 'score'");
}
Test(rules, two_operators_in_one_condition) {
    refused(HEAD "      country: RUS\n      theme: TRADE\n", "bad.yaml:6:7: ", "exactly one operator");
}
Test(rules, empty_all) { refused(HEAD "      all: []\n", "bad.yaml:6:12: ", "non-empty list of conditions"); }
Test(rules, not_takes_one_condition) { refused(HEAD "      not: [{lang: en}]\n", "bad.yaml:6:12: ", "exactly one operator"); }
Test(rules, pair_takes_two_parties) {
    refused(HEAD "      pair: [RUS, MYS, IDN]\n", "bad.yaml:6:13: ", "two parties");
}
Test(rules, pair_needs_both_sides) { refused(HEAD "      pair: {a: RUS}\n", "bad.yaml:6:13: ", "needs both 'a' and 'b'"); }
Test(rules, lang_code_shape) { refused(HEAD "      lang: Malay\n", "bad.yaml:6:13: ", "not a language code"); }
Test(rules, nested_too_deep) {
    char y[4096] = HEAD "      ";
    for (int i = 0; i < 40; i++) strcat(y, "not: {");
    strcat(y, "lang: en");
    for (int i = 0; i < 40; i++) strcat(y, "}");
    strcat(y, "\n");
    refused(y, "bad.yaml:6:", "nest deeper than 32");
}
Test(rules, rule_needs_when) {
    refused("version: t\nrules:\n  - id: r\n    description: d\n", "bad.yaml:3:5: ", "a rule needs 'when'");
}
Test(rules, rule_id_shape) {
    refused("version: t\nrules:\n  - id: Russia ASEAN\n    description: d\n    when: {lang: en}\n", "bad.yaml:3:9: ",
            "may use only a-z");
}
Test(rules, duplicate_rule_id) {
    refused("version: t\nrules:\n  - {id: r, description: d, when: {lang: en}}\n"
            "  - {id: r, description: e, when: {lang: ms}}\n",
            "bad.yaml:4:10: ", "duplicate rule id 'r'");
}
Test(rules, unknown_rule_key) {
    refused("version: t\nrules:\n  - {id: r, description: d, when: {lang: en}, severity: high}\n", "bad.yaml:3:47: ",
            "unknown key 'severity'");
}
Test(rules, file_needs_version) { refused("rules: []\n", "bad.yaml:1:1: ", "missing 'version'"); }

/* What `geowire check` and startup do: the pipeline refuses a bad rules
 * file with the rule's position. */
Test(evaluator, pipeline_refuses_bad_rules_with_position) {
    char path[] = "/tmp/gw-bad-rules-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *y = HEAD "      theme: NOT_A_THEME\n";
    cr_assert_eq(write(fd, y, strlen(y)), (ssize_t)strlen(y));
    close(fd);
    free(cfg->alerts);
    cfg->alerts = strdup(path);
    char err[GW_ERRLEN] = "";
    gw_pipeline_t *p = gw_pipeline_new(cfg, err, sizeof err);
    unlink(path);
    cr_assert_null(p);
    char want[128];
    snprintf(want, sizeof want, "%s:6:14: unknown theme 'NOT_A_THEME'", path);
    cr_assert_str_eq(err, want);
}

/* ---- the evaluator ------------------------------------------------------- */

/* A pipeline over the shipped dictionaries with `yaml` as its only rules. */
static gw_pipeline_t *with_rules(const char *yaml) {
    char path[] = "/tmp/gw-rules-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    free(cfg->alerts);
    cfg->alerts = strdup(path);
    char err[GW_ERRLEN] = "";
    gw_pipeline_t *p = gw_pipeline_new(cfg, err, sizeof err);
    unlink(path);
    cr_assert_not_null(p, "pipeline: %s", err);
    return p;
}

/* The outcome of one item: its record and the alert records it emitted. */
typedef struct {
    json_t *rec;
    json_t *emits; /* array of alert records */
} run_t;

static json_t *parse_json(const char *s, size_t len) {
    json_error_t jerr;
    json_t *j = json_loadb(s, len, 0, &jerr);
    cr_assert_not_null(j, "not JSON: %s", jerr.text);
    return j;
}

static run_t run_item(gw_pipeline_t *p, const char *title, const char *body, const char *date, const char *lang,
                      const char *source) {
    json_t *item = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s}", "title", title, "body", body, "published_at", date,
                             "lang", lang, "source", source, "url", "https://news.example/item");
    char *payload = json_dumps(item, JSON_COMPACT);
    json_decref(item);
    gw_input_meta_t meta = {.ingest_ms = 1767225600000LL};
    gw_result_t res;
    cr_assert_eq(gw_pipeline_process(p, payload, strlen(payload), &meta, &res), GW_OK);
    free(payload);
    cr_assert_eq(res.reason, GW_REASON_NONE, "rejected: %s", res.message);
    gw_test_dump_record(res.record, res.record_len);
    run_t out = {.rec = parse_json(res.record, res.record_len), .emits = json_array()};
    for (size_t i = 0; i < res.n_emits; i++) {
        gw_test_dump_record(res.emits[i].data, res.emits[i].len);
        if (res.emits[i].kind != GW_EMIT_ALERT) continue; /* an aggregate window the item's date closed */
        json_array_append_new(out.emits, parse_json(res.emits[i].data, res.emits[i].len));
    }
    gw_result_clear(&res);
    return out;
}

static void run_free(run_t *r) {
    json_decref(r->rec);
    json_decref(r->emits);
}

/* The alerts[] element for `rule`, or NULL. */
static json_t *fired(const run_t *r, const char *rule) { return gw_test_find_by(r->rec, "alerts", "rule", rule); }

static int str_in(json_t *arr, const char *s) {
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (json_is_string(e) && !strcmp(json_string_value(e), s)) return 1;
    return 0;
}

static json_t *matched(json_t *alert, const char *key) { return json_object_get(json_object_get(alert, "matched"), key); }

/* One rule `r` whose condition is `cond` (indented YAML under `when:`). */
#define RULE(cond) "version: t1\nrules:\n  - id: r\n    description: test rule\n    when:\n" cond

/* Fires or not on one item; frees everything. */
static void expect(gw_pipeline_t *p, int want, const char *title, const char *body, const char *date) {
    run_t r = run_item(p, title, body, date, NULL, NULL);
    cr_assert_eq(fired(&r, "r") != NULL, want, "rule %s on: %s", want ? "did not fire" : "fired", title);
    run_free(&r);
}

static const char *const VISIT_T = "Russian defence minister visits Malaysia";
static const char *const VISIT_B =
    "KUALA LUMPUR - Russia's defence minister Andrei Belousov held talks with Malaysian Prime Minister Anwar "
    "Ibrahim on Tuesday on defence cooperation and arms purchases. Malaysia and Russia agreed to hold joint "
    "naval drills next year.";

Test(evaluator, country_by_code) {
    gw_pipeline_t *p = with_rules(RULE("      country: MYS\n"));
    expect(p, 1, VISIT_T, VISIT_B, "2025-03-04");
    expect(p, 0, "Thai exports rise in March", "Thailand's exports rose 4% in March, the commerce ministry said.",
           "2025-04-20");
    gw_pipeline_free(p);
}

Test(evaluator, country_role_and_salience) {
    /* Russia once, deep in a long body: a mention of low salience. */
    const char *t = "Singapore port throughput hits record";
    const char *b = "Singapore's container port handled a record volume in October, the port authority said. "
                    "Transshipment demand stayed strong. Analysts cited new shipping routes. "
                    "One shipping line said some cargo had been diverted from Russian ports.";
    gw_pipeline_t *p = with_rules(RULE("      country: {code: RUS, role: mention}\n"));
    expect(p, 1, t, b, "2025-11-10");
    gw_pipeline_free(p);
    p = with_rules(RULE("      country: {code: RUS, role: actor}\n"));
    expect(p, 0, t, b, "2025-11-10");
    gw_pipeline_free(p);
    p = with_rules(RULE("      country: {code: SGP, min_salience: 0.9}\n"));
    expect(p, 1, t, b, "2025-11-10");
    gw_pipeline_free(p);
    p = with_rules(RULE("      country: {code: RUS, min_salience: 0.9}\n"));
    expect(p, 0, t, b, "2025-11-10");
    gw_pipeline_free(p);
}

/* Timor-Leste joined ASEAN on 2025-10-26 (blocs.yaml): the same story is
 * about an ASEAN member only from that day. */
Test(evaluator, bloc_membership_by_date) {
    const char *t = "Russia and Timor-Leste open embassies";
    const char *b = "Russia and Timor-Leste agreed to open embassies in Moscow and Dili, the foreign ministries said.";
    gw_pipeline_t *p = with_rules(RULE("      country: {member_of: ASEAN, code: TLS}\n"));
    expect(p, 0, t, b, "2025-10-25");
    expect(p, 1, t, b, "2025-10-26");
    gw_pipeline_free(p);
    p = with_rules(RULE("      pair: [RUS, ASEAN]\n"));
    expect(p, 0, t, b, "2025-06-01");
    expect(p, 1, t, b, "2025-11-30");
    gw_pipeline_free(p);
}

Test(evaluator, bloc_named_or_implied) {
    const char *named_t = "ASEAN foreign ministers meet in Manila";
    const char *named_b = "Foreign ministers of ASEAN met in Manila on Friday to prepare the leaders' summit.";
    const char *implied_t = "Malaysia and Indonesia agree border patrols";
    const char *implied_b = "Malaysia and Indonesia agreed on joint border patrols in Borneo, officials in both countries said.";
    gw_pipeline_t *p = with_rules(RULE("      bloc: {code: ASEAN, named: true}\n"));
    expect(p, 1, named_t, named_b, "2025-07-04");
    expect(p, 0, implied_t, implied_b, "2025-07-04");
    gw_pipeline_free(p);
    p = with_rules(RULE("      bloc: {code: ASEAN, named: false}\n"));
    expect(p, 0, named_t, named_b, "2025-07-04");
    expect(p, 1, implied_t, implied_b, "2025-07-04");
    gw_pipeline_free(p);
}

Test(evaluator, pair_with_bloc_member_or_bloc_itself) {
    gw_pipeline_t *p = with_rules(RULE("      pair: [ASEAN, RUS]\n"));
    expect(p, 1, VISIT_T, VISIT_B, "2025-03-04"); /* Malaysia, a member, with Russia */
    expect(p, 1, "Lavrov to attend ASEAN talks", "Russia will send Sergei Lavrov to the ASEAN meetings in July.",
           "2025-06-20"); /* ASEAN itself */
    expect(p, 0, "Russia and China hold talks", "Russia and China held talks in Beijing on trade.", "2025-06-20");
    gw_pipeline_free(p);
    /* named together in only one sentence: below min_sentences 2 */
    p = with_rules(RULE("      pair: {a: RUS, b: ASEAN, min_sentences: 2}\n"));
    expect(p, 0, "Foreign ministers to gather in July", "Russia will send Sergei Lavrov to the ASEAN meetings in July.",
           "2025-06-20");
    expect(p, 1, VISIT_T, VISIT_B, "2025-03-04");
    gw_pipeline_free(p);
}

Test(evaluator, actor_by_id_type_role_country) {
    gw_pipeline_t *p = with_rules(RULE("      actor: per:anwar_ibrahim\n"));
    expect(p, 1, VISIT_T, VISIT_B, "2025-03-04");
    gw_pipeline_free(p);
    p = with_rules(RULE("      actor: {type: person, role: GOV, country: RUS}\n"));
    expect(p, 1, VISIT_T, VISIT_B, "2025-03-04"); /* Belousov, defence minister since 2024-05 */
    gw_pipeline_free(p);
    p = with_rules(RULE("      actor: {role: MIL}\n"));
    expect(p, 0, VISIT_T, VISIT_B, "2025-03-04");
    gw_pipeline_free(p);
    p = with_rules(RULE("      actor: {type: government_body, country: ASEAN}\n"));
    expect(p, 0, VISIT_T, VISIT_B, "2025-03-04");
    expect(p, 1, "Malaysian Armed Forces join drills", "The Malaysian Armed Forces joined the drills on Monday.",
           "2025-03-04");
    gw_pipeline_free(p);
}

Test(evaluator, theme_and_min_score) {
    gw_pipeline_t *p = with_rules(RULE("      theme: DEFENSE_COOPERATION\n"));
    expect(p, 1, VISIT_T, VISIT_B, "2025-03-04");
    expect(p, 0, "Thai exports rise in March", "Thailand's exports rose 4% in March, the commerce ministry said.",
           "2025-04-20");
    gw_pipeline_free(p);
    p = with_rules(RULE("      theme: {id: DEFENSE_COOPERATION, min_score: 0.99}\n"));
    expect(p, 0, VISIT_T, VISIT_B, "2025-03-04");
    gw_pipeline_free(p);
}

Test(evaluator, lang_and_source) {
    gw_pipeline_t *p = with_rules(RULE("      all: [{lang: ms}, {source: bernama}]\n"));
    run_t r = run_item(p, "Malaysia dan Rusia bincang kerjasama", "Kedua-dua negara bersetuju meningkatkan kerjasama.",
                       "2025-03-04", "ms", "Bernama");
    cr_assert_not_null(fired(&r, "r"), "lang ms and source Bernama (case-insensitive)");
    run_free(&r);
    r = run_item(p, "Malaysia dan Rusia bincang kerjasama", "Kedua-dua negara bersetuju meningkatkan kerjasama.",
                 "2025-03-04", "ms", "Utusan");
    cr_assert_null(fired(&r, "r"));
    run_free(&r);
    gw_pipeline_free(p);
}

Test(evaluator, all_any_not) {
    gw_pipeline_t *p = with_rules(RULE("      all:\n"
                                       "        - country: RUS\n"
                                       "        - any: [{theme: SANCTIONS}, {theme: DEFENSE_COOPERATION}]\n"
                                       "        - not: {country: CHN}\n"));
    expect(p, 1, VISIT_T, VISIT_B, "2025-03-04");
    expect(p, 0, "Russia and China hold drills", "Russia and China held joint naval drills, deepening defence cooperation.",
           "2025-06-20"); /* not CHN fails */
    expect(p, 0, "Russia and Malaysia discuss tourism", "Russia and Malaysia discussed direct flights for tourists.",
           "2025-06-20"); /* neither theme */
    gw_pipeline_free(p);
}

/* alerts[] names what satisfied the rule, and nothing from a `not` or a
 * failed `any` branch; the alert record carries the same. */
Test(evaluator, matched_reason_and_alert_record) {
    gw_pipeline_t *p = with_rules("version: v7\nrules:\n"
                                  "  - id: ru-sea\n    description: Russia engages a member\n    when:\n"
                                  "      all:\n"
                                  "        - pair: [RUS, ASEAN]\n"
                                  "        - any: [{theme: DEFENSE_COOPERATION}, {theme: NUCLEAR_WEAPONS}]\n"
                                  "        - actor: {country: RUS}\n"
                                  "        - not: {country: CHN}\n"
                                  "  - id: never\n    description: no\n    when: {lang: vi}\n");
    run_t r = run_item(p, VISIT_T, VISIT_B, "2025-03-04", NULL, "Bernama");
    json_t *a = fired(&r, "ru-sea");
    cr_assert_not_null(a);
    cr_assert_null(fired(&r, "never"));
    cr_assert_eq(json_array_size(json_object_get(r.rec, "alerts")), 1);
    json_t *pairs = matched(a, "pairs");
    cr_assert_eq(json_array_size(pairs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(pairs, 0), "a")), "MYS");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(pairs, 0), "b")), "RUS");
    cr_assert(str_in(matched(a, "themes"), "DEFENSE_COOPERATION"));
    cr_assert_eq(json_array_size(matched(a, "themes")), 1, "NUCLEAR_WEAPONS did not fire, so is not matched");
    cr_assert(str_in(matched(a, "actors"), "per:andrei_belousov"));
    cr_assert(!str_in(matched(a, "actors"), "per:anwar_ibrahim"), "Anwar is not a Russian actor");
    cr_assert_eq(json_array_size(matched(a, "countries")), 0, "no country leaf in this rule");
    const char *reason = json_string_value(json_object_get(a, "reason"));
    cr_assert(!strncmp(reason, "Russia engages a member: ", 25), "%s", reason);
    cr_assert(strstr(reason, "MYS and RUS named together in"), "%s", reason);
    cr_assert(strstr(reason, "Andrei Belousov"), "%s", reason);

    cr_assert_eq(json_array_size(r.emits), 1);
    json_t *e = json_array_get(r.emits, 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "schema")), "geowire.alert.v1");
    cr_assert_str_eq(json_string_value(json_object_get(e, "rule")), "ru-sea");
    cr_assert_str_eq(json_string_value(json_object_get(e, "item_id")), json_string_value(json_object_get(r.rec, "id")));
    cr_assert_str_eq(json_string_value(json_object_get(e, "title")), VISIT_T);
    cr_assert_str_eq(json_string_value(json_object_get(e, "url")), "https://news.example/item");
    cr_assert_str_eq(json_string_value(json_object_get(e, "published_at")), "2025-03-04");
    cr_assert_str_eq(json_string_value(json_object_get(e, "rules_version")), "v7");
    cr_assert(json_equal(json_object_get(e, "matched"), json_object_get(a, "matched")));
    cr_assert_str_eq(json_string_value(json_object_get(e, "reason")), reason);
    run_free(&r);
    gw_pipeline_free(p);
}

Test(evaluator, no_alerts_file_no_rules) {
    free(cfg->alerts);
    cfg->alerts = NULL;
    char err[GW_ERRLEN] = "";
    gw_pipeline_t *p = gw_pipeline_new(cfg, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    run_t r = run_item(p, VISIT_T, VISIT_B, "2025-03-04", NULL, NULL);
    cr_assert_eq(json_array_size(json_object_get(r.rec, "alerts")), 0);
    cr_assert_eq(json_array_size(r.emits), 0);
    run_free(&r);
    gw_pipeline_free(p);
}

/* The contract with dedup: a duplicate of a story already alerted keeps
 * its alerts[] but emits no alerts-topic record. The stages run by hand
 * here so the flag can be set where dedup sets it (before alerts). */
Test(evaluator, dedup_suppress_keeps_alerts_but_emits_nothing) {
    char err[GW_ERRLEN] = "";
    gw_dict_t *d = gw_dict_load(cfg, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    gw_langid_t *lang = gw_lang_load(cfg->dict.languages, err, sizeof err);
    cr_assert_not_null(lang, "%s", err);
    const char *y = RULE("      country: MYS\n");
    gw_rules_t *rs = gw_rules_parse("t.yaml", y, strlen(y), d, err, sizeof err);
    cr_assert_not_null(rs, "%s", err);
    gw_env_t env = {.dict = d, .lang = lang, .rules = rs};
    for (int suppress = 0; suppress < 2; suppress++) {
        gw_record_t r;
        gw_record_init(&r);
        r.max_item_bytes = 1 << 20, r.max_matches = 4096, r.max_evidence = 8, r.max_record_bytes = 1 << 20;
        r.max_json_depth = 64;
        char payload[512];
        snprintf(payload, sizeof payload, "{\"title\":\"%s\",\"body\":\"%s\",\"published_at\":\"2025-03-04\"}", VISIT_T,
                 VISIT_B);
        r.payload = payload;
        r.payload_len = strlen(payload);
        gw_processor_fn before[] = {gw_parse_run, gw_normalize_run, gw_scan_run, gw_resolve_run, gw_themes_run};
        for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) cr_assert_eq(before[i](&r, &env), GW_OK);
        r.dedup_suppress_alert = suppress;
        cr_assert_eq(gw_alerts_run(&r, &env), GW_OK);
        cr_assert_eq(gw_serialize_run(&r, &env), GW_OK);
        cr_assert_eq(r.n_alerts, 1, "the rule fired (suppress=%d)", suppress);
        cr_assert(strstr(r.out.data, "\"alerts\":[{\"rule\":\"r\""), "alerts[] filled (suppress=%d)", suppress);
        cr_assert_eq(r.n_emits, suppress ? 0u : 1u, "alert records emitted (suppress=%d)", suppress);
        gw_record_free(&r);
    }
    gw_rules_free(rs);
    gw_lang_free(lang);
    gw_dict_free(d);
}

/* ---- the shipped rule ---------------------------------------------------- */

TestSuite(shipped, .init = gw_test_pipeline_setup, .fini = gw_test_pipeline_teardown);

/* Every case of tests/fixtures/alerts-cases.jsonl through the shipped
 * config: russia-asean fires exactly on the cases marked `fires`, and an
 * alert record goes with each firing. All mismatches are reported at once. */
Test(shipped, russia_asean_cases) {
    FILE *f = fopen("tests/fixtures/alerts-cases.jsonl", "r");
    cr_assert_not_null(f);
    char *line = NULL, failures[4096] = "";
    size_t cap = 0;
    int n = 0, bad = 0;
    int seen[2][5] = {{0}}; /* [fires][en, ms, id, ru, vi] */
    static const char *const langs[] = {"en", "ms", "id", "ru", "vi"};
    while (getline(&line, &cap, f) > 0) {
        json_t *c = parse_json(line, strlen(line));
        const char *id = json_string_value(json_object_get(c, "id"));
        const char *lang = json_string_value(json_object_get(c, "lang"));
        int want = json_is_true(json_object_get(c, "fires"));
        run_t r = run_item(gw_test_pipeline, json_string_value(json_object_get(c, "title")),
                           json_string_value(json_object_get(c, "body")),
                           json_string_value(json_object_get(c, "published_at")), lang, NULL);
        int got = fired(&r, "russia-asean") != NULL;
        size_t emitted = 0, i;
        json_t *e;
        json_array_foreach(r.emits, i, e) emitted += !strcmp(json_string_value(json_object_get(e, "rule")), "russia-asean");
        if (got != want || emitted != (size_t)got) {
            bad++;
            snprintf(failures + strlen(failures), sizeof failures - strlen(failures), "\n  %s: expected %s, %s (%zu alert records)",
                     id, want ? "an alert" : "none", got ? "fired" : "did not fire", emitted);
        }
        for (int k = 0; k < 5; k++) seen[want][k] += !strcmp(lang, langs[k]);
        n++;
        run_free(&r);
        json_decref(c);
    }
    free(line);
    fclose(f);
    cr_assert(n >= 37, "only %d cases", n);
    for (int k = 0; k < 5; k++)
        cr_assert(seen[0][k] && seen[1][k], "the cases need both sides of the line in %s", langs[k]);
    cr_assert_eq(bad, 0, "%d of %d cases wrong:%s", bad, n, failures);
}

/* The reason names the evidence an analyst checks first. */
Test(shipped, russia_asean_reason) {
    run_t r = run_item(gw_test_pipeline, VISIT_T, VISIT_B, "2025-03-04", NULL, NULL);
    json_t *a = fired(&r, "russia-asean");
    cr_assert_not_null(a);
    const char *reason = json_string_value(json_object_get(a, "reason"));
    cr_assert(strstr(reason, "MYS and RUS named together in 3 sentences"), "%s", reason);
    cr_assert(strstr(reason, "DEFENSE_COOPERATION"), "%s", reason);
    cr_assert(str_in(matched(a, "countries"), "RUS") && str_in(matched(a, "countries"), "MYS"));
    run_free(&r);
}
