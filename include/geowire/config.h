/*
 * config.h - geowire.yaml, loaded and validated.
 *
 * Every key is typed and known: an unknown key, a wrong type, a missing
 * referenced file or an undefined ${VAR} is an error `file:line:col: what`.
 * Relative paths resolve against the config file's own folder, so geowire
 * runs from any working directory.
 */
#ifndef GEOWIRE_CONFIG_H
#define GEOWIRE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *key;
    char *value;
    int secret;     /* value came from the environment: never log it */
} gw_kv_t;

typedef enum { GW_GUARANTEE_AT_LEAST_ONCE = 0, GW_GUARANTEE_EXACTLY_ONCE = 1 } gw_guarantee_t;

typedef struct {
    char *path;        /* the config file as resolved */
    char *dir;         /* its folder (absolute) */

    struct {
        char *brokers;     /* "embedded" or a bootstrap list */
        char *group_id;
        gw_guarantee_t guarantee;
        gw_kv_t *consumer; size_t n_consumer;  /* passed to rd_kafka_conf_set verbatim */
        gw_kv_t *producer; size_t n_producer;
        int embedded_partitions;   /* partitions per topic on the embedded broker */
        int shutdown_timeout_ms;   /* bound on drain+flush+commit+close */
        int transaction_items;     /* exactly_once: items per transaction at most */
        int transaction_ms;        /* exactly_once: age of a transaction at most */
    } kafka;

    struct {
        char *input, *output, *alerts, *dead_letter, *aggregates;
    } topics;

    struct {
        size_t max_item_bytes;     /* larger payloads are dead-lettered too_large */
        int max_json_depth;        /* deeper JSON is invalid_json */
        size_t max_matches;        /* dictionary matches kept per item */
        size_t max_in_flight;      /* items awaiting delivery before pausing */
        size_t max_record_bytes;   /* larger records are record_too_large */
        size_t max_evidence;       /* spans kept per actor/country/theme */
    } limits;

    struct {             /* absolute paths */
        char *countries, *countries_overlay, *blocs, *people, *organizations,
             *discards, *themes, *languages, *titles;
        char **title_patterns;     /* optional: title-pattern files, in order */
        size_t n_title_patterns;
    } dict;

    char *alerts;        /* alert rules file (absolute path), NULL: no rules */

    struct {             /* duplicate detection (dedup.h) */
        size_t window_items;       /* items remembered */
        int window_seconds;        /* ... for at most this long (ingest time) */
        double threshold;          /* estimated Jaccard similarity of a near-duplicate */
    } dedup;

    struct {             /* dashboard aggregates (aggregate.h) */
        int window_seconds;        /* tumbling window length, event time */
        int lateness_seconds;      /* how long after its end a window still takes items */
        char *instance;            /* names this instance in every record; NULL: host:pid */
    } aggregates;

    struct {
        char *listen;            /* "ADDR:PORT", "[ADDR]:PORT", or NULL when "off" */
        int stall_timeout_ms;    /* /healthz fails when the main loop stalls longer */
        int stats_interval_ms;   /* librdkafka statistics: lag, readiness */
        int reload;              /* serve POST /-/reload (loopback clients only) */
    } http;

    struct {
        char *level;       /* debug, info, warn, error */
        char *format;      /* "logfmt" or "json" */
    } log;
} gw_config_t;

/* Loads and validates `path`. Returns NULL and writes every problem found,
 * one `file:line:col: what` per line, into err. Checks that referenced files
 * exist (their contents are validated by the loaders that read them).
 * Caller owns the result; free with gw_config_free. */
gw_config_t *gw_config_load(const char *path, char *err, size_t errlen);
void gw_config_free(gw_config_t *c);

/* Finds the config when -c is not given: $GEOWIRE_CONFIG, then
 * ./config/geowire.yaml, then GW_SYSCONFDIR/geowire/geowire.yaml.
 * Returns a malloc'd path or NULL (with the places tried in err). */
char *gw_config_find(char *err, size_t errlen);

/* The keys whose change between `running` and `next` takes a restart to
 * apply (Kafka clients, topics, the in-flight cap, http.*), comma-separated, ""
 * when none; names only, never values. A reload applies the rest
 * (dictionaries, rules, per-item limits, log level and format). Caller
 * frees; NULL when out of memory. */
char *gw_config_restart_keys(const gw_config_t *running, const gw_config_t *next);

/* A command-line override of a string key (`field` points into a loaded
 * config): copies value, frees the old one. GW_OK, or GW_ENOMEM with the
 * old value kept. */
int gw_config_set(char **field, const char *value);

/* Looks up a passthrough property ("session.timeout.ms") in a list. */
const char *gw_config_kv(const gw_kv_t *kv, size_t n, const char *key);

#endif
