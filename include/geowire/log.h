/*
 * log.h - one line per event on stderr, logfmt or JSON.
 *
 *   ts=2026-11-27T10:00:00.123Z level=info component=daemon msg="..." k=v
 *
 * Only the command layer (consumer/) logs. The logger is process-wide and
 * thread-safe: librdkafka calls it from its own threads, and each line is
 * formatted into a local buffer and written with one write(2).
 */
#ifndef GEOWIRE_LOG_H
#define GEOWIRE_LOG_H

typedef enum {
    GW_LOG_DEBUG = 0,
    GW_LOG_INFO = 1,
    GW_LOG_WARN = 2,
    GW_LOG_ERROR = 3,
} gw_log_level_t;

/* Sets the minimum level ("debug", "info", "warn", "error") and the format
 * ("logfmt" or "json"). NULL keeps the current value (defaults: info,
 * logfmt). Returns 0, or -1 for an unknown level or format. */
int gw_log_setup(const char *level, const char *format);

/* 1 when a line at `lvl` would be written. */
int gw_log_enabled(gw_log_level_t lvl);

/* Logs `msg` with key/value pairs: a NULL-terminated list of
 * (const char *key, const char *value) pairs. Values are quoted when needed.
 *   gw_log(GW_LOG_INFO, "daemon", "started", "topic", t, NULL); */
void gw_log(gw_log_level_t lvl, const char *component, const char *msg, ...);

/* Same, with a printf-formatted message and no key/value pairs. */
void gw_logf(gw_log_level_t lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
