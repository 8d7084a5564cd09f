/*
 * record_dump.c - see record_dump.h.
 */
#include "support/record_dump.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

void gw_test_dump_record(const char *rec, size_t len) {
    const char *path = getenv("GW_RECORD_DUMP");
    if (!path || !*path) return;
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f, "cannot append to %s", path);
    fwrite(rec, 1, len, f);
    fputc('\n', f);
    fclose(f);
}
