/*
 * broker.c - `geowire broker`: the embedded broker as a standalone process,
 * for kcat and other same-host clients (Debian's kcat has no mock mode).
 */
#include "geowire/broker.h"
#include "geowire/common.h"
#include "geowire/kafka.h"
#include "geowire/log.h"
#include "geowire/signals.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const default_topics[] = {"news.raw", "news.enriched", "news.alerts",
                                             "news.dlq", "news.aggregates"};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: geowire broker [--partitions N] [--topics a,b,c]\n"
            "  Runs librdkafka's mock cluster on 127.0.0.1 until SIGTERM/SIGINT.\n"
            "  The first stdout line is BROKERS=host:port,... (nothing else goes to stdout).\n"
            "  --partitions N   partitions per topic (default 1)\n"
            "  --topics LIST    topics to create, comma-separated (default:\n"
            "                   news.raw,news.enriched,news.alerts,news.dlq,news.aggregates)\n");
}

int gw_cmd_broker(int argc, char **argv)
{
    static const struct option opts[] = {
        {"partitions", required_argument, NULL, 'p'},
        {"topics", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int partitions = 1;
    char *topic_list = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "p:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "geowire broker: --partitions must be 1..1024\n");
                return 2;
            }
            partitions = (int)v;
            break;
        }
        case 't': topic_list = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "geowire broker: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    const char *topics_buf[256];
    const char *const *topics = default_topics;
    size_t n_topics = sizeof default_topics / sizeof default_topics[0];
    char *copy = NULL;
    if (topic_list) {
        copy = gw_strdup(topic_list);
        if (!copy) return 1;
        n_topics = 0;
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (!*t) continue;
            if (n_topics == sizeof topics_buf / sizeof topics_buf[0]) {
                fprintf(stderr, "geowire broker: too many topics\n");
                free(copy);
                return 2;
            }
            topics_buf[n_topics++] = t;
        }
        if (n_topics == 0) {
            fprintf(stderr, "geowire broker: --topics names no topic\n");
            free(copy);
            return 2;
        }
        topics = topics_buf;
    }

    gw_signals_install();
    char err[GW_ERRLEN];
    gw_embedded_t *e = gw_embedded_start(1, topics, n_topics, partitions, err, sizeof err);
    if (!e) {
        gw_log(GW_LOG_ERROR, "broker", err, (const char *)NULL);
        free(copy);
        return 1;
    }
    printf("BROKERS=%s\n", gw_embedded_bootstraps(e));
    fflush(stdout);
    char parts[16];
    snprintf(parts, sizeof parts, "%d", partitions);
    gw_log(GW_LOG_INFO, "broker", "embedded broker listening", "brokers", gw_embedded_bootstraps(e),
           "partitions", parts, (const char *)NULL);

    while (!gw_signals_stop_requested()) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    gw_log(GW_LOG_INFO, "broker", "stopping", (const char *)NULL);
    gw_embedded_stop(e);
    free(copy);
    return 0;
}
