/*
 * processor.h - the shape every pipeline stage shares.
 *
 * A processor is a name and a function over one record and the read-only
 * environment (dictionaries and models). Processors keep no globals and
 * never touch Kafka, so each is unit-tested alone and `geowire tag` runs
 * exactly the daemon's chain. The chain itself is one table in pipeline.c.
 */
#ifndef GEOWIRE_PROCESSOR_H
#define GEOWIRE_PROCESSOR_H

#include "geowire/dict.h"
#include "geowire/lang.h"
#include "geowire/record.h"
#include "geowire/rules.h"

typedef struct {
    const gw_dict_t *dict;
    const gw_langid_t *lang;
    const gw_rules_t *rules;   /* alert rules, compiled against dict */
    /* state of the stateful stages, owned by the pipeline (never a global):
     * one item at a time goes through them */
    struct gw_dedup *dedup;    /* dedup.h */
    struct gw_agg *agg;        /* aggregate.h */
} gw_env_t;

/* Returns GW_OK to continue, GW_EINVAL after gw_record_reject (the item goes
 * to the dead-letter topic), GW_ENOMEM when out of memory. */
typedef int (*gw_processor_fn)(gw_record_t *r, const gw_env_t *env);

typedef struct {
    const char *name;
    gw_processor_fn run;
} gw_processor_t;

/* pipeline.c: the stages' environment, state included (tests read the
 * stateful stages' stats through it). Borrowed from the pipeline. */
const gw_env_t *gw_pipeline_env(const gw_pipeline_t *p);

int gw_parse_run(gw_record_t *r, const gw_env_t *env);      /* parse.c */
int gw_normalize_run(gw_record_t *r, const gw_env_t *env);  /* normalize.c */
int gw_scan_run(gw_record_t *r, const gw_env_t *env);       /* scan.c */
int gw_officials_run(gw_record_t *r, const gw_env_t *env);  /* officials.c */
int gw_resolve_run(gw_record_t *r, const gw_env_t *env);    /* resolve.c */
int gw_themes_run(gw_record_t *r, const gw_env_t *env);     /* themes.c */
int gw_alerts_run(gw_record_t *r, const gw_env_t *env);     /* alerts.c */
int gw_serialize_run(gw_record_t *r, const gw_env_t *env);  /* serialize.c */

#endif
