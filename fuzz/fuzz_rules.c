/*
 * fuzz_rules.c - the alert rule loader (config/rules.c) and evaluator
 * (processors/alerts.c).
 *
 * The input is a rules file, compiled against the shipped dictionaries
 * (loaded once). When it compiles, the first sample-feed items run through
 * the processor stages with those rules, so every condition the fuzzer can
 * write is evaluated against real records.
 *
 * The stages are called here in the order of pipeline.c's chain, because
 * the pipeline only takes its rules from a file (a reload per input would
 * rebuild the dictionaries, ~150 ms). If the chain changes, change STAGES.
 *
 * Invariants: a refused file gets `rules.yaml:line:col: what`; with rules
 * loaded, each good item still gives a valid record (alerts[] included)
 * whose alerts name rules of the file, and every alert record parses.
 */
#include "fuzz.h"
#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/dict.h"
#include "geowire/lang.h"
#include "geowire/processor.h"
#include "geowire/record.h"
#include "geowire/rules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SAMPLES = 3 }; /* Russia-ASEAN alert positives; each costs ~20 ms under ASan */

static const gw_processor_fn STAGES[] = {gw_parse_run,   gw_normalize_run, gw_scan_run,
                                         gw_officials_run, gw_resolve_run, gw_themes_run,
                                         gw_alerts_run,  gw_serialize_run};

static gw_config_t *cfg;
static gw_dict_t *dict;
static gw_langid_t *lang;
static char *sample[SAMPLES];
static gw_record_t rec;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    char err[GW_ERRLEN] = "";
    if (!(cfg = gw_config_load("config/geowire.yaml", err, sizeof err)) ||
        !(dict = gw_dict_load(cfg, err, sizeof err)) || !(lang = gw_lang_load(cfg->dict.languages, err, sizeof err))) {
        fprintf(stderr, "fuzz_rules: %s (run from the repository root)\n", err);
        exit(1);
    }
    FILE *f = fopen("config/sample-feed.jsonl", "r");
    size_t cap = 0;
    for (int i = 0; f && i < SAMPLES; i++)
        if (getline(&sample[i], &cap, f) < 0 || (cap = 0)) break;
    if (f) fclose(f);
    if (!sample[SAMPLES - 1]) { fprintf(stderr, "fuzz_rules: cannot read config/sample-feed.jsonl\n"); exit(1); }
    gw_record_init(&rec);
    return 0;
}

/* The rule ids of the record's alerts[] must be ids of `rules`. */
static void check_alert_ids(const char *record, size_t len, const gw_rules_t *rules) {
    json_t *root = json_loadb(record, len, 0, NULL);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(root, "alerts"), i, a) {
        const char *id = json_string_value(json_object_get(a, "rule"));
        int known = 0;
        for (size_t k = 0; id && k < rules->n_rules && !known; k++) known = !strcmp(rules->rules[k].id, id);
        GWF_CHECK(known, "alert names rule '%s', not in the file", id ? id : "(none)");
    }
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[GW_ERRLEN] = "";
    gw_rules_t *rules = gw_rules_parse("rules.yaml", (const char *)data, size, dict, err, sizeof err);
    if (!rules) {
        GWF_CHECK(!strncmp(err, "rules.yaml:", 11) || strstr(err, "out of memory"), "message without the file: %s",
                  err);
        return 0;
    }
    gw_env_t env = {.dict = dict, .lang = lang, .rules = rules};
    for (int i = 0; i < SAMPLES; i++) {
        gw_record_reset(&rec);
        rec.max_item_bytes = cfg->limits.max_item_bytes;
        rec.max_matches = cfg->limits.max_matches;
        rec.max_evidence = cfg->limits.max_evidence;
        rec.max_record_bytes = cfg->limits.max_record_bytes;
        rec.max_json_depth = cfg->limits.max_json_depth;
        rec.ingest_ms = 1741564800000LL;
        rec.payload = sample[i];
        rec.payload_len = strlen(sample[i]);
        int rc = GW_OK;
        for (size_t s = 0; rc == GW_OK && s < sizeof STAGES / sizeof STAGES[0]; s++) rc = STAGES[s](&rec, &env);
        rec.payload = NULL;
        GWF_CHECK(rc == GW_OK && rec.reason == GW_REASON_NONE, "sample %d: rc %d, %s", i, rc, rec.message);
        gwf_check_record(rec.out.data, rec.out.len, rec.field[GW_FIELD_TITLE], rec.field_len[GW_FIELD_TITLE],
                         rec.field[GW_FIELD_BODY], rec.field_len[GW_FIELD_BODY]);
        check_alert_ids(rec.out.data, rec.out.len, rules);
        for (size_t e = 0; e < rec.n_emits; e++)
            gwf_check_json_object(rec.emit_data.data + rec.emits[e].off, rec.emits[e].len);
    }
    gw_rules_free(rules);
    return 0;
}
