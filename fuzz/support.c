/*
 * support.c - see fuzz.h.
 */
#include "fuzz.h"
#include "geowire/text.h"

#include <ftw.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gwf_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
    fprintf(stderr, "%s:%d: invariant broken: %s: ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static int on_boundary(const char *s, size_t len, size_t off) {
    return off == len || ((unsigned char)s[off] & 0xC0) != 0x80;
}

/* Any object with field/start/end members is a span, wherever the schema
 * puts it (countries, actors, themes' evidence, stages added later). */
static void check_spans(json_t *v, const char *title, size_t title_len, const char *body,
                        size_t body_len) {
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) check_spans(e, title, title_len, body, body_len);
        return;
    }
    if (!json_is_object(v)) return;
    json_t *f = json_object_get(v, "field"), *s = json_object_get(v, "start"),
           *e = json_object_get(v, "end");
    if (json_is_string(f) && s && e) {
        GWF_CHECK(json_is_integer(s) && json_is_integer(e), "span offsets must be integers");
        json_int_t a = json_integer_value(s), b = json_integer_value(e);
        const char *fn = json_string_value(f);
        int is_title = !strcmp(fn, "title");
        GWF_CHECK(is_title || !strcmp(fn, "body"), "span field '%s'", fn);
        const char *txt = is_title ? title : body;
        size_t n = is_title ? title_len : body_len;
        GWF_CHECK(0 <= a && a <= b && (size_t)b <= n, "span %s [%lld,%lld) outside 0..%zu", fn,
                  (long long)a, (long long)b, n);
        if (txt)
            GWF_CHECK(on_boundary(txt, n, (size_t)a) && on_boundary(txt, n, (size_t)b),
                      "span %s [%lld,%lld) splits a character", fn, (long long)a, (long long)b);
    }
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m) check_spans(m, title, title_len, body, body_len);
}

static json_t *parse_object(const char *s, size_t len) {
    GWF_CHECK(gw_utf8_valid(s, len), "output is not valid UTF-8");
    GWF_CHECK(!memchr(s, '\0', len), "output holds a NUL byte");
    json_error_t je;
    json_t *root = json_loadb(s, len, 0, &je);
    GWF_CHECK(root, "output does not parse: %s (line %d col %d)", je.text, je.line, je.column);
    GWF_CHECK(json_is_object(root), "output is not an object");
    return root;
}

void gwf_check_record(const char *rec, size_t len, const char *title, size_t title_len,
                      const char *body, size_t body_len) {
    json_t *root = parse_object(rec, len);
    const char *schema = json_string_value(json_object_get(root, "schema"));
    GWF_CHECK(schema && !strcmp(schema, "geowire.record.v1"), "schema key");
    GWF_CHECK(json_is_string(json_object_get(root, "id")), "record without a string id");
    check_spans(root, title, title_len, body, body_len);
    json_decref(root);
}

void gwf_check_json_object(const char *s, size_t len) { json_decref(parse_object(s, len)); }

static char scratch[256];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void rm_scratch(void) {
    if (scratch[0]) nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *gwf_scratch_dir(void) {
    if (!scratch[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch, sizeof(scratch), "%s/gwfuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(scratch)) { perror("mkdtemp"); abort(); }
        atexit(rm_scratch);
    }
    return scratch;
}

const char *gwf_write_file(const char *name, const uint8_t *data, size_t len) {
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", gwf_scratch_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f)) { perror(path); abort(); }
    return path;
}
