/*
 * signals.h - SIGINT/SIGTERM turned into a stop flag, SIGHUP into a reload
 * request (reload.h) (command layer only).
 */
#ifndef GEOWIRE_SIGNALS_H
#define GEOWIRE_SIGNALS_H

/* Installs SIGINT/SIGTERM handlers that set the stop flag and a SIGHUP
 * handler that requests a reload; ignores SIGPIPE. */
void gw_signals_install(void);
/* 1 once a stop was requested (by a signal or gw_signals_request_stop). */
int gw_signals_stop_requested(void);
/* The last signal received, 0 if none. */
int gw_signals_last(void);
void gw_signals_request_stop(void);

#endif
