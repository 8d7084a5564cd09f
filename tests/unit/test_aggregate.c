/* Tumbling event-time windows (processors/aggregate.c) through the whole
 * chain: when a window closes, what it counts, late items, quiet-wire
 * ticks, flushes, event time, and the bound on open windows. Windows are
 * 60 s with 30 s allowed lateness (the shipped defaults). */
#include <criterion/criterion.h>
#include "support/stateful.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/aggregate.h"
#include "geowire/processor.h"

#define T0 1795651200000LL /* 2026-11-26T00:00:00Z */
#define SEC 1000LL

static gwt_state_t S;
static void setup(void) { gwt_state_new(&S, NULL); }
static void teardown(void) { gwt_state_free(&S); }
TestSuite(aggregate, .init = setup, .fini = teardown);

/* Distinct stories (no two are duplicates), each naming its countries. */
static const char *BODIES[] = {
    "Russian Foreign Minister Sergei Lavrov held talks with his Malaysian counterpart in Kuala Lumpur on "
    "trade, energy and the situation in Myanmar, the foreign ministry said.",
    "Vietnam and Russia signed an agreement on a nuclear research centre near Hanoi after months of "
    "negotiations between the state atomic agencies of both countries.",
    "Indonesian President Prabowo Subianto received the Russian ambassador in Jakarta to discuss wheat "
    "imports and a planned visit by a trade delegation next year.",
    "Thai farmers protested in Bangkok against falling rice prices and demanded that the government buy "
    "surplus stocks before the harvest season begins in the north.",
};

static char *story(int k, const char *id, int64_t published_ms) {
    char pub[21];
    gw_time_format(published_ms, pub);
    return gwt_item(id, "Wire story", BODIES[k], pub);
}

/* Runs story k published at `pub`, ingested 1 s later, on partition part. */
static void run(int k, const char *id, int64_t pub, int32_t part, gwt_out_t *o) {
    char *item = story(k, id, pub);
    gwt_run(&S, item, pub + SEC, part, o);
    free(item);
    cr_assert_not_null(o->rec, "%s was dead-lettered", id);
}

static void run_quiet(int k, const char *id, int64_t pub, int32_t part) {
    gwt_out_t o;
    run(k, id, pub, part, &o);
    cr_assert_eq(json_array_size(o.aggregates), 0, "%s closed a window too early", id);
    gwt_out_free(&o);
}

static json_int_t num(json_t *agg, const char *key) {
    json_t *v = json_object_get(agg, key);
    cr_assert(json_is_integer(v), "no integer '%s'", key);
    return json_integer_value(v);
}

static json_int_t count(json_t *agg, const char *map, const char *key) {
    json_t *v = json_object_get(json_object_get(agg, map), key);
    return v ? json_integer_value(v) : 0;
}

static const char *str(json_t *agg, const char *key) { return json_string_value(json_object_get(agg, key)); }

/* Out-of-order items within lateness land in their own window; the window
 * closes once the watermark is 30 s past its end, not before. */
Test(aggregate, closes_after_lateness_and_keeps_order) {
    run_quiet(0, "a", T0 + 5 * SEC, 0);
    run_quiet(1, "b", T0 + 40 * SEC, 1);
    run_quiet(2, "c", T0 + 70 * SEC, 0);            /* next window */
    run_quiet(3, "d", T0 + 50 * SEC, 2);            /* out of order, within lateness */
    run_quiet(3, "e", T0 + 89 * SEC, 0);            /* watermark 01:29: not yet */
    gwt_out_t o;
    run(0, "f", T0 + 90 * SEC, 0, &o);              /* watermark 01:30: window 00:00 closes */
    cr_assert_eq(json_array_size(o.aggregates), 1);
    json_t *w = json_array_get(o.aggregates, 0);
    cr_assert_str_eq(str(w, "schema"), "geowire.aggregate.v1");
    cr_assert_str_eq(str(w, "window_start"), "2026-11-26T00:00:00Z");
    cr_assert_str_eq(str(w, "window_end"), "2026-11-26T00:01:00Z");
    cr_assert_str_eq(str(w, "instance"), "test-instance");
    cr_assert_str_eq(str(w, "closed_by"), "watermark");
    cr_assert(json_is_false(json_object_get(w, "partial")));
    cr_assert_eq(num(w, "items"), 3);
    cr_assert_eq(num(w, "late"), 0);
    cr_assert_eq(num(w, "duplicates"), 0);
    cr_assert_eq(count(w, "countries", "RUS"), 2);
    cr_assert_eq(count(w, "countries", "VNM"), 1);
    cr_assert_eq(count(w, "countries", "THA"), 1);
    cr_assert_eq(count(w, "countries", "IDN"), 0, "story c is in the next window");
    cr_assert_eq(count(w, "pairs", "RUS-VNM"), 1);
    json_t *parts = json_object_get(w, "partitions");
    cr_assert_eq(json_array_size(parts), 3);
    for (size_t i = 0; i < 3; i++) cr_assert_eq(json_integer_value(json_array_get(parts, i)), (json_int_t)i);
    gwt_out_free(&o);
}

/* An item whose window has closed is not counted there (that record is
 * out) but in `late` of the window holding the watermark. */
Test(aggregate, late_items_are_counted_not_dropped) {
    run_quiet(0, "a", T0 + 5 * SEC, 0);
    gwt_out_t o;
    run(1, "b", T0 + 95 * SEC, 0, &o);
    cr_assert_eq(json_array_size(o.aggregates), 1);
    cr_assert_eq(num(json_array_get(o.aggregates, 0), "items"), 1);
    gwt_out_free(&o);
    run_quiet(2, "late", T0 + 20 * SEC, 3);          /* its window 00:00 is closed */
    run(3, "c", T0 + 151 * SEC, 0, &o);              /* closes 01:00 */
    cr_assert_eq(json_array_size(o.aggregates), 1);
    json_t *w = json_array_get(o.aggregates, 0);
    cr_assert_str_eq(str(w, "window_start"), "2026-11-26T00:01:00Z");
    cr_assert_eq(num(w, "items"), 1);
    cr_assert_eq(num(w, "late"), 1);
    cr_assert_eq(count(w, "countries", "IDN"), 0, "a late item adds to `late` only");
    cr_assert_eq(json_array_size(json_object_get(w, "partitions")), 2);
    gwt_out_free(&o);
}

/* Duplicates are left out of the counts and say so. */
Test(aggregate, duplicates_are_excluded) {
    run_quiet(0, "a", T0 + 5 * SEC, 0);
    run_quiet(0, "a-copy", T0 + 6 * SEC, 0);
    char *kill = "{\"id\":\"k\",\"supersedes\":\"a\",\"title\":\"KILL-Wire story\",\"body\":\"Please kill the story.\","
                 "\"published_at\":\"2026-11-26T00:00:07Z\"}";
    gwt_out_t o;
    gwt_run(&S, kill, T0 + 8 * SEC, 0, &o);
    gwt_out_free(&o);
    gwt_tick(&S, -1, &o);
    cr_assert_eq(json_array_size(o.aggregates), 1);
    json_t *w = json_array_get(o.aggregates, 0);
    cr_assert_eq(num(w, "items"), 1);
    cr_assert_eq(num(w, "duplicates"), 1);
    cr_assert_eq(num(w, "withdrawn"), 1);
    cr_assert_eq(count(w, "countries", "RUS"), 1);
    cr_assert_eq(count(w, "countries", "MYS"), 1);
    gwt_out_free(&o);
}

/* A quiet wire: ticks move event time on by the wall time that passed
 * with no item, so the last window closes; ticks with items in between
 * do not (a backlog keeps its own clock). */
Test(aggregate, tick_closes_windows_on_a_quiet_wire) {
    int64_t wall = T0 + 3600 * SEC; /* the wall clock is unrelated to event time */
    gwt_out_t o;
    gwt_tick(&S, wall, &o);
    gwt_out_free(&o);
    run_quiet(0, "a", T0 + 5 * SEC, 0);
    for (int i = 1; i <= 100; i++) { /* a backlog: an item between every two ticks */
        gwt_tick(&S, wall + i * 10 * SEC, &o);
        cr_assert_eq(json_array_size(o.aggregates), 0, "tick %d closed a window during a backlog", i);
        gwt_out_free(&o);
        char id[16];
        snprintf(id, sizeof id, "b%d", i);
        char *item = story(i % 4, id, T0 + 6 * SEC);
        gwt_run(&S, item, T0 + 7 * SEC, 0, &o);
        free(item);
        gwt_out_free(&o);
    }
    wall += 100 * 10 * SEC;
    gwt_tick(&S, wall, &o);             /* items since the last tick: no move */
    cr_assert_eq(json_array_size(o.aggregates), 0);
    gwt_out_free(&o);
    gwt_tick(&S, wall + 80 * SEC, &o);  /* 80 s quiet: watermark 00:01:26 */
    cr_assert_eq(json_array_size(o.aggregates), 0);
    gwt_out_free(&o);
    gwt_tick(&S, wall + 85 * SEC, &o);  /* 85 s quiet: watermark 00:01:31 */
    cr_assert_eq(json_array_size(o.aggregates), 1);
    json_t *w = json_array_get(o.aggregates, 0);
    cr_assert_str_eq(str(w, "closed_by"), "idle");
    cr_assert_eq(num(w, "items") + num(w, "duplicates"), 101);
    gwt_out_free(&o);
    gw_agg_stats_t st;
    gw_agg_stats(gw_pipeline_env(S.p)->agg, &st);
    cr_assert_eq(st.open_windows, 0);
}

/* A flush (shutdown, revoke) emits every open window as partial; a window
 * that goes on receiving items afterwards is partial too (the dashboard
 * sums both records). */
Test(aggregate, flush_emits_partial_windows) {
    run_quiet(0, "a", T0 + 5 * SEC, 0);
    run_quiet(1, "b", T0 + 65 * SEC, 0);
    gwt_out_t o;
    gwt_tick(&S, -1, &o);
    cr_assert_eq(json_array_size(o.aggregates), 2);
    cr_assert_str_eq(str(json_array_get(o.aggregates, 0), "window_start"), "2026-11-26T00:00:00Z");
    cr_assert_str_eq(str(json_array_get(o.aggregates, 1), "window_start"), "2026-11-26T00:01:00Z");
    for (size_t i = 0; i < 2; i++) {
        cr_assert(json_is_true(json_object_get(json_array_get(o.aggregates, i), "partial")));
        cr_assert_str_eq(str(json_array_get(o.aggregates, i), "closed_by"), "flush");
    }
    gwt_out_free(&o);
    run_quiet(2, "c", T0 + 70 * SEC, 0);
    run(3, "d", T0 + 200 * SEC, 0, &o);
    cr_assert_eq(json_array_size(o.aggregates), 1);
    json_t *w = json_array_get(o.aggregates, 0);
    cr_assert_str_eq(str(w, "window_start"), "2026-11-26T00:01:00Z");
    cr_assert(json_is_true(json_object_get(w, "partial")), "continues a flushed window");
    cr_assert_eq(num(w, "items"), 1);
    gwt_out_free(&o);
    gwt_tick(&S, -1, &o);
    cr_assert_eq(json_array_size(o.aggregates), 1, "the 00:03 window");
    gwt_out_free(&o);
}

/* published_at with a time wins; a bare date takes the ingest time inside
 * that day, else the day's nearest edge; nothing is later than ingest. */
Test(aggregate, event_time) {
    struct { const char *pub; int64_t ingest, want; } cases[] = {
        {"2026-11-26T00:00:30Z", T0 + 40 * SEC, T0 + 30 * SEC},
        {"2026-11-26T03:00:30+03:00", T0 + 40 * SEC, T0 + 30 * SEC},
        {"2026-11-26", T0 + 3600 * SEC, T0 + 3600 * SEC},
        {"2026-11-25", T0 + 3600 * SEC, T0 - 1},
        {"2026-11", T0 + 3600 * SEC, T0 + 3600 * SEC},
        {"2025", T0, 1767225600000LL - 1},
        {"2026-11-26T05:00:00Z", T0 + 40 * SEC, T0 + 40 * SEC}, /* future: ingest */
        {NULL, T0 + 40 * SEC, T0 + 40 * SEC},                   /* absent: ingest */
    };
    const gw_env_t *env = gw_pipeline_env(S.p);
    (void)env;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *item = gwt_item("x", "t", "Some text about nothing in particular at all.", cases[i].pub);
        gw_record_t r;
        gw_record_init(&r);
        r.payload = item;
        r.payload_len = strlen(item);
        r.max_item_bytes = 1 << 20;
        r.max_json_depth = 64;
        r.ingest_ms = cases[i].ingest;
        cr_assert_eq(gw_parse_run(&r, env), GW_OK);
        cr_expect_eq(gw_agg_event_ms(&r), cases[i].want, "%s: got %lld want %lld", cases[i].pub ? cases[i].pub : "null",
                     (long long)gw_agg_event_ms(&r), (long long)cases[i].want);
        gw_record_free(&r);
        free(item);
    }
}

/* 100k items over 100k seconds of event time, with stragglers: the open
 * windows never exceed lateness / window + 2, whatever the input. */
Test(aggregate, open_windows_are_bounded, .timeout = 300) {
    const gw_env_t *env = gw_pipeline_env(S.p);
    gw_agg_stats_t st;
    size_t max_open = 0, emitted = 0;
    json_int_t counted = 0;
    for (int i = 0; i < 100000; i++) {
        int64_t pub = T0 + (int64_t)i * SEC - (i % 10 == 0 ? 50 * SEC : 0);
        char id[32], body[200];
        snprintf(id, sizeof id, "n%d", i);
        snprintf(body, sizeof body, "Bulletin %d notes delegates %d met envoys %d near port %d", i, i * 3, i * 7, i * 11);
        char pubs[21];
        gw_time_format(pub, pubs);
        char *item = gwt_item(id, "Bulletin", body, pubs);
        gw_input_meta_t meta = {.ingest_ms = pub + SEC, .partition = i % 4};
        gw_result_t res;
        cr_assert_eq(gw_pipeline_process(S.p, item, strlen(item), &meta, &res), GW_OK);
        for (size_t k = 0; k < res.n_emits; k++) {
            json_t *w = json_loadb(res.emits[k].data, res.emits[k].len, 0, NULL);
            counted += num(w, "items") + num(w, "late") + num(w, "duplicates");
            json_decref(w);
            emitted++;
        }
        gw_result_clear(&res);
        free(item);
        gw_agg_stats(env->agg, &st);
        if (st.open_windows > max_open) max_open = st.open_windows;
    }
    cr_assert_leq(max_open, 30 / 60 + 2);
    gwt_out_t o;
    gwt_tick(&S, -1, &o);
    for (size_t k = 0; k < json_array_size(o.aggregates); k++) {
        json_t *w = json_array_get(o.aggregates, k);
        counted += num(w, "items") + num(w, "late") + num(w, "duplicates");
    }
    emitted += json_array_size(o.aggregates);
    gwt_out_free(&o);
    cr_assert_eq(counted, 100000, "every item is counted exactly once");
    cr_assert_geq(emitted, 1666);
}
