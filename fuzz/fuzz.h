/*
 * fuzz.h - what the libFuzzer targets share: invariant checks that abort
 * (so libFuzzer records the input as a crash) and scratch files for the
 * loaders that only read from a path.
 *
 * Targets run from the repository root (make fuzz does), so the shipped
 * config/geowire.yaml and dictionaries are found by relative path.
 */
#ifndef GEOWIRE_FUZZ_H
#define GEOWIRE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Aborts with the message when cond is false: a broken invariant is a crash. */
#define GWF_CHECK(cond, ...) \
    do { if (!(cond)) gwf_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)
void gwf_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* Checks an enriched record: valid UTF-8, parses with jansson as an object
 * of schema geowire.record.v1, and every span {field,start,end} lies inside
 * its field (lengths title_len/body_len) on UTF-8 character boundaries of
 * title/body (either may be NULL to skip the boundary check). */
void gwf_check_record(const char *rec, size_t len, const char *title, size_t title_len,
                      const char *body, size_t body_len);

/* Checks that a JSON text (an alert or aggregate record) is valid UTF-8 and
 * parses as an object. */
void gwf_check_json_object(const char *s, size_t len);

/* A private scratch folder, created once per process (mkdtemp under
 * $TMPDIR) and removed at exit. Static string. */
const char *gwf_scratch_dir(void);
/* Writes data to scratch_dir/name (truncating); returns the full path in a
 * static buffer that the next call overwrites. Aborts on I/O errors. */
const char *gwf_write_file(const char *name, const uint8_t *data, size_t len);

#endif
