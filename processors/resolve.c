/*
 * resolve.c - turns entity matches into countries, people, organisations,
 * blocs and country pairs, deciding what each ambiguous string means here.
 *
 * Two passes. The first notes what the item establishes anywhere: which
 * people are named in full, which countries are named unambiguously, which
 * context terms occur. The second resolves each match against that: a bare
 * "Anwar" counts only if "Anwar Ibrahim" (or "Prime Minister Anwar") is in
 * the item, "Georgia" only if something else in the item says the country.
 */
#include "geowire/common.h"
#include "geowire/processor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Evidence weights: a headline names what the story is about; a lead
 * paragraph nearly so; a dateline only where it was filed. */
#define W_TITLE 3.0
#define W_LEAD 2.0
#define W_BODY 1.0
#define W_DATELINE 0.2

typedef struct {
    uint8_t *person_full;   /* per person: named in full somewhere */
    uint8_t *country_seen;  /* per country: an unambiguous reference */
    uint8_t *context_seen;  /* per ambiguity rule: a confirming term */
} seen_t;

static const gw_target_t *tgt(const gw_env_t *env, const gw_match_t *m) {
    return &env->dict->targets[m->value];
}

static double weight_at(const gw_record_t *r, int field, uint32_t start, int *dateline) {
    *dateline = 0;
    if (field == GW_FIELD_TITLE) return W_TITLE;
    if (start < r->dateline_end) { *dateline = 1; return W_DATELINE; }
    return start < r->lead_end ? W_LEAD : W_BODY;
}

static int is_upper_at(const char *s, size_t n, size_t i) {
    int32_t cp;
    gw_utf8_decode(s, n, i, &cp);
    return cp >= 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_LU;
}

/* Is there a capitalised word right before `start` (one space between) that
 * does not begin its sentence? "Michael Jordan" yes, "In Jordan" no. */
static int capitalised_before(const gw_record_t *r, int f, uint32_t start) {
    const char *s = r->field[f];
    if (start < 2 || s[start - 1] != ' ') return 0;
    size_t e = start - 1, b = e;
    while (b > 0 && s[b - 1] != ' ' && s[b - 1] != '\n' && s[b - 1] != '"' && s[b - 1] != '(') b--;
    if (b == e || !is_upper_at(s, r->field_len[f], b)) return 0;
    for (size_t k = b; k < e; k++)
        if (s[k] == ',' || s[k] == '.' || s[k] == ';' || s[k] == ':') return 0;
    size_t sent = gw_record_sentence(r, f, (uint32_t)b);
    size_t ss = r->sentences[f][sent];
    while (ss < b && (s[ss] == ' ' || s[ss] == '"' || s[ss] == '(')) ss++;
    return ss != b;
}

/* Is the next word capitalised ("Jordan Bardella")? A following entity
 * match ("Jordan King Abdullah") does not count. */
static int capitalised_after(const gw_record_t *r, int f, uint32_t end, int next_match_at_word) {
    const char *s = r->field[f];
    size_t n = r->field_len[f];
    if (end + 1 >= n || s[end] != ' ') return 0;
    return !next_match_at_word && is_upper_at(s, n, end + 1);
}

static int add_mention(gw_record_t *r, gw_hit_t *h, int f, const gw_match_t *m, double w) {
    h->mentions++;
    h->weight += w;
    return gw_record_span(r, h, (uint8_t)f, m->start, m->end);
}

static int add_country(gw_record_t *r, uint32_t c, gw_via_t via, int f, const gw_match_t *m,
                       double w, int dateline) {
    gw_hit_t *h = gw_record_hit(r, GW_HIT_COUNTRY, c);
    if (!h) return GW_ENOMEM;
    h->via |= 1u << (dateline ? GW_VIA_DATELINE : via);
    return add_mention(r, h, f, m, w);
}

/* First pass: what the item establishes as a whole. */
static void note_presence(const gw_record_t *r, const gw_env_t *env, seen_t *s) {
    const gw_dict_t *d = env->dict;
    for (size_t i = 0; i < r->n_ematch; i++) {
        const gw_target_t *t = tgt(env, &r->ematch[i]);
        int f = r->ematch_field[i];
        switch (t->kind) {
        case GW_T_PERSON:
            s->person_full[t->index] = 1;
            s->country_seen[d->people[t->index].country] = 1;
            break;
        case GW_T_COUNTRY:
            if (t->until == GW_DATE_NONE || r->day <= t->until) {
                int dl = f == GW_FIELD_BODY && r->ematch[i].start < r->dateline_end;
                if (!dl) s->country_seen[t->index] = 1;
            }
            break;
        case GW_T_ORG:
            if (d->orgs[t->index].country >= 0 && strcmp(d->orgs[t->index].type, "media") != 0)
                s->country_seen[d->orgs[t->index].country] = 1;
            break;
        case GW_T_CONTEXT: s->context_seen[t->aux] = 1; break;
        default: break;
        }
    }
}

/* Is a block term of rule `rule` in the same sentence as match i? */
static int blocked(const gw_record_t *r, const gw_env_t *env, size_t i, int32_t rule) {
    int f = r->ematch_field[i];
    size_t sent = gw_record_sentence(r, f, r->ematch[i].start);
    for (size_t k = 0; k < r->n_ematch; k++) {
        const gw_target_t *t = tgt(env, &r->ematch[k]);
        if (t->kind == GW_T_BLOCK && t->aux == rule && r->ematch_field[k] == f &&
            gw_record_sentence(r, f, r->ematch[k].start) == sent)
            return 1;
    }
    return 0;
}

/* Index of the first match of the span after the one at i, or n. */
static size_t next_span(const gw_record_t *r, size_t i) {
    size_t k = i + 1;
    while (k < r->n_ematch && r->ematch[k].start == r->ematch[i].start &&
           r->ematch_field[k] == r->ematch_field[i])
        k++;
    return k;
}

/* Is the match right before i (one space apart, same field) a title? */
static int title_before(const gw_record_t *r, const gw_env_t *env, size_t i) {
    if (i == 0 || r->ematch_field[i - 1] != r->ematch_field[i]) return 0;
    size_t k = i - 1;
    while (k > 0 && r->ematch[k - 1].start == r->ematch[k].start) k--;
    const gw_text_t *t = &r->text[r->ematch_field[i]];
    uint32_t fe = r->ematch[i - 1].fend, fs = r->ematch[i].fstart;
    if (!(fs == fe + 1 && t->fold[fe] == ' ')) return 0;
    for (size_t j = k; j < i; j++)
        if (tgt(env, &r->ematch[j])->kind == GW_T_TITLE) return 1;
    return 0;
}

/* Resolves a bare surname or given name among the people sharing it. */
static int resolve_short(gw_record_t *r, const gw_env_t *env, const seen_t *s, size_t i, size_t end,
                         double w) {
    const gw_dict_t *d = env->dict;
    int f = r->ematch_field[i];
    int64_t full = -1, titled = -1, unamb = -1;
    int n_full = 0, n_titled = 0, n_unamb = 0, n_cand = 0;
    int after_title = title_before(r, env, i);
    for (size_t k = i; k < end; k++) {
        const gw_target_t *t = tgt(env, &r->ematch[k]);
        if (t->kind != GW_T_PERSON_SHORT) continue;
        n_cand++;
        const gw_person_t *p = &d->people[t->index];
        if (s->person_full[t->index]) { full = t->index; n_full++; }
        if (after_title && gw_dict_role_at(p, r->day)) { titled = t->index; n_titled++; }
        if (p->short_unambiguous) { unamb = t->index; n_unamb++; }
    }
    if (!n_cand) return GW_OK;
    int64_t who = -1;
    int how = GW_HOW_SHORT;
    if (n_full == 1) who = full;
    else if (n_titled == 1) { who = titled; how = GW_HOW_TITLE_NAME; }
    else if (n_unamb == 1 && n_cand == 1) who = unamb;
    if (who < 0) {
        const gw_match_t *m = &r->ematch[i];
        return gw_record_warn(r, "unresolved_name", r->field[f] + m->start, m->end - m->start) == GW_ENOMEM
                   ? GW_ENOMEM : GW_OK;
    }
    if (after_title && how == GW_HOW_SHORT) how = GW_HOW_TITLE_NAME;
    gw_hit_t *h = gw_record_hit(r, GW_HIT_PERSON, (uint32_t)who);
    if (!h) return GW_ENOMEM;
    if (h->mentions == 0 || how < h->how) h->how = how;
    int rc = add_mention(r, h, f, &r->ematch[i], w);
    if (rc == GW_OK)
        rc = add_country(r, d->people[who].country, GW_VIA_PERSON, f, &r->ematch[i], w * 0.5, 0);
    return rc;
}

static int resolve_ambiguous(gw_record_t *r, const gw_env_t *env, const seen_t *s, size_t i,
                             const gw_target_t *t, double w, int dateline) {
    const gw_ambiguity_t *a = &env->dict->ambiguities[t->aux];
    int f = r->ematch_field[i];
    const gw_match_t *m = &r->ematch[i];
    size_t nx = next_span(r, i);
    int next_adjacent = nx < r->n_ematch && r->ematch_field[nx] == f && r->ematch[nx].start == m->end + 1;
    int vetoed = blocked(r, env, i, t->aux) ||
                 (a->person_guard && f == GW_FIELD_BODY &&
                  (capitalised_before(r, f, m->start) || capitalised_after(r, f, m->end, next_adjacent)));
    int confirmed = s->context_seen[t->aux] || s->country_seen[a->country];
    if (vetoed || !confirmed) {
        char detail[128];
        int len = snprintf(detail, sizeof(detail), "%.*s: %s", (int)(m->end - m->start > 60 ? 60 : m->end - m->start),
                           r->field[f] + m->start, vetoed ? "not the country here" : "no context confirms the country");
        return gw_record_warn(r, "ambiguous", detail, (size_t)len) == GW_ENOMEM ? GW_ENOMEM : GW_OK;
    }
    return add_country(r, a->country, GW_VIA_NAME, f, m, w, dateline);
}

static int resolve_match(gw_record_t *r, const gw_env_t *env, const seen_t *s, size_t i) {
    const gw_dict_t *d = env->dict;
    const gw_target_t *t = tgt(env, &r->ematch[i]);
    const gw_match_t *m = &r->ematch[i];
    int f = r->ematch_field[i], dateline;
    double w = weight_at(r, f, m->start, &dateline);
    gw_hit_t *h;
    switch (t->kind) {
    case GW_T_COUNTRY:
        if (t->until != GW_DATE_NONE && r->day > t->until) return GW_OK; /* an old name, in a later story */
        return add_country(r, t->index, (gw_via_t)t->via, f, m, w, dateline);
    case GW_T_AMBIGUOUS: return resolve_ambiguous(r, env, s, i, t, w, dateline);
    case GW_T_PERSON:
        if (!(h = gw_record_hit(r, GW_HIT_PERSON, t->index))) return GW_ENOMEM;
        h->how = GW_HOW_FULL;
        if (add_mention(r, h, f, m, w) != GW_OK) return GW_ENOMEM;
        return add_country(r, d->people[t->index].country, GW_VIA_PERSON, f, m, w * 0.5, 0);
    case GW_T_ORG: {
        const gw_org_t *o = &d->orgs[t->index];
        if (!(h = gw_record_hit(r, GW_HIT_ORG, t->index))) return GW_ENOMEM;
        h->how = GW_HOW_FULL;
        if (add_mention(r, h, f, m, w) != GW_OK) return GW_ENOMEM;
        /* A news agency says who reported, not who acted: its home country
         * is no mention (AFP is not France). */
        if (o->country >= 0 && strcmp(o->type, "media") != 0)
            return add_country(r, (uint32_t)o->country, GW_VIA_ORGANIZATION, f, m, w * 0.5, 0);
        return GW_OK;
    }
    case GW_T_BLOC:
        if (!(h = gw_record_hit(r, GW_HIT_BLOC, t->index))) return GW_ENOMEM;
        h->named = 1;
        return add_mention(r, h, f, m, w);
    default: return GW_OK; /* titles, discards, context and block terms */
    }
}

static int by_value(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Counts one sentence's pair of members (country indexes or bloc index |
 * GW_PAIR_BLOC). At most 256 distinct pairs are kept. */
static int count_pair(gw_record_t *r, uint32_t m1, uint32_t m2) {
    uint32_t x = m1 < m2 ? m1 : m2, y = m1 < m2 ? m2 : m1;
    size_t p;
    for (p = 0; p < r->n_pairs; p++)
        if (r->pairs[p].a == x && r->pairs[p].b == y) break;
    if (p == r->n_pairs) {
        if (r->n_pairs >= 256) return GW_OK;
        gw_pair_t *np = gw_realloc(r->pairs, (r->n_pairs + 1) * sizeof(*np));
        if (!np) return GW_ENOMEM;
        r->pairs = np;
        r->pairs[r->n_pairs++] = (gw_pair_t){.a = x, .b = y, .sentences = 0};
    }
    r->pairs[p].sentences++;
    return GW_OK;
}

/* Countries and blocs named in one sentence interact there; each such pair
 * is counted once per sentence. Pairs look at the kept spans (the first
 * max_evidence mentions), which bounds the work for hostile items. Each
 * kept span is placed in its sentence once, as (sentence, hit) sorted, so
 * a sentence's members come in hit order, at most 64 of them. */
static int add_pairs(gw_record_t *r) {
    size_t total = 0;
    for (size_t i = 0; i < r->n_hits; i++) total += r->hits[i].n_spans;
    if (!total) return GW_OK;
    uint64_t *at = gw_malloc(total * sizeof(*at));
    if (!at) return GW_ENOMEM;
    int rc = GW_OK;
    for (int f = 0; f < GW_FIELDS && rc == GW_OK; f++) {
        size_t n = 0;
        for (size_t i = 0; r->n_sentences[f] && i < r->n_hits; i++) {
            const gw_hit_t *h = &r->hits[i];
            if (h->kind != GW_HIT_COUNTRY && h->kind != GW_HIT_BLOC) continue;
            for (size_t k = 0; k < h->n_spans; k++) {
                uint32_t start = h->spans[k].start;
                if (h->spans[k].field != f || (f == GW_FIELD_BODY && start < r->dateline_end)) continue;
                size_t sidx = gw_record_sentence(r, f, start);
                if (start >= r->sentences[f][sidx]) at[n++] = (uint64_t)sidx << 32 | i;
            }
        }
        qsort(at, n, sizeof(*at), by_value);
        uint32_t members[64];
        for (size_t g = 0; g < n && rc == GW_OK;) { /* one sentence */
            size_t m = 0, e = g;
            for (; e < n && at[e] >> 32 == at[g] >> 32; e++) {
                if (e > g && at[e] == at[e - 1]) continue; /* another span of the same hit */
                const gw_hit_t *h = &r->hits[(uint32_t)at[e]];
                if (m < 64) members[m++] = h->kind == GW_HIT_COUNTRY ? h->index : h->index | GW_PAIR_BLOC;
            }
            for (size_t a = 0; a < m && rc == GW_OK; a++)
                for (size_t b = a + 1; b < m && rc == GW_OK; b++) rc = count_pair(r, members[a], members[b]);
            g = e;
        }
    }
    free(at);
    return rc;
}

/* Salience: (3 in title + 2 in lead + log2(1 + mentions)), normalised to the
 * most salient entity of the same family in the item. Media are reported
 * but never salient. */
static void finish_salience(gw_record_t *r, const gw_env_t *env) {
    double max_c = 0, max_a = 0;
    for (size_t i = 0; i < r->n_hits; i++) {
        gw_hit_t *h = &r->hits[i];
        if (h->kind == GW_HIT_THEME) continue;
        int in_title = 0, in_lead = 0;
        for (size_t k = 0; k < h->n_spans; k++) {
            if (h->spans[k].field == GW_FIELD_TITLE) in_title = 1;
            else if (h->spans[k].start < r->lead_end && h->spans[k].start >= r->dateline_end) in_lead = 1;
        }
        int counted = 0;
        for (size_t k = 0; k < h->n_spans; k++)
            counted += !(h->spans[k].field == GW_FIELD_BODY && h->spans[k].start < r->dateline_end);
        if (h->mentions > (int)h->n_spans) counted += h->mentions - (int)h->n_spans;
        h->salience = 3.0 * in_title + 2.0 * in_lead + log2(1.0 + counted);
        if (h->kind == GW_HIT_ORG && strcmp(env->dict->orgs[h->index].type, "media") == 0) h->salience *= 0.2;
        if (h->kind == GW_HIT_COUNTRY) {
            h->actor = in_title || counted >= 2 || (h->via & ((1u << GW_VIA_PERSON) | (1u << GW_VIA_ORGANIZATION)));
            if (h->salience > max_c) max_c = h->salience;
        } else if (h->salience > max_a) max_a = h->salience;
    }
    for (size_t i = 0; i < r->n_hits; i++) {
        gw_hit_t *h = &r->hits[i];
        if (h->kind == GW_HIT_THEME) continue;
        double max = h->kind == GW_HIT_COUNTRY ? max_c : max_a;
        h->salience = max > 0 ? h->salience / max : 0;
    }
    for (size_t p = 0; p < r->n_pairs; p++) /* a country in a pair acts */
        for (size_t i = 0; i < r->n_hits; i++)
            if (r->hits[i].kind == GW_HIT_COUNTRY &&
                (r->hits[i].index == r->pairs[p].a || r->hits[i].index == r->pairs[p].b))
                r->hits[i].actor = 1;
}

/* Blocs not named but with two or more member states in the story at its
 * date: the grouping the story touches (Malaysia and Indonesia -> ASEAN). */
static int implied_blocs(gw_record_t *r, const gw_env_t *env) {
    const gw_dict_t *d = env->dict;
    for (size_t b = 0; b < d->n_blocs; b++) {
        int members = 0;
        for (size_t i = 0; i < r->n_hits; i++)
            if (r->hits[i].kind == GW_HIT_COUNTRY && r->hits[i].actor &&
                gw_dict_member_at(&d->blocs[b], r->hits[i].index, r->day))
                members++;
        if (members >= 2 && !gw_record_hit(r, GW_HIT_BLOC, (uint32_t)b)) return GW_ENOMEM;
    }
    return GW_OK;
}

int gw_resolve_run(gw_record_t *r, const gw_env_t *env) {
    const gw_dict_t *d = env->dict;
    seen_t s = {
        .person_full = gw_calloc(d->n_people + 1, 1),
        .country_seen = gw_calloc(d->n_countries + 1, 1),
        .context_seen = gw_calloc(d->n_ambiguities + 1, 1),
    };
    int rc = GW_OK;
    if (!s.person_full || !s.country_seen || !s.context_seen) rc = GW_ENOMEM;
    if (rc == GW_OK) note_presence(r, env, &s);
    for (size_t i = 0; rc == GW_OK && i < r->n_ematch;) {
        size_t end = next_span(r, i);
        int dl;
        double w = weight_at(r, r->ematch_field[i], r->ematch[i].start, &dl);
        int has_short = 0;
        for (size_t k = i; k < end; k++) has_short |= tgt(env, &r->ematch[k])->kind == GW_T_PERSON_SHORT;
        /* A full name or a country at the same span outranks a short form. */
        int has_strong = 0;
        for (size_t k = i; k < end; k++) {
            uint8_t kk = tgt(env, &r->ematch[k])->kind;
            has_strong |= kk == GW_T_PERSON || kk == GW_T_ORG;
        }
        if (has_short && !has_strong) rc = resolve_short(r, env, &s, i, end, w);
        for (size_t k = i; rc == GW_OK && k < end; k++)
            if (tgt(env, &r->ematch[k])->kind != GW_T_PERSON_SHORT) rc = resolve_match(r, env, &s, k);
        i = end;
    }
    if (rc == GW_OK) rc = add_pairs(r);
    if (rc == GW_OK) finish_salience(r, env);
    if (rc == GW_OK) rc = implied_blocs(r, env);
    free(s.person_full);
    free(s.country_seen);
    free(s.context_seen);
    return rc;
}
