/*
 * titlepat.c - loads the title-pattern files (config/dictionaries/
 * title-patterns/<lang>.yaml, format in FORMAT.md) into one matcher and a few
 * folded word sets. Like the dictionaries, a file with a wrong entry stops
 * the load with `file:line:col: what`.
 */
#include "geowire/titlepat.h"
#include "geowire/dict.h"
#include "geowire/text.h"
#include "geowire/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    gw_titlepat_t *tp;
    const gw_dict_t *d;
    const gw_yaml_doc_t *doc;
    char *err;
    size_t errlen;
    gw_text_t fold;             /* scratch for folding words */
    size_t cap_targets;
    gw_buf_t versions;          /* "en:v1,ms:v2": each file's version */
    char *version1;             /* the first file's version */
    int same;                   /* every file has version1 */
} tload_t;

#define CHECK(x)                      \
    do {                              \
        int rc_ = (x);                \
        if (rc_ != GW_OK) return rc_; \
    } while (0)

static int oom(tload_t *L) { return gw_err(L->err, L->errlen, GW_ENOMEM, "out of memory loading title patterns"); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int gw_wordset_has(const gw_wordset_t *ws, const char *s, size_t n) {
    size_t lo = 0, hi = ws->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *w = ws->w[mid];
        int c = strncmp(w, s, n);
        if (c == 0) c = w[n] == '\0' ? 0 : 1;
        if (c == 0) return 1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

static void wordset_free(gw_wordset_t *ws) {
    for (size_t i = 0; i < ws->n; i++) free(ws->w[i]);
    free(ws->w);
    ws->w = NULL;
    ws->n = 0;
}

/* The folded form of a YAML string, as the matcher and the text see it. */
static int folded(tload_t *L, const gw_yaml_node_t *n, const char *what, char **out) {
    const char *s;
    CHECK(gw_yaml_str(L->doc, n, what, &s, L->err, L->errlen));
    if (gw_text_fold(&L->fold, s, strlen(s)) != GW_OK) return oom(L);
    if (!(*out = gw_strndup(L->fold.fold, L->fold.fold_len))) return oom(L);
    return GW_OK;
}

/* Adds the words of a YAML list to a set (sorted again after each file). */
static int add_words(tload_t *L, gw_wordset_t *ws, const gw_yaml_node_t *list, const char *what) {
    if (!list) return GW_OK;
    CHECK(gw_yaml_expect(L->doc, list, GW_YAML_SEQ, what, L->err, L->errlen));
    char **nw = gw_realloc(ws->w, (ws->n + list->n + 1) * sizeof(*nw));
    if (!nw) return oom(L);
    ws->w = nw;
    for (size_t i = 0; i < list->n; i++) {
        char *w;
        CHECK(folded(L, list->items[i], what, &w));
        if (!*w || strchr(w, ' ')) {
            free(w);
            return gw_yaml_errf(L->doc, list->items[i], L->err, L->errlen, "'%s' entries are single words", what);
        }
        ws->w[ws->n++] = w;
    }
    qsort(ws->w, ws->n, sizeof(*ws->w), cmp_str);
    return GW_OK;
}

static int add_target(tload_t *L, gw_tp_target_t t, const gw_yaml_node_t *term) {
    gw_titlepat_t *tp = L->tp;
    const char *text;
    CHECK(gw_yaml_str(L->doc, term, "term", &text, L->err, L->errlen));
    if (tp->n_targets == L->cap_targets) {
        size_t cap = L->cap_targets ? L->cap_targets * 2 : 256;
        gw_tp_target_t *nt = gw_realloc(tp->targets, cap * sizeof(*nt));
        if (!nt) return oom(L);
        tp->targets = nt;
        L->cap_targets = cap;
    }
    int rc = gw_matcher_add(tp->m, text, strlen(text), (uint32_t)tp->n_targets, 0);
    if (rc == GW_ENOMEM) return oom(L);
    if (rc != GW_OK)
        return gw_yaml_errf(L->doc, term, L->err, L->errlen, "'%s' cannot be matched (empty after normalisation)", text);
    tp->targets[tp->n_targets++] = t;
    return GW_OK;
}

static int add_targets(tload_t *L, const gw_yaml_node_t *list, gw_tp_target_t t, const char *what) {
    CHECK(gw_yaml_expect(L->doc, list, GW_YAML_SEQ, what, L->err, L->errlen));
    for (size_t i = 0; i < list->n; i++) CHECK(add_target(L, t, list->items[i]));
    return GW_OK;
}

/* A CAMEO agent code: three to seven capitals. */
static int agent_code(tload_t *L, const gw_yaml_node_t *n, char out[8]) {
    const char *code;
    CHECK(gw_yaml_str(L->doc, n, "code", &code, L->err, L->errlen));
    size_t len = strlen(code);
    int ok = len >= 3 && len < 8;
    for (size_t i = 0; ok && i < len; i++) ok = code[i] >= 'A' && code[i] <= 'Z';
    if (!ok) return gw_yaml_errf(L->doc, n, L->err, L->errlen, "role code '%s' is not a CAMEO agent code", code);
    memcpy(out, code, len + 1);
    return GW_OK;
}

static int country_of(tload_t *L, const gw_yaml_node_t *n, int32_t *out) {
    const char *code;
    CHECK(gw_yaml_str(L->doc, n, "country", &code, L->err, L->errlen));
    int c = gw_dict_country(L->d, code);
    if (c < 0) return gw_yaml_errf(L->doc, n, L->err, L->errlen, "unknown country code '%s'", code);
    *out = c;
    return GW_OK;
}

static int load_offices(tload_t *L, const gw_yaml_node_t *list, uint8_t lang) {
    static const char *const keys[] = {"title", "code", "country", "terms", NULL};
    gw_titlepat_t *tp = L->tp;
    CHECK(gw_yaml_expect(L->doc, list, GW_YAML_SEQ, "offices", L->err, L->errlen));
    gw_tp_office_t *no = gw_realloc(tp->offices, (tp->n_offices + list->n + 1) * sizeof(*no));
    if (!no) return oom(L);
    tp->offices = no;
    for (size_t i = 0; i < list->n; i++) {
        const gw_yaml_node_t *e = list->items[i], *n;
        gw_tp_office_t *o = &tp->offices[tp->n_offices];
        const char *title;
        memset(o, 0, sizeof(*o));
        o->country = -1;
        CHECK(gw_yaml_check_keys(L->doc, e, keys, "an office", L->err, L->errlen));
        CHECK(gw_yaml_str(L->doc, gw_yaml_get(e, "title"), "title", &title, L->err, L->errlen));
        CHECK(agent_code(L, gw_yaml_get(e, "code"), o->code));
        if ((n = gw_yaml_get(e, "country"))) CHECK(country_of(L, n, &o->country));
        if (!(o->title = gw_strdup(title))) return oom(L);
        tp->n_offices++;
        gw_tp_target_t t = {.kind = GW_TP_OFFICE, .lang = lang, .index = (uint32_t)(tp->n_offices - 1)};
        CHECK(add_targets(L, gw_yaml_get(e, "terms"), t, "terms"));
    }
    return GW_OK;
}

/* "Security Council" -> "security_council": the id part of a body. */
static char *slug(const char *s) {
    size_t n = strlen(s), k = 0;
    char *out = gw_malloc(n + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c == '\'') continue;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out[k++] = c;
        else if (k && out[k - 1] != '_') out[k++] = '_';
    }
    while (k && out[k - 1] == '_') k--;
    out[k] = '\0';
    return out;
}

static int load_bodies(tload_t *L, const gw_yaml_node_t *list, uint8_t lang) {
    static const char *const keys[] = {"name", "type", "code", "terms", NULL};
    static const char *const types[] = {"organization", "government_body", "armed_group", NULL};
    gw_titlepat_t *tp = L->tp;
    CHECK(gw_yaml_expect(L->doc, list, GW_YAML_SEQ, "bodies", L->err, L->errlen));
    gw_tp_body_t *nb = gw_realloc(tp->bodies, (tp->n_bodies + list->n + 1) * sizeof(*nb));
    if (!nb) return oom(L);
    tp->bodies = nb;
    for (size_t i = 0; i < list->n; i++) {
        const gw_yaml_node_t *e = list->items[i];
        gw_tp_body_t *b = &tp->bodies[tp->n_bodies];
        const char *name, *type;
        memset(b, 0, sizeof(*b));
        CHECK(gw_yaml_check_keys(L->doc, e, keys, "a body", L->err, L->errlen));
        CHECK(gw_yaml_str(L->doc, gw_yaml_get(e, "name"), "name", &name, L->err, L->errlen));
        CHECK(gw_yaml_str(L->doc, gw_yaml_get(e, "type"), "type", &type, L->err, L->errlen));
        int known = 0;
        for (const char *const *t = types; *t; t++) known |= strcmp(*t, type) == 0;
        if (!known) return gw_yaml_errf(L->doc, gw_yaml_get(e, "type"), L->err, L->errlen, "unknown body type '%s'", type);
        CHECK(agent_code(L, gw_yaml_get(e, "code"), b->code));
        b->name = gw_strdup(name);
        b->type = gw_strdup(type);
        b->slug = slug(name);
        tp->n_bodies++;
        if (!b->name || !b->type || !b->slug) return oom(L);
        if (!*b->slug) return gw_yaml_errf(L->doc, e, L->err, L->errlen, "a body name needs ASCII letters for its id");
        gw_tp_target_t t = {.kind = GW_TP_BODY, .lang = lang, .index = (uint32_t)(tp->n_bodies - 1)};
        CHECK(add_targets(L, gw_yaml_get(e, "terms"), t, "terms"));
    }
    return GW_OK;
}

static int load_cues(tload_t *L, const gw_yaml_node_t *map, uint8_t lang) {
    CHECK(gw_yaml_expect(L->doc, map, GW_YAML_MAP, "countries", L->err, L->errlen));
    for (size_t i = 0; i < map->n; i++) {
        int32_t c;
        CHECK(country_of(L, map->keys[i], &c));
        gw_tp_target_t t = {.kind = GW_TP_COUNTRY, .lang = lang, .index = (uint32_t)c};
        CHECK(add_targets(L, map->items[i], t, "country cues"));
    }
    return GW_OK;
}

/* Connectors keep their order and may be "" (the country follows directly). */
static int load_after(tload_t *L, gw_tp_lang_t *lg, const gw_yaml_node_t *list) {
    if (!list) return GW_OK;
    CHECK(gw_yaml_expect(L->doc, list, GW_YAML_SEQ, "country_after", L->err, L->errlen));
    if (!(lg->after = gw_calloc(list->n + 1, sizeof(char *)))) return oom(L);
    for (size_t i = 0; i < list->n; i++) {
        CHECK(folded(L, list->items[i], "country_after", &lg->after[i]));
        lg->n_after++;
    }
    return GW_OK;
}

static int load_file(tload_t *L, const char *path, int32_t *as_of) {
    static const char *const top[] = {"version", "as_of", "lang", "possessive", "country_after", "destination", "articles", "modifiers", "former",
                                      "apposition", "conjunctions", "particles", "not_names", "body_words",
                                      "countries", "honorifics", "offices", "bodies", NULL};
    gw_titlepat_t *tp = L->tp;
    gw_yaml_doc_t *doc = gw_yaml_load(path, 0, L->err, L->errlen);
    if (!doc) return GW_EINVAL;
    L->doc = doc;
    const gw_yaml_node_t *root = doc->root, *n;
    const char *v, *lang;
    int32_t day;
    int rc = root ? GW_OK : gw_yaml_errf(doc, NULL, L->err, L->errlen, "empty title-pattern file");
    if (rc == GW_OK) rc = gw_yaml_expect(doc, root, GW_YAML_MAP, "the file", L->err, L->errlen);
    if (rc == GW_OK) rc = gw_yaml_check_keys(doc, root, top, "a title-pattern file", L->err, L->errlen);
    if (rc == GW_OK) rc = gw_yaml_str(doc, gw_yaml_get(root, "version"), "version", &v, L->err, L->errlen);
    if (rc == GW_OK) rc = gw_yaml_date(doc, gw_yaml_get(root, "as_of"), "as_of", &day, L->err, L->errlen);
    if (rc == GW_OK) rc = gw_yaml_str(doc, gw_yaml_get(root, "lang"), "lang", &lang, L->err, L->errlen);
    if (rc == GW_OK && (strlen(lang) < 2 || strlen(lang) > 3))
        rc = gw_yaml_errf(doc, gw_yaml_get(root, "lang"), L->err, L->errlen, "lang must be an ISO 639-1 code");
    if (rc == GW_OK && tp->n_langs >= 255)
        rc = gw_yaml_errf(doc, root, L->err, L->errlen, "too many title-pattern files");
    gw_tp_lang_t *lg = NULL;
    if (rc == GW_OK) {
        gw_tp_lang_t *nl = gw_realloc(tp->langs, (tp->n_langs + 1) * sizeof(*nl));
        if (!nl) rc = oom(L);
        else {
            tp->langs = nl;
            lg = &tp->langs[tp->n_langs++];
            memset(lg, 0, sizeof(*lg));
            memcpy(lg->code, lang, strlen(lang) + 1);
            if (*as_of == GW_DATE_NONE || day > *as_of) *as_of = day;
            gw_buf_printf(&L->versions, "%s%s:%s", L->versions.len ? "," : "", lang, v);
            if (!L->version1 && !(L->version1 = gw_strdup(v))) rc = oom(L);
            else if (strcmp(L->version1, v)) L->same = 0;
            if (L->versions.oom) rc = oom(L);
        }
    }
    uint8_t li = (uint8_t)(tp->n_langs - 1);
    if (rc == GW_OK && (n = gw_yaml_get(root, "apposition")))
        rc = gw_yaml_bool(doc, n, "apposition", &lg->apposition, L->err, L->errlen);
    if (rc == GW_OK) rc = add_words(L, &lg->possessive, gw_yaml_get(root, "possessive"), "possessive");
    if (rc == GW_OK) rc = load_after(L, lg, gw_yaml_get(root, "country_after"));
    if (rc == GW_OK) rc = add_words(L, &lg->destination, gw_yaml_get(root, "destination"), "destination");
    if (rc == GW_OK) rc = add_words(L, &lg->articles, gw_yaml_get(root, "articles"), "articles");
    if (rc == GW_OK) rc = add_words(L, &lg->modifiers, gw_yaml_get(root, "modifiers"), "modifiers");
    if (rc == GW_OK) rc = add_words(L, &lg->former, gw_yaml_get(root, "former"), "former");
    if (rc == GW_OK) rc = add_words(L, &lg->conjunctions, gw_yaml_get(root, "conjunctions"), "conjunctions");
    if (rc == GW_OK) rc = add_words(L, &tp->particles, gw_yaml_get(root, "particles"), "particles");
    if (rc == GW_OK) rc = add_words(L, &tp->not_names, gw_yaml_get(root, "not_names"), "not_names");
    if (rc == GW_OK) rc = add_words(L, &tp->body_words, gw_yaml_get(root, "body_words"), "body_words");
    if (rc == GW_OK && (n = gw_yaml_get(root, "countries"))) rc = load_cues(L, n, li);
    if (rc == GW_OK && (n = gw_yaml_get(root, "honorifics"))) {
        gw_tp_target_t t = {.kind = GW_TP_HONORIFIC, .lang = li, .index = 0};
        rc = add_targets(L, n, t, "honorifics");
    }
    if (rc == GW_OK && (n = gw_yaml_get(root, "offices"))) rc = load_offices(L, n, li);
    if (rc == GW_OK && (n = gw_yaml_get(root, "bodies"))) rc = load_bodies(L, n, li);
    gw_yaml_free(doc);
    L->doc = NULL;
    return rc;
}

gw_titlepat_t *gw_titlepat_load(char *const *paths, size_t n_paths, const gw_dict_t *d,
                                gw_buf_t *version, int32_t *as_of, char *err, size_t errlen) {
    tload_t L = {.d = d, .err = err, .errlen = errlen, .same = 1};
    gw_text_init(&L.fold);
    gw_buf_init(&L.versions);
    int rc = GW_OK;
    if (!(L.tp = gw_calloc(1, sizeof(*L.tp))) || !(L.tp->m = gw_matcher_new())) rc = oom(&L);
    for (size_t i = 0; rc == GW_OK && i < n_paths; i++) rc = load_file(&L, paths[i], as_of);
    if (rc == GW_OK && gw_matcher_build(L.tp->m) != GW_OK) rc = oom(&L);
    /* One short entry in every record's version: files released together
     * share a version ("tp=2026.11.28"); otherwise each is listed. */
    if (rc == GW_OK && n_paths) {
        gw_buf_printf(version, ";tp=%s", L.same ? L.version1 : L.versions.data);
        if (version->oom) rc = oom(&L);
    }
    gw_text_free(&L.fold);
    gw_buf_free(&L.versions);
    free(L.version1);
    if (rc != GW_OK) {
        gw_titlepat_free(L.tp);
        return NULL;
    }
    return L.tp;
}

void gw_titlepat_free(gw_titlepat_t *tp) {
    if (!tp) return;
    for (size_t i = 0; i < tp->n_langs; i++) {
        gw_tp_lang_t *lg = &tp->langs[i];
        wordset_free(&lg->possessive);
        wordset_free(&lg->destination);
        wordset_free(&lg->articles);
        wordset_free(&lg->modifiers);
        wordset_free(&lg->former);
        wordset_free(&lg->conjunctions);
        for (size_t k = 0; k < lg->n_after; k++) free(lg->after[k]);
        free(lg->after);
    }
    free(tp->langs);
    for (size_t i = 0; i < tp->n_offices; i++) free(tp->offices[i].title);
    free(tp->offices);
    for (size_t i = 0; i < tp->n_bodies; i++) {
        free(tp->bodies[i].name);
        free(tp->bodies[i].slug);
        free(tp->bodies[i].type);
    }
    free(tp->bodies);
    free(tp->targets);
    wordset_free(&tp->particles);
    wordset_free(&tp->not_names);
    wordset_free(&tp->body_words);
    gw_matcher_free(tp->m);
    free(tp);
}
