/*
 * fuzz_dict.c - the dictionary loader (config/dict.c) and the language
 * model loader, one file at a time.
 *
 * The first input byte picks which dictionary the rest replaces (countries,
 * overlay, blocs, people, organisations, discards, titles, themes,
 * languages). The other files are the seed corpus (fuzz/corpus/dict/N-*:
 * the shipped files cut to a few entries each, behind their selector byte),
 * so cross-references (a person's country, a bloc's members) resolve as in
 * production while a load stays fast enough to fuzz (the full shipped set
 * takes ~150 ms under ASan).
 *
 * Invariants: a load either succeeds with two built matchers and a version,
 * or fails with a `file:line:col: what` message naming the file.
 */
#include "fuzz.h"
#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/dict.h"
#include "geowire/lang.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gw_config_t *cfg;

enum { SLOTS = 9 };

static char **slot(gw_config_t *c, size_t k) {
    char **slots[SLOTS] = {&c->dict.countries, &c->dict.countries_overlay, &c->dict.blocs,
                           &c->dict.people, &c->dict.organizations, &c->dict.discards,
                           &c->dict.titles, &c->dict.themes, &c->dict.languages};
    return slots[k];
}

/* Points every slot of cfg at its seed file, selector byte removed. */
static void use_seeds(void) {
    for (size_t k = 0; k < SLOTS; k++) {
        char pat[64], name[32];
        glob_t g;
        snprintf(pat, sizeof pat, "fuzz/corpus/dict/%zu-*", k);
        if (glob(pat, 0, NULL, &g) || g.gl_pathc != 1) {
            fprintf(stderr, "fuzz_dict: need exactly one %s\n", pat);
            exit(1);
        }
        FILE *f = fopen(g.gl_pathv[0], "rb");
        static uint8_t buf[1 << 20];
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f) fclose(f);
        globfree(&g);
        if (n < 2) { fprintf(stderr, "fuzz_dict: cannot read %s\n", pat); exit(1); }
        snprintf(name, sizeof name, "base-%zu.yaml", k);
        free(*slot(cfg, k));
        *slot(cfg, k) = strdup(gwf_write_file(name, buf + 1, n - 1));
    }
    char err[GW_ERRLEN] = "";
    gw_dict_t *d = gw_dict_load(cfg, err, sizeof err);
    gw_langid_t *l = gw_lang_load(cfg->dict.languages, err, sizeof err);
    if (!d || !l) {
        fprintf(stderr, "fuzz_dict: the seed dictionaries must load: %s\n", err);
        exit(1);
    }
    gw_dict_free(d);
    gw_lang_free(l);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    char err[GW_ERRLEN] = "";
    if (!(cfg = gw_config_load("config/geowire.yaml", err, sizeof err))) {
        fprintf(stderr, "fuzz_dict: %s (run from the repository root)\n", err);
        exit(1);
    }
    use_seeds();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    gw_config_t c = *cfg; /* shallow: only one path pointer is replaced */
    size_t k = data[0] % SLOTS;
    char path[512];
    snprintf(path, sizeof path, "%s", gwf_write_file("dict.yaml", data + 1, size - 1));
    *slot(&c, k) = path;
    char err[GW_ERRLEN] = "";
    if (slot(&c, k) == &c.dict.languages) {
        gw_langid_t *l = gw_lang_load(path, err, sizeof err);
        if (l) gw_lang_free(l);
        else GWF_CHECK(!strncmp(err, path, strlen(path)), "message without the file: %s", err);
        return 0;
    }
    gw_dict_t *d = gw_dict_load(&c, err, sizeof err);
    if (d) {
        GWF_CHECK(d->entities && d->themes_m && d->version && d->as_of, "incomplete dictionary");
        gw_dict_free(d);
    } else {
        GWF_CHECK(err[0], "failed without a message");
        GWF_CHECK(strstr(err, path) || strstr(err, "out of memory"), "message without the file: %s", err);
    }
    return 0;
}
