/*
 * shipped.h - what the processor tests share: the shipped configuration
 * and dictionaries loaded into one pipeline per test process, and a way for
 * `make test` to validate every record they produce.
 */
#ifndef GEOWIRE_TEST_SHIPPED_H
#define GEOWIRE_TEST_SHIPPED_H

#include <stddef.h>
#include <jansson.h>
#include "geowire/config.h"
#include "geowire/pipeline.h"

/* Set by gw_test_pipeline_setup from config/geowire.yaml (tests run from
 * the repository root); owned by the support code. */
extern gw_config_t *gw_test_cfg;
extern gw_pipeline_t *gw_test_pipeline;

/* Criterion suite fixtures: criterion runs each test in its own process,
 * so each builds the one pipeline its process uses. */
void gw_test_pipeline_setup(void);
void gw_test_pipeline_teardown(void);

/* With GW_RECORD_DUMP=FILE set, appends the record to FILE (one per line)
 * for tools/validate-records.py. */
void gw_test_dump_record(const char *rec, size_t len);

/* The element of rec[array] whose string member `key` equals `value`, or
 * NULL (borrowed reference). */
json_t *gw_test_find_by(json_t *rec, const char *array, const char *key, const char *value);

#endif
