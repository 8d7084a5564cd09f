/*
 * log.c - the process-wide logger (see log.h).
 */
#include "geowire/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Written once at start-up, before any librdkafka thread exists; read-only
 * afterwards, so no lock is needed. */
static int g_min_level = GW_LOG_INFO;
static int g_json = 0;

static const char *level_name(gw_log_level_t l)
{
    switch (l) {
    case GW_LOG_DEBUG: return "debug";
    case GW_LOG_INFO: return "info";
    case GW_LOG_WARN: return "warn";
    default: return "error";
    }
}

int gw_log_setup(const char *level, const char *format)
{
    if (level) {
        if (!strcmp(level, "debug")) g_min_level = GW_LOG_DEBUG;
        else if (!strcmp(level, "info")) g_min_level = GW_LOG_INFO;
        else if (!strcmp(level, "warn") || !strcmp(level, "warning")) g_min_level = GW_LOG_WARN;
        else if (!strcmp(level, "error")) g_min_level = GW_LOG_ERROR;
        else return -1;
    }
    if (format) {
        if (!strcmp(format, "logfmt")) g_json = 0;
        else if (!strcmp(format, "json")) g_json = 1;
        else return -1;
    }
    return 0;
}

int gw_log_enabled(gw_log_level_t lvl)
{
    return (int)lvl >= g_min_level;
}

/* A fixed line buffer: a log line longer than this is cut, never split. */
typedef struct {
    char b[4096];
    size_t n;
} line_t;

static void put(line_t *l, const char *s, size_t n)
{
    size_t room = sizeof(l->b) - 2 - l->n; /* keep space for '\n' */
    if (n > room) n = room;
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void puts_(line_t *l, const char *s) { put(l, s, strlen(s)); }

static void put_escaped(line_t *l, const char *s)
{
    char tmp[8];
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') { tmp[0] = '\\'; tmp[1] = (char)*p; put(l, tmp, 2); }
        else if (*p == '\n') put(l, "\\n", 2);
        else if (*p == '\r') put(l, "\\r", 2);
        else if (*p == '\t') put(l, "\\t", 2);
        else if (*p < 0x20) { snprintf(tmp, sizeof tmp, "\\u%04x", *p); puts_(l, tmp); }
        else put(l, (const char *)p, 1);
    }
}

static int needs_quotes(const char *s)
{
    if (!*s) return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f) return 1;
    return 0;
}

static void put_pair(line_t *l, const char *k, const char *v, int first)
{
    if (!v) v = "";
    if (g_json) {
        if (!first) put(l, ",", 1);
        put(l, "\"", 1); put_escaped(l, k); put(l, "\":\"", 3);
        put_escaped(l, v); put(l, "\"", 1);
    } else {
        if (!first) put(l, " ", 1);
        puts_(l, k); put(l, "=", 1);
        if (needs_quotes(v)) { put(l, "\"", 1); put_escaped(l, v); put(l, "\"", 1); }
        else puts_(l, v);
    }
}

static void emit(gw_log_level_t lvl, const char *component, const char *msg, va_list kv)
{
    line_t l;
    l.n = 0;
    char ts[40];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + k, sizeof ts - k, ".%03ldZ", now.tv_nsec / 1000000L);

    if (g_json) put(&l, "{", 1);
    put_pair(&l, "ts", ts, 1);
    put_pair(&l, "level", level_name(lvl), 0);
    put_pair(&l, "component", component, 0);
    put_pair(&l, "msg", msg, 0);
    for (;;) {
        const char *key = va_arg(kv, const char *);
        if (!key) break;
        const char *val = va_arg(kv, const char *);
        put_pair(&l, key, val, 0);
    }
    if (g_json) put(&l, "}", 1);
    l.b[l.n++] = '\n';
    /* One write per line so lines from several threads never interleave. */
    ssize_t w = write(2, l.b, l.n);
    (void)w;
}

void gw_log(gw_log_level_t lvl, const char *component, const char *msg, ...)
{
    if (!gw_log_enabled(lvl)) return;
    va_list ap;
    va_start(ap, msg);
    emit(lvl, component, msg, ap);
    va_end(ap);
}

static void emit_none(gw_log_level_t lvl, const char *component, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    emit(lvl, component, msg, ap);
    va_end(ap);
}

void gw_logf(gw_log_level_t lvl, const char *component, const char *fmt, ...)
{
    if (!gw_log_enabled(lvl)) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit_none(lvl, component, msg, (const char *)NULL);
}
