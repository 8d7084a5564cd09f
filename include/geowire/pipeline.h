/*
 * pipeline.h - the processor chain, as the daemon and `geowire tag` see it.
 *
 * A pipeline owns the loaded dictionaries (read-only once built) and the
 * state of stateful stages. gw_pipeline_process turns one raw payload into
 * either an enriched record (plus zero or more alert records) or a
 * dead-letter verdict with a reason code. It never touches Kafka.
 */
#ifndef GEOWIRE_PIPELINE_H
#define GEOWIRE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include "geowire/config.h"

/* Dead-letter reasons: a fixed set, documented in the README. */
typedef enum {
    GW_REASON_NONE = 0,
    GW_REASON_EMPTY,             /* zero bytes or only white space */
    GW_REASON_TOO_LARGE,         /* payload over limits.max_item_bytes */
    GW_REASON_INVALID_JSON,      /* looked like JSON, did not parse (or too deep) */
    GW_REASON_NOT_OBJECT,        /* JSON but not an object */
    GW_REASON_NO_TEXT,           /* an object with neither title nor body */
    GW_REASON_INVALID_FIELD,     /* a known field of the wrong type */
    GW_REASON_RECORD_TOO_LARGE,  /* enriched record over limits.max_record_bytes */
    GW_REASON_PRODUCE_FAILED,    /* the enriched record was refused permanently */
    GW_REASON_INTERNAL,          /* processing failed (e.g. out of memory) */
    GW_REASON__COUNT
} gw_reason_t;

/* "invalid_json", ...; "none" for GW_REASON_NONE. Static string. */
const char *gw_reason_name(gw_reason_t r);

typedef struct gw_pipeline gw_pipeline_t;

typedef struct {
    const char *key;        /* Kafka message key, or NULL */
    size_t key_len;
    int64_t ingest_ms;      /* message timestamp (or now): the fallback date */
    int32_t partition;      /* input partition (aggregates name it); -1: not from Kafka */
} gw_input_meta_t;

/* A record a stage emits beside the enriched one, and the topic it goes to. */
typedef enum { GW_EMIT_ALERT = 0, GW_EMIT_AGGREGATE } gw_emit_kind_t;

typedef struct {
    gw_emit_kind_t kind;
    char *data;             /* JSON, no trailing newline, owned by the result */
    size_t len;
} gw_emit_t;

/* What one item contributed, for the daemon's metrics and status window,
 * so nothing re-parses the record: the countries, pairs ("MYS-RUS", codes
 * in order) and fired themes of the record, and the rules that alerted.
 * Names are copies (still valid after a dictionary reload). At most
 * GW_FACETS_PER_KIND of each kind, in the record's order. */
typedef enum { GW_FACET_COUNTRY = 0, GW_FACET_PAIR, GW_FACET_THEME, GW_FACET_ALERT, GW_FACET__COUNT } gw_facet_kind_t;
#define GW_FACETS_PER_KIND 16
typedef struct {
    gw_facet_kind_t kind;
    char name[48];
} gw_facet_t;

typedef struct {
    gw_reason_t reason;     /* NONE: record is set; else dead-letter it */
    char message[256];      /* human reason when reason != NONE */
    char *id;               /* item id (may be set even on failure), owned */
    char *record;           /* enriched JSON (no trailing newline), owned */
    size_t record_len;
    gw_emit_t *emits;       /* alert, retraction and aggregate records, owned */
    size_t n_emits;
    gw_facet_t *facets;     /* records only (reason NONE), owned */
    size_t n_facets;
    int duplicate;          /* the record's dedup.is_duplicate */
    char title[160];        /* the title, cut on a character boundary */
} gw_result_t;

/* Builds a pipeline from the config's dictionaries and rules. Returns NULL
 * and writes `file:line:col: what` on error. Caller owns it. The pipeline
 * keeps no pointer into cfg. */
gw_pipeline_t *gw_pipeline_new(const gw_config_t *cfg, char *err, size_t errlen);
void gw_pipeline_free(gw_pipeline_t *p);

/* Hot reload: builds the dictionaries, language model and rules `cfg`
 * names beside the running ones; only when all are valid does it swap them
 * in (and the per-item limits), so the next item uses the new set and the
 * state of stateful stages carries over. On error returns GW_EINVAL with
 * `file:line:col: what` in err and the pipeline runs on unchanged. Call
 * between items, from the thread that processes them. Strings from
 * gw_pipeline_dict_version before the call are invalid after a success. */
int gw_pipeline_reload(gw_pipeline_t *p, const gw_config_t *cfg, char *err, size_t errlen);

/* Processes one payload. Always returns a filled result (never crashes on
 * any input); res must be cleared with gw_result_clear. Returns GW_OK, or
 * GW_ENOMEM when even the failure could not be recorded. */
int gw_pipeline_process(gw_pipeline_t *p, const char *payload, size_t len,
                        const gw_input_meta_t *meta, gw_result_t *res);
void gw_result_clear(gw_result_t *res);

/* The id of the i-th loaded alert rule, NULL past the last one. Valid
 * until the next reload. */
const char *gw_pipeline_rule_id(const gw_pipeline_t *p, size_t i);
/* Time passes without items: closes the aggregate windows a quiet wire
 * leaves open (aggregate.h) and puts their records in res->emits (res has
 * no record). now_ms is wall-clock time; call it from the consume loop.
 * res must be cleared with gw_result_clear. GW_OK or GW_ENOMEM. */
int gw_pipeline_tick(gw_pipeline_t *p, int64_t now_ms, gw_result_t *res);
/* Emits every open aggregate window now, marked partial: before a graceful
 * shutdown or a partition revoke commits offsets. Same contract as tick. */
int gw_pipeline_flush(gw_pipeline_t *p, gw_result_t *res);

/* Version strings that go into every record. Valid until the next
 * successful gw_pipeline_reload. */
const char *gw_pipeline_dict_version(const gw_pipeline_t *p);
/* The alert rules in use, or NULL when the config names none. Same
 * lifetime as the dictionary version above. */
const struct gw_rules *gw_pipeline_rules(const gw_pipeline_t *p);

#endif
