/*
 * dict.c - loads the dictionary YAML files (format: config/dictionaries/
 * FORMAT.md) into tables and two matchers.
 *
 * Every string that can be matched becomes a target plus a pattern whose
 * matcher value is the target's index. Loading stops at the first problem
 * and reports it as `file:line:col: what`: a dictionary with a wrong entry
 * is not half-loaded.
 */
#include "geowire/dict.h"
#include "geowire/common.h"
#include "geowire/titlepat.h"
#include "geowire/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const via_names[GW_VIA__COUNT] = {
    "name", "demonym", "capital", "seat", "historic", "person", "organization", "dateline"};

const char *gw_via_name(gw_via_t v) { return v < GW_VIA__COUNT ? via_names[v] : "?"; }

/* State of one load: the dictionary being built and the file being read. */
typedef struct {
    gw_dict_t *d;
    const gw_yaml_doc_t *doc;
    char *err;
    size_t errlen;
    gw_buf_t version;
    int32_t as_of;
} load_t;

#define CHECK(x)                      \
    do {                              \
        int rc_ = (x);                \
        if (rc_ != GW_OK) return rc_; \
    } while (0)

static int oom(load_t *L) { return gw_err(L->err, L->errlen, GW_ENOMEM, "out of memory loading dictionaries"); }

static int add_target(load_t *L, gw_target_t t, uint32_t *idx) {
    gw_dict_t *d = L->d;
    if (d->n_targets == d->cap_targets) {
        size_t cap = d->cap_targets ? d->cap_targets * 2 : 1024;
        gw_target_t *nt = gw_realloc(d->targets, cap * sizeof(*nt));
        if (!nt) return oom(L);
        d->targets = nt;
        d->cap_targets = cap;
    }
    *idx = (uint32_t)d->n_targets;
    d->targets[d->n_targets++] = t;
    return GW_OK;
}

/* Adds one term (a string, or {text, case, prefix}) to matcher m. */
static int add_term(load_t *L, gw_matcher_t *m, const gw_yaml_node_t *term, gw_target_t t,
                    const char *what) {
    static const char *const keys[] = {"text", "case", "prefix", "weight", "until", NULL};
    const char *text;
    unsigned flags = 0;
    if (term->kind == GW_YAML_MAP) {
        CHECK(gw_yaml_check_keys(L->doc, term, keys, what, L->err, L->errlen));
        CHECK(gw_yaml_str(L->doc, gw_yaml_get(term, "text"), "text", &text, L->err, L->errlen));
        const gw_yaml_node_t *n;
        int b;
        if ((n = gw_yaml_get(term, "case"))) {
            CHECK(gw_yaml_bool(L->doc, n, "case", &b, L->err, L->errlen));
            if (b) flags |= GW_MATCH_CASE;
        }
        if ((n = gw_yaml_get(term, "prefix"))) {
            CHECK(gw_yaml_bool(L->doc, n, "prefix", &b, L->err, L->errlen));
            if (b) flags |= GW_MATCH_PREFIX;
        }
        if ((n = gw_yaml_get(term, "weight"))) {
            double w;
            if (t.kind != GW_T_THEME)
                return gw_yaml_errf(L->doc, n, L->err, L->errlen, "'weight' only applies to theme triggers");
            CHECK(gw_yaml_double(L->doc, n, "weight", 0.01, 100, &w, L->err, L->errlen));
            t.weight = (float)w;
        }
        if ((n = gw_yaml_get(term, "until"))) {
            if (t.kind != GW_T_COUNTRY || t.via != GW_VIA_HISTORIC)
                return gw_yaml_errf(L->doc, n, L->err, L->errlen, "'until' only applies to historic names");
            CHECK(gw_yaml_date(L->doc, n, "until", &t.until, L->err, L->errlen));
        }
    } else {
        CHECK(gw_yaml_str(L->doc, term, what, &text, L->err, L->errlen));
    }
    uint32_t idx;
    CHECK(add_target(L, t, &idx));
    int rc = gw_matcher_add(m, text, strlen(text), idx, flags);
    if (rc == GW_ENOMEM) return oom(L);
    if (rc != GW_OK)
        return gw_yaml_errf(L->doc, term, L->err, L->errlen, "'%s' cannot be matched (empty after normalisation)", text);
    return GW_OK;
}

static int add_terms(load_t *L, gw_matcher_t *m, const gw_yaml_node_t *list, gw_target_t t,
                     const char *what) {
    if (!list) return GW_OK;
    CHECK(gw_yaml_expect(L->doc, list, GW_YAML_SEQ, what, L->err, L->errlen));
    for (size_t i = 0; i < list->n; i++) CHECK(add_term(L, m, list->items[i], t, what));
    return GW_OK;
}

static gw_target_t target(gw_target_kind_t kind, uint32_t index) {
    gw_target_t t = {.kind = (uint8_t)kind, .index = index, .aux = -1, .until = GW_DATE_NONE, .weight = 1.0f};
    return t;
}

/* Every file starts with version and as_of; both go into the records. */
static int read_header(load_t *L, const gw_yaml_node_t *root, const char *tag) {
    const char *v;
    int32_t as_of;
    CHECK(gw_yaml_expect(L->doc, root, GW_YAML_MAP, "the file", L->err, L->errlen));
    CHECK(gw_yaml_str(L->doc, gw_yaml_get(root, "version"), "version", &v, L->err, L->errlen));
    CHECK(gw_yaml_date(L->doc, gw_yaml_get(root, "as_of"), "as_of", &as_of, L->err, L->errlen));
    if (as_of > L->as_of) L->as_of = as_of;
    gw_buf_printf(&L->version, "%s%s=%s", L->version.len ? ";" : "", tag, v);
    return L->version.oom ? oom(L) : GW_OK;
}

static int open_doc(load_t *L, const char *path, gw_yaml_doc_t **doc) {
    *doc = gw_yaml_load(path, 0, L->err, L->errlen);
    if (!*doc) return GW_EINVAL;
    L->doc = *doc;
    if (!(*doc)->root) return gw_yaml_errf(*doc, NULL, L->err, L->errlen, "empty dictionary file");
    return GW_OK;
}

static int country_ref(load_t *L, const gw_yaml_node_t *n, const char *what, uint32_t *out) {
    const char *code;
    CHECK(gw_yaml_str(L->doc, n, what, &code, L->err, L->errlen));
    int c = gw_dict_country(L->d, code);
    if (c < 0) return gw_yaml_errf(L->doc, n, L->err, L->errlen, "unknown country code '%s'", code);
    *out = (uint32_t)c;
    return GW_OK;
}

static int load_countries(load_t *L, const char *path) {
    static const char *const top[] = {"version", "as_of", "source", "countries", NULL};
    static const char *const keys[] = {"code", "alpha2", "name", "names", NULL};
    gw_yaml_doc_t *doc;
    int rc = open_doc(L, path, &doc);
    if (rc == GW_OK) rc = gw_yaml_check_keys(doc, doc->root, top, "countries file", L->err, L->errlen);
    if (rc == GW_OK) rc = read_header(L, doc->root, "countries");
    const gw_yaml_node_t *list = rc == GW_OK ? gw_yaml_get(doc->root, "countries") : NULL;
    if (rc == GW_OK) rc = gw_yaml_expect(doc, list, GW_YAML_SEQ, "countries", L->err, L->errlen);
    if (rc == GW_OK && !(L->d->countries = gw_calloc(list->n, sizeof(gw_country_t)))) rc = oom(L);
    for (size_t i = 0; rc == GW_OK && i < list->n; i++) {
        const gw_yaml_node_t *e = list->items[i];
        const char *code, *a2, *name;
        if ((rc = gw_yaml_check_keys(doc, e, keys, "a country", L->err, L->errlen)) ||
            (rc = gw_yaml_str(doc, gw_yaml_get(e, "code"), "code", &code, L->err, L->errlen)) ||
            (rc = gw_yaml_str(doc, gw_yaml_get(e, "alpha2"), "alpha2", &a2, L->err, L->errlen)) ||
            (rc = gw_yaml_str(doc, gw_yaml_get(e, "name"), "name", &name, L->err, L->errlen)))
            break;
        if (strlen(code) != 3 || strlen(a2) != 2) {
            rc = gw_yaml_errf(doc, e, L->err, L->errlen, "country codes must be alpha-3 and alpha-2");
            break;
        }
        if (gw_dict_country(L->d, code) >= 0) {
            rc = gw_yaml_errf(doc, e, L->err, L->errlen, "duplicate country '%s'", code);
            break;
        }
        gw_country_t *c = &L->d->countries[L->d->n_countries];
        memcpy(c->code, code, 4);
        memcpy(c->alpha2, a2, 3);
        if (!(c->name = gw_strdup(name))) { rc = oom(L); break; }
        L->d->n_countries++;
        gw_target_t t = target(GW_T_COUNTRY, (uint32_t)(L->d->n_countries - 1));
        t.via = GW_VIA_NAME;
        rc = add_terms(L, L->d->entities, gw_yaml_get(e, "names"), t, "names");
    }
    gw_yaml_free(doc);
    return rc;
}

static int load_ambiguous(load_t *L, const gw_yaml_node_t *list, uint32_t country) {
    static const char *const keys[] = {"text", "context", "block", "person_guard", NULL};
    gw_dict_t *d = L->d;
    CHECK(gw_yaml_expect(L->doc, list, GW_YAML_SEQ, "ambiguous", L->err, L->errlen));
    for (size_t i = 0; i < list->n; i++) {
        const gw_yaml_node_t *a = list->items[i], *n;
        CHECK(gw_yaml_check_keys(L->doc, a, keys, "an ambiguous name", L->err, L->errlen));
        gw_ambiguity_t *na = gw_realloc(d->ambiguities, (d->n_ambiguities + 1) * sizeof(*na));
        if (!na) return oom(L);
        d->ambiguities = na;
        gw_ambiguity_t *amb = &d->ambiguities[d->n_ambiguities];
        amb->country = country;
        amb->person_guard = 0;
        if ((n = gw_yaml_get(a, "person_guard")))
            CHECK(gw_yaml_bool(L->doc, n, "person_guard", &amb->person_guard, L->err, L->errlen));
        int32_t rule = (int32_t)d->n_ambiguities++;
        gw_target_t t = target(GW_T_AMBIGUOUS, country);
        t.aux = rule;
        const char *text;
        CHECK(gw_yaml_str(L->doc, gw_yaml_get(a, "text"), "text", &text, L->err, L->errlen));
        uint32_t idx;
        CHECK(add_target(L, t, &idx));
        if (gw_matcher_add(d->entities, text, strlen(text), idx, 0) != GW_OK)
            return gw_yaml_errf(L->doc, a, L->err, L->errlen, "'%s' cannot be matched", text);
        gw_target_t ctx = target(GW_T_CONTEXT, country), blk = target(GW_T_BLOCK, country);
        ctx.aux = blk.aux = rule;
        CHECK(add_terms(L, d->entities, gw_yaml_get(a, "context"), ctx, "context"));
        CHECK(add_terms(L, d->entities, gw_yaml_get(a, "block"), blk, "block"));
    }
    return GW_OK;
}

static int load_overlay(load_t *L, const char *path) {
    static const char *const top[] = {"version", "as_of", "countries", NULL};
    static const char *const keys[] = {"display", "names", "demonyms", "capitals", "seats",
                                       "historic", "ambiguous", NULL};
    static const struct { const char *key; gw_via_t via; } lists[] = {
        {"names", GW_VIA_NAME}, {"demonyms", GW_VIA_DEMONYM}, {"capitals", GW_VIA_CAPITAL},
        {"seats", GW_VIA_SEAT}, {"historic", GW_VIA_HISTORIC}};
    gw_yaml_doc_t *doc;
    int rc = open_doc(L, path, &doc);
    if (rc == GW_OK) rc = gw_yaml_check_keys(doc, doc->root, top, "overlay file", L->err, L->errlen);
    if (rc == GW_OK) rc = read_header(L, doc->root, "overlay");
    const gw_yaml_node_t *map = rc == GW_OK ? gw_yaml_get(doc->root, "countries") : NULL;
    if (rc == GW_OK) rc = gw_yaml_expect(doc, map, GW_YAML_MAP, "countries", L->err, L->errlen);
    for (size_t i = 0; rc == GW_OK && i < map->n; i++) {
        uint32_t c;
        const gw_yaml_node_t *e = map->items[i], *n;
        if ((rc = country_ref(L, map->keys[i], "country code", &c)) ||
            (rc = gw_yaml_check_keys(doc, e, keys, map->keys[i]->str, L->err, L->errlen)))
            break;
        if ((n = gw_yaml_get(e, "display"))) {
            const char *disp;
            if ((rc = gw_yaml_str(doc, n, "display", &disp, L->err, L->errlen))) break;
            char *nd = gw_strdup(disp);
            if (!nd) { rc = oom(L); break; }
            free(L->d->countries[c].name);
            L->d->countries[c].name = nd;
        }
        for (size_t k = 0; rc == GW_OK && k < sizeof(lists) / sizeof(lists[0]); k++) {
            gw_target_t t = target(GW_T_COUNTRY, c);
            t.via = (uint8_t)lists[k].via;
            rc = add_terms(L, L->d->entities, gw_yaml_get(e, lists[k].key), t, lists[k].key);
        }
        if (rc == GW_OK && (n = gw_yaml_get(e, "ambiguous"))) rc = load_ambiguous(L, n, c);
    }
    gw_yaml_free(doc);
    return rc;
}

static int read_interval(load_t *L, const gw_yaml_node_t *e, int32_t *since, int32_t *until) {
    const gw_yaml_node_t *n;
    *since = GW_DATE_NONE;
    *until = GW_DATE_NONE;
    if ((n = gw_yaml_get(e, "since"))) CHECK(gw_yaml_date(L->doc, n, "since", since, L->err, L->errlen));
    if ((n = gw_yaml_get(e, "until"))) CHECK(gw_yaml_date(L->doc, n, "until", until, L->err, L->errlen));
    if (*since != GW_DATE_NONE && *until != GW_DATE_NONE && *until < *since)
        return gw_yaml_errf(L->doc, e, L->err, L->errlen, "'until' is before 'since'");
    return GW_OK;
}

static int dup_str(load_t *L, const gw_yaml_node_t *n, const char *what, char **out) {
    const char *s;
    CHECK(gw_yaml_str(L->doc, n, what, &s, L->err, L->errlen));
    if (!(*out = gw_strdup(s))) return oom(L);
    return GW_OK;
}

/* Opens a file whose body is one list under `key`; returns the list. */
static int open_list(load_t *L, const char *path, const char *key, const char *const *top,
                     const char *tag, gw_yaml_doc_t **doc, const gw_yaml_node_t **list) {
    CHECK(open_doc(L, path, doc));
    CHECK(gw_yaml_check_keys(*doc, (*doc)->root, top, "the file", L->err, L->errlen));
    CHECK(read_header(L, (*doc)->root, tag));
    *list = gw_yaml_get((*doc)->root, key);
    return gw_yaml_expect(*doc, *list, GW_YAML_SEQ, key, L->err, L->errlen);
}

static int load_blocs(load_t *L, const char *path) {
    static const char *const top[] = {"version", "as_of", "blocs", NULL};
    static const char *const keys[] = {"code", "name", "type", "names", "members", "source", NULL};
    static const char *const mkeys[] = {"country", "since", "until", NULL};
    gw_yaml_doc_t *doc = NULL;
    const gw_yaml_node_t *list = NULL;
    int rc = open_list(L, path, "blocs", top, "blocs", &doc, &list);
    if (rc == GW_OK && !(L->d->blocs = gw_calloc(list->n, sizeof(gw_bloc_t)))) rc = oom(L);
    for (size_t i = 0; rc == GW_OK && i < list->n; i++) {
        const gw_yaml_node_t *e = list->items[i], *m;
        gw_bloc_t *b = &L->d->blocs[L->d->n_blocs++];
        if ((rc = gw_yaml_check_keys(doc, e, keys, "a bloc", L->err, L->errlen)) ||
            (rc = dup_str(L, gw_yaml_get(e, "code"), "code", &b->code)) ||
            (rc = dup_str(L, gw_yaml_get(e, "name"), "name", &b->name)) ||
            (rc = dup_str(L, gw_yaml_get(e, "type"), "type", &b->type)) ||
            (rc = gw_yaml_expect(doc, (m = gw_yaml_get(e, "members")), GW_YAML_SEQ, "members", L->err, L->errlen)))
            break;
        if (!(b->members = gw_calloc(m->n, sizeof(gw_member_t)))) { rc = oom(L); break; }
        for (size_t k = 0; rc == GW_OK && k < m->n; k++) {
            gw_member_t *mb = &b->members[b->n_members++];
            if (!(rc = gw_yaml_check_keys(doc, m->items[k], mkeys, "a member", L->err, L->errlen)) &&
                !(rc = country_ref(L, gw_yaml_get(m->items[k], "country"), "country", &mb->country)))
                rc = read_interval(L, m->items[k], &mb->since, &mb->until);
        }
        b->n_listed = L->d->n_countries;
        if (rc == GW_OK && !(b->listed = gw_calloc((b->n_listed + 63) / 64, sizeof(uint64_t)))) rc = oom(L);
        for (size_t k = 0; rc == GW_OK && k < b->n_members; k++)
            b->listed[b->members[k].country >> 6] |= 1ull << (b->members[k].country & 63);
        if (rc == GW_OK)
            rc = add_terms(L, L->d->entities, gw_yaml_get(e, "names"), target(GW_T_BLOC, (uint32_t)i), "names");
    }
    gw_yaml_free(doc);
    return rc;
}

/* Ids seen so far, for the duplicate check: open addressing over person
 * indexes (a linear scan per person made a 100k-name file take minutes). */
typedef struct {
    uint32_t *slot;   /* person index + 1; 0 = empty */
    size_t mask;
} id_set_t;

static size_t id_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

/* Adds person i; returns the index of an earlier person with the same id,
 * or -1. */
static long id_set_add(id_set_t *set, const gw_person_t *people, uint32_t i) {
    for (size_t k = id_hash(people[i].id) & set->mask;; k = (k + 1) & set->mask) {
        if (!set->slot[k]) { set->slot[k] = i + 1; return -1; }
        if (!strcmp(people[set->slot[k] - 1].id, people[i].id)) return (long)set->slot[k] - 1;
    }
}

static int load_people(load_t *L, const char *path) {
    static const char *const top[] = {"version", "as_of", "people", NULL};
    static const char *const keys[] = {"id", "name", "country", "names", "short",
                                       "short_unambiguous", "roles", "source", NULL};
    static const char *const rkeys[] = {"title", "code", "since", "until", NULL};
    gw_yaml_doc_t *doc = NULL;
    const gw_yaml_node_t *list = NULL;
    int rc = open_list(L, path, "people", top, "people", &doc, &list);
    id_set_t ids = {NULL, 0};
    if (rc == GW_OK && !(L->d->people = gw_calloc(list->n, sizeof(gw_person_t)))) rc = oom(L);
    if (rc == GW_OK) {
        size_t cap = 16;
        while (cap < list->n * 2) cap *= 2;
        if (!(ids.slot = gw_calloc(cap, sizeof(uint32_t)))) rc = oom(L);
        ids.mask = cap - 1;
    }
    for (size_t i = 0; rc == GW_OK && i < list->n; i++) {
        const gw_yaml_node_t *e = list->items[i], *n;
        gw_person_t *p = &L->d->people[L->d->n_people++];
        if ((rc = gw_yaml_check_keys(doc, e, keys, "a person", L->err, L->errlen)) ||
            (rc = dup_str(L, gw_yaml_get(e, "id"), "id", &p->id)) ||
            (rc = dup_str(L, gw_yaml_get(e, "name"), "name", &p->name)) ||
            (rc = country_ref(L, gw_yaml_get(e, "country"), "country", &p->country)))
            break;
        if (id_set_add(&ids, L->d->people, (uint32_t)i) >= 0) {
            rc = gw_yaml_errf(doc, gw_yaml_get(e, "id"), L->err, L->errlen, "duplicate id '%s'", p->id);
            break;
        }
        if ((n = gw_yaml_get(e, "short_unambiguous")) &&
            (rc = gw_yaml_bool(doc, n, "short_unambiguous", &p->short_unambiguous, L->err, L->errlen)))
            break;
        if ((n = gw_yaml_get(e, "roles"))) {
            if ((rc = gw_yaml_expect(doc, n, GW_YAML_SEQ, "roles", L->err, L->errlen))) break;
            if (!(p->roles = gw_calloc(n->n, sizeof(gw_role_t)))) { rc = oom(L); break; }
            for (size_t k = 0; rc == GW_OK && k < n->n; k++) {
                const gw_yaml_node_t *r = n->items[k];
                gw_role_t *role = &p->roles[p->n_roles++];
                const char *code;
                if ((rc = gw_yaml_check_keys(doc, r, rkeys, "a role", L->err, L->errlen)) ||
                    (rc = dup_str(L, gw_yaml_get(r, "title"), "title", &role->title)) ||
                    (rc = gw_yaml_str(doc, gw_yaml_get(r, "code"), "code", &code, L->err, L->errlen)) ||
                    (rc = read_interval(L, r, &role->since, &role->until)))
                    break;
                if (strlen(code) < 3 || strlen(code) >= sizeof(role->code)) {
                    rc = gw_yaml_errf(doc, gw_yaml_get(r, "code"), L->err, L->errlen,
                                      "role code '%s' is not a CAMEO agent code", code);
                    break;
                }
                memcpy(role->code, code, strlen(code) + 1);
            }
        }
        if (rc == GW_OK)
            rc = add_terms(L, L->d->entities, gw_yaml_get(e, "names"), target(GW_T_PERSON, (uint32_t)i), "names");
        if (rc == GW_OK)
            rc = add_terms(L, L->d->entities, gw_yaml_get(e, "short"), target(GW_T_PERSON_SHORT, (uint32_t)i), "short");
    }
    free(ids.slot);
    gw_yaml_free(doc);
    return rc;
}

static int load_orgs(load_t *L, const char *path) {
    static const char *const top[] = {"version", "as_of", "organizations", NULL};
    static const char *const keys[] = {"id", "name", "type", "country", "code", "names", "source", NULL};
    static const char *const types[] = {"organization", "media", "igo", "government_body",
                                        "armed_group", "company", NULL};
    gw_yaml_doc_t *doc = NULL;
    const gw_yaml_node_t *list = NULL;
    int rc = open_list(L, path, "organizations", top, "organizations", &doc, &list);
    if (rc == GW_OK && !(L->d->orgs = gw_calloc(list->n, sizeof(gw_org_t)))) rc = oom(L);
    for (size_t i = 0; rc == GW_OK && i < list->n; i++) {
        const gw_yaml_node_t *e = list->items[i], *n;
        gw_org_t *o = &L->d->orgs[L->d->n_orgs++];
        o->country = -1;
        if ((rc = gw_yaml_check_keys(doc, e, keys, "an organisation", L->err, L->errlen)) ||
            (rc = dup_str(L, gw_yaml_get(e, "id"), "id", &o->id)) ||
            (rc = dup_str(L, gw_yaml_get(e, "name"), "name", &o->name)) ||
            (rc = dup_str(L, gw_yaml_get(e, "type"), "type", &o->type)) ||
            (rc = dup_str(L, gw_yaml_get(e, "code"), "code", &o->code)))
            break;
        int known = 0;
        for (const char *const *t = types; *t; t++) known |= strcmp(*t, o->type) == 0;
        if (!known) {
            rc = gw_yaml_errf(doc, gw_yaml_get(e, "type"), L->err, L->errlen, "unknown organisation type '%s'", o->type);
            break;
        }
        if ((n = gw_yaml_get(e, "country"))) {
            uint32_t c;
            if ((rc = country_ref(L, n, "country", &c))) break;
            o->country = (int32_t)c;
        }
        rc = add_terms(L, L->d->entities, gw_yaml_get(e, "names"), target(GW_T_ORG, (uint32_t)i), "names");
    }
    gw_yaml_free(doc);
    return rc;
}

static int load_simple_list(load_t *L, const char *path, const char *key, gw_target_kind_t kind) {
    const char *const top[] = {"version", "as_of", key, NULL};
    gw_yaml_doc_t *doc = NULL;
    const gw_yaml_node_t *list = NULL;
    int rc = open_list(L, path, key, top, key, &doc, &list);
    if (rc == GW_OK) rc = add_terms(L, L->d->entities, list, target(kind, 0), key);
    gw_yaml_free(doc);
    return rc;
}

static int load_themes(load_t *L, const char *path) {
    static const char *const top[] = {"version", "as_of", "themes", NULL};
    static const char *const keys[] = {"id", "name", "threshold", "triggers", "exclude", NULL};
    gw_yaml_doc_t *doc = NULL;
    const gw_yaml_node_t *list = NULL;
    int rc = open_list(L, path, "themes", top, "themes", &doc, &list);
    if (rc == GW_OK && !(L->d->themes = gw_calloc(list->n, sizeof(gw_theme_t)))) rc = oom(L);
    for (size_t i = 0; rc == GW_OK && i < list->n; i++) {
        const gw_yaml_node_t *e = list->items[i];
        gw_theme_t *t = &L->d->themes[L->d->n_themes++];
        if ((rc = gw_yaml_check_keys(doc, e, keys, "a theme", L->err, L->errlen)) ||
            (rc = dup_str(L, gw_yaml_get(e, "id"), "id", &t->id)) ||
            (rc = dup_str(L, gw_yaml_get(e, "name"), "name", &t->name)) ||
            (rc = gw_yaml_double(doc, gw_yaml_get(e, "threshold"), "threshold", 0.01, 1000, &t->threshold, L->err, L->errlen)) ||
            (rc = gw_yaml_expect(doc, gw_yaml_get(e, "triggers"), GW_YAML_SEQ, "triggers", L->err, L->errlen)))
            break;
        rc = add_terms(L, L->d->themes_m, gw_yaml_get(e, "triggers"), target(GW_T_THEME, (uint32_t)i), "triggers");
        if (rc == GW_OK)
            rc = add_terms(L, L->d->themes_m, gw_yaml_get(e, "exclude"), target(GW_T_THEME_EXCLUDE, (uint32_t)i), "exclude");
    }
    gw_yaml_free(doc);
    return rc;
}

gw_dict_t *gw_dict_load(const gw_config_t *cfg, char *err, size_t errlen) {
    gw_dict_t *d = gw_calloc(1, sizeof(*d));
    load_t L = {.d = d, .err = err, .errlen = errlen, .as_of = GW_DATE_NONE};
    gw_buf_init(&L.version);
    if (!d || !(d->entities = gw_matcher_new()) || !(d->themes_m = gw_matcher_new())) {
        oom(&L);
        gw_dict_free(d);
        return NULL;
    }
    int rc = load_countries(&L, cfg->dict.countries);
    if (rc == GW_OK) rc = load_overlay(&L, cfg->dict.countries_overlay);
    if (rc == GW_OK) rc = load_blocs(&L, cfg->dict.blocs);
    if (rc == GW_OK) rc = load_people(&L, cfg->dict.people);
    if (rc == GW_OK) rc = load_orgs(&L, cfg->dict.organizations);
    if (rc == GW_OK) rc = load_simple_list(&L, cfg->dict.discards, "discards", GW_T_DISCARD);
    if (rc == GW_OK) rc = load_simple_list(&L, cfg->dict.titles, "titles", GW_T_TITLE);
    if (rc == GW_OK) rc = load_themes(&L, cfg->dict.themes);
    if (rc == GW_OK && (gw_matcher_build(d->entities) != GW_OK || gw_matcher_build(d->themes_m) != GW_OK))
        rc = oom(&L);
    if (rc == GW_OK && cfg->dict.n_title_patterns &&
        !(d->titlepat = gw_titlepat_load(cfg->dict.title_patterns, cfg->dict.n_title_patterns, d, &L.version,
                                         &L.as_of, err, errlen)))
        rc = GW_EINVAL;
    if (rc == GW_OK) {
        char asof[11];
        gw_date_format(L.as_of, asof);
        d->as_of = gw_strdup(asof);
        d->version = gw_buf_steal(&L.version, NULL);
        if (!d->as_of || !d->version) rc = oom(&L);
    }
    gw_buf_free(&L.version);
    if (rc != GW_OK) {
        gw_dict_free(d);
        return NULL;
    }
    return d;
}

void gw_dict_free(gw_dict_t *d) {
    if (!d) return;
    for (size_t i = 0; i < d->n_countries; i++) free(d->countries[i].name);
    free(d->countries);
    free(d->ambiguities);
    for (size_t i = 0; i < d->n_blocs; i++) {
        free(d->blocs[i].code);
        free(d->blocs[i].name);
        free(d->blocs[i].type);
        free(d->blocs[i].members);
        free(d->blocs[i].listed);
    }
    free(d->blocs);
    for (size_t i = 0; i < d->n_people; i++) {
        gw_person_t *p = &d->people[i];
        free(p->id);
        free(p->name);
        for (size_t k = 0; k < p->n_roles; k++) free(p->roles[k].title);
        free(p->roles);
    }
    free(d->people);
    for (size_t i = 0; i < d->n_orgs; i++) {
        free(d->orgs[i].id);
        free(d->orgs[i].name);
        free(d->orgs[i].type);
        free(d->orgs[i].code);
    }
    free(d->orgs);
    for (size_t i = 0; i < d->n_themes; i++) {
        free(d->themes[i].id);
        free(d->themes[i].name);
    }
    free(d->themes);
    free(d->targets);
    gw_matcher_free(d->entities);
    gw_matcher_free(d->themes_m);
    gw_titlepat_free(d->titlepat);
    free(d->version);
    free(d->as_of);
    free(d);
}

int gw_dict_country(const gw_dict_t *d, const char *code) {
    for (size_t i = 0; i < d->n_countries; i++)
        if (strcmp(d->countries[i].code, code) == 0) return (int)i;
    return -1;
}

static int in_interval(int32_t since, int32_t until, int32_t day) {
    return (since == GW_DATE_NONE || day >= since) && (until == GW_DATE_NONE || day <= until);
}

const gw_role_t *gw_dict_role_at(const gw_person_t *p, int32_t day) {
    /* Offices held together (prime minister and finance minister): the
     * first listed is the person's principal one. On a handover day, when
     * one office ends as the next begins, the new one is reported. */
    const gw_role_t *best = NULL;
    for (size_t i = 0; i < p->n_roles; i++) {
        const gw_role_t *r = &p->roles[i];
        if (!in_interval(r->since, r->until, day)) continue;
        if (!best || (best->until == day && r->until != day)) best = r;
    }
    return best;
}

/* Most questions are about a country the bloc never had (every bloc is
 * asked about every country of a story, twice): the bitmap answers those
 * without walking the member list. */
int gw_dict_member_at(const gw_bloc_t *b, uint32_t c, int32_t day) {
    if (c >= b->n_listed || !(b->listed[c >> 6] >> (c & 63) & 1)) return 0;
    for (size_t i = 0; i < b->n_members; i++)
        if (b->members[i].country == c && in_interval(b->members[i].since, b->members[i].until, day))
            return 1;
    return 0;
}
