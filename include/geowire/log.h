/*
 * log.h - one line per event on stderr, logfmt or JSON.
 *
 *   ts=2026-11-27T10:00:00.123Z level=info component=daemon msg="..." k=v
 *   {"ts":"...","level":"info","component":"daemon","msg":"...","k":"v"}
 *
 * Only the command layer (consumer/) logs. The logger is process-wide and
 * thread-safe: librdkafka calls it from its own threads, and each line is
 * formatted into a local buffer and written with one write(2).
 *
 * Secrets: values registered with gw_log_secret are replaced by [secret]
 * wherever they appear in a line (message or field), whoever logs it.
 */
#ifndef GEOWIRE_LOG_H
#define GEOWIRE_LOG_H

typedef enum {
    GW_LOG_DEBUG = 0,
    GW_LOG_INFO = 1,
    GW_LOG_WARN = 2,
    GW_LOG_ERROR = 3,
} gw_log_level_t;

/* Sets the configured level ("debug", "info", "warn", "error") and the
 * format ("logfmt" or "json"). NULL keeps the current value (defaults:
 * info, logfmt). The command line's verbosity (gw_log_verbosity) still
 * applies on top. Returns 0, or -1 for an unknown level or format. */
int gw_log_setup(const char *level, const char *format);

/* Command-line verbosity: +1 per -v, -1 per -q. Each step moves the
 * effective level one step from the configured one (clamped to debug..error);
 * 2 or more also turns on librdkafka's debug contexts (gw_log_rdkafka_debug). */
void gw_log_verbosity(int delta);

/* librdkafka `debug` contexts asked for on the command line (-vv), or NULL. */
const char *gw_log_rdkafka_debug(void);

/* 1 when a line at `lvl` would be written. */
int gw_log_enabled(gw_log_level_t lvl);

/* Registers a secret: the value (when at least GW_LOG_SECRET_MIN bytes long;
 * shorter strings occur everywhere) is masked in every later line, and
 * gw_log_secret_key answers 1 for its key. Call before any thread that logs
 * exists (the registry is read without a lock). Copies both strings. */
#define GW_LOG_SECRET_MIN 4
void gw_log_secret(const char *key, const char *value);
/* 1 when `key` was registered as holding a secret. */
int gw_log_secret_key(const char *key);
/* Forgets every registered secret and frees the copies. */
void gw_log_forget_secrets(void);

/* Logs `msg` with key/value pairs: a NULL-terminated list of
 * (const char *key, const char *value) pairs. Values are quoted when needed.
 *   gw_log(GW_LOG_INFO, "daemon", "started", "topic", t, NULL); */
void gw_log(gw_log_level_t lvl, const char *component, const char *msg, ...);

/* Same, with a printf-formatted message and no key/value pairs. */
void gw_logf(gw_log_level_t lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
