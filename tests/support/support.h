/*
 * support.h - helpers for the integration tests: spawn geowire as a real
 * process, host a mock cluster in the test, produce and consume with
 * librdkafka. Every wait is bounded.
 */
#ifndef GW_TEST_SUPPORT_H
#define GW_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "geowire/kafka.h"

/* --- processes --- */
typedef struct {
    pid_t pid;
    int out_fd;          /* child's stdout (read end), non-blocking */
    char *out;           /* everything read from stdout so far, NUL-terminated */
    size_t out_len, out_cap;
    char errlog[256];    /* child's stderr goes to this file */
    int status;          /* raw wait status once reaped */
    int reaped;
} gwt_proc_t;

/* The sanitized binary (build/san/geowire, or $GEOWIRE_BIN). */
const char *gwt_bin(void);

/* Starts argv[0] with `env` ("K=V", NULL-terminated, may be NULL) added to
 * the environment; stdout is piped, stderr goes to a temp file. 0 on success. */
int gwt_spawn(gwt_proc_t *p, char *const argv[], char *const env[]);
/* Reads stdout until it holds a full line; copies the first line. 0 or -1 on timeout. */
int gwt_first_line(gwt_proc_t *p, char *line, size_t n, int timeout_ms);
/* Drains whatever the child wrote to stdout so far. */
void gwt_read_out(gwt_proc_t *p);
/* Waits for the exit: returns the exit code, 128+signal if killed by a
 * signal, or -1 on timeout (the child is then SIGKILLed and reaped). */
int gwt_wait(gwt_proc_t *p, int timeout_ms);
void gwt_signal(gwt_proc_t *p, int sig);
/* 1 once the child's stderr contains `needle` (bounded wait), else 0. */
int gwt_wait_log(gwt_proc_t *p, const char *needle, int timeout_ms);
/* The child's stderr so far (malloc'd, caller frees). */
char *gwt_errlog(const gwt_proc_t *p);
/* Kills if still running, reaps, frees buffers, removes the log file
 * unless $GWT_KEEP_LOGS is set. */
void gwt_proc_free(gwt_proc_t *p);

/* --- cluster in the test process --- */
/* The five default topics with `partitions` each on a 1-broker mock. */
gw_embedded_t *gwt_cluster(int partitions);

/* --- clients --- */
/* Produces payloads (no key) to `topic`, flushes (bounded). 0 when all delivered. */
int gwt_produce(const char *brokers, const char *topic, char *const *payloads,
                const size_t *lens, size_t n);

typedef struct {
    char *payload; size_t len;
    char *key; size_t key_len;       /* key NULL when absent */
    int32_t partition; int64_t offset;
    char *hnames[16], *hvalues[16];  /* headers, NUL-terminated copies */
    int n_headers;
} gwt_msg_t;

typedef struct { gwt_msg_t *m; size_t n, cap; } gwt_msgs_t;

/* Reads `topic` from the beginning of every partition (no group) until
 * `want` messages arrived plus `linger_ms` more, or timeout_ms passed.
 * Returns the number read. */
size_t gwt_consume(const char *brokers, const char *topic, size_t want, int linger_ms,
                   int timeout_ms, gwt_msgs_t *out);
const char *gwt_header(const gwt_msg_t *m, const char *name);
void gwt_msgs_free(gwt_msgs_t *ms);

/* Sum of the high watermarks of `topic` (records on the log), -1 on error. */
int64_t gwt_topic_count(const char *brokers, const char *topic);
/* Polls until `topic` holds at least `n` records: 1, or 0 at the deadline. */
int gwt_wait_count(const char *brokers, const char *topic, int64_t n, int timeout_ms);
/* Sum of the offsets `group` committed on `topic` (partitions 0..n-1;
 * a partition without commit counts 0), -1 on error. */
int64_t gwt_committed_sum(const char *brokers, const char *group, const char *topic, int partitions);

/* --- HTTP --- */
typedef struct {
    int status;
    char *headers;   /* the response head, NUL-terminated */
    char *body;      /* NUL-terminated */
} gwt_resp_t;

/* One HTTP/1.0 request with an empty body to `addr` ("127.0.0.1:PORT",
 * "[::1]:PORT"); the server closes after answering. 0 on success (out
 * filled; free with gwt_resp_free), -1 when it could not be done. */
int gwt_http(const char *addr, const char *method, const char *path, gwt_resp_t *out);
void gwt_resp_free(gwt_resp_t *r);
/* The address a spawned `geowire run` logged its HTTP endpoint on
 * (waits up to 30 s). 1 with it copied into addr, 0 on timeout. */
int gwt_http_address(gwt_proc_t *p, char *addr, size_t n);

/* --- text --- */
/* Writes code point cp (< 0x110000, surrogates too: tests walk every code
 * point) as UTF-8 into o (room for 4). Returns its length. */
size_t gwt_utf8(char *o, uint32_t cp);

/* --- configs --- */
/* Writes a copy of tests/integration/geowire-test.yaml to a new file under
 * /tmp with absolute dictionary paths, each line that starts with
 * edits[2i] replaced by edits[2i+1] (which may span several lines; put the
 * anchor line back in it to insert rather than replace). `edits` ends with
 * NULL. Copies the new path into `path` (n >= 32) and returns 0. */
int gwt_config_write(char *path, size_t n, const char *const *edits);

/* --- streams of items (fault injection, soak) --- */
/* N JSON items with ids it-<tag>-0000.. whose bodies name countries; free
 * with gwt_items_free. */
char **gwt_items(const char *tag, size_t n);
void gwt_items_free(char **v, size_t n);
/* How the messages' JSON "id"s cover <prefix>0 .. <prefix>(n-1) (the
 * number after the prefix, any zero padding): distinct ids seen, extra
 * copies of those ids (duplicates), and messages with any other id or none
 * (foreign). */
typedef struct { size_t distinct, duplicates, foreign; } gwt_cover_t;
gwt_cover_t gwt_cover(const gwt_msgs_t *ms, const char *prefix, size_t n);
/* gwt_cover of the ids it-<tag>-0..n-1 (gwt_items'): the distinct ids;
 * *dups (may be NULL) gets the duplicates. */
size_t gwt_ids_seen(const gwt_msgs_t *ms, const char *tag, size_t n, size_t *dups);

/* Produces items to a topic from a thread at a steady rate, with one
 * producer whose messages never time out (a broker outage only delays
 * them), so a fault can be injected while the stream flows. When sent_at
 * is not NULL, sent_at[i] gets the gwt_now() at which item i was produced. */
typedef struct gwt_stream gwt_stream_t;
gwt_stream_t *gwt_stream_start(const char *brokers, const char *topic, char *const *items,
                               size_t n, int per_second, int64_t *sent_at);
/* Items handed to the producer so far. */
size_t gwt_stream_sent(const gwt_stream_t *s);
/* Waits for the end of the stream and every delivery report (bounded by
 * timeout_ms); frees the stream. 0 when all n were delivered. */
int gwt_stream_join(gwt_stream_t *s, int timeout_ms);

/* Milliseconds, monotonic. */
int64_t gwt_now(void);
void gwt_sleep_ms(int ms);

#endif
