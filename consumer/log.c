/*
 * log.c - the process-wide logger (see log.h).
 */
#include "geowire/log.h"
#include "geowire/common.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The level and format change on a reload while librdkafka threads log:
 * atomics, so a line sees either the old or the new value. */
static atomic_int g_base_level = GW_LOG_INFO; /* from the config */
static atomic_int g_min_level = GW_LOG_INFO;  /* base moved by the verbosity */
static atomic_int g_json = 0;
static int g_verbosity = 0;                   /* set once, from the command line */

/* Registered before librdkafka's threads start, read-only afterwards. */
#define MAX_SECRETS 64
static struct { char *key, *value; } g_secrets[MAX_SECRETS];
static size_t g_n_secrets;

static const char *level_name(gw_log_level_t l)
{
    switch (l) {
    case GW_LOG_DEBUG: return "debug";
    case GW_LOG_INFO: return "info";
    case GW_LOG_WARN: return "warn";
    default: return "error";
    }
}

static void apply_level(void)
{
    int l = atomic_load(&g_base_level) - g_verbosity;
    atomic_store(&g_min_level, l < GW_LOG_DEBUG ? GW_LOG_DEBUG : l > GW_LOG_ERROR ? GW_LOG_ERROR : l);
}

int gw_log_setup(const char *level, const char *format)
{
    int lv = atomic_load(&g_base_level), js = atomic_load(&g_json);
    if (level) {
        if (!strcmp(level, "debug")) lv = GW_LOG_DEBUG;
        else if (!strcmp(level, "info")) lv = GW_LOG_INFO;
        else if (!strcmp(level, "warn") || !strcmp(level, "warning")) lv = GW_LOG_WARN;
        else if (!strcmp(level, "error")) lv = GW_LOG_ERROR;
        else return -1;
    }
    if (format) {
        if (!strcmp(format, "logfmt")) js = 0;
        else if (!strcmp(format, "json")) js = 1;
        else return -1;
    }
    atomic_store(&g_base_level, lv);
    atomic_store(&g_json, js);
    apply_level();
    return 0;
}

void gw_log_verbosity(int delta)
{
    g_verbosity = delta;
    apply_level();
}

const char *gw_log_rdkafka_debug(void)
{
    /* The contexts an operator needs to see why a client does not connect,
     * join or fetch; `conf` dumps the client configuration (secrets masked
     * by librdkafka for its sensitive properties, by kafka.c for the rest). */
    return g_verbosity >= 2 ? "generic,broker,topic,cgrp,fetch,conf" : NULL;
}

void gw_log_secret(const char *key, const char *value)
{
    if (g_n_secrets == MAX_SECRETS || !key || !value) return;
    char *k = gw_strdup(key), *v = gw_strdup(value);
    if (!k || !v) { free(k); free(v); return; }
    g_secrets[g_n_secrets].key = k;
    g_secrets[g_n_secrets].value = v;
    g_n_secrets++;
}

int gw_log_secret_key(const char *key)
{
    for (size_t i = 0; i < g_n_secrets; i++)
        if (!strcmp(g_secrets[i].key, key)) return 1;
    return 0;
}

void gw_log_forget_secrets(void)
{
    for (size_t i = 0; i < g_n_secrets; i++) {
        free(g_secrets[i].key);
        free(g_secrets[i].value);
    }
    g_n_secrets = 0;
}

int gw_log_enabled(gw_log_level_t lvl)
{
    return (int)lvl >= atomic_load(&g_min_level);
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

/* Copies s into buf with every registered secret value replaced by
 * [secret]; returns s itself when nothing needs masking. What does not fit
 * in buf is dropped (the line would be cut there anyway). */
static const char *scrub(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    int changed = 0;
    const char *p = s;
    while (*p) {
        size_t hit = 0;
        for (size_t i = 0; i < g_n_secrets && !hit; i++) {
            size_t sl = strlen(g_secrets[i].value);
            if (sl >= GW_LOG_SECRET_MIN && !strncmp(p, g_secrets[i].value, sl)) hit = sl;
        }
        const char *piece = hit ? "[secret]" : p;
        size_t pl = hit ? 8 : 1;
        if (n + pl >= cap) { changed = 1; break; }
        memcpy(buf + n, piece, pl);
        n += pl;
        p += hit ? hit : 1;
        changed |= hit != 0;
    }
    if (!changed) return s;
    buf[n] = '\0';
    return buf;
}

static void put_pair(line_t *l, const char *k, const char *v, int first, int json)
{
    char masked[4096];
    if (!v) v = "";
    if (g_n_secrets) v = scrub(v, masked, sizeof masked);
    if (json) {
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
    int json = atomic_load(&g_json);
    line_t l;
    l.n = 0;
    char ts[40];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + k, sizeof ts - k, ".%03ldZ", now.tv_nsec / 1000000L);

    if (json) put(&l, "{", 1);
    put_pair(&l, "ts", ts, 1, json);
    put_pair(&l, "level", level_name(lvl), 0, json);
    put_pair(&l, "component", component, 0, json);
    put_pair(&l, "msg", msg, 0, json);
    for (;;) {
        const char *key = va_arg(kv, const char *);
        if (!key) break;
        const char *val = va_arg(kv, const char *);
        put_pair(&l, key, val, 0, json);
    }
    if (json) put(&l, "}", 1);
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
