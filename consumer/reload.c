/*
 * reload.c - hot reload (reload.h).
 *
 * Requests are a generation counter: a caller that waits bumps `asked` and
 * sleeps until `done` catches up; SIGHUP only raises the atomic flag (no
 * lock may be taken in a signal handler). The reload itself runs on the
 * main loop's thread, so it never races with an item being processed.
 */
#include "geowire/reload.h"
#include "geowire/common.h"
#include "geowire/log.h"
#include "geowire/record.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int g_flag;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static unsigned long g_asked, g_done;
static int g_last_ok;
static char g_last_msg[GW_ERRLEN];

void gw_reload_request(void)
{
    atomic_store(&g_flag, 1);
}

int gw_reload_pending(void)
{
    return atomic_load(&g_flag);
}

int gw_reload_request_wait(int timeout_ms, char *msg, size_t n)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&g_mu);
    unsigned long mine = ++g_asked;
    atomic_store(&g_flag, 1);
    int rc = 0;
    while (g_done < mine && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&g_cv, &g_mu, &dl);
    int out;
    if (g_done < mine) {
        snprintf(msg, n, "reload not carried out within %d ms (is the main loop running?)", timeout_ms);
        out = -1;
    } else {
        snprintf(msg, n, "%s", g_last_msg);
        out = g_last_ok ? 0 : 1;
    }
    pthread_mutex_unlock(&g_mu);
    return out;
}

#define HTTP_WAIT_MS 60000

void gw_reload_http(const gw_http_req_t *req, gw_http_resp_t *resp, void *ud)
{
    (void)ud;
    if (!req->loopback) {
        /* Whoever can reach a non-loopback listener is not necessarily
         * whoever may change what the daemon runs. */
        gw_log(GW_LOG_WARN, "reload", "POST /-/reload refused: not from loopback", (const char *)NULL);
        resp->status = 403;
        gw_buf_printf(&resp->body, "{\"status\":\"forbidden\",\"error\":\"POST /-/reload is "
                      "accepted from loopback clients only\"}");
        return;
    }
    gw_log(GW_LOG_INFO, "reload", "reload requested over HTTP", (const char *)NULL);
    char msg[GW_ERRLEN];
    int rc = gw_reload_request_wait(HTTP_WAIT_MS, msg, sizeof msg);
    resp->status = rc == 0 ? 200 : rc > 0 ? 422 : 503;
    gw_buf_printf(&resp->body, "{\"status\":\"%s\",\"%s\":",
                  rc == 0 ? "reloaded" : rc > 0 ? "refused" : "timeout", rc == 0 ? "message" : "error");
    gw_json_str(&resp->body, msg, strlen(msg));
    gw_buf_putc(&resp->body, '}');
}

/* Reloads and returns 1 when the new set runs; `msg` says what happened. */
static int reload(gw_pipeline_t *p, const gw_config_t *running, char *msg, size_t n)
{
    char err[GW_ERRLEN];
    gw_config_t *next = gw_config_load(running->path, err, sizeof err);
    if (!next) {
        gw_log(GW_LOG_ERROR, "reload", "reload refused: the configuration is invalid; the running "
               "set stays", "error", err, (const char *)NULL);
        snprintf(msg, n, "%s", err);
        return 0;
    }
    char *restart = gw_config_restart_keys(running, next);
    if (restart && *restart)
        gw_log(GW_LOG_WARN, "reload", "changed settings need a restart to apply; running on the old "
               "values", "keys", restart, (const char *)NULL);
    free(restart);
    int ok = gw_pipeline_reload(p, next, err, sizeof err) == GW_OK;
    if (!ok) {
        gw_log(GW_LOG_ERROR, "reload", "reload refused: a file is invalid; the running set stays",
               "error", err, (const char *)NULL);
        snprintf(msg, n, "%s", err);
    } else {
        /* -v/-q still shift the new level (gw_log_setup keeps them). */
        gw_log_setup(next->log.level, next->log.format);
        gw_log(GW_LOG_INFO, "reload", "reloaded", "dict_version", gw_pipeline_dict_version(p),
               "config", running->path, (const char *)NULL);
        snprintf(msg, n, "reloaded: dictionaries %s", gw_pipeline_dict_version(p));
    }
    gw_config_free(next);
    return ok;
}

int gw_reload_poll(gw_pipeline_t *p, const gw_config_t *running)
{
    if (!atomic_exchange(&g_flag, 0)) return 0;
    pthread_mutex_lock(&g_mu);
    unsigned long target = g_asked;
    pthread_mutex_unlock(&g_mu);
    char msg[GW_ERRLEN];
    int ok = reload(p, running, msg, sizeof msg);
    pthread_mutex_lock(&g_mu);
    if (g_done < target) g_done = target;
    g_last_ok = ok;
    snprintf(g_last_msg, sizeof g_last_msg, "%s", msg);
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    return ok ? 1 : -1;
}
