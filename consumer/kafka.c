/*
 * kafka.c - librdkafka helpers (kafka.h).
 */
#include "geowire/kafka.h"
#include "geowire/common.h"
#include "geowire/log.h"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int gw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                      const char *what, char *err, size_t errlen)
{
    char e[256];
    if (rd_kafka_conf_set(conf, key, value, e, sizeof e) != RD_KAFKA_CONF_OK)
        return gw_err(err, errlen, GW_EINVAL, "%s: %s", what ? what : key, e);
    return GW_OK;
}

int gw_kafka_conf_apply(rd_kafka_conf_t *conf, const gw_kv_t *kv, size_t n,
                        const char *file, const char *section, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char e[256];
        if (rd_kafka_conf_set(conf, kv[i].key, kv[i].value, e, sizeof e) == RD_KAFKA_CONF_OK)
            continue;
        /* librdkafka's reason quotes the offending value: keep it out of logs
         * when the value is a secret. */
        return gw_err(err, errlen, GW_EINVAL, "%s: kafka.%s.%s: %s", file ? file : "config",
                      section, kv[i].key,
                      kv[i].secret ? "invalid value (secret, not shown)" : e);
    }
    return GW_OK;
}

/* librdkafka's `conf` debug context dumps every property it was given as
 * "  key = value"; it masks its own sensitive properties, not a value that
 * came from the environment under an ordinary name. Returns buf with the
 * value replaced when the key is a registered secret, else line. */
static const char *mask_conf_dump(const char *fac, const char *line, char *buf, size_t cap)
{
    if (strcmp(fac, "CONF")) return line;
    const char *eq = strstr(line, " = ");
    if (!eq) return line;
    const char *k = eq;
    while (k > line && k[-1] != ' ') k--;
    char key[256];
    size_t kl = (size_t)(eq - k);
    if (!kl || kl >= sizeof key) return line;
    memcpy(key, k, kl);
    key[kl] = '\0';
    if (!gw_log_secret_key(key)) return line;
    snprintf(buf, cap, "%.*s = [secret]", (int)(eq - line), line);
    return buf;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    gw_log_level_t l = level <= 3 ? GW_LOG_ERROR : level <= 4 ? GW_LOG_WARN
                     : level <= 6 ? GW_LOG_INFO : GW_LOG_DEBUG;
    if (!gw_log_enabled(l)) return;
    char masked[1024];
    gw_log(l, "rdkafka", mask_conf_dump(fac, buf, masked, sizeof masked), "facility", fac,
           "client", rk ? rd_kafka_name(rk) : "", (const char *)NULL);
}

void gw_kafka_conf_logging(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_log_cb(conf, log_cb);
    /* syslog levels: 7 debug, 6 info, 4 warning, 3 error. librdkafka's info
     * chatter is useful only when debugging. */
    const char *lvl = gw_log_enabled(GW_LOG_DEBUG) ? "7" : gw_log_enabled(GW_LOG_WARN) ? "4" : "3";
    char e[128];
    rd_kafka_conf_set(conf, "log_level", lvl, e, sizeof e);
    const char *dbg = gw_log_rdkafka_debug();
    if (dbg) rd_kafka_conf_set(conf, "debug", dbg, e, sizeof e);
}

void gw_kafka_register_secrets(const gw_config_t *cfg)
{
    const gw_kv_t *lists[] = {cfg->kafka.consumer, cfg->kafka.producer};
    size_t ns[] = {cfg->kafka.n_consumer, cfg->kafka.n_producer};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < ns[l]; i++)
            if (lists[l][i].secret) gw_log_secret(lists[l][i].key, lists[l][i].value);
}

struct gw_embedded {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
};

gw_embedded_t *gw_embedded_start(int brokers, const char *const *topics, size_t n_topics,
                                 int partitions, char *err, size_t errlen)
{
    gw_embedded_t *e = gw_calloc(1, sizeof *e);
    if (!e) { gw_err(err, errlen, GW_ENOMEM, "out of memory"); return NULL; }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char es[256];
    gw_kafka_conf_logging(conf);
    /* The dummy handle has no bootstrap list on purpose: it must never
     * connect anywhere (its CONFWARN about that is debug-level noise). */
    rd_kafka_conf_set(conf, "client.id", "geowire-embedded", es, sizeof es);
    e->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof es);
    if (!e->rk) {
        rd_kafka_conf_destroy(conf);
        free(e);
        gw_err(err, errlen, GW_ERR, "embedded broker: %s", es);
        return NULL;
    }
    e->mc = rd_kafka_mock_cluster_new(e->rk, brokers > 0 ? brokers : 1);
    if (!e->mc) {
        rd_kafka_destroy(e->rk);
        free(e);
        gw_err(err, errlen, GW_ERR, "embedded broker: cannot start the mock cluster");
        return NULL;
    }
    for (size_t i = 0; i < n_topics; i++) {
        rd_kafka_resp_err_t r = rd_kafka_mock_topic_create(e->mc, topics[i], partitions, 1);
        if (r) {
            gw_err(err, errlen, GW_ERR, "embedded broker: topic %s: %s", topics[i], rd_kafka_err2str(r));
            gw_embedded_stop(e);
            return NULL;
        }
    }
    gw_kafka_nodelay_listeners(rd_kafka_mock_cluster_bootstraps(e->mc));
    return e;
}

const char *gw_embedded_bootstraps(const gw_embedded_t *e)
{
    return rd_kafka_mock_cluster_bootstraps(e->mc);
}

rd_kafka_mock_cluster_t *gw_embedded_cluster(const gw_embedded_t *e)
{
    return e->mc;
}

void gw_embedded_stop(gw_embedded_t *e)
{
    if (!e) return;
    if (e->mc) rd_kafka_mock_cluster_destroy(e->mc);
    if (e->rk) rd_kafka_destroy(e->rk);
    free(e);
}

/* 1 when `port` is the port of one entry of "host:port,host:port". */
static int port_listed(const char *list, int port)
{
    const char *p = list;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = NULL;
        for (const char *q = p; q < p + len; q++) if (*q == ':') colon = q;
        if (colon && atoi(colon + 1) == port) return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int gw_kafka_nodelay_listeners(const char *bootstraps)
{
    if (!bootstraps) return 0;
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return 0;
    int changed = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
        int fd = atoi(de->d_name);
        if (fd == dirfd(dir)) continue;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) continue;
        int port;
        if (ss.ss_family == AF_INET) port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6) port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        else continue;
        int listening = 0;
        socklen_t ol = sizeof listening;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) != 0 || !listening) continue;
        if (!port_listed(bootstraps, port)) continue;
        int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) changed++;
    }
    closedir(dir);
    return changed;
}

/* A topic created a moment ago is not listed yet: a KRaft broker answers
 * CreateTopics before its metadata shows the topic with a leader (measured
 * on Kafka 4.4: 8 of 15 topics missing from the next answer, all listed
 * within 12-256 ms). So a topic missing from an answer is asked for again
 * for this long before it counts as missing; longer would only delay a
 * clear error. */
#define MISSING_GRACE_MS 2000
#define MISSING_RETRY_MS 100

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

int gw_kafka_check_topics(rd_kafka_t *rk, const char *const *topics, size_t n,
                          int timeout_ms, char *err, size_t errlen)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char missing[GW_ERRLEN] = "";
    size_t nmiss = 0;
    long answered = -1; /* when the first answer came, ms after t0 */
    rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (;;) {
        long left = timeout_ms - ms_since(&t0);
        if (left <= 0) break;
        const struct rd_kafka_metadata *md = NULL;
        /* all_topics=1: asking for a named topic could auto-create it. */
        last = rd_kafka_metadata(rk, 1, NULL, &md, (int)(left < 5000 ? left : 5000));
        if (last) continue;
        if (answered < 0) answered = ms_since(&t0);
        missing[0] = '\0';
        nmiss = 0;
        for (size_t i = 0; i < n; i++) {
            int found = 0;
            for (int k = 0; k < md->topic_cnt; k++)
                if (!strcmp(md->topics[k].topic, topics[i]) && !md->topics[k].err &&
                    md->topics[k].partition_cnt > 0) found = 1;
            if (!found) {
                size_t l = strlen(missing);
                snprintf(missing + l, sizeof missing - l, "%s%s", nmiss ? ", " : "", topics[i]);
                nmiss++;
            }
        }
        rd_kafka_metadata_destroy(md);
        if (nmiss == 0) return GW_OK;
        if (ms_since(&t0) - answered >= MISSING_GRACE_MS) break;
        struct timespec pause = {0, MISSING_RETRY_MS * 1000000L};
        nanosleep(&pause, NULL);
    }
    if (nmiss)
        return gw_err(err, errlen, GW_ERR, "topic%s missing on the cluster: %s (create %s; "
                      "auto-creation is not relied on)", nmiss > 1 ? "s" : "", missing,
                      nmiss > 1 ? "them" : "it");
    return gw_err(err, errlen, GW_EIO, "cannot read cluster metadata within %d ms: %s", timeout_ms,
                  last ? rd_kafka_err2str(last) : "timed out");
}
