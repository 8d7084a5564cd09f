/*
 * bench_match.c - throughput of gw_text_fold (fast vs slow path) and
 * gw_matcher_scan over a generated ~20 MB text, with 1k/10k/100k generated
 * patterns. Prints MB/s of original text.
 *
 * Build (optimised, no sanitizers):
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o build/bench_match bench/bench_match.c \
 *      processors/text.c processors/match.c processors/common.c $(pkg-config --libs libutf8proc)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "geowire/common.h"
#include "geowire/match.h"
#include "geowire/text.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static const char *const syll[] = {"ka", "ra", "to", "mi", "ne", "su", "lo", "ba", "de", "an",
                                   "or", "ie", "qu", "st", "gh", "yo", "pe", "li", "ma", "un"};
/* Non-ASCII pieces, so a share of the text takes the slow path. */
static const char *const exotic[] = {"caf\xc3\xa9", "T\xc3\xbcrkiye", "Nguy\xe1\xbb\x85n",
                                     "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
                                     "\xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3", "Malaysia\xe2\x80\x99s",
                                     "e\xcc\x81t\xc3\xa9", "Prime\xc2\xa0Minister"};

static size_t make_word_n(char *out, int lo, int span) {
    int n = lo + (int)(rnd() % (unsigned)span);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        const char *s = syll[rnd() % 20];
        memcpy(out + len, s, 2);
        len += 2;
    }
    if (rnd() % 8 == 0) out[0] = (char)(out[0] - 32); /* capitalised */
    return len;
}

static size_t make_word(char *out) { return make_word_n(out, 1, 4); }

int main(int argc, char **argv) {
    size_t target = (argc > 1 ? (size_t)atol(argv[1]) : 20) << 20;
    int exotic_pct = argc > 2 ? atoi(argv[2]) : 3;
    char *text = malloc(target + 64);
    size_t len = 0;
    while (len < target) {
        if ((int)(rnd() % 100) < exotic_pct) {
            const char *e = exotic[rnd() % 8];
            size_t el = strlen(e);
            memcpy(text + len, e, el);
            len += el;
        } else {
            len += make_word(text + len);
        }
        text[len++] = (rnd() % 12 == 0) ? ',' : ' ';
        if (rnd() % 15 == 0) text[len++] = ' ';
    }
    text[len] = 0;
    double mb = (double)len / (1 << 20);
    printf("text: %.1f MB, %d%% non-ASCII words\n", mb, exotic_pct);

    gw_text_t t;
    gw_text_init(&t);
    double t0 = now_s();
    gw_text_fold_slow(&t, text, len);
    double slow = now_s() - t0;
    t0 = now_s();
    gw_text_fold(&t, text, len);
    double fast = now_s() - t0;
    printf("fold fast path: %8.1f MB/s\nfold slow path: %8.1f MB/s\n", mb / fast, mb / slow);

    size_t sizes[] = {1000, 10000, 100000};
    gw_match_t *out = malloc(sizeof(gw_match_t) * 4096);
    for (int s = 0; s < 3; s++) {
        gw_matcher_t *m = gw_matcher_new();
        char buf[64];
        t0 = now_s();
        for (size_t i = 0; gw_matcher_count(m) < sizes[s]; i++) {
            /* Most dictionary names do not occur in a given text: 20% of
             * the patterns are copied from the text (one or two words),
             * the rest are random letter strings. */
            size_t l = 0;
            if (rnd() % 5 == 0) {
                size_t at = rnd() % (len - 64);
                while (at < len && text[at] != ' ') at++;
                at++;
                int words = 1 + (int)(rnd() % 2);
                while (l < 40 && text[at + l] && (text[at + l] != ' ' || --words > 0)) {
                    buf[l] = text[at + l];
                    l++;
                }
            } else {
                int wl = 4 + (int)(rnd() % 7);
                for (int c = 0; c < wl; c++) buf[l++] = (char)('a' + rnd() % 26);
                if (rnd() % 3 == 0) { buf[l++] = ' '; l += make_word(buf + l); }
            }
            if (l < 6) continue; /* short common words would flood every text */
            unsigned flags = (rnd() % 20 == 0) ? GW_MATCH_PREFIX : 0;
            if (rnd() % 50 == 0) flags |= GW_MATCH_CASE;
            gw_matcher_add(m, buf, l, (uint32_t)i, flags);
        }
        gw_matcher_build(m);
        double build = now_s() - t0;
        /* Scan document by document (~4 KB each, as items arrive), on
         * texts folded beforehand so only the scan is timed. */
        size_t n = 0, ntrunc = 0, docs = 0;
        double scan = 0;
        gw_text_t d;
        gw_text_init(&d);
        for (size_t off = 0; off < len;) {
            size_t end = off + 4096 < len ? off + 4096 : len;
            while (end < len && text[end] != ' ') end++;
            gw_text_fold(&d, text + off, end - off);
            int trunc = 0;
            t0 = now_s();
            n += gw_matcher_scan(m, &d, out, 4096, &trunc);
            scan += now_s() - t0;
            ntrunc += (size_t)trunc;
            docs++;
            off = end;
        }
        gw_text_free(&d);
        printf("patterns %6zu: build %.3f s, scan %8.1f MB/s, %zu matches in %zu docs (%zu truncated)\n",
               sizes[s], build, mb / scan, n, docs, ntrunc);
        gw_matcher_free(m);
    }
    free(out);
    gw_text_free(&t);
    free(text);
    return 0;
}
