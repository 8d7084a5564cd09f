/*
 * worker.h - the processing thread: runs one function over jobs, one at a
 * time, in the order they were submitted, beside the thread that submits
 * them (command layer; no Kafka).
 *
 * The daemon's main thread consumes, produces and serves delivery reports;
 * the processor chain, its heaviest work, runs here so both cores of a small
 * machine are busy. Jobs come back from gw_worker_done in submission order,
 * so everything the main thread does with a finished job (registering its
 * offset, producing its records) happens in consume order, exactly as if it
 * had processed the job itself. Only one worker thread exists per queue:
 * stateful stages (dedup, aggregates) see items in consume order.
 *
 * With `threaded` = 0 the queue runs each job inside gw_worker_submit on the
 * caller's thread: the same calls, no thread (exactly-once mode, whose
 * transaction aborts rewind the consumer and must not find consumed items
 * still queued).
 *
 * One submitter/collector thread; the function runs on the worker thread
 * and must not touch what the submitter uses meanwhile.
 */
#ifndef GEOWIRE_WORKER_H
#define GEOWIRE_WORKER_H

#include <stddef.h>

typedef struct gw_worker gw_worker_t;

/* Runs on the worker thread for each job, in submission order. */
typedef void (*gw_worker_fn)(void *ud, void *job);

/* A queue of at most `depth` (> 0) jobs submitted and not yet collected.
 * Caller owns it; free with gw_worker_free. NULL when out of memory or the
 * thread could not start. */
gw_worker_t *gw_worker_new(size_t depth, int threaded, gw_worker_fn fn, void *ud);

/* Stops the thread. Jobs still queued or uncollected are not run or
 * returned: collect every job first (gw_worker_pending() == 0). */
void gw_worker_free(gw_worker_t *w);

/* Queues `job` (the caller keeps ownership; it comes back from
 * gw_worker_done). Returns GW_OK, or GW_ELIMIT when `depth` jobs are
 * pending: collect some first. */
int gw_worker_submit(gw_worker_t *w, void *job);

/* The oldest submitted job once fn has run on it, waiting at most wait_ms
 * (0: do not wait) for it; NULL when none is finished by then. */
void *gw_worker_done(gw_worker_t *w, int wait_ms);

/* Jobs submitted and not yet returned by gw_worker_done. */
size_t gw_worker_pending(const gw_worker_t *w);

/* 1 when gw_worker_submit would return GW_ELIMIT. */
int gw_worker_full(const gw_worker_t *w);

#endif
