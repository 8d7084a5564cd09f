/*
 * stateful.c - see stateful.h.
 */
#include "support/stateful.h"
#include "support/shipped.h"
#include "geowire/common.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gwt_state_new(gwt_state_t *s, void (*tweak)(gw_config_t *)) {
    char err[GW_ERRLEN] = "";
    s->cfg = gw_config_load("config/geowire.yaml", err, sizeof err);
    cr_assert_not_null(s->cfg, "config: %s", err);
    free(s->cfg->aggregates.instance);
    s->cfg->aggregates.instance = strdup("test-instance");
    if (tweak) tweak(s->cfg);
    s->p = gw_pipeline_new(s->cfg, err, sizeof err);
    cr_assert_not_null(s->p, "pipeline: %s", err);
}

void gwt_state_free(gwt_state_t *s) {
    gw_pipeline_free(s->p);
    gw_config_free(s->cfg);
}

void gwt_out_free(gwt_out_t *o) {
    json_decref(o->rec);
    json_decref(o->alerts);
    json_decref(o->aggregates);
    memset(o, 0, sizeof(*o));
}

static void collect(gw_result_t *res, gwt_out_t *o) {
    o->rec = NULL;
    o->alerts = json_array();
    o->aggregates = json_array();
    if (res->record) {
        gw_test_dump_record(res->record, res->record_len);
        json_error_t je;
        o->rec = json_loadb(res->record, res->record_len, 0, &je);
        cr_assert_not_null(o->rec, "record is not JSON: %s", je.text);
    }
    for (size_t i = 0; i < res->n_emits; i++) {
        const gw_emit_t *e = &res->emits[i];
        int agg = e->kind == GW_EMIT_AGGREGATE;
        gw_test_dump_record(e->data, e->len);
        json_error_t je;
        json_t *j = json_loadb(e->data, e->len, 0, &je);
        cr_assert_not_null(j, "emitted record is not JSON: %s", je.text);
        json_array_append_new(agg ? o->aggregates : o->alerts, j);
    }
    gw_result_clear(res);
}

void gwt_run(gwt_state_t *s, const char *json, int64_t ingest_ms, int32_t partition, gwt_out_t *o) {
    gw_input_meta_t meta = {.ingest_ms = ingest_ms, .partition = partition};
    gw_result_t res;
    cr_assert_eq(gw_pipeline_process(s->p, json, strlen(json), &meta, &res), GW_OK);
    collect(&res, o);
}

void gwt_tick(gwt_state_t *s, int64_t now_ms, gwt_out_t *o) {
    gw_result_t res;
    int rc = now_ms < 0 ? gw_pipeline_flush(s->p, &res) : gw_pipeline_tick(s->p, now_ms, &res);
    cr_assert_eq(rc, GW_OK);
    cr_assert_null(res.record);
    collect(&res, o);
}

char *gwt_item(const char *id, const char *title, const char *body, const char *published) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "title", json_string(title));
    json_object_set_new(o, "body", json_string(body));
    if (published) json_object_set_new(o, "published_at", json_string(published));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}
