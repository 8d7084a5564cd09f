/*
 * yaml.h - a small read-only YAML document tree with source positions.
 *
 * Every loader in geowire (config, dictionaries, themes, rules) reads YAML
 * through this module so that every problem can be reported as
 * `file:line:col: message` and so hostile files (alias bombs, deep nesting,
 * huge scalars) are refused in one place. Aliases and anchors are refused
 * outright: no shipped file needs them and they are the billion-laughs vector.
 *
 * ${VAR} and ${VAR:-default} in plain or quoted scalars are expanded from
 * the environment when GW_YAML_EXPAND_ENV is passed; an undefined variable
 * without default is an error at its position.
 */
#ifndef GEOWIRE_YAML_H
#define GEOWIRE_YAML_H

#include <stddef.h>
#include <stdint.h>

typedef enum { GW_YAML_SCALAR, GW_YAML_SEQ, GW_YAML_MAP } gw_yaml_kind_t;

typedef struct gw_yaml_node gw_yaml_node_t;
struct gw_yaml_node {
    gw_yaml_kind_t kind;
    int line, col;      /* 1-based position of the node's first character */
    char *str;          /* scalar: NUL-terminated value (after env expansion) */
    size_t len;         /* scalar length in bytes */
    int plain;          /* scalar was unquoted (so "null", "~" mean null) */
    int secret;         /* scalar came from an environment variable */
    size_t n;           /* seq: items; map: pairs */
    gw_yaml_node_t **items;   /* seq items, or map values */
    gw_yaml_node_t **keys;    /* map keys (scalars) */
};

typedef struct {
    char *file;             /* path as given, used in messages */
    gw_yaml_node_t *root;   /* NULL for an empty document */
    void *arena;            /* internal */
} gw_yaml_doc_t;

enum { GW_YAML_EXPAND_ENV = 1 };

/* Loads a file. On error returns NULL and writes `file:line:col: what`.
 * The document owns every node; free with gw_yaml_free. */
gw_yaml_doc_t *gw_yaml_load(const char *path, int flags, char *err, size_t errlen);
/* Same, from memory; `name` is used as the file in messages. */
gw_yaml_doc_t *gw_yaml_parse(const char *name, const char *data, size_t len,
                             int flags, char *err, size_t errlen);
void gw_yaml_free(gw_yaml_doc_t *doc);

/* Map lookup by key; NULL if absent or node is not a map. */
gw_yaml_node_t *gw_yaml_get(const gw_yaml_node_t *map, const char *key);
/* True for a plain "null"/"~"/"" scalar. */
int gw_yaml_is_null(const gw_yaml_node_t *n);

/* Typed readers. Each writes `file:line:col: message` into err on failure
 * and returns GW_EINVAL; on success GW_OK. `what` names the key for messages. */
int gw_yaml_str(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                const char **out, char *err, size_t errlen);
int gw_yaml_int(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                long long min, long long max, long long *out, char *err, size_t errlen);
int gw_yaml_double(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                   double min, double max, double *out, char *err, size_t errlen);
int gw_yaml_bool(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                 int *out, char *err, size_t errlen);
/* YYYY-MM-DD into days since epoch (see common.h). */
int gw_yaml_date(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                 int32_t *out, char *err, size_t errlen);
/* Requires kind; message "expected a mapping for 'what'". */
int gw_yaml_expect(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, gw_yaml_kind_t kind,
                   const char *what, char *err, size_t errlen);
/* Rejects keys of `map` not in the NULL-terminated `allowed` list:
 * "unknown key 'x' in 'what'" at the key's position. */
int gw_yaml_check_keys(const gw_yaml_doc_t *d, const gw_yaml_node_t *map,
                       const char *const *allowed, const char *what,
                       char *err, size_t errlen);
/* Writes `file:line:col: ` + formatted message for node n. Returns GW_EINVAL. */
int gw_yaml_errf(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, char *err, size_t errlen,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
