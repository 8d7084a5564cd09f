/*
 * test_logging.c - `geowire run -vv` as a real process on a mock cluster:
 * debug lines (librdkafka's included) are written, yet a secret given via
 * the environment never reaches stderr, and no item body is logged at info.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"

#define SECRET_ID "gwt-hidden-client-Q7x2"
#define SECRET_MS "6217"
#define BODY_MARK "Quokkaburg harbour pilots staged a walkout"

Test(logging, secret_from_env_never_in_stderr_at_debug, .timeout = 90)
{
    gw_embedded_t *e = gwt_cluster(2);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    char item[256];
    snprintf(item, sizeof item, "{\"id\":\"log-1\",\"title\":\"Strike\",\"body\":\"%s in France.\"}",
             BODY_MARK);
    char *items[] = {item};
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, 1), 0);

    /* client.id is in librdkafka's handle name, so it would be in nearly
     * every rdkafka line; session.timeout.ms is in its config dump. */
    char cfg[64];
    const char *edits[] = {"  consumer:", "  consumer:\n    client.id: ${GWT_CLIENT_ID}", NULL};
    cr_assert_eq(gwt_config_write(cfg, sizeof cfg, edits), 0);
    char *env[] = {"GEOWIRE_GROUP_ID=gwt-logging", "GWT_CLIENT_ID=" SECRET_ID,
                   "GW_TEST_SESSION_MS=" SECRET_MS, NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", cfg, "--brokers", (char *)b, "-vv", NULL};
    gwt_proc_t d;
    cr_assert_eq(gwt_spawn(&d, argv, env), 0);
    if (!gwt_wait_count(b, "news.enriched", 1, 60000)) {
        /* Show what the daemon said, without librdkafka's debug flood. */
        char *all = gwt_errlog(&d);
        for (char *line = strtok(all, "\n"); line; line = strtok(NULL, "\n"))
            if (!strstr(line, "level=debug")) fprintf(stderr, "%s\n", line);
        free(all);
        cr_assert_fail("no enriched record within 60 s");
    }
    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 30000), 0);

    char *log = gwt_errlog(&d);
    cr_assert_not_null(strstr(log, "level=debug component=rdkafka"), "no librdkafka debug lines");
    cr_assert_not_null(strstr(log, "facility=CONF"), "no librdkafka config dump");
    cr_assert_not_null(strstr(log, "session.timeout.ms = [secret]"), "session.timeout.ms not masked");
    cr_assert_null(strstr(log, SECRET_ID), "the client.id secret leaked");
    cr_assert_null(strstr(log, SECRET_MS), "the session.timeout.ms secret leaked");
    /* Item bodies: never in a line at info or above. */
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(line, "level=debug"))
            cr_assert_null(strstr(line, "Quokkaburg"), "item body logged: %s", line);
    free(log);
    gwt_proc_free(&d);
    unlink(cfg);
    gw_embedded_stop(e);
}
