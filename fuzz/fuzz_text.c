/*
 * fuzz_text.c - UTF-8 repair, Unicode folding and the offset map
 * (processors/text.c).
 *
 * Invariants: repair yields valid UTF-8 without NULs and leaves valid input
 * untouched; the folded text is valid UTF-8; the map has fold_len+1
 * non-decreasing entries, each on a character boundary of the original,
 * ending at orig_len; the ASCII fast path equals the library path byte for
 * byte; gw_text_span maps any folded span to whole characters inside the
 * original.
 */
#include "fuzz.h"
#include "geowire/common.h"
#include "geowire/text.h"

#include <stdlib.h>
#include <string.h>

static int boundary(const char *s, size_t len, size_t off) {
    return off == len || ((unsigned char)s[off] & 0xC0) != 0x80;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *in = (const char *)data;
    size_t len, repairs;
    char *s = gw_utf8_repair(in, size, &len, &repairs);
    GWF_CHECK(s, "repair failed");
    GWF_CHECK(gw_utf8_valid(s, len) && !memchr(s, '\0', len), "repair left invalid UTF-8 or a NUL");
    GWF_CHECK(s[len] == '\0', "repair result not terminated");
    if (gw_utf8_valid(in, size) && !memchr(in, '\0', size))
        GWF_CHECK(repairs == 0 && len == size && !memcmp(s, in, size), "repair changed valid text");
    else
        GWF_CHECK(repairs > 0, "invalid input repaired with no repair counted");

    gw_text_t fast, slow;
    gw_text_init(&fast);
    gw_text_init(&slow);
    GWF_CHECK(gw_text_fold(&fast, s, len) == GW_OK, "fold failed");
    GWF_CHECK(gw_text_fold_slow(&slow, s, len) == GW_OK, "slow fold failed");
    GWF_CHECK(fast.fold_len == slow.fold_len && !memcmp(fast.fold, slow.fold, fast.fold_len) &&
                  !memcmp(fast.map, slow.map, (fast.fold_len + 1) * sizeof(*fast.map)) &&
                  fast.n_starts == slow.n_starts &&
                  !memcmp(fast.starts, slow.starts, fast.n_starts * sizeof(*fast.starts)),
              "fast and library paths differ");
    GWF_CHECK(gw_utf8_valid(fast.fold, fast.fold_len), "folded text is not valid UTF-8");
    GWF_CHECK(fast.fold[fast.fold_len] == '\0', "folded text not terminated");
    GWF_CHECK(fast.map[fast.fold_len] == len, "map end %u != %zu", fast.map[fast.fold_len], len);
    for (size_t i = 0; i < fast.fold_len; i++) {
        GWF_CHECK(fast.map[i] <= fast.map[i + 1], "map decreases at %zu", i);
        GWF_CHECK(fast.map[i] < len && boundary(s, len, fast.map[i]), "map[%zu]=%u off a character", i,
                  fast.map[i]);
    }
    /* Spans between every pair of folded character starts would be
     * quadratic; a handful spread over the text is enough per input. */
    for (size_t k = 0; fast.fold_len && k < 16; k++) {
        size_t a = (k * 7919) % (fast.fold_len + 1), b = a + (k * 104729) % (fast.fold_len + 1 - a);
        uint32_t ss, se;
        gw_text_span(&fast, a, b, &ss, &se);
        GWF_CHECK(ss <= se && se <= len, "span [%zu,%zu) -> [%u,%u) outside %zu", a, b, ss, se, len);
        GWF_CHECK(boundary(s, len, ss) && boundary(s, len, se), "span [%u,%u) splits a character", ss, se);
    }
    gw_text_free(&fast);
    gw_text_free(&slow);
    free(s);
    return 0;
}
