/*
 * lang.h - language identification by script and stopwords.
 *
 * Scripts decide first (Cyrillic -> ru unless Ukrainian letters dominate,
 * Han -> zh, Hangul -> ko, Thai -> th, Arabic -> ar, Vietnamese tone marks
 * on Latin -> vi); Latin text is scored against per-language stopword lists
 * loaded from config/dictionaries/languages.yaml (en, ms, id, tl, de, fr, es
 * at least), which separates Malay from Indonesian by their differing
 * function words (kerana/karena, daripada/dari, bahawa/bahwa, ...).
 */
#ifndef GEOWIRE_LANG_H
#define GEOWIRE_LANG_H

#include <stddef.h>
#include "geowire/words.h"

typedef struct gw_langid gw_langid_t;

/* Loads the stopword model. Returns NULL and writes `file:line:col: what`
 * on error. Caller owns the model; free with gw_lang_free. */
gw_langid_t *gw_lang_load(const char *path, char *err, size_t errlen);
void gw_lang_free(gw_langid_t *l);

/* Detects the language of a UTF-8 text (need not be folded). Returns a
 * static ISO 639-1 code, or "und" when the text is too short or unclear,
 * or NULL when out of memory. *confidence (optional) gets a 0..1 figure.
 * Pure: safe from any thread. */
const char *gw_lang_detect(const gw_langid_t *l, const char *text, size_t len,
                           double *confidence);
/* The same over stretches of folded text read through their word lists
 * (words.h): the words of parts[k].fold[from, to), in order, as if the
 * stretches were one text (the normaliser finds each field's words once and
 * detects paragraph by paragraph, a headline with its lead). A word cut by
 * `from` or `to` counts as its part inside. Never NULL. */
typedef struct {
    const char *fold;
    const gw_words_t *words;     /* the words of fold */
    size_t from, to;
} gw_lang_part_t;
const char *gw_lang_detect_parts(const gw_langid_t *l, const gw_lang_part_t *parts, size_t nparts,
                                 double *confidence);
/* True if `code` is a code this model can produce (for validating input). */
int gw_lang_known(const gw_langid_t *l, const char *code);

#endif
