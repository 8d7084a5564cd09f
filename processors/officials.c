/*
 * officials.c - people and national bodies read from the text's own titles.
 *
 * Runs after scan and before resolve, over the folded text, the entity
 * matches and the matches of the title patterns (titlepat.h):
 *
 *   [cue] OFFICE [cue] [,] [honorifics] Name     "Vietnam's Defence Minister Phan Van Giang"
 *                                                "Menteri Pertahanan Malaysia Datuk Seri ..."
 *                                                "министр обороны России Андрей ..."
 *   Name, [the] [cue] OFFICE [of cue] ,|.|end    "Tea Seiha, the Cambodian defence minister,"
 *   [cue] BODY [cue]                             "Russia's Security Council", "the Indonesian Air Force"
 *
 * A cue is an entity match that says a country (a name with a possessive,
 * a demonym, a seat, a body of that country), or an intergovernmental body
 * ("ASEAN Secretary-General"). A name is 1 to 5 capitalised words in the
 * office's script, with lower-case particles (bin, van) between them; it
 * stops at punctuation, at a word that is never a name (weekdays, sentence
 * adverbs), at a place, body or other title, and is no person at all if it
 * holds a body word ("Prime Minister's Office", "General Assembly").
 * A name a dictionary knows is left to the dictionary: resolve reports it.
 *
 * Each official found is added to the record once (by id) and counted at
 * every mention: its full name, and its last word alone in the same item
 * ("Giang said"), which a dictionary's same bare surname then no longer
 * claims unless that dictionary person is named in full in the item.
 */
#include "geowire/common.h"
#include "geowire/officials.h"
#include "geowire/processor.h"
#include "geowire/titlepat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define MAX_NAME_WORDS 5
/* Officials kept per item: a story names a handful; a hostile item of
 * thousands of titles must not cost a scan of the text per name. */
#define MAX_OFFICIALS 64

typedef struct {
    gw_record_t *r;
    const gw_dict_t *d;
    const gw_titlepat_t *tp;
    int f;                      /* field being read */
    const gw_text_t *t;
    gw_match_t *pm; size_t n_pm;  /* title-pattern matches of the field */
    size_t e0, e1;              /* the field's entity matches: r->ematch[e0, e1) */
    uint8_t *drop;              /* per entity match: a short form an official claims */
    uint32_t last_end;          /* end of the last official's name (folded), for "and" */
    int32_t last_country;
    int has_last;
} ctx_t;

typedef struct {
    int found, igo;
    int extra;                  /* a cue of the pattern files: no entity counts its country */
    int32_t country;
    uint32_t start, end;        /* folded span of the cue */
} cue_t;

enum { NAME_NONE = 0, NAME_OK, NAME_DICT, NAME_BODY };

void gw_officials_clear(gw_official_t *o, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(o[i].id);
        free(o[i].name);
        free(o[i].fold);
    }
}

/* ---- characters of the folded text and of the original behind it */

static int32_t cp_at(const gw_text_t *t, size_t i, int *len) {
    int32_t cp;
    *len = gw_utf8_decode(t->fold, t->fold_len, i, &cp);
    return cp;
}

static int word_at(const gw_text_t *t, size_t i) {
    int len;
    return i < t->fold_len && gw_cp_is_word(cp_at(t, i, &len));
}

static int word_before(const gw_text_t *t, size_t i) {
    if (i == 0) return 0;
    size_t k = i - 1;
    while (k > 0 && ((unsigned char)t->fold[k] & 0xC0) == 0x80) k--;
    return word_at(t, k);
}

/* 1 Latin, 2 Cyrillic, 3 anything else: a name keeps its title's script. */
static int script_of(int32_t cp) {
    if (cp >= 0x400 && cp <= 0x52F) return 2;
    if (cp < 0x250 || (cp >= 0x1E00 && cp <= 0x1EFF)) return 1;
    return 3;
}

/* Is the original character behind folded byte i an upper-case letter? */
static int upper_at(const ctx_t *c, size_t i) {
    int32_t cp;
    gw_utf8_decode(c->r->field[c->f], c->r->field_len[c->f], c->t->map[i], &cp);
    utf8proc_category_t cat = cp >= 0 ? utf8proc_category(cp) : UTF8PROC_CATEGORY_CN;
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
}

/* End of the word starting at i: word characters, with inner hyphens and
 * apostrophes ("Jae-myung", "O'Neill"). */
static size_t word_end(const gw_text_t *t, size_t i) {
    int len;
    while (i < t->fold_len) {
        if (word_at(t, i)) { cp_at(t, i, &len); i += (size_t)len; continue; }
        if ((t->fold[i] == '-' || t->fold[i] == '\'') && word_before(t, i) && word_at(t, i + 1)) { i++; continue; }
        break;
    }
    return i;
}

/* Start of the word ending at e (the inverse of word_end). */
static size_t word_start(const gw_text_t *t, size_t e) {
    size_t i = e;
    while (i > 0) {
        size_t k = i - 1;
        while (k > 0 && ((unsigned char)t->fold[k] & 0xC0) == 0x80) k--;
        if (word_at(t, k)) { i = k; continue; }
        if ((t->fold[k] == '-' || t->fold[k] == '\'') && k > 0 && word_before(t, k) && word_at(t, i)) { i = k; continue; }
        break;
    }
    return i;
}

static int is_sentence_start(const ctx_t *c, size_t fi) {
    uint32_t o = c->t->map[fi];
    size_t s = gw_record_sentence(c->r, c->f, o);
    return c->r->sentences[c->f][s] == o;
}

/* ---- entity and pattern matches around a position */

static const gw_target_t *etgt(const ctx_t *c, size_t k) { return &c->d->targets[c->r->ematch[k].value]; }

/* The first of the field's entity matches that ends after folded byte i:
 * matches are in text order and do not overlap, so a binary search. */
static size_t entity_from(const ctx_t *c, size_t i) {
    size_t lo = c->e0, hi = c->e1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->r->ematch[mid].fend <= i) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The entity match covering folded byte i, or e1. */
static size_t entity_covering(const ctx_t *c, size_t i) {
    size_t k = entity_from(c, i);
    return k < c->e1 && c->r->ematch[k].fstart <= i ? k : c->e1;
}

/* The first title-pattern match starting at or after i (text order). */
static size_t pattern_from(const ctx_t *c, size_t i) {
    size_t lo = 0, hi = c->n_pm;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->pm[mid].fstart < i) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The title-pattern match starting at i, or NULL. */
static const gw_match_t *pattern_at(const ctx_t *c, size_t i) {
    size_t k = pattern_from(c, i);
    return k < c->n_pm && c->pm[k].fstart == i ? &c->pm[k] : NULL;
}

/* What an entity match says as a cue: a country, or an intergovernmental
 * body. Datelines say where a story was filed, not whose official it is. */
static int cue_of_entity(const ctx_t *c, size_t k, cue_t *q) {
    const gw_target_t *t = etgt(c, k);
    const gw_match_t *m = &c->r->ematch[k];
    if (c->f == GW_FIELD_BODY && m->start < c->r->dateline_end) return 0;
    q->igo = 0;
    q->country = -1;
    if (t->kind == GW_T_COUNTRY) {
        if (t->until != GW_DATE_NONE && c->r->day > t->until) return 0;
        q->country = (int32_t)t->index;
    } else if (t->kind == GW_T_ORG) {
        const gw_org_t *o = &c->d->orgs[t->index];
        if (!strcmp(o->type, "media")) return 0;
        if (o->country >= 0) q->country = o->country;
        else if (!strcmp(o->type, "igo")) q->igo = 1;
        else return 0;
    } else if (t->kind == GW_T_BLOC) {
        q->igo = 1;
    } else {
        return 0;
    }
    q->found = 1;
    q->start = m->fstart;
    q->end = m->fend;
    return 1;
}

/* Is the text of an entity match all capitals ("US", "UK", "UAE")? */
static int acronym(const ctx_t *c, size_t k) {
    const gw_match_t *m = &c->r->ematch[k];
    const char *s = c->r->field[c->f];
    for (uint32_t i = m->start; i < m->end; i++)
        if ((s[i] >= 'a' && s[i] <= 'z') || (unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

/* A country or body before the office at [os, oe): "Vietnam's", "the
 * Philippine", "Kremlin", "US"; or a body whose name runs into the
 * office ("Russian Foreign Ministry" + "ministry spokeswoman"). */
static int cue_before(const ctx_t *c, const gw_tp_lang_t *lg, uint32_t os, uint32_t oe, cue_t *q) {
    const gw_text_t *t = c->t;
    /* Only matches ending at most a possessive away from the office. */
    size_t from = entity_from(c, os > 8 ? os - 8 : 0);
    for (size_t k = from; k < c->e1 && c->r->ematch[k].fstart < os; k++) {
        const gw_match_t *m = &c->r->ematch[k];
        if (m->fend > oe) continue;
        cue_t x = {0};
        if (!cue_of_entity(c, k, &x)) continue;
        const gw_target_t *tg = etgt(c, k);
        int ok = 0;
        if (m->fend > os) ok = 1;                                  /* runs into the office */
        else if (m->fend + 1 == os && t->fold[m->fend] == ' ')     /* adjacent: a demonym, a seat, an acronym */
            ok = tg->kind != GW_T_COUNTRY || tg->via != GW_VIA_NAME || acronym(c, k);
        else if (m->fend + 1 < os && t->fold[os - 1] == ' ')       /* a possessive between */
            ok = gw_wordset_has(&lg->possessive, t->fold + m->fend, os - 1 - m->fend);
        if (ok) { *q = x; return 1; }
    }
    for (size_t k = pattern_from(c, os > 64 ? os - 64 : 0); k < c->n_pm && c->pm[k].fstart < os; k++) { /* the files' cues */
        if (c->pm[k].fend + 1 != os) continue;
        const gw_tp_target_t *pt = &c->tp->targets[c->pm[k].value];
        if (pt->kind == GW_TP_COUNTRY && t->fold[c->pm[k].fend] == ' ') {
            *q = (cue_t){.found = 1, .extra = 1, .country = (int32_t)pt->index, .start = c->pm[k].fstart,
                         .end = c->pm[k].fend};
            return 1;
        }
    }
    return 0;
}

/* A country after the office, joined by one of the language's connectors
 * ("of Cambodia"; "" = directly: "Menteri Pertahanan Malaysia", "министр
 * обороны России"), or a body whose name starts inside the office. */
static int cue_after(const ctx_t *c, const gw_tp_lang_t *lg, uint32_t os, uint32_t oe, cue_t *q) {
    const gw_text_t *t = c->t;
    for (size_t k = entity_from(c, oe); k < c->e1; k++) {
        const gw_match_t *m = &c->r->ematch[k];
        if (m->fstart <= os) continue;
        int ok = m->fstart < oe;
        for (size_t a = 0; !ok && a < lg->n_after && oe < t->fold_len && t->fold[oe] == ' '; a++) {
            size_t n = strlen(lg->after[a]);
            if (!n) ok = m->fstart == oe + 1;
            else ok = m->fstart == oe + n + 2 && !memcmp(t->fold + oe + 1, lg->after[a], n) && t->fold[oe + 1 + n] == ' ';
        }
        if (ok && cue_of_entity(c, k, q)) return 1;
        if (m->fstart > oe + 64) break;
    }
    return 0;
}

/* ---- names */

typedef struct {
    uint32_t start, end;        /* folded */
} span_t;

/* Checks one capitalised word of a name at [ws, we): NAME_OK to take it,
 * NAME_NONE to stop before it, NAME_DICT when it belongs to a person a
 * dictionary knows, NAME_BODY when it makes the whole a body. */
static int name_word(const ctx_t *c, size_t ws, size_t we, int script) {
    const gw_text_t *t = c->t;
    int len;
    if (!upper_at(c, ws) || script_of(cp_at(t, ws, &len)) != script) return NAME_NONE;
    if (gw_wordset_has(&c->tp->body_words, t->fold + ws, we - ws)) return NAME_BODY;
    if (gw_wordset_has(&c->tp->not_names, t->fold + ws, we - ws)) return NAME_NONE;
    const gw_match_t *pm = pattern_at(c, ws);
    if (pm && c->tp->targets[pm->value].kind != GW_TP_COUNTRY) return NAME_NONE; /* another title */
    size_t k = entity_covering(c, ws);
    if (k == c->e1) k = entity_covering(c, we - 1);
    if (k < c->e1) {
        uint8_t kind = etgt(c, k)->kind;
        if (kind == GW_T_PERSON) return NAME_DICT;
        if (kind != GW_T_PERSON_SHORT) return NAME_NONE; /* a place, a body, a title */
    }
    return NAME_OK;
}

/* A trailing possessive is no part of the name: "Giang's" -> "Giang". */
static size_t strip_possessive(const gw_text_t *t, size_t ws, size_t we) {
    if (we - ws > 2 && t->fold[we - 2] == '\'' && t->fold[we - 1] == 's') return we - 2;
    return we;
}

/* A name read forwards from p. */
static int name_after(const ctx_t *c, size_t p, int script, span_t *out) {
    const gw_text_t *t = c->t;
    size_t n = t->fold_len;
    if (p + 2 < n && t->fold[p] == ',' && t->fold[p + 1] == ' ') p += 2;
    else if (p + 1 < n && t->fold[p] == ' ') p += 1;
    else return NAME_NONE;
    for (int h = 0; h < 4; h++) { /* honorifics: titles.yaml's and the pattern files' */
        size_t k = entity_covering(c, p);
        const gw_match_t *pm = pattern_at(c, p);
        size_t e = 0; /* the longer of the two: "Jenderal TNI" over "Jenderal" */
        if (k < c->e1 && c->r->ematch[k].fstart == p && etgt(c, k)->kind == GW_T_TITLE) e = c->r->ematch[k].fend;
        if (pm && c->tp->targets[pm->value].kind == GW_TP_HONORIFIC && pm->fend > e) e = pm->fend;
        if (!e) break;
        if (e + 1 >= n || t->fold[e] != ' ') return NAME_NONE;
        p = e + 1;
    }
    size_t start = p, end = p;
    int words = 0;
    while (p < n && word_at(t, p)) {
        size_t we = word_end(t, p);
        int v = name_word(c, p, we, script);
        if (v == NAME_DICT || v == NAME_BODY) return v;
        if (v == NAME_NONE) break;
        if (++words > MAX_NAME_WORDS) return NAME_NONE; /* a run of capitals: a headline, not a name */
        size_t stripped = strip_possessive(t, p, we);
        end = stripped;
        if (stripped != we || we >= n || t->fold[we] != ' ') break;
        p = we + 1;
        size_t pe = word_end(t, p);
        if (pe > p && !upper_at(c, p) && gw_wordset_has(&c->tp->particles, t->fold + p, pe - p) &&
            pe + 1 < n && t->fold[pe] == ' ' && upper_at(c, pe + 1))
            p = pe + 1;
    }
    if (!words || is_sentence_start(c, start)) return NAME_NONE;
    out->start = (uint32_t)start;
    out->end = (uint32_t)end;
    return NAME_OK;
}

/* A name read backwards from the comma at p ("Tea Seiha, the ..."). */
static int name_before(const ctx_t *c, size_t p, int script, span_t *out) {
    const gw_text_t *t = c->t;
    size_t e = p, start = p;
    int words = 0;
    while (e > 0 && word_before(t, e)) {
        size_t ws = word_start(t, e);
        int v = name_word(c, ws, e, script);
        if (v == NAME_DICT || v == NAME_BODY) return v;
        if (v == NAME_NONE) break;
        if (++words > MAX_NAME_WORDS) return NAME_NONE;
        start = ws;
        if (ws < 2 || t->fold[ws - 1] != ' ') break;
        e = ws - 1;
        size_t ps = word_start(t, e);
        if (ps < e && !upper_at(c, ps) && gw_wordset_has(&c->tp->particles, t->fold + ps, e - ps) && ps >= 2 &&
            t->fold[ps - 1] == ' ' && word_before(t, ps - 1) && upper_at(c, word_start(t, ps - 1)))
            e = ps - 1;
    }
    if (!words) return NAME_NONE;
    out->start = (uint32_t)start;
    out->end = (uint32_t)p;
    return NAME_OK;
}

/* Does a dictionary short form cover exactly the name ("President Putin")? */
static int dictionary_short(const ctx_t *c, span_t nm) {
    for (size_t k = entity_from(c, nm.start); k < c->e1 && c->r->ematch[k].fstart <= nm.start; k++)
        if (c->r->ematch[k].fstart == nm.start && c->r->ematch[k].fend == nm.end && etgt(c, k)->kind == GW_T_PERSON_SHORT)
            return 1;
    return 0;
}

/* ---- ids */

static const char *const cyrillic[] = {
    "a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"};

/* Lower-case ASCII for an id: Latin loses its diacritics, Cyrillic is
 * transliterated, anything between words becomes one '_'. */
static void slug_append(gw_buf_t *b, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        int32_t cp;
        int len = gw_utf8_decode(s, n, i, &cp);
        i += (size_t)len;
        char tmp[8];
        const char *add = NULL;
        if (cp == 0x111 || cp == 0x110) add = "d";          /* đ has no decomposition */
        else if (cp >= 0x430 && cp <= 0x44F) add = cyrillic[cp - 0x430];
        else if (cp == 0x451) add = "e";
        else if (cp >= 0x80 && script_of(cp) == 1) {
            utf8proc_uint8_t *dec = NULL;
            utf8proc_uint8_t one[4];
            utf8proc_ssize_t el = utf8proc_encode_char(cp, one);
            if (utf8proc_map(one, el, &dec, UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD) > 0 &&
                dec[0] < 0x80 && dec[1] == '\0') {
                tmp[0] = (char)dec[0];
                tmp[1] = '\0';
                add = tmp;
            }
            free(dec);
        } else if (cp >= 'A' && cp <= 'Z') {
            tmp[0] = (char)(cp - 'A' + 'a'), tmp[1] = '\0', add = tmp;
        } else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
            tmp[0] = (char)cp, tmp[1] = '\0', add = tmp;
        } else if (cp == '\'') {
            add = "";
        }
        if (add) gw_buf_append(b, add, strlen(add));
        else if (b->len && b->data[b->len - 1] != '_' && b->data[b->len - 1] != ':') gw_buf_putc(b, '_');
    }
    while (b->len && b->data[b->len - 1] == '_') b->data[--b->len] = '\0';
}

/* ---- adding officials */

static int find_official(const gw_record_t *r, const char *id) {
    for (size_t i = 0; i < r->n_officials; i++)
        if (!strcmp(r->officials[i].id, id)) return (int)i;
    return -1;
}

/* Adds (or finds) an official; *idx gets its index, or SIZE_MAX when the
 * item already holds MAX_OFFICIALS. Takes ownership of id and name. */
static int add_official(gw_record_t *r, char *id, char *name, gw_official_t proto, size_t *idx) {
    int have = find_official(r, id);
    if (have >= 0 || r->n_officials >= MAX_OFFICIALS) {
        free(id);
        free(name);
        *idx = have >= 0 ? (size_t)have : SIZE_MAX;
        return GW_OK;
    }
    gw_official_t *no = gw_realloc(r->officials, (r->n_officials + 1) * sizeof(*no));
    if (!no) {
        free(id);
        free(name);
        return GW_ENOMEM;
    }
    r->officials = no;
    proto.id = id;
    proto.name = name;
    r->officials[r->n_officials] = proto;
    *idx = r->n_officials++;
    return GW_OK;
}

/* Marks country c as reached via `via`; with `count`, the folded span
 * [fs, fe) of field f is also a mention of it. */
static int country_via(gw_record_t *r, int32_t c, gw_via_t via, int count, int f, size_t fs, size_t fe) {
    gw_hit_t *ch = gw_record_hit(r, GW_HIT_COUNTRY, (uint32_t)c);
    if (!ch) return GW_ENOMEM;
    ch->via |= 1u << via;
    if (!count) return GW_OK;
    uint32_t s, e;
    gw_text_span(&r->text[f], fs, fe, &s, &e);
    ch->mentions++;
    return gw_record_span(r, ch, (uint8_t)f, s, e);
}

/* One mention of official idx at the folded span [fs, fe) of field f. A
 * person's mention is also one of its country, as resolve counts people;
 * a body's country was already counted at its cue. */
static int mention(gw_record_t *r, int f, size_t idx, size_t fs, size_t fe) {
    uint32_t s, e;
    gw_text_span(&r->text[f], fs, fe, &s, &e);
    gw_hit_t *h = gw_record_hit(r, GW_HIT_OFFICIAL, (uint32_t)idx);
    if (!h) return GW_ENOMEM;
    h->how = GW_HOW_TITLE_PATTERN;
    h->mentions++;
    if (gw_record_span(r, h, (uint8_t)f, s, e) != GW_OK) return GW_ENOMEM;
    const gw_official_t *o = &r->officials[idx];
    if (o->country < 0) return GW_OK;
    int person = !strcmp(o->type, "person");
    return country_via(r, o->country, person ? GW_VIA_PERSON : GW_VIA_ORGANIZATION, person, f, fs, fe);
}

static int add_person(ctx_t *c, span_t nm, const gw_tp_office_t *o, const cue_t *q) {
    gw_record_t *r = c->r;
    const gw_text_t *t = c->t;
    gw_buf_t id;
    gw_buf_init(&id);
    gw_buf_append(&id, "tp:", 3);
    slug_append(&id, t->fold + nm.start, nm.end - nm.start);
    if (id.len == 3) gw_buf_printf(&id, "x%08x", (unsigned)(nm.end - nm.start)); /* no letter survived */
    uint32_t s, e;
    gw_text_span(t, nm.start, nm.end, &s, &e);
    int id_oom = id.oom;
    char *name = gw_strndup(r->field[c->f] + s, e - s);
    char *fold = gw_strndup(t->fold + nm.start, nm.end - nm.start);
    char *ids = gw_buf_steal(&id, NULL);
    if (!name || !fold || !ids || id_oom) {
        free(name), free(fold), free(ids);
        return GW_ENOMEM;
    }
    gw_official_t proto = {.fold = fold, .fold_len = nm.end - nm.start, .title = o->title, .type = "person",
                           .code = q->igo ? "IGO" : o->code, .country = q->igo ? -1 : q->country};
    size_t idx;
    size_t before = r->n_officials;
    int rc = add_official(r, ids, name, proto, &idx);
    if (r->n_officials == before) free(fold); /* known already, full, or out of memory */
    c->last_end = nm.end;
    c->last_country = q->country;
    c->has_last = !q->igo;
    if (rc == GW_OK && idx != SIZE_MAX && q->extra)
        rc = country_via(r, q->country, GW_VIA_DEMONYM, 1, c->f, q->start, q->end);
    return rc;
}

static int add_body(ctx_t *c, const gw_tp_body_t *b, const cue_t *q, size_t fs, size_t fe) {
    gw_record_t *r = c->r;
    const gw_country_t *ct = &c->d->countries[q->country];
    gw_buf_t id, name;
    gw_buf_init(&id);
    gw_buf_init(&name);
    gw_buf_append(&id, "tp:", 3);
    slug_append(&id, ct->code, 3);
    gw_buf_printf(&id, "_%s", b->slug);
    gw_buf_printf(&name, "%s of %s", b->name, ct->name);
    if (id.oom || name.oom) {
        gw_buf_free(&id), gw_buf_free(&name);
        return GW_ENOMEM;
    }
    gw_official_t proto = {.type = b->type, .code = b->code, .country = q->country};
    size_t idx;
    int rc = add_official(r, gw_buf_steal(&id, NULL), gw_buf_steal(&name, NULL), proto, &idx);
    if (rc != GW_OK || idx == SIZE_MAX) return rc;
    if (q->extra) rc = country_via(r, q->country, GW_VIA_DEMONYM, 1, c->f, q->start, q->end);
    return rc == GW_OK ? mention(r, c->f, idx, fs, fe) : rc;
}

static int warn_name(ctx_t *c, span_t nm, const char *why) {
    uint32_t s, e;
    gw_text_span(c->t, nm.start, nm.end, &s, &e);
    char detail[200];
    int len = snprintf(detail, sizeof(detail), "%.*s: %s", (int)(e - s > 80 ? 80 : e - s), c->r->field[c->f] + s, why);
    return gw_record_warn(c->r, "unresolved_name", detail, (size_t)len) == GW_ENOMEM ? GW_ENOMEM : GW_OK;
}

/* ---- one office or body */

/* Whether an entity organisation spans the whole of [fs, fe): the
 * dictionary already knows this body ("Prime Minister's Department"). */
static int inside_dictionary_org(const ctx_t *c, size_t fs, size_t fe) {
    for (size_t k = entity_from(c, fs); k < c->e1 && c->r->ematch[k].fstart <= fs; k++) {
        const gw_match_t *m = &c->r->ematch[k];
        if (m->fstart <= fs && m->fend >= fe && etgt(c, k)->kind == GW_T_ORG) return 1;
    }
    return 0;
}

/* Is the office at os the second of "X and <office>" right after the last
 * official's name? Then it shares that official's country. */
static int joined_to_last(const ctx_t *c, const gw_tp_lang_t *lg, size_t os) {
    const char *f = c->t->fold;
    if (!c->has_last || c->last_end + 3 > os || f[c->last_end] != ' ' || f[os - 1] != ' ') return 0;
    return gw_wordset_has(&lg->conjunctions, f + c->last_end + 1, os - 2 - c->last_end);
}

/* "ambassador to Russia", "Duta Besar Malaysia ke Rusia", "посол Индонезии в
 * России": where an envoy is sent comes between the title and the name. */
static size_t skip_destination(const ctx_t *c, const gw_tp_lang_t *lg, size_t ce) {
    const gw_text_t *t = c->t;
    if (ce + 1 >= t->fold_len || t->fold[ce] != ' ' || !word_at(t, ce + 1)) return ce;
    size_t we = word_end(t, ce + 1);
    if (!gw_wordset_has(&lg->destination, t->fold + ce + 1, we - ce - 1) || we >= t->fold_len || t->fold[we] != ' ')
        return ce;
    for (size_t k = entity_from(c, we + 1); k < c->e1 && c->r->ematch[k].fstart <= we + 1; k++) {
        cue_t q = {0};
        if (c->r->ematch[k].fstart == we + 1 && cue_of_entity(c, k, &q)) return q.end;
    }
    return ce;
}

/* Start of the word of set `ws` that ends right before `s` (one space
 * between), or s when there is none. */
static size_t word_of_set_before(const gw_text_t *t, const gw_wordset_t *ws, size_t s) {
    if (s < 2 || t->fold[s - 1] != ' ' || !word_before(t, s - 1)) return s;
    size_t w = word_start(t, s - 1);
    return gw_wordset_has(ws, t->fold + w, s - 1 - w) ? w : s;
}

static int read_office(ctx_t *c, const gw_match_t *om, const gw_tp_target_t *pt) {
    const gw_text_t *t = c->t;
    const gw_tp_lang_t *lg = &c->tp->langs[pt->lang];
    const gw_tp_office_t *o = &c->tp->offices[pt->index];
    if (inside_dictionary_org(c, om->fstart, om->fend)) return GW_OK;
    cue_t q = {0};
    size_t os = word_of_set_before(t, &lg->modifiers, om->fstart); /* "Indonesia's new army chief" */
    size_t cs = os, ce = om->fend;
    if (word_of_set_before(t, &lg->former, os) != os) return GW_OK; /* "former prime minister": no role to give */
    if (cue_before(c, lg, os, om->fend, &q)) {
        cs = q.start;
        if (word_of_set_before(t, &lg->former, cs) != cs) return GW_OK; /* "former Thai prime minister" */
    }
    else if (cue_after(c, lg, om->fstart, om->fend, &q)) ce = q.end;
    ce = skip_destination(c, lg, ce);
    int len;
    int script = script_of(cp_at(t, om->fstart, &len));
    span_t nm = {0, 0}; /* set by name_after/name_before; gcc -O1 cannot see that (make valgrind) */
    int v = name_after(c, ce, script, &nm);
    if (v == NAME_NONE && lg->apposition) {
        /* "Name, [the] <cue> office[ of <cue>]" followed by a pause or the end */
        size_t s = cs;
        if (s >= 2 && t->fold[s - 1] == ' ') {
            size_t ws = word_start(t, s - 1);
            if (ws < s - 1 && gw_wordset_has(&lg->articles, t->fold + ws, s - 1 - ws)) s = ws;
        }
        int pause = ce >= t->fold_len || strchr(",.;:)!?", t->fold[ce]) != NULL;
        if (pause && s >= 3 && t->fold[s - 1] == ' ' && t->fold[s - 2] == ',') v = name_before(c, s - 2, script, &nm);
    }
    if (v != NAME_OK || dictionary_short(c, nm)) return GW_OK; /* a role mention, a body, or the dictionary's person */
    if (!q.found && o->country >= 0) q = (cue_t){.found = 1, .country = o->country};
    if (!q.found && joined_to_last(c, lg, cs)) q = (cue_t){.found = 1, .country = c->last_country};
    if (!q.found) return warn_name(c, nm, "a title without a country");
    return add_person(c, nm, o, &q);
}

static int read_body(ctx_t *c, const gw_match_t *bm, const gw_tp_target_t *pt) {
    const gw_tp_lang_t *lg = &c->tp->langs[pt->lang];
    cue_t q = {0};
    size_t cs = bm->fstart, ce = bm->fend;
    if (cue_before(c, lg, bm->fstart, bm->fend, &q)) cs = q.start;
    else if (cue_after(c, lg, bm->fstart, bm->fend, &q)) ce = q.end;
    if (!q.found || q.igo || inside_dictionary_org(c, cs, ce)) return GW_OK;
    for (size_t k = entity_from(c, cs); k < c->e1 && c->r->ematch[k].fstart < ce; k++) /* the dictionary's body overlaps: it wins */
        if (c->r->ematch[k].fstart < ce && c->r->ematch[k].fend > cs && etgt(c, k)->kind == GW_T_ORG &&
            !(c->r->ematch[k].fstart == q.start && c->r->ematch[k].fend == q.end))
            return GW_OK;
    return add_body(c, &c->tp->bodies[pt->index], &q, cs, ce);
}

/* A headline in Title Case ("Vietnam's Defence Minister Meets Russian
 * Counterpart") capitalises every word, so no name can be told from the
 * words around it there: its officials are taken from the body. */
static int title_case(const ctx_t *c) {
    const gw_text_t *t = c->t;
    int words = 0, upper = 0;
    for (size_t i = 0; i < t->fold_len;) {
        if (!word_at(t, i)) { i++; continue; }
        size_t e = word_end(t, i);
        if (e - i >= 4) {
            words++;
            upper += upper_at(c, i);
        }
        i = e;
    }
    return words >= 3 && upper * 10 >= words * 7;
}

static int read_field(ctx_t *c) {
    const gw_text_t *t = c->t;
    if (!t->fold_len || (c->f == GW_FIELD_TITLE && title_case(c))) return GW_OK;
    size_t max = c->r->max_matches;
    c->pm = gw_malloc((max ? max : 1) * sizeof(*c->pm));
    if (!c->pm) return GW_ENOMEM;
    int truncated = 0;
    c->n_pm = gw_matcher_scan(c->tp->m, t, c->pm, max, &truncated);
    c->has_last = 0;
    int rc = GW_OK;
    for (size_t k = 0; rc == GW_OK && k < c->n_pm; k++) {
        const gw_tp_target_t *pt = &c->tp->targets[c->pm[k].value];
        if (pt->kind == GW_TP_OFFICE) rc = read_office(c, &c->pm[k], pt);
        else if (pt->kind == GW_TP_BODY) rc = read_body(c, &c->pm[k], pt);
    }
    free(c->pm);
    c->pm = NULL;
    c->n_pm = 0;
    return rc;
}

/* ---- mentions */

/* Russian surnames decline ("Белоусов", "Белоусова", "Белоусовым"): the
 * endings a bare Cyrillic surname may take after its nominative. */
static int cyrillic_ending(const char *s, size_t n) {
    static const char *const endings[] = {"", "а", "у", "ым", "ом", "е", "ой", "ы", "ю", "ем", NULL};
    for (const char *const *e = endings; *e; e++)
        if (strlen(*e) == n && !memcmp(s, *e, n)) return 1;
    return 0;
}

/* Does a dictionary person claim the entity match k here? A dictionary
 * short form counts as the dictionary's only when its full name is also in
 * the item (named_full, per dictionary person). */
static int dictionary_claims(const gw_record_t *r, const gw_dict_t *d, const uint8_t *named_full, size_t k) {
    const gw_target_t *t = &d->targets[r->ematch[k].value];
    return t->kind == GW_T_PERSON || (t->kind == GW_T_PERSON_SHORT && named_full[t->index]);
}

/* Counts official idx wherever its full name, or its last word alone, is
 * written (capitalised, whole word) in either field; short forms of
 * dictionary people at those places are dropped before resolve sees them. */
static int count_mentions(gw_record_t *r, const gw_dict_t *d, size_t idx, const uint8_t *named_full, uint8_t *drop) {
    const gw_official_t *o = &r->officials[idx];
    size_t ls = o->fold_len;
    while (ls > 0 && o->fold[ls - 1] != ' ') ls--;
    const char *last = o->fold + ls;
    size_t last_len = o->fold_len - ls;
    int32_t first_cp = 0;
    gw_utf8_decode(last, last_len, 0, &first_cp);
    int cyr = script_of(first_cp) == 2;
    int bare = ls > 0; /* a mononym has no shorter form */
    for (size_t j = 0; j < r->n_officials; j++) /* a last word two officials share says neither */
        if (j != idx && r->officials[j].fold && r->officials[j].fold_len >= last_len &&
            !memcmp(r->officials[j].fold + r->officials[j].fold_len - last_len, last, last_len))
            bare = 0;
    int rc = GW_OK;
    for (int f = 0; rc == GW_OK && f < GW_FIELDS; f++) {
        const gw_text_t *t = &r->text[f];
        ctx_t c = {.r = r, .d = d, .f = f, .t = t};
        size_t kp = 0; /* entity matches are in text order: the first that may overlap a mention */
        while (kp < r->n_ematch && r->ematch_field[kp] != f) kp++;
        /* Every mention, full or bare, holds the last word: find those. */
        for (size_t i = 0; rc == GW_OK && i + last_len <= t->fold_len;) {
            const char *hit = memmem(t->fold + i, t->fold_len - i, last, last_len);
            if (!hit) break;
            size_t p = (size_t)(hit - t->fold), s0 = 0, e = 0;
            int full = 0;
            i = p + 1;
            if (word_before(t, p)) continue;
            if (p >= ls && !memcmp(t->fold + p - ls, o->fold, ls) && !word_before(t, p - ls) &&
                !word_at(t, p + last_len) && upper_at(&c, p - ls))
                s0 = p - ls, e = p + last_len, full = 1;
            else if (bare && upper_at(&c, p)) {
                size_t we = strip_possessive(t, p, word_end(t, p));
                if (we == p + last_len || (cyr && cyrillic_ending(t->fold + p + last_len, we - p - last_len)))
                    s0 = p, e = we;
            }
            if (!e) continue;
            int claimed = 0;
            while (kp < r->n_ematch && r->ematch_field[kp] == f && r->ematch[kp].fend <= s0) kp++;
            for (size_t k = kp; k < r->n_ematch && r->ematch_field[k] == f && r->ematch[k].fstart < e; k++) {
                if (r->ematch[k].fend <= s0) continue;
                const gw_target_t *kt = &d->targets[r->ematch[k].value];
                if (full ? kt->kind == GW_T_PERSON : dictionary_claims(r, d, named_full, k)) claimed = 1;
                else if (kt->kind == GW_T_PERSON_SHORT) drop[k] = 1;
            }
            if (!claimed) rc = mention(r, f, idx, s0, e);
            i = e;
        }
    }
    return rc;
}

/* Removes the entity matches officials claimed. */
static void drop_matches(gw_record_t *r, const uint8_t *drop) {
    size_t k = 0;
    for (size_t i = 0; i < r->n_ematch; i++) {
        if (drop[i]) continue;
        r->ematch[k] = r->ematch[i];
        r->ematch_field[k] = r->ematch_field[i];
        k++;
    }
    r->n_ematch = k;
}

int gw_officials_run(gw_record_t *r, const gw_env_t *env) {
    const gw_titlepat_t *tp = env->dict->titlepat;
    if (!tp) return GW_OK;
    ctx_t c = {.r = r, .d = env->dict, .tp = tp};
    int rc = GW_OK;
    for (int f = 0; rc == GW_OK && f < GW_FIELDS; f++) {
        c.f = f;
        c.t = &r->text[f];
        c.e0 = c.e1 = 0;
        while (c.e0 < r->n_ematch && r->ematch_field[c.e0] != f) c.e0++;
        c.e1 = c.e0;
        while (c.e1 < r->n_ematch && r->ematch_field[c.e1] == f) c.e1++;
        rc = read_field(&c);
    }
    uint8_t *drop = rc == GW_OK ? gw_calloc(r->n_ematch + 1, 1) : NULL;
    uint8_t *named_full = rc == GW_OK ? gw_calloc(env->dict->n_people + 1, 1) : NULL;
    if (rc == GW_OK && (!drop || !named_full)) rc = GW_ENOMEM;
    for (size_t k = 0; rc == GW_OK && k < r->n_ematch; k++) {
        const gw_target_t *t = &env->dict->targets[r->ematch[k].value];
        if (t->kind == GW_T_PERSON) named_full[t->index] = 1;
    }
    for (size_t i = 0; rc == GW_OK && i < r->n_officials; i++)
        if (r->officials[i].fold) rc = count_mentions(r, env->dict, i, named_full, drop);
    if (rc == GW_OK) drop_matches(r, drop);
    free(drop);
    free(named_full);
    return rc;
}
