/*
 * test_log.c - the logger: line shapes (logfmt, JSON), levels and the
 * command-line verbosity, secret masking, and librdkafka's own lines routed
 * through it. Output is captured by pointing fd 2 at a temp file.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geowire/config.h"
#include "geowire/kafka.h"
#include "geowire/log.h"

static char cap_path[64];
static int cap_saved = -1;

static void cap_start(void)
{
    strcpy(cap_path, "/tmp/gw-test-log-XXXXXX");
    int fd = mkstemp(cap_path);
    cr_assert_geq(fd, 0);
    fflush(stderr);
    cap_saved = dup(2);
    dup2(fd, 2);
    close(fd);
}

/* Restores stderr; returns what was logged (malloc'd). */
static char *cap_end(void)
{
    dup2(cap_saved, 2);
    close(cap_saved);
    FILE *f = fopen(cap_path, "r");
    cr_assert_not_null(f);
    char *b = calloc(1, 1 << 20);
    size_t n = fread(b, 1, (1 << 20) - 1, f);
    b[n] = '\0';
    fclose(f);
    unlink(cap_path);
    return b;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

Test(log, logfmt_line_has_level_component_message_and_quoted_fields)
{
    cr_assert_eq(gw_log_setup("info", "logfmt"), 0);
    cap_start();
    gw_log(GW_LOG_INFO, "daemon", "partitions assigned", "count", "4", "note", "two words \"q\"",
           (const char *)NULL);
    char *out = cap_end();
    cr_assert_eq(count_lines(out), 1, "%s", out);
    cr_assert(!strncmp(out, "ts=", 3), "%s", out);
    cr_assert_not_null(strstr(out, " level=info component=daemon msg=\"partitions assigned\" count=4 "
                                   "note=\"two words \\\"q\\\"\"\n"), "%s", out);
    free(out);
}

Test(log, json_line_parses_with_every_field)
{
    cr_assert_eq(gw_log_setup("debug", "json"), 0);
    cap_start();
    gw_log(GW_LOG_WARN, "rdkafka", "line\nbreak \"quoted\"", "facility", "FAIL", (const char *)NULL);
    char *out = cap_end();
    cr_assert_eq(count_lines(out), 1, "%s", out);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    cr_assert_not_null(j, "%s: %s", e.text, out);
    cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "warn");
    cr_assert_str_eq(json_string_value(json_object_get(j, "component")), "rdkafka");
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "line\nbreak \"quoted\"");
    cr_assert_str_eq(json_string_value(json_object_get(j, "facility")), "FAIL");
    cr_assert_not_null(json_object_get(j, "ts"));
    json_decref(j);
    free(out);
}

Test(log, unknown_level_or_format_is_refused)
{
    cr_assert_eq(gw_log_setup("loud", NULL), -1);
    cr_assert_eq(gw_log_setup(NULL, "xml"), -1);
}

Test(log, level_filters_and_verbosity_moves_it_both_ways)
{
    gw_log_setup("info", "logfmt");
    cr_assert(!gw_log_enabled(GW_LOG_DEBUG));
    cr_assert(gw_log_enabled(GW_LOG_INFO));
    gw_log_verbosity(1); /* -v */
    cr_assert(gw_log_enabled(GW_LOG_DEBUG));
    cr_assert_null(gw_log_rdkafka_debug());
    gw_log_verbosity(2); /* -vv: librdkafka debug contexts too */
    cr_assert_not_null(gw_log_rdkafka_debug());
    cr_assert_not_null(strstr(gw_log_rdkafka_debug(), "cgrp"));
    gw_log_verbosity(-1); /* -q */
    cr_assert(!gw_log_enabled(GW_LOG_INFO));
    cr_assert(gw_log_enabled(GW_LOG_WARN));
    gw_log_verbosity(-5); /* clamped: errors still show */
    cr_assert(!gw_log_enabled(GW_LOG_WARN));
    cr_assert(gw_log_enabled(GW_LOG_ERROR));
    /* A reload that changes log.level keeps the command line's shift. */
    gw_log_verbosity(1);
    gw_log_setup("warn", NULL);
    cr_assert(gw_log_enabled(GW_LOG_INFO));
    cr_assert(!gw_log_enabled(GW_LOG_DEBUG));

    gw_log_verbosity(0);
    gw_log_setup("warn", NULL);
    cap_start();
    gw_log(GW_LOG_INFO, "daemon", "not shown", (const char *)NULL);
    gw_log(GW_LOG_ERROR, "daemon", "shown", (const char *)NULL);
    char *out = cap_end();
    cr_assert_eq(count_lines(out), 1, "%s", out);
    cr_assert_not_null(strstr(out, "level=error"));
    free(out);
}

Test(log, secret_values_are_masked_in_messages_and_fields)
{
    gw_log_setup("debug", "logfmt");
    gw_log_secret("sasl.username", "hunter2-Zq");
    gw_log_secret("client.rack", "r9"); /* too short to mask by value */
    cr_assert(gw_log_secret_key("client.rack"));
    cr_assert(!gw_log_secret_key("client.id"));
    cap_start();
    gw_log(GW_LOG_INFO, "x", "user hunter2-Zq logged in", "who", "hunter2-Zq", "again",
           "a=hunter2-Zq,b=hunter2-Zq", (const char *)NULL);
    gw_logf(GW_LOG_INFO, "x", "formatted %s", "hunter2-Zq");
    char *out = cap_end();
    cr_assert_null(strstr(out, "hunter2"), "%s", out);
    cr_assert_not_null(strstr(out, "msg=\"user [secret] logged in\" who=[secret] "
                                   "again=\"a=[secret],b=[secret]\""), "%s", out);
    cr_assert_not_null(strstr(out, "msg=\"formatted [secret]\""), "%s", out);
    gw_log_forget_secrets();
    cr_assert(!gw_log_secret_key("client.rack"));
    free(out);
}

/* librdkafka's own lines (its `conf` debug dump included) go through the
 * logger with component=rdkafka and the facility as a field, and a secret
 * property is masked even where librdkafka itself would print it. */
Test(log, librdkafka_lines_are_routed_and_its_config_dump_masked)
{
    gw_log_setup("info", "logfmt");
    gw_log_verbosity(2);
    gw_log_secret("client.rack", "zq7");
    gw_log_secret("client.id", "gwt-hidden-client-Q7x2");
    cap_start();
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    gw_kafka_conf_logging(conf);
    char e[256];
    cr_assert_eq(rd_kafka_conf_set(conf, "client.rack", "zq7", e, sizeof e), RD_KAFKA_CONF_OK);
    cr_assert_eq(rd_kafka_conf_set(conf, "client.id", "gwt-hidden-client-Q7x2", e, sizeof e),
                 RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    cr_assert_not_null(rk, "%s", e);
    rd_kafka_destroy(rk);
    char *out = cap_end();
    cr_assert_not_null(strstr(out, "component=rdkafka"), "%s", out);
    cr_assert_not_null(strstr(out, "facility=CONF"), "%s", out);
    cr_assert_not_null(strstr(out, "client.rack = [secret]"), "%s", out);
    cr_assert_null(strstr(out, "zq7"), "%s", out);
    cr_assert_null(strstr(out, "gwt-hidden-client"), "%s", out);
    gw_log_forget_secrets();
    free(out);
}

/* The chain from the config: a passthrough value from ${VAR} is marked
 * secret and registered, so it never reaches a log line. */
Test(log, env_passthrough_values_from_the_config_are_registered)
{
    setenv("GW_TEST_SESSION_MS", "6871", 1);
    char err[4096];
    gw_config_t *cfg = gw_config_load("tests/integration/geowire-test.yaml", err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    gw_kafka_register_secrets(cfg);
    cr_assert(gw_log_secret_key("session.timeout.ms"));
    cr_assert(!gw_log_secret_key("linger.ms"));
    gw_log_setup("info", "logfmt");
    cap_start();
    gw_log(GW_LOG_INFO, "x", "session timeout", "ms", "6871", (const char *)NULL);
    char *out = cap_end();
    cr_assert_null(strstr(out, "6871"), "%s", out);
    gw_log_forget_secrets();
    gw_config_free(cfg);
    free(out);
}
