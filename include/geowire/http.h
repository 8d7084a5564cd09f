/*
 * http.h - the daemon's HTTP endpoint (libmicrohttpd, one internal thread).
 *
 * Built in two steps so the command line can react to a taken address
 * before anything else starts: gw_http_bind() binds and listens (nothing
 * is served yet; connections wait in the backlog), routes are added with
 * gw_http_route(), then gw_http_start() serves them on the HTTP thread.
 * Handlers run on that thread: they may only read state that is safe to
 * read from another thread (metrics.h, window.h) or hand work to the main
 * loop (e.g. a reload request flag).
 */
#ifndef GEOWIRE_HTTP_H
#define GEOWIRE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "geowire/common.h"
#include "geowire/metrics.h"
#include "geowire/window.h"

typedef struct gw_http gw_http_t;

typedef struct {
    const char *method;     /* "GET", "POST", ... (HEAD is served as GET) */
    const char *path;
    int loopback;           /* the client connected from 127.0.0.0/8 or ::1 */
} gw_http_req_t;

typedef struct {
    int status;                 /* 200 unless the handler sets another */
    const char *content_type;   /* static string; default application/json */
    gw_buf_t body;              /* owned by the server, freed after sending */
} gw_http_resp_t;

typedef void (*gw_http_handler_fn)(const gw_http_req_t *req, gw_http_resp_t *resp, void *ud);

/* Binds and listens on `addr` (gw_addr_parse syntax). NULL with the
 * reason on failure; *in_use is set to 1 when the address is taken by
 * another socket (EADDRINUSE), else 0. Caller owns the result. */
gw_http_t *gw_http_bind(const char *addr, int *in_use, char *err, size_t errlen);

/* The bound address with the actual port, e.g. "127.0.0.1:41234" or
 * "[::1]:9464". Owned by h. */
const char *gw_http_address(const gw_http_t *h);

/* Adds a route for exact `path` and `method` (before gw_http_start). A
 * known path asked with another method answers 405. GW_OK/GW_ENOMEM. */
int gw_http_route(gw_http_t *h, const char *method, const char *path, gw_http_handler_fn fn,
                  void *ud);

/* The monitoring routes: GET /metrics, /healthz (200 while the main loop
 * turned within stall_ms, else 503), /readyz (200, or 503 with a JSON
 * reason), /status.json and / (the status page). m and w must outlive h. */
int gw_http_monitoring(gw_http_t *h, gw_metrics_t *m, gw_window_t *w, int64_t stall_ms);

/* Starts serving on the HTTP thread. GW_OK or GW_ERR with the reason. */
int gw_http_start(gw_http_t *h, char *err, size_t errlen);

/* Stops serving (waits for the HTTP thread), closes the socket, frees. */
void gw_http_free(gw_http_t *h);

#endif
