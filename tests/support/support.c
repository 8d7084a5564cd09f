/*
 * support.c - integration-test helpers (support.h).
 */
#include "support/support.h"
#include "geowire/addr.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t gwt_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void gwt_sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

const char *gwt_bin(void)
{
    const char *b = getenv("GEOWIRE_BIN");
    return b && *b ? b : "build/san/geowire";
}

int gwt_spawn(gwt_proc_t *p, char *const argv[], char *const env[])
{
    memset(p, 0, sizeof *p);
    int fds[2];
    if (pipe(fds) != 0) return -1;
    static int seq;
    snprintf(p->errlog, sizeof p->errlog, "/tmp/gwt-%d-%d.log", (int)getpid(), ++seq);
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        /* A test killed at its timeout must not leave its daemon running
         * (each holds hundreds of MB under ASan and keeps its group busy). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127); /* it died before prctl */
        dup2(fds[1], 1);
        int e = open(p->errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (e >= 0) dup2(e, 2);
        int dn = open("/dev/null", O_RDONLY);
        if (dn >= 0) dup2(dn, 0);
        for (int fd = 3; fd < 1024; fd++) close(fd);
        for (size_t i = 0; env && env[i]; i++) putenv(env[i]);
        /* Leaks are checked by the unit tests; a killed child must not
         * turn into a sanitizer report about the kill. */
        setenv("ASAN_OPTIONS", "detect_leaks=0", 0);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    p->pid = pid;
    p->out_fd = fds[0];
    fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

void gwt_read_out(gwt_proc_t *p)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(p->out_fd, buf, sizeof buf);
        if (n <= 0) return;
        if (p->out_len + (size_t)n + 1 > p->out_cap) {
            p->out_cap = (p->out_len + (size_t)n + 1) * 2;
            p->out = realloc(p->out, p->out_cap);
        }
        memcpy(p->out + p->out_len, buf, (size_t)n);
        p->out_len += (size_t)n;
        p->out[p->out_len] = '\0';
    }
}

int gwt_first_line(gwt_proc_t *p, char *line, size_t n, int timeout_ms)
{
    int64_t end = gwt_now() + timeout_ms;
    while (gwt_now() < end) {
        struct pollfd pf = {p->out_fd, POLLIN, 0};
        poll(&pf, 1, 50);
        gwt_read_out(p);
        char *nl = p->out ? memchr(p->out, '\n', p->out_len) : NULL;
        if (nl) {
            size_t l = (size_t)(nl - p->out);
            if (l >= n) l = n - 1;
            memcpy(line, p->out, l);
            line[l] = '\0';
            return 0;
        }
    }
    return -1;
}

static int decode(int st)
{
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return -1;
}

int gwt_wait(gwt_proc_t *p, int timeout_ms)
{
    if (p->reaped) return decode(p->status);
    int64_t end = gwt_now() + timeout_ms;
    for (;;) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid) { p->reaped = 1; gwt_read_out(p); return decode(p->status); }
        if (gwt_now() >= end) break;
        gwt_read_out(p);
        gwt_sleep_ms(20);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &p->status, 0);
    p->reaped = 1;
    return -1;
}

void gwt_signal(gwt_proc_t *p, int sig)
{
    if (!p->reaped && p->pid > 0) kill(p->pid, sig);
}

char *gwt_errlog(const gwt_proc_t *p)
{
    FILE *f = fopen(p->errlog, "r");
    if (!f) return strdup("");
    size_t cap = 65536, len = 0;
    char *b = malloc(cap);
    size_t n;
    while ((n = fread(b + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 4096) { cap *= 2; b = realloc(b, cap); }
    }
    b[len] = '\0';
    fclose(f);
    return b;
}

int gwt_wait_log(gwt_proc_t *p, const char *needle, int timeout_ms)
{
    int64_t end = gwt_now() + timeout_ms;
    do {
        char *s = gwt_errlog(p);
        int found = strstr(s, needle) != NULL;
        free(s);
        if (found) return 1;
        gwt_read_out(p);
        gwt_sleep_ms(50);
    } while (gwt_now() < end);
    return 0;
}

void gwt_proc_free(gwt_proc_t *p)
{
    if (p->pid > 0 && !p->reaped) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &p->status, 0);
        p->reaped = 1;
    }
    if (p->out_fd > 0) close(p->out_fd);
    free(p->out);
    p->out = NULL;
    if (!getenv("GWT_KEEP_LOGS")) unlink(p->errlog);
}

gw_embedded_t *gwt_cluster(int partitions)
{
    static const char *const topics[] = {"news.raw", "news.enriched", "news.alerts", "news.dlq",
                                         "news.aggregates"};
    char err[256];
    gw_embedded_t *e = gw_embedded_start(1, topics, 5, partitions, err, sizeof err);
    if (!e) fprintf(stderr, "gwt_cluster: %s\n", err);
    return e;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char e[256];
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof e);
    rd_kafka_conf_set(c, "log_level", "3", e, sizeof e);
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(c, "linger.ms", "5", e, sizeof e);
        rd_kafka_conf_set(c, "message.timeout.ms", "20000", e, sizeof e);
    } else {
        rd_kafka_conf_set(c, "group.id", "gwt-reader", e, sizeof e);
        rd_kafka_conf_set(c, "enable.auto.commit", "false", e, sizeof e);
    }
    rd_kafka_t *rk = rd_kafka_new(type, c, e, sizeof e);
    if (!rk) { fprintf(stderr, "client: %s\n", e); rd_kafka_conf_destroy(c); }
    return rk;
}

static int g_dr_fail;
static void count_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *o)
{
    (void)rk; (void)o;
    if (m->err) g_dr_fail++;
}

int gwt_produce(const char *brokers, const char *topic, char *const *payloads, const size_t *lens,
                size_t n)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char e[256];
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof e);
    rd_kafka_conf_set(c, "log_level", "3", e, sizeof e);
    rd_kafka_conf_set(c, "linger.ms", "5", e, sizeof e);
    rd_kafka_conf_set(c, "message.timeout.ms", "20000", e, sizeof e);
    rd_kafka_conf_set_dr_msg_cb(c, count_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof e);
    if (!rk) return -1;
    g_dr_fail = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE(payloads[i], lens ? lens[i] : strlen(payloads[i])), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) { rd_kafka_poll(rk, 50); continue; }
            if (err) rc = -1;
            break;
        }
    }
    if (rd_kafka_flush(rk, 25000)) rc = -1;
    if (g_dr_fail) rc = -1;
    rd_kafka_destroy(rk);
    return rc;
}

size_t gwt_consume(const char *brokers, const char *topic, size_t want, int linger_ms,
                   int timeout_ms, gwt_msgs_t *out)
{
    memset(out, 0, sizeof *out);
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, brokers);
    if (!rk) return 0;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int np = 0;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == 0) {
        if (md->topic_cnt == 1) np = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np > 0 ? np : 1);
    for (int i = 0; i < np; i++)
        rd_kafka_topic_partition_list_add(l, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);

    int64_t end = gwt_now() + timeout_ms, linger_end = -1;
    while (gwt_now() < end) {
        if (out->n >= want && linger_end < 0) linger_end = gwt_now() + linger_ms;
        if (linger_end >= 0 && gwt_now() >= linger_end) break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
        if (!m) continue;
        if (!m->err) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 64;
                out->m = realloc(out->m, out->cap * sizeof *out->m);
            }
            gwt_msg_t *g = &out->m[out->n++];
            memset(g, 0, sizeof *g);
            g->payload = malloc(m->len + 1);
            if (m->len) memcpy(g->payload, m->payload, m->len);
            g->payload[m->len] = '\0';
            g->len = m->len;
            if (m->key) { g->key = strndup(m->key, m->key_len); g->key_len = m->key_len; }
            g->partition = m->partition;
            g->offset = m->offset;
            rd_kafka_headers_t *h = NULL;
            if (rd_kafka_message_headers(m, &h) == 0) {
                const char *name;
                const void *val;
                size_t sz;
                for (size_t i = 0; i < 16 && rd_kafka_header_get_all(h, i, &name, &val, &sz) == 0; i++) {
                    g->hnames[i] = strdup(name);
                    g->hvalues[i] = val ? strndup(val, sz) : strdup("");
                    g->n_headers++;
                }
            }
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out->n;
}

const char *gwt_header(const gwt_msg_t *m, const char *name)
{
    for (int i = 0; i < m->n_headers; i++)
        if (!strcmp(m->hnames[i], name)) return m->hvalues[i];
    return NULL;
}

void gwt_msgs_free(gwt_msgs_t *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        free(ms->m[i].payload);
        free(ms->m[i].key);
        for (int k = 0; k < ms->m[i].n_headers; k++) { free(ms->m[i].hnames[k]); free(ms->m[i].hvalues[k]); }
    }
    free(ms->m);
    memset(ms, 0, sizeof *ms);
}

int64_t gwt_topic_count(const char *brokers, const char *topic)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, brokers);
    if (!rk) return -1;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int64_t sum = -1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == 0) {
        sum = 0;
        for (int i = 0; md->topic_cnt == 1 && i < md->topics[0].partition_cnt; i++) {
            int64_t lo, hi;
            if (rd_kafka_query_watermark_offsets(rk, topic, i, &lo, &hi, 5000)) { sum = -1; break; }
            sum += hi;
        }
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return sum;
}

int gwt_wait_count(const char *brokers, const char *topic, int64_t n, int timeout_ms)
{
    int64_t end = gwt_now() + timeout_ms;
    while (gwt_now() < end) {
        if (gwt_topic_count(brokers, topic) >= n) return 1;
        gwt_sleep_ms(100);
    }
    return 0;
}

int64_t gwt_committed_sum(const char *brokers, const char *group, const char *topic, int partitions)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char e[256];
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof e);
    rd_kafka_conf_set(c, "group.id", group, e, sizeof e);
    rd_kafka_conf_set(c, "log_level", "3", e, sizeof e);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof e);
    if (!rk) return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; i++) rd_kafka_topic_partition_list_add(l, topic, i);
    int64_t sum = -1;
    if (rd_kafka_committed(rk, l, 10000) == 0) {
        sum = 0;
        for (int i = 0; i < l->cnt; i++)
            if (l->elems[i].offset > 0) sum += l->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return sum;
}

int gwt_config_write(char *path, size_t n, const char *const *edits)
{
    snprintf(path, n, "/tmp/gwt-conf-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    if (fd < 0) return -1;
    FILE *in = fopen("tests/integration/geowire-test.yaml", "r");
    FILE *out = fdopen(fd, "w");
    char cwd[1024], line[1024];
    if (!in || !out || !getcwd(cwd, sizeof cwd)) {
        if (in) fclose(in);
        if (out) fclose(out); else close(fd);
        return -1;
    }
    while (fgets(line, sizeof line, in)) {
        const char *rep = NULL;
        for (size_t i = 0; edits && edits[i]; i += 2)
            if (!strncmp(line, edits[i], strlen(edits[i]))) { rep = edits[i + 1]; break; }
        if (rep) { fprintf(out, "%s\n", rep); continue; }
        char *d = strstr(line, "../../config/");
        if (d) fprintf(out, "%.*s%s/config/%s", (int)(d - line), line, cwd, d + 13);
        else fputs(line, out);
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : -1;
}

/* --- streams of items ---------------------------------------------------- */

static const char *const item_texts[] = {
    "France and Germany agreed on a new trade framework in Berlin on Monday.",
    "Ministers from Indonesia and Malaysia met in Jakarta to discuss fisheries.",
    "Brazil announced new tariffs on steel imports from China.",
    "The Kenyan parliament debated a budget amid protests in Nairobi.",
    "Japan and South Korea held talks on export controls in Tokyo.",
};

char **gwt_items(const char *tag, size_t n)
{
    char **v = calloc(n, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "{\"id\":\"it-%s-%04zu\",\"title\":\"Item %zu\",\"body\":\"%s\"}", tag, i, i,
                 item_texts[i % 5]);
        v[i] = strdup(buf);
    }
    return v;
}

void gwt_items_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

gwt_cover_t gwt_cover(const gwt_msgs_t *ms, const char *prefix, size_t n)
{
    gwt_cover_t c = {0, 0, 0};
    unsigned char *seen = calloc(n ? n : 1, 1);
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < ms->n; i++) {
        json_error_t e;
        json_t *j = json_loadb(ms->m[i].payload, ms->m[i].len, 0, &e);
        const char *id = j ? json_string_value(json_object_get(j, "id")) : NULL;
        size_t k = n;
        if (id && !strncmp(id, prefix, pl)) k = (size_t)strtoul(id + pl, NULL, 10);
        if (k >= n) c.foreign++;
        else if (seen[k]) c.duplicates++;
        else { seen[k] = 1; c.distinct++; }
        json_decref(j);
    }
    free(seen);
    return c;
}

size_t gwt_ids_seen(const gwt_msgs_t *ms, const char *tag, size_t n, size_t *dups)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "it-%s-", tag);
    gwt_cover_t c = gwt_cover(ms, prefix, n);
    if (dups) *dups = c.duplicates;
    return c.distinct;
}

struct gwt_stream {
    pthread_t thread;
    rd_kafka_t *rk;
    const char *topic;
    char *const *items;
    size_t n;
    int per_second;
    int64_t *sent_at;
    size_t sent;            /* written by the thread, read by the test */
    int failed;             /* delivery reports with an error */
    int produce_errors;
};

static void stream_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    gwt_stream_t *s = opaque;
    if (m->err) __atomic_add_fetch(&s->failed, 1, __ATOMIC_RELAXED);
}

static void *stream_run(void *arg)
{
    gwt_stream_t *s = arg;
    int64_t t0 = gwt_now();
    for (size_t i = 0; i < s->n; i++) {
        /* Item i is due at t0 + i/rate: a late thread catches up, it does
         * not drift. */
        int64_t due = t0 + (int64_t)i * 1000 / s->per_second;
        while (gwt_now() < due) rd_kafka_poll(s->rk, (int)(due - gwt_now()));
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                s->rk, RD_KAFKA_V_TOPIC(s->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE(s->items[i], strlen(s->items[i])), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) { rd_kafka_poll(s->rk, 50); continue; }
            if (err) s->produce_errors++;
            break;
        }
        if (s->sent_at) __atomic_store_n(&s->sent_at[i], gwt_now(), __ATOMIC_RELAXED);
        __atomic_store_n(&s->sent, i + 1, __ATOMIC_RELAXED);
        rd_kafka_poll(s->rk, 0);
    }
    return NULL;
}

gwt_stream_t *gwt_stream_start(const char *brokers, const char *topic, char *const *items,
                               size_t n, int per_second, int64_t *sent_at)
{
    gwt_stream_t *s = calloc(1, sizeof *s);
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char e[256];
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof e);
    rd_kafka_conf_set(c, "linger.ms", "5", e, sizeof e);
    rd_kafka_conf_set(c, "message.timeout.ms", "0", e, sizeof e); /* never give up */
    rd_kafka_conf_set(c, "log_level", "2", e, sizeof e);     /* faults are expected: no error lines */
    rd_kafka_conf_set(c, "enable.idempotence", "true", e, sizeof e);
    /* One request in flight: the 2.0.2 mock checks no sequence numbers of a
     * non-transactional idempotent producer, so with a second request in
     * flight an injected Produce error can leave a record off the log while
     * its delivery report says delivered (README "Hardening"). */
    rd_kafka_conf_set(c, "max.in.flight.requests.per.connection", "1", e, sizeof e);
    rd_kafka_conf_set_dr_msg_cb(c, stream_dr);
    rd_kafka_conf_set_opaque(c, s);
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof e);
    if (!s->rk) { fprintf(stderr, "gwt_stream_start: %s\n", e); rd_kafka_conf_destroy(c); free(s); return NULL; }
    s->topic = topic;
    s->items = items;
    s->n = n;
    s->per_second = per_second > 0 ? per_second : 1;
    s->sent_at = sent_at;
    if (pthread_create(&s->thread, NULL, stream_run, s)) { rd_kafka_destroy(s->rk); free(s); return NULL; }
    return s;
}

size_t gwt_stream_sent(const gwt_stream_t *s) { return __atomic_load_n(&s->sent, __ATOMIC_RELAXED); }

int gwt_stream_join(gwt_stream_t *s, int timeout_ms)
{
    pthread_join(s->thread, NULL);
    int left = rd_kafka_flush(s->rk, timeout_ms) ? 1 : 0;
    int rc = left || s->failed || s->produce_errors ? -1 : 0;
    if (rc) fprintf(stderr, "gwt_stream_join: %d undelivered, %d failed, %d refused\n",
                    rd_kafka_outq_len(s->rk), s->failed, s->produce_errors);
    rd_kafka_destroy(s->rk);
    free(s);
    return rc;
}

void gwt_resp_free(gwt_resp_t *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

int gwt_http(const char *addr, const char *method, const char *path, gwt_resp_t *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_storage ss;
    socklen_t sl;
    char err[256];
    if (gw_addr_parse(addr, &ss, &sl, err, sizeof err)) return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    /* Long enough for a reload under load (POST /-/reload waits for it). */
    struct timeval tv = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0) { close(fd); return -1; }
    char req[512];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: %s\r\nContent-Length: 0\r\n\r\n",
                     method, path, addr);
    if (write(fd, req, (size_t)n) != n) { close(fd); return -1; }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)r;
        if (cap - len < 4096) buf = realloc(buf, cap *= 2);
    }
    close(fd);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1) { free(buf); return -1; }
    out->headers = strndup(buf, (size_t)(sep - buf));
    out->body = strdup(sep + 4);
    free(buf);
    return 0;
}

int gwt_http_address(gwt_proc_t *p, char *addr, size_t n)
{
    if (!gwt_wait_log(p, "HTTP endpoint listening on", 30000)) return 0;
    char *log = gwt_errlog(p);
    const char *a = strstr(log, "HTTP endpoint listening on");
    a = a ? strstr(a, "address=") : NULL;
    int ok = 0;
    if (a) {
        a += 8;
        size_t l = strcspn(a, " \n");
        if (l < n) { memcpy(addr, a, l); addr[l] = '\0'; ok = 1; }
    }
    free(log);
    return ok;
}

size_t gwt_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
