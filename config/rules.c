/*
 * rules.c - loads config/alerts.yaml into a gw_rules_t (see rules.h).
 *
 * Each condition is a mapping with exactly one key naming its operator, so
 * a rule reads top-down like the README's examples and a typo in an
 * operator is an "unknown condition" error at its position. Leaves take
 * either a mapping of constraints or a scalar shorthand (`theme: SANCTIONS`
 * is `theme: {id: SANCTIONS}`).
 */
#include "geowire/rules.h"
#include "geowire/common.h"
#include "geowire/yaml.h"

#include <stdlib.h>
#include <string.h>

#define RULES_MAX_DEPTH 32 /* deeper nesting is a mistake, and bounds the evaluator's recursion */

typedef struct {
    const gw_yaml_doc_t *doc;
    const gw_dict_t *dict;
    char *err;
    size_t errlen;
} loader_t;

#define CHECK(x)                     \
    do {                             \
        int rc_ = (x);               \
        if (rc_ != GW_OK) return rc_; \
    } while (0)

static int oom(loader_t *L) { return gw_err(L->err, L->errlen, GW_ENOMEM, "out of memory loading rules"); }

static int bloc_index(const gw_dict_t *d, const char *code) {
    for (size_t i = 0; i < d->n_blocs; i++)
        if (strcmp(d->blocs[i].code, code) == 0) return (int)i;
    return -1;
}

/* The scalars of a scalar-or-list node, each checked to be a non-empty
 * string; `fn` resolves one and appends it. */
typedef int (*item_fn)(loader_t *L, const gw_yaml_node_t *n, const char *s, void *out);

static int each_item(loader_t *L, const gw_yaml_node_t *n, const char *what, item_fn fn, void *out) {
    const char *s;
    if (n->kind == GW_YAML_SCALAR) {
        CHECK(gw_yaml_str(L->doc, n, what, &s, L->err, L->errlen));
        return fn(L, n, s, out);
    }
    CHECK(gw_yaml_expect(L->doc, n, GW_YAML_SEQ, what, L->err, L->errlen));
    if (!n->n) return gw_yaml_errf(L->doc, n, L->err, L->errlen, "'%s' must not be an empty list", what);
    for (size_t i = 0; i < n->n; i++) {
        CHECK(gw_yaml_str(L->doc, n->items[i], what, &s, L->err, L->errlen));
        CHECK(fn(L, n->items[i], s, out));
    }
    return GW_OK;
}

static int set_add(loader_t *L, gw_idset_t *set, uint32_t v) {
    for (size_t i = 0; i < set->n; i++)
        if (set->v[i] == v) return GW_OK;
    uint32_t *nv = gw_realloc(set->v, (set->n + 1) * sizeof(*nv));
    if (!nv) return oom(L);
    set->v = nv;
    set->v[set->n++] = v;
    return GW_OK;
}

static int strs_add(loader_t *L, char ***v, size_t *n, const char *s) {
    char **nv = gw_realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv) return oom(L);
    *v = nv;
    if (!(nv[*n] = gw_strdup(s))) return oom(L);
    (*n)++;
    return GW_OK;
}

static int add_country(loader_t *L, const gw_yaml_node_t *n, const char *s, void *out) {
    int c = gw_dict_country(L->dict, s);
    if (c < 0) return gw_yaml_errf(L->doc, n, L->err, L->errlen, "unknown country code '%s'", s);
    return set_add(L, out, (uint32_t)c);
}

static int add_bloc(loader_t *L, const gw_yaml_node_t *n, const char *s, void *out) {
    int b = bloc_index(L->dict, s);
    if (b < 0) return gw_yaml_errf(L->doc, n, L->err, L->errlen, "unknown bloc '%s'", s);
    return set_add(L, out, (uint32_t)b);
}

/* A party is a country code or a bloc code; the two namespaces never
 * overlap in the shipped dictionaries, and a file where they would is
 * refused rather than guessed. */
static int add_party(loader_t *L, const gw_yaml_node_t *n, const char *s, void *out) {
    int c = gw_dict_country(L->dict, s), b = bloc_index(L->dict, s);
    if (c >= 0 && b >= 0)
        return gw_yaml_errf(L->doc, n, L->err, L->errlen, "'%s' is both a country and a bloc code", s);
    if (c < 0 && b < 0)
        return gw_yaml_errf(L->doc, n, L->err, L->errlen, "unknown country or bloc code '%s'", s);
    return set_add(L, out, c >= 0 ? (uint32_t)c : (uint32_t)b | GW_RULE_BLOC);
}

static int add_theme(loader_t *L, const gw_yaml_node_t *n, const char *s, void *out) {
    for (size_t i = 0; i < L->dict->n_themes; i++)
        if (strcmp(L->dict->themes[i].id, s) == 0) return set_add(L, out, (uint32_t)i);
    return gw_yaml_errf(L->doc, n, L->err, L->errlen, "unknown theme '%s'", s);
}

static int add_actor(loader_t *L, const gw_yaml_node_t *n, const char *s, void *out) {
    const gw_dict_t *d = L->dict;
    for (size_t i = 0; i < d->n_people; i++)
        if (strcmp(d->people[i].id, s) == 0) return set_add(L, out, (uint32_t)i);
    for (size_t i = 0; i < d->n_orgs; i++)
        if (strcmp(d->orgs[i].id, s) == 0) return set_add(L, out, (uint32_t)i | GW_RULE_ORG);
    return gw_yaml_errf(L->doc, n, L->err, L->errlen, "unknown %s '%s'",
                        strncmp(s, "org:", 4) == 0 ? "organisation" : "person", s);
}

typedef struct {
    char ***v;
    size_t *n;
    const char *const *allowed; /* NULL: any short code */
    const char *what;
} strlist_t;

static int add_str(loader_t *L, const gw_yaml_node_t *n, const char *s, void *out) {
    strlist_t *sl = out;
    if (sl->allowed) {
        size_t i;
        for (i = 0; sl->allowed[i] && strcmp(sl->allowed[i], s) != 0; i++) {}
        if (!sl->allowed[i]) {
            char list[256] = "";
            for (i = 0; sl->allowed[i]; i++) {
                strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
                strncat(list, sl->allowed[i], sizeof(list) - strlen(list) - 1);
            }
            return gw_yaml_errf(L->doc, n, L->err, L->errlen, "unknown %s '%s' (one of: %s)", sl->what, s, list);
        }
    }
    return strs_add(L, sl->v, sl->n, s);
}

/* Language codes as the record writes them: two or three lower-case letters. */
static int add_lang(loader_t *L, const gw_yaml_node_t *n, const char *s, void *out) {
    size_t len = strlen(s);
    int ok = len == 2 || len == 3;
    for (size_t i = 0; ok && i < len; i++) ok = s[i] >= 'a' && s[i] <= 'z';
    if (!ok) return gw_yaml_errf(L->doc, n, L->err, L->errlen, "'%s' is not a language code (two or three lower-case letters)", s);
    strlist_t *sl = out;
    return strs_add(L, sl->v, sl->n, s);
}

static const char *const actor_types[] = {"person", "organization", "media", "igo", "government_body",
                                          "armed_group", "company", NULL};
static const char *const role_codes[] = {"GOV", "MIL", "LEG", "JUD", "COP", "SPY", "OPP", "PTY", "MED",
                                         "BUS", "IGO", "NGO", "REB", "CVL", "ELI", "UNO", NULL};

static int read_min(loader_t *L, const gw_yaml_node_t *m, const char *key, double *out) {
    const gw_yaml_node_t *n = gw_yaml_get(m, key);
    if (!n) return GW_OK;
    return gw_yaml_double(L->doc, n, key, 0.0, 1.0, out, L->err, L->errlen);
}

/* A leaf written as a scalar or list is its main key's value. */
static int leaf_map(loader_t *L, const gw_yaml_node_t *v, const char *const *keys, const char *what,
                    const char *main_key, item_fn fn, void *out) {
    if (v->kind != GW_YAML_MAP) return each_item(L, v, what, fn, out);
    CHECK(gw_yaml_check_keys(L->doc, v, keys, what, L->err, L->errlen));
    const gw_yaml_node_t *n = gw_yaml_get(v, main_key);
    return n ? each_item(L, n, main_key, fn, out) : GW_OK;
}

static int parse_country(loader_t *L, const gw_yaml_node_t *v, gw_cond_t *c) {
    static const char *const keys[] = {"code", "member_of", "role", "min_salience", NULL};
    CHECK(leaf_map(L, v, keys, "country", "code", add_country, &c->ids));
    if (v->kind != GW_YAML_MAP) return GW_OK;
    const gw_yaml_node_t *n;
    if ((n = gw_yaml_get(v, "member_of"))) CHECK(each_item(L, n, "member_of", add_bloc, &c->member_of));
    if ((n = gw_yaml_get(v, "role"))) {
        const char *s;
        CHECK(gw_yaml_str(L->doc, n, "role", &s, L->err, L->errlen));
        if (strcmp(s, "actor") == 0) c->role = 1;
        else if (strcmp(s, "mention") == 0) c->role = 0;
        else return gw_yaml_errf(L->doc, n, L->err, L->errlen, "'role' must be actor or mention, got '%s'", s);
    }
    return read_min(L, v, "min_salience", &c->min);
}

static int parse_bloc(loader_t *L, const gw_yaml_node_t *v, gw_cond_t *c) {
    static const char *const keys[] = {"code", "named", NULL};
    CHECK(leaf_map(L, v, keys, "bloc", "code", add_bloc, &c->ids));
    const gw_yaml_node_t *n = v->kind == GW_YAML_MAP ? gw_yaml_get(v, "named") : NULL;
    return n ? gw_yaml_bool(L->doc, n, "named", &c->named, L->err, L->errlen) : GW_OK;
}

static int parse_pair(loader_t *L, const gw_yaml_node_t *v, gw_cond_t *c) {
    static const char *const keys[] = {"a", "b", "min_sentences", NULL};
    const gw_yaml_node_t *a, *b;
    if (v->kind == GW_YAML_SEQ) {
        if (v->n != 2)
            return gw_yaml_errf(L->doc, v, L->err, L->errlen, "'pair' takes two parties, [A, B], got %zu", v->n);
        a = v->items[0], b = v->items[1];
    } else {
        if (v->kind != GW_YAML_MAP)
            return gw_yaml_errf(L->doc, v, L->err, L->errlen, "'pair' takes [A, B] or {a: A, b: B, min_sentences: N}");
        CHECK(gw_yaml_check_keys(L->doc, v, keys, "pair", L->err, L->errlen));
        if (!(a = gw_yaml_get(v, "a")) || !(b = gw_yaml_get(v, "b")))
            return gw_yaml_errf(L->doc, v, L->err, L->errlen, "'pair' needs both 'a' and 'b'");
        const gw_yaml_node_t *n = gw_yaml_get(v, "min_sentences");
        long long ms;
        if (n) {
            CHECK(gw_yaml_int(L->doc, n, "min_sentences", 1, 1000, &ms, L->err, L->errlen));
            c->min_sentences = (int)ms;
        }
    }
    CHECK(each_item(L, a, "a", add_party, &c->side[0]));
    return each_item(L, b, "b", add_party, &c->side[1]);
}

static int parse_actor(loader_t *L, const gw_yaml_node_t *v, gw_cond_t *c) {
    static const char *const keys[] = {"id", "type", "role", "country", "min_salience", NULL};
    CHECK(leaf_map(L, v, keys, "actor", "id", add_actor, &c->ids));
    if (v->kind != GW_YAML_MAP) return GW_OK;
    const gw_yaml_node_t *n;
    strlist_t types = {&c->strs, &c->n_strs, actor_types, "actor type"};
    strlist_t codes = {&c->codes, &c->n_codes, role_codes, "role code"};
    if ((n = gw_yaml_get(v, "type"))) CHECK(each_item(L, n, "type", add_str, &types));
    if ((n = gw_yaml_get(v, "role"))) CHECK(each_item(L, n, "role", add_str, &codes));
    if ((n = gw_yaml_get(v, "country"))) CHECK(each_item(L, n, "country", add_party, &c->parties));
    return read_min(L, v, "min_salience", &c->min);
}

static int parse_theme(loader_t *L, const gw_yaml_node_t *v, gw_cond_t *c) {
    static const char *const keys[] = {"id", "min_score", NULL};
    CHECK(leaf_map(L, v, keys, "theme", "id", add_theme, &c->ids));
    return v->kind == GW_YAML_MAP ? read_min(L, v, "min_score", &c->min) : GW_OK;
}

static int parse_cond(loader_t *L, const gw_yaml_node_t *n, int depth, gw_cond_t **out);

static int parse_kids(loader_t *L, const gw_yaml_node_t *v, const char *op, int depth, gw_cond_t *c) {
    if (v->kind != GW_YAML_SEQ || !v->n)
        return gw_yaml_errf(L->doc, v, L->err, L->errlen, "'%s' takes a non-empty list of conditions", op);
    if (!(c->kids = gw_calloc(v->n, sizeof(*c->kids)))) return oom(L);
    for (size_t i = 0; i < v->n; i++) {
        c->n_kids++; /* counted first: a half-built child is freed with its parent */
        CHECK(parse_cond(L, v->items[i], depth + 1, &c->kids[i]));
    }
    return GW_OK;
}

static const struct {
    const char *op;
    gw_cond_kind_t kind;
} ops[] = {
    {"all", GW_COND_ALL},     {"any", GW_COND_ANY},       {"not", GW_COND_NOT},
    {"country", GW_COND_COUNTRY}, {"bloc", GW_COND_BLOC}, {"pair", GW_COND_PAIR},
    {"actor", GW_COND_ACTOR}, {"theme", GW_COND_THEME},   {"lang", GW_COND_LANG},
    {"source", GW_COND_SOURCE},
};


/* One condition: a mapping with exactly one operator key. */
static int parse_cond(loader_t *L, const gw_yaml_node_t *n, int depth, gw_cond_t **out) {
    if (depth > RULES_MAX_DEPTH)
        return gw_yaml_errf(L->doc, n, L->err, L->errlen, "conditions nest deeper than %d", RULES_MAX_DEPTH);
    if (n->kind != GW_YAML_MAP || n->n != 1)
        return gw_yaml_errf(L->doc, n, L->err, L->errlen,
                            "a condition is a mapping with exactly one operator (all, any, not, country, "
                            "bloc, pair, actor, theme, lang, source)");
    const char *op = n->keys[0]->str;
    const gw_yaml_node_t *v = n->items[0];
    size_t k;
    for (k = 0; k < sizeof(ops) / sizeof(ops[0]) && strcmp(ops[k].op, op) != 0; k++) {}
    if (k == sizeof(ops) / sizeof(ops[0]))
        return gw_yaml_errf(L->doc, n->keys[0], L->err, L->errlen, "unknown condition '%s'", op);
    gw_cond_t *c = gw_calloc(1, sizeof(*c));
    if (!c) return oom(L);
    *out = c;
    c->kind = ops[k].kind;
    c->role = c->named = -1;
    c->min_sentences = 1;
    strlist_t sl = {&c->strs, &c->n_strs, NULL, op};
    switch (c->kind) {
    case GW_COND_ALL:
    case GW_COND_ANY: return parse_kids(L, v, op, depth, c);
    case GW_COND_NOT:
        if (!(c->kids = gw_calloc(1, sizeof(*c->kids)))) return oom(L);
        c->n_kids = 1;
        return parse_cond(L, v, depth + 1, &c->kids[0]);
    case GW_COND_COUNTRY: return parse_country(L, v, c);
    case GW_COND_BLOC: return parse_bloc(L, v, c);
    case GW_COND_PAIR: return parse_pair(L, v, c);
    case GW_COND_ACTOR: return parse_actor(L, v, c);
    case GW_COND_THEME: return parse_theme(L, v, c);
    case GW_COND_LANG: return each_item(L, v, op, add_lang, &sl);
    case GW_COND_SOURCE: return each_item(L, v, op, add_str, &sl);
    }
    return GW_OK;
}

static void cond_free(gw_cond_t *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_kids; i++) cond_free(c->kids[i]);
    free(c->kids);
    free(c->ids.v);
    free(c->member_of.v);
    free(c->side[0].v);
    free(c->side[1].v);
    free(c->parties.v);
    for (size_t i = 0; i < c->n_strs; i++) free(c->strs[i]);
    free(c->strs);
    for (size_t i = 0; i < c->n_codes; i++) free(c->codes[i]);
    free(c->codes);
    free(c);
}

static int valid_id(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) return 0;
    return 1;
}

static int parse_rule(loader_t *L, gw_rules_t *rs, const gw_yaml_node_t *e) {
    static const char *const keys[] = {"id", "description", "when", NULL};
    const char *id, *desc;
    CHECK(gw_yaml_expect(L->doc, e, GW_YAML_MAP, "a rule", L->err, L->errlen));
    CHECK(gw_yaml_check_keys(L->doc, e, keys, "a rule", L->err, L->errlen));
    static const char *const required[] = {"id", "description", "when"};
    for (size_t i = 0; i < 3; i++)
        if (!gw_yaml_get(e, required[i]))
            return gw_yaml_errf(L->doc, e, L->err, L->errlen, "a rule needs '%s'", required[i]);
    const gw_yaml_node_t *idn = gw_yaml_get(e, "id");
    CHECK(gw_yaml_str(L->doc, idn, "id", &id, L->err, L->errlen));
    if (!valid_id(id))
        return gw_yaml_errf(L->doc, idn, L->err, L->errlen,
                            "rule id '%s' may use only a-z, 0-9, '-' and '_'", id);
    for (size_t i = 0; i < rs->n_rules; i++)
        if (strcmp(rs->rules[i].id, id) == 0)
            return gw_yaml_errf(L->doc, idn, L->err, L->errlen, "duplicate rule id '%s'", id);
    CHECK(gw_yaml_str(L->doc, gw_yaml_get(e, "description"), "description", &desc, L->err, L->errlen));
    gw_rule_t *r = &rs->rules[rs->n_rules++];
    if (!(r->id = gw_strdup(id)) || !(r->description = gw_strdup(desc))) return oom(L);
    return parse_cond(L, gw_yaml_get(e, "when"), 1, &r->when);
}

static gw_rules_t *load_doc(gw_yaml_doc_t *doc, const gw_dict_t *dict, char *err, size_t errlen) {
    static const char *const top[] = {"version", "rules", NULL};
    loader_t L = {.doc = doc, .dict = dict, .err = err, .errlen = errlen};
    gw_rules_t *rs = gw_calloc(1, sizeof(*rs));
    int rc = rs ? GW_OK : oom(&L);
    const gw_yaml_node_t *root = doc->root, *list = NULL;
    const char *version;
    if (rc == GW_OK && (!root || root->kind != GW_YAML_MAP))
        rc = gw_yaml_errf(doc, root, err, errlen, "the rules file must be a mapping with 'version' and 'rules'");
    if (rc == GW_OK) rc = gw_yaml_check_keys(doc, root, top, "the rules file", err, errlen);
    if (rc == GW_OK) rc = gw_yaml_str(doc, gw_yaml_get(root, "version"), "version", &version, err, errlen);
    if (rc == GW_OK) rc = gw_yaml_expect(doc, (list = gw_yaml_get(root, "rules")), GW_YAML_SEQ, "rules", err, errlen);
    if (rc == GW_OK && (!(rs->path = gw_strdup(doc->file)) || !(rs->version = gw_strdup(version))))
        rc = oom(&L);
    if (rc == GW_OK && list->n && !(rs->rules = gw_calloc(list->n, sizeof(*rs->rules)))) rc = oom(&L);
    for (size_t i = 0; rc == GW_OK && i < list->n; i++) rc = parse_rule(&L, rs, list->items[i]);
    gw_yaml_free(doc);
    if (rc != GW_OK) {
        gw_rules_free(rs);
        return NULL;
    }
    return rs;
}

gw_rules_t *gw_rules_load(const char *path, const gw_dict_t *dict, char *err, size_t errlen) {
    gw_yaml_doc_t *doc = gw_yaml_load(path, 0, err, errlen);
    return doc ? load_doc(doc, dict, err, errlen) : NULL;
}

gw_rules_t *gw_rules_parse(const char *name, const char *yaml, size_t len, const gw_dict_t *dict,
                           char *err, size_t errlen) {
    gw_yaml_doc_t *doc = gw_yaml_parse(name, yaml, len, 0, err, errlen);
    return doc ? load_doc(doc, dict, err, errlen) : NULL;
}

void gw_rules_free(gw_rules_t *rs) {
    if (!rs) return;
    for (size_t i = 0; i < rs->n_rules; i++) {
        free(rs->rules[i].id);
        free(rs->rules[i].description);
        cond_free(rs->rules[i].when);
    }
    free(rs->rules);
    free(rs->path);
    free(rs->version);
    free(rs);
}
