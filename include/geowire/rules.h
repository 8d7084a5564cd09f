/*
 * rules.h - alert rules (config/alerts.yaml), loaded and compiled.
 *
 * A rule is an id, a human description and one condition over the enriched
 * record: leaves test countries, blocs, pairs, actors, themes, the language
 * and the source; all/any/not combine them (README, "Alert rules"). Every
 * code and id in a rule is resolved against the loaded dictionaries at load
 * time, so an unknown country, bloc, theme, person or organisation is an
 * error `file:line:col: what`, never a rule that silently cannot fire.
 *
 * The whole set is one immutable object compiled against one dictionary
 * (it keeps the dictionary's indexes, not its strings): a hot reload loads a
 * new gw_rules_t beside the old one and swaps the pointer, and a dictionary
 * reload recompiles the rules against the new dictionary.
 */
#ifndef GEOWIRE_RULES_H
#define GEOWIRE_RULES_H

#include <stddef.h>
#include <stdint.h>
#include "geowire/dict.h"

typedef enum {
    GW_COND_ALL,      /* every child holds */
    GW_COND_ANY,      /* at least one child holds */
    GW_COND_NOT,      /* its one child does not hold */
    GW_COND_COUNTRY,  /* some country of the record meets every constraint */
    GW_COND_BLOC,     /* some bloc of the record (named or implied) */
    GW_COND_PAIR,     /* two parties named in one sentence */
    GW_COND_ACTOR,    /* some person or organisation */
    GW_COND_THEME,    /* some fired theme at a minimum score */
    GW_COND_LANG,     /* the record's language */
    GW_COND_SOURCE,   /* the item's source (case-insensitive, exact) */
} gw_cond_kind_t;

/* A party: a country index, or a bloc index | GW_RULE_BLOC meaning the bloc
 * itself or any of its member states at the story's date. In an actor's id
 * set, an organisation is its index | GW_RULE_ORG (people are bare indexes). */
#define GW_RULE_BLOC 0x80000000u
#define GW_RULE_ORG 0x80000000u

/* A set of dictionary indexes; empty means "no constraint". */
typedef struct {
    uint32_t *v;
    size_t n;
} gw_idset_t;

typedef struct gw_cond gw_cond_t;
struct gw_cond {
    gw_cond_kind_t kind;
    gw_cond_t **kids; size_t n_kids;   /* all, any (>= 1), not (1) */

    gw_idset_t ids;       /* country: countries; bloc: blocs; theme: themes;
                             actor: people and orgs (index | GW_RULE_ORG) */
    gw_idset_t member_of; /* country: blocs the country belongs to at the date */
    gw_idset_t side[2];   /* pair: the parties on either side */
    gw_idset_t parties;   /* actor: the actor's country is one of these parties */
    int role;             /* country: -1 any, 0 mention, 1 actor */
    int named;            /* bloc: -1 any, 0 implied only, 1 named in the text */
    double min;           /* country/actor: min salience; theme: min score */
    int min_sentences;    /* pair */
    char **strs; size_t n_strs;      /* lang codes, sources, actor types */
    char **codes; size_t n_codes;    /* actor: CAMEO role codes (GOV, MIL, ...) */
};

typedef struct {
    char *id;             /* [a-z0-9-], unique in the file */
    char *description;    /* one line an analyst reads; starts every reason */
    gw_cond_t *when;
} gw_rule_t;

typedef struct gw_rules {
    char *path;           /* the file as given */
    char *version;
    gw_rule_t *rules; size_t n_rules;
} gw_rules_t;

/* Loads and compiles `path` against `dict`. Returns NULL and writes
 * `file:line:col: what` on the first error. Caller owns the result (free
 * with gw_rules_free); it must not outlive `dict`. */
gw_rules_t *gw_rules_load(const char *path, const gw_dict_t *dict, char *err, size_t errlen);
/* Same, from memory; `name` stands for the file in messages (tests). */
gw_rules_t *gw_rules_parse(const char *name, const char *yaml, size_t len,
                           const gw_dict_t *dict, char *err, size_t errlen);
void gw_rules_free(gw_rules_t *rules);

#endif
