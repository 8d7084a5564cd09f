/*
 * kafka_support.h - helpers of the real-broker suite (tests/kafka/): the
 * broker started by tests/kafka/broker.sh (its address and credentials
 * come from the environment `make test-kafka` sets), topics per test,
 * a generated geowire config per test, items with known ids, Kafka's own
 * Java tools. Every wait is bounded.
 */
#ifndef GW_KAFKA_SUPPORT_H
#define GW_KAFKA_SUPPORT_H

#include <stddef.h>
#include "support/support.h"

/* The value of a variable broker.sh exported; fails the test with a hint
 * to run `make test-kafka` when it is missing. */
const char *gwk_env(const char *name);

/* The optimised binary (build/geowire): figures are measured on what users
 * run. The sanitized one is gwt_bin(). */
const char *gwk_release_bin(void);

/* A topic prefix unique to this test process ("<tag>-<pid>"), so a suite
 * can run again against the same broker. */
void gwk_prefix(char *buf, size_t n, const char *tag);

/* Creates the topics `names` with `partitions[i]` partitions each
 * (replication 1), then runs gw_kafka_check_topics on them at once, as a
 * geowire started right after would. 0 on success. */
int gwk_create(const char *brokers, const char *const *names, const int *partitions, size_t n);

/* Creates <prefix>.raw with `in_partitions` and .enriched, .alerts, .dlq,
 * .aggregates with `out_partitions` each (replication 1), waiting until
 * the metadata lists them. 0 on success. */
int gwk_create_topics(const char *brokers, const char *prefix, int in_partitions, int out_partitions);

/* One generated geowire config. Topics are <GWK_TOPICS>.raw etc. and the
 * group is $GEOWIRE_GROUP_ID, both from the spawned process' environment. */
typedef struct {
    const char *guarantee;             /* NULL: at_least_once */
    const char *log_level;             /* NULL: info */
    const char *const *producer;       /* extra "key", "value" pairs, NULL-terminated */
    const char *const *consumer;
    const char *http;                  /* http.listen; NULL: "off" */
} gwk_cfg_t;

/* Writes the config into build/kafka-tests/<name>.yaml; returns the path
 * (malloc'd, caller frees). */
char *gwk_config(const char *name, const gwk_cfg_t *c);

/* Spawns `bin run -c config --brokers brokers` with GWK_TOPICS=prefix,
 * GEOWIRE_GROUP_ID=group and `env` ("K=V", NULL-terminated, may be NULL). */
int gwk_spawn(gwt_proc_t *p, const char *bin, const char *config, const char *brokers,
              const char *prefix, const char *group, char *const *env);
/* The same with `args` (NULL-terminated, may be NULL) after the command
 * line above, e.g. "-vv". */
int gwk_spawn_args(gwt_proc_t *p, const char *bin, const char *config, const char *brokers,
                   const char *prefix, const char *group, char *const *env, char *const *args);

/* n JSON items with ids <tag>-<i> (zero-padded to 6 digits) and a
 * published_at; free with gwt_items_free. */
char **gwk_items(const char *tag, size_t n);

/* gwt_cover of the ids <tag>-0 .. <tag>-(n-1) (gwk_items'). */
gwt_cover_t gwk_cover(const gwt_msgs_t *ms, const char *tag, size_t n);

/* Waits until the high watermarks of `topic` sum to at least `want`; gives
 * up early when `p` (may be NULL) has exited (it is then reaped and its log
 * dumped). 1 when reached. */
int gwk_wait_count(const char *brokers, const char *topic, int64_t want, int timeout_ms, gwt_proc_t *p);

/* Checks every `every`-th record of `ms` with tools/validate-records.py
 * (written to build/kafka-tests/<name>.jsonl); fails the test when it
 * refuses one. jsonschema is slow: large runs validate a sample. */
void gwk_validate(const gwt_msgs_t *ms, size_t every, const char *name);

/* Runs `java -cp $GW_KAFKA_CLASSPATH main args...`, captures stdout
 * (malloc'd into *out). Returns the exit code, -1 on timeout. */
int gwk_java(const char *main_class, char *const args[], char **out, int timeout_ms);

/* Dumps the child's stderr to ours (for a failing test). */
void gwk_dump_log(const gwt_proc_t *p, const char *who);

#endif
