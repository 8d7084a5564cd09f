/*
 * alerts.c - the alerting stage: evaluates every alert rule over the
 * enriched record, writes each firing into alerts[] and queues one compact
 * alert record (geowire.alert.v1) per firing for the alerts topic.
 *
 * A record's alerts[] always says what the rules found; only the
 * alerts-topic record is held back when dedup marks the item as a duplicate
 * of a story already alerted (r->dedup_suppress_alert).
 */
#include "geowire/common.h"
#include "geowire/processor.h"
#include "geowire/serialize.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Appends a string literal without counting its bytes by hand. */
#define APPEND(b, lit) gw_buf_append((b), (lit), sizeof(lit) - 1)

typedef struct {
    const gw_record_t *r;
    const gw_dict_t *d;
    uint8_t *hit;    /* per r->hits: satisfied a leaf that made the rule hold */
    uint8_t *pair;   /* per r->pairs */
} eval_t;

static int in_set(const gw_idset_t *s, uint32_t v) {
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == v) return 1;
    return 0;
}

/* Whether e (a country index, or a bloc index | GW_PAIR_BLOC as in pairs)
 * is one of the parties: a listed country, a listed bloc itself, or a
 * member state of a listed bloc on the story's date. */
static int is_party(const eval_t *E, const gw_idset_t *parties, uint32_t e) {
    for (size_t i = 0; i < parties->n; i++) {
        uint32_t p = parties->v[i];
        if (!(p & GW_RULE_BLOC)) {
            if (e == p) return 1;
        } else if (e & GW_PAIR_BLOC) {
            if ((e & ~GW_PAIR_BLOC) == (p & ~GW_RULE_BLOC)) return 1;
        } else if (gw_dict_member_at(&E->d->blocs[p & ~GW_RULE_BLOC], e, E->r->day)) {
            return 1;
        }
    }
    return 0;
}

static int in_strs(char *const *v, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0) return 1;
    return 0;
}

/* Salience and scores are written with three decimals; a threshold compares
 * with what the analyst sees in the record, not with the hidden digits. */
static int at_least(double v, double min) { return v + 5e-4 >= min; }

static int actor_hit(const eval_t *E, const gw_cond_t *c, const gw_hit_t *h) {
    const gw_dict_t *d = E->d;
    uint32_t id;
    const char *type, *code = NULL;
    int32_t country;
    if (h->kind == GW_HIT_PERSON) {
        const gw_person_t *p = &d->people[h->index];
        const gw_role_t *role = gw_dict_role_at(p, E->r->day);
        id = h->index, type = "person", country = (int32_t)p->country;
        if (role) code = role->code;
    } else {
        const gw_org_t *o = &d->orgs[h->index];
        id = h->index | GW_RULE_ORG, type = o->type, country = o->country, code = o->code;
    }
    return (!c->ids.n || in_set(&c->ids, id)) && (!c->n_strs || in_strs(c->strs, c->n_strs, type)) &&
           (!c->n_codes || (code && in_strs(c->codes, c->n_codes, code))) &&
           (!c->parties.n || (country >= 0 && is_party(E, &c->parties, (uint32_t)country))) &&
           at_least(h->salience, c->min);
}

/* Whether one hit satisfies a country, bloc, actor or theme leaf. */
static int leaf_hit(const eval_t *E, const gw_cond_t *c, const gw_hit_t *h) {
    switch (c->kind) {
    case GW_COND_COUNTRY:
        if (h->kind != GW_HIT_COUNTRY || (c->ids.n && !in_set(&c->ids, h->index))) return 0;
        if (c->role >= 0 && !!h->actor != c->role) return 0;
        if (c->member_of.n) {
            int member = 0;
            for (size_t i = 0; i < c->member_of.n && !member; i++)
                member = gw_dict_member_at(&E->d->blocs[c->member_of.v[i]], h->index, E->r->day);
            if (!member) return 0;
        }
        return at_least(h->salience, c->min);
    case GW_COND_BLOC:
        return h->kind == GW_HIT_BLOC && (!c->ids.n || in_set(&c->ids, h->index)) &&
               (c->named < 0 || !!h->named == c->named);
    case GW_COND_ACTOR:
        return (h->kind == GW_HIT_PERSON || h->kind == GW_HIT_ORG) && actor_hit(E, c, h);
    case GW_COND_THEME:
        return h->kind == GW_HIT_THEME && h->actor /* fired */ && (!c->ids.n || in_set(&c->ids, h->index)) &&
               at_least(h->salience, c->min);
    default: return 0;
    }
}

static int pair_hit(const eval_t *E, const gw_cond_t *c, const gw_pair_t *p) {
    if (p->sentences < c->min_sentences) return 0;
    return (is_party(E, &c->side[0], p->a) && is_party(E, &c->side[1], p->b)) ||
           (is_party(E, &c->side[0], p->b) && is_party(E, &c->side[1], p->a));
}

/* Whether c holds for the record. Pure: marks nothing. */
static int holds(const eval_t *E, const gw_cond_t *c) {
    const gw_record_t *r = E->r;
    switch (c->kind) {
    case GW_COND_ALL:
        for (size_t i = 0; i < c->n_kids; i++)
            if (!holds(E, c->kids[i])) return 0;
        return 1;
    case GW_COND_ANY:
        for (size_t i = 0; i < c->n_kids; i++)
            if (holds(E, c->kids[i])) return 1;
        return 0;
    case GW_COND_NOT: return !holds(E, c->kids[0]);
    case GW_COND_LANG: return in_strs(c->strs, c->n_strs, r->lang);
    case GW_COND_SOURCE:
        for (size_t i = 0; r->source && i < c->n_strs; i++)
            if (strcasecmp(c->strs[i], r->source) == 0) return 1;
        return 0;
    case GW_COND_PAIR:
        for (size_t i = 0; i < r->n_pairs; i++)
            if (pair_hit(E, c, &r->pairs[i])) return 1;
        return 0;
    default:
        for (size_t i = 0; i < r->n_hits; i++)
            if (leaf_hit(E, c, &r->hits[i])) return 1;
        return 0;
    }
}

/* Marks what made c hold (c must hold): every item satisfying a leaf on a
 * path that holds. Under `any` every child that holds contributes, so the
 * reason names all the evidence; under `not` nothing does. The cost stays
 * linear in the rule's size times its depth. */
static void collect(eval_t *E, const gw_cond_t *c) {
    const gw_record_t *r = E->r;
    switch (c->kind) {
    case GW_COND_ALL:
        for (size_t i = 0; i < c->n_kids; i++) collect(E, c->kids[i]);
        return;
    case GW_COND_ANY:
        for (size_t i = 0; i < c->n_kids; i++)
            if (holds(E, c->kids[i])) collect(E, c->kids[i]);
        return;
    case GW_COND_NOT:
    case GW_COND_LANG:
    case GW_COND_SOURCE: return;
    case GW_COND_PAIR:
        for (size_t i = 0; i < r->n_pairs; i++)
            if (pair_hit(E, c, &r->pairs[i])) E->pair[i] = 1;
        return;
    default:
        for (size_t i = 0; i < r->n_hits; i++)
            if (leaf_hit(E, c, &r->hits[i])) E->hit[i] = 1;
    }
}

static const char *pair_code(const gw_dict_t *d, uint32_t id) {
    return id & GW_PAIR_BLOC ? d->blocs[id & ~GW_PAIR_BLOC].code : d->countries[id].code;
}

static const char *hit_id(const gw_dict_t *d, const gw_hit_t *h) {
    switch (h->kind) {
    case GW_HIT_COUNTRY: return d->countries[h->index].code;
    case GW_HIT_PERSON: return d->people[h->index].id;
    case GW_HIT_ORG: return d->orgs[h->index].id;
    case GW_HIT_BLOC: return d->blocs[h->index].code;
    default: return d->themes[h->index].id;
    }
}

/* The marked hits of one family, most salient first, ties by id: the same
 * order every time, so records stay byte-identical on replay. */
static size_t marked(const eval_t *E, gw_hit_kind_t k1, gw_hit_kind_t k2, const gw_hit_t **out) {
    size_t n = 0;
    for (size_t i = 0; i < E->r->n_hits; i++) {
        const gw_hit_t *h = &E->r->hits[i];
        if (!E->hit[i] || (h->kind != k1 && h->kind != k2)) continue;
        size_t j = n++;
        for (; j > 0; j--) {
            const gw_hit_t *p = out[j - 1];
            int before = h->salience > p->salience + 1e-9 ||
                         (h->salience > p->salience - 1e-9 && strcmp(hit_id(E->d, h), hit_id(E->d, p)) < 0);
            if (!before) break;
            out[j] = p;
        }
        out[j] = h;
    }
    return n;
}

static void id_list(gw_buf_t *b, const char *key, const eval_t *E, const gw_hit_t **hs, size_t n) {
    gw_buf_printf(b, "\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        const char *id = hit_id(E->d, hs[i]);
        if (i) gw_buf_putc(b, ',');
        gw_json_str(b, id, strlen(id));
    }
    gw_buf_putc(b, ']');
}

/* matched: {countries, blocs, pairs, actors, themes}, each what satisfied
 * the rule, and the human reason that says the same in one line. */
static void write_matched(const eval_t *E, const gw_rule_t *rule, gw_buf_t *matched, gw_buf_t *reason,
                          const gw_hit_t **hs) {
    const gw_dict_t *d = E->d;
    const gw_record_t *r = E->r;
    gw_buf_append(reason, rule->description, strlen(rule->description));
    const char *sep = ": ";

    gw_buf_putc(matched, '{');
    size_t n = marked(E, GW_HIT_COUNTRY, GW_HIT_COUNTRY, hs);
    id_list(matched, "countries", E, hs, n);
    for (size_t i = 0; i < n; i++) {
        gw_buf_printf(reason, "%s%s %s (salience %.2f)", i ? ", " : sep, d->countries[hs[i]->index].name,
                      hs[i]->actor ? "acts" : "is mentioned", hs[i]->salience);
        sep = "; ";
    }
    n = marked(E, GW_HIT_BLOC, GW_HIT_BLOC, hs);
    gw_buf_putc(matched, ',');
    id_list(matched, "blocs", E, hs, n);
    for (size_t i = 0; i < n; i++) {
        gw_buf_printf(reason, "%s%s %s", i ? ", " : sep, d->blocs[hs[i]->index].code,
                      hs[i]->named ? "named" : "implied by its members");
        sep = "; ";
    }
    APPEND(matched, ",\"pairs\":[");
    int first = 1;
    for (size_t i = 0; i < r->n_pairs; i++) {
        if (!E->pair[i]) continue;
        const char *a = pair_code(d, r->pairs[i].a), *c = pair_code(d, r->pairs[i].b);
        if (strcmp(a, c) > 0) { const char *t = a; a = c; c = t; }
        gw_buf_printf(matched, "%s{\"a\":\"%s\",\"b\":\"%s\",\"sentences\":%d}", first ? "" : ",", a, c,
                      r->pairs[i].sentences);
        gw_buf_printf(reason, "%s%s and %s named together in %d sentence%s", first ? sep : ", ", a, c,
                      r->pairs[i].sentences, r->pairs[i].sentences == 1 ? "" : "s");
        first = 0;
        sep = "; ";
    }
    APPEND(matched, "],");
    n = marked(E, GW_HIT_PERSON, GW_HIT_ORG, hs);
    id_list(matched, "actors", E, hs, n);
    for (size_t i = 0; i < n; i++) {
        const char *name = hs[i]->kind == GW_HIT_PERSON ? d->people[hs[i]->index].name : d->orgs[hs[i]->index].name;
        gw_buf_printf(reason, "%s%s", i ? ", " : sep, i ? "" : "actors ");
        gw_buf_append(reason, name, strlen(name));
        sep = "; ";
    }
    n = marked(E, GW_HIT_THEME, GW_HIT_THEME, hs);
    gw_buf_putc(matched, ',');
    id_list(matched, "themes", E, hs, n);
    for (size_t i = 0; i < n; i++) {
        gw_buf_printf(reason, "%s%s%s %.2f", i ? ", " : sep, i ? "" : "themes ", d->themes[hs[i]->index].id,
                      hs[i]->salience);
        sep = "; ";
    }
    gw_buf_putc(matched, '}');
}

static void str_or_null(gw_buf_t *b, const char *s) {
    if (s) gw_json_str(b, s, strlen(s));
    else APPEND(b, "null");
}

/* The alerts-topic record: what an analyst's pager needs, nothing more. */
static int emit_alert(gw_record_t *r, const gw_env_t *env, const gw_rule_t *rule, const gw_buf_t *matched,
                      const gw_buf_t *reason, gw_buf_t *out) {
    gw_buf_reset(out);
    APPEND(out, "{\"schema\":\"" GW_ALERT_SCHEMA "\",\"rule\":");
    gw_json_str(out, rule->id, strlen(rule->id));
    APPEND(out, ",\"reason\":");
    gw_json_str(out, reason->data, reason->len);
    APPEND(out, ",\"item_id\":");
    str_or_null(out, r->id);
    APPEND(out, ",\"title\":");
    gw_json_str(out, r->field[GW_FIELD_TITLE] ? r->field[GW_FIELD_TITLE] : "", r->field_len[GW_FIELD_TITLE]);
    APPEND(out, ",\"url\":");
    str_or_null(out, r->url);
    APPEND(out, ",\"source\":");
    str_or_null(out, r->source);
    gw_buf_printf(out, ",\"published_at\":\"%s\",\"date_basis\":\"%s\",\"lang\":\"%s\",\"matched\":", r->published,
                  r->date_from_ingest ? "ingest" : "published_at", r->lang);
    gw_buf_append(out, matched->data, matched->len);
    APPEND(out, ",\"cluster\":");
    str_or_null(out, r->dedup.cluster);
    APPEND(out, ",\"rules_version\":");
    gw_json_str(out, env->rules->version, strlen(env->rules->version));
    gw_buf_putc(out, '}');
    if (out->oom) return GW_ENOMEM;
    return gw_record_emit(r, GW_EMIT_ALERT, out->data, out->len);
}

int gw_alerts_run(gw_record_t *r, const gw_env_t *env) {
    const gw_rules_t *rules = env->rules;
    if (!rules || !rules->n_rules) return GW_OK;
    eval_t E = {.r = r, .d = env->dict};
    uint8_t *marks = gw_calloc(r->n_hits + r->n_pairs + 1, 1);
    const gw_hit_t **hs = gw_malloc((r->n_hits + 1) * sizeof(*hs));
    gw_buf_t matched, reason, rec;
    gw_buf_init(&matched);
    gw_buf_init(&reason);
    gw_buf_init(&rec);
    int rc = marks && hs ? GW_OK : GW_ENOMEM;
    E.hit = marks;
    E.pair = marks ? marks + r->n_hits : NULL;
    for (size_t i = 0; rc == GW_OK && i < rules->n_rules; i++) {
        const gw_rule_t *rule = &rules->rules[i];
        if (!holds(&E, rule->when)) continue;
        memset(marks, 0, r->n_hits + r->n_pairs);
        collect(&E, rule->when);
        gw_buf_reset(&matched);
        gw_buf_reset(&reason);
        write_matched(&E, rule, &matched, &reason, hs);
        gw_buf_t *a = &r->alerts;
        if (r->n_alerts) gw_buf_putc(a, ',');
        if (gw_record_alert(r, rule->id) != GW_OK) {
            rc = GW_ENOMEM;
            continue;
        }
        APPEND(a, "{\"rule\":");
        gw_json_str(a, rule->id, strlen(rule->id));
        APPEND(a, ",\"reason\":");
        gw_json_str(a, reason.data, reason.len);
        APPEND(a, ",\"matched\":");
        gw_buf_append(a, matched.data, matched.len);
        gw_buf_putc(a, '}');
        if (a->oom || matched.oom || reason.oom) rc = GW_ENOMEM;
        else if (!r->dedup_suppress_alert) rc = emit_alert(r, env, rule, &matched, &reason, &rec);
    }
    gw_buf_free(&matched);
    gw_buf_free(&reason);
    gw_buf_free(&rec);
    free(marks);
    free(hs);
    return rc;
}
