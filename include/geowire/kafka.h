/*
 * kafka.h - librdkafka helpers shared by `geowire run`, `geowire broker`
 * and the integration tests: passthrough configuration, log routing, the
 * embedded broker (librdkafka's mock cluster) and topic checks.
 */
#ifndef GEOWIRE_KAFKA_H
#define GEOWIRE_KAFKA_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "geowire/config.h"

/* Sets one property; on failure writes `what: reason` into err. */
int gw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                      const char *what, char *err, size_t errlen);

/* Applies a passthrough list verbatim. On failure writes
 * `file: kafka.<section>.KEY: reason`; librdkafka's own reason is left out
 * for secret entries because it quotes the value. Returns GW_OK/GW_EINVAL. */
int gw_kafka_conf_apply(rd_kafka_conf_t *conf, const gw_kv_t *kv, size_t n,
                        const char *file, const char *section, char *err, size_t errlen);

/* Routes librdkafka's log lines through gw_log (component=rdkafka, its
 * facility in the `facility` field), sets its log_level from the logger's
 * and its debug contexts from -vv. Property values dumped by the `conf`
 * context are masked for keys registered as secret. */
void gw_kafka_conf_logging(rd_kafka_conf_t *conf);

/* Registers every secret passthrough value of the config with the logger
 * (gw_log_secret). Call before creating any client. */
void gw_kafka_register_secrets(const gw_config_t *cfg);

/* The embedded broker: a mock cluster hosted by a dedicated dummy handle. */
typedef struct gw_embedded gw_embedded_t;

/* Starts a cluster of `brokers` brokers on 127.0.0.1 (ephemeral ports),
 * creates `topics` with `partitions` partitions each (replication 1) and
 * sets TCP_NODELAY on its listening sockets. Caller owns the result;
 * gw_embedded_stop releases it. NULL with a reason on failure. */
gw_embedded_t *gw_embedded_start(int brokers, const char *const *topics, size_t n_topics,
                                 int partitions, char *err, size_t errlen);
/* "127.0.0.1:PORT,..."; owned by the cluster. */
const char *gw_embedded_bootstraps(const gw_embedded_t *e);
rd_kafka_mock_cluster_t *gw_embedded_cluster(const gw_embedded_t *e);
void gw_embedded_stop(gw_embedded_t *e);

/* The mock never sets TCP_NODELAY on the sockets it accepts, so pipelined
 * responses stall ~40 ms on delayed ACKs. Sets it on every listening socket
 * of this process whose local port appears in `bootstraps` (accepted
 * sockets inherit it on Linux). Returns the number of sockets changed. */
int gw_kafka_nodelay_listeners(const char *bootstraps);

/* Waits (at most timeout_ms) until the cluster's metadata lists every topic
 * in `topics` with partitions. GW_OK; GW_ERR with the missing ones named in
 * err when they stay missing for 2 s of answers (a topic created a moment
 * ago is listed a little later); GW_EIO when no metadata came within
 * timeout_ms (the client error in err). Never creates topics. */
int gw_kafka_check_topics(rd_kafka_t *rk, const char *const *topics, size_t n,
                          int timeout_ms, char *err, size_t errlen);

#endif
