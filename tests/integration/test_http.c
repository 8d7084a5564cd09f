/*
 * test_http.c - the HTTP endpoint of `geowire run` (the sanitized binary)
 * against a mock cluster hosted in the test: /metrics parses as strict
 * Prometheus exposition 0.0.4 and each counter moves when it should,
 * /readyz flips when the broker goes down and back, the status page and
 * its JSON, and the bind rules (explicit taken address: exit 2; configured
 * taken address: a warning and the daemon runs on). Every wait is bounded.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "geowire/addr.h"
#include "geowire/common.h"
#include "support/support.h"

#define CONFIG "tests/integration/geowire-test.yaml"
#define PARTS 4

/* ------------------------------------------- Prometheus exposition check */

typedef struct {
    char name[160];
    char type[16];
    int help, samples_done;
} family_t;

static int name_ok(const char *s, size_t n, int metric)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = isalpha(c) || c == '_' || (metric && c == ':') || (i && isdigit(c));
        if (!ok) return 0;
    }
    return 1;
}

static int value_ok(const char *s, double *v)
{
    if (!strcmp(s, "+Inf")) { *v = INFINITY; return 1; }
    if (!strcmp(s, "-Inf")) { *v = -INFINITY; return 1; }
    if (!strcmp(s, "NaN")) { *v = NAN; return 1; }
    char *end;
    *v = strtod(s, &end);
    return end != s && !*end && !isspace((unsigned char)s[0]);
}

/* Strict check of a text exposition (format 0.0.4), plus the conventions
 * geowire promises: every name starts geowire_, HELP and TYPE precede each
 * family's samples, a family's samples are contiguous, no series twice,
 * counters end in _total and never go negative, histogram buckets are
 * cumulative and end with +Inf equal to _count. Returns NULL when valid,
 * else a static description of the first problem. */
static const char *expo_check(const char *text)
{
    static char why[512];
    family_t fam[128];
    size_t nf = 0;
    char (*series)[1024] = calloc(4096, sizeof *series);
    size_t ns = 0;
    const char *cur = NULL;   /* family whose samples are being read */
    double last_bucket = -1, inf_bucket = -1;
    const char *line = text;
    int lineno = 0;
#define FAIL(...) do { snprintf(why, sizeof why, __VA_ARGS__); free(series); return why; } while (0)
    if (!*text || text[strlen(text) - 1] != '\n') FAIL("the text must end with a newline");
    while (*line) {
        lineno++;
        const char *eol = strchr(line, '\n');
        char l[1024];
        size_t ll = (size_t)(eol - line);
        if (ll >= sizeof l) FAIL("line %d too long", lineno);
        memcpy(l, line, ll);
        l[ll] = '\0';
        line = eol + 1;
        if (!ll) FAIL("line %d is empty", lineno);
        if (l[0] == '#') {
            char kw[8], name[160];
            int off = 0;
            if (sscanf(l, "# %7s %159s %n", kw, name, &off) < 2 || (strcmp(kw, "HELP") && strcmp(kw, "TYPE")))
                continue; /* a plain comment */
            if (!name_ok(name, strlen(name), 1)) FAIL("line %d: bad metric name '%s'", lineno, name);
            family_t *f = NULL;
            for (size_t i = 0; i < nf; i++) if (!strcmp(fam[i].name, name)) f = &fam[i];
            if (!f) {
                if (nf == 128) FAIL("too many families");
                f = &fam[nf++];
                memset(f, 0, sizeof *f);
                snprintf(f->name, sizeof f->name, "%s", name);
            }
            if (f->samples_done || (cur && !strcmp(cur, name)))
                FAIL("line %d: %s for %s after its samples", lineno, kw, name);
            if (!strcmp(kw, "HELP")) {
                if (f->help++) FAIL("line %d: second HELP for %s", lineno, name);
                for (const char *p = l + off; *p; p++)
                    if (*p == '\\' && p[1] != '\\' && p[1] != 'n') FAIL("line %d: bad escape in HELP", lineno);
            } else {
                const char *t = l + off;
                if (f->type[0]) FAIL("line %d: second TYPE for %s", lineno, name);
                if (strcmp(t, "counter") && strcmp(t, "gauge") && strcmp(t, "histogram") &&
                    strcmp(t, "summary") && strcmp(t, "untyped"))
                    FAIL("line %d: unknown type '%s'", lineno, t);
                snprintf(f->type, sizeof f->type, "%s", t);
                if (!strcmp(t, "counter") && (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total")))
                    FAIL("line %d: counter %s does not end in _total", lineno, name);
            }
            continue;
        }
        /* a sample: name{labels} value */
        const char *p = l;
        while (*p && *p != '{' && *p != ' ') p++;
        char name[160];
        if ((size_t)(p - l) >= sizeof name) FAIL("line %d: name too long", lineno);
        memcpy(name, l, (size_t)(p - l));
        name[p - l] = '\0';
        if (!name_ok(name, strlen(name), 1)) FAIL("line %d: bad metric name '%s'", lineno, name);
        if (strncmp(name, "geowire_", 8)) FAIL("line %d: %s lacks the geowire_ prefix", lineno, name);
        char le[256] = "";
        if (*p == '{') {
            p++;
            while (*p != '}') {
                const char *ls = p;
                while (*p && *p != '=') p++;
                if (!*p || !name_ok(ls, (size_t)(p - ls), 0) || !strncmp(ls, "__", 2))
                    FAIL("line %d: bad label name", lineno);
                int is_le = p - ls == 2 && !strncmp(ls, "le", 2);
                if (*++p != '"') FAIL("line %d: label value not quoted", lineno);
                p++;
                char val[256];
                size_t vl = 0;
                while (*p && *p != '"') {
                    if (*p == '\\') {
                        if (p[1] != '\\' && p[1] != '"' && p[1] != 'n') FAIL("line %d: bad escape in a label value", lineno);
                        p++;
                    }
                    if (vl < sizeof val - 1) val[vl++] = *p;
                    p++;
                }
                val[vl] = '\0';
                if (*p != '"') FAIL("line %d: unterminated label value", lineno);
                p++;
                if (is_le) snprintf(le, sizeof le, "%s", val);
                if (*p == ',') p++;
                else if (*p != '}') FAIL("line %d: expected , or } after a label", lineno);
            }
            p++;
        }
        if (*p != ' ') FAIL("line %d: expected a space before the value", lineno);
        p++;
        char vbuf[64];
        const char *sp = strchr(p, ' ');
        size_t vlen = sp ? (size_t)(sp - p) : strlen(p);
        if (vlen >= sizeof vbuf) FAIL("line %d: value too long", lineno);
        memcpy(vbuf, p, vlen);
        vbuf[vlen] = '\0';
        double v;
        if (!value_ok(vbuf, &v)) FAIL("line %d: bad value '%s'", lineno, vbuf);
        if (sp) {
            char *end;
            strtoll(sp + 1, &end, 10);
            if (*end || end == sp + 1) FAIL("line %d: bad timestamp", lineno);
        }
        /* the family: a histogram's _bucket/_sum/_count belong to it */
        family_t *f = NULL;
        const char *suffix = "";
        for (size_t i = 0; i < nf && !f; i++) {
            size_t fl = strlen(fam[i].name);
            if (!strcmp(fam[i].name, name)) f = &fam[i];
            else if (!strcmp(fam[i].type, "histogram") && !strncmp(name, fam[i].name, fl) &&
                     (!strcmp(name + fl, "_bucket") || !strcmp(name + fl, "_sum") || !strcmp(name + fl, "_count"))) {
                f = &fam[i];
                suffix = name + fl;
            }
        }
        if (!f || !f->type[0] || !f->help) FAIL("line %d: %s has no HELP and TYPE before it", lineno, name);
        if (f->samples_done) FAIL("line %d: samples of %s are not contiguous", lineno, f->name);
        if (cur && strcmp(cur, f->name)) {
            for (size_t i = 0; i < nf; i++) if (!strcmp(fam[i].name, cur)) fam[i].samples_done = 1;
            last_bucket = inf_bucket = -1;
        }
        cur = f->name;
        if (!strcmp(f->type, "counter") && !(v >= 0)) FAIL("line %d: counter %s is negative", lineno, name);
        if (!strcmp(suffix, "_bucket")) {
            if (!le[0]) FAIL("line %d: bucket without le", lineno);
            if (v < last_bucket) FAIL("line %d: buckets of %s are not cumulative", lineno, f->name);
            last_bucket = v;
            if (!strcmp(le, "+Inf")) inf_bucket = v;
        } else if (!strcmp(suffix, "_count")) {
            if (inf_bucket < 0) FAIL("line %d: %s has no +Inf bucket", lineno, f->name);
            if (v != inf_bucket) FAIL("line %d: %s_count differs from the +Inf bucket", lineno, f->name);
        }
        /* no series twice */
        size_t sl = (size_t)(p - 1 - l);
        if (sl >= 1024) FAIL("line %d: series too long", lineno);
        for (size_t i = 0; i < ns; i++)
            if (strlen(series[i]) == sl && !strncmp(series[i], l, sl)) FAIL("line %d: series twice", lineno);
        if (ns < 4096) { memcpy(series[ns], l, sl); series[ns++][sl] = '\0'; }
    }
    free(series);
    return NULL;
#undef FAIL
}

/* The value of one series ("name" or "name{labels}" exactly as rendered),
 * or -1 when absent. */
static double metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, series, n) && l[n] == ' ') return strtod(l + n + 1, NULL);
    return -1;
}

/* Sum of every sample of `name` (any labels); -1 when there is none. */
static double metric_sum(const char *text, const char *name)
{
    size_t n = strlen(name);
    double s = 0;
    int any = 0;
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, name, n) || (l[n] != '{' && l[n] != ' ')) continue;
        const char *sp = strchr(l, ' ');
        if (l[n] == '{') sp = strstr(l, "} ") ? strstr(l, "} ") + 1 : NULL;
        if (!sp) continue;
        s += strtod(sp + 1, NULL);
        any = 1;
    }
    return any ? s : -1;
}

/* ------------------------------------------------------------- helpers */

static int spawn_daemon(gwt_proc_t *p, const char *brokers, const char *group, const char *http,
                        const char *http_env)
{
    static char genv[128], henv[128];
    snprintf(genv, sizeof genv, "GEOWIRE_GROUP_ID=%s", group);
    snprintf(henv, sizeof henv, "GW_TEST_HTTP=%s", http_env ? http_env : "127.0.0.1:0");
    char *env[] = {genv, henv, NULL};
    char *argv[10] = {(char *)gwt_bin(), "run", "-c", CONFIG, "--brokers", (char *)brokers};
    int a = 6;
    if (http) { argv[a++] = "--http"; argv[a++] = (char *)http; }
    argv[a] = NULL;
    return gwt_spawn(p, argv, env);
}

/* Scrapes /metrics until cond(text) holds or timeout; returns the last
 * scrape (caller frees) and whether it held in *held. */
static char *scrape_until(const char *addr, int (*cond)(const char *), int timeout_ms, int *held)
{
    int64_t end = gwt_now() + timeout_ms;
    char *last = NULL;
    *held = 0;
    for (;;) {
        gwt_resp_t r;
        if (gwt_http(addr, "GET", "/metrics", &r) == 0 && r.status == 200) {
            free(last);
            last = r.body;
            r.body = NULL;
            if (cond(last)) { *held = 1; gwt_resp_free(&r); return last; }
        }
        gwt_resp_free(&r);
        if (gwt_now() > end) return last;
        gwt_sleep_ms(200);
    }
}

/* Polls `path` until it answers `status` (or timeout). Returns the body of
 * the matching answer (caller frees), NULL on timeout. */
static char *poll_status(const char *addr, const char *path, int status, int timeout_ms)
{
    int64_t end = gwt_now() + timeout_ms;
    for (;;) {
        gwt_resp_t r;
        if (gwt_http(addr, "GET", path, &r) == 0 && r.status == status) {
            char *b = r.body;
            r.body = NULL;
            gwt_resp_free(&r);
            return b;
        }
        gwt_resp_free(&r);
        if (gwt_now() > end) return NULL;
        gwt_sleep_ms(200);
    }
}

/* A listening socket on 127.0.0.1 (any port): the address another process
 * then finds taken. Writes "127.0.0.1:PORT". */
static int hold_port(char *addr, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 1) == 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    snprintf(addr, n, "127.0.0.1:%u", ntohs(sa.sin_port));
    return fd;
}

/* ---------------------------------------------------------------- tests */

Test(http, exposition_checker_refuses_what_prometheus_would)
{
    /* The checker itself must fail on broken text, or the tests below
     * prove nothing. */
    static const char *const bad[] = {
        "geowire_x_total 1\n",                                              /* no HELP/TYPE */
        "# HELP geowire_x_total x\n# TYPE geowire_x_total counter\ngeowire_x_total one\n",
        "# HELP geowire_x x\n# TYPE geowire_x counter\ngeowire_x 1\n",      /* counter without _total */
        "# HELP geowire_g g\n# TYPE geowire_g gauge\ngeowire_g{a=\"1} 1\n", /* unterminated */
        "# HELP geowire_g g\n# TYPE geowire_g gauge\ngeowire_g{a=\"1\"} 1\ngeowire_g{a=\"1\"} 2\n",
        "# HELP geowire_h h\n# TYPE geowire_h histogram\ngeowire_h_bucket{le=\"1\"} 2\n"
        "geowire_h_bucket{le=\"+Inf\"} 1\ngeowire_h_sum 1\ngeowire_h_count 1\n",
        "# HELP geowire_h h\n# TYPE geowire_h histogram\ngeowire_h_bucket{le=\"+Inf\"} 2\n"
        "geowire_h_sum 1\ngeowire_h_count 3\n",
        "# HELP geowire_a a\n# TYPE geowire_a gauge\n# HELP geowire_b b\n# TYPE geowire_b gauge\n"
        "geowire_a 1\ngeowire_b 1\ngeowire_a{x=\"y\"} 1\n",                   /* interleaved */
        "# HELP geowire_g g\n# TYPE geowire_g gauge\ngeowire_g 1",          /* no final newline */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not_null(expo_check(bad[i]), "accepted bad case %zu", i);
    cr_expect_null(expo_check("# HELP geowire_h h\n# TYPE geowire_h histogram\n"
                              "geowire_h_bucket{le=\"0.5\"} 1\ngeowire_h_bucket{le=\"+Inf\"} 2\n"
                              "geowire_h_sum 0.7\ngeowire_h_count 2\n"));
}

static int rules_loaded(const char *m)
{
    return strstr(m, "geowire_dictionary_info{version=\"countries=") &&
           metric(m, "geowire_alerts_fired_total{rule=\"russia-asean\"}") >= 0;
}

static int all_ten_delivered(const char *m)
{
    return metric(m, "geowire_items_produced_total") == 6 &&
           metric_sum(m, "geowire_items_dead_lettered_total") == 4 &&
           metric(m, "geowire_processing_latency_seconds_count") == 10 &&
           metric(m, "geowire_records_delivered_total{kind=\"alert\"}") == 1;
}

static int committed_all(const char *m)
{
    return metric_sum(m, "geowire_consumer_committed_offset") == 10 &&
           metric_sum(m, "geowire_consumer_lag_messages") == 0;
}

Test(http, counters_move_and_metrics_parse, .timeout = 120)
{
    gw_embedded_t *e = gwt_cluster(PARTS);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    gwt_proc_t d;
    cr_assert_eq(spawn_daemon(&d, b, "g-http-counters", NULL, NULL), 0);
    char addr[80];
    cr_assert(gwt_http_address(&d, addr, sizeof addr), "no HTTP address logged");
    cr_assert(strncmp(addr, "127.0.0.1:", 10) == 0 && atoi(addr + 10) > 0, "port 0 resolved: %s", addr);

    gwt_resp_t r;
    cr_assert_eq(gwt_http(addr, "GET", "/metrics", &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.headers, "text/plain; version=0.0.4"), "content type: %s", r.headers);
    const char *bad = expo_check(r.body);
    cr_assert_null(bad, "exposition before any item: %s", bad);
    cr_assert_eq(metric(r.body, "geowire_items_consumed_total"), 0);
    cr_assert_eq(metric(r.body, "geowire_items_dead_lettered_total{reason=\"invalid_json\"}"), 0,
                 "every reason is exported from the start");
    cr_assert(metric(r.body, "geowire_build_info{version=\"" GW_VERSION "\",librdkafka=\"2.0.2\"}") == 1);
    gwt_resp_free(&r);
    /* once the dictionaries and rules are loaded, each rule's counter is
     * there at 0 before it fires */
    int held;
    char *m = scrape_until(addr, rules_loaded, 30000, &held);
    cr_assert(held, "no dictionary version or rule counter:\n%s", m ? m : "");
    cr_expect_eq(metric(m, "geowire_alerts_fired_total{rule=\"russia-asean\"}"), 0);
    free(m);

    char *items[10] = {
        "{\"id\":\"h-1\",\"title\":\"France and Germany agree on trade\",\"body\":\"Paris and Berlin signed it.\"}",
        "{\"id\":\"h-2\",\"title\":\"Malaysia and Russia sign defence pact\",\"body\":\"Malaysia and Russia "
        "signed a defence cooperation agreement in Kuala Lumpur.\"}",
        "{\"id\":\"h-3\",\"title\":\"Brazil tariffs\",\"body\":\"Brazil announced tariffs on steel from China.\"}",
        "{\"id\":\"h-4\",\"title\":\"France budget\",\"body\":\"The French parliament debated in Paris.\"}",
        /* h-1 again under another outlet's headline: a duplicate */
        "{\"id\":\"h-5\",\"title\":\"Paris, Berlin seal trade accord\",\"body\":\"Paris and Berlin signed it.\"}",
        "{\"id\":\"h-6\",\"title\":\"Talks in Tokyo\",\"body\":\"Japan and South Korea held talks.\"}",
        "{\"id\":\"h-7\",\"title\":", "{broken", "[1,2,3]", "{\"id\":\"h-10\"}",
    };
    cr_assert_eq(gwt_produce(b, "news.raw", items, NULL, 10), 0);
    m = scrape_until(addr, all_ten_delivered, 60000, &held);
    cr_assert(held, "counters did not reach 6 produced + 4 dead-lettered + 1 alert:\n%s", m ? m : "(no scrape)");
    bad = expo_check(m);
    cr_assert_null(bad, "exposition: %s", bad);
    cr_expect_eq(metric(m, "geowire_items_consumed_total"), 10);
    cr_expect_eq(metric(m, "geowire_duplicates_total"), 1);
    cr_expect_eq(metric(m, "geowire_items_dead_lettered_total{reason=\"invalid_json\"}"), 2);
    cr_expect_eq(metric(m, "geowire_items_dead_lettered_total{reason=\"not_object\"}"), 1);
    cr_expect_eq(metric(m, "geowire_items_dead_lettered_total{reason=\"no_text\"}"), 1);
    cr_expect_eq(metric(m, "geowire_items_dead_lettered_total{reason=\"empty\"}"), 0);
    cr_expect_eq(metric(m, "geowire_records_delivered_total{kind=\"enriched\"}"), 6);
    cr_expect_eq(metric(m, "geowire_records_delivered_total{kind=\"dead_letter\"}"), 4);
    /* h-2 (Malaysia and Russia sign a defence pact) fires the shipped rule */
    cr_expect_eq(metric(m, "geowire_alerts_fired_total{rule=\"russia-asean\"}"), 1);
    cr_expect_eq(metric(m, "geowire_records_delivered_total{kind=\"alert\"}"), 1);
    cr_expect_eq(metric(m, "geowire_rebalances_total{event=\"assigned\"}"), 1);
    cr_expect_eq(metric(m, "geowire_assigned_partitions"), PARTS);
    cr_expect_eq(metric(m, "geowire_items_in_flight"), 0);
    cr_expect_eq(metric(m, "geowire_ready"), 1);
    cr_expect(metric(m, "geowire_processing_latency_seconds_sum") > 0);
    free(m);

    /* lag and committed offsets come from librdkafka's statistics */
    m = scrape_until(addr, committed_all, 30000, &held);
    cr_assert(held, "committed offsets never summed to 10 with lag 0:\n%s", m ? m : "");
    /* librdkafka knows the lag of a partition once it fetched from it;
     * the unkeyed items may all sit on one partition */
    int known = 0;
    for (int p = 0; p < PARTS; p++) {
        char s[128];
        snprintf(s, sizeof s, "geowire_consumer_lag_messages{topic=\"news.raw\",partition=\"%d\"}", p);
        double v = metric(m, s);
        if (v == -1) continue;
        known++;
        cr_expect_eq(v, 0, "%s", s);
    }
    cr_expect(known >= 1, "no partition lag:\n%s", m);
    free(m);

    /* the status page's JSON holds the same figures and the window */
    cr_assert_eq(gwt_http(addr, "GET", "/status.json", &r), 0);
    cr_assert_eq(r.status, 200);
    json_error_t je;
    json_t *s = json_loads(r.body, 0, &je);
    cr_assert_not_null(s, "status.json: %s\n%s", je.text, r.body);
    json_t *tot = json_object_get(s, "totals");
    cr_expect_eq(json_integer_value(json_object_get(tot, "consumed")), 10);
    cr_expect_eq(json_integer_value(json_object_get(tot, "produced")), 6);
    cr_expect_eq(json_integer_value(json_object_get(tot, "dead_lettered")), 4);
    cr_expect_eq(json_integer_value(json_object_get(tot, "duplicates")), 1);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(s, "dead_lettered_by_reason"), "invalid_json")), 2);
    cr_expect_eq(json_array_size(json_object_get(s, "lag")), PARTS);
    json_t *win = json_object_get(s, "window");
    json_t *per = json_object_get(win, "per_minute");
    cr_expect_eq(json_array_size(per), 15);
    json_int_t in_window = 0;
    for (size_t i = 0; i < json_array_size(per); i++)
        in_window += json_integer_value(json_object_get(json_array_get(per, i), "items"));
    cr_expect_eq(in_window, 10, "items in the window");
    json_t *top = json_array_get(json_object_get(win, "countries"), 0);
    cr_expect_str_eq(json_string_value(json_array_get(top, 0)), "FRA", "France leads (two stories; h-5 is a copy of h-1 and counts once)");
    cr_expect_eq(json_integer_value(json_array_get(top, 1)), 2);
    int jpn_kor = 0;
    json_t *pr;
    size_t i;
    json_array_foreach(json_object_get(win, "pairs"), i, pr)
        jpn_kor |= !strcmp(json_string_value(json_array_get(pr, 0)), "JPN-KOR");
    cr_expect(jpn_kor, "the JPN-KOR pair is in the window");
    cr_expect(json_is_true(json_object_get(json_object_get(s, "ready"), "ready")));
    cr_expect_eq(json_integer_value(json_object_get(tot, "alerts")), 1);
    json_t *alert = json_array_get(json_object_get(s, "alerts"), 0);
    cr_expect_eq(json_array_size(json_object_get(s, "alerts")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(alert, "rule")), "russia-asean");
    cr_expect_str_eq(json_string_value(json_object_get(alert, "id")), "h-2");
    cr_expect_str_eq(json_string_value(json_object_get(alert, "title")), "Malaysia and Russia sign defence pact");
    json_decref(s);
    gwt_resp_free(&r);

    cr_assert_eq(gwt_http(addr, "GET", "/", &r), 0);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.headers, "text/html"));
    cr_expect(strstr(r.body, "<title>geowire status</title>") && strstr(r.body, "status.json"));
    gwt_resp_free(&r);
    cr_assert_eq(gwt_http(addr, "GET", "/nothing-here", &r), 0);
    cr_expect_eq(r.status, 404);
    gwt_resp_free(&r);
    cr_assert_eq(gwt_http(addr, "POST", "/metrics", &r), 0);
    cr_expect_eq(r.status, 405);
    cr_expect(strstr(r.headers, "Allow: GET"), "%s", r.headers);
    gwt_resp_free(&r);

    gwt_signal(&d, SIGTERM);
    cr_expect_eq(gwt_wait(&d, 30000), 0);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
}

Test(http, readiness_flips_when_the_broker_goes_down_and_back, .timeout = 180)
{
    gw_embedded_t *e = gwt_cluster(PARTS);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    gwt_proc_t d;
    cr_assert_eq(spawn_daemon(&d, b, "g-http-ready", NULL, NULL), 0);
    char addr[80];
    cr_assert(gwt_http_address(&d, addr, sizeof addr));
    char *body = poll_status(addr, "/readyz", 200, 40000);
    cr_assert_not_null(body, "never ready");
    cr_expect_str_eq(body, "{\"ready\":true}");
    free(body);

    rd_kafka_mock_cluster_t *mc = gw_embedded_cluster(e);
    cr_assert_eq(rd_kafka_mock_broker_set_down(mc, 1), 0);
    body = poll_status(addr, "/readyz", 503, 40000);
    cr_assert_not_null(body, "still ready with the broker down");
    json_error_t je;
    json_t *j = json_loads(body, 0, &je);
    cr_assert_not_null(j, "503 body is JSON: %s", body);
    cr_expect(json_is_false(json_object_get(j, "ready")));
    cr_expect(json_array_size(json_object_get(j, "reasons")) >= 1, "%s", body);
    json_decref(j);
    free(body);
    /* the loop keeps turning while the broker is away: still live */
    gwt_resp_t r;
    cr_assert_eq(gwt_http(addr, "GET", "/healthz", &r), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    gwt_resp_free(&r);

    cr_assert_eq(rd_kafka_mock_broker_set_up(mc, 1), 0);
    body = poll_status(addr, "/readyz", 200, 60000);
    cr_assert_not_null(body, "not ready again after the broker came back");
    free(body);

    gwt_signal(&d, SIGTERM);
    cr_expect_eq(gwt_wait(&d, 30000), 0);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
}

Test(http, explicit_address_taken_exits_2, .timeout = 60)
{
    char taken[64];
    int fd = hold_port(taken, sizeof taken);
    gwt_proc_t d;
    /* the brokers are never reached: the bind fails first */
    cr_assert_eq(spawn_daemon(&d, "127.0.0.1:1", "g-http-taken", taken, NULL), 0);
    cr_expect_eq(gwt_wait(&d, 30000), 2);
    char *log = gwt_errlog(&d);
    cr_expect(strstr(log, "cannot listen on") && strstr(log, "Address already in use"), "%s", log);
    free(log);
    gwt_proc_free(&d);
    close(fd);
}

Test(http, configured_address_taken_warns_and_runs, .timeout = 90)
{
    char taken[64];
    int fd = hold_port(taken, sizeof taken);
    gw_embedded_t *e = gwt_cluster(PARTS);
    cr_assert_not_null(e);
    const char *b = gw_embedded_bootstraps(e);
    gwt_proc_t d;
    cr_assert_eq(spawn_daemon(&d, b, "g-http-shared", NULL, taken), 0);
    cr_assert(gwt_wait_log(&d, "HTTP address taken", 30000), "no warning");
    char *item[] = {"{\"id\":\"shared-1\",\"title\":\"Chile and Peru talk\",\"body\":\"Lima hosted it.\"}"};
    cr_assert_eq(gwt_produce(b, "news.raw", item, NULL, 1), 0);
    gwt_msgs_t out = {0};
    cr_expect_eq(gwt_consume(b, "news.enriched", 1, 0, 40000, &out), 1, "the daemon runs on");
    gwt_msgs_free(&out);
    gwt_signal(&d, SIGTERM);
    cr_expect_eq(gwt_wait(&d, 30000), 0);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
    close(fd);
}

Test(http, ipv6_loopback, .timeout = 90)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int have_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (probe >= 0) close(probe);
    if (!have_v6) cr_skip_test("no IPv6 loopback on this machine");
    gw_embedded_t *e = gwt_cluster(PARTS);
    cr_assert_not_null(e);
    gwt_proc_t d;
    cr_assert_eq(spawn_daemon(&d, gw_embedded_bootstraps(e), "g-http-v6", "[::1]:0", NULL), 0);
    char addr[80];
    cr_assert(gwt_http_address(&d, addr, sizeof addr));
    cr_assert(strncmp(addr, "[::1]:", 6) == 0 && atoi(addr + 6) > 0, "%s", addr);
    gwt_resp_t r;
    cr_assert_eq(gwt_http(addr, "GET", "/healthz", &r), 0);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.body, "{\"live\":true}");
    gwt_resp_free(&r);
    gwt_signal(&d, SIGTERM);
    cr_expect_eq(gwt_wait(&d, 30000), 0);
    gwt_proc_free(&d);
    gw_embedded_stop(e);
}

Test(http, bad_addresses_are_usage_and_config_errors, .timeout = 60)
{
    gwt_proc_t d;
    cr_assert_eq(spawn_daemon(&d, "127.0.0.1:1", "g-http-bad", "localhost:80", NULL), 0);
    cr_expect_eq(gwt_wait(&d, 20000), 2);
    char *log = gwt_errlog(&d);
    cr_expect(strstr(log, "not an IP address literal"), "%s", log);
    free(log);
    gwt_proc_free(&d);

    cr_assert_eq(spawn_daemon(&d, "127.0.0.1:1", "g-http-bad", NULL, "127.0.0.1:99999"), 0);
    cr_expect_eq(gwt_wait(&d, 20000), 2);
    log = gwt_errlog(&d);
    cr_expect(strstr(log, "geowire-test.yaml:") && strstr(log, "http.listen") && strstr(log, "0-65535"),
              "file:line:col: what expected: %s", log);
    free(log);
    gwt_proc_free(&d);
}
