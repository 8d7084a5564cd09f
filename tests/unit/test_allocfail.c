/*
 * test_allocfail.c - out of memory at every allocation of an item's run.
 *
 * For N = 1, 2, ... the Nth allocation from the start of gw_pipeline_process
 * fails (gw_alloc_fail_after; jansson allocates through the same allocator),
 * until N passes the item's last allocation. Each run must end cleanly:
 * either the item's normal outcome, byte for byte (the failure hit nothing
 * the item needed... which the strict comparison proves), or the dead-letter
 * reason `internal`. ASan checks that no failure path crashes or leaks, and
 * the same item processed again without injection must give the normal
 * record: a failure leaves no damage in the pipeline's reused state.
 */
#include <criterion/criterion.h>
#include "support/shipped.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geowire/common.h"
#include "geowire/pipeline.h"

TestSuite(allocfail, .init = gw_test_pipeline_setup, .fini = gw_test_pipeline_teardown);

typedef struct {
    gw_reason_t reason;
    char *record;
    size_t len;
} outcome_t;

static outcome_t run(const char *payload, size_t len, int *rc) {
    gw_input_meta_t meta = {.ingest_ms = 1767225600000LL};
    gw_result_t res;
    *rc = gw_pipeline_process(gw_test_pipeline, payload, len, &meta, &res);
    outcome_t o = {res.reason, res.record, res.record_len};
    res.record = NULL;
    gw_result_clear(&res);
    return o;
}

/* Fails each allocation of one item in turn; returns how many it reached. */
static long fail_each_allocation(const char *payload, size_t len) {
    int rc;
    outcome_t base = run(payload, len, &rc);
    cr_assert_eq(rc, GW_OK);
    long n;
    int internal = 0;
    for (n = 1; n < 200000; n++) {
        gw_alloc_fail_after(n);
        outcome_t o = run(payload, len, &rc);
        int reached = gw_alloc_fail_after(0) == 0;
        if (rc == GW_ENOMEM) {
            /* Not even the verdict could be recorded: the daemon dead-letters
             * the item as internal itself. */
            cr_assert_null(o.record);
            internal++;
        } else if (o.reason == GW_REASON_INTERNAL) {
            cr_assert_null(o.record, "an internal failure kept a record");
            internal++;
        } else {
            cr_assert_eq(o.reason, base.reason, "allocation %ld: reason %s instead of %s or internal", n,
                         gw_reason_name(o.reason), gw_reason_name(base.reason));
            size_t d = 0;
            while (d < o.len && d < base.len && o.record[d] == base.record[d]) d++;
            cr_assert(o.len == base.len && d == o.len,
                      "allocation %ld failed and the record silently changed at byte %zu: ...%.60s... "
                      "instead of ...%.60s...", n, d, o.record + (d > 20 ? d - 20 : 0),
                      base.record + (d > 20 ? d - 20 : 0));
        }
        free(o.record);
        /* The pipeline's reused record must not carry damage to the next item. */
        outcome_t again = run(payload, len, &rc);
        cr_assert_eq(rc, GW_OK);
        cr_assert(again.reason == base.reason && again.len == base.len &&
                      (!again.len || !memcmp(again.record, base.record, again.len)),
                  "after failing allocation %ld, the next run differs", n);
        free(again.record);
        if (!reached) break;
    }
    cr_assert_lt(n, 200000, "the item never ran out of allocations to fail");
    cr_assert(n == 1 || internal > 0, "no injected failure was ever reported");
    free(base.record);
    return n;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

Test(allocfail, golden_item_every_allocation, .timeout = 600) {
    size_t len;
    char *p = slurp("tests/fixtures/golden-visit.json", &len);
    long n = fail_each_allocation(p, len);
    cr_log_info("golden item: %ld allocations failed in turn", n);
    /* A floor proving the injection walked the whole chain: the item makes
     * 49 allocations since language identification stopped copying the
     * headline and the lead into a buffer of their own (51 or more before). */
    cr_assert_gt(n, 40);
    free(p);
}

Test(allocfail, plain_text_item, .timeout = 120) {
    const char *p = "Anwar meets Shoigu in Kuala Lumpur\nPrime Minister Anwar Ibrahim met Security Council "
                    "Secretary Sergei Shoigu.\n\nThey discussed defence cooperation and sanctions.";
    fail_each_allocation(p, strlen(p));
}

Test(allocfail, item_with_warnings_and_repairs, .timeout = 120) {
    const char *p = "{\"id\":\"w\",\"title\":\"Malaysia \xff and Russia\",\"body\":\"Georgia \xc0\xaf Jordan\","
                    "\"lang\":\"zz\",\"published_at\":\"not a date\",\"source\":7}";
    fail_each_allocation(p, strlen(p));
}

Test(allocfail, dead_letter_items, .timeout = 120) {
    const char *items[] = {"{\"id\": \"x\", \"title\": ", "[1, 2, 3]", "{\"id\": \"n\", \"title\": 5}",
                           "{\"id\": \"e\"}", "   "};
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) fail_each_allocation(items[i], strlen(items[i]));
}
