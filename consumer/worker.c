/*
 * worker.c - the processing thread (worker.h).
 *
 * A ring of job pointers and three counters that only grow: `tail`
 * (submitted) and `head` (collected) belong to the submitting thread, `ran`
 * to the worker. Jobs in [head, ran) are finished, [ran, tail) wait to run.
 * The mutex hands each job over in both directions, so whatever the
 * function wrote is visible to the collector, and whatever the submitter
 * wrote before submitting is visible to the function.
 */
#include "geowire/worker.h"
#include "geowire/common.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct gw_worker {
    void **slot;
    size_t depth;
    size_t head, ran, tail;
    int threaded, stop;
    gw_worker_fn fn;
    void *ud;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* a job was submitted, or stop */
    pthread_cond_t done;  /* a job finished */
    pthread_t th;
};

static void *worker_main(void *arg)
{
    gw_worker_t *w = arg;
    pthread_setname_np(pthread_self(), "gw:process"); /* for top -H, perf */
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->ran == w->tail && !w->stop) pthread_cond_wait(&w->work, &w->mu);
        if (w->stop) break;
        void *job = w->slot[w->ran % w->depth];
        pthread_mutex_unlock(&w->mu);
        w->fn(w->ud, job);
        pthread_mutex_lock(&w->mu);
        w->ran++;
        pthread_cond_signal(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

gw_worker_t *gw_worker_new(size_t depth, int threaded, gw_worker_fn fn, void *ud)
{
    gw_worker_t *w = gw_calloc(1, sizeof *w);
    if (!w) return NULL;
    w->slot = gw_calloc(depth ? depth : 1, sizeof *w->slot);
    if (!w->slot) { free(w); return NULL; }
    w->depth = depth ? depth : 1;
    w->threaded = threaded;
    w->fn = fn;
    w->ud = ud;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->done, &ca);
    pthread_condattr_destroy(&ca);
    if (threaded && pthread_create(&w->th, NULL, worker_main, w) != 0) {
        w->threaded = 0;
        gw_worker_free(w);
        return NULL;
    }
    return w;
}

void gw_worker_free(gw_worker_t *w)
{
    if (!w) return;
    if (w->threaded) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
    }
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    free(w->slot);
    free(w);
}

int gw_worker_submit(gw_worker_t *w, void *job)
{
    if (gw_worker_full(w)) return GW_ELIMIT;
    if (!w->threaded) {
        w->slot[w->tail++ % w->depth] = job;
        w->fn(w->ud, job);
        w->ran++;
        return GW_OK;
    }
    pthread_mutex_lock(&w->mu);
    w->slot[w->tail++ % w->depth] = job;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    return GW_OK;
}

void *gw_worker_done(gw_worker_t *w, int wait_ms)
{
    if (w->head == w->tail) return NULL;
    void *job = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->head == w->ran && wait_ms > 0) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        while (w->head == w->ran)
            if (pthread_cond_timedwait(&w->done, &w->mu, &until) == ETIMEDOUT) break;
    }
    if (w->head != w->ran) job = w->slot[w->head++ % w->depth];
    pthread_mutex_unlock(&w->mu);
    return job;
}

size_t gw_worker_pending(const gw_worker_t *w) { return w->tail - w->head; }

int gw_worker_full(const gw_worker_t *w) { return w->tail - w->head >= w->depth; }
