/*
 * fuzz_config.c - the configuration loader (config/config.c) and the
 * positioned YAML reader under it (config/yaml.c), from a file, as geowire
 * reads it.
 *
 * The input is written to geowire.yaml in a scratch folder whose
 * dictionaries/ and alerts.yaml link to the shipped ones, so a mutated
 * config that stays valid loads completely. Invariants: a load either succeeds with every
 * required value set, or fails with a message that starts with the file's
 * path and holds a line:col position.
 */
#include "fuzz.h"
#include "geowire/common.h"
#include "geowire/config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    static const char *const shipped[] = {"dictionaries", "alerts.yaml"};
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        char target[PATH_MAX], from[PATH_MAX], link[PATH_MAX];
        snprintf(from, sizeof from, "config/%s", shipped[i]);
        if (!realpath(from, target)) {
            perror("fuzz_config: the shipped config folder (run from the repository root)");
            exit(1);
        }
        snprintf(link, sizeof link, "%s/%s", gwf_scratch_dir(), shipped[i]);
        if (symlink(target, link)) { perror(link); exit(1); }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = gwf_write_file("geowire.yaml", data, size);
    char err[GW_ERRLEN] = "";
    gw_config_t *c = gw_config_load(path, err, sizeof err);
    if (c) {
        GWF_CHECK(c->kafka.brokers && c->kafka.group_id, "loaded without brokers or group");
        GWF_CHECK(c->topics.input && c->topics.output && c->topics.dead_letter, "loaded without topics");
        GWF_CHECK(c->limits.max_item_bytes > 0 && c->limits.max_json_depth > 0, "zero limits");
        GWF_CHECK(c->dict.countries && c->dict.themes && c->dict.languages, "dictionary path missing");
        gw_config_free(c);
    } else {
        GWF_CHECK(err[0], "failed without a message");
        GWF_CHECK(!strncmp(err, path, strlen(path)), "message without the file: %s", err);
    }
    return 0;
}
