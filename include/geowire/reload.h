/*
 * reload.h - hot reload of dictionaries, themes and rules (command layer).
 *
 * A reload is requested from outside the main loop (SIGHUP, the HTTP
 * endpoint) and carried out by the loop between two items: the config file
 * is read again, every file it names is built beside the running set, and
 * only a complete, valid set is swapped in. A broken file leaves the
 * running set in place and logs `file:line:col: what`. Changed keys that
 * need a restart (Kafka clients, topics) are logged by name, not applied.
 */
#ifndef GEOWIRE_RELOAD_H
#define GEOWIRE_RELOAD_H

#include <stddef.h>
#include "geowire/config.h"
#include "geowire/http.h"
#include "geowire/pipeline.h"

/* Asks for a reload. Async-signal-safe (the SIGHUP handler calls it). */
void gw_reload_request(void);

/* Asks for a reload and waits for its outcome, for callers on another
 * thread (the HTTP endpoint). Returns 0 when the new set is running, 1 when
 * it was refused (the reason, `file:line:col: what`, in msg), -1 when the
 * main loop did not get to it within timeout_ms. msg always gets a line. */
int gw_reload_request_wait(int timeout_ms, char *msg, size_t n);

/* The POST /-/reload handler (http.h), routed only when http.reload is
 * true. Refuses clients that are not on loopback (403); otherwise asks for a
 * reload, waits for it (at most 60 s) and answers 200 {"status":"reloaded"},
 * 422 {"status":"refused","error":"file:line:col: ..."} or 503 when the
 * main loop did not get to it. `ud` is unused. */
void gw_reload_http(const gw_http_req_t *req, gw_http_resp_t *resp, void *ud);

/* 1 when a reload was asked for and gw_reload_poll has not carried it out
 * yet: the loop first lets the processing thread finish its items. */
int gw_reload_pending(void);

/* Called by the main loop between items: when a reload was requested,
 * reloads `p` from the file `running` was loaded from, logs the outcome and
 * answers the waiting callers. Returns 0 when none was requested, 1 when a
 * new set is running (version strings of `p` changed), -1 when it was
 * refused. The running config itself is not replaced (its Kafka settings
 * stay). */
int gw_reload_poll(gw_pipeline_t *p, const gw_config_t *running);

#endif
