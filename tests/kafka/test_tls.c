/*
 * test_tls.c - `geowire run` over TLS on the real broker, with the
 * throwaway PKI tests/kafka/broker.sh makes at each start. geowire is
 * configured for TLS only through its config file's librdkafka
 * passthrough (kafka.consumer / kafka.producer), the key password from
 * ${ENV}: mutual TLS end to end, SASL_SSL, the cost of TLS beside
 * PLAINTEXT, and the ways a TLS setup goes wrong (an unrelated CA, no CA,
 * no client certificate, a wrong key password), each of which must stop
 * the daemon with the cause in its log, never ready, never silent. No
 * secret appears in a -vv log.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_support.h"

/* What to pass through for one TLS setup. */
typedef struct {
    const char *protocol;  /* "ssl" or "sasl_ssl" */
    const char *ca;        /* ssl.ca.location; NULL: left out (the system store) */
    int client_cert;       /* ssl.certificate.location, ssl.key.location, ssl.key.password */
    const char *endpoint;  /* ssl.endpoint.identification.algorithm; NULL: left out (https) */
} tls_t;

/* Fills kv (room for 16 pointers) with the passthrough pairs of `t`. The
 * key password and the SASL password are ${ENV} references, as a
 * deployment would write them; the paths are written out. */
static void tls_pairs(const char **kv, const tls_t *t)
{
    size_t n = 0;
    kv[n++] = "security.protocol";
    kv[n++] = t->protocol;
    if (t->ca) {
        kv[n++] = "ssl.ca.location";
        kv[n++] = t->ca;
    }
    if (t->client_cert) {
        kv[n++] = "ssl.certificate.location";
        kv[n++] = gwk_env("GW_KAFKA_SSL_CERT");
        kv[n++] = "ssl.key.location";
        kv[n++] = gwk_env("GW_KAFKA_SSL_KEY");
        kv[n++] = "ssl.key.password";
        kv[n++] = "${GWK_SSL_KEY_PASSWORD}";
    }
    if (t->endpoint) {
        kv[n++] = "ssl.endpoint.identification.algorithm";
        kv[n++] = t->endpoint;
    }
    if (!strcmp(t->protocol, "sasl_ssl")) {
        kv[n++] = "sasl.mechanisms";
        kv[n++] = "PLAIN";
        kv[n++] = "sasl.username";
        kv[n++] = "${GWK_SASL_USER}";
        kv[n++] = "sasl.password";
        kv[n++] = "${GWK_SASL_PASSWORD}";
    }
    kv[n] = NULL;
}

/* The environment of a TLS run: the key password (possibly a wrong one)
 * and the SASL credentials. Static: gwt_spawn putenv()s the strings. */
static char **tls_env(const char *key_password)
{
    static char kp[256], user[128], pw[256];
    static char *env[4];
    snprintf(kp, sizeof kp, "GWK_SSL_KEY_PASSWORD=%s", key_password);
    snprintf(user, sizeof user, "GWK_SASL_USER=%s", gwk_env("GW_KAFKA_SASL_USER"));
    snprintf(pw, sizeof pw, "GWK_SASL_PASSWORD=%s", gwk_env("GW_KAFKA_SASL_PASSWORD"));
    env[0] = kp;
    env[1] = user;
    env[2] = pw;
    env[3] = NULL;
    return env;
}

static void stop_ok(gwt_proc_t *d, const char *who)
{
    gwt_signal(d, SIGTERM);
    int rc = gwt_wait(d, 30000);
    if (rc != 0) gwk_dump_log(d, who);
    cr_assert_eq(rc, 0, "%s: SIGTERM exit code %d", who, rc);
}

/* Creates <pre>.* with `parts` partitions and produces n items tagged
 * `tag` to <pre>.raw over PLAINTEXT (the setup is not what is tested). */
static char **setup(const char *pre, const char *tag, size_t n, int parts)
{
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    char raw[128];
    snprintf(raw, sizeof raw, "%s.raw", pre);
    cr_assert_eq(gwk_create_topics(b, pre, parts, parts), 0);
    char **items = gwk_items(tag, n);
    cr_assert_eq(gwt_produce(b, raw, items, NULL, n), 0);
    return items;
}

/* One `geowire run` over `brokers` with config `cfg` until every one of n
 * items is on <pre>.enriched, then SIGTERM: every id there exactly once
 * (a clean run), every input offset committed, the records valid (every
 * `every`-th). Returns items/s from the first output record to the last
 * and, in *log, the daemon's log (caller frees). */
static double run_all(const char *bin, const char *cfg, const char *brokers, const char *pre,
                      const char *tag, size_t n, int parts, char **env, char *const *args,
                      size_t every, char **log)
{
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    char raw[128], enriched[128];
    snprintf(raw, sizeof raw, "%s.raw", pre);
    snprintf(enriched, sizeof enriched, "%s.enriched", pre);
    gwt_proc_t d;
    cr_assert_eq(gwk_spawn_args(&d, bin, cfg, brokers, pre, pre, env, args), 0);
    int ok = gwk_wait_count(b, enriched, 1, 90000, &d);
    int64_t t0 = gwt_now();
    ok = ok && gwk_wait_count(b, enriched, (int64_t)n, 240000, &d);
    int64_t t1 = gwt_now();
    if (!ok) gwk_dump_log(&d, pre);
    cr_assert(ok, "%s: the output never reached %zu records", pre, n);
    stop_ok(&d, pre);
    cr_assert_eq(gwt_committed_sum(b, pre, raw, parts), (int64_t)n, "%s: every offset committed", pre);
    gwt_msgs_t out;
    gwt_consume(b, enriched, n, 1000, 120000, &out);
    gwt_cover_t c = gwk_cover(&out, tag, n);
    cr_assert_eq(c.distinct, n, "%s: ids present: %zu of %zu", pre, c.distinct, n);
    cr_assert_eq(c.foreign, 0);
    cr_assert_eq(c.duplicates, 0, "%s: a clean run repeats nothing (%zu duplicates)", pre, c.duplicates);
    gwk_validate(&out, every, pre);
    gwt_msgs_free(&out);
    *log = gwt_errlog(&d);
    gwt_proc_free(&d);
    return (double)n * 1000.0 / (double)(t1 - t0 > 0 ? t1 - t0 : 1);
}

/* run_all at -vv for n items tagged `tag` (also the topic prefix and the
 * config's name) through the TLS setup `t` on the listener named by the
 * variable `brokers_var`, with `key_password` in the environment; then the
 * log must hold librdkafka's conf dump with t's protocol and a TLS
 * handshake, and never `secret`. Returns the log for the setup's own checks
 * (caller frees). */
static char *secure_run(const char *tag, size_t n, const tls_t *t, const char *brokers_var,
                        const char *key_password, const char *secret)
{
    enum { PARTS = 3 };
    char pre[64];
    gwk_prefix(pre, sizeof pre, tag);
    char **items = setup(pre, tag, n, PARTS);
    const char *kv[16];
    tls_pairs(kv, t);
    gwk_cfg_t c = {.producer = kv, .consumer = kv};
    char *cfg = gwk_config(tag, &c);
    char *args[] = {"-vv", NULL};
    char *log = NULL;
    run_all(gwt_bin(), cfg, gwk_env(brokers_var), pre, tag, n, PARTS, tls_env(key_password), args, 1, &log);
    char dump[64];
    snprintf(dump, sizeof dump, "security.protocol = %s", t->protocol);
    cr_assert_not_null(strstr(log, dump), "%s: no librdkafka conf dump in the -vv log", tag);
    cr_assert_not_null(strstr(log, "SSL_HANDSHAKE -> "), "%s: no TLS handshake in the log", tag);
    cr_assert_null(strstr(log, secret), "%s: a secret appears in the log", tag);
    gwt_items_free(items, n);
    free(cfg);
    return log;
}

Test(tls, mutual_tls_through_the_passthrough_and_no_secret_at_debug, .timeout = 300)
{
    const char *kpw = gwk_env("GW_KAFKA_SSL_KEY_PASSWORD");
    tls_t t = {"ssl", gwk_env("GW_KAFKA_SSL_CA"), 1, NULL};
    char *log = secure_run("mtls", 3000, &t, "GW_KAFKA_SSL_BROKERS", kpw, kpw);
    /* The log is librdkafka's debug (its conf dump lists the passthrough),
     * so a leak would show; the client really went through a handshake. */
    cr_assert_not_null(strstr(log, "ssl.key.password = [secret]"), "the key password is not shown masked");
    cr_assert_not_null(strstr(log, "SSL_HANDSHAKE -> APIVERSION_QUERY"), "no TLS handshake in the log");
    free(log);
}

Test(tls, sasl_ssl_with_the_ca_only_and_no_secret_at_debug, .timeout = 300)
{
    tls_t t = {"sasl_ssl", gwk_env("GW_KAFKA_SSL_CA"), 0, NULL};
    free(secure_run("sasls", 2000, &t, "GW_KAFKA_SASL_SSL_BROKERS", "unused", gwk_env("GW_KAFKA_SASL_PASSWORD")));
}

/* The figure: the optimised binary, the same item count and partitions,
 * over PLAINTEXT and then over mutual TLS, one after the other on the same
 * broker. Nothing is timed against a limit (targets live in `make bench`). */
Test(tls, throughput_over_mutual_tls_beside_plaintext, .timeout = 600)
{
    enum { N = 20000, PARTS = 6 };
    const char *kpw = gwk_env("GW_KAFKA_SSL_KEY_PASSWORD");
    char plain[64], tls[64];
    gwk_prefix(plain, sizeof plain, "thp");
    gwk_prefix(tls, sizeof tls, "tht");
    char **a = setup(plain, "thp", N, PARTS);
    char **b = setup(tls, "tht", N, PARTS);
    char *cfg_plain = gwk_config("thp", NULL);
    const char *kv[16];
    tls_t t = {"ssl", gwk_env("GW_KAFKA_SSL_CA"), 1, NULL};
    tls_pairs(kv, &t);
    gwk_cfg_t c = {.producer = kv, .consumer = kv};
    char *cfg_tls = gwk_config("tht", &c);
    char *log = NULL;
    double r_plain = run_all(gwk_release_bin(), cfg_plain, gwk_env("GW_KAFKA_BROKERS"), plain, "thp", N, PARTS,
                             NULL, NULL, 50, &log);
    free(log);
    double r_tls = run_all(gwk_release_bin(), cfg_tls, gwk_env("GW_KAFKA_SSL_BROKERS"), tls, "tht", N, PARTS,
                           tls_env(kpw), NULL, 50, &log);
    free(log);
    fprintf(stderr, "[figure] real broker, 1 process, %d items: PLAINTEXT %.0f items/s, mutual TLS %.0f "
            "items/s (%.2fx)\n", N, r_plain, r_tls, r_tls / r_plain);
    gwt_items_free(a, N);
    gwt_items_free(b, N);
    free(cfg_plain);
    free(cfg_tls);
}

/* Runs geowire on `brokers` and the topics <pre>.* with TLS setup `t` and
 * key password `kpw` (HTTP on a free port) and expects it to stop by itself with a non-zero exit code, within
 * a bound, without producing anything, without a secret in its log, and
 * with each of `causes` (NULL-terminated) in its log. While it runs,
 * /readyz must not say ready. Returns the exit code. */
static int must_fail(const char *name, const char *brokers, const char *pre, const tls_t *t,
                     const char *kpw, const char *const *causes)
{
    const char *b = gwk_env("GW_KAFKA_BROKERS");
    char enriched[128];
    snprintf(enriched, sizeof enriched, "%s.enriched", pre);
    const char *kv[16];
    tls_pairs(kv, t);
    gwk_cfg_t c = {.producer = kv, .consumer = kv, .http = "127.0.0.1:0"};
    char *cfg = gwk_config(name, &c);
    gwt_proc_t d;
    char group[96];
    snprintf(group, sizeof group, "%s-%s", pre, name);
    cr_assert_eq(gwk_spawn(&d, gwt_bin(), cfg, brokers, pre, group, tls_env(kpw)), 0);
    /* Readiness: polled until the daemon exits; anything but 503 fails. */
    char addr[128];
    int probes = 0;
    if (gwt_http_address(&d, addr, sizeof addr)) {
        int64_t end = gwt_now() + 60000;
        while (gwt_now() < end) {
            gwt_resp_t r;
            if (gwt_http(addr, "GET", "/readyz", &r) != 0) break; /* the daemon is gone */
            int status = r.status;
            gwt_resp_free(&r);
            cr_assert_eq(status, 503, "%s: /readyz answers %d while the broker refuses the client", name, status);
            probes++;
            gwt_sleep_ms(500);
        }
    }
    int rc = gwt_wait(&d, 60000);
    char *log = gwt_errlog(&d);
    int all = rc > 0;
    for (size_t i = 0; causes[i]; i++) all = all && strstr(log, causes[i]);
    if (!all) fprintf(stderr, "---- %s log ----\n%s\n----\n", name, log);
    cr_assert(rc > 0, "%s: geowire must stop by itself with an error (exit code %d)", name, rc);
    for (size_t i = 0; causes[i]; i++)
        cr_assert_not_null(strstr(log, causes[i]), "%s: the log does not say \"%s\"", name, causes[i]);
    cr_assert_null(strstr(log, gwk_env("GW_KAFKA_SSL_KEY_PASSWORD")), "%s: the key password is logged", name);
    cr_assert_null(strstr(log, kpw), "%s: the key password given is logged", name);
    cr_assert_eq(gwt_topic_count(b, enriched), 0, "%s: records reached the output", name);
    fprintf(stderr, "[note] %s: exit %d, %d readiness probes, none ready\n", name, rc, probes);
    free(log);
    gwt_proc_free(&d);
    free(cfg);
    return rc;
}

Test(tls, every_broken_tls_setup_stops_the_daemon_with_its_cause, .timeout = 400)
{
    enum { N = 100 };
    const char *kpw = gwk_env("GW_KAFKA_SSL_KEY_PASSWORD");
    char pre[64];
    gwk_prefix(pre, sizeof pre, "tlsbad");
    char **items = setup(pre, "tlsbad", N, 1);
    const char *ca = gwk_env("GW_KAFKA_SSL_CA");
    const char *sb = gwk_env("GW_KAFKA_SSL_BROKERS");
    /* The broker's certificate is checked against the CA given, not taken
     * on trust: an unrelated CA, or none (the system store), fails the
     * handshake, and the line that stops the daemon says so. */
    static const char *const unverified[] = {
        "cannot read cluster metadata", "last broker error: ssl://", "certificate verify failed", NULL};
    tls_t other = {"ssl", gwk_env("GW_KAFKA_SSL_OTHER_CA"), 1, NULL};
    must_fail("tls-other-ca", sb, pre, &other, kpw, unverified);
    tls_t none = {"ssl", NULL, 1, NULL};
    must_fail("tls-no-ca", sb, pre, &none, kpw, unverified);
    /* The listener requires a client certificate: without one the broker
     * ends the handshake with an alert. */
    static const char *const refused[] = {"last broker error: ssl://", "bad certificate", NULL};
    tls_t anonymous = {"ssl", ca, 0, NULL};
    must_fail("tls-no-client-cert", sb, pre, &anonymous, kpw, refused);
    /* A wrong key password is a configuration error found before any
     * connection: exit 2 at once, naming the property. */
    static const char *const bad_key[] = {"ssl.key.location failed", NULL};
    char wrong[256];
    snprintf(wrong, sizeof wrong, "not-%s", kpw);
    tls_t mtls = {"ssl", ca, 1, NULL};
    cr_assert_eq(must_fail("tls-wrong-key-password", sb, pre, &mtls, wrong, bad_key), 2);
    gwt_items_free(items, N);
}

/* Host names are checked by default: librdkafka 2.0 made
 * ssl.endpoint.identification.algorithm=https its default. A listener whose
 * certificate the same CA signed for elsewhere.invalid only is refused with
 * the default, and the very same setup with `none` runs: so it is the host
 * name check that refused, not the chain. */
Test(tls, a_broker_certificate_for_another_host_is_refused_by_default, .timeout = 300)
{
    enum { N = 200, PARTS = 1 };
    const char *kpw = gwk_env("GW_KAFKA_SSL_KEY_PASSWORD");
    const char *mb = gwk_env("GW_KAFKA_SSL_MISNAMED_BROKERS");
    static const char *const unverified[] = {"last broker error: ssl://", "certificate verify failed", NULL};
    tls_t verified = {"ssl", gwk_env("GW_KAFKA_SSL_CA"), 1, NULL};
    char pre[64];
    gwk_prefix(pre, sizeof pre, "misn");
    char **items = setup(pre, "misn", N, PARTS);
    must_fail("tls-misnamed", mb, pre, &verified, kpw, unverified);
    tls_t unchecked = verified;
    unchecked.endpoint = "none";
    const char *kv[16];
    tls_pairs(kv, &unchecked);
    gwk_cfg_t c = {.producer = kv, .consumer = kv};
    char *cfg = gwk_config("tls-misnamed-none", &c);
    char *log = NULL;
    run_all(gwt_bin(), cfg, mb, pre, "misn", N, PARTS, tls_env(kpw), NULL, 1, &log);
    free(log);
    gwt_items_free(items, N);
    free(cfg);
}
