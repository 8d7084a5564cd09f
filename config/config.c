/*
 * config.c - reads geowire.yaml into gw_config_t.
 *
 * The loader keeps going after a bad key so `geowire check` can report every
 * problem in one run; each is one `file:line:col: what` line in the error
 * buffer. Defaults live in one table-free place: config_defaults().
 */
#include "geowire/config.h"
#include "geowire/common.h"
#include "geowire/addr.h"
#include "geowire/yaml.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef GW_SYSCONFDIR
#define GW_SYSCONFDIR "/etc"
#endif

/* Collects problems; the first failure of an allocation ends loading. */
typedef struct {
    const gw_yaml_doc_t *doc;
    gw_config_t *cfg;
    gw_buf_t errors;
    int count;
} loader_t;

static void problem(loader_t *L, const char *msg) {
    if (L->count++) gw_buf_putc(&L->errors, '\n');
    gw_buf_append(&L->errors, msg, strlen(msg));
}

/* Runs one typed read; on failure records its message and returns 0. */
#define TRY(L, call)                                                            \
    ({                                                                          \
        char e_[GW_ERRLEN];                                                     \
        int ok_ = (call) == GW_OK;                                              \
        if (!ok_) problem((L), e_);                                             \
        ok_;                                                                    \
    })

static void set_str(loader_t *L, char **dst, const gw_yaml_node_t *n, const char *what) {
    const char *v;
    char e[GW_ERRLEN];
    if (gw_yaml_str(L->doc, n, what, &v, e, sizeof(e)) != GW_OK) { problem(L, e); return; }
    char *d = gw_strdup(v);
    if (!d) { problem(L, "out of memory"); return; }
    free(*dst);
    *dst = d;
}

static void set_size(loader_t *L, size_t *dst, const gw_yaml_node_t *n, const char *what,
                     long long min, long long max) {
    long long v;
    char e[GW_ERRLEN];
    if (gw_yaml_int(L->doc, n, what, min, max, &v, e, sizeof(e)) != GW_OK) { problem(L, e); return; }
    *dst = (size_t)v;
}

static void set_int(loader_t *L, int *dst, const gw_yaml_node_t *n, const char *what,
                    long long min, long long max) {
    long long v;
    char e[GW_ERRLEN];
    if (gw_yaml_int(L->doc, n, what, min, max, &v, e, sizeof(e)) != GW_OK) { problem(L, e); return; }
    *dst = (int)v;
}

/* Resolves a path against the config's folder and requires a regular file. */
static void set_path(loader_t *L, char **dst, const gw_yaml_node_t *n, const char *what) {
    const char *v;
    char e[GW_ERRLEN];
    if (gw_yaml_str(L->doc, n, what, &v, e, sizeof(e)) != GW_OK) { problem(L, e); return; }
    gw_buf_t p;
    gw_buf_init(&p);
    if (v[0] != '/') gw_buf_printf(&p, "%s/", L->cfg->dir);
    gw_buf_append(&p, v, strlen(v));
    if (p.oom) { gw_buf_free(&p); problem(L, "out of memory"); return; }
    struct stat st;
    if (stat(p.data, &st) != 0 || !S_ISREG(st.st_mode)) {
        gw_yaml_errf(L->doc, n, e, sizeof(e), "%s: file '%s' %s", what, p.data,
                     errno == ENOENT ? "does not exist" : "is not a readable file");
        problem(L, e);
        gw_buf_free(&p);
        return;
    }
    free(*dst);
    *dst = gw_buf_steal(&p, NULL);
}

/* A property is secret when it came from the environment or its name says
 * so: such values are never logged or echoed. */
static int secret_key(const char *k) {
    return strstr(k, "password") || strstr(k, "secret") || strstr(k, "sasl.oauthbearer.config") ||
           strstr(k, "ssl.key.pem");
}

static void set_props(loader_t *L, gw_kv_t **dst, size_t *n, const gw_yaml_node_t *map,
                      const char *what) {
    char e[GW_ERRLEN];
    if (gw_yaml_expect(L->doc, map, GW_YAML_MAP, what, e, sizeof(e)) != GW_OK) {
        problem(L, e);
        return;
    }
    gw_kv_t *kv = gw_calloc(map->n ? map->n : 1, sizeof(*kv));
    if (!kv) { problem(L, "out of memory"); return; }
    size_t k = 0;
    for (size_t i = 0; i < map->n; i++) {
        const gw_yaml_node_t *v = map->items[i];
        if (v->kind != GW_YAML_SCALAR) {
            gw_yaml_errf(L->doc, v, e, sizeof(e), "%s.%s must be a scalar value", what,
                         map->keys[i]->str);
            problem(L, e);
            continue;
        }
        kv[k].key = gw_strdup(map->keys[i]->str);
        kv[k].value = gw_strdup(v->str);
        kv[k].secret = v->secret || secret_key(map->keys[i]->str);
        if (!kv[k].key || !kv[k].value) {
            free(kv[k].key);
            free(kv[k].value);
            problem(L, "out of memory");
            continue;
        }
        k++;
    }
    *dst = kv;
    *n = k;
}

static void config_defaults(gw_config_t *c) {
    c->kafka.guarantee = GW_GUARANTEE_AT_LEAST_ONCE;
    c->kafka.embedded_partitions = 4;
    c->kafka.shutdown_timeout_ms = 30000;
    c->kafka.transaction_items = 1000;
    c->kafka.transaction_ms = 100;
    c->limits.max_item_bytes = 1 << 20;
    c->limits.max_json_depth = 64;
    c->limits.max_matches = 4096;
    c->limits.max_in_flight = 10000;
    c->limits.max_record_bytes = 900 * 1024;
    c->limits.max_evidence = 8;
    c->topics.input = gw_strdup("news.raw");
    c->topics.output = gw_strdup("news.enriched");
    c->topics.alerts = gw_strdup("news.alerts");
    c->topics.dead_letter = gw_strdup("news.dlq");
    c->topics.aggregates = gw_strdup("news.aggregates");
    c->http.listen = gw_strdup("127.0.0.1:9464");
    c->http.stall_timeout_ms = 30000;
    c->http.stats_interval_ms = 1000;
    c->dedup.window_items = 10000;
    c->dedup.window_seconds = 86400;
    c->dedup.threshold = 0.5;
    c->aggregates.window_seconds = 60;
    c->aggregates.lateness_seconds = 30;
    c->log.level = gw_strdup("info");
    c->log.format = gw_strdup("logfmt");
}

static const char *const top_keys[] = {"kafka", "topics", "limits", "dictionaries", "alerts", "log", "http",
                                       "dedup", "aggregates", NULL};
static const char *const kafka_keys[] = {"brokers", "group_id", "processing_guarantee",
                                         "consumer", "producer", "embedded_partitions",
                                         "shutdown_timeout_ms", "transaction_items",
                                         "transaction_ms", NULL};
static const char *const topic_keys[] = {"input", "output", "alerts", "dead_letter",
                                         "aggregates", NULL};
static const char *const limit_keys[] = {"max_item_bytes", "max_json_depth", "max_matches",
                                         "max_in_flight", "max_record_bytes", "max_evidence",
                                         NULL};
static const char *const dict_keys[] = {"countries", "countries_overlay", "blocs", "people",
                                        "organizations", "discards", "themes", "languages",
                                        "titles", "title_patterns", NULL};
static const char *const log_keys[] = {"level", "format", NULL};
static const char *const http_keys[] = {"listen", "stall_timeout_ms", "stats_interval_ms", "reload",
                                         NULL};

/* http.listen: an address the HTTP module can bind, or "off". */
static void load_http(loader_t *L, const gw_yaml_node_t *s) {
    gw_config_t *c = L->cfg;
    const gw_yaml_node_t *n;
    if (!TRY(L, gw_yaml_check_keys(L->doc, s, http_keys, "http", e_, sizeof(e_)))) return;
    if ((n = gw_yaml_get(s, "listen"))) {
        set_str(L, &c->http.listen, n, "http.listen");
        struct sockaddr_storage ss;
        socklen_t sl;
        char why[GW_ERRLEN], e[GW_ERRLEN];
        if (c->http.listen && !strcmp(c->http.listen, "off")) {
            free(c->http.listen);
            c->http.listen = NULL;
        } else if (c->http.listen && gw_addr_parse(c->http.listen, &ss, &sl, why, sizeof(why)) != GW_OK) {
            gw_yaml_errf(L->doc, n, e, sizeof(e), "http.listen: %s (or 'off')", why);
            problem(L, e);
        }
    }
    if ((n = gw_yaml_get(s, "stall_timeout_ms")))
        set_int(L, &c->http.stall_timeout_ms, n, "http.stall_timeout_ms", 1000, 3600000);
    if ((n = gw_yaml_get(s, "stats_interval_ms")))
        set_int(L, &c->http.stats_interval_ms, n, "http.stats_interval_ms", 100, 600000);
    if ((n = gw_yaml_get(s, "reload")))
        TRY(L, gw_yaml_bool(L->doc, n, "http.reload", &c->http.reload, e_, sizeof(e_)));
}

static const char *const dedup_keys[] = {"window_items", "window_seconds", "threshold", NULL};
static const char *const agg_keys[] = {"window_seconds", "allowed_lateness_seconds", "instance", NULL};

/* The stateful stages: dedup and aggregates. An empty instance name means
 * "derive one" (host:pid), so ${GEOWIRE_INSTANCE:-} works in the file. */
static void load_stateful(loader_t *L, const gw_yaml_node_t *root) {
    gw_config_t *c = L->cfg;
    const gw_yaml_node_t *s, *n;
    if ((s = gw_yaml_get(root, "dedup")) &&
        TRY(L, gw_yaml_check_keys(L->doc, s, dedup_keys, "dedup", e_, sizeof(e_)))) {
        if ((n = gw_yaml_get(s, "window_items")))
            set_size(L, &c->dedup.window_items, n, "dedup.window_items", 1, 10000000);
        if ((n = gw_yaml_get(s, "window_seconds")))
            set_int(L, &c->dedup.window_seconds, n, "dedup.window_seconds", 1, 30 * 86400);
        if ((n = gw_yaml_get(s, "threshold")))
            TRY(L, gw_yaml_double(L->doc, n, "dedup.threshold", 0.05, 1.0, &c->dedup.threshold, e_, sizeof(e_)));
    }
    if ((s = gw_yaml_get(root, "aggregates")) &&
        TRY(L, gw_yaml_check_keys(L->doc, s, agg_keys, "aggregates", e_, sizeof(e_)))) {
        if ((n = gw_yaml_get(s, "window_seconds")))
            set_int(L, &c->aggregates.window_seconds, n, "aggregates.window_seconds", 1, 86400);
        if ((n = gw_yaml_get(s, "allowed_lateness_seconds")))
            set_int(L, &c->aggregates.lateness_seconds, n, "aggregates.allowed_lateness_seconds", 0, 86400);
        if ((n = gw_yaml_get(s, "instance")) && !(n->kind == GW_YAML_SCALAR && n->str && !*n->str))
            set_str(L, &c->aggregates.instance, n, "aggregates.instance");
    }
}

static void load_kafka(loader_t *L, const gw_yaml_node_t *k) {
    gw_config_t *c = L->cfg;
    if (!TRY(L, gw_yaml_check_keys(L->doc, k, kafka_keys, "kafka", e_, sizeof(e_)))) return;
    const gw_yaml_node_t *n;
    if ((n = gw_yaml_get(k, "brokers"))) set_str(L, &c->kafka.brokers, n, "kafka.brokers");
    if ((n = gw_yaml_get(k, "group_id"))) set_str(L, &c->kafka.group_id, n, "kafka.group_id");
    if ((n = gw_yaml_get(k, "processing_guarantee"))) {
        char *g = NULL;
        set_str(L, &g, n, "kafka.processing_guarantee");
        if (g && strcmp(g, "at_least_once") == 0) c->kafka.guarantee = GW_GUARANTEE_AT_LEAST_ONCE;
        else if (g && strcmp(g, "exactly_once") == 0) c->kafka.guarantee = GW_GUARANTEE_EXACTLY_ONCE;
        else if (g) {
            char e[GW_ERRLEN];
            gw_yaml_errf(L->doc, n, e, sizeof(e),
                         "kafka.processing_guarantee must be at_least_once or exactly_once");
            problem(L, e);
        }
        free(g);
    }
    if ((n = gw_yaml_get(k, "consumer")))
        set_props(L, &c->kafka.consumer, &c->kafka.n_consumer, n, "kafka.consumer");
    if ((n = gw_yaml_get(k, "producer")))
        set_props(L, &c->kafka.producer, &c->kafka.n_producer, n, "kafka.producer");
    if ((n = gw_yaml_get(k, "embedded_partitions")))
        set_int(L, &c->kafka.embedded_partitions, n, "kafka.embedded_partitions", 1, 1024);
    if ((n = gw_yaml_get(k, "shutdown_timeout_ms")))
        set_int(L, &c->kafka.shutdown_timeout_ms, n, "kafka.shutdown_timeout_ms", 100, 600000);
    if ((n = gw_yaml_get(k, "transaction_items")))
        set_int(L, &c->kafka.transaction_items, n, "kafka.transaction_items", 1, 1000000);
    if ((n = gw_yaml_get(k, "transaction_ms")))
        set_int(L, &c->kafka.transaction_ms, n, "kafka.transaction_ms", 1, 600000);
    /* exactly_once needs a transactional.id (stable per instance, unique
     * among live instances); at_least_once must not get one, or the
     * producer would refuse every record outside a transaction. */
    int has_tid = gw_config_kv(c->kafka.producer, c->kafka.n_producer, "transactional.id") != NULL;
    int eos = c->kafka.guarantee == GW_GUARANTEE_EXACTLY_ONCE;
    if (has_tid != eos) {
        const gw_yaml_node_t *at = gw_yaml_get(k, "processing_guarantee");
        char e[GW_ERRLEN];
        gw_yaml_errf(L->doc, at ? at : k, e, sizeof(e),
                     eos ? "kafka.processing_guarantee exactly_once needs "
                           "kafka.producer.transactional.id (stable per instance)"
                         : "kafka.producer.transactional.id is only for "
                           "kafka.processing_guarantee: exactly_once");
        problem(L, e);
    }
}

/* dictionaries.title_patterns: a list of files, one per language; optional
 * (without it no official is read from titles). */
static void load_title_patterns(loader_t *L, const gw_yaml_node_t *list) {
    gw_config_t *c = L->cfg;
    if (!TRY(L, gw_yaml_expect(L->doc, list, GW_YAML_SEQ, "dictionaries.title_patterns", e_, sizeof(e_)))) return;
    if (!(c->dict.title_patterns = gw_calloc(list->n + 1, sizeof(char *)))) { problem(L, "out of memory"); return; }
    for (size_t i = 0; i < list->n; i++) {
        set_path(L, &c->dict.title_patterns[c->dict.n_title_patterns], list->items[i], "dictionaries.title_patterns");
        if (c->dict.title_patterns[c->dict.n_title_patterns]) c->dict.n_title_patterns++;
    }
}

static void load_sections(loader_t *L, const gw_yaml_node_t *root) {
    gw_config_t *c = L->cfg;
    const gw_yaml_node_t *s, *n;
    if (!TRY(L, gw_yaml_check_keys(L->doc, root, top_keys, "the configuration", e_, sizeof(e_))))
        return;
    if ((s = gw_yaml_get(root, "kafka"))) load_kafka(L, s);
    if ((s = gw_yaml_get(root, "topics")) &&
        TRY(L, gw_yaml_check_keys(L->doc, s, topic_keys, "topics", e_, sizeof(e_)))) {
        if ((n = gw_yaml_get(s, "input"))) set_str(L, &c->topics.input, n, "topics.input");
        if ((n = gw_yaml_get(s, "output"))) set_str(L, &c->topics.output, n, "topics.output");
        if ((n = gw_yaml_get(s, "alerts"))) set_str(L, &c->topics.alerts, n, "topics.alerts");
        if ((n = gw_yaml_get(s, "dead_letter")))
            set_str(L, &c->topics.dead_letter, n, "topics.dead_letter");
        if ((n = gw_yaml_get(s, "aggregates")))
            set_str(L, &c->topics.aggregates, n, "topics.aggregates");
    }
    if ((s = gw_yaml_get(root, "limits")) &&
        TRY(L, gw_yaml_check_keys(L->doc, s, limit_keys, "limits", e_, sizeof(e_)))) {
        if ((n = gw_yaml_get(s, "max_item_bytes")))
            set_size(L, &c->limits.max_item_bytes, n, "limits.max_item_bytes", 64, 256LL << 20);
        if ((n = gw_yaml_get(s, "max_json_depth")))
            set_int(L, &c->limits.max_json_depth, n, "limits.max_json_depth", 2, 2048);
        if ((n = gw_yaml_get(s, "max_matches")))
            set_size(L, &c->limits.max_matches, n, "limits.max_matches", 1, 1 << 24);
        if ((n = gw_yaml_get(s, "max_in_flight")))
            set_size(L, &c->limits.max_in_flight, n, "limits.max_in_flight", 1, 1 << 24);
        if ((n = gw_yaml_get(s, "max_record_bytes")))
            set_size(L, &c->limits.max_record_bytes, n, "limits.max_record_bytes", 1024,
                     256LL << 20);
        if ((n = gw_yaml_get(s, "max_evidence")))
            set_size(L, &c->limits.max_evidence, n, "limits.max_evidence", 0, 1000);
    }
    if ((s = gw_yaml_get(root, "dictionaries")) &&
        TRY(L, gw_yaml_check_keys(L->doc, s, dict_keys, "dictionaries", e_, sizeof(e_)))) {
        struct { const char *key; char **dst; } d[] = {
            {"countries", &c->dict.countries},       {"countries_overlay", &c->dict.countries_overlay},
            {"blocs", &c->dict.blocs},               {"people", &c->dict.people},
            {"organizations", &c->dict.organizations}, {"discards", &c->dict.discards},
            {"themes", &c->dict.themes},             {"languages", &c->dict.languages},
            {"titles", &c->dict.titles},
        };
        if ((n = gw_yaml_get(s, "title_patterns"))) load_title_patterns(L, n);
        for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
            char what[64];
            snprintf(what, sizeof(what), "dictionaries.%s", d[i].key);
            if ((n = gw_yaml_get(s, d[i].key))) set_path(L, d[i].dst, n, what);
            else {
                char e[GW_ERRLEN];
                gw_yaml_errf(L->doc, s, e, sizeof(e), "missing '%s'", what);
                problem(L, e);
            }
        }
    } else if (!s) {
        char e[GW_ERRLEN];
        gw_yaml_errf(L->doc, root, e, sizeof(e), "missing 'dictionaries' section");
        problem(L, e);
    }
    /* Without an alerts file there are no rules: records carry alerts: []. */
    if ((n = gw_yaml_get(root, "alerts"))) set_path(L, &c->alerts, n, "alerts");
    if ((s = gw_yaml_get(root, "http"))) load_http(L, s);
    if ((s = gw_yaml_get(root, "log")) &&
        TRY(L, gw_yaml_check_keys(L->doc, s, log_keys, "log", e_, sizeof(e_)))) {
        if ((n = gw_yaml_get(s, "level"))) {
            set_str(L, &c->log.level, n, "log.level");
            const char *lv = c->log.level;
            if (strcmp(lv, "debug") && strcmp(lv, "info") && strcmp(lv, "warn") && strcmp(lv, "error")) {
                char e[GW_ERRLEN];
                gw_yaml_errf(L->doc, n, e, sizeof(e), "log.level must be debug, info, warn or error");
                problem(L, e);
            }
        }
        if ((n = gw_yaml_get(s, "format"))) {
            set_str(L, &c->log.format, n, "log.format");
            if (strcmp(c->log.format, "logfmt") && strcmp(c->log.format, "json")) {
                char e[GW_ERRLEN];
                gw_yaml_errf(L->doc, n, e, sizeof(e), "log.format must be logfmt or json");
                problem(L, e);
            }
        }
    }
    load_stateful(L, root);
    /* Embedded is a choice the file must make: an absent or empty value is
     * never silently the in-process broker. */
    if (!c->kafka.brokers) {
        char e[GW_ERRLEN];
        gw_yaml_errf(L->doc, gw_yaml_get(root, "kafka") ? gw_yaml_get(root, "kafka") : root, e,
                     sizeof(e), "missing 'kafka.brokers' (a bootstrap list, or 'embedded')");
        problem(L, e);
    }
    if (!c->kafka.group_id) {
        char e[GW_ERRLEN];
        gw_yaml_errf(L->doc, gw_yaml_get(root, "kafka") ? gw_yaml_get(root, "kafka") : root, e,
                     sizeof(e), "missing 'kafka.group_id'");
        problem(L, e);
    }
}

gw_config_t *gw_config_load(const char *path, char *err, size_t errlen) {
    gw_yaml_doc_t *doc = gw_yaml_load(path, GW_YAML_EXPAND_ENV, err, errlen);
    if (!doc) return NULL;
    gw_config_t *c = gw_calloc(1, sizeof(*c));
    char *abs = c ? realpath(path, NULL) : NULL;
    if (!c || !abs) {
        gw_err(err, errlen, GW_ENOMEM, "%s: cannot resolve path", path);
        free(c);
        free(abs);
        gw_yaml_free(doc);
        return NULL;
    }
    c->path = abs;
    char *tmp = gw_strdup(abs);
    c->dir = tmp ? gw_strdup(dirname(tmp)) : NULL;
    free(tmp);
    config_defaults(c);

    loader_t L = {.doc = doc, .cfg = c};
    gw_buf_init(&L.errors);
    if (!c->dir) problem(&L, "out of memory");
    else if (!doc->root || doc->root->kind != GW_YAML_MAP) {
        char e[GW_ERRLEN];
        gw_yaml_errf(doc, doc->root, e, sizeof(e), "the configuration must be a mapping");
        problem(&L, e);
    } else {
        load_sections(&L, doc->root);
    }
    gw_yaml_free(doc);
    if (L.count || L.errors.oom) {
        gw_err(err, errlen, GW_EINVAL, "%s", L.errors.data ? L.errors.data : "out of memory");
        gw_buf_free(&L.errors);
        gw_config_free(c);
        return NULL;
    }
    gw_buf_free(&L.errors);
    return c;
}

static void free_kv(gw_kv_t *kv, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void gw_config_free(gw_config_t *c) {
    if (!c) return;
    free(c->path);
    free(c->dir);
    free(c->kafka.brokers);
    free(c->kafka.group_id);
    free_kv(c->kafka.consumer, c->kafka.n_consumer);
    free_kv(c->kafka.producer, c->kafka.n_producer);
    free(c->topics.input);
    free(c->topics.output);
    free(c->topics.alerts);
    free(c->topics.dead_letter);
    free(c->topics.aggregates);
    char **paths[] = {&c->dict.countries, &c->dict.countries_overlay, &c->dict.blocs,
                      &c->dict.people, &c->dict.organizations, &c->dict.discards,
                      &c->dict.themes, &c->dict.languages, &c->dict.titles};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) free(*paths[i]);
    free(c->alerts);
    free(c->http.listen);
    for (size_t i = 0; i < c->dict.n_title_patterns; i++) free(c->dict.title_patterns[i]);
    free(c->dict.title_patterns);
    free(c->aggregates.instance);
    free(c->log.level);
    free(c->log.format);
    free(c);
}

int gw_config_set(char **field, const char *value) {
    char *d = gw_strdup(value);
    if (!d) return GW_ENOMEM;
    free(*field);
    *field = d;
    return GW_OK;
}

const char *gw_config_kv(const gw_kv_t *kv, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0) return kv[i].value;
    return NULL;
}

char *gw_config_find(char *err, size_t errlen) {
    const char *env = getenv("GEOWIRE_CONFIG");
    if (env && *env) {
        if (access(env, R_OK) == 0) return gw_strdup(env);
        gw_err(err, errlen, GW_EIO, "GEOWIRE_CONFIG=%s: cannot read it", env);
        return NULL;
    }
    const char *places[] = {"config/geowire.yaml", GW_SYSCONFDIR "/geowire/geowire.yaml"};
    for (size_t i = 0; i < 2; i++)
        if (access(places[i], R_OK) == 0) return gw_strdup(places[i]);
    gw_err(err, errlen, GW_EIO,
           "no configuration found: tried $GEOWIRE_CONFIG, ./config/geowire.yaml, "
           GW_SYSCONFDIR "/geowire/geowire.yaml (use -c FILE)");
    return NULL;
}

/* Appends `key` to the comma-separated list in b. */
static void note_key(gw_buf_t *b, const char *prefix, const char *key) {
    if (b->len) gw_buf_append(b, ",", 1);
    gw_buf_printf(b, "%s%s", prefix, key);
}

static int str_differs(const char *a, const char *b) {
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/* Property lists differ key by key, in either direction; values are
 * compared, never copied out (they may be secrets). */
static void diff_props(gw_buf_t *b, const char *prefix, const gw_kv_t *a, size_t na,
                       const gw_kv_t *c, size_t nc) {
    for (size_t i = 0; i < na; i++)
        if (str_differs(a[i].value, gw_config_kv(c, nc, a[i].key))) note_key(b, prefix, a[i].key);
    for (size_t i = 0; i < nc; i++)
        if (!gw_config_kv(a, na, c[i].key)) note_key(b, prefix, c[i].key);
}

char *gw_config_restart_keys(const gw_config_t *a, const gw_config_t *c) {
    gw_buf_t b;
    gw_buf_init(&b);
    struct { const char *key; const char *x, *y; } strs[] = {
        {"kafka.brokers", a->kafka.brokers, c->kafka.brokers},
        {"kafka.group_id", a->kafka.group_id, c->kafka.group_id},
        {"topics.input", a->topics.input, c->topics.input},
        {"topics.output", a->topics.output, c->topics.output},
        {"topics.alerts", a->topics.alerts, c->topics.alerts},
        {"topics.dead_letter", a->topics.dead_letter, c->topics.dead_letter},
        {"topics.aggregates", a->topics.aggregates, c->topics.aggregates},
        {"http.listen", a->http.listen, c->http.listen},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (str_differs(strs[i].x, strs[i].y)) note_key(&b, "", strs[i].key);
    if (a->kafka.guarantee != c->kafka.guarantee) note_key(&b, "", "kafka.processing_guarantee");
    if (a->kafka.embedded_partitions != c->kafka.embedded_partitions)
        note_key(&b, "", "kafka.embedded_partitions");
    if (a->kafka.shutdown_timeout_ms != c->kafka.shutdown_timeout_ms)
        note_key(&b, "", "kafka.shutdown_timeout_ms");
    diff_props(&b, "kafka.consumer.", a->kafka.consumer, a->kafka.n_consumer, c->kafka.consumer,
               c->kafka.n_consumer);
    diff_props(&b, "kafka.producer.", a->kafka.producer, a->kafka.n_producer, c->kafka.producer,
               c->kafka.n_producer);
    if (a->limits.max_in_flight != c->limits.max_in_flight) note_key(&b, "", "limits.max_in_flight");
    if (a->http.stall_timeout_ms != c->http.stall_timeout_ms) note_key(&b, "", "http.stall_timeout_ms");
    if (a->http.stats_interval_ms != c->http.stats_interval_ms)
        note_key(&b, "", "http.stats_interval_ms");
    if (a->http.reload != c->http.reload) note_key(&b, "", "http.reload");
    if (b.oom) { gw_buf_free(&b); return NULL; }
    return gw_buf_steal(&b, NULL);
}
