/*
 * test_reload.c - hot reload. First the pipeline alone (gw_pipeline_reload),
 * then `geowire run` as a real process on a mock cluster, reloaded by
 * SIGHUP: a changed dictionary changes the tags of later items, a broken
 * one is refused with file:line:col while the old set keeps serving, and a
 * changed Kafka setting is reported as needing a restart.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geowire/common.h"
#include "geowire/pipeline.h"
#include "support/shipped.h"
#include "support/support.h"

/* A fictional person, so no shipped entry can tag it by accident. */
#define PERSON_ID "per:quentin_zorblax"
static const char *const person_yaml =
    "  - id: per:quentin_zorblax\n"
    "    name: Quentin Zorblax\n"
    "    country: FRA\n"
    "    names: [Quentin Zorblax]\n"
    "    roles:\n"
    "      - {title: Minister of Maritime Affairs, code: GOV, since: 2020-01-01}\n"
    "    source: \"test fixture, fictional\"\n";
/* An unterminated flow sequence: a YAML syntax error at a known place. */
static const char *const broken_yaml = "  - id: per:broken\n    names: [Broken, \n";

/* Writes the shipped people.yaml plus `extra` to `path`. */
static void write_people(const char *path, const char *extra)
{
    FILE *in = fopen("config/dictionaries/people.yaml", "r");
    cr_assert_not_null(in);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    cr_assert_not_null(out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fputs(extra, out);
    fclose(out);
    /* rename: the daemon never reads a half-written file. */
    cr_assert_eq(rename(tmp, path), 0);
}

/* A config whose people dictionary is `people` (plus `extra_edit` pairs). */
static void make_config(char *cfg, size_t n, const char *people, const char *consumer_extra)
{
    char line[300], cons[300];
    snprintf(line, sizeof line, "  people: %s", people);
    snprintf(cons, sizeof cons, "  consumer:\n%s", consumer_extra ? consumer_extra : "");
    const char *edits[] = {"  people:", line, "  consumer:", cons, NULL};
    cr_assert_eq(gwt_config_write(cfg, n, edits), 0);
}

static int has_actor(const char *rec, size_t len, const char *id)
{
    json_error_t e;
    json_t *j = json_loadb(rec, len, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    int found = gw_test_find_by(j, "actors", "id", id) != NULL;
    json_decref(j);
    return found;
}

static int process_has_person(gw_pipeline_t *p, const char *text)
{
    gw_result_t res;
    cr_assert_eq(gw_pipeline_process(p, text, strlen(text), NULL, &res), GW_OK);
    cr_assert_eq(res.reason, GW_REASON_NONE, "%s", res.message);
    int found = has_actor(res.record, res.record_len, PERSON_ID);
    gw_result_clear(&res);
    return found;
}

static const char *const item_text =
    "{\"id\":\"r-1\",\"title\":\"Quentin Zorblax visits Marseille\","
    "\"body\":\"French minister Quentin Zorblax inspected the port of Marseille on Monday.\"}";

Test(reload, pipeline_swaps_a_valid_set_and_keeps_the_old_one_on_error)
{
    char people[] = "/tmp/gwt-people-XXXXXX.yaml";
    close(mkstemps(people, 5));
    write_people(people, "");
    char cfgpath[64];
    make_config(cfgpath, sizeof cfgpath, people, NULL);
    char err[4096];
    gw_config_t *cfg = gw_config_load(cfgpath, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    gw_pipeline_t *p = gw_pipeline_new(cfg, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    cr_assert(!process_has_person(p, item_text));

    write_people(people, person_yaml);
    cr_assert_eq(gw_pipeline_reload(p, cfg, err, sizeof err), GW_OK, "%s", err);
    cr_assert(process_has_person(p, item_text), "the reloaded dictionary is not used");

    write_people(people, broken_yaml);
    err[0] = '\0';
    cr_assert_eq(gw_pipeline_reload(p, cfg, err, sizeof err), GW_EINVAL);
    regex_t re;
    char pat[300];
    snprintf(pat, sizeof pat, "^%s:[0-9]+:[0-9]+: ", people);
    cr_assert_eq(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regexec(&re, err, 0, NULL, 0), 0, "no file:line:col in: %s", err);
    regfree(&re);
    cr_assert(process_has_person(p, item_text), "a refused reload lost the running set");

    gw_pipeline_free(p);
    gw_config_free(cfg);
    unlink(cfgpath);
    unlink(people);
}

/* Writes the shipped alerts.yaml plus `extra` rules to `path`. */
static void write_alerts(const char *path, const char *extra)
{
    FILE *in = fopen("config/alerts.yaml", "r");
    cr_assert_not_null(in);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    cr_assert_not_null(out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fputs(extra, out);
    fclose(out);
    cr_assert_eq(rename(tmp, path), 0);
}

static const char *const zorblax_rule =
    "  - id: zorblax-watch\n"
    "    description: the fictional test minister is a party\n"
    "    when:\n"
    "      all:\n"
    "        - actor: {id: per:quentin_zorblax}\n";

/* Rules are compiled against the dictionaries they name: a rule about a
 * person the new dictionary lacks refuses the whole reload; the person
 * and the rule together go in as one set. */
Test(reload, alert_rules_reload_with_the_dictionaries_they_name)
{
    char people[] = "/tmp/gwt-people-XXXXXX.yaml", alerts[] = "/tmp/gwt-alerts-XXXXXX.yaml";
    close(mkstemps(people, 5));
    close(mkstemps(alerts, 5));
    write_people(people, "");
    write_alerts(alerts, "");
    char line_p[300], line_a[300], cfgpath[64];
    snprintf(line_p, sizeof line_p, "  people: %s", people);
    snprintf(line_a, sizeof line_a, "alerts: %s", alerts);
    const char *edits[] = {"  people:", line_p, "alerts:", line_a, NULL};
    cr_assert_eq(gwt_config_write(cfgpath, sizeof cfgpath, edits), 0);
    char err[4096];
    gw_config_t *cfg = gw_config_load(cfgpath, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_str_eq(cfg->alerts, alerts, "the test config names no alerts file");
    gw_pipeline_t *p = gw_pipeline_new(cfg, err, sizeof err);
    cr_assert_not_null(p, "%s", err);

    write_alerts(alerts, zorblax_rule);
    cr_assert_eq(gw_pipeline_reload(p, cfg, err, sizeof err), GW_EINVAL);
    cr_assert_not_null(strstr(err, alerts), "%s", err);

    write_people(people, person_yaml);
    cr_assert_eq(gw_pipeline_reload(p, cfg, err, sizeof err), GW_OK, "%s", err);
    gw_result_t res;
    cr_assert_eq(gw_pipeline_process(p, item_text, strlen(item_text), NULL, &res), GW_OK);
    cr_assert_eq(res.reason, GW_REASON_NONE, "%s", res.message);
    json_error_t je;
    json_t *j = json_loadb(res.record, res.record_len, 0, &je);
    cr_assert_not_null(j);
    cr_assert_not_null(gw_test_find_by(j, "alerts", "rule", "zorblax-watch"), "%s", res.record);
    json_decref(j);
    gw_result_clear(&res);

    gw_pipeline_free(p);
    gw_config_free(cfg);
    unlink(cfgpath);
    unlink(people);
    unlink(alerts);
}

/* The enriched record of item `id` among the output, or NULL. */
static const gwt_msg_t *find_record(const gwt_msgs_t *ms, const char *id)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"id\":\"%s\"", id);
    for (size_t i = 0; i < ms->n; i++)
        if (strstr(ms->m[i].payload, needle)) return &ms->m[i];
    return NULL;
}

static void produce_item(const char *brokers, const char *id)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"title\":\"Quentin Zorblax visits Marseille\",\"body\":\"French "
             "minister Quentin Zorblax inspected the port of Marseille.\"}", id);
    char *items[] = {buf};
    cr_assert_eq(gwt_produce(brokers, "news.raw", items, NULL, 1), 0);
}

/* Produces item `id`, waits for its record, returns whether it tags the
 * fictional person. */
static int tagged_after_produce(const char *brokers, const char *id, size_t n_before)
{
    produce_item(brokers, id);
    gwt_msgs_t ms;
    gwt_consume(brokers, "news.enriched", n_before + 1, 0, 60000, &ms);
    const gwt_msg_t *m = find_record(&ms, id);
    cr_assert_not_null(m, "no record for %s", id);
    int found = has_actor(m->payload, m->len, PERSON_ID);
    gwt_msgs_free(&ms);
    return found;
}

static void dump_log(gwt_proc_t *p)
{
    char *s = gwt_errlog(p);
    size_t l = strlen(s);
    fprintf(stderr, "---- daemon stderr (tail) ----\n%s\n", l > 6000 ? s + l - 6000 : s);
    free(s);
}

Test(reload, sighup_swaps_dictionaries_and_a_broken_file_keeps_serving, .timeout = 150)
{
    gw_embedded_t *e = gwt_cluster(2);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    char people[] = "/tmp/gwt-people-XXXXXX.yaml";
    close(mkstemps(people, 5));
    write_people(people, "");
    char cfgpath[64];
    make_config(cfgpath, sizeof cfgpath, people, NULL);

    char *env[] = {"GEOWIRE_GROUP_ID=gwt-reload", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", cfgpath, "--brokers", (char *)b, NULL};
    gwt_proc_t d;
    cr_assert_eq(gwt_spawn(&d, argv, env), 0);

    cr_assert(!tagged_after_produce(b, "r-before", 0));

    /* A valid new dictionary, and a config that also changes a consumer
     * property: the dictionary is applied, the property reported. */
    write_people(people, person_yaml);
    char cfg2[64];
    make_config(cfg2, sizeof cfg2, people, "    fetch.wait.max.ms: 50");
    cr_assert_eq(rename(cfg2, cfgpath), 0);
    gwt_signal(&d, SIGHUP);
    if (!gwt_wait_log(&d, "msg=reloaded", 30000)) dump_log(&d);
    cr_assert(gwt_wait_log(&d, "keys=kafka.consumer.fetch.wait.max.ms", 1000),
              "the restart-only change was not reported");
    cr_assert(tagged_after_produce(b, "r-after", 1), "the reloaded dictionary is not used");

    /* A broken dictionary: refused with its position, the daemon keeps
     * tagging with the set it had. */
    write_people(people, broken_yaml);
    gwt_signal(&d, SIGHUP);
    cr_assert(gwt_wait_log(&d, "reload refused", 30000));
    char *log = gwt_errlog(&d);
    char pat[300];
    snprintf(pat, sizeof pat, "error=\"%s:[0-9]+:[0-9]+: ", people);
    regex_t re;
    cr_assert_eq(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regexec(&re, log, 0, NULL, 0), 0, "no file:line:col in the log:\n%s", log);
    regfree(&re);
    free(log);
    cr_assert(tagged_after_produce(b, "r-broken", 2), "a refused reload lost the running set");

    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 30000), 0);
    gwt_proc_free(&d);
    unlink(cfgpath);
    unlink(people);
    gw_embedded_stop(e);
}

/* What a reload cannot apply is named by key, and a secret's value never
 * appears in the list. */
Test(reload, restart_only_keys_are_named_without_values)
{
    char a[64], b[64];
    setenv("GW_TEST_SESSION_MS", "6000", 1);
    cr_assert_eq(gwt_config_write(a, sizeof a, NULL), 0);
    const char *edits[] = {"  output:", "  output: news.enriched.v2", "  max_in_flight:",
                           "  max_in_flight: 64", "  max_evidence:", "  max_evidence: 4", NULL};
    cr_assert_eq(gwt_config_write(b, sizeof b, edits), 0);
    char err[4096];
    gw_config_t *ca = gw_config_load(a, err, sizeof err);
    cr_assert_not_null(ca, "%s", err);
    setenv("GW_TEST_SESSION_MS", "7321", 1);
    gw_config_t *cb = gw_config_load(b, err, sizeof err);
    cr_assert_not_null(cb, "%s", err);
    char *keys = gw_config_restart_keys(ca, cb);
    cr_assert_str_eq(keys, "topics.output,kafka.consumer.session.timeout.ms,limits.max_in_flight");
    free(keys);
    keys = gw_config_restart_keys(ca, ca);
    cr_assert_str_eq(keys, "");
    free(keys);
    gw_config_free(ca);
    gw_config_free(cb);
    unlink(a);
    unlink(b);
}

/* A local IPv4 address other than loopback ("a.b.c.d"), or 0 when the host
 * has none. */
static int non_loopback_ip(char *ip, size_t n)
{
    struct ifaddrs *ifs = NULL, *i;
    int found = 0;
    if (getifaddrs(&ifs) != 0) return 0;
    for (i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        const struct in_addr *a = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if ((ntohl(a->s_addr) >> 24) == 127) continue;
        found = inet_ntop(AF_INET, a, ip, (socklen_t)n) != NULL;
    }
    freeifaddrs(ifs);
    return found;
}

static void spawn_with_http(gwt_proc_t *d, const char *cfg, const char *brokers, const char *group)
{
    static char genv[64];
    snprintf(genv, sizeof genv, "GEOWIRE_GROUP_ID=%s", group);
    /* Every interface, so the test can also come from a non-loopback address. */
    char *env[] = {genv, "GW_TEST_HTTP=0.0.0.0:0", NULL};
    char *argv[] = {(char *)gwt_bin(), "run", "-c", (char *)cfg, "--brokers", (char *)brokers, NULL};
    cr_assert_eq(gwt_spawn(d, argv, env), 0);
}

/* The port of an "ADDR:PORT" address. */
static const char *port_of(const char *addr) { return strrchr(addr, ':') + 1; }

Test(reload, post_reload_from_loopback_when_enabled, .timeout = 150)
{
    gw_embedded_t *e = gwt_cluster(2);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    char people[] = "/tmp/gwt-people-XXXXXX.yaml";
    close(mkstemps(people, 5));
    write_people(people, "");
    char line_p[300], cfg[64], cfg_off[64];
    snprintf(line_p, sizeof line_p, "  people: %s", people);
    const char *on[] = {"  people:", line_p, "http:", "http:\n  reload: true", NULL};
    cr_assert_eq(gwt_config_write(cfg, sizeof cfg, on), 0);
    const char *off[] = {"  people:", line_p, NULL};
    cr_assert_eq(gwt_config_write(cfg_off, sizeof cfg_off, off), 0);

    /* Off unless enabled: no such route. */
    gwt_proc_t d;
    spawn_with_http(&d, cfg_off, b, "gwt-http-reload-off");
    char addr[128], url[160];
    cr_assert(gwt_http_address(&d, addr, sizeof addr), "no HTTP address logged");
    snprintf(url, sizeof url, "127.0.0.1:%s", port_of(addr));
    gwt_resp_t r;
    cr_assert_eq(gwt_http(url, "POST", "/-/reload", &r), 0);
    cr_assert_eq(r.status, 404, "%d %s", r.status, r.body);
    gwt_resp_free(&r);
    gwt_signal(&d, SIGTERM);
    gwt_wait(&d, 30000);
    gwt_proc_free(&d);

    spawn_with_http(&d, cfg, b, "gwt-http-reload");
    cr_assert(gwt_http_address(&d, addr, sizeof addr), "no HTTP address logged");
    snprintf(url, sizeof url, "127.0.0.1:%s", port_of(addr));
    cr_assert(!tagged_after_produce(b, "h-before", 0));

    write_people(people, person_yaml);
    cr_assert_eq(gwt_http(url, "POST", "/-/reload", &r), 0);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_not_null(strstr(r.body, "\"status\":\"reloaded\""), "%s", r.body);
    gwt_resp_free(&r);
    cr_assert(tagged_after_produce(b, "h-after", 1), "the reloaded dictionary is not used");

    write_people(people, broken_yaml);
    cr_assert_eq(gwt_http(url, "POST", "/-/reload", &r), 0);
    cr_assert_eq(r.status, 422, "%d %s", r.status, r.body);
    char pat[300];
    snprintf(pat, sizeof pat, "\"error\":\"%s:[0-9]+:[0-9]+: ", people);
    regex_t re;
    cr_assert_eq(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regexec(&re, r.body, 0, NULL, 0), 0, "no file:line:col in %s", r.body);
    regfree(&re);
    gwt_resp_free(&r);
    cr_assert(tagged_after_produce(b, "h-broken", 2), "a refused reload lost the running set");

    cr_assert_eq(gwt_http(url, "GET", "/-/reload", &r), 0);
    cr_assert_eq(r.status, 405);
    gwt_resp_free(&r);

    char ip[64];
    if (non_loopback_ip(ip, sizeof ip)) {
        snprintf(url, sizeof url, "%s:%s", ip, port_of(addr));
        cr_assert_eq(gwt_http(url, "POST", "/-/reload", &r), 0);
        cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
        gwt_resp_free(&r);
    } else {
        cr_log_warn("no non-loopback IPv4 address: the 403 case is not exercised");
    }

    gwt_signal(&d, SIGTERM);
    cr_assert_eq(gwt_wait(&d, 30000), 0);
    gwt_proc_free(&d);
    unlink(cfg);
    unlink(cfg_off);
    unlink(people);
    gw_embedded_stop(e);
}
