/*
 * themes.c - scores themes from their trigger matches.
 *
 * A trigger's weight counts double in the headline or lead; a theme fires
 * when the sum reaches its threshold, with score sum/(sum+threshold), so a
 * theme at its threshold scores 0.5 and approaches 1 with more evidence.
 * An exclusion phrase ("palm oil" for ENERGY_OIL_GAS) matched at a span
 * cancels that theme's triggers at the same span; being longer, it has
 * already consumed any shorter trigger inside it.
 */
#include "geowire/common.h"
#include "geowire/processor.h"

static int excluded_here(const gw_record_t *r, const gw_env_t *env, size_t i, uint32_t theme) {
    for (size_t k = i; k-- > 0 && r->tmatch[k].start == r->tmatch[i].start &&
                       r->tmatch_field[k] == r->tmatch_field[i];) {
        const gw_target_t *t = &env->dict->targets[r->tmatch[k].value];
        if (t->kind == GW_T_THEME_EXCLUDE && t->index == theme) return 1;
    }
    for (size_t k = i + 1; k < r->n_tmatch && r->tmatch[k].start == r->tmatch[i].start &&
                           r->tmatch_field[k] == r->tmatch_field[i]; k++) {
        const gw_target_t *t = &env->dict->targets[r->tmatch[k].value];
        if (t->kind == GW_T_THEME_EXCLUDE && t->index == theme) return 1;
    }
    return 0;
}

int gw_themes_run(gw_record_t *r, const gw_env_t *env) {
    const gw_dict_t *d = env->dict;
    for (size_t i = 0; i < r->n_tmatch; i++) {
        const gw_target_t *t = &d->targets[r->tmatch[i].value];
        if (t->kind != GW_T_THEME || excluded_here(r, env, i, t->index)) continue;
        int f = r->tmatch_field[i];
        double w = t->weight;
        if (f == GW_FIELD_TITLE || r->tmatch[i].start < r->lead_end) w *= 2.0;
        gw_hit_t *h = gw_record_hit(r, GW_HIT_THEME, t->index);
        if (!h) return GW_ENOMEM;
        h->mentions++;
        h->weight += w;
        if (gw_record_span(r, h, (uint8_t)f, r->tmatch[i].start, r->tmatch[i].end) != GW_OK) return GW_ENOMEM;
    }
    for (size_t i = 0; i < r->n_hits; i++) {
        gw_hit_t *h = &r->hits[i];
        if (h->kind != GW_HIT_THEME) continue;
        double th = d->themes[h->index].threshold;
        h->actor = h->weight >= th; /* fired */
        h->salience = h->weight / (h->weight + th);
    }
    return GW_OK;
}
