/*
 * pipeline.c - the processor chain: one table, run in order over a record.
 */
#include "geowire/pipeline.h"
#include "geowire/aggregate.h"
#include "geowire/common.h"
#include "geowire/dedup.h"
#include "geowire/processor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The chain. Every item goes through every stage; a stage that rejects the
 * item ends the chain and sends it to the dead-letter topic. */
static const gw_processor_t chain[] = {
    {"parse", gw_parse_run},
    {"normalize", gw_normalize_run},
    {"scan", gw_scan_run},
    {"officials", gw_officials_run},
    {"resolve", gw_resolve_run},
    {"themes", gw_themes_run},
    {"dedup", gw_dedup_run},
    {"alerts", gw_alerts_run},
    {"dedup_alerted", gw_dedup_alerted_run},
    {"aggregate", gw_aggregate_run},
    {"serialize", gw_serialize_run},
};

/* Everything a pipeline builds from files: what a reload replaces. A new
 * set is built and validated beside the running one, then swapped in whole
 * between two items; stateful stages keep their state across the swap. */
typedef struct {
    gw_dict_t *dict;
    gw_langid_t *lang;
    gw_rules_t *rules;   /* alert rules, compiled against dict: reloaded with it */
} loaded_t;

struct gw_pipeline {
    loaded_t set;
    gw_dedup_t *dedup;   /* state: kept across reloads */
    gw_agg_t *agg;
    gw_env_t env;
    gw_record_t rec;   /* reused across items: buffers keep their capacity */
    size_t max_item_bytes, max_matches, max_evidence, max_record_bytes;
    int max_json_depth;
};

static const char *const reason_names[GW_REASON__COUNT] = {
    "none", "empty", "too_large", "invalid_json", "not_object", "no_text",
    "invalid_field", "record_too_large", "produce_failed", "internal"};

const char *gw_reason_name(gw_reason_t r) { return r < GW_REASON__COUNT ? reason_names[r] : "internal"; }

static void free_set(loaded_t *s) {
    gw_rules_free(s->rules);
    gw_dict_free(s->dict);
    gw_lang_free(s->lang);
    memset(s, 0, sizeof(*s));
}

/* Builds a complete set from the files the config names; on error nothing
 * is kept and err says `file:line:col: what`. */
static int load_set(const gw_config_t *cfg, loaded_t *s, char *err, size_t errlen) {
    memset(s, 0, sizeof(*s));
    if (!(s->dict = gw_dict_load(cfg, err, errlen)) ||
        !(s->lang = gw_lang_load(cfg->dict.languages, err, errlen)) ||
        (cfg->alerts && !(s->rules = gw_rules_load(cfg->alerts, s->dict, err, errlen)))) {
        free_set(s);
        return GW_EINVAL;
    }
    return GW_OK;
}

/* Takes ownership of `s` and the config's per-item limits. */
static void use_set(gw_pipeline_t *p, loaded_t *s, const gw_config_t *cfg) {
    p->set = *s;
    p->env.dict = p->set.dict;
    p->env.lang = p->set.lang;
    p->env.rules = p->set.rules;
    p->env.dedup = p->dedup;
    p->env.agg = p->agg;
    p->max_item_bytes = cfg->limits.max_item_bytes;
    p->max_matches = cfg->limits.max_matches;
    p->max_evidence = cfg->limits.max_evidence;
    p->max_record_bytes = cfg->limits.max_record_bytes;
    p->max_json_depth = cfg->limits.max_json_depth;
}

gw_pipeline_t *gw_pipeline_new(const gw_config_t *cfg, char *err, size_t errlen) {
    gw_pipeline_t *p = gw_calloc(1, sizeof(*p));
    if (!p) { gw_err(err, errlen, GW_ENOMEM, "out of memory"); return NULL; }
    gw_record_init(&p->rec);
    loaded_t s;
    if (!(p->dedup = gw_dedup_new(cfg, err, errlen)) || !(p->agg = gw_agg_new(cfg, err, errlen)) ||
        load_set(cfg, &s, err, errlen) != GW_OK) {
        gw_pipeline_free(p);
        return NULL;
    }
    use_set(p, &s, cfg);
    return p;
}

int gw_pipeline_reload(gw_pipeline_t *p, const gw_config_t *cfg, char *err, size_t errlen) {
    loaded_t s;
    if (load_set(cfg, &s, err, errlen) != GW_OK) return GW_EINVAL;
    free_set(&p->set);
    use_set(p, &s, cfg);
    return GW_OK;
}

void gw_pipeline_free(gw_pipeline_t *p) {
    if (!p) return;
    gw_record_free(&p->rec);
    free_set(&p->set);
    gw_dedup_free(p->dedup);
    gw_agg_free(p->agg);
    free(p);
}

const char *gw_pipeline_dict_version(const gw_pipeline_t *p) { return p->set.dict->version; }

const gw_rules_t *gw_pipeline_rules(const gw_pipeline_t *p) { return p->set.rules; }

const gw_env_t *gw_pipeline_env(const gw_pipeline_t *p) { return &p->env; }

void gw_result_clear(gw_result_t *res) {
    free(res->id);
    free(res->record);
    for (size_t i = 0; i < res->n_emits; i++) free(res->emits[i].data);
    free(res->emits);
    free(res->facets);
    memset(res, 0, sizeof(*res));
}

/* Emits travel with the result whatever its verdict: a stage may emit
 * state that does not belong to this item alone (a closed aggregate window),
 * and dropping it with a dead-lettered item would lose it. */
static int take_emits(const gw_record_t *r, gw_result_t *res) {
    if (!r->n_emits) return GW_OK;
    if (!(res->emits = gw_calloc(r->n_emits, sizeof(*res->emits)))) return GW_ENOMEM;
    for (size_t i = 0; i < r->n_emits; i++) {
        gw_emit_t *e = &res->emits[i];
        e->kind = r->emits[i].kind;
        e->len = r->emits[i].len;
        if (!(e->data = gw_strndup(r->emit_data.data + r->emits[i].off, e->len))) return GW_ENOMEM;
        res->n_emits++;
    }
    return GW_OK;
}

/* Appends s to the name at *n, cut as snprintf cuts (the NUL always fits):
 * facets are named for every country, theme and pair of every item, and
 * snprintf was a sixtieth of the chain. */
static void name_put(char *name, size_t cap, size_t *n, const char *s) {
    for (; *s && *n + 1 < cap; s++) name[(*n)++] = *s;
    name[*n] = '\0';
}

static void add_facet(gw_result_t *res, size_t *per_kind, gw_facet_kind_t kind, const char *a,
                      const char *b) {
    if (per_kind[kind] >= GW_FACETS_PER_KIND) return;
    gw_facet_t *f = &res->facets[res->n_facets++];
    f->kind = kind;
    size_t n = 0;
    if (b && strcmp(a, b) > 0) { const char *t = a; a = b; b = t; }
    name_put(f->name, sizeof(f->name), &n, a);
    if (b) {
        name_put(f->name, sizeof(f->name), &n, "-");
        name_put(f->name, sizeof(f->name), &n, b);
    }
    per_kind[kind]++;
}

static const char *pair_side(const gw_dict_t *d, uint32_t id) {
    return id & GW_PAIR_BLOC ? d->blocs[id & ~GW_PAIR_BLOC].code : d->countries[id].code;
}

/* Fills the result's facets and title from the record (see gw_facet_t).
 * Best effort: they only feed metrics and the status page, so out of
 * memory leaves them short instead of failing an item whose record is
 * complete. */
static void summarise(const gw_record_t *r, const gw_dict_t *d, gw_result_t *res) {
    res->duplicate = r->dedup.is_duplicate;
    if (r->field[GW_FIELD_TITLE]) {
        size_t n = r->field_len[GW_FIELD_TITLE];
        if (n >= sizeof(res->title)) {
            n = sizeof(res->title) - 1;
            while (n && ((unsigned char)r->field[GW_FIELD_TITLE][n] & 0xC0) == 0x80) n--;
        }
        memcpy(res->title, r->field[GW_FIELD_TITLE], n);
        res->title[n] = '\0';
    }
    /* not zeroed: only the first n_facets are read (3 KB an item) */
    if (!(res->facets = gw_malloc(GW_FACETS_PER_KIND * GW_FACET__COUNT * sizeof(*res->facets)))) return;
    size_t per_kind[GW_FACET__COUNT] = {0};
    for (size_t i = 0; i < r->n_hits; i++) {
        const gw_hit_t *h = &r->hits[i];
        if (h->kind == GW_HIT_COUNTRY) add_facet(res, per_kind, GW_FACET_COUNTRY, d->countries[h->index].code, NULL);
        else if (h->kind == GW_HIT_THEME && h->actor) add_facet(res, per_kind, GW_FACET_THEME, d->themes[h->index].id, NULL);
    }
    for (size_t i = 0; i < r->n_pairs; i++)
        add_facet(res, per_kind, GW_FACET_PAIR, pair_side(d, r->pairs[i].a), pair_side(d, r->pairs[i].b));
    for (int i = 0; i < r->n_alerts; i++) add_facet(res, per_kind, GW_FACET_ALERT, r->alert_ids[i], NULL);
}

const char *gw_pipeline_rule_id(const gw_pipeline_t *p, size_t i) {
    return p->env.rules && i < p->env.rules->n_rules ? p->env.rules->rules[i].id : NULL;
}

int gw_pipeline_process(gw_pipeline_t *p, const char *payload, size_t len,
                        const gw_input_meta_t *meta, gw_result_t *res) {
    gw_record_t *r = &p->rec;
    memset(res, 0, sizeof(*res));
    gw_record_reset(r);
    r->max_item_bytes = p->max_item_bytes;
    r->max_matches = p->max_matches;
    r->max_evidence = p->max_evidence;
    r->max_record_bytes = p->max_record_bytes;
    r->max_json_depth = p->max_json_depth;
    r->ingest_ms = meta ? meta->ingest_ms : gw_now_ms();
    r->partition = meta ? meta->partition : -1;
    r->key = meta ? meta->key : NULL;
    r->key_len = meta ? meta->key_len : 0;
    r->payload = payload;
    r->payload_len = len;

    int rc = GW_OK;
    for (size_t i = 0; rc == GW_OK && i < sizeof(chain) / sizeof(chain[0]); i++)
        rc = chain[i].run(r, &p->env);
    r->payload = NULL;

    if (rc == GW_ENOMEM) gw_record_reject(r, GW_REASON_INTERNAL, "out of memory while processing the item");
    if (r->id && !(res->id = gw_strdup(r->id))) return GW_ENOMEM;
    if (take_emits(r, res) != GW_OK) return GW_ENOMEM;
    res->reason = r->reason;
    if (r->reason != GW_REASON_NONE) {
        snprintf(res->message, sizeof(res->message), "%s", r->message);
        return GW_OK;
    }
    /* The record's buffer goes to the result, shrunk in place, and the next
     * item is written into a new one of the same room: copying the record
     * cost more than anything else between the stages. */
    size_t room = r->out.cap;
    res->record_len = r->out.len;
    if (!(res->record = gw_buf_steal(&r->out, NULL))) return GW_ENOMEM;
    char *shrunk = gw_realloc(res->record, res->record_len + 1);
    if (shrunk) res->record = shrunk;
    if (room > 1) gw_buf_reserve(&r->out, room - 1); /* if this fails, serialise grows it */
    summarise(r, p->env.dict, res);
    return GW_OK;
}

/* Tick and flush emit records that belong to no item: they travel in a
 * result without a record, collected through the pipeline's record. */
static int emit_only(gw_pipeline_t *p, int64_t now_ms, int flush, gw_result_t *res) {
    gw_record_t *r = &p->rec;
    memset(res, 0, sizeof(*res));
    gw_record_reset(r);
    int rc = flush ? gw_agg_flush(&p->env, r) : gw_agg_tick(&p->env, now_ms, r);
    if (take_emits(r, res) != GW_OK) return GW_ENOMEM;
    return rc;
}

int gw_pipeline_tick(gw_pipeline_t *p, int64_t now_ms, gw_result_t *res) { return emit_only(p, now_ms, 0, res); }

int gw_pipeline_flush(gw_pipeline_t *p, gw_result_t *res) { return emit_only(p, 0, 1, res); }
