/*
 * yaml.c - builds a positioned node tree from libyaml's event stream.
 *
 * libyaml's own document API loses nothing we need, but it expands aliases
 * as shared nodes; walking an alias bomb through it is exponential. The
 * event parser lets us refuse aliases at the first one and cap depth and
 * size while the tree is built.
 */
#include "geowire/yaml.h"
#include "geowire/common.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64
#define YAML_MAX_FILE (64u << 20) /* dictionaries are large, but not this large */

/* Nodes, their arrays and their strings all live in one arena, freed at once. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
} arena_block_t;

static void *arena_alloc(void **arena, size_t n) {
    arena_block_t *b = *arena;
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!b || b->used + n > b->cap) {
        size_t cap = n > 65536 ? n : 65536;
        arena_block_t *nb = gw_malloc(sizeof(*nb) + cap);
        if (!nb) return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        *arena = b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

static void arena_free(void *arena) {
    arena_block_t *b = arena;
    while (b) {
        arena_block_t *n = b->next;
        free(b);
        b = n;
    }
}

int gw_yaml_errf(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, char *err, size_t errlen,
                 const char *fmt, ...) {
    if (!err || !errlen) return GW_EINVAL;
    int off = snprintf(err, errlen, "%s:%d:%d: ", d ? d->file : "?", n ? n->line : 1,
                       n ? n->col : 1);
    if (off < 0 || (size_t)off >= errlen) return GW_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + off, errlen - (size_t)off, fmt, ap);
    va_end(ap);
    return GW_EINVAL;
}

/* Expands ${VAR} and ${VAR:-default}. Returns 0, or -1 with a message. */
static int expand_env(const char *in, size_t len, gw_buf_t *out, int *used_env, char *msg,
                      size_t msglen) {
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
            const char *close = memchr(in + i + 2, '}', len - i - 2);
            if (!close) {
                snprintf(msg, msglen, "unterminated ${ in value");
                return -1;
            }
            const char *name = in + i + 2;
            size_t inner = (size_t)(close - name);
            const char *def = NULL;
            size_t namelen = inner, deflen = 0;
            const char *sep = NULL;
            for (size_t k = 0; k + 1 < inner; k++)
                if (name[k] == ':' && name[k + 1] == '-') { sep = name + k; break; }
            if (sep) {
                namelen = (size_t)(sep - name);
                def = sep + 2;
                deflen = inner - namelen - 2;
            }
            if (namelen == 0 || namelen > 128) {
                snprintf(msg, msglen, "bad variable name in ${...}");
                return -1;
            }
            char vname[129];
            memcpy(vname, name, namelen);
            vname[namelen] = '\0';
            for (size_t k = 0; k < namelen; k++) {
                char c = vname[k];
                if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (k && c >= '0' && c <= '9'))) {
                    snprintf(msg, msglen, "bad variable name '%s'", vname);
                    return -1;
                }
            }
            const char *val = getenv(vname);
            if (val) {
                gw_buf_append(out, val, strlen(val));
                *used_env = 1;
            } else if (def) {
                gw_buf_append(out, def, deflen);
            } else {
                snprintf(msg, msglen, "environment variable '%s' is not set and has no default",
                         vname);
                return -1;
            }
            i = (size_t)(close - in);
        } else {
            gw_buf_putc(out, in[i]);
        }
    }
    return out->oom ? -1 : 0;
}

typedef struct {
    gw_yaml_node_t *node;
    size_t cap;
    gw_yaml_node_t *pending_key; /* map: key waiting for its value */
} frame_t;

static int push_child(gw_yaml_doc_t *doc, frame_t *f, gw_yaml_node_t *child) {
    gw_yaml_node_t *p = f->node;
    if (p->kind == GW_YAML_MAP && !f->pending_key) {
        if (child->kind != GW_YAML_SCALAR) return -2; /* complex keys refused */
        f->pending_key = child;
        return 0;
    }
    if (p->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        gw_yaml_node_t **items = arena_alloc(&doc->arena, cap * sizeof(*items));
        if (!items) return -1;
        if (p->n) memcpy(items, p->items, p->n * sizeof(*items));
        p->items = items;
        if (p->kind == GW_YAML_MAP) {
            gw_yaml_node_t **keys = arena_alloc(&doc->arena, cap * sizeof(*keys));
            if (!keys) return -1;
            if (p->n) memcpy(keys, p->keys, p->n * sizeof(*keys));
            p->keys = keys;
        }
        f->cap = cap;
    }
    if (p->kind == GW_YAML_MAP) {
        p->keys[p->n] = f->pending_key;
        f->pending_key = NULL;
    }
    p->items[p->n++] = child;
    return 0;
}

gw_yaml_doc_t *gw_yaml_parse(const char *name, const char *data, size_t len, int flags,
                             char *err, size_t errlen) {
    gw_yaml_doc_t *doc = gw_calloc(1, sizeof(*doc));
    if (!doc) { gw_err(err, errlen, GW_ENOMEM, "%s: out of memory", name); return NULL; }
    doc->file = gw_strdup(name);
    yaml_parser_t parser;
    if (!doc->file || !yaml_parser_initialize(&parser)) {
        gw_err(err, errlen, GW_ENOMEM, "%s: out of memory", name);
        gw_yaml_free(doc);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

    frame_t stack[YAML_MAX_DEPTH + 1];
    int depth = 0, docs = 0, failed = 0;
    gw_buf_t tmp;
    gw_buf_init(&tmp);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(err, errlen, "%s:%zu:%zu: %s%s%s", name, parser.problem_mark.line + 1,
                     parser.problem_mark.column + 1, parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
            failed = 1;
            break;
        }
        gw_yaml_node_t probe = {.line = (int)ev.start_mark.line + 1,
                                .col = (int)ev.start_mark.column + 1};
        int done = 0;
        gw_yaml_node_t *node = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = 1; break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                gw_yaml_errf(doc, &probe, err, errlen, "only one YAML document is allowed");
                failed = 1;
            }
            break;
        case YAML_ALIAS_EVENT:
            gw_yaml_errf(doc, &probe, err, errlen, "YAML aliases are not allowed");
            failed = 1;
            break;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if ((ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) ||
                (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.anchor) ||
                (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor)) {
                gw_yaml_errf(doc, &probe, err, errlen, "YAML anchors are not allowed");
                failed = 1;
                break;
            }
            node = arena_alloc(&doc->arena, sizeof(*node));
            if (!node) { gw_err(err, errlen, GW_ENOMEM, "%s: out of memory", name); failed = 1; break; }
            node->line = probe.line;
            node->col = probe.col;
            if (ev.type == YAML_SCALAR_EVENT) {
                node->kind = GW_YAML_SCALAR;
                node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                const char *v = (const char *)ev.data.scalar.value;
                size_t vl = ev.data.scalar.length;
                /* Keys are never expanded; values only when asked. */
                int is_key = depth > 0 && stack[depth - 1].node->kind == GW_YAML_MAP &&
                             !stack[depth - 1].pending_key;
                if ((flags & GW_YAML_EXPAND_ENV) && !is_key && memchr(v, '$', vl)) {
                    char msg[256];
                    gw_buf_reset(&tmp);
                    if (expand_env(v, vl, &tmp, &node->secret, msg, sizeof(msg)) != 0) {
                        gw_yaml_errf(doc, node, err, errlen, "%s", tmp.oom ? "out of memory" : msg);
                        failed = 1;
                        break;
                    }
                    v = tmp.data ? tmp.data : "";
                    vl = tmp.len;
                }
                node->str = arena_alloc(&doc->arena, vl + 1);
                if (!node->str) { gw_err(err, errlen, GW_ENOMEM, "%s: out of memory", name); failed = 1; break; }
                memcpy(node->str, v, vl);
                node->len = vl;
            } else {
                node->kind = ev.type == YAML_SEQUENCE_START_EVENT ? GW_YAML_SEQ : GW_YAML_MAP;
            }
            if (depth == 0) {
                doc->root = node;
            } else {
                int rc = push_child(doc, &stack[depth - 1], node);
                if (rc == -2) {
                    gw_yaml_errf(doc, node, err, errlen, "mapping keys must be plain scalars");
                    failed = 1;
                    break;
                }
                if (rc) { gw_err(err, errlen, GW_ENOMEM, "%s: out of memory", name); failed = 1; break; }
            }
            if (node->kind != GW_YAML_SCALAR) {
                if (depth == YAML_MAX_DEPTH) {
                    gw_yaml_errf(doc, node, err, errlen, "nesting deeper than %d levels", YAML_MAX_DEPTH);
                    failed = 1;
                    break;
                }
                stack[depth].node = node;
                stack[depth].cap = 0;
                stack[depth].pending_key = NULL;
                depth++;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            gw_yaml_node_t *m = stack[depth - 1].node;
            if (m->kind == GW_YAML_MAP) {
                for (size_t i = 0; i < m->n; i++)
                    for (size_t j = 0; j < i; j++)
                        if (strcmp(m->keys[i]->str, m->keys[j]->str) == 0) {
                            gw_yaml_errf(doc, m->keys[i], err, errlen, "duplicate key '%s'",
                                         m->keys[i]->str);
                            failed = 1;
                            i = m->n;
                            break;
                        }
            }
            depth--;
            break;
        }
        default: break;
        }
        yaml_event_delete(&ev);
        if (done || failed) break;
    }
    yaml_parser_delete(&parser);
    gw_buf_free(&tmp);
    if (failed) {
        gw_yaml_free(doc);
        return NULL;
    }
    return doc;
}

gw_yaml_doc_t *gw_yaml_load(const char *path, int flags, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        gw_err(err, errlen, GW_EIO, "%s:1:1: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    gw_buf_t b;
    gw_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > YAML_MAX_FILE) {
            fclose(f);
            gw_buf_free(&b);
            gw_err(err, errlen, GW_ELIMIT, "%s:1:1: file larger than %u bytes", path, YAML_MAX_FILE);
            return NULL;
        }
        if (gw_buf_append(&b, chunk, n) != GW_OK) break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (ioerr || b.oom) {
        gw_buf_free(&b);
        gw_err(err, errlen, GW_EIO, "%s:1:1: cannot read file", path);
        return NULL;
    }
    gw_yaml_doc_t *d = gw_yaml_parse(path, b.data ? b.data : "", b.len, flags, err, errlen);
    gw_buf_free(&b);
    return d;
}

void gw_yaml_free(gw_yaml_doc_t *doc) {
    if (!doc) return;
    arena_free(doc->arena);
    free(doc->file);
    free(doc);
}

gw_yaml_node_t *gw_yaml_get(const gw_yaml_node_t *map, const char *key) {
    if (!map || map->kind != GW_YAML_MAP) return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0) return map->items[i];
    return NULL;
}

int gw_yaml_is_null(const gw_yaml_node_t *n) {
    if (!n) return 1;
    if (n->kind != GW_YAML_SCALAR || !n->plain) return 0;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

static const char *kind_name(gw_yaml_kind_t k) {
    return k == GW_YAML_MAP ? "a mapping" : k == GW_YAML_SEQ ? "a list" : "a scalar";
}

int gw_yaml_expect(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, gw_yaml_kind_t kind,
                   const char *what, char *err, size_t errlen) {
    if (!n) return gw_yaml_errf(d, d->root, err, errlen, "missing '%s'", what);
    if (n->kind != kind)
        return gw_yaml_errf(d, n, err, errlen, "expected %s for '%s', found %s", kind_name(kind),
                            what, kind_name(n->kind));
    return GW_OK;
}

int gw_yaml_str(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                const char **out, char *err, size_t errlen) {
    int rc = gw_yaml_expect(d, n, GW_YAML_SCALAR, what, err, errlen);
    if (rc) return rc;
    if (gw_yaml_is_null(n)) return gw_yaml_errf(d, n, err, errlen, "'%s' must not be empty", what);
    if (strlen(n->str) != n->len)
        return gw_yaml_errf(d, n, err, errlen, "'%s' contains a NUL character", what);
    *out = n->str;
    return GW_OK;
}

int gw_yaml_int(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                long long min, long long max, long long *out, char *err, size_t errlen) {
    int rc = gw_yaml_expect(d, n, GW_YAML_SCALAR, what, err, errlen);
    if (rc) return rc;
    char *end;
    errno = 0;
    long long v = strtoll(n->str, &end, 10);
    if (n->len == 0 || *end || errno)
        return gw_yaml_errf(d, n, err, errlen, "'%s' must be an integer, got '%s'", what, n->str);
    if (v < min || v > max)
        return gw_yaml_errf(d, n, err, errlen, "'%s' must be between %lld and %lld, got %lld",
                            what, min, max, v);
    *out = v;
    return GW_OK;
}

int gw_yaml_double(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                   double min, double max, double *out, char *err, size_t errlen) {
    int rc = gw_yaml_expect(d, n, GW_YAML_SCALAR, what, err, errlen);
    if (rc) return rc;
    char *end;
    errno = 0;
    double v = strtod(n->str, &end);
    if (n->len == 0 || *end || errno || !isfinite(v))
        return gw_yaml_errf(d, n, err, errlen, "'%s' must be a number, got '%s'", what, n->str);
    if (v < min || v > max)
        return gw_yaml_errf(d, n, err, errlen, "'%s' must be between %g and %g, got %g", what,
                            min, max, v);
    *out = v;
    return GW_OK;
}

int gw_yaml_bool(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what, int *out,
                 char *err, size_t errlen) {
    int rc = gw_yaml_expect(d, n, GW_YAML_SCALAR, what, err, errlen);
    if (rc) return rc;
    if (strcmp(n->str, "true") == 0 || strcmp(n->str, "yes") == 0 || strcmp(n->str, "on") == 0) {
        *out = 1;
        return GW_OK;
    }
    if (strcmp(n->str, "false") == 0 || strcmp(n->str, "no") == 0 || strcmp(n->str, "off") == 0) {
        *out = 0;
        return GW_OK;
    }
    return gw_yaml_errf(d, n, err, errlen, "'%s' must be true or false, got '%s'", what, n->str);
}

int gw_yaml_date(const gw_yaml_doc_t *d, const gw_yaml_node_t *n, const char *what,
                 int32_t *out, char *err, size_t errlen) {
    int rc = gw_yaml_expect(d, n, GW_YAML_SCALAR, what, err, errlen);
    if (rc) return rc;
    if (gw_date_parse(n->str, n->len, out) != GW_OK)
        return gw_yaml_errf(d, n, err, errlen, "'%s' must be a date YYYY-MM-DD, got '%s'", what,
                            n->str);
    return GW_OK;
}

int gw_yaml_check_keys(const gw_yaml_doc_t *d, const gw_yaml_node_t *map,
                       const char *const *allowed, const char *what, char *err, size_t errlen) {
    int rc = gw_yaml_expect(d, map, GW_YAML_MAP, what, err, errlen);
    if (rc) return rc;
    for (size_t i = 0; i < map->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(map->keys[i]->str, *a) == 0) { ok = 1; break; }
        if (!ok)
            return gw_yaml_errf(d, map->keys[i], err, errlen, "unknown key '%s' in %s",
                                map->keys[i]->str, what);
    }
    return GW_OK;
}
