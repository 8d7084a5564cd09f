/*
 * titlepat.h - title patterns: how each language introduces an official or
 * a national body, loaded from config/dictionaries/title-patterns/<lang>.yaml
 * (format: config/dictionaries/FORMAT.md, "title-patterns").
 *
 * The patterns let the officials stage (processors/officials.c) read people
 * and bodies no dictionary lists from the text's own titles: "Vietnam's
 * Defence Minister Phan Van Giang", "Menteri Pertahanan Malaysia Datuk Seri
 * ...", "министр обороны России ...". Country cues come from the entity
 * matches (countries, overlay, organisations) plus the few extra cues the
 * pattern files add; honorifics come from titles.yaml plus the files' own.
 *
 * Offices, bodies, extra cues and honorifics are patterns of one matcher
 * whose value indexes `targets`. Word lists (connectors, particles, words
 * that are never names) are kept folded for whole-token lookups.
 * Loaded once with the dictionaries and read-only afterwards.
 */
#ifndef GEOWIRE_TITLEPAT_H
#define GEOWIRE_TITLEPAT_H

#include <stddef.h>
#include <stdint.h>
#include "geowire/common.h"
#include "geowire/match.h"

struct gw_dict;

/* A sorted set of folded words. */
typedef struct {
    char **w;
    size_t n;
} gw_wordset_t;

/* How one language attaches a country cue and a name to a title. */
typedef struct {
    char code[8];               /* ISO 639-1, from the file's `lang` */
    gw_wordset_t possessive;    /* suffixes after a country: 's, ' */
    char **after; size_t n_after; /* connectors before a following country ("of"); "" = directly */
    gw_wordset_t destination;   /* "to Russia" after an envoy's title, skipped before the name */
    gw_wordset_t articles;      /* may open an apposition: "the" */
    gw_wordset_t modifiers;     /* may stand between cue and office: "new", "acting" */
    gw_wordset_t former;        /* right before the title: no current role, no official */
    gw_wordset_t conjunctions;  /* "and": a second title shares the first's country */
    int apposition;             /* "X, Indonesia's defence minister," names X */
} gw_tp_lang_t;

typedef struct {
    char *title;                /* canonical role title written into the record */
    char code[8];               /* CAMEO agent code */
    int32_t country;            /* an office of one country (Kapolri), or -1 */
} gw_tp_office_t;

typedef struct {
    char *name;                 /* canonical name; the record shows "<name> of <country>" */
    char *slug;                 /* id part: lower-case ASCII */
    char *type;                 /* actor type (government_body, organization, ...) */
    char code[8];               /* CAMEO agent code */
} gw_tp_body_t;

typedef enum { GW_TP_OFFICE, GW_TP_BODY, GW_TP_HONORIFIC, GW_TP_COUNTRY } gw_tp_kind_t;

typedef struct {
    uint8_t kind;               /* gw_tp_kind_t */
    uint8_t lang;               /* index into langs */
    uint32_t index;             /* office, body or country index */
} gw_tp_target_t;

typedef struct gw_titlepat {
    gw_tp_lang_t *langs; size_t n_langs;
    gw_tp_office_t *offices; size_t n_offices;
    gw_tp_body_t *bodies; size_t n_bodies;
    gw_tp_target_t *targets; size_t n_targets;
    gw_wordset_t particles;     /* lower-case words allowed inside a name: bin, van */
    gw_wordset_t not_names;     /* capitalised words that are never part of a name */
    gw_wordset_t body_words;    /* a name holding one of these is a body: Office, Assembly */
    gw_matcher_t *m;
} gw_titlepat_t;

/* Loads the pattern files `paths` (in order) against the loaded countries
 * of `d`. Appends ";tp=<version>" to `version` (";tp=en:<v>,ms:<v>" when
 * the files' versions differ) and raises *as_of to the latest file date. Returns NULL and writes `file:line:col: what` on
 * error. Caller owns the result (gw_titlepat_free). */
gw_titlepat_t *gw_titlepat_load(char *const *paths, size_t n_paths, const struct gw_dict *d,
                                gw_buf_t *version, int32_t *as_of, char *err, size_t errlen);
void gw_titlepat_free(gw_titlepat_t *tp);

/* Whether the folded bytes s[0..n) are a word of the set. */
int gw_wordset_has(const gw_wordset_t *ws, const char *s, size_t n);

#endif
