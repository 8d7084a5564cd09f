/*
 * common.c - error formatting, the growable buffer, allocation wrappers and
 * civil-date arithmetic shared by every module.
 */
#include "geowire/common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int gw_err(char *errbuf, size_t errlen, int rc, const char *fmt, ...) {
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Allocation failure injection for tests: when positive, counts down and
 * fails the allocation that brings it to zero. Process-wide by design: it
 * exists only to drive out-of-memory paths in tests. */
static long alloc_countdown;

long gw_alloc_fail_after(long n) {
    long left = alloc_countdown;
    alloc_countdown = n;
    return left;
}

static int alloc_should_fail(void) {
    if (alloc_countdown <= 0) return 0;
    return --alloc_countdown == 0;
}

static unsigned long alloc_failures;

unsigned long gw_alloc_failures(void) { return __atomic_load_n(&alloc_failures, __ATOMIC_RELAXED); }

static void *counted(void *p) {
    if (!p) __atomic_add_fetch(&alloc_failures, 1, __ATOMIC_RELAXED);
    return p;
}

void *gw_malloc(size_t n) { return counted(alloc_should_fail() ? NULL : malloc(n ? n : 1)); }
void *gw_calloc(size_t n, size_t size) {
    return counted(alloc_should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1));
}
void *gw_realloc(void *p, size_t n) { return counted(alloc_should_fail() ? NULL : realloc(p, n ? n : 1)); }

char *gw_strndup(const char *s, size_t n) {
    char *d = gw_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *gw_strdup(const char *s) { return s ? gw_strndup(s, strlen(s)) : NULL; }

void gw_buf_init(gw_buf_t *b) { memset(b, 0, sizeof(*b)); }

void gw_buf_free(gw_buf_t *b) {
    free(b->data);
    gw_buf_init(b);
}

void gw_buf_reset(gw_buf_t *b) {
    b->len = 0;
    b->oom = 0;
    if (b->data) b->data[0] = '\0';
}

int gw_buf_reserve(gw_buf_t *b, size_t extra) {
    if (b->oom) return GW_ENOMEM;
    if (b->len + extra + 1 <= b->cap) return GW_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) { b->oom = 1; return GW_ENOMEM; }
        cap *= 2;
    }
    char *d = gw_realloc(b->data, cap);
    if (!d) { b->oom = 1; return GW_ENOMEM; }
    b->data = d;
    b->cap = cap;
    return GW_OK;
}

int gw_buf_append_grow(gw_buf_t *b, const void *p, size_t n) {
    if (gw_buf_reserve(b, n) != GW_OK) return GW_ENOMEM;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return GW_OK;
}

int gw_buf_printf(gw_buf_t *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return GW_EINVAL;
    if ((size_t)n < sizeof(small)) return gw_buf_append(b, small, (size_t)n);
    if (gw_buf_reserve(b, (size_t)n) != GW_OK) return GW_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return GW_OK;
}

/* v = m / 2^sh exactly (m the 53-bit mantissa), so v * 10^decimals is
 * m * 10^decimals / 2^sh: an integer quotient and a remainder that says
 * exactly which way to round, as glibc's printf does from the binary value.
 * Large or non-finite values keep printf. */
int gw_buf_fixed(gw_buf_t *b, double v, int decimals) {
    static const uint64_t pow10[] = {1, 10, 100, 1000};
    if (decimals < 0 || decimals > 3 || !isfinite(v) || fabs(v) >= 1e15)
        return gw_buf_printf(b, "%.*f", decimals, v);
    int e, neg = signbit(v) != 0;
    uint64_t bits, m, p = pow10[decimals];
    memcpy(&bits, &v, sizeof bits);
    if (bits >> 52 & 0x7FF) { /* normal: the fields are frexp's answer, without two libm calls */
        m = (bits & ((1ull << 52) - 1)) | 1ull << 52;
        e = (int)(bits >> 52 & 0x7FF) - 1022;
    } else {
        double fr = frexp(fabs(v), &e);
        m = (uint64_t)ldexp(fr, 53);
    }
    uint64_t x = m * p, q = 0; /* m < 2^53, p < 2^10: no overflow */
    int sh = 53 - e;           /* >= 3, as v < 1e15 < 2^50 */
    if (sh < 64) {
        uint64_t rem = x & ((1ull << sh) - 1), half = 1ull << (sh - 1);
        q = x >> sh;
        if (rem > half || (rem == half && (q & 1))) q++;
    } /* else v * p < 2^63 / 2^64: rounds to 0 */
    char t[40];
    size_t n = sizeof t;
    for (int k = 0; k < decimals; k++, q /= 10) t[--n] = (char)('0' + q % 10);
    if (decimals) t[--n] = '.';
    do t[--n] = (char)('0' + q % 10); while (q /= 10);
    if (neg) t[--n] = '-';
    return gw_buf_append(b, t + n, sizeof t - n);
}

char *gw_buf_steal(gw_buf_t *b, size_t *len) {
    char *d = b->data;
    if (len) *len = b->len;
    if (!d) d = gw_strdup("");
    gw_buf_init(b);
    return d;
}

int64_t gw_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, no table, no time zone. */
int32_t gw_days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

void gw_civil_from_days(int32_t z, int *y, int *m, int *d) {
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m) {
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

static int digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int gw_date_parse(const char *s, size_t n, int32_t *days) {
    if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) || !digits(s + 5, 2) ||
        !digits(s + 8, 2))
        return GW_EINVAL;
    int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return GW_EINVAL;
    *days = gw_days_from_civil(y, m, d);
    return GW_OK;
}

void gw_date_format(int32_t days, char out[11]) {
    int y, m, d;
    gw_civil_from_days(days, &y, &m, &d);
    unsigned uy = (unsigned)(y < 0 ? 0 : y % 10000), um = (unsigned)m % 13, ud = (unsigned)d % 32;
    out[0] = (char)('0' + uy / 1000);
    out[1] = (char)('0' + uy / 100 % 10);
    out[2] = (char)('0' + uy / 10 % 10);
    out[3] = (char)('0' + uy % 10);
    out[4] = '-';
    out[5] = (char)('0' + um / 10);
    out[6] = (char)('0' + um % 10);
    out[7] = '-';
    out[8] = (char)('0' + ud / 10);
    out[9] = (char)('0' + ud % 10);
    out[10] = '\0';
}

void gw_time_format(int64_t ms, char out[21]) {
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int32_t days = (int32_t)(secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400));
    int64_t rem = secs - (int64_t)days * 86400;
    gw_date_format(days, out);
    unsigned h = (unsigned)(rem / 3600) % 24u, m = (unsigned)(rem / 60) % 60u, s = (unsigned)rem % 60u;
    const unsigned two[3] = {h, m, s};
    out[10] = 'T';
    for (int k = 0; k < 3; k++) {
        out[11 + 3 * k] = (char)('0' + two[k] / 10);
        out[12 + 3 * k] = (char)('0' + two[k] % 10);
        out[13 + 3 * k] = k < 2 ? ':' : 'Z';
    }
    out[20] = '\0';
}
