/*
 * serialize.c - writes the enriched record (schema geowire.record.v1).
 *
 * Output is deterministic: keys in a fixed order, arrays sorted by a total
 * order, numbers with fixed precision, no processing time. The same item
 * with the same dictionaries gives the same bytes, so a replay after a
 * crash is recognisable downstream. Every key is always present.
 */
#include "geowire/common.h"
#include "geowire/dedup.h"
#include "geowire/processor.h"
#include "geowire/serialize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const field_names[GW_FIELDS] = {"title", "body"};
static const char *const how_names[] = {"full", "alias", "title_name", "short", "title_pattern"};
static const double how_confidence[] = {0.95, 0.85, 0.9, 0.75, 0.7};

/* Plain appends, no printf: printf parses its format on every call and was
 * most of this stage's cost.
 * Scores go through gw_buf_fixed, which rounds exactly as printf does. */
static void put(gw_buf_t *b, const char *s) { gw_buf_append(b, s, strlen(s)); }
/* A literal's length is known when compiling, so its append is a fixed copy. */
#define PUT(b, lit) gw_buf_append((b), (lit), sizeof(lit) - 1)

static void put_int(gw_buf_t *b, long long v) {
    char t[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do t[sizeof t - ++n] = (char)('0' + u % 10); while (u /= 10);
    if (v < 0) t[sizeof t - ++n] = '-';
    gw_buf_append(b, t + sizeof t - n, n);
}

static void str_or_null(gw_buf_t *b, const char *s) {
    if (s) gw_json_str(b, s, strlen(s));
    else gw_buf_append(b, "null", 4);
}

static void date_or_null(gw_buf_t *b, int32_t day) {
    if (day == GW_DATE_NONE) { gw_buf_append(b, "null", 4); return; }
    char d[11];
    gw_date_format(day, d);
    gw_buf_putc(b, '"');
    put(b, d);
    gw_buf_putc(b, '"');
}

/* Spans are most of a record's pieces, so they are written in place, into
 * room reserved once, rather than through an append call each. */
#define SPAN_MAX 64 /* {"field":"title","start":4294967295,"end":4294967295}, */

static char *put_at(char *o, const char *s, size_t n) {
    memcpy(o, s, n);
    return o + n;
}

/* Two digits a step: offsets are most of a record's numbers. */
static char *uint_at(char *o, uint32_t v) {
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char t[10];
    size_t n = sizeof t;
    while (v >= 100) {
        n -= 2;
        memcpy(t + n, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        n -= 2;
        memcpy(t + n, pairs + 2 * v, 2);
    } else t[--n] = (char)('0' + v);
    memcpy(o, t + n, sizeof t - n);
    return o + (sizeof t - n);
}

/* "field":"title","start":N,"end":N} after a term or the opening brace,
 * at o (SPAN_MAX bytes of room); returns the end. */
static char *span_tail_at(char *o, const gw_span_t *s) {
    const char *f = field_names[s->field];
    o = put_at(o, "\"field\":\"", 9);
    o = put_at(o, f, strlen(f));
    o = put_at(o, "\",\"start\":", 10);
    o = uint_at(o, s->start);
    o = put_at(o, ",\"end\":", 7);
    o = uint_at(o, s->end);
    *o++ = '}';
    return o;
}

/* Ends an in-place write at o. */
static void written(gw_buf_t *b, char *o) {
    b->len = (size_t)(o - b->data);
    *o = '\0';
}

static void span_tail(gw_buf_t *b, const gw_span_t *s) {
    if (gw_buf_reserve(b, SPAN_MAX) == GW_OK) written(b, span_tail_at(b->data + b->len, s));
}

static void spans(gw_buf_t *b, const gw_hit_t *h) {
    if (gw_buf_reserve(b, 2 + h->n_spans * SPAN_MAX) != GW_OK) return;
    char *o = b->data + b->len;
    *o++ = '[';
    for (size_t k = 0; k < h->n_spans; k++) {
        if (k) *o++ = ',';
        *o++ = '{';
        o = span_tail_at(o, &h->spans[k]);
    }
    *o++ = ']';
    written(b, o);
}

static const gw_dict_t *sort_dict; /* qsort has no context argument; set per call under the record's thread */
static const gw_record_t *sort_rec;

static const char *hit_key(const gw_hit_t *h) {
    const gw_dict_t *d = sort_dict;
    switch (h->kind) {
    case GW_HIT_COUNTRY: return d->countries[h->index].code;
    case GW_HIT_PERSON: return d->people[h->index].id;
    case GW_HIT_ORG: return d->orgs[h->index].id;
    case GW_HIT_BLOC: return d->blocs[h->index].code;
    case GW_HIT_OFFICIAL: return sort_rec->officials[h->index].id;
    default: return d->themes[h->index].id;
    }
}

/* Most salient first; ties by id, so the order is total. */
static int by_salience(const void *a, const void *b) {
    const gw_hit_t *x = *(const gw_hit_t *const *)a, *y = *(const gw_hit_t *const *)b;
    double sx = x->salience, sy = y->salience;
    if (sx > sy + 1e-9) return -1;
    if (sy > sx + 1e-9) return 1;
    return strcmp(hit_key(x), hit_key(y));
}

/* The hits whose kind is in the bit set `kinds`, most salient first. */
static size_t collect(const gw_record_t *r, unsigned kinds, const gw_hit_t **out) {
    size_t n = 0;
    for (size_t i = 0; i < r->n_hits; i++)
        if (kinds & (1u << r->hits[i].kind)) {
            if (r->hits[i].kind == GW_HIT_THEME && !r->hits[i].actor) continue; /* not fired */
            out[n++] = &r->hits[i];
        }
    qsort(out, n, sizeof(*out), by_salience);
    return n;
}

static void write_countries(gw_buf_t *b, const gw_record_t *r, const gw_dict_t *d, const gw_hit_t **hs) {
    size_t n = collect(r, 1u << GW_HIT_COUNTRY, hs);
    gw_buf_append(b, ",\"countries\":[", 14);
    for (size_t i = 0; i < n; i++) {
        const gw_hit_t *h = hs[i];
        const gw_country_t *c = &d->countries[h->index];
        if (i) gw_buf_putc(b, ',');
        PUT(b, "{\"code\":\"");
        put(b, c->code);
        PUT(b, "\",\"name\":");
        gw_json_str(b, c->name, strlen(c->name));
        PUT(b, ",\"mentions\":");
        put_int(b, h->mentions);
        PUT(b, ",\"salience\":");
        gw_buf_fixed(b, h->salience, 3);
        if (h->actor) PUT(b, ",\"role\":\"actor\",\"via\":[");
        else PUT(b, ",\"role\":\"mention\",\"via\":[");
        int first = 1;
        for (int v = 0; v < GW_VIA__COUNT; v++)
            if (h->via & (1u << v)) {
                if (first) PUT(b, "\"");
                else PUT(b, ",\"");
                put(b, gw_via_name((gw_via_t)v));
                gw_buf_putc(b, '"');
                first = 0;
            }
        gw_buf_append(b, "],\"spans\":", 10);
        spans(b, h);
        gw_buf_putc(b, '}');
    }
    gw_buf_putc(b, ']');
}

static void write_actor(gw_buf_t *b, const gw_record_t *r, const gw_dict_t *d, const gw_hit_t *h) {
    const char *id, *name, *type, *code = NULL;
    int32_t country;
    const gw_role_t *role = NULL;
    gw_role_t read_role; /* an official's role, as its title says: no dates */
    if (h->kind == GW_HIT_OFFICIAL) {
        const gw_official_t *o = &r->officials[h->index];
        id = o->id, name = o->name, type = o->type, country = o->country, code = o->code;
        if (o->title) {
            read_role = (gw_role_t){.title = (char *)o->title, .since = GW_DATE_NONE, .until = GW_DATE_NONE};
            snprintf(read_role.code, sizeof(read_role.code), "%s", o->code);
            role = &read_role;
        }
    } else if (h->kind == GW_HIT_PERSON) {
        const gw_person_t *p = &d->people[h->index];
        id = p->id, name = p->name, type = "person", country = (int32_t)p->country;
        role = gw_dict_role_at(p, r->day);
        if (role) code = role->code;
    } else {
        const gw_org_t *o = &d->orgs[h->index];
        id = o->id, name = o->name, type = o->type, country = o->country, code = o->code;
    }
    gw_buf_append(b, "{\"id\":", 6);
    gw_json_str(b, id, strlen(id));
    gw_buf_append(b, ",\"name\":", 8);
    gw_json_str(b, name, strlen(name));
    PUT(b, ",\"type\":\"");
    put(b, type);
    PUT(b, "\",\"country\":");
    str_or_null(b, country >= 0 ? d->countries[country].code : NULL);
    gw_buf_append(b, ",\"role\":", 8);
    if (role) {
        gw_buf_append(b, "{\"title\":", 9);
        gw_json_str(b, role->title, strlen(role->title));
        PUT(b, ",\"code\":\"");
        put(b, role->code);
        PUT(b, "\",\"since\":");
        date_or_null(b, role->since);
        gw_buf_append(b, ",\"until\":", 9);
        date_or_null(b, role->until);
        gw_buf_putc(b, '}');
    } else {
        gw_buf_append(b, "null", 4);
    }
    /* CAMEO-style composite code: the country then the agent code; a body
     * of no country is rooted at IGO (UN bodies: IGO + UNO). */
    if (country < 0 && code && strcmp(code, "IGO") == 0) code = NULL;
    PUT(b, ",\"cameo\":\"");
    put(b, country >= 0 ? d->countries[country].code : "IGO");
    if (code) put(b, code);
    gw_buf_putc(b, '"');
    PUT(b, ",\"match\":\"");
    put(b, how_names[h->how]);
    PUT(b, "\",\"confidence\":");
    gw_buf_fixed(b, how_confidence[h->how], 2);
    PUT(b, ",\"mentions\":");
    put_int(b, h->mentions);
    PUT(b, ",\"salience\":");
    gw_buf_fixed(b, h->salience, 3);
    PUT(b, ",\"spans\":");
    spans(b, h);
    gw_buf_putc(b, '}');
}

static void write_blocs(gw_buf_t *b, const gw_record_t *r, const gw_dict_t *d, const gw_hit_t **hs) {
    size_t n = 0;
    for (size_t i = 0; i < r->n_hits; i++)
        if (r->hits[i].kind == GW_HIT_BLOC) hs[n++] = &r->hits[i];
    /* by code: blocs carry no salience of their own */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(d->blocs[hs[j - 1]->index].code, d->blocs[hs[j]->index].code) > 0; j--) {
            const gw_hit_t *t = hs[j];
            hs[j] = hs[j - 1];
            hs[j - 1] = t;
        }
    /* The item's countries in index order, which is code order (the table
     * is sorted by code): members are listed by walking this once per bloc
     * instead of the whole country table. */
    uint32_t *cs = n ? gw_malloc((r->n_hits ? r->n_hits : 1) * sizeof(*cs)) : NULL;
    size_t nc = 0;
    if (n && !cs) { b->oom = 1; return; }
    for (size_t k = 0; n && k < r->n_hits; k++)
        if (r->hits[k].kind == GW_HIT_COUNTRY) {
            size_t j = nc++;
            for (; j > 0 && cs[j - 1] > r->hits[k].index; j--) cs[j] = cs[j - 1];
            cs[j] = r->hits[k].index;
        }
    gw_buf_append(b, ",\"blocs\":[", 10);
    for (size_t i = 0; i < n; i++) {
        const gw_bloc_t *bl = &d->blocs[hs[i]->index];
        if (i) gw_buf_putc(b, ',');
        PUT(b, "{\"code\":");
        gw_json_str(b, bl->code, strlen(bl->code));
        gw_buf_append(b, ",\"name\":", 8);
        gw_json_str(b, bl->name, strlen(bl->name));
        if (hs[i]->named) PUT(b, ",\"named\":true,\"members_mentioned\":[");
        else PUT(b, ",\"named\":false,\"members_mentioned\":[");
        /* countries in code order: the country table is sorted by code */
        int first = 1;
        for (size_t k = 0; k < nc; k++)
            if (gw_dict_member_at(bl, cs[k], r->day)) {
                if (first) PUT(b, "\"");
                else PUT(b, ",\"");
                put(b, d->countries[cs[k]].code);
                gw_buf_putc(b, '"');
                first = 0;
            }
        gw_buf_append(b, "]}", 2);
    }
    gw_buf_putc(b, ']');
    free(cs);
}

const char *gw_party_code(const gw_dict_t *d, uint32_t id) {
    return id & GW_PAIR_BLOC ? d->blocs[id & ~GW_PAIR_BLOC].code : d->countries[id].code;
}

static void write_pairs(gw_buf_t *b, const gw_record_t *r, const gw_dict_t *d) {
    size_t n = r->n_pairs;
    size_t *ord = gw_malloc((n ? n : 1) * sizeof(*ord));
    gw_buf_append(b, ",\"pairs\":[", 10);
    if (!ord) { b->oom = 1; return; }
    for (size_t i = 0; i < n; i++) ord[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            const gw_pair_t *x = &r->pairs[ord[j - 1]], *y = &r->pairs[ord[j]];
            const char *xa = gw_party_code(d, x->a), *xb = gw_party_code(d, x->b);
            const char *ya = gw_party_code(d, y->a), *yb = gw_party_code(d, y->b);
            const char *x1 = strcmp(xa, xb) < 0 ? xa : xb, *x2 = strcmp(xa, xb) < 0 ? xb : xa;
            const char *y1 = strcmp(ya, yb) < 0 ? ya : yb, *y2 = strcmp(ya, yb) < 0 ? yb : ya;
            int c = strcmp(x1, y1);
            if (c < 0 || (c == 0 && strcmp(x2, y2) <= 0)) break;
            size_t t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        const gw_pair_t *p = &r->pairs[ord[i]];
        const char *a = gw_party_code(d, p->a), *c = gw_party_code(d, p->b);
        if (strcmp(a, c) > 0) { const char *t = a; a = c; c = t; }
        if (i) gw_buf_putc(b, ',');
        PUT(b, "{\"a\":\"");
        put(b, a);
        PUT(b, "\",\"b\":\"");
        put(b, c);
        PUT(b, "\",\"sentences\":");
        put_int(b, p->sentences);
        gw_buf_putc(b, '}');
    }
    gw_buf_putc(b, ']');
    free(ord);
}

static void write_themes(gw_buf_t *b, const gw_record_t *r, const gw_dict_t *d, const gw_hit_t **hs) {
    size_t n = collect(r, 1u << GW_HIT_THEME, hs);
    gw_buf_append(b, ",\"themes\":[", 11);
    for (size_t i = 0; i < n; i++) {
        const gw_hit_t *h = hs[i];
        if (i) gw_buf_putc(b, ',');
        PUT(b, "{\"id\":\"");
        put(b, d->themes[h->index].id);
        PUT(b, "\",\"score\":");
        gw_buf_fixed(b, h->salience, 3);
        PUT(b, ",\"hits\":");
        put_int(b, h->mentions);
        PUT(b, ",\"evidence\":[");
        for (size_t k = 0; k < h->n_spans; k++) {
            const gw_span_t *s = &h->spans[k];
            gw_buf_append(b, k ? ",{\"term\":" : "{\"term\":", k ? 9 : 8);
            gw_json_str(b, r->field[s->field] + s->start, s->end - s->start);
            gw_buf_putc(b, ',');
            span_tail(b, s);
        }
        gw_buf_append(b, "]}", 2);
    }
    gw_buf_putc(b, ']');
}

void gw_serialize_head(gw_buf_t *b, const char *id) {
    static const char head[] = "{\"schema\":\"" GW_RECORD_SCHEMA "\",\"id\":";
    gw_buf_append(b, head, sizeof(head) - 1);
    str_or_null(b, id);
}

int gw_serialize_run(gw_record_t *r, const gw_env_t *env) {
    const gw_dict_t *d = env->dict;
    gw_buf_t *b = &r->out;
    const gw_hit_t **hs = gw_malloc((r->n_hits ? r->n_hits : 1) * sizeof(*hs));
    if (!hs) return GW_ENOMEM;
    sort_dict = d;
    sort_rec = r;
    gw_buf_reset(b);
    gw_serialize_head(b, r->id);
    gw_buf_append(b, ",\"title\":", 9);
    gw_json_str(b, r->field[GW_FIELD_TITLE], r->field_len[GW_FIELD_TITLE]);
    gw_buf_append(b, ",\"source\":", 10);
    str_or_null(b, r->source);
    gw_buf_append(b, ",\"url\":", 7);
    str_or_null(b, r->url);
    PUT(b, ",\"published_at\":\"");
    put(b, r->published);
    if (r->date_from_ingest) PUT(b, "\",\"date_basis\":\"ingest\",\"lang\":\"");
    else PUT(b, "\",\"date_basis\":\"published_at\",\"lang\":\"");
    put(b, r->lang);
    PUT(b, "\",\"langs\":[");
    for (size_t i = 0; i < r->n_langs; i++) {
        if (i) gw_buf_putc(b, ',');
        PUT(b, "{\"lang\":\"");
        put(b, r->langs[i].lang);
        PUT(b, "\",\"paragraphs\":");
        put_int(b, r->langs[i].paragraphs);
        gw_buf_putc(b, '}');
    }
    gw_buf_putc(b, ']');
    write_countries(b, r, d, hs);
    size_t n = collect(r, 1u << GW_HIT_PERSON | 1u << GW_HIT_ORG | 1u << GW_HIT_OFFICIAL, hs);
    gw_buf_append(b, ",\"actors\":[", 11);
    for (size_t i = 0; i < n; i++) {
        if (i) gw_buf_putc(b, ',');
        write_actor(b, r, d, hs[i]);
    }
    gw_buf_putc(b, ']');
    write_blocs(b, r, d, hs);
    write_pairs(b, r, d);
    write_themes(b, r, d, hs);
    gw_buf_append(b, ",\"alerts\":[", 11);
    if (r->alerts.len) gw_buf_append(b, r->alerts.data, r->alerts.len);
    static const char tail[] = "],\"dedup\":{\"cluster\":";
    gw_buf_append(b, tail, sizeof(tail) - 1);
    str_or_null(b, r->dedup.cluster);
    gw_buf_append(b, ",\"duplicate_of\":", 16);
    str_or_null(b, r->dedup.duplicate_of);
    if (r->dedup.is_duplicate) PUT(b, ",\"is_duplicate\":true,\"status\":\"");
    else PUT(b, ",\"is_duplicate\":false,\"status\":\"");
    put(b, gw_story_status_name((gw_story_status_t)r->dedup.status));
    PUT(b, "\"}");
    gw_buf_append(b, ",\"warnings\":[", 13);
    if (r->warnings.len) gw_buf_append(b, r->warnings.data, r->warnings.len);
    gw_buf_append(b, "],\"tagger\":{\"version\":\"" GW_VERSION "\",\"dictionaries\":{\"version\":",
                  sizeof("],\"tagger\":{\"version\":\"" GW_VERSION "\",\"dictionaries\":{\"version\":") - 1);
    gw_json_str(b, d->version, strlen(d->version));
    PUT(b, ",\"as_of\":\"");
    put(b, d->as_of);
    PUT(b, "\"}}}");
    free(hs);
    if (b->oom) return GW_ENOMEM;
    if (b->len > r->max_record_bytes)
        return gw_record_reject(r, GW_REASON_RECORD_TOO_LARGE, "enriched record of %zu bytes exceeds max_record_bytes %zu",
                                b->len, r->max_record_bytes);
    return GW_OK;
}
