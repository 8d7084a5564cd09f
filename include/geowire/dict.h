/*
 * dict.h - the loaded dictionaries: countries, blocs, people, organisations,
 * discards, titles and themes, compiled into two matchers.
 *
 * Entities (everything but themes) and theme triggers live in separate
 * matchers because leftmost-longest matching makes overlapping patterns
 * compete: "Russia's Security Council" must be able to be an organisation
 * and, at the same time, trigger INTELLIGENCE_SECURITY. Each matcher value is
 * an index into `targets`, which says what the matched text means.
 *
 * A dictionary is immutable once loaded and shared read-only by every
 * processor; a reload builds a new one beside it.
 */
#ifndef GEOWIRE_DICT_H
#define GEOWIRE_DICT_H

#include <stddef.h>
#include <stdint.h>
#include "geowire/config.h"
#include "geowire/match.h"

typedef enum {
    GW_VIA_NAME = 0,
    GW_VIA_DEMONYM,
    GW_VIA_CAPITAL,
    GW_VIA_SEAT,
    GW_VIA_HISTORIC,
    GW_VIA_PERSON,
    GW_VIA_ORGANIZATION,
    GW_VIA_DATELINE,    /* named only in a wire dateline: where it was filed */
    GW_VIA__COUNT
} gw_via_t;
const char *gw_via_name(gw_via_t v);

typedef enum {
    GW_T_COUNTRY,       /* index: country; via; until (historic) */
    GW_T_AMBIGUOUS,     /* index: country; aux: ambiguity rule */
    GW_T_CONTEXT,       /* aux: ambiguity rule it confirms */
    GW_T_BLOCK,         /* aux: ambiguity rule it vetoes */
    GW_T_BLOC,          /* index: bloc */
    GW_T_PERSON,        /* index: person (full-name form) */
    GW_T_PERSON_SHORT,  /* index: person (bare surname / given name) */
    GW_T_ORG,           /* index: organisation */
    GW_T_TITLE,         /* an honorific or office title before a name */
    GW_T_DISCARD,       /* consumes text, means nothing */
    GW_T_THEME,         /* index: theme; weight */
    GW_T_THEME_EXCLUDE, /* index: theme */
} gw_target_kind_t;

typedef struct {
    uint8_t kind;       /* gw_target_kind_t */
    uint8_t via;        /* gw_via_t for countries */
    uint32_t index;
    int32_t aux;        /* ambiguity rule, or -1 */
    int32_t until;      /* historic names: last day the name meant this code */
    float weight;       /* theme triggers */
} gw_target_t;

typedef struct {
    char code[4];       /* ISO 3166-1 alpha-3 */
    char alpha2[3];
    char *name;         /* display name */
} gw_country_t;

typedef struct {
    uint32_t country;   /* ambiguous name of this country */
    int person_guard;   /* a capitalised neighbour vetoes ("Michael Jordan") */
} gw_ambiguity_t;

typedef struct {
    uint32_t country;
    int32_t since, until; /* days; until = GW_DATE_NONE when open */
} gw_member_t;

typedef struct {
    char *code, *name, *type;
    gw_member_t *members;
    size_t n_members;
    uint64_t *listed;   /* bit c: country c is in members (at some date); owned */
    size_t n_listed;    /* bits in listed: the number of countries */
} gw_bloc_t;

typedef struct {
    char *title;
    char code[8];       /* CAMEO agent code */
    int32_t since, until;
} gw_role_t;

typedef struct {
    char *id, *name;
    uint32_t country;
    int short_unambiguous;
    gw_role_t *roles;
    size_t n_roles;
} gw_person_t;

typedef struct {
    char *id, *name, *type, *code;
    int32_t country;    /* -1 for none (IGOs) */
} gw_org_t;

typedef struct {
    char *id, *name;
    double threshold;
} gw_theme_t;

typedef struct gw_dict {
    char *version;      /* combined version of every file, e.g. "c=..;p=.." */
    char *as_of;        /* the latest as_of among the files */

    gw_country_t *countries; size_t n_countries;
    gw_ambiguity_t *ambiguities; size_t n_ambiguities;
    gw_bloc_t *blocs; size_t n_blocs;
    gw_person_t *people; size_t n_people;
    gw_org_t *orgs; size_t n_orgs;
    gw_theme_t *themes; size_t n_themes;

    gw_target_t *targets; size_t n_targets; size_t cap_targets;
    gw_matcher_t *entities;  /* every target but themes */
    gw_matcher_t *themes_m;  /* theme triggers and exclusions */
    struct gw_titlepat *titlepat; /* title patterns (titlepat.h), or NULL when none configured */
} gw_dict_t;

/* Loads every dictionary the config names. Returns NULL and writes
 * `file:line:col: what` on error. Caller owns the result (gw_dict_free). */
gw_dict_t *gw_dict_load(const gw_config_t *cfg, char *err, size_t errlen);
void gw_dict_free(gw_dict_t *d);

/* Index of a country by alpha-3 code, or -1. */
int gw_dict_country(const gw_dict_t *d, const char *code);
/* The role a person held on `day`, or NULL: the first listed of those
 * held, except that a role ending that day yields to one continuing. */
const gw_role_t *gw_dict_role_at(const gw_person_t *p, int32_t day);
/* Whether country index c belongs to bloc b on `day`. */
int gw_dict_member_at(const gw_bloc_t *b, uint32_t c, int32_t day);

#endif
