/*
 * kafka_support.c - helpers of the real-broker suite (kafka_support.h).
 */
#include "kafka_support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *gwk_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        cr_assert_fail("%s is not set: run this suite with `make test-kafka` (tests/kafka/run.sh starts "
                 "the broker and exports it)", name);
    return v;
}

const char *gwk_release_bin(void)
{
    return "build/geowire";
}

void gwk_prefix(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "%s-%d", tag, (int)getpid());
}

/* One CreateTopics request; -1 on any error (printed). A topic that
 * exists counts as created when `exists_ok` (a retry after a request that
 * half succeeded). */
static int create_once(rd_kafka_t *rk, const char *const *names, const int *partitions, size_t n,
                       int exists_ok)
{
    char es[512];
    rd_kafka_NewTopic_t **nt = calloc(n, sizeof *nt);
    for (size_t i = 0; i < n; i++) nt[i] = rd_kafka_NewTopic_new(names[i], partitions[i], 1, es, sizeof es);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(o, 20000, es, sizeof es);
    rd_kafka_CreateTopics(rk, nt, n, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = -1;
    if (!ev) fprintf(stderr, "CreateTopics: no answer\n");
    else if (rd_kafka_event_error(ev)) fprintf(stderr, "CreateTopics: %s\n", rd_kafka_event_error_string(ev));
    else {
        size_t got = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &got);
        rc = got == n ? 0 : -1;
        for (size_t i = 0; i < got; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
            if (!e || (exists_ok && e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)) continue;
            fprintf(stderr, "create %s: %s\n", rd_kafka_topic_result_name(res[i]),
                    rd_kafka_topic_result_error_string(res[i]));
            rc = -1;
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    for (size_t i = 0; i < n; i++) rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    return rc;
}

int gwk_create(const char *brokers, const char *const *names, const int *partitions, size_t n)
{
    char es[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, es, sizeof es);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof es);
    if (!rk) return -1;
    int rc = -1;
    for (int attempt = 0; attempt < 3 && rc != 0; attempt++) {
        if (attempt) gwt_sleep_ms(1000);
        rc = create_once(rk, names, partitions, n, attempt > 0);
    }
    /* geowire's own check, which waits for topics a KRaft broker lists a
     * moment after CreateTopics answered (e2e::topics_created_a_moment_ago_*). */
    char err[512] = "";
    if (rc == 0 && gw_kafka_check_topics(rk, names, n, 20000, err, sizeof err)) {
        fprintf(stderr, "created topics missing: %s\n", err);
        rc = -1;
    }
    rd_kafka_destroy(rk);
    return rc;
}

int gwk_create_topics(const char *brokers, const char *prefix, int in_partitions, int out_partitions)
{
    static const char *const sfx[] = {"raw", "enriched", "alerts", "dlq", "aggregates"};
    char names[5][256];
    const char *t[5];
    int parts[5];
    for (int i = 0; i < 5; i++) {
        snprintf(names[i], sizeof names[i], "%s.%s", prefix, sfx[i]);
        t[i] = names[i];
        parts[i] = i == 0 ? in_partitions : out_partitions;
    }
    return gwk_create(brokers, t, parts, 5);
}

static void put_pairs(FILE *f, const char *const *kv)
{
    for (size_t i = 0; kv && kv[i]; i += 2) fprintf(f, "    %s: %s\n", kv[i], kv[i + 1]);
}

char *gwk_config(const char *name, const gwk_cfg_t *c)
{
    static const char *const dicts[] = {"countries", "countries-overlay", "blocs", "people",
                                        "organizations", "discards", "themes", "languages",
                                        "titles"};
    mkdir("build", 0755);
    mkdir("build/kafka-tests", 0755);
    char cwd[1024];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    char *path = NULL;
    cr_assert(asprintf(&path, "build/kafka-tests/%s.yaml", name) > 0);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fprintf(f,
            "kafka:\n"
            "  brokers: ${GEOWIRE_BROKERS:-none}\n"
            "  group_id: ${GEOWIRE_GROUP_ID}\n"
            "  processing_guarantee: %s\n"
            "  transaction_items: 500\n"
            "  transaction_ms: 200\n"
            "  shutdown_timeout_ms: 20000\n"
            "  consumer:\n"
            "    auto.offset.reset: earliest\n"
            "    session.timeout.ms: 6000\n"
            "    heartbeat.interval.ms: 1000\n"
            "    auto.commit.interval.ms: 500\n",
            c && c->guarantee ? c->guarantee : "at_least_once");
    put_pairs(f, c ? c->consumer : NULL);
    fprintf(f, "  producer:\n    linger.ms: 5\n");
    put_pairs(f, c ? c->producer : NULL);
    fprintf(f,
            "topics:\n"
            "  input: ${GWK_TOPICS}.raw\n"
            "  output: ${GWK_TOPICS}.enriched\n"
            "  alerts: ${GWK_TOPICS}.alerts\n"
            "  dead_letter: ${GWK_TOPICS}.dlq\n"
            "  aggregates: ${GWK_TOPICS}.aggregates\n"
            "limits:\n"
            "  max_item_bytes: 8192\n"
            "  max_in_flight: 10000\n"
            "dictionaries:\n");
    for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s", dicts[i]);
        for (char *p = key; *p; p++) if (*p == '-') *p = '_';
        fprintf(f, "  %s: %s/config/dictionaries/%s.yaml\n", key, cwd, dicts[i]);
    }
    fprintf(f, "alerts: %s/config/alerts.yaml\n", cwd);
    /* Several processes at once: none takes the default HTTP port. */
    fprintf(f, "http:\n  listen: \"%s\"\n", c && c->http ? c->http : "off");
    fprintf(f, "log:\n  level: %s\n  format: logfmt\n", c && c->log_level ? c->log_level : "info");
    fclose(f);
    return path;
}

int gwk_spawn(gwt_proc_t *p, const char *bin, const char *config, const char *brokers,
              const char *prefix, const char *group, char *const *env)
{
    return gwk_spawn_args(p, bin, config, brokers, prefix, group, env, NULL);
}

int gwk_spawn_args(gwt_proc_t *p, const char *bin, const char *config, const char *brokers,
                   const char *prefix, const char *group, char *const *env, char *const *args)
{
    /* The strings must outlive the fork: gwt_spawn putenv()s them. */
    static char topics[256], grp[256];
    snprintf(topics, sizeof topics, "GWK_TOPICS=%s", prefix);
    snprintf(grp, sizeof grp, "GEOWIRE_GROUP_ID=%s", group);
    char *all[16];
    size_t n = 0;
    all[n++] = topics;
    all[n++] = grp;
    for (size_t i = 0; env && env[i] && n < 15; i++) all[n++] = env[i];
    all[n] = NULL;
    char *argv[16] = {(char *)bin, "run", "-c", (char *)config, "--brokers", (char *)brokers};
    size_t a = 6;
    for (size_t i = 0; args && args[i] && a < 15; i++) argv[a++] = args[i];
    argv[a] = NULL;
    return gwt_spawn(p, argv, all);
}

char **gwk_items(const char *tag, size_t n)
{
    static const char *const texts[] = {
        "France and Germany agreed on a new trade framework in Berlin on Monday.",
        "Ministers from Indonesia and Malaysia met in Jakarta to discuss fisheries.",
        "Brazil announced new tariffs on steel imports from China.",
        "The Kenyan parliament debated a budget amid protests in Nairobi.",
        "Japan and South Korea held talks on export controls in Tokyo.",
        "ASEAN foreign ministers discussed the South China Sea with Vietnam and the Philippines.",
        "NATO allies pledged air defence support as Poland raised its military budget.",
    };
    char **v = calloc(n, sizeof *v);
    cr_assert_not_null(v);
    for (size_t i = 0; i < n; i++) {
        char buf[768];
        size_t t = i % (sizeof texts / sizeof texts[0]);
        snprintf(buf, sizeof buf,
                 "{\"id\":\"%s-%06zu\",\"title\":\"Report %zu\",\"body\":\"%s %s\","
                 "\"published_at\":\"2026-11-%02zuT08:00:00Z\"}",
                 tag, i, i, texts[t], texts[(t + 3) % (sizeof texts / sizeof texts[0])], 1 + i % 27);
        v[i] = strdup(buf);
    }
    return v;
}

gwt_cover_t gwk_cover(const gwt_msgs_t *ms, const char *tag, size_t n)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s-", tag);
    return gwt_cover(ms, prefix, n);
}

int gwk_wait_count(const char *brokers, const char *topic, int64_t want, int timeout_ms, gwt_proc_t *p)
{
    int64_t end = gwt_now() + timeout_ms;
    do {
        if (gwt_topic_count(brokers, topic) >= want) return 1;
        if (p && !p->reaped && waitpid(p->pid, &p->status, WNOHANG) == p->pid) {
            p->reaped = 1;
            gwk_dump_log(p, "exited geowire");
            return 0;
        }
        gwt_sleep_ms(250);
    } while (gwt_now() < end);
    return 0;
}

void gwk_validate(const gwt_msgs_t *ms, size_t every, const char *name)
{
    char path[256], cmd[512];
    snprintf(path, sizeof path, "build/kafka-tests/%s.jsonl", name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    for (size_t i = 0; i < ms->n; i += every ? every : 1) {
        fwrite(ms->m[i].payload, 1, ms->m[i].len, f);
        fputc('\n', f);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 tools/validate-records.py %s >&2", path);
    cr_assert_eq(system(cmd), 0, "tools/validate-records.py refused records read from the real broker (%s)",
                 path);
}

int gwk_java(const char *main_class, char *const args[], char **out, int timeout_ms)
{
    const char *cp = gwk_env("GW_KAFKA_CLASSPATH");
    char *argv[32];
    size_t n = 0;
    argv[n++] = "java";
    argv[n++] = "-Xmx256m";
    argv[n++] = "-cp";
    argv[n++] = (char *)cp;
    argv[n++] = (char *)main_class;
    for (size_t i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
    argv[n] = NULL;
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        int dn = open("/dev/null", O_RDWR);
        if (dn >= 0) { dup2(dn, 0); dup2(dn, 2); }
        close(fds[0]);
        close(fds[1]);
        execvp("java", argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    int64_t end = gwt_now() + timeout_ms;
    for (;;) {
        int left = (int)(end - gwt_now());
        if (left <= 0) break;
        struct pollfd pf = {fds[0], POLLIN, 0};
        if (poll(&pf, 1, left < 200 ? left : 200) <= 0) continue;
        if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
        ssize_t r = read(fds[0], buf + len, cap - len - 1);
        if (r <= 0) break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    close(fds[0]);
    int st = 0, rc = -1;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) { rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); break; }
        if (gwt_now() >= end) { kill(pid, SIGKILL); waitpid(pid, &st, 0); break; }
        gwt_sleep_ms(50);
    }
    *out = buf;
    return rc;
}

void gwk_dump_log(const gwt_proc_t *p, const char *who)
{
    char *l = gwt_errlog(p);
    fprintf(stderr, "---- %s log ----\n%s\n----\n", who, l ? l : "(none)");
    free(l);
}
