/*
 * http.c - the HTTP endpoint and the monitoring routes (http.h).
 *
 * The listening socket is made here, not by libmicrohttpd, so a taken
 * address is told apart (EADDRINUSE) from other failures and port 0 can be
 * read back. libmicrohttpd runs one internal polling thread; every answer
 * is built in memory and copied into the response.
 */
#include "geowire/http.h"
#include "geowire/addr.h"
#include "geowire/log.h"
#include "geowire/record.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status_html.h" /* generated from consumer/status.html: gw_status_html[] */

typedef struct {
    char *method, *path;
    gw_http_handler_fn fn;
    void *ud;
} route_t;

typedef struct {
    gw_metrics_t *m;
    gw_window_t *w;
    int64_t stall_ms;
} monitor_t;

struct gw_http {
    int fd;
    int family;
    char address[80];
    route_t *routes;
    size_t n_routes;
    monitor_t mon;
    struct MHD_Daemon *mhd;
};

gw_http_t *gw_http_bind(const char *addr, int *in_use, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    *in_use = 0;
    if (gw_addr_parse(addr, &ss, &sl, err, errlen) != GW_OK) return NULL;
    gw_http_t *h = gw_calloc(1, sizeof *h);
    if (!h) { gw_err(err, errlen, GW_ENOMEM, "out of memory"); return NULL; }
    h->family = ss.ss_family;
    h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (ss.ss_family == AF_INET6 && setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(h->fd, (struct sockaddr *)&ss, sl) != 0 || listen(h->fd, 64) != 0) {
        int e = errno;
        *in_use = e == EADDRINUSE;
        gw_err(err, errlen, GW_EIO, "cannot listen on %s: %s", addr, strerror(e));
        if (h->fd >= 0) close(h->fd);
        free(h);
        return NULL;
    }
    sl = sizeof ss;
    getsockname(h->fd, (struct sockaddr *)&ss, &sl);
    char ip[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
        snprintf(h->address, sizeof h->address, "[%s]:%u", ip, ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
        snprintf(h->address, sizeof h->address, "%s:%u", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
    }
    return h;
}

const char *gw_http_address(const gw_http_t *h) { return h->address; }

int gw_http_route(gw_http_t *h, const char *method, const char *path, gw_http_handler_fn fn, void *ud)
{
    route_t *r = gw_realloc(h->routes, (h->n_routes + 1) * sizeof *r);
    if (!r) return GW_ENOMEM;
    h->routes = r;
    r = &h->routes[h->n_routes];
    r->method = gw_strdup(method);
    r->path = gw_strdup(path);
    r->fn = fn;
    r->ud = ud;
    if (!r->method || !r->path) {
        free(r->method);
        free(r->path);
        return GW_ENOMEM;
    }
    h->n_routes++;
    return GW_OK;
}

static int is_loopback(const struct sockaddr *sa)
{
    if (!sa) return 0;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

static enum MHD_Result send_resp(struct MHD_Connection *con, int status, const char *ctype,
                                 const char *body, size_t len, const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (allow) MHD_add_response_header(r, "Allow", allow);
    enum MHD_Result ret = MHD_queue_response(con, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* libmicrohttpd calls this several times per request: first with the
 * headers (we only mark the request), then for each piece of an upload
 * body (discarded: no route reads one), then once more to answer. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    static int started;
    gw_http_t *h = cls;
    if (!*con_cls) { *con_cls = &started; return MHD_YES; }
    if (*upload_size) { *upload_size = 0; return MHD_YES; }

    const char *m = strcmp(method, "HEAD") ? method : "GET";
    const route_t *hit = NULL;
    char allow[64] = "";
    for (size_t i = 0; i < h->n_routes; i++) {
        if (strcmp(h->routes[i].path, url)) continue;
        if (!strcmp(h->routes[i].method, m)) { hit = &h->routes[i]; break; }
        size_t l = strlen(allow);
        snprintf(allow + l, sizeof allow - l, "%s%s", l ? ", " : "", h->routes[i].method);
    }
    if (!hit && allow[0]) {
        static const char msg[] = "{\"error\":\"method not allowed\"}";
        return send_resp(con, 405, "application/json", msg, sizeof msg - 1, allow);
    }
    if (!hit) {
        static const char msg[] = "{\"error\":\"not found\"}";
        return send_resp(con, 404, "application/json", msg, sizeof msg - 1, NULL);
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    gw_http_req_t req = {method, url, ci && is_loopback(ci->client_addr)};
    gw_http_resp_t resp = {200, "application/json", {0}};
    gw_buf_init(&resp.body);
    hit->fn(&req, &resp, hit->ud);
    enum MHD_Result ret;
    if (resp.body.oom) {
        static const char msg[] = "{\"error\":\"out of memory\"}";
        ret = send_resp(con, 500, "application/json", msg, sizeof msg - 1, NULL);
    } else {
        ret = send_resp(con, resp.status, resp.content_type, resp.body.data ? resp.body.data : "",
                        resp.body.len, NULL);
    }
    gw_buf_free(&resp.body);
    return ret;
}

/* libmicrohttpd's own complaints (a client that misbehaves, ...). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    gw_log(GW_LOG_WARN, "http", msg, (const char *)NULL);
}

int gw_http_start(gw_http_t *h, char *err, size_t errlen)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (h->family == AF_INET6) flags |= MHD_USE_IPv6;
    h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                              NULL, MHD_OPTION_LISTEN_SOCKET, h->fd,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!h->mhd) return gw_err(err, errlen, GW_ERR, "cannot start the HTTP server on %s", h->address);
    h->fd = -1; /* libmicrohttpd closes it on stop */
    return GW_OK;
}

void gw_http_free(gw_http_t *h)
{
    if (!h) return;
    if (h->mhd) MHD_stop_daemon(h->mhd);
    if (h->fd >= 0) close(h->fd);
    for (size_t i = 0; i < h->n_routes; i++) {
        free(h->routes[i].method);
        free(h->routes[i].path);
    }
    free(h->routes);
    free(h);
}

/* ------------------------------------------------------------ monitoring */

static void get_metrics(const gw_http_req_t *req, gw_http_resp_t *resp, void *ud)
{
    (void)req;
    const monitor_t *mon = ud;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    gw_metrics_render(mon->m, &resp->body);
}

static void get_healthz(const gw_http_req_t *req, gw_http_resp_t *resp, void *ud)
{
    (void)req;
    const monitor_t *mon = ud;
    if (gw_metrics_live(mon->m, mon->stall_ms)) {
        gw_buf_printf(&resp->body, "{\"live\":true}");
        return;
    }
    resp->status = 503;
    gw_buf_printf(&resp->body, "{\"live\":false,\"reason\":\"the main loop has not turned for over %lld ms\"}",
                  (long long)mon->stall_ms);
}

static void get_readyz(const gw_http_req_t *req, gw_http_resp_t *resp, void *ud)
{
    (void)req;
    const monitor_t *mon = ud;
    if (gw_metrics_ready(mon->m, &resp->body)) gw_buf_printf(&resp->body, "{\"ready\":true}");
    else resp->status = 503;
}

static void get_status_json(const gw_http_req_t *req, gw_http_resp_t *resp, void *ud)
{
    (void)req;
    const monitor_t *mon = ud;
    gw_buf_t *b = &resp->body;
    gw_buf_printf(b, "{\"now_ms\":%lld,", (long long)gw_now_ms());
    gw_metrics_status(mon->m, b);
    gw_buf_printf(b, ",\"live\":%s,\"ready\":", gw_metrics_live(mon->m, mon->stall_ms) ? "true" : "false");
    gw_buf_t why;
    gw_buf_init(&why);
    if (gw_metrics_ready(mon->m, &why)) gw_buf_append(b, "{\"ready\":true}", 14);
    else gw_buf_append(b, why.data, why.len);
    gw_buf_free(&why);
    gw_buf_putc(b, ',');
    gw_window_json(mon->w, gw_now_ms(), 10, b);
    gw_buf_putc(b, '}');
}

static void get_page(const gw_http_req_t *req, gw_http_resp_t *resp, void *ud)
{
    (void)req;
    (void)ud;
    resp->content_type = "text/html; charset=utf-8";
    gw_buf_append(&resp->body, gw_status_html, sizeof gw_status_html - 1);
}

int gw_http_monitoring(gw_http_t *h, gw_metrics_t *m, gw_window_t *w, int64_t stall_ms)
{
    h->mon = (monitor_t){m, w, stall_ms};
    static const struct { const char *path; gw_http_handler_fn fn; } r[] = {
        {"/metrics", get_metrics}, {"/healthz", get_healthz}, {"/readyz", get_readyz},
        {"/status.json", get_status_json}, {"/", get_page},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (gw_http_route(h, "GET", r[i].path, r[i].fn, &h->mon) != GW_OK) return GW_ENOMEM;
    return GW_OK;
}
