/*
 * bench.c - `make bench`: the tagger in-process and the daemon end to end.
 *
 *   build/bench [-c CONFIG] [--geowire PATH] [--items N] [--backlog N]
 *               [--json FILE] [--names N] [tagger|e2e|all|corpus|dict DIR]
 *
 * tagger: gw_pipeline_process over the generated corpus, single thread, with
 *   the shipped dictionaries and with 1k/10k/100k synthetic people added.
 *   Rates are per CPU second of this thread, so a loaded machine slows the
 *   run but not the figure much.
 * e2e: an embedded broker (the daemon's own, in this process) holding a
 *   backlog loaded round-robin in large batches over enough partitions that
 *   the 2.0.2 mock (about 5 MiB a partition) evicts nothing; then
 *   `geowire run` over it, and `geowire run --bench-copy` (the same daemon
 *   with the processors replaced by a copy) over the same backlog with
 *   another group; then a run at a tenth of the backlog (peak RSS must not
 *   grow with the backlog) and a live feed at half the enriched rate for
 *   the consume-to-acknowledgement latency the daemon reports at stop.
 * corpus: writes the first --items generated items as JSON lines to stdout.
 * dict: writes the tagger's dictionary with --names synthetic people
 *   (default 100,000) and its config into DIR and prints the config's path,
 *   to profile or compare `geowire tag -c` with it.
 * Output: a table on stdout and a JSON file with the machine's core count
 * and CPU model. No figure here is asserted: targets are read by people.
 */
#include "corpus.h"

#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/kafka.h"
#include "geowire/pipeline.h"
#include "geowire/record.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEED 0x6765617769726531ull
#define TAGGER_SIZES 4

static const size_t synth_sizes[TAGGER_SIZES] = {0, 1000, 10000, 100000};

typedef struct {
    size_t names;           /* synthetic people added (0 = shipped only) */
    double load_s, cpu_s, items_s, mb_s, us_item;
    size_t items, bytes, records, dead;
} tagger_row_t;

typedef struct {
    const char *what;
    size_t items;
    double wall_s, items_s;
    long rss_kb;
    int exit_code;
    double p50_ms, p99_ms;     /* consume to ack */
    double age50_ms, age99_ms; /* input record's timestamp to ack */
} e2e_row_t;

typedef struct {
    const char *config, *geowire, *json;
    size_t items, backlog;
    int partitions;
    char dir[256];
    gw_config_t *cfg;
    bench_corpus_t *corpus;
    tagger_row_t tag[TAGGER_SIZES];
    int have_tag;
    e2e_row_t e2e[4];       /* enriched, copy, enriched over a tenth, live */
    int have_e2e;
    double e2e_ratio, rss_growth;
    char e2e_note[256];
} bench_t;

static double now_s(clockid_t clk) {
    struct timespec t;
    clock_gettime(clk, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- tagger */

/* The corpus, generated once and shared by every dictionary size. */
typedef struct {
    char **item;
    size_t *len, n, bytes;
} items_t;

static int make_items(bench_t *b, size_t n, items_t *it) {
    gw_buf_t buf;
    gw_buf_init(&buf);
    it->item = calloc(n, sizeof(char *));
    it->len = calloc(n, sizeof(size_t));
    if (!it->item || !it->len) return GW_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (bench_corpus_item(b->corpus, i, &buf) != GW_OK) return GW_ENOMEM;
        it->item[i] = gw_buf_steal(&buf, &it->len[i]);
        it->bytes += it->len[i];
        it->n++;
    }
    gw_buf_free(&buf);
    return GW_OK;
}

static void free_items(items_t *it) {
    for (size_t i = 0; i < it->n; i++) free(it->item[i]);
    free(it->item);
    free(it->len);
}

static int tagger_one(bench_t *b, const items_t *it, size_t names, tagger_row_t *row) {
    char err[GW_ERRLEN], dir[512], cfgp[600];
    const gw_config_t *cfg = b->cfg;
    gw_config_t *own = NULL;
    if (names) {
        snprintf(dir, sizeof dir, "%s/dict-%zu", b->dir, names);
        if (bench_synth_dict(b->cfg, dir, names, cfgp, sizeof cfgp, err, sizeof err) != GW_OK ||
            !(own = gw_config_load(cfgp, err, sizeof err))) {
            fprintf(stderr, "bench: %s\n", err);
            return GW_ERR;
        }
        cfg = own;
    }
    double t0 = now_s(CLOCK_MONOTONIC);
    gw_pipeline_t *p = gw_pipeline_new(cfg, err, sizeof err);
    row->load_s = now_s(CLOCK_MONOTONIC) - t0;
    if (!p) {
        fprintf(stderr, "bench: %s\n", err);
        gw_config_free(own);
        return GW_ERR;
    }
    gw_input_meta_t meta = {NULL, 0, 1750000000000};
    gw_result_t res;
    for (size_t i = 0; i < it->n && i < 200; i++) { /* warm caches and buffers */
        gw_pipeline_process(p, it->item[i], it->len[i], &meta, &res);
        gw_result_clear(&res);
    }
    row->names = names;
    double c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    for (size_t i = 0; i < it->n; i++) {
        gw_pipeline_process(p, it->item[i], it->len[i], &meta, &res);
        row->records += res.reason == GW_REASON_NONE;
        row->dead += res.reason != GW_REASON_NONE;
        gw_result_clear(&res);
    }
    row->cpu_s = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    row->items = it->n;
    row->bytes = it->bytes;
    row->items_s = (double)it->n / row->cpu_s;
    row->mb_s = (double)it->bytes / 1e6 / row->cpu_s;
    row->us_item = row->cpu_s * 1e6 / (double)it->n;
    gw_pipeline_free(p);
    gw_config_free(own);
    return GW_OK;
}

static int run_tagger(bench_t *b) {
    items_t it = {0};
    if (make_items(b, b->items, &it) != GW_OK) { fprintf(stderr, "bench: out of memory\n"); return 1; }
    fprintf(stderr, "bench: tagger over %zu items (%.1f MB)\n", it.n, (double)it.bytes / 1e6);
    for (int k = 0; k < TAGGER_SIZES; k++) {
        if (tagger_one(b, &it, synth_sizes[k], &b->tag[k]) != GW_OK) { free_items(&it); return 1; }
        fprintf(stderr, "bench:   +%zu names: %.1f MB/s\n", synth_sizes[k], b->tag[k].mb_s);
    }
    b->have_tag = 1;
    free_items(&it);
    return 0;
}

/* ---------------------------------------------------------------- e2e */

enum { T_RAW, T_SMALL, T_LIVE, T_ENRICHED, T_COPY, T_ALERTS, T_DLQ, T_AGG, T__COUNT };
static const char *const topic[T__COUNT] = {"bench.raw", "bench.small", "bench.live", "bench.enriched",
                                            "bench.copy", "bench.alerts", "bench.dlq", "bench.aggregates"};

static int64_t high_sum(rd_kafka_t *rk, const char *t, int parts) {
    int64_t sum = 0;
    for (int p = 0; p < parts; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, t, p, &lo, &hi, 5000)) return -1;
        sum += hi;
    }
    return sum;
}

static int low_moved(rd_kafka_t *rk, const char *t, int parts) {
    for (int p = 0; p < parts; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, t, p, &lo, &hi, 5000) || lo != 0) return 1;
    }
    return 0;
}

static rd_kafka_t *make_producer(const char *brokers, const char *linger) {
    char e[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    gw_kafka_conf_logging(c);
    if (rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof e) ||
        rd_kafka_conf_set(c, "linger.ms", linger, e, sizeof e) ||
        rd_kafka_conf_set(c, "batch.size", "1000000", e, sizeof e) ||
        rd_kafka_conf_set(c, "queue.buffering.max.kbytes", "1048576", e, sizeof e)) {
        fprintf(stderr, "bench: producer: %s\n", e);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof e);
    if (!rk) fprintf(stderr, "bench: producer: %s\n", e);
    return rk;
}

/* Produces items [from, from+n) of the corpus to topic t, partition i % parts,
 * keyed by the item id. rate > 0 paces them (items/s). */
static int load(bench_t *b, rd_kafka_t *rk, const char *t, int parts, size_t from, size_t n, double rate) {
    gw_buf_t buf;
    gw_buf_init(&buf);
    double t0 = now_s(CLOCK_MONOTONIC);
    for (size_t i = 0; i < n; i++) {
        if (rate > 0)
            while (now_s(CLOCK_MONOTONIC) - t0 < (double)i / rate) rd_kafka_poll(rk, 1);
        if (bench_corpus_item(b->corpus, from + i, &buf) != GW_OK) return GW_ENOMEM;
        char key[32];
        int kl = snprintf(key, sizeof key, "bench-%zu", from + i);
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(t), RD_KAFKA_V_PARTITION((int32_t)(i % (size_t)parts)),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(buf.data, buf.len),
                RD_KAFKA_V_KEY(key, (size_t)kl), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) { rd_kafka_poll(rk, 10); continue; }
            if (e) { fprintf(stderr, "bench: produce: %s\n", rd_kafka_err2str(e)); gw_buf_free(&buf); return GW_ERR; }
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    gw_buf_free(&buf);
    return rd_kafka_flush(rk, 120000) ? GW_ERR : GW_OK;
}

static int write_config(bench_t *b, const char *name, const char *brokers, const char *input,
                        const char *output, char *path, size_t plen) {
    snprintf(path, plen, "%s/%s.yaml", b->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return GW_EIO;
    const gw_config_t *c = b->cfg;
    fprintf(f, "kafka:\n  brokers: \"%s\"\n  group_id: %s\n  shutdown_timeout_ms: 20000\n", brokers, name);
    /* The shipped passthrough properties: their defaults are part of what
     * is measured. */
    fprintf(f, "  consumer:\n");
    for (size_t i = 0; i < c->kafka.n_consumer; i++)
        fprintf(f, "    %s: \"%s\"\n", c->kafka.consumer[i].key, c->kafka.consumer[i].value);
    fprintf(f, "  producer:\n");
    for (size_t i = 0; i < c->kafka.n_producer; i++)
        fprintf(f, "    %s: \"%s\"\n", c->kafka.producer[i].key, c->kafka.producer[i].value);
    fprintf(f, "topics:\n  input: %s\n  output: %s\n  alerts: %s\n  dead_letter: %s\n  aggregates: %s\n",
            input, output, topic[T_ALERTS], topic[T_DLQ], topic[T_AGG]);
    fprintf(f, "dictionaries:\n  countries: \"%s\"\n  countries_overlay: \"%s\"\n  blocs: \"%s\"\n"
               "  people: \"%s\"\n  organizations: \"%s\"\n  discards: \"%s\"\n  themes: \"%s\"\n"
               "  languages: \"%s\"\n  titles: \"%s\"\n",
            c->dict.countries, c->dict.countries_overlay, c->dict.blocs, c->dict.people,
            c->dict.organizations, c->dict.discards, c->dict.themes, c->dict.languages, c->dict.titles);
    if (c->alerts) fprintf(f, "alerts: \"%s\"\n", c->alerts);
    fprintf(f, "log:\n  level: info\n");
    return fclose(f) ? GW_EIO : GW_OK;
}

typedef struct {
    pid_t pid;
    char log[600];
} child_t;

static int spawn(bench_t *b, const char *cfg, int copy, const char *logname, child_t *ch) {
    snprintf(ch->log, sizeof ch->log, "%s/%s.log", b->dir, logname);
    ch->pid = fork();
    if (ch->pid < 0) return GW_ERR;
    if (ch->pid == 0) {
        if (!freopen(ch->log, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(127);
        if (copy) execl(b->geowire, b->geowire, "run", "-c", cfg, "--bench-copy", (char *)NULL);
        else execl(b->geowire, b->geowire, "run", "-c", cfg, (char *)NULL);
        _exit(127);
    }
    return GW_OK;
}

/* Peak RSS of the child's own address space (VmHWM). Not the rusage of
 * wait4: a forked child's maximum includes the pages it shared with this
 * process before exec, and this process hosts the broker and its data. */
static long peak_rss_kb(pid_t pid) {
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

static void stop(child_t *ch, e2e_row_t *row) {
    int st = 0;
    row->rss_kb = peak_rss_kb(ch->pid);
    kill(ch->pid, SIGTERM);
    while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR) {}
    row->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    /* The daemon logs its latency quantiles in its stop line. */
    static const struct { const char *key; size_t off; } q[] = {
        {"ack_latency_p50_ms=", offsetof(e2e_row_t, p50_ms)}, {"ack_latency_p99_ms=", offsetof(e2e_row_t, p99_ms)},
        {"record_age_p50_ms=", offsetof(e2e_row_t, age50_ms)}, {"record_age_p99_ms=", offsetof(e2e_row_t, age99_ms)}};
    FILE *f = fopen(ch->log, "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
            const char *p = strstr(line, q[k].key);
            if (p) *(double *)((char *)row + q[k].off) = atof(p + strlen(q[k].key));
        }
    }
    if (f) fclose(f);
}

/* Runs a daemon until `want` records reached out_topic (over its `parts`
 * partitions, plus dead letters). The rate is taken between the first poll
 * that saw output and the one that saw all of it, so the group join and
 * start-up are not counted. */
static int measure(bench_t *b, rd_kafka_t *rk, const char *cfg, int copy, const char *what,
                   const char *out_topic, int parts, size_t want, e2e_row_t *row) {
    child_t ch;
    int64_t base = high_sum(rk, out_topic, parts) + high_sum(rk, topic[T_DLQ], 4);
    if (spawn(b, cfg, copy, what, &ch) != GW_OK) return GW_ERR;
    double t0 = 0, t_end = now_s(CLOCK_MONOTONIC) + 600, t1 = 0;
    int64_t got0 = 0, got = 0;
    while (now_s(CLOCK_MONOTONIC) < t_end) {
        int64_t h = high_sum(rk, out_topic, parts) + high_sum(rk, topic[T_DLQ], 4);
        got = h - base;
        double t = now_s(CLOCK_MONOTONIC);
        if (got > 0 && t0 == 0) { t0 = t; got0 = got; }
        if (got >= (int64_t)want) { t1 = t; break; }
        int st;
        if (waitpid(ch.pid, &st, WNOHANG) == ch.pid) {
            fprintf(stderr, "bench: %s: geowire exited early; see %s\n", what, ch.log);
            return GW_ERR;
        }
        usleep(20000);
    }
    stop(&ch, row);
    row->what = what;
    row->items = want;
    if (!t1 || t1 <= t0) {
        fprintf(stderr, "bench: %s: %lld of %zu records in the time allowed; see %s\n", what,
                (long long)got, want, ch.log);
        return GW_ERR;
    }
    row->wall_s = t1 - t0;
    row->items_s = (double)(got - got0) / row->wall_s;
    return GW_OK;
}

static int run_e2e(bench_t *b) {
    char err[GW_ERRLEN];
    size_t n = b->backlog, small = b->backlog / 10;
    fprintf(stderr, "bench: e2e: embedded broker, %d partitions, backlog %zu items\n", b->partitions, n);
    gw_embedded_t *emb = gw_embedded_start(1, topic, 1, b->partitions, err, sizeof err);
    if (!emb) { fprintf(stderr, "bench: %s\n", err); return 1; }
    rd_kafka_mock_cluster_t *mc = gw_embedded_cluster(emb);
    int parts[T__COUNT] = {b->partitions, 16, 4, 16, 16, 4, 4, 4};
    for (int t = 1; t < T__COUNT; t++)
        if (rd_kafka_mock_topic_create(mc, topic[t], parts[t], 1)) {
            fprintf(stderr, "bench: cannot create %s\n", topic[t]);
            gw_embedded_stop(emb);
            return 1;
        }
    const char *brokers = gw_embedded_bootstraps(emb);
    rd_kafka_t *rk = make_producer(brokers, "100");
    int rc = 1;
    char c_enr[700], c_copy[700], c_small[700], c_live[700];
    if (!rk) goto out;
    double t0 = now_s(CLOCK_MONOTONIC);
    if (load(b, rk, topic[T_RAW], parts[T_RAW], 0, n, 0) != GW_OK ||
        load(b, rk, topic[T_SMALL], parts[T_SMALL], n, small, 0) != GW_OK)
        goto out;
    fprintf(stderr, "bench: backlog loaded in %.1f s\n", now_s(CLOCK_MONOTONIC) - t0);
    if (low_moved(rk, topic[T_RAW], parts[T_RAW]) || low_moved(rk, topic[T_SMALL], parts[T_SMALL])) {
        fprintf(stderr, "bench: the mock evicted part of the backlog: use more partitions\n");
        goto out;
    }
    if (write_config(b, "e2e-enriched", brokers, topic[T_RAW], topic[T_ENRICHED], c_enr, sizeof c_enr) ||
        write_config(b, "e2e-copy", brokers, topic[T_RAW], topic[T_COPY], c_copy, sizeof c_copy) ||
        write_config(b, "e2e-small", brokers, topic[T_SMALL], topic[T_ENRICHED], c_small, sizeof c_small) ||
        write_config(b, "e2e-live", brokers, topic[T_LIVE], topic[T_ENRICHED], c_live, sizeof c_live)) {
        fprintf(stderr, "bench: cannot write configs in %s\n", b->dir);
        goto out;
    }
    if (measure(b, rk, c_enr, 0, "enriched", topic[T_ENRICHED], 16, n, &b->e2e[0]) ||
        measure(b, rk, c_copy, 1, "copy", topic[T_COPY], 16, n, &b->e2e[1]) ||
        measure(b, rk, c_small, 0, "enriched-tenth", topic[T_ENRICHED], 16, small, &b->e2e[2]))
        goto out;
    for (int k = 0; k < 3; k++)
        fprintf(stderr, "bench:   %s: %.0f items/s, peak RSS %ld MB\n", b->e2e[k].what, b->e2e[k].items_s,
                b->e2e[k].rss_kb / 1024);

    /* Latency at half the enriched rate, on a live feed: the daemon first
     * joins (one probe item goes through), then items arrive paced. */
    {
        e2e_row_t *row = &b->e2e[3];
        child_t ch;
        double rate = b->e2e[0].items_s / 2;
        size_t live = (size_t)(rate * 5);
        if (live < 1000) live = 1000;
        int64_t base = high_sum(rk, topic[T_ENRICHED], 16) + high_sum(rk, topic[T_DLQ], 4);
        if (spawn(b, c_live, 0, "live", &ch) != GW_OK) goto out;
        rd_kafka_t *lp = make_producer(brokers, "1");
        if (!lp || load(b, lp, topic[T_LIVE], parts[T_LIVE], n + small, 1, 0) != GW_OK) {
            if (lp) rd_kafka_destroy(lp);
            stop(&ch, row);
            goto out;
        }
        double dl = now_s(CLOCK_MONOTONIC) + 60;
        while (high_sum(rk, topic[T_ENRICHED], 16) + high_sum(rk, topic[T_DLQ], 4) < base + 1 &&
               now_s(CLOCK_MONOTONIC) < dl)
            usleep(20000);
        double t1 = now_s(CLOCK_MONOTONIC);
        int lr = load(b, lp, topic[T_LIVE], parts[T_LIVE], n + small + 1, live, rate);
        rd_kafka_destroy(lp);
        dl = now_s(CLOCK_MONOTONIC) + 120;
        while (high_sum(rk, topic[T_ENRICHED], 16) + high_sum(rk, topic[T_DLQ], 4) < base + 1 + (int64_t)live &&
               now_s(CLOCK_MONOTONIC) < dl)
            usleep(20000);
        row->wall_s = now_s(CLOCK_MONOTONIC) - t1;
        stop(&ch, row);
        row->what = "live";
        row->items = live;
        row->items_s = rate;
        if (lr != GW_OK) goto out;
        fprintf(stderr, "bench:   live at %.0f items/s: ack latency p50 %.2f ms, p99 %.2f ms; record age "
                "p50 %.2f ms, p99 %.2f ms\n", rate, row->p50_ms, row->p99_ms, row->age50_ms, row->age99_ms);
    }
    b->e2e_ratio = b->e2e[1].items_s > 0 ? b->e2e[0].items_s / b->e2e[1].items_s : 0;
    b->rss_growth = b->e2e[2].rss_kb > 0 ? (double)b->e2e[0].rss_kb / (double)b->e2e[2].rss_kb : 0;
    b->have_e2e = 1;
    rc = 0;
out:
    if (rk) rd_kafka_destroy(rk);
    gw_embedded_stop(emb);
    return rc;
}

/* ------------------------------------------------------------- report */

static void cpu_model(char *out, size_t len) {
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10)) continue;
        char *v = strchr(line, ':');
        if (!v) continue;
        v += 1 + strspn(v + 1, " \t");
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, len, "%s", v);
        break;
    }
    if (f) fclose(f);
}

static void report(bench_t *b) {
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("geowire bench: %ld cores, %s\n\n", cores, cpu);
    gw_buf_t j;
    gw_buf_init(&j);
    gw_buf_printf(&j, "{\"cores\":%ld,\"cpu\":", cores);
    gw_json_str(&j, cpu, strlen(cpu));
    if (b->have_tag) {
        const tagger_row_t *s = &b->tag[0];
        printf("tagger (one thread, per CPU second; %zu items, %.1f MB)\n", s->items, (double)s->bytes / 1e6);
        printf("  %-22s %10s %10s %10s %10s %8s\n", "dictionary", "items/s", "MB/s", "us/item", "x shipped", "load s");
        gw_buf_append(&j, ",\"tagger\":[", 11);
        for (int k = 0; k < TAGGER_SIZES; k++) {
            const tagger_row_t *r = &b->tag[k];
            char name[64];
            if (r->names) snprintf(name, sizeof name, "shipped + %zuk names", r->names / 1000);
            else snprintf(name, sizeof name, "shipped");
            printf("  %-22s %10.0f %10.1f %10.1f %10.2f %8.2f\n", name, r->items_s, r->mb_s, r->us_item,
                   r->us_item / s->us_item, r->load_s);
            gw_buf_printf(&j, "%s{\"synthetic_names\":%zu,\"items\":%zu,\"bytes\":%zu,\"records\":%zu,"
                              "\"dead_letters\":%zu,\"cpu_s\":%.3f,\"items_per_s\":%.1f,\"mb_per_s\":%.2f,"
                              "\"us_per_item\":%.2f,\"cost_vs_shipped\":%.3f,\"load_s\":%.2f}",
                          k ? "," : "", r->names, r->items, r->bytes, r->records, r->dead, r->cpu_s,
                          r->items_s, r->mb_s, r->us_item, r->us_item / s->us_item, r->load_s);
        }
        gw_buf_putc(&j, ']');
        printf("\n");
    }
    if (b->have_e2e) {
        printf("e2e (embedded broker in the bench process, %d input partitions)\n", b->partitions);
        printf("  %-16s %9s %10s %9s %9s %9s %9s %9s %5s\n", "run", "items", "items/s", "peak MB",
               "p50 ms", "p99 ms", "age p50", "age p99", "exit");
        gw_buf_append(&j, ",\"e2e\":[", 8);
        for (int k = 0; k < 4; k++) {
            const e2e_row_t *r = &b->e2e[k];
            char p50[16] = "-", p99[16] = "-", a50[16] = "-", a99[16] = "-";
            if (k == 3) {
                snprintf(p50, sizeof p50, "%.2f", r->p50_ms);
                snprintf(p99, sizeof p99, "%.2f", r->p99_ms);
                snprintf(a50, sizeof a50, "%.2f", r->age50_ms);
                snprintf(a99, sizeof a99, "%.2f", r->age99_ms);
            }
            printf("  %-16s %9zu %10.0f %9ld %9s %9s %9s %9s %5d\n", r->what, r->items, r->items_s,
                   r->rss_kb / 1024, p50, p99, a50, a99, r->exit_code);
            gw_buf_printf(&j, "%s{\"run\":\"%s\",\"items\":%zu,\"items_per_s\":%.1f,\"seconds\":%.3f,"
                              "\"peak_rss_kb\":%ld,\"exit\":%d",
                          k ? "," : "", r->what, r->items, r->items_s, r->wall_s, r->rss_kb, r->exit_code);
            if (k == 3)
                gw_buf_printf(&j, ",\"ack_p50_ms\":%.3f,\"ack_p99_ms\":%.3f,\"age_p50_ms\":%.3f,\"age_p99_ms\":%.3f",
                              r->p50_ms, r->p99_ms, r->age50_ms, r->age99_ms);
            gw_buf_putc(&j, '}');
        }
        gw_buf_printf(&j, "],\"e2e_ratio\":%.3f,\"rss_backlog_growth\":%.3f", b->e2e_ratio, b->rss_growth);
        printf("  enriched / copy: %.2fx; peak RSS, full backlog / a tenth: %.2fx\n\n", b->e2e_ratio,
               b->rss_growth);
    }
    gw_buf_append(&j, "}\n", 2);
    FILE *f = fopen(b->json, "w");
    if (f) {
        fwrite(j.data, 1, j.len, f);
        fclose(f);
        printf("written: %s\n", b->json);
    } else {
        fprintf(stderr, "bench: cannot write %s: %s\n", b->json, strerror(errno));
    }
    gw_buf_free(&j);
}

int main(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"geowire", required_argument, NULL, 'g'},
        {"items", required_argument, NULL, 'n'},  {"backlog", required_argument, NULL, 'b'},
        {"json", required_argument, NULL, 'j'},   {"partitions", required_argument, NULL, 'p'},
        {"names", required_argument, NULL, 'N'},  {NULL, 0, NULL, 0}};
    bench_t b;
    memset(&b, 0, sizeof b);
    b.config = "config/geowire.yaml";
    b.geowire = "build/geowire";
    b.json = "build/bench.json";
    b.items = 8000;
    b.backlog = 200000;
    size_t names = 100000;
    int o;
    while ((o = getopt_long(argc, argv, "c:g:n:b:j:p:N:", opts, NULL)) != -1) {
        switch (o) {
        case 'c': b.config = optarg; break;
        case 'g': b.geowire = optarg; break;
        case 'n': b.items = (size_t)atol(optarg); break;
        case 'b': b.backlog = (size_t)atol(optarg); break;
        case 'j': b.json = optarg; break;
        case 'p': b.partitions = atoi(optarg); break;
        case 'N': names = (size_t)atol(optarg); break;
        default:
            fprintf(stderr, "usage: bench [-c CONFIG] [--geowire PATH] [--items N] [--backlog N] "
                            "[--partitions N] [--json FILE] [--names N] [tagger|e2e|all|corpus|dict DIR]\n");
            return 2;
        }
    }
    const char *what = optind < argc ? argv[optind] : "all";
    int tagger = !strcmp(what, "tagger") || !strcmp(what, "all");
    int e2e = !strcmp(what, "e2e") || !strcmp(what, "all");
    int corpus = !strcmp(what, "corpus"), dict = !strcmp(what, "dict");
    if (dict && optind + 1 >= argc) {
        fprintf(stderr, "bench: dict needs a folder\n");
        return 2;
    }
    if ((!tagger && !e2e && !corpus && !dict) || !b.items || b.backlog < 10) {
        fprintf(stderr, "bench: unknown mode '%s' or empty run\n", what);
        return 2;
    }
    /* The mock keeps about 5 MiB a partition and the average item is ~2.9 KB
     * (~1,800 fill one): 1,250 a partition leaves room, 161 for 200k items. */
    if (!b.partitions) b.partitions = (int)(b.backlog / 1250 + 1);
    if (b.partitions > 1024) b.partitions = 1024;
    char err[GW_ERRLEN];
    if (!(b.cfg = gw_config_load(b.config, err, sizeof err))) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    snprintf(b.dir, sizeof b.dir, "/tmp/geowire-bench-XXXXXX");
    if (!mkdtemp(b.dir) || !(b.corpus = bench_corpus_new(b.cfg, SEED, err, sizeof err))) {
        fprintf(stderr, "bench: %s\n", b.corpus ? strerror(errno) : err);
        gw_config_free(b.cfg);
        return 1;
    }
    int rc = 0;
    if (dict) {
        char cfgp[600];
        rc = bench_synth_dict(b.cfg, argv[optind + 1], names, cfgp, sizeof cfgp, err, sizeof err);
        if (rc) fprintf(stderr, "bench: %s\n", err);
        else printf("%s\n", cfgp);
        bench_corpus_free(b.corpus);
        gw_config_free(b.cfg);
        rmdir(b.dir);
        return rc ? 1 : 0;
    }
    if (corpus) { /* the items as JSON lines, e.g. for `geowire tag` under a profiler */
        gw_buf_t buf;
        gw_buf_init(&buf);
        for (size_t i = 0; i < b.items && bench_corpus_item(b.corpus, i, &buf) == GW_OK; i++)
            printf("%s\n", buf.data);
        gw_buf_free(&buf);
        bench_corpus_free(b.corpus);
        gw_config_free(b.cfg);
        rmdir(b.dir);
        return 0;
    }
    if (tagger) rc |= run_tagger(&b);
    if (e2e && !rc) rc |= run_e2e(&b);
    report(&b);
    bench_corpus_free(b.corpus);
    gw_config_free(b.cfg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b.dir);
    if (!rc && system(cmd) != 0) fprintf(stderr, "bench: could not remove %s\n", b.dir);
    return rc;
}
