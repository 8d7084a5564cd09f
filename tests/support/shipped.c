/*
 * shipped.c - see shipped.h.
 */
#include "support/shipped.h"
#include "geowire/common.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gw_config_t *gw_test_cfg;
gw_pipeline_t *gw_test_pipeline;

void gw_test_pipeline_setup(void) {
    char err[GW_ERRLEN] = "";
    gw_test_cfg = gw_config_load("config/geowire.yaml", err, sizeof err);
    cr_assert_not_null(gw_test_cfg, "config: %s", err);
    gw_test_pipeline = gw_pipeline_new(gw_test_cfg, err, sizeof err);
    cr_assert_not_null(gw_test_pipeline, "pipeline: %s", err);
}

void gw_test_pipeline_teardown(void) {
    gw_pipeline_free(gw_test_pipeline);
    gw_config_free(gw_test_cfg);
}

void gw_test_dump_record(const char *rec, size_t len) {
    const char *path = getenv("GW_RECORD_DUMP");
    if (!path || !*path) return;
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f, "cannot append to %s", path);
    fwrite(rec, 1, len, f);
    fputc('\n', f);
    fclose(f);
}

json_t *gw_test_find_by(json_t *rec, const char *array, const char *key, const char *value) {
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(rec, array), i, e) {
        const char *v = json_string_value(json_object_get(e, key));
        if (v && !strcmp(v, value)) return e;
    }
    return NULL;
}
