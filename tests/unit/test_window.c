/*
 * test_window.c - the status page's rolling window: counts per minute,
 * top names merged across minutes, expiry after 15 minutes, the bound on
 * distinct names, duplicates left out, the ring of latest alerts.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "geowire/window.h"

#define MIN 60000LL
#define T0 (1795824000000LL) /* a whole minute */

static gw_result_t item(const char *const *names, const gw_facet_kind_t *kinds, size_t n)
{
    gw_result_t r;
    memset(&r, 0, sizeof r);
    r.facets = calloc(n ? n : 1, sizeof *r.facets);
    for (size_t i = 0; i < n; i++) {
        r.facets[i].kind = kinds[i];
        snprintf(r.facets[i].name, sizeof r.facets[i].name, "%s", names[i]);
    }
    r.n_facets = n;
    return r;
}

static json_t *snapshot(gw_window_t *w, int64_t now)
{
    gw_buf_t b;
    gw_buf_init(&b);
    gw_buf_putc(&b, '{');
    gw_window_json(w, now, 10, &b);
    gw_buf_putc(&b, '}');
    json_error_t e;
    json_t *j = json_loads(b.data, 0, &e);
    cr_assert_not_null(j, "%s: %s", e.text, b.data);
    gw_buf_free(&b);
    return j;
}

static json_int_t top_count(json_t *snap, const char *kind, const char *name)
{
    json_t *list = json_object_get(json_object_get(snap, "window"), kind), *e;
    size_t i;
    json_array_foreach(list, i, e)
        if (!strcmp(json_string_value(json_array_get(e, 0)), name)) return json_integer_value(json_array_get(e, 1));
    return 0;
}

Test(window, counts_merge_across_minutes_and_expire)
{
    gw_window_t *w = gw_window_new();
    const char *n1[] = {"RUS", "MYS", "MYS-RUS", "TRADE"};
    const gw_facet_kind_t k1[] = {GW_FACET_COUNTRY, GW_FACET_COUNTRY, GW_FACET_PAIR, GW_FACET_THEME};
    gw_result_t a = item(n1, k1, 4);
    gw_window_add(w, T0 + 1000, &a);
    gw_window_add(w, T0 + 2 * MIN, &a);
    const char *n2[] = {"RUS"};
    const gw_facet_kind_t k2[] = {GW_FACET_COUNTRY};
    gw_result_t b = item(n2, k2, 1);
    gw_window_add(w, T0 + 3 * MIN, &b);

    json_t *s = snapshot(w, T0 + 3 * MIN + 5);
    cr_expect_eq(top_count(s, "countries", "RUS"), 3);
    cr_expect_eq(top_count(s, "countries", "MYS"), 2);
    cr_expect_eq(top_count(s, "pairs", "MYS-RUS"), 2);
    cr_expect_eq(top_count(s, "themes", "TRADE"), 2);
    json_t *first = json_array_get(json_object_get(json_object_get(s, "window"), "countries"), 0);
    cr_expect_str_eq(json_string_value(json_array_get(first, 0)), "RUS", "most frequent first");
    json_t *per = json_object_get(json_object_get(s, "window"), "per_minute");
    cr_assert_eq(json_array_size(per), GW_WINDOW_MINUTES);
    /* oldest first: the last entry is the current minute */
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(per, 14), "t")), T0 + 3 * MIN);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(per, 14), "items")), 1);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(per, 11), "items")), 1);
    json_decref(s);

    /* 15 minutes after the first item it has left the window; a bucket
     * reused for a new minute starts from zero */
    s = snapshot(w, T0 + 15 * MIN);
    cr_expect_eq(top_count(s, "countries", "RUS"), 2);
    cr_expect_eq(top_count(s, "countries", "MYS"), 1);
    json_decref(s);
    gw_window_add(w, T0 + 17 * MIN, &b);
    s = snapshot(w, T0 + 17 * MIN);
    cr_expect_eq(top_count(s, "countries", "RUS"), 2, "minute 2 expired, minutes 3 and 17 remain");
    cr_expect_eq(top_count(s, "countries", "MYS"), 0);
    json_decref(s);
    gw_result_clear(&a);
    gw_result_clear(&b);
    gw_window_free(w);
}

Test(window, duplicates_and_dead_letters_count_apart)
{
    gw_window_t *w = gw_window_new();
    const char *n[] = {"FRA"};
    const gw_facet_kind_t k[] = {GW_FACET_COUNTRY};
    gw_result_t dup = item(n, k, 1);
    dup.duplicate = 1;
    gw_window_add(w, T0, &dup);
    gw_result_t dead = item(NULL, NULL, 0);
    dead.reason = GW_REASON_INVALID_JSON;
    gw_window_add(w, T0, &dead);
    json_t *s = snapshot(w, T0);
    cr_expect_eq(top_count(s, "countries", "FRA"), 0, "a duplicate inflates no count");
    json_t *m = json_array_get(json_object_get(json_object_get(s, "window"), "per_minute"), 14);
    cr_expect_eq(json_integer_value(json_object_get(m, "items")), 2);
    cr_expect_eq(json_integer_value(json_object_get(m, "duplicates")), 1);
    cr_expect_eq(json_integer_value(json_object_get(m, "dead_lettered")), 1);
    json_decref(s);
    gw_result_clear(&dup);
    gw_result_clear(&dead);
    gw_window_free(w);
}

Test(window, distinct_names_are_bounded)
{
    gw_window_t *w = gw_window_new();
    char name[32];
    const gw_facet_kind_t k[] = {GW_FACET_PAIR};
    for (int i = 0; i < GW_WINDOW_KEYS + 100; i++) {
        snprintf(name, sizeof name, "P%05d", i);
        const char *n[] = {name};
        gw_result_t r = item(n, k, 1);
        gw_window_add(w, T0, &r);
        gw_result_clear(&r);
    }
    json_t *s = snapshot(w, T0);
    json_t *pairs = json_object_get(json_object_get(s, "window"), "pairs");
    cr_expect_eq(json_array_size(pairs), 11, "top 10 and (other)");
    json_t *last = json_array_get(pairs, json_array_size(pairs) - 1);
    cr_expect_str_eq(json_string_value(json_array_get(last, 0)), "(other)");
    cr_expect_eq(json_integer_value(json_array_get(last, 1)), 100);
    json_decref(s);
    gw_window_free(w);
}

Test(window, latest_alerts_newest_first_in_a_ring)
{
    gw_window_t *w = gw_window_new();
    const gw_facet_kind_t k[] = {GW_FACET_ALERT};
    const char *n[] = {"russia-asean"};
    for (int i = 0; i < GW_WINDOW_ALERTS + 5; i++) {
        gw_result_t r = item(n, k, 1);
        char id[16];
        snprintf(id, sizeof id, "a-%d", i);
        r.id = strdup(id);
        snprintf(r.title, sizeof r.title, "title %d", i);
        gw_window_add(w, T0 + i, &r);
        gw_result_clear(&r);
    }
    json_t *s = snapshot(w, T0 + 100);
    json_t *alerts = json_object_get(s, "alerts");
    cr_assert_eq(json_array_size(alerts), GW_WINDOW_ALERTS);
    json_t *newest = json_array_get(alerts, 0), *oldest = json_array_get(alerts, GW_WINDOW_ALERTS - 1);
    char want[16];
    snprintf(want, sizeof want, "a-%d", GW_WINDOW_ALERTS + 4);
    cr_expect_str_eq(json_string_value(json_object_get(newest, "id")), want);
    cr_expect_str_eq(json_string_value(json_object_get(newest, "rule")), "russia-asean");
    cr_expect_str_eq(json_string_value(json_object_get(oldest, "id")), "a-5");
    cr_expect_str_eq(json_string_value(json_object_get(oldest, "title")), "title 5");
    json_decref(s);
    gw_window_free(w);
}
