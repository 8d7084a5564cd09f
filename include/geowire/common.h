/*
 * common.h - what every geowire module shares: version, error convention,
 * a growable byte buffer.
 *
 * Error convention: functions return GW_OK (0) or a negative GW_E* code and,
 * when the caller passes a buffer, write a one-line reason into it. Nothing
 * below the command layer logs; the edge that decides what to do logs once.
 */
#ifndef GEOWIRE_COMMON_H
#define GEOWIRE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <string.h>

#define GW_VERSION "0.1.0"
#define GW_ERRLEN 512 /* size callers use for error buffers */

enum {
    GW_OK = 0,
    GW_ERR = -1,      /* generic failure, reason in errbuf */
    GW_ENOMEM = -2,   /* allocation failed */
    GW_EINVAL = -3,   /* invalid input or configuration */
    GW_EIO = -4,      /* file or system error */
    GW_ELIMIT = -5,   /* a configured limit was exceeded */
};

/* Formats a reason into errbuf (if not NULL). Always returns rc so callers
 * can write `return gw_err(err, n, GW_EINVAL, "...")`. */
int gw_err(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A growable byte buffer; data is always NUL-terminated when non-NULL.
 * The buffer owns data; gw_buf_free releases it. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    int oom; /* sticky: set once an append failed, further appends no-op */
} gw_buf_t;

void gw_buf_init(gw_buf_t *b);
void gw_buf_free(gw_buf_t *b);
void gw_buf_reset(gw_buf_t *b);            /* len = 0, keeps capacity */
int gw_buf_reserve(gw_buf_t *b, size_t extra);
/* gw_buf_append's out-of-line half: grows the buffer, then appends. */
int gw_buf_append_grow(gw_buf_t *b, const void *p, size_t n);
/* Appends are inline when they fit the room already there: serialise
 * writes a record in about 450 small appends, and a call and a capacity
 * check each were a fifth of its cost. */
static inline int gw_buf_append(gw_buf_t *b, const void *p, size_t n) {
    if (b->oom || b->cap - b->len <= n) return gw_buf_append_grow(b, p, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return GW_OK;
}
static inline int gw_buf_putc(gw_buf_t *b, char c) { return gw_buf_append(b, &c, 1); }
int gw_buf_printf(gw_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Detaches the data (caller frees with free()) and resets the buffer. */
char *gw_buf_steal(gw_buf_t *b, size_t *len);
/* Appends v as printf's "%.*f" would (decimals 0..3), without printf:
 * exact, ties to even. Records print salience and scores this way. */
int gw_buf_fixed(gw_buf_t *b, double v, int decimals);

/* Allocation wrappers: every geowire allocation goes through these so tests
 * can inject failures (see gw_alloc_fail_after). They never abort. */
void *gw_malloc(size_t n);
void *gw_calloc(size_t n, size_t size);
void *gw_realloc(void *p, size_t n);
char *gw_strdup(const char *s);
char *gw_strndup(const char *s, size_t n);
/* Test hook: the Nth allocation from now on fails (0 disables). Returns
 * what was left of the previous countdown: > 0 means its failure was never
 * reached, so a test knows when N has passed the last allocation. */
long gw_alloc_fail_after(long n);
/* How many allocations have returned NULL so far (injected or real). Lets
 * the caller of a library that reports out-of-memory as something else
 * (jansson: a syntax error) tell the two apart. */
unsigned long gw_alloc_failures(void);

/* Milliseconds since the Unix epoch, wall clock. */
int64_t gw_now_ms(void);

/* Dates are days since 1970-01-01 (proleptic Gregorian), so role and
 * membership intervals compare as integers. GW_DATE_NONE marks "open". */
#define GW_DATE_NONE INT32_MIN
int32_t gw_days_from_civil(int y, int m, int d);
void gw_civil_from_days(int32_t days, int *y, int *m, int *d);
/* Parses YYYY-MM-DD strictly. Returns GW_OK or GW_EINVAL. */
int gw_date_parse(const char *s, size_t n, int32_t *days);
/* Writes YYYY-MM-DD (11 bytes incl. NUL). */
void gw_date_format(int32_t days, char out[11]);
/* Writes milliseconds since the epoch as YYYY-MM-DDThh:mm:ssZ (21 bytes
 * incl. NUL), rounding down to the second. */
void gw_time_format(int64_t ms, char out[21]);

#endif
