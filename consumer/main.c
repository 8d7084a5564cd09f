/*
 * main.c - the geowire binary: dispatches subcommands, and implements the
 * two that need no Kafka: `tag` (the processor chain over stdin) and
 * `check` (validate the config and everything it references).
 */
#include "geowire/broker.h"
#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/daemon.h"
#include "geowire/pipeline.h"
#include "geowire/redrive.h"
#include "geowire/serialize.h"
#include "geowire/record.h"
#include "geowire/rules.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fprintf(out,
            "usage: geowire [--version] [--help] COMMAND [ARGS]\n"
            "\n"
            "commands:\n"
            "  run     consume news items from Kafka, tag them, produce enriched records\n"
            "  tag     tag JSON items read one per line on stdin, no Kafka\n"
            "  check   validate the configuration and every file it references\n"
            "  broker  run a standalone embedded Kafka broker on loopback\n"
            "  redrive replay the dead-letter topic into the input topic after a fix\n"
            "\n"
            "`geowire COMMAND --help` describes each command's options.\n");
}

/* Loads the config named by -c, or found by the documented search order.
 * On failure prints the problems and returns NULL. */
static gw_config_t *load_config(const char *path) {
    char err[8192];
    char *found = NULL;
    if (!path) {
        if (!(found = gw_config_find(err, sizeof(err)))) {
            fprintf(stderr, "geowire: %s\n", err);
            return NULL;
        }
        path = found;
    }
    gw_config_t *cfg = gw_config_load(path, err, sizeof(err));
    if (!cfg) fprintf(stderr, "%s\n", err);
    free(found);
    return cfg;
}

/* Loads the config and builds the processor chain from it; on failure
 * prints the problems and returns 0. */
static int load_pipeline(const char *cfgpath, gw_config_t **cfg, gw_pipeline_t **p) {
    char err[GW_ERRLEN];
    if (!(*cfg = load_config(cfgpath))) return 0;
    if (!(*p = gw_pipeline_new(*cfg, err, sizeof(err)))) {
        fprintf(stderr, "%s\n", err);
        gw_config_free(*cfg);
        return 0;
    }
    return 1;
}

static int parse_config_opt(int argc, char **argv, const char *cmd, const char *help, const char **cfg) {
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') *cfg = optarg;
        else if (c == 'h') { fputs(help, stdout); return 0; }
        else { fprintf(stderr, "usage: geowire %s [-c FILE]\n", cmd); return 2; }
    }
    if (optind < argc) {
        fprintf(stderr, "geowire %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return 2;
    }
    return -1;
}

/* One output line per input line, in order, whatever the line holds: a bad
 * line yields a record with an `error` object, never a gap. */
static int cmd_tag(int argc, char **argv) {
    const char *cfgpath = NULL;
    int rc = parse_config_opt(argc, argv, "tag",
                              "usage: geowire tag [-c FILE]\n"
                              "Reads one news item per line on stdin (JSON object, or plain text),\n"
                              "writes one enriched record per line on stdout, same order. Logs go to stderr.\n"
                              "  -c, --config FILE   configuration (default: $GEOWIRE_CONFIG, ./config/geowire.yaml)\n"
                              "  -h, --help          this help\n",
                              &cfgpath);
    gw_config_t *cfg;
    gw_pipeline_t *p;
    if (rc >= 0) return rc;
    if (!load_pipeline(cfgpath, &cfg, &p)) return 2;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    gw_buf_t out;
    gw_buf_init(&out);
    int status = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n') len--;
        if (len && line[len - 1] == '\r') len--;
        gw_input_meta_t meta = {.ingest_ms = gw_now_ms()};
        gw_result_t res;
        if (gw_pipeline_process(p, line, len, &meta, &res) != GW_OK) {
            fprintf(stderr, "geowire tag: out of memory\n");
            status = 1;
            break;
        }
        gw_buf_reset(&out);
        if (res.reason == GW_REASON_NONE) {
            gw_buf_append(&out, res.record, res.record_len);
        } else {
            gw_serialize_head(&out, res.id);
            gw_buf_printf(&out, ",\"error\":{\"reason\":\"%s\",\"message\":", gw_reason_name(res.reason));
            gw_json_str(&out, res.message, strlen(res.message));
            gw_buf_append(&out, "}}", 2);
        }
        gw_buf_putc(&out, '\n');
        gw_result_clear(&res);
        if (out.oom || fwrite(out.data, 1, out.len, stdout) != out.len) {
            status = 1;
            break;
        }
    }
    free(line);
    gw_buf_free(&out);
    gw_pipeline_free(p);
    gw_config_free(cfg);
    if (fflush(stdout) != 0) status = 1;
    return status;
}

static int cmd_check(int argc, char **argv) {
    const char *cfgpath = NULL;
    int rc = parse_config_opt(argc, argv, "check",
                              "usage: geowire check [-c FILE]\n"
                              "Validates the configuration, every dictionary and the alert rules it references.\n"
                              "Prints file:line:col: message for each problem; exit 0 valid, 2 invalid.\n"
                              "  -c, --config FILE   configuration (default: $GEOWIRE_CONFIG, ./config/geowire.yaml)\n"
                              "  -h, --help          this help\n",
                              &cfgpath);
    gw_config_t *cfg;
    gw_pipeline_t *p;
    if (rc >= 0) return rc;
    if (!load_pipeline(cfgpath, &cfg, &p)) return 2;
    const gw_rules_t *rules = gw_pipeline_rules(p);
    printf("%s: ok (dictionaries %s)\n", cfg->path, gw_pipeline_dict_version(p));
    if (rules)
        printf("%s: ok (%zu alert rule%s, version %s)\n", rules->path, rules->n_rules, rules->n_rules == 1 ? "" : "s",
               rules->version);
    gw_pipeline_free(p);
    gw_config_free(cfg);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("geowire %s\n", GW_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run")) return gw_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "tag")) return cmd_tag(argc - 1, argv + 1);
    if (!strcmp(cmd, "check")) return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "broker")) return gw_cmd_broker(argc - 1, argv + 1);
    if (!strcmp(cmd, "redrive")) return gw_cmd_redrive(argc - 1, argv + 1);
    fprintf(stderr, "geowire: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
