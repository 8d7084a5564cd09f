/*
 * test_worker.c - the processing thread's queue: order, bounds, the
 * hand-over of what the function wrote, and the inline mode.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "geowire/common.h"
#include "geowire/worker.h"

typedef struct {
    int seq;          /* submission number */
    int ran_as;       /* the function's own count when it ran this job */
    pthread_t thread; /* where it ran */
    char out[64];     /* written by the function, read by the collector */
} job_t;

typedef struct {
    int runs;              /* only the worker thread touches it */
    atomic_int hold;       /* 1: the function waits until released */
    atomic_int started;    /* jobs the function has begun */
} state_t;

static void run(void *ud, void *j)
{
    state_t *s = ud;
    job_t *job = j;
    atomic_fetch_add(&s->started, 1);
    while (atomic_load(&s->hold)) usleep(1000);
    job->ran_as = s->runs++;
    job->thread = pthread_self();
    snprintf(job->out, sizeof job->out, "job %d done", job->seq);
}

/* Waits (bounded) until the next job comes back. */
static job_t *next_done(gw_worker_t *w)
{
    for (int i = 0; i < 100; i++) {
        job_t *j = gw_worker_done(w, 100);
        if (j) return j;
    }
    return NULL;
}

Test(worker, jobs_come_back_in_submission_order_from_another_thread)
{
    state_t s = {0};
    gw_worker_t *w = gw_worker_new(8, 1, run, &s);
    cr_assert_not_null(w);
    job_t jobs[200];
    int submitted = 0, collected = 0;
    while (collected < 200) {
        while (submitted < 200 && !gw_worker_full(w)) {
            jobs[submitted].seq = submitted;
            cr_assert_eq(gw_worker_submit(w, &jobs[submitted]), GW_OK);
            submitted++;
        }
        cr_assert_leq(gw_worker_pending(w), 8);
        job_t *j = next_done(w);
        cr_assert_not_null(j, "job %d never came back", collected);
        cr_assert_eq(j->seq, collected, "job %d came back in place of %d", j->seq, collected);
        cr_assert_eq(j->ran_as, collected, "jobs ran out of order");
        cr_assert(!pthread_equal(j->thread, pthread_self()));
        char want[64];
        snprintf(want, sizeof want, "job %d done", collected);
        cr_assert_str_eq(j->out, want);
        collected++;
    }
    cr_assert_eq(gw_worker_pending(w), 0);
    cr_assert_null(gw_worker_done(w, 0));
    gw_worker_free(w);
}

Test(worker, a_full_queue_refuses_and_an_unfinished_job_is_not_returned)
{
    state_t s = {0};
    atomic_store(&s.hold, 1);
    gw_worker_t *w = gw_worker_new(2, 1, run, &s);
    cr_assert_not_null(w);
    job_t a = {.seq = 0}, b = {.seq = 1}, c = {.seq = 2};
    cr_assert_eq(gw_worker_submit(w, &a), GW_OK);
    cr_assert_eq(gw_worker_submit(w, &b), GW_OK);
    cr_assert(gw_worker_full(w));
    cr_assert_eq(gw_worker_submit(w, &c), GW_ELIMIT);
    /* The first job is running but held: nothing is finished, and a wait
     * ends at its bound instead of returning it. */
    for (int i = 0; i < 2000 && !atomic_load(&s.started); i++) usleep(1000);
    cr_assert_eq(atomic_load(&s.started), 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_null(gw_worker_done(w, 50));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert_geq(waited_ms, 45.0, "returned after %.1f ms", waited_ms);
    atomic_store(&s.hold, 0);
    cr_assert_eq(next_done(w), &a);
    cr_assert_eq(gw_worker_submit(w, &c), GW_OK);
    cr_assert_eq(next_done(w), &b);
    cr_assert_eq(next_done(w), &c);
    cr_assert_eq(gw_worker_pending(w), 0);
    gw_worker_free(w);
}

Test(worker, inline_mode_runs_each_job_in_submit_on_the_caller)
{
    state_t s = {0};
    gw_worker_t *w = gw_worker_new(4, 0, run, &s);
    cr_assert_not_null(w);
    job_t a = {.seq = 0}, b = {.seq = 1};
    cr_assert_eq(gw_worker_submit(w, &a), GW_OK);
    cr_assert_str_eq(a.out, "job 0 done"); /* already run */
    cr_assert(pthread_equal(a.thread, pthread_self()));
    cr_assert_eq(gw_worker_submit(w, &b), GW_OK);
    cr_assert_eq(gw_worker_pending(w), 2);
    cr_assert_eq(gw_worker_done(w, 0), &a);
    cr_assert_eq(gw_worker_done(w, 0), &b);
    cr_assert_null(gw_worker_done(w, 0));
    gw_worker_free(w);
}

Test(worker, freeing_an_idle_worker_stops_its_thread)
{
    state_t s = {0};
    for (int i = 0; i < 20; i++) {
        gw_worker_t *w = gw_worker_new(1, 1, run, &s);
        cr_assert_not_null(w);
        job_t j = {.seq = i};
        cr_assert_eq(gw_worker_submit(w, &j), GW_OK);
        cr_assert_eq(next_done(w), &j);
        gw_worker_free(w); /* joins: no thread, no leak left behind */
    }
    cr_assert_eq(s.runs, 20);
}
