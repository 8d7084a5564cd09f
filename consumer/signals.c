/*
 * signals.c - SIGINT/SIGTERM as a stop request, SIGHUP as a reload request,
 * both polled by the loops.
 */
#include "geowire/signals.h"
#include "geowire/reload.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t g_stop = 0;
static volatile sig_atomic_t g_signo = 0;

static void on_signal(int sig)
{
    g_stop = 1;
    g_signo = sig;
}

static void on_hup(int sig)
{
    (void)sig;
    gw_reload_request();
}

void gw_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    /* A closed stdout (`geowire run --print | head`) must not kill the
     * daemon before it commits. */
    signal(SIGPIPE, SIG_IGN);
}

int gw_signals_stop_requested(void)
{
    return g_stop;
}

int gw_signals_last(void)
{
    return g_signo;
}

void gw_signals_request_stop(void)
{
    g_stop = 1;
}
