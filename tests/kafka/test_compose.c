/*
 * test_compose.c - docker-compose.yml, proven without a Docker engine: the
 * geowire service's environment, exactly as written there (only the broker
 * address moves from the compose network to the test broker), drives the
 * shipped config/geowire.yaml against the real broker, on the topics the
 * one-shot topics service creates. `docker compose config` validates the
 * file where the client has the compose plugin.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_support.h"

/* KEY=VALUE lines: the geowire service's environment, then TOPICS= and
 * PARTITIONS= of the topics service. */
static char *compose_env(void)
{
    FILE *p = popen("python3 -c \"import yaml; s = yaml.safe_load(open('docker-compose.yml'))['services']; "
                    "[print(f'{k}={v}') for k, v in s['geowire']['environment'].items()]; "
                    "t = s['topics']['environment']; print('TOPICS=' + t['TOPICS']); "
                    "print('PARTITIONS=' + str(t['PARTITIONS']))\"", "r");
    cr_assert_not_null(p);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    cr_assert_eq(pclose(p), 0, "docker-compose.yml could not be read");
    return buf;
}

Test(compose, the_geowire_service_environment_runs_the_shipped_config, .timeout = 200)
{
    enum { N = 1000 };
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    char *text = compose_env();
    char *env[16];
    size_t ne = 0;
    const char *topics = NULL;
    int partitions = 0, had_brokers = 0;
    static char brokers_env[256];
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        if (!strncmp(l, "TOPICS=", 7)) { topics = l + 7; continue; }
        if (!strncmp(l, "PARTITIONS=", 11)) { partitions = atoi(l + 11); continue; }
        if (!strncmp(l, "GEOWIRE_BROKERS=", 16)) {
            /* The compose network name; the one value the test replaces. */
            cr_assert_str_eq(l + 16, "kafka:9092");
            snprintf(brokers_env, sizeof brokers_env, "GEOWIRE_BROKERS=%s", b);
            l = brokers_env;
            had_brokers = 1;
        }
        cr_assert(ne < 15);
        env[ne++] = l;
    }
    env[ne] = NULL;
    cr_assert(had_brokers, "the geowire service sets no GEOWIRE_BROKERS");
    cr_assert_not_null(topics);
    cr_assert(partitions > 0);

    /* The topics service's list, in the config's order of roles. */
    char tl[512];
    snprintf(tl, sizeof tl, "%s", topics);
    const char *names[8];
    int parts[8];
    size_t nt = 0;
    for (char *t = strtok(tl, " "); t && nt < 8; t = strtok(NULL, " ")) {
        names[nt] = t;
        parts[nt++] = partitions;
    }
    cr_assert_eq(nt, 5, "the topics service creates %zu topics", nt);
    cr_assert_eq(gwk_create(b, names, parts, nt), 0);
    char **items = gwk_items("cmp", N);
    cr_assert_eq(gwt_produce(b, names[0], items, NULL, N), 0);

    gwt_proc_t d;
    char *argv[] = {(char *)gwk_release_bin(), "run", "-c", "config/geowire.yaml", NULL};
    cr_assert_eq(gwt_spawn(&d, argv, env), 0);
    int ok = gwk_wait_count(b, names[1], N, 120000, &d);
    cr_assert(ok, "no output with the compose environment");
    gwt_signal(&d, SIGTERM);
    int rc = gwt_wait(&d, 30000);
    if (rc != 0) gwk_dump_log(&d, "geowire");
    cr_assert_eq(rc, 0);
    /* GEOWIRE_LOG_FORMAT=json reached log.format: every line is JSON. */
    char *log = gwt_errlog(&d);
    size_t lines = 0;
    for (char *l = strtok(log, "\n"); l; l = strtok(NULL, "\n"), lines++) {
        json_error_t je;
        json_t *j = json_loads(l, 0, &je);
        cr_assert(json_is_object(j), "log line is not JSON: %.120s", l);
        json_decref(j);
    }
    cr_assert(lines > 0);
    free(log);
    gwt_msgs_t out;
    gwt_consume(b, names[1], N, 500, 60000, &out);
    gwt_cover_t c = gwk_cover(&out, "cmp", N);
    cr_assert_eq(c.distinct, N);
    gwt_msgs_free(&out);
    gwt_proc_free(&d);
    gwt_items_free(items, N);

    if (system("docker compose version > /dev/null 2>&1") == 0) {
        cr_assert_eq(system("docker compose -f docker-compose.yml config -q"), 0,
                     "docker compose config refuses docker-compose.yml");
    } else {
        fprintf(stderr, "[note] docker compose plugin not installed here: `docker compose config` "
                "validation skipped\n");
    }
}
