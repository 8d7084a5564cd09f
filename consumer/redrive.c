/*
 * redrive.c - `geowire redrive` (redrive.h).
 *
 * A bounded replay: the dead-letter topic's end offsets are captured at
 * start and the run stops when every partition reaches them, so dead
 * letters produced meanwhile (a redriven item that fails again) are never
 * replayed in the same run, and the run ends even on a busy topic. It reads
 * with assign(), no group and no commit: redrive never moves anyone's
 * offsets, and a second run replays the same dead letters again (narrow it
 * with --since/--until).
 */
#include "geowire/redrive.h"
#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/kafka.h"
#include "geowire/log.h"
#include "geowire/parse.h"
#include "geowire/pipeline.h"
#include "geowire/signals.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define META_TIMEOUT_MS 10000
#define STALL_MS 60000
#define FLUSH_MS 120000

/* ------------------------------------------------------------ provenance */

static int is_provenance(const char *name)
{
    return !strncmp(name, "geowire-original-", 17) || !strncmp(name, "geowire-redrive", 15);
}

rd_kafka_headers_t *gw_redrive_provenance(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *src = NULL;
    if (rd_kafka_message_headers(m, &src) || !src) return NULL;
    rd_kafka_headers_t *out = NULL;
    const char *name;
    const void *val;
    size_t sz;
    for (size_t i = 0; !rd_kafka_header_get_all(src, i, &name, &val, &sz); i++) {
        if (!is_provenance(name)) continue;
        if (!out) out = rd_kafka_headers_new(8);
        rd_kafka_header_add(out, name, -1, val, (ssize_t)sz);
    }
    return out;
}

void gw_redrive_add_provenance(rd_kafka_headers_t *dst, const rd_kafka_headers_t *prov)
{
    const char *name;
    const void *val;
    size_t sz;
    for (size_t i = 0; prov && !rd_kafka_header_get_all(prov, i, &name, &val, &sz); i++)
        rd_kafka_header_add(dst, name, -1, val, (ssize_t)sz);
}

/* ------------------------------------------------------------------ run */

typedef struct {
    const gw_config_t *cfg;
    const char *dlq, *to;
    int reasons[GW_REASON__COUNT]; /* 1 = replay this reason; all 0 = every reason */
    int any_reason;
    int64_t since, until;          /* -1: open */
    int dry_run;
    rd_kafka_t *consumer, *producer;
    int32_t n_parts;
    int64_t *end;                  /* per partition: stop before this offset */
    int *done;
    uint64_t scanned, matched, delivered, failed;
} redrive_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: geowire redrive [-c FILE] [--brokers LIST] [--reason R[,R...]] [--since TIME]\n"
            "                       [--until TIME] [--to TOPIC] [--dry-run] [-v|-q]\n"
            "  Replays the dead-letter topic (topics.dead_letter) into the input topic, up to the\n"
            "  end offsets it has when the run starts, then exits. Each replayed item keeps its\n"
            "  original bytes and key, and its provenance in geowire-original-* and\n"
            "  geowire-redriven-* headers. Offsets of the consumer group are never touched.\n"
            "  -c, --config FILE   configuration (default: $GEOWIRE_CONFIG, ./config/geowire.yaml)\n"
            "  -b, --brokers LIST  bootstrap servers (overrides kafka.brokers; not 'embedded')\n"
            "  -r, --reason LIST   only dead letters with these geowire-dlq-reason values\n"
            "                      (comma-separated; repeatable), e.g. too_large,invalid_json\n"
            "  -s, --since TIME    only dead letters written at or after TIME: RFC 3339\n"
            "                      (2026-11-27T10:00:00Z), a date (2026-11-27, UTC midnight) or\n"
            "                      milliseconds since the epoch\n"
            "  -u, --until TIME    only dead letters written before TIME (same forms)\n"
            "  -t, --to TOPIC      produce to TOPIC instead of topics.input\n"
            "  -n, --dry-run       list the matching dead letters on stdout, produce nothing\n"
            "  -v, --verbose       more log output (-vv: librdkafka debug); -q, --quiet: less\n"
            "  -h, --help          this help\n"
            "Exit: 0 all matching dead letters replayed, 1 a delivery failed or the run was\n"
            "interrupted, 2 usage or configuration error.\n");
}

/* Marks the reasons named in a comma-separated list; 0, or -1 naming the
 * unknown one in err. */
static int parse_reasons(redrive_t *r, const char *list, char *err, size_t errlen)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        for (int i = 1; i < GW_REASON__COUNT; i++) {
            const char *name = gw_reason_name((gw_reason_t)i);
            if (strlen(name) == n && !strncmp(p, name, n)) { r->reasons[i] = 1; found = 1; }
        }
        if (!found) {
            gw_buf_t known;
            gw_buf_init(&known);
            for (int i = 1; i < GW_REASON__COUNT; i++)
                gw_buf_printf(&known, "%s%s", i > 1 ? ", " : "", gw_reason_name((gw_reason_t)i));
            snprintf(err, errlen, "unknown reason '%.*s' (known: %s)", (int)n, p,
                     known.data ? known.data : "");
            gw_buf_free(&known);
            return -1;
        }
        r->any_reason = 1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    redrive_t *r = opaque;
    if (!m->err) { r->delivered++; return; }
    r->failed++;
    gw_log(GW_LOG_ERROR, "redrive", "a replayed item was not delivered", "topic", r->to, "error",
           rd_kafka_err2str(m->err), (const char *)NULL);
}

/* A client with the config's passthrough and geowire's own settings (which
 * win: a redrive never commits and always produces idempotently). */
static rd_kafka_t *client(redrive_t *r, rd_kafka_type_t type, const char *brokers, char *err,
                          size_t errlen)
{
    const gw_config_t *cfg = r->cfg;
    int cons = type == RD_KAFKA_CONSUMER;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    gw_kafka_conf_logging(conf);
    char gid[512];
    snprintf(gid, sizeof gid, "%s.redrive", cfg->kafka.group_id);
    int bad = gw_kafka_conf_apply(conf, cons ? cfg->kafka.consumer : cfg->kafka.producer,
                                  cons ? cfg->kafka.n_consumer : cfg->kafka.n_producer, cfg->path,
                                  cons ? "consumer" : "producer", err, errlen) ||
              gw_kafka_conf_set(conf, "bootstrap.servers", brokers, "kafka.brokers", err, errlen) ||
              gw_kafka_conf_set(conf, "client.id", cons ? "geowire-redrive-consumer"
                                : "geowire-redrive-producer", NULL, err, errlen);
    if (!bad && cons)
        bad = gw_kafka_conf_set(conf, "group.id", gid, NULL, err, errlen) ||
              gw_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, err, errlen) ||
              gw_kafka_conf_set(conf, "enable.partition.eof", "true", NULL, err, errlen);
    if (!bad && !cons) {
        bad = gw_kafka_conf_set(conf, "enable.idempotence", "true", NULL, err, errlen);
        rd_kafka_conf_set_opaque(conf, r);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    }
    if (bad) { rd_kafka_conf_destroy(conf); return NULL; }
    char es[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, es, sizeof es);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        gw_err(err, errlen, GW_EINVAL, "%s: %s", cfg->path, es);
    }
    return rk;
}

/* Captures the end offsets and picks each partition's start (the first
 * offset, or the first at/after --since); assigns what has work left. */
static int plan(redrive_t *r, char *err, size_t errlen)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(r->consumer, r->dlq, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(r->consumer, 0, t, &md, META_TIMEOUT_MS);
    rd_kafka_topic_destroy(t);
    if (e || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt <= 0) {
        gw_err(err, errlen, GW_ERR, "dead-letter topic %s: %s", r->dlq,
               e ? rd_kafka_err2str(e) : md->topic_cnt == 1 && md->topics[0].err
               ? rd_kafka_err2str(md->topics[0].err) : "no partitions");
        if (md) rd_kafka_metadata_destroy(md);
        return -1;
    }
    r->n_parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    r->end = gw_calloc((size_t)r->n_parts, sizeof *r->end);
    r->done = gw_calloc((size_t)r->n_parts, sizeof *r->done);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(r->n_parts);
    if (!r->end || !r->done || !l) {
        if (l) rd_kafka_topic_partition_list_destroy(l);
        return gw_err(err, errlen, GW_ENOMEM, "out of memory");
    }
    int64_t *lo = gw_calloc((size_t)r->n_parts, sizeof *lo);
    for (int32_t p = 0; lo && p < r->n_parts; p++) {
        e = rd_kafka_query_watermark_offsets(r->consumer, r->dlq, p, &lo[p], &r->end[p], META_TIMEOUT_MS);
        if (e) {
            free(lo);
            rd_kafka_topic_partition_list_destroy(l);
            return gw_err(err, errlen, GW_ERR, "%s [%d]: end offsets: %s", r->dlq, p, rd_kafka_err2str(e));
        }
        rd_kafka_topic_partition_list_add(l, r->dlq, p)->offset = r->since >= 0 ? r->since : lo[p];
    }
    if (!lo) {
        rd_kafka_topic_partition_list_destroy(l);
        return gw_err(err, errlen, GW_ENOMEM, "out of memory");
    }
    if (r->since >= 0 && (e = rd_kafka_offsets_for_times(r->consumer, l, META_TIMEOUT_MS))) {
        free(lo);
        rd_kafka_topic_partition_list_destroy(l);
        return gw_err(err, errlen, GW_ERR, "%s: offsets for --since: %s", r->dlq, rd_kafka_err2str(e));
    }
    for (int i = 0; i < l->cnt; i++) {
        int32_t p = l->elems[i].partition;
        /* offsets_for_times only saves reading: each message's timestamp
         * is checked anyway. -1 means "none at or after --since" from a
         * broker, but librdkafka 2.0.2's mock answers -1 to every timestamp
         * query, so -1 reads the whole partition rather than trusting it. */
        if (l->elems[i].offset < lo[p]) l->elems[i].offset = lo[p];
        if (l->elems[i].offset >= r->end[p]) r->done[p] = 1;
    }
    free(lo);
    e = rd_kafka_assign(r->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) return gw_err(err, errlen, GW_ERR, "assign %s: %s", r->dlq, rd_kafka_err2str(e));
    return 0;
}

static const char *header(const rd_kafka_message_t *m, const char *name, char *buf, size_t n)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t sz;
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &sz) || !v)
        return NULL;
    snprintf(buf, n, "%.*s", (int)sz, (const char *)v);
    return buf;
}

/* The headers of the replayed message: the provenance of the item's first
 * input position (kept from an earlier redrive when there was one) and
 * where this replay came from. */
static rd_kafka_headers_t *replay_headers(const redrive_t *r, const rd_kafka_message_t *m,
                                          const char *reason)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(10);
    static const char *const fields[] = {"topic", "partition", "offset"};
    char a[64], b[256], v[256];
    for (size_t i = 0; i < 3; i++) {
        snprintf(a, sizeof a, "geowire-original-%s", fields[i]);
        snprintf(b, sizeof b, "geowire-source-%s", fields[i]);
        const char *val = header(m, a, v, sizeof v);
        if (!val) val = header(m, b, v, sizeof v);
        if (val) rd_kafka_header_add(h, a, -1, val, -1);
    }
    snprintf(v, sizeof v, "%s/%" PRId32 "/%" PRId64, r->dlq, m->partition, m->offset);
    rd_kafka_header_add(h, "geowire-redriven-from", -1, v, -1);
    rd_kafka_header_add(h, "geowire-redriven-reason", -1, reason, -1);
    snprintf(v, sizeof v, "%" PRId64, gw_now_ms());
    rd_kafka_header_add(h, "geowire-redriven-at", -1, v, -1);
    const char *cnt = header(m, "geowire-redrive-count", b, sizeof b);
    snprintf(v, sizeof v, "%ld", (cnt ? atol(cnt) : 0) + 1);
    rd_kafka_header_add(h, "geowire-redrive-count", -1, v, -1);
    return h;
}

static void replay(redrive_t *r, const rd_kafka_message_t *m)
{
    r->scanned++;
    char rb[64];
    const char *reason = header(m, "geowire-dlq-reason", rb, sizeof rb);
    if (!reason) reason = "unknown";
    if (r->any_reason) {
        int want = 0;
        for (int i = 1; i < GW_REASON__COUNT; i++)
            if (r->reasons[i] && !strcmp(reason, gw_reason_name((gw_reason_t)i))) want = 1;
        if (!want) return;
    }
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    if ((r->since >= 0 && ts < r->since) || (r->until >= 0 && ts >= r->until)) return;
    r->matched++;
    if (r->dry_run) {
        char ot[256], op[16], oo[32];
        const char *t = header(m, "geowire-source-topic", ot, sizeof ot);
        const char *p = header(m, "geowire-source-partition", op, sizeof op);
        const char *o = header(m, "geowire-source-offset", oo, sizeof oo);
        printf("%s/%" PRId32 "/%" PRId64 " reason=%s timestamp=%" PRId64 " bytes=%zu source=%s/%s/%s\n",
               r->dlq, m->partition, m->offset, reason, ts, m->len, t ? t : "?", p ? p : "?",
               o ? o : "?");
        return;
    }
    rd_kafka_headers_t *h = replay_headers(r, m, reason);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            r->producer, RD_KAFKA_V_TOPIC(r->to), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_KEY(m->key, m->key_len),
            RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) { rd_kafka_poll(r->producer, 100); continue; }
        if (e) {
            rd_kafka_headers_destroy(h);
            r->failed++;
            gw_log(GW_LOG_ERROR, "redrive", "cannot produce a replayed item", "topic", r->to,
                   "error", rd_kafka_err2str(e), (const char *)NULL);
        }
        return;
    }
}

static int all_done(const redrive_t *r)
{
    for (int32_t p = 0; p < r->n_parts; p++)
        if (!r->done[p]) return 0;
    return 1;
}

/* Consumes until every partition reached its captured end offset. Returns
 * 0, or -1 when interrupted or stalled. */
static int run_loop(redrive_t *r)
{
    int64_t last = gw_now_ms();
    while (!all_done(r)) {
        if (gw_signals_stop_requested()) {
            gw_log(GW_LOG_WARN, "redrive", "interrupted before the end offsets", (const char *)NULL);
            return -1;
        }
        if (gw_now_ms() - last > STALL_MS) {
            gw_log(GW_LOG_ERROR, "redrive", "no progress from the broker for 60 s; giving up",
                   (const char *)NULL);
            return -1;
        }
        if (r->producer) rd_kafka_poll(r->producer, 0);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->consumer, 100);
        if (!m) continue;
        last = gw_now_ms();
        int32_t p = m->partition;
        int ours = p >= 0 && p < r->n_parts && m->rkt && !strcmp(rd_kafka_topic_name(m->rkt), r->dlq);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (ours && m->offset >= r->end[p]) r->done[p] = 1;
        } else if (m->err) {
            gw_log(GW_LOG_WARN, "redrive", "consumer error", "error", rd_kafka_message_errstr(m),
                   (const char *)NULL);
        } else if (ours && !r->done[p]) {
            if (m->offset < r->end[p]) replay(r, m);
            if (m->offset + 1 >= r->end[p]) r->done[p] = 1;
        }
        rd_kafka_message_destroy(m);
    }
    return 0;
}

static int parse_time(const char *opt, const char *s, int64_t *out)
{
    if (gw_parse_instant_ms(s, out) == GW_OK) return 0;
    fprintf(stderr, "geowire redrive: %s '%s': expected RFC 3339 (2026-11-27T10:00:00Z), a date "
            "(2026-11-27) or milliseconds since the epoch\n", opt, s);
    return -1;
}

int gw_cmd_redrive(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"brokers", required_argument, NULL, 'b'},
        {"reason", required_argument, NULL, 'r'}, {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},  {"to", required_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, 'n'},      {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    redrive_t r;
    memset(&r, 0, sizeof r);
    r.since = r.until = -1;
    const char *cfg_path = NULL, *brokers = NULL;
    int verbosity = 0, o;
    char err[GW_ERRLEN];
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:b:r:s:u:t:nvqh", opts, NULL)) != -1) {
        switch (o) {
        case 'c': cfg_path = optarg; break;
        case 'b': brokers = optarg; break;
        case 'r':
            if (parse_reasons(&r, optarg, err, sizeof err)) {
                fprintf(stderr, "geowire redrive: --reason: %s\n", err);
                return 2;
            }
            break;
        case 's': if (parse_time("--since", optarg, &r.since)) return 2; break;
        case 'u': if (parse_time("--until", optarg, &r.until)) return 2; break;
        case 't': r.to = optarg; break;
        case 'n': r.dry_run = 1; break;
        case 'v': verbosity++; break;
        case 'q': verbosity--; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "geowire redrive: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (r.since >= 0 && r.until >= 0 && r.until <= r.since) {
        fprintf(stderr, "geowire redrive: --until must be later than --since\n");
        return 2;
    }
    char *found = NULL;
    if (!cfg_path && !(cfg_path = found = gw_config_find(err, sizeof err))) {
        fprintf(stderr, "geowire redrive: no configuration: %s\n", err);
        return 2;
    }
    gw_config_t *cfg = gw_config_load(cfg_path, err, sizeof err);
    free(found);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    if (!brokers) brokers = cfg->kafka.brokers;
    if (!*brokers || !strcmp(brokers, "embedded")) {
        /* A fresh in-process broker holds no dead letters. */
        fprintf(stderr, "geowire redrive: needs the cluster that holds the dead letters (--brokers "
                "or kafka.brokers), not '%s'\n", brokers);
        gw_config_free(cfg);
        return 2;
    }
    gw_log_setup(cfg->log.level, cfg->log.format);
    gw_log_verbosity(verbosity);
    gw_kafka_register_secrets(cfg);
    gw_signals_install();
    r.cfg = cfg;
    r.dlq = cfg->topics.dead_letter;
    if (!r.to) r.to = cfg->topics.input;

    int rc = 1;
    if (!(r.consumer = client(&r, RD_KAFKA_CONSUMER, brokers, err, sizeof err)) ||
        (!r.dry_run && !(r.producer = client(&r, RD_KAFKA_PRODUCER, brokers, err, sizeof err)))) {
        gw_log(GW_LOG_ERROR, "redrive", err, (const char *)NULL);
        rc = 2;
        goto out;
    }
    if (r.producer) {
        const char *need[] = {r.to};
        if (gw_kafka_check_topics(r.producer, need, 1, META_TIMEOUT_MS, err, sizeof err)) {
            gw_log(GW_LOG_ERROR, "redrive", err, (const char *)NULL);
            goto out;
        }
    }
    if (plan(&r, err, sizeof err)) {
        gw_log(GW_LOG_ERROR, "redrive", err, (const char *)NULL);
        goto out;
    }
    gw_log(GW_LOG_INFO, "redrive", r.dry_run ? "listing dead letters (dry run)" : "redriving",
           "from", r.dlq, "to", r.to, (const char *)NULL);
    int finished = run_loop(&r) == 0;
    if (r.producer && rd_kafka_flush(r.producer, FLUSH_MS)) {
        gw_log(GW_LOG_ERROR, "redrive", "replayed items still undelivered after the flush timeout",
               (const char *)NULL);
        finished = 0;
    }
    uint64_t unconfirmed = r.dry_run ? 0 : r.matched - r.delivered - r.failed;
    char sc[32], ma[32], de[32], fa[32];
    snprintf(sc, sizeof sc, "%" PRIu64, r.scanned);
    snprintf(ma, sizeof ma, "%" PRIu64, r.matched);
    snprintf(de, sizeof de, "%" PRIu64, r.delivered);
    snprintf(fa, sizeof fa, "%" PRIu64, r.failed + unconfirmed);
    gw_log(finished && !r.failed && !unconfirmed ? GW_LOG_INFO : GW_LOG_ERROR, "redrive",
           finished ? "done" : "stopped early", "scanned", sc, "matched", ma, "redriven", de,
           "failed", fa, (const char *)NULL);
    printf("scanned=%s matched=%s redriven=%s failed=%s\n", sc, ma, de, fa);
    rc = finished && !r.failed && !unconfirmed ? 0 : 1;
out:
    if (r.consumer) { rd_kafka_consumer_close(r.consumer); rd_kafka_destroy(r.consumer); }
    if (r.producer) rd_kafka_destroy(r.producer);
    free(r.end);
    free(r.done);
    gw_config_free(cfg);
    gw_log_forget_secrets();
    fflush(stdout);
    return rc;
}
