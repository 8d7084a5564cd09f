/* Deduplication and story versions (processors/dedup.c) through the whole
 * chain: exact and near duplicates, what is not a duplicate, wire version
 * markers, redeliveries, and the window's memory bound. Every text here is
 * written for these tests. */
#include <criterion/criterion.h>
#include "support/stateful.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geowire/dedup.h"
#include "geowire/processor.h"

#define T0 1795651200000LL /* 2026-11-26T00:00:00Z */

static const char *STORY =
    "Russian Deputy Prime Minister Alexander Novak and Malaysian Economy Minister Rafizi Ramli agreed on "
    "Thursday to expand cooperation in liquefied natural gas and nuclear power training, officials said "
    "after talks in Putrajaya.\n"
    "The two sides signed a memorandum that sets up a joint working group on energy which will meet twice "
    "a year, the Malaysian ministry said in a statement.\n"
    "Novak said Moscow was ready to supply more oil products to Southeast Asia and invited Malaysian "
    "companies to an energy forum in Moscow next spring.";

/* The same meeting, another story: the opposition's reaction. */
static const char *OTHER_STORY =
    "Opposition lawmakers in Malaysia on Thursday questioned the government's decision to host Russian "
    "Deputy Prime Minister Alexander Novak in Putrajaya, saying the talks on energy cooperation risked "
    "exposing local banks to Western sanctions.\n"
    "A spokesman for the opposition coalition said parliament had not been consulted about the memorandum "
    "and demanded that the economy ministry publish its terms.\n"
    "The ministry did not respond to a request for comment on the energy working group.";

static gwt_state_t S;
static void setup(void) { gwt_state_new(&S, NULL); }
static void teardown(void) { gwt_state_free(&S); }
TestSuite(dedup, .init = setup, .fini = teardown);

/* Runs an item; returns its dedup block (a new reference) and frees the rest. */
static json_t *dedup_of(const char *id, const char *title, const char *body, int64_t ingest) {
    char *item = gwt_item(id, title, body, "2026-11-26T08:00:00Z");
    gwt_out_t o;
    gwt_run(&S, item, ingest, 0, &o);
    free(item);
    cr_assert_not_null(o.rec, "item %s was dead-lettered", id);
    json_t *d = json_incref(json_object_get(o.rec, "dedup"));
    gwt_out_free(&o);
    return d;
}

static json_t *dedup_raw(const char *json, int64_t ingest) {
    gwt_out_t o;
    gwt_run(&S, json, ingest, 0, &o);
    cr_assert_not_null(o.rec);
    json_t *d = json_incref(json_object_get(o.rec, "dedup"));
    gwt_out_free(&o);
    return d;
}

static void expect(json_t *d, const char *status, int is_dup, const char *cluster, const char *dup_of) {
    char *txt = json_dumps(d, JSON_COMPACT);
    cr_assert_str_eq(json_string_value(json_object_get(d, "status")), status, "%s", txt);
    cr_assert_eq(json_is_true(json_object_get(d, "is_duplicate")), is_dup, "%s", txt);
    cr_assert_str_eq(json_string_value(json_object_get(d, "cluster")), cluster, "%s", txt);
    if (dup_of) cr_assert_str_eq(json_string_value(json_object_get(d, "duplicate_of")), dup_of, "%s", txt);
    else cr_assert(json_is_null(json_object_get(d, "duplicate_of")), "%s", txt);
    free(txt);
    json_decref(d);
}

/* Another outlet: its own headline and dateline, boilerplate at the end. */
static char *republished(const char *body) {
    const char *head = "PUTRAJAYA, Nov 26 (Daily Outlet) - ";
    const char *tail = "\nCopyright 2026 Daily Outlet. All rights reserved. Follow us for more news every day.";
    char *s = malloc(strlen(head) + strlen(body) + strlen(tail) + 1);
    sprintf(s, "%s%s%s", head, body, tail);
    return s;
}

Test(dedup, reheadlined_copy_with_boilerplate_is_a_near_duplicate) {
    char *wire = malloc(strlen(STORY) + 32);
    sprintf(wire, "KUALA LUMPUR (Wire) - %s", STORY);
    expect(dedup_of("wire-1", "Russia and Malaysia agree to expand energy cooperation", wire, T0), "new", 0,
           "wire-1", NULL);
    char *copy = republished(STORY);
    expect(dedup_of("outlet-7", "Malaysia, Russia to deepen energy ties", copy, T0 + 60000), "duplicate", 1,
           "wire-1", "wire-1");
    free(wire);
    free(copy);
}

Test(dedup, two_stories_about_the_same_meeting_are_not_duplicates) {
    expect(dedup_of("wire-1", "Russia and Malaysia agree to expand energy cooperation", STORY, T0), "new", 0,
           "wire-1", NULL);
    expect(dedup_of("other-3", "Opposition criticises Putrajaya talks with Russian delegation", OTHER_STORY,
                    T0 + 60000),
           "new", 0, "other-3", NULL);
}

/* Same words, other case, punctuation, spacing and dateline: the exact
 * hash, whatever the threshold. A short flash has no signature, only that. */
Test(dedup, exact_duplicate_ignores_case_punctuation_and_dateline) {
    expect(dedup_of("a", "Flash", "MOSCOW (Wire) - Russia and Vietnam sign a nuclear research deal.", T0), "new", 0,
           "a", NULL);
    expect(dedup_of("b", "Another headline", "HANOI, Nov 26 (Paper) -- russia AND vietnam sign a nuclear, research deal",
                    T0 + 1000),
           "duplicate", 1, "a", "a");
    expect(dedup_of("c", "Third", "Russia and Vietnam sign a nuclear research pact.", T0 + 2000), "new", 0, "c", NULL);
}

/* A copy joins the story's first item even when it is most like a later copy. */
Test(dedup, a_copy_of_a_copy_stays_in_the_first_cluster) {
    expect(dedup_of("w", "Energy talks", STORY, T0), "new", 0, "w", NULL);
    char *c1 = republished(STORY);
    expect(dedup_of("o1", "Copy one", c1, T0 + 1000), "duplicate", 1, "w", "w");
    expect(dedup_of("o2", "Copy two", c1, T0 + 2000), "duplicate", 1, "w", "o1");
    free(c1);
}

/* A Kafka redelivery gives the byte-identical record, not "duplicate of itself". */
Test(dedup, redelivery_gives_the_same_record) {
    char *item = gwt_item("w", "Energy talks", STORY, "2026-11-26T08:00:00Z");
    gwt_out_t a, b;
    gwt_run(&S, item, T0, 0, &a);
    char *copy = republished(STORY);
    expect(dedup_of("o1", "Copy", copy, T0 + 1000), "duplicate", 1, "w", "w");
    gwt_run(&S, item, T0 + 2000, 0, &b);
    char *ta = json_dumps(a.rec, JSON_COMPACT | JSON_SORT_KEYS), *tb = json_dumps(b.rec, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(ta, tb);
    expect(json_incref(json_object_get(b.rec, "dedup")), "new", 0, "w", NULL);
    free(ta); free(tb); free(item); free(copy);
    gwt_out_free(&a);
    gwt_out_free(&b);
}

Test(dedup, markers) {
    struct { const char *title; gw_story_status_t want; } cases[] = {
        {"UPDATE 2-Russia, Malaysia agree energy deal", GW_STORY_UPDATE},
        {"UPDATED: Russia, Malaysia agree energy deal", GW_STORY_UPDATE},
        {"REFILE-Russia, Malaysia agree energy deal", GW_STORY_UPDATE},
        {"CORRECTED-Russia, Malaysia agree energy deal", GW_STORY_CORRECTION},
        {"UPDATE 1-CORRECTED-Russia, Malaysia agree energy deal", GW_STORY_CORRECTION},
        {"CORRECTS: Russia, Malaysia agree energy deal", GW_STORY_CORRECTION},
        {"KILL KILL KILL", GW_STORY_WITHDRAWAL},
        {"STORY WITHDRAWN-Russia, Malaysia agree energy deal", GW_STORY_WITHDRAWAL},
        {"ELIMINATION: Russia, Malaysia agree energy deal", GW_STORY_WITHDRAWAL},
        {"UPDATE 3-WITHDRAWN-Russia deal", GW_STORY_WITHDRAWAL},
        {"Update on Russia, Malaysia energy talks", GW_STORY_NEW},
        {"Killer heatwave hits Malaysia", GW_STORY_NEW},
        {"KILLER HEATWAVE HITS MALAYSIA", GW_STORY_NEW},
        {"UPDATER released", GW_STORY_NEW},
        {"RUSSIA SIGNS DEAL, UPDATE FOLLOWS", GW_STORY_NEW},
        {"STORY of a deal", GW_STORY_NEW},
        {"", GW_STORY_NEW},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(gw_story_marker(cases[i].title, strlen(cases[i].title)), cases[i].want, "'%s'", cases[i].title);
}

/* The wire resends under the same id: update, correction, an older version
 * arriving late, then a kill; copies after the kill still join the story. */
Test(dedup, versions_under_one_story_id) {
    expect(dedup_of("w", "Russia and Malaysia agree energy cooperation", STORY, T0), "new", 0, "w", NULL);
    char *v2 = malloc(strlen(STORY) + 100);
    sprintf(v2, "%s\nRafizi said the working group would hold its first meeting in January.", STORY);
    expect(dedup_raw("{\"id\":\"w\",\"version\":2,\"title\":\"UPDATE 1-Russia and Malaysia agree energy cooperation\","
                     "\"body\":\"updated body: the working group meets in January in Kuala Lumpur with officials\"}",
                     T0 + 1000),
           "update", 1, "w", "w");
    expect(dedup_raw("{\"id\":\"w\",\"version\":\"3\",\"title\":\"CORRECTED-Russia and Malaysia agree energy cooperation\","
                     "\"body\":\"corrected body: the working group meets in February in Kuala Lumpur with officials\"}",
                     T0 + 2000),
           "correction", 1, "w", "w");
    expect(dedup_raw("{\"id\":\"w\",\"version\":2,\"title\":\"Russia and Malaysia agree energy cooperation\","
                     "\"body\":\"an older text of version two that arrives after version three was already seen\"}",
                     T0 + 3000),
           "stale_version", 1, "w", "w");
    expect(dedup_raw("{\"id\":\"w-kill\",\"supersedes\":\"w\",\"title\":\"KILL-Russia and Malaysia agree energy cooperation\","
                     "\"body\":\"Please kill the story. It was sent in error.\"}",
                     T0 + 4000),
           "withdrawal", 1, "w", "w");
    char *copy = republished(STORY);
    expect(dedup_of("late-copy", "Malaysia, Russia to deepen energy ties", copy, T0 + 5000), "duplicate", 1, "w", "w");
    free(copy);
    free(v2);
}

/* ninjs pubstatus and a supersedes field naming another id. */
Test(dedup, pubstatus_and_supersedes) {
    expect(dedup_of("s1", "Vietnam and Russia sign research deal", STORY, T0), "new", 0, "s1", NULL);
    expect(dedup_raw("{\"id\":\"s1-v2\",\"supersedes\":\"s1\",\"title\":\"Vietnam and Russia sign research deal\","
                     "\"body\":\"A rewritten version of the story with another lead paragraph and more detail.\"}",
                     T0 + 1000),
           "update", 1, "s1", "s1");
    expect(dedup_raw("{\"id\":\"s1-v2\",\"pubstatus\":\"canceled\",\"title\":\"Vietnam and Russia sign research deal\","
                     "\"body\":\"This item has been canceled by the publisher.\"}",
                     T0 + 2000),
           "withdrawal", 1, "s1", "s1-v2");
    /* a kill for a story the window never held */
    expect(dedup_raw("{\"id\":\"x\",\"title\":\"WITHDRAWN-Some story\",\"body\":\"Withdrawn.\"}", T0 + 3000),
           "withdrawal", 0, "x", NULL);
}

static void small_window(gw_config_t *c) {
    c->dedup.window_items = 50;
    c->dedup.window_seconds = 600;
}

/* Nothing older than window_seconds of ingest time is a duplicate. */
Test(dedup, window_age) {
    gwt_state_free(&S);
    gwt_state_new(&S, small_window);
    expect(dedup_of("a", "Energy talks", STORY, T0), "new", 0, "a", NULL);
    expect(dedup_of("b", "Energy talks", STORY, T0 + 599000), "duplicate", 1, "a", "a");
    expect(dedup_of("c", "Energy talks", STORY, T0 + 700000), "duplicate", 1, "a", "b");
    expect(dedup_of("d", "Energy talks", STORY, T0 + 2000000), "new", 0, "d", NULL);
}

/* A body of n distinct words ("p<pair>w<i>"); with every k-th word (k > 0)
 * replaced by a word of its own, a copy that keeps a known share of the
 * original's 3-word shingles. */
static char *synthetic_body(int pair, int n, int k) {
    char *s = malloc((size_t)n * 24 + 1), *o = s;
    for (int i = 0; i < n; i++) o += sprintf(o, "%s%s%dw%d", i ? " " : "", k && i % k == 0 ? "x" : "p", pair, i);
    return s;
}

/* Exact Jaccard similarity of the 3-shingle sets of the two bodies above:
 * a shingle survives the copy when none of its three words was replaced. */
static double synthetic_jaccard(int n, int k) {
    int kept = 0;
    for (int i = 0; i + 3 <= n; i++) kept += i % k != 0 && (i + 1) % k != 0 && (i + 2) % k != 0;
    int shingles = n - 2;
    return (double)kept / (2 * shingles - kept);
}

/* The near-duplicate verdict follows the Jaccard similarity of the texts at
 * every length: short bodies, whose signatures are mostly densified (fewer
 * shingles than signature bins), and long ones. Copies keeping three
 * quarters of the shingles are duplicates; copies keeping a seventh (well
 * under the 0.5 threshold) are new stories. */
Test(dedup, near_duplicate_verdict_follows_jaccard_similarity) {
    static const int lengths[] = {30, 45, 100, 400};
    int pair = 0;
    for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
        int n = lengths[l];
        for (int rep = 0; rep < 6; rep++) {
            struct { int k; const char *status; } cases[] = {{20, "duplicate"}, {4, "new"}};
            for (int c = 0; c < 2; c++, pair++) {
                double j = synthetic_jaccard(n, cases[c].k);
                cr_assert(c == 0 ? j >= 0.7 : j <= 0.2, "the construction gives J = %.2f", j);
                char id[32], copy_id[32];
                snprintf(id, sizeof id, "orig-%d", pair);
                snprintf(copy_id, sizeof copy_id, "copy-%d", pair);
                char *orig = synthetic_body(pair, n, 0), *copy = synthetic_body(pair, n, cases[c].k);
                expect(dedup_of(id, "Original", orig, T0 + pair * 2000), "new", 0, id, NULL);
                json_t *d = dedup_of(copy_id, "Copy", copy, T0 + pair * 2000 + 1000);
                cr_assert_str_eq(json_string_value(json_object_get(d, "status")), cases[c].status,
                                 "%d words, J = %.2f: %s", n, j, json_string_value(json_object_get(d, "status")));
                json_decref(d);
                free(orig);
                free(copy);
            }
        }
    }
}

/* 100k distinct items through a 50-item window: the state never holds more
 * than the window, and the window still works at the end. Bodies are short
 * so the test stays fast under the sanitizers; they still have signatures. */
Test(dedup, memory_is_bounded_by_the_window, .timeout = 300) {
    gwt_state_free(&S);
    gwt_state_new(&S, small_window);
    const gw_env_t *env = gw_pipeline_env(S.p);
    gw_dedup_stats_t st;
    char id[400], body[256];
    size_t max_items = 0, max_clusters = 0, max_bytes = 0;
    for (int i = 0; i < 100000; i++) {
        /* every 7th item carries an id longer than the state keeps */
        if (i % 7 == 3) snprintf(id, sizeof id, "%0300d", i);
        else snprintf(id, sizeof id, "item-%d", i);
        snprintf(body, sizeof body, "Report %d says officials number %d met delegates %d in city %d on day %d to talk %d",
                 i, i * 3, i * 7, i * 11, i * 13, i * 17);
        char *item = gwt_item(id, "Report", body, NULL);
        gw_input_meta_t meta = {.ingest_ms = T0 + i, .partition = 0};
        gw_result_t res;
        cr_assert_eq(gw_pipeline_process(S.p, item, strlen(item), &meta, &res), GW_OK);
        cr_assert_eq(res.reason, GW_REASON_NONE);
        gw_result_clear(&res);
        free(item);
        gw_dedup_stats(env->dedup, &st);
        if (st.items > max_items) max_items = st.items;
        if (st.clusters > max_clusters) max_clusters = st.clusters;
        if (st.string_bytes > max_bytes) max_bytes = st.string_bytes;
    }
    cr_assert_eq(max_items, 50);
    cr_assert_leq(max_clusters, 50);
    cr_assert_leq(max_bytes, 50 * 3 * (GW_DEDUP_MAX_ID + 1));
    /* the last items are remembered: a copy of the last one is a duplicate */
    snprintf(body, sizeof body, "Report %d says officials number %d met delegates %d in city %d on day %d to talk %d",
             99999, 99999 * 3, 99999 * 7, 99999 * 11, 99999 * 13, 99999 * 17);
    expect(dedup_of("copy", "Another headline", body, T0 + 100000), "duplicate", 1, "item-99999", "item-99999");
}

static void window_1200(gw_config_t *c) { c->dedup.window_items = 1200; }

/* A story of its own words followed by a paragraph every story shares, as
 * template stories do (market reports, results): the shared paragraph puts
 * every story in the same LSH buckets, so lookups meet long runs of
 * candidates. 3,000 stories through a 1,200-item window: the band index is
 * rebuilt (frozen) every 1,024 items, so copies are found both in its
 * frozen part and in the part newer than the last rebuild, and an expired
 * story the frozen part still lists is not found. */
Test(dedup, copies_are_found_before_and_after_the_band_rebuild, .timeout = 300) {
    gwt_state_free(&S);
    gwt_state_new(&S, window_1200);
    static const char *SHARED =
        "Traders said volumes were thin ahead of the holiday and that the central bank was expected to keep "
        "its policy rate unchanged at its meeting next week, according to a survey of economists.";
    char body[4096], id[32];
    for (int i = 0; i < 3000; i++) {
        char *own = synthetic_body(i, 80, 0);
        snprintf(body, sizeof body, "%s\n%s", own, SHARED);
        free(own);
        snprintf(id, sizeof id, "story-%d", i);
        char *item = gwt_item(id, "Markets", body, NULL);
        gw_input_meta_t meta = {.ingest_ms = T0 + i, .partition = 0};
        gw_result_t res;
        cr_assert_eq(gw_pipeline_process(S.p, item, strlen(item), &meta, &res), GW_OK);
        cr_assert_eq(res.duplicate, 0, "story %d called a duplicate", i);
        gw_result_clear(&res);
        free(item);
    }
    /* story 1900: frozen (rebuilt at 2,048) and live (the window holds 1,800-2,999) */
    static const struct { int story; const char *status; } copies[] = {{1900, "duplicate"}, {2990, "duplicate"},
                                                                       {1000, "new"}};
    for (size_t c = 0; c < sizeof copies / sizeof copies[0]; c++) {
        char *own = synthetic_body(copies[c].story, 80, 20);
        snprintf(body, sizeof body, "%s\n%s", own, SHARED);
        free(own);
        char copy_id[32], of[32];
        snprintf(copy_id, sizeof copy_id, "copy-of-%d", copies[c].story);
        snprintf(of, sizeof of, "story-%d", copies[c].story);
        json_t *d = dedup_of(copy_id, "Markets, another outlet", body, T0 + 3000 + (int64_t)c);
        if (!strcmp(copies[c].status, "duplicate")) expect(d, "duplicate", 1, of, of);
        else expect(d, "new", 0, copy_id, NULL);
    }
}

/* The stateful stages' settings are checked like every key: position and
 * range in the message. */
Test(dedup, bad_settings_are_positioned_errors) {
    FILE *in = fopen("config/geowire.yaml", "r");
    cr_assert_not_null(in);
    char path[] = "config/.test-dedup-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *out = fdopen(fd, "w");
    char line[512];
    int n = 0, want_threshold = 0, want_lateness = 0;
    while (fgets(line, sizeof line, in)) {
        n++;
        if (strstr(line, "threshold:")) { fputs("  threshold: 1.5\n", out); want_threshold = n; }
        else if (strstr(line, "allowed_lateness_seconds:")) { fputs("  allowed_lateness_seconds: -1\n", out); want_lateness = n; }
        else fputs(line, out);
    }
    fclose(in);
    fclose(out);
    char err[GW_ERRLEN] = "", a[160], b[160];
    gw_config_t *cfg = gw_config_load(path, err, sizeof err);
    unlink(path);
    cr_assert_null(cfg);
    snprintf(a, sizeof a, "%s:%d:14: 'dedup.threshold' must be between", path, want_threshold);
    snprintf(b, sizeof b, ":%d:29: 'aggregates.allowed_lateness_seconds'", want_lateness);
    cr_assert(strstr(err, a) && strstr(err, b), "%s", err);
}

static size_t n_alerts_in(json_t *rec) { return json_array_size(json_object_get(rec, "alerts")); }

/* One story, one alert: copies and new versions fill alerts[] but produce
 * no alerts-topic record; a redelivery of the alerting item produces the
 * same alert again (at least once); the kill retracts it, once; nothing
 * about the story alerts after that. */
Test(dedup, alert_once_per_story_and_retract_on_kill) {
    char *orig = gwt_item("wire-1", "Russia and Malaysia agree to expand energy cooperation", STORY, "2026-11-26T08:00:00Z");
    gwt_out_t o, again;
    gwt_run(&S, orig, T0, 0, &o);
    cr_assert_geq(n_alerts_in(o.rec), 1, "the story must fire russia-asean for this test");
    cr_assert_eq(json_array_size(o.alerts), n_alerts_in(o.rec), "the first copy alerts");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(o.alerts, 0), "schema")), "geowire.alert.v1");

    char *copy = republished(STORY);
    char *item = gwt_item("outlet-7", "Malaysia, Russia to deepen energy ties", copy, "2026-11-26T09:00:00Z");
    gwt_out_t c;
    gwt_run(&S, item, T0 + 1000, 1, &c);
    cr_assert_geq(n_alerts_in(c.rec), 1, "alerts[] still says what the rules found");
    cr_assert_eq(json_array_size(c.alerts), 0, "a copy of an alerted story is not alerted again");
    gwt_out_free(&c);
    free(item);

    gwt_run(&S, orig, T0 + 2000, 0, &again); /* redelivery */
    char *a = json_dumps(o.alerts, JSON_COMPACT), *b = json_dumps(again.alerts, JSON_COMPACT);
    cr_assert_str_eq(a, b, "a redelivery repeats the same alert records");
    free(a); free(b);
    gwt_out_free(&again);

    gwt_run(&S, "{\"id\":\"wire-1\",\"version\":2,\"title\":\"UPDATE 1-Russia and Malaysia agree to expand energy cooperation\","
                "\"body\":\"Russian Deputy Prime Minister Alexander Novak and Malaysian Economy Minister Rafizi Ramli agreed "
                "to expand energy cooperation; the working group meets in January.\"}", T0 + 3000, 0, &c);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(c.rec, "dedup"), "status")), "update");
    cr_assert_eq(json_array_size(c.alerts), 0, "an update of an alerted story is not alerted again");
    gwt_out_free(&c);

    const char *kill = "{\"id\":\"wire-1-kill\",\"supersedes\":\"wire-1\",\"title\":\"KILL-Russia and Malaysia agree to "
                       "expand energy cooperation\",\"body\":\"Please kill the story. It was sent in error.\","
                       "\"published_at\":\"2026-11-26T10:00:00Z\"}";
    gwt_run(&S, kill, T0 + 4000, 0, &c);
    cr_assert_eq(json_array_size(c.alerts), 1, "one retraction, and no alert of the notice itself");
    json_t *rt = json_array_get(c.alerts, 0);
    cr_assert_str_eq(json_string_value(json_object_get(rt, "schema")), "geowire.alert-retraction.v1");
    cr_assert_str_eq(json_string_value(json_object_get(rt, "item_id")), "wire-1");
    cr_assert_str_eq(json_string_value(json_object_get(rt, "cluster")), "wire-1");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(rt, "rules"), 0)), "russia-asean");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(rt, "withdrawn_by"), "item_id")), "wire-1-kill");
    gwt_out_free(&c);

    gwt_run(&S, kill, T0 + 5000, 0, &c); /* the notice redelivered: no second retraction */
    cr_assert_eq(json_array_size(c.alerts), 0);
    gwt_out_free(&c);
    gwt_run(&S, orig, T0 + 6000, 0, &c); /* the withdrawn story redelivered */
    cr_assert_eq(json_array_size(c.alerts), 0, "a withdrawn story does not alert");
    gwt_out_free(&c);
    item = gwt_item("late-outlet", "Russia, Malaysia in energy pact", copy, "2026-11-26T11:00:00Z");
    gwt_run(&S, item, T0 + 7000, 2, &c);
    cr_assert_eq(json_array_size(c.alerts), 0, "a late copy of a withdrawn story does not alert");
    gwt_out_free(&c);
    free(item);
    free(copy);
    free(orig);
    gwt_out_free(&o);
}

/* A story that only fires on a later version alerts then, once. */
Test(dedup, a_story_alerts_when_a_version_first_fires) {
    gwt_out_t o;
    gwt_run(&S, "{\"id\":\"s\",\"title\":\"Energy ministers meet\",\"body\":\"Energy ministers met on Thursday to "
                "discuss gas supplies and a joint working group, officials said after the talks.\"}", T0, 0, &o);
    cr_assert_eq(n_alerts_in(o.rec), 0);
    gwt_out_free(&o);
    json_t *v2 = json_pack("{s:s, s:i, s:s, s:s}", "id", "s", "version", 2, "title",
                           "UPDATE 1-Russia and Malaysia agree to expand energy cooperation", "body", STORY);
    char *item = json_dumps(v2, JSON_COMPACT);
    json_decref(v2);
    gwt_run(&S, item, T0 + 1000, 0, &o);
    free(item);
    cr_assert_geq(n_alerts_in(o.rec), 1);
    cr_assert_eq(json_array_size(o.alerts), n_alerts_in(o.rec));
    gwt_out_free(&o);
}
