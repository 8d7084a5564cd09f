/*
 * stateful.h - what the dedup and aggregate tests share: a pipeline built
 * from the shipped config with its stateful settings changed, and one call
 * that runs an item and hands back the record and the emitted records.
 */
#ifndef GEOWIRE_TEST_STATEFUL_H
#define GEOWIRE_TEST_STATEFUL_H

#include <jansson.h>
#include <stdint.h>
#include "geowire/config.h"
#include "geowire/pipeline.h"

/* The shipped config, then `tweak` (may be NULL) on it; the instance is
 * named "test-instance". Free with gwt_state_free. */
typedef struct {
    gw_config_t *cfg;
    gw_pipeline_t *p;
} gwt_state_t;
void gwt_state_new(gwt_state_t *s, void (*tweak)(gw_config_t *));
void gwt_state_free(gwt_state_t *s);

/* What one call produced: the enriched record (parsed; NULL if the item
 * was dead-lettered) and the emitted records by kind (JSON arrays). Every
 * record is also dumped for schema validation (gw_test_dump_record). Free
 * with gwt_out_free. */
typedef struct {
    json_t *rec;
    json_t *alerts;       /* alerts-topic records, retractions included */
    json_t *aggregates;
} gwt_out_t;
void gwt_out_free(gwt_out_t *o);

/* Runs one JSON item with this ingest time and partition. */
void gwt_run(gwt_state_t *s, const char *json, int64_t ingest_ms, int32_t partition, gwt_out_t *o);
/* gw_pipeline_tick / gw_pipeline_flush (flush when now_ms < 0). */
void gwt_tick(gwt_state_t *s, int64_t now_ms, gwt_out_t *o);

/* A JSON item {"id","title","body","published_at"} built with jansson
 * (malloc'd text, caller frees); published may be NULL. */
char *gwt_item(const char *id, const char *title, const char *body, const char *published);

#endif
