/*
 * officials.h - actors read from the text's own titles rather than from a
 * dictionary: "Vietnam's Defence Minister Phan Van Giang", "Menteri
 * Pertahanan Malaysia ...", "Russia's Security Council" when no dictionary
 * lists them. The officials stage (processors/officials.c) finds them with
 * the title patterns (titlepat.h) and keeps them in the record, where hits
 * of kind GW_HIT_OFFICIAL point at them.
 */
#ifndef GEOWIRE_OFFICIALS_H
#define GEOWIRE_OFFICIALS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *id;            /* "tp:" + slug of the name (people) or country + body (bodies); owned */
    char *name;          /* the name as written (people), "<body> of <country>" (bodies); owned */
    char *fold;          /* people: the folded name, for later mentions; owned */
    size_t fold_len;
    /* Borrowed from the loaded title patterns, which outlive every record. */
    const char *title;   /* people: the role title; bodies: NULL */
    const char *type;    /* "person" or the body's actor type */
    const char *code;    /* CAMEO agent code */
    int32_t country;     /* country index, or -1 (an intergovernmental body's official) */
} gw_official_t;

/* Frees what each of the n officials owns (not the array). */
void gw_officials_clear(gw_official_t *o, size_t n);

#endif
