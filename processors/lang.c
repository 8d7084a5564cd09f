/*
 * lang.c - language identification: scripts first, then stopwords.
 *
 * Non-Latin scripts identify their language well enough for routing
 * (Cyrillic -> ru/uk, Han -> zh, Kana -> ja, Hangul -> ko, Thai, Arabic,
 * Hebrew). Latin text is scored against the stopword lists of
 * languages.yaml; a word listed for k languages gives each of them 1/k, so
 * the words Malay and Indonesian share cancel out and only their differing
 * function words (kerana/karena, bahawa/bahwa, ...) decide between them.
 * Vietnamese is recognised by its letters (ơ ư đ ă and the tone-marked
 * vowels of Latin Extended Additional) before any stopword scoring.
 */
#include "geowire/lang.h"
#include "geowire/common.h"
#include "geowire/text.h"
#include "geowire/yaml.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LANGS 32
#define MIN_LATIN_HITS 3.0

/* Codes the model may produce; detect returns pointers into this table so
 * results stay valid after the model is freed. */
static const char *const known_codes[] = {
    "und", "en", "ms", "id", "tl", "de", "fr", "es", "it", "pt", "nl", "ru", "uk", "zh", "ja",
    "ko", "th", "ar", "he", "vi", "sv", "da", "nb", "nn", "no", "fi", "pl", "cs", "sk", "hu",
    "ro", "tr", "hr", "sr", "sl", "bs", "et", "lv", "lt", "el", "bg", "mk", "be", "sq", "ca",
    "gl", "eu", "af", "sw", "jv", "su", "ceb", "is", "ga", "cy", "mt", "lb", "hi", "bn", "ur",
    "fa", "ps", "km", "lo", "my", "ta", "te", "si", "ne", "ka", "hy", "az", "kk", "uz", "mn",
    NULL,
};

/* Languages decided by script alone. */
static const char *const script_codes[] = {"ru", "uk", "zh", "ja", "ko", "th", "ar", "he", "vi",
                                           NULL};

static const char *static_code(const char *code) {
    for (size_t i = 0; known_codes[i]; i++)
        if (!strcmp(known_codes[i], code)) return known_codes[i];
    return NULL;
}

typedef struct {
    uint64_t hash;    /* gw_words_hash of word */
    char *word;       /* folded, owned */
    uint32_t len;     /* of word */
    uint32_t mask;    /* languages listing the word */
    double share;     /* 1 / the number of languages in mask */
} entry_t;

struct gw_langid {
    const char *codes[MAX_LANGS];
    size_t ncodes;
    entry_t *tab;     /* open addressing; word == NULL marks empty */
    size_t cap, count;
    size_t max_len;   /* of the longest word: a longer one is no stopword */
};

/* Entries are keyed by gw_words_hash, the hash each word of a text
 * carries (words.h), so detection never hashes a word again. */
/* The entry of word w[0, n) whose hash is h. Most words of a text are no
 * stopword: one longer than any is rejected at once, and an occupied slot
 * is passed on its hash before the bytes are compared. */
static inline entry_t *find(const gw_langid_t *l, uint64_t h, const char *w, size_t n) {
    if (n > l->max_len) return NULL; /* also: the table is still empty */
    for (size_t i = (size_t)h & (l->cap - 1); l->tab[i].word; i = (i + 1) & (l->cap - 1)) {
        const entry_t *e = &l->tab[i];
        if (e->hash == h && e->len == n && !memcmp(e->word, w, n)) return &l->tab[i];
    }
    return NULL;
}

static int grow(gw_langid_t *l) {
    size_t cap = l->cap ? l->cap * 2 : 512;
    entry_t *t = gw_calloc(cap, sizeof(*t));
    if (!t) return GW_ENOMEM;
    for (size_t i = 0; i < l->cap; i++) {
        if (!l->tab[i].word) continue;
        size_t j = (size_t)l->tab[i].hash & (cap - 1);
        while (t[j].word) j = (j + 1) & (cap - 1);
        t[j] = l->tab[i];
    }
    free(l->tab);
    l->tab = t;
    l->cap = cap;
    return GW_OK;
}

static int insert(gw_langid_t *l, const char *w, size_t n, uint32_t bit) {
    uint64_t h = gw_words_hash(w, n);
    entry_t *e = find(l, h, w, n);
    if (!e) {
        if ((l->count + 1) * 2 > l->cap && grow(l)) return GW_ENOMEM;
        size_t i = (size_t)h & (l->cap - 1);
        while (l->tab[i].word) i = (i + 1) & (l->cap - 1);
        e = &l->tab[i];
        if (!(e->word = gw_strndup(w, n))) return GW_ENOMEM;
        e->hash = h;
        e->len = (uint32_t)n;
        if (n > l->max_len) l->max_len = n;
        e->mask = 0;
        l->count++;
    }
    e->mask |= bit;
    e->share = 1.0 / __builtin_popcount(e->mask);
    return GW_OK;
}

void gw_lang_free(gw_langid_t *l) {
    if (!l) return;
    for (size_t i = 0; i < l->cap; i++) free(l->tab[i].word);
    free(l->tab);
    free(l);
}

static int load_lists(gw_langid_t *l, const gw_yaml_doc_t *d, const gw_yaml_node_t *langs,
                      char *err, size_t errlen) {
    int rc = gw_yaml_expect(d, langs, GW_YAML_MAP, "languages", err, errlen);
    if (rc) return rc;
    if (langs->n == 0) return gw_yaml_errf(d, langs, err, errlen, "no languages listed");
    if (langs->n > MAX_LANGS)
        return gw_yaml_errf(d, langs, err, errlen, "more than %d languages", MAX_LANGS);
    gw_text_t t;
    gw_text_init(&t);
    for (size_t i = 0; i < langs->n && !rc; i++) {
        const gw_yaml_node_t *key = langs->keys[i], *list = langs->items[i];
        const char *code = static_code(key->str);
        if (!code || !strcmp(code, "und")) {
            rc = gw_yaml_errf(d, key, err, errlen, "unknown ISO 639-1 code '%s'", key->str);
            break;
        }
        for (size_t k = 0; k < l->ncodes; k++)
            if (l->codes[k] == code) rc = gw_yaml_errf(d, key, err, errlen, "duplicate language '%s'", code);
        if (rc) break;
        if ((rc = gw_yaml_expect(d, list, GW_YAML_SEQ, code, err, errlen))) break;
        if (list->n == 0) { rc = gw_yaml_errf(d, list, err, errlen, "empty word list for '%s'", code); break; }
        uint32_t bit = 1u << l->ncodes;
        l->codes[l->ncodes++] = code;
        for (size_t k = 0; k < list->n; k++) {
            const char *w;
            if ((rc = gw_yaml_str(d, list->items[k], code, &w, err, errlen))) break;
            if (!gw_utf8_valid(w, list->items[k]->len) ||
                gw_text_fold(&t, w, list->items[k]->len)) {
                rc = gw_yaml_errf(d, list->items[k], err, errlen, "invalid word");
                break;
            }
            /* Stopwords are single words: a space would never match a token. */
            if (!t.fold_len || memchr(t.fold, ' ', t.fold_len)) {
                rc = gw_yaml_errf(d, list->items[k], err, errlen, "'%s' is not a single word", w);
                break;
            }
            if (insert(l, t.fold, t.fold_len, bit)) {
                rc = gw_err(err, errlen, GW_ENOMEM, "%s: out of memory", d->file);
                break;
            }
        }
    }
    gw_text_free(&t);
    return rc;
}

gw_langid_t *gw_lang_load(const char *path, char *err, size_t errlen) {
    gw_yaml_doc_t *d = gw_yaml_load(path, 0, err, errlen);
    if (!d) return NULL;
    gw_langid_t *l = gw_calloc(1, sizeof(*l));
    int rc = l ? GW_OK : gw_err(err, errlen, GW_ENOMEM, "%s: out of memory", path);
    static const char *const keys[] = {"version", "as_of", "languages", NULL};
    const char *version;
    int32_t as_of;
    if (!rc && !d->root) rc = gw_err(err, errlen, GW_EINVAL, "%s:1:1: empty document", path);
    if (!rc) rc = gw_yaml_expect(d, d->root, GW_YAML_MAP, "document", err, errlen);
    if (!rc) rc = gw_yaml_check_keys(d, d->root, keys, "document", err, errlen);
    if (!rc) {
        const gw_yaml_node_t *v = gw_yaml_get(d->root, "version");
        const gw_yaml_node_t *a = gw_yaml_get(d->root, "as_of");
        const gw_yaml_node_t *g = gw_yaml_get(d->root, "languages");
        if (!v || !a || !g)
            rc = gw_yaml_errf(d, d->root, err, errlen, "missing '%s'",
                              !v ? "version" : !a ? "as_of" : "languages");
        if (!rc) rc = gw_yaml_str(d, v, "version", &version, err, errlen);
        if (!rc) rc = gw_yaml_date(d, a, "as_of", &as_of, err, errlen);
        if (!rc) rc = load_lists(l, d, g, err, errlen);
    }
    gw_yaml_free(d);
    if (rc) { gw_lang_free(l); return NULL; }
    return l;
}

int gw_lang_known(const gw_langid_t *l, const char *code) {
    if (!code) return 0;
    if (!strcmp(code, "und")) return 1;
    for (size_t i = 0; script_codes[i]; i++)
        if (!strcmp(script_codes[i], code)) return 1;
    for (size_t i = 0; l && i < l->ncodes; i++)
        if (!strcmp(l->codes[i], code)) return 1;
    return 0;
}

/* ---- detection ------------------------------------------------------------- */

enum { S_LATIN, S_CYR, S_HAN, S_KANA, S_HANGUL, S_THAI, S_ARABIC, S_HEBREW, S_N };

static int script_of(int32_t cp) {
    if (cp < 0x250) return S_LATIN;            /* callers pass letters only */
    if (cp >= 0x1E00 && cp <= 0x1EFF) return S_LATIN;
    if (cp >= 0x0400 && cp <= 0x052F) return S_CYR;
    if (cp >= 0x0590 && cp <= 0x05FF) return S_HEBREW;
    if ((cp >= 0x0600 && cp <= 0x06FF) || (cp >= 0x0750 && cp <= 0x077F) ||
        (cp >= 0x08A0 && cp <= 0x08FF) || (cp >= 0xFB50 && cp <= 0xFDFF) ||
        (cp >= 0xFE70 && cp <= 0xFEFF))
        return S_ARABIC;
    if (cp >= 0x0E00 && cp <= 0x0E7F) return S_THAI;
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F) ||
        (cp >= 0xAC00 && cp <= 0xD7AF))
        return S_HANGUL;
    if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
        (cp >= 0xFF66 && cp <= 0xFF9F))
        return S_KANA;
    if ((cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F))
        return S_HAN;
    return -1;
}

static int is_vi_letter(int32_t cp) {
    /* Folded text is lower case: ă đ ơ ư, and the tone-marked vowels. */
    return cp == 0x0103 || cp == 0x0111 || cp == 0x01A1 || cp == 0x01B0 ||
           (cp >= 0x1EA0 && cp <= 0x1EF9);
}

static const char *finish(const char *code, double conf, double *confidence) {
    if (confidence) *confidence = conf;
    return code;
}

/* What a text's words say so far. */
typedef struct {
    size_t count[S_N];
    size_t letters, vi, uk, ru_only;
    double score[MAX_LANGS];
    double hits;
} tally_t;

/* Counts a non-ASCII word's letters by script, and the letters telling
 * Vietnamese from other Latin text and Ukrainian from Russian. */
static void tally_scripts(tally_t *t, const char *f, const gw_word_t *w) {
    size_t i = w->start, end = (size_t)w->start + w->len;
    while (i < end) {
        int32_t cp;
        i += (size_t)gw_utf8_decode(f, end, i, &cp);
        if (cp < 0x80 && cp <= '9') continue; /* digits say nothing */
        int s = script_of(cp);
        if (s < 0) continue;
        t->count[s]++;
        t->letters++;
        if (s == S_LATIN && is_vi_letter(cp)) t->vi++;
        if (s == S_CYR) {
            if (cp == 0x0456 || cp == 0x0457 || cp == 0x0454 || cp == 0x0491) t->uk++;
            if (cp == 0x044B || cp == 0x044D || cp == 0x044A || cp == 0x0451) t->ru_only++;
        }
    }
}

/* One word: its letters by script, and its stopword lists. An ASCII word's
 * letters are all Latin, counted by the word pass. */
static void tally_word(const gw_langid_t *l, tally_t *t, const char *f, const gw_word_t *w) {
    if (w->wide) tally_scripts(t, f, w);
    else {
        t->count[S_LATIN] += w->letters;
        t->letters += w->letters;
    }
    if (!l) return;
    const entry_t *e = find(l, w->hash, f + w->start, w->len);
    if (e) {
        for (uint32_t mk = e->mask; mk; mk &= mk - 1) t->score[__builtin_ctz(mk)] += e->share;
        t->hits += 1.0;
    }
}

/* The verdict on a tally: the dominant script, then stopwords for Latin. */
static const char *decide(const gw_langid_t *l, const tally_t *t, double *confidence) {
    if (!t->letters) return finish("und", 0, confidence);
    int top = S_LATIN;
    size_t cjk = t->count[S_HAN] + t->count[S_KANA];
    for (int s = 0; s < S_N; s++)
        if (t->count[s] > t->count[top]) top = s;
    /* Han and Kana together make one script block for the decision. */
    if (top != S_HAN && top != S_KANA && cjk > t->count[top]) top = S_HAN;
    double share = (double)(top == S_HAN || top == S_KANA ? cjk : t->count[top]) / (double)t->letters;
    if (top != S_LATIN && share * (double)t->letters < 2) return finish("und", 0, confidence);
    switch (top) {
    case S_CYR: return finish(t->uk > t->ru_only ? "uk" : "ru", share, confidence);
    case S_HAN:
    case S_KANA:
        /* Japanese mixes Kana into Han text; Chinese has none. */
        return finish(t->count[S_KANA] * 10 >= cjk ? "ja" : "zh", share, confidence);
    case S_HANGUL: return finish("ko", share, confidence);
    case S_THAI: return finish("th", share, confidence);
    case S_ARABIC: return finish("ar", share, confidence);
    case S_HEBREW: return finish("he", share, confidence);
    default: break;
    }
    /* Vietnamese writes nearly every syllable with ơ ư đ ă or a tone mark;
     * a name like "Nguyễn" in an English story is far below 3%. */
    if (t->vi >= 3 && t->vi * 100 >= t->count[S_LATIN] * 3) return finish("vi", share, confidence);
    if (!l || t->hits < MIN_LATIN_HITS) return finish("und", 0, confidence);
    const double *score = t->score;
    size_t best = 0, second = SIZE_MAX;
    for (size_t b = 1; b < l->ncodes; b++) {
        if (score[b] > score[best]) { second = best; best = b; }
        else if (second == SIZE_MAX || score[b] > score[second]) second = b;
    }
    double total = 0;
    for (size_t b = 0; b < l->ncodes; b++) total += score[b];
    if (second != SIZE_MAX && score[best] - score[second] < 1e-9)
        return finish("und", 0, confidence); /* e.g. Malay or Indonesian with no telling word */
    return finish(l->codes[best], total > 0 ? score[best] / total : 0, confidence);
}

const char *gw_lang_detect_parts(const gw_langid_t *l, const gw_lang_part_t *parts, size_t nparts,
                                 double *confidence) {
    tally_t t;
    memset(&t, 0, sizeof(t));
    for (size_t p = 0; p < nparts; p++) {
        const gw_lang_part_t *pt = &parts[p];
        gw_word_t cut;
        size_t k = gw_words_after(pt->words, pt->from);
        for (const gw_word_t *w; (w = gw_words_next(pt->words, pt->fold, pt->from, pt->to, &k, &cut));)
            tally_word(l, &t, pt->fold, w);
    }
    return decide(l, &t, confidence);
}

const char *gw_lang_detect(const gw_langid_t *l, const char *text, size_t len,
                           double *confidence) {
    if (!text || !len || !gw_utf8_valid(text, len)) return finish("und", 0, confidence);
    gw_text_t t;
    gw_words_t ws = {0};
    gw_text_init(&t);
    const char *code = NULL; /* out of memory: not "und", which is an answer */
    if (!gw_text_fold(&t, text, len) && !gw_words_find(&ws, t.fold, t.fold_len)) {
        gw_lang_part_t part = {.fold = t.fold, .words = &ws, .from = 0, .to = t.fold_len};
        code = gw_lang_detect_parts(l, &part, 1, confidence);
    } else {
        finish(NULL, 0, confidence);
    }
    gw_words_free(&ws);
    gw_text_free(&t);
    return code;
}
