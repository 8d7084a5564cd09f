/*
 * parse.c - turns a raw payload into the item fields of a record.
 *
 * A payload whose first non-blank byte is '{', '[' or '"' is JSON; anything
 * else is plain text (first line title, rest body). Invalid UTF-8 is
 * repaired, not rejected: a wire that mangles one byte should still be
 * tagged, with a warning saying so.
 */
#include "geowire/parse.h"
#include "geowire/common.h"
#include "geowire/text.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* jansson has a fixed nesting limit of its own; ours is configurable and
 * checked before parsing so a 10,000-deep payload costs one linear scan. */
static int json_depth_exceeds(const char *s, size_t n, int max) {
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
        } else if (c == '"') in_str = 1;
        else if (c == '{' || c == '[') {
            if (++depth > max) return 1;
        } else if (c == '}' || c == ']') depth--;
    }
    return 0;
}

/* A 128-bit content hash (two FNV-1a lanes with different offsets) for ids
 * of items that bring none: stable across runs and machines. */
static void content_id(const gw_record_t *r, char out[40]) {
    uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
    const char *parts[4] = {r->field[GW_FIELD_TITLE], r->field[GW_FIELD_BODY], r->url, r->published};
    for (int p = 0; p < 4; p++) {
        const unsigned char *s = (const unsigned char *)(parts[p] ? parts[p] : "");
        for (; *s; s++) {
            h1 = (h1 ^ *s) * 0x100000001b3ULL;
            h2 = (h2 ^ *s) * 0x100000001b3ULL;
            h2 ^= h2 >> 29;
        }
        h1 = (h1 ^ 0x1f) * 0x100000001b3ULL; /* field separator */
        h2 = (h2 ^ 0x1f) * 0x100000001b3ULL;
    }
    snprintf(out, 40, "gw-%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

/* Copies a value, repairing invalid UTF-8 and NULs; warns once per field. */
static int take_text(gw_record_t *r, const char *name, const char *s, size_t n, char **dst,
                     size_t *dst_len) {
    size_t out_len, repairs;
    char *v = gw_utf8_repair(s, n, &out_len, &repairs);
    if (!v) return GW_ENOMEM;
    if (repairs) {
        char msg[96];
        int m = snprintf(msg, sizeof(msg), "%s: %zu invalid UTF-8 sequence(s) replaced with U+FFFD", name, repairs);
        gw_record_warn(r, "utf8_repaired", msg, (size_t)m);
    }
    free(*dst);
    *dst = v;
    if (dst_len) *dst_len = out_len;
    return GW_OK;
}

static int all_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!is_blank(s[i])) return 0;
    return 1;
}

static int two(const char *s) { return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]); }

/* Accepts RFC 3339, YYYY-MM-DD, YYYY-MM and YYYY; writes the normalised
 * form (UTC for timestamps) and the story's UTC day. */
int gw_parse_date(const char *s, size_t n, char out[40], int32_t *day) {
    int y, mo;
    if (n < 4 || !two(s) || !two(s + 2)) return GW_EINVAL;
    y = atoi(s);
    if (y < 1000 || y > 9999) return GW_EINVAL;
    if (n == 4) {
        *day = gw_days_from_civil(y, 1, 1);
        snprintf(out, 40, "%04d", y);
        return GW_OK;
    }
    if (n < 7 || s[4] != '-' || !two(s + 5)) return GW_EINVAL;
    mo = (s[5] - '0') * 10 + (s[6] - '0');
    if (mo < 1 || mo > 12) return GW_EINVAL;
    if (n == 7) {
        *day = gw_days_from_civil(y, mo, 1);
        snprintf(out, 40, "%04d-%02d", y, mo);
        return GW_OK;
    }
    int32_t base;
    if (n < 10 || gw_date_parse(s, 10, &base) != GW_OK) return GW_EINVAL;
    if (n == 10) {
        *day = base;
        snprintf(out, 40, "%.10s", s);
        return GW_OK;
    }
    /* date-time: T or space, hh:mm:ss, optional fraction, Z or +hh:mm */
    if (n < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !two(s + 11) || s[13] != ':' ||
        !two(s + 14) || s[16] != ':' || !two(s + 17))
        return GW_EINVAL;
    int hh = atoi(s + 11), mm = atoi(s + 14), ss = atoi(s + 17);
    if (hh > 23 || mm > 59 || ss > 60) return GW_EINVAL;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        i++;
        size_t f = i;
        while (i < n && isdigit((unsigned char)s[i])) i++;
        if (i == f) return GW_EINVAL;
    }
    int off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) i++;
    else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && two(s + i + 1) && s[i + 3] == ':' && two(s + i + 4)) {
        int oh = atoi(s + i + 1), om = atoi(s + i + 4);
        if (oh > 23 || om > 59) return GW_EINVAL;
        off = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
        i += 6;
    } else return GW_EINVAL;
    if (i != n) return GW_EINVAL;
    int64_t secs = (int64_t)base * 86400 + hh * 3600 + mm * 60 + (ss > 59 ? 59 : ss) - (int64_t)off * 60;
    *day = (int32_t)(secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400));
    gw_time_format(secs * 1000, out); /* years 999-10000: the four digits of y % 10000 */
    return GW_OK;
}

int gw_parse_instant_ms(const char *s, int64_t *ms) {
    size_t n = strlen(s), digits = 0;
    while (digits < n && isdigit((unsigned char)s[digits])) digits++;
    if (digits == n && n > 4 && n < 19) {
        *ms = strtoll(s, NULL, 10);
        return GW_OK;
    }
    char out[40];
    int32_t day;
    if (gw_parse_date(s, n, out, &day) != GW_OK) return GW_EINVAL;
    int64_t secs = (int64_t)day * 86400;
    if (strlen(out) == 20) /* normalised YYYY-MM-DDTHH:MM:SSZ */
        secs += atoi(out + 11) * 3600 + atoi(out + 14) * 60 + atoi(out + 17);
    *ms = secs * 1000;
    return GW_OK;
}

static void date_from_ingest(gw_record_t *r) {
    int64_t secs = r->ingest_ms / 1000;
    r->day = (int32_t)(secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400));
    r->date_from_ingest = 1;
    gw_time_format(r->ingest_ms, r->published);
}

/* The members parse reads, as found by jansson or by the fast scanner. */
enum { K_TITLE, K_BODY, K_TEXT, K_SOURCE, K_URL, K_LANG, K_ID, K_PUBLISHED,
       K_SUPERSEDES, K_VERSION, K_PUBSTATUS, K__COUNT };
static const char *const member_names[K__COUNT] = {"title", "body", "text", "source",
                                                   "url", "lang", "id", "published_at",
                                                   "supersedes", "version", "pubstatus"};

typedef enum { FV_ABSENT = 0, FV_NULL, FV_STRING, FV_INTEGER, FV_OTHER } fv_kind_t;

typedef struct {
    fv_kind_t kind;
    const char *s;      /* FV_STRING: decoded bytes (may hold NUL) */
    size_t len;
    char *own;          /* s when the scanner had to unescape it (freed by the caller) */
    json_int_t i;       /* FV_INTEGER */
} fval_t;

/* Copies a value, repairing invalid UTF-8 and NULs; warns once per field.
 * A value the scanner already unescaped into its own buffer is adopted when
 * there is nothing to repair (it is valid UTF-8 by construction). */
static int take_member(gw_record_t *r, const char *name, fval_t *v, char **dst, size_t *dst_len) {
    if (v->own && !memchr(v->own, '\0', v->len)) {
        free(*dst);
        *dst = v->own;
        v->own = NULL;
        if (dst_len) *dst_len = v->len;
        return GW_OK;
    }
    return take_text(r, name, v->s, v->len, dst, dst_len);
}

/* An optional string member; a wrong type is a warning, not a loss. */
static int opt_string(gw_record_t *r, fval_t *v, const char *key, char **dst) {
    if (v->kind == FV_ABSENT || v->kind == FV_NULL) return GW_OK;
    if (v->kind != FV_STRING) {
        char msg[80];
        int m = snprintf(msg, sizeof(msg), "'%s' is not a string; ignored", key);
        return gw_record_warn(r, "field_ignored", msg, (size_t)m) == GW_ENOMEM ? GW_ENOMEM : GW_OK;
    }
    return take_member(r, key, v, dst, NULL);
}

static int text_field(gw_record_t *r, fval_t *v, const char *key, int field) {
    if (v->kind == FV_ABSENT || v->kind == FV_NULL) return GW_OK;
    if (v->kind != FV_STRING)
        return gw_record_reject(r, GW_REASON_INVALID_FIELD, "'%s' must be a string", key);
    return take_member(r, key, v, &r->field[field], &r->field_len[field]);
}

static int is_str(const fval_t *v, const char *s) { return v->len == strlen(s) && !memcmp(v->s, s, v->len); }

/* Story-version members (README, "Deduplication and story versions"):
 * `supersedes` names the story an item replaces (string or integer, like
 * `id`); `version` is a number or a digit string (ninjs writes "3");
 * `pubstatus` withheld/canceled (ninjs, NewsML-G2) withdraws the story.
 * A wrong type is a field_ignored warning: the item is still tagged. */
static int story_members(gw_record_t *r, fval_t *fv) {
    const char *bad = NULL;
    fval_t *v = &fv[K_SUPERSEDES];
    if (v->kind == FV_INTEGER) {
        char num[32];
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, v->i);
        if (!(r->story.supersedes = gw_strdup(num))) return GW_ENOMEM;
    } else if (v->kind == FV_STRING && v->len) {
        int rc = take_member(r, "supersedes", v, &r->story.supersedes, NULL);
        if (rc) return rc;
    } else if (v->kind == FV_OTHER) bad = "supersedes";
    v = &fv[K_VERSION];
    if (v->kind == FV_INTEGER && v->i >= 0) r->story.version = v->i;
    else if (v->kind == FV_STRING && v->len && v->len < 19 && strspn(v->s, "0123456789") >= v->len)
        r->story.version = strtoll(v->s, NULL, 10);
    else if (v->kind != FV_ABSENT && v->kind != FV_NULL) bad = "version";
    v = &fv[K_PUBSTATUS];
    if (v->kind == FV_STRING) r->story.withdrawn = is_str(v, "withheld") || is_str(v, "canceled");
    else if (v->kind != FV_ABSENT && v->kind != FV_NULL) bad = "pubstatus";
    if (bad) {
        char msg[80];
        int m = snprintf(msg, sizeof(msg), "'%s' has the wrong type or form; ignored", bad);
        if (gw_record_warn(r, "field_ignored", msg, (size_t)m) == GW_ENOMEM) return GW_ENOMEM;
    }
    return GW_OK;
}

/* Fills the record from the members, whichever parser found them. */
static int apply_members(gw_record_t *r, fval_t *fv) {
    int rc;
    if ((rc = text_field(r, &fv[K_TITLE], "title", GW_FIELD_TITLE))) return rc;
    int body = fv[K_BODY].kind != FV_ABSENT && fv[K_BODY].kind != FV_NULL;
    if ((rc = text_field(r, &fv[body ? K_BODY : K_TEXT], body ? "body" : "text", GW_FIELD_BODY))) return rc;
    if ((rc = opt_string(r, &fv[K_SOURCE], "source", &r->source)) ||
        (rc = opt_string(r, &fv[K_URL], "url", &r->url)) ||
        (rc = opt_string(r, &fv[K_LANG], "lang", &r->lang_given)))
        return rc;
    fval_t *id = &fv[K_ID];
    if (id->kind == FV_STRING) {
        if ((rc = take_member(r, "id", id, &r->id, NULL))) return rc;
    } else if (id->kind == FV_INTEGER) {
        char num[32];
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, id->i);
        if (!(r->id = gw_strdup(num))) return GW_ENOMEM;
    } else if (id->kind == FV_OTHER) {
        return gw_record_reject(r, GW_REASON_INVALID_FIELD, "'id' must be a string or an integer");
    }
    if ((rc = story_members(r, fv))) return rc;
    fval_t *pub = &fv[K_PUBLISHED];
    if (pub->kind != FV_ABSENT && pub->kind != FV_NULL) {
        const char *ps = pub->kind == FV_STRING ? pub->s : NULL;
        if (!ps || gw_parse_date(ps, pub->len, r->published, &r->day) != GW_OK) {
            r->published[0] = '\0';
            /* the value up to a NUL, at most 80 bytes (the scanner's strings
             * are not NUL-terminated) */
            const char *shown = ps ? ps : "(not a string)";
            size_t sl = ps ? pub->len : strlen(shown);
            const char *nul = memchr(shown, '\0', sl);
            if (nul) sl = (size_t)(nul - shown);
            char msg[160];
            int m = snprintf(msg, sizeof(msg), "published_at '%.*s' is not RFC 3339, YYYY-MM-DD, YYYY-MM or YYYY; using ingest time",
                             (int)(sl < 80 ? sl : 80), shown);
            gw_record_warn(r, "published_at_invalid", msg, (size_t)m);
        }
    }
    return GW_OK;
}

/* ---- the fast scanner ----------------------------------------------------
 * Most items are one flat object of strings, integers and literals. This
 * scanner reads exactly that shape in one pass, without building a tree or
 * allocating per member. Whatever it does not take on (nesting, reals,
 * escaped keys, more than 64 members, and anything invalid) returns 0 and
 * the item goes through jansson, which gives the same members or the
 * error message. The scanner therefore accepts only JSON that jansson
 * accepts with the same flags (duplicate keys, raw control characters and
 * lone surrogates are left to jansson to refuse), and tests compare the
 * two over valid and invalid payloads. */

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
}

static int hex4(const char *p, const char *end, unsigned *out) {
    if (end - p < 4) return 0;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0) return 0;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 1;
}

/* Scans a string starting after its opening quote; *p ends after the
 * closing quote. With `out`, unescapes into a new buffer (owned by out).
 * Returns 0 when jansson must decide. */
static int scan_string(const char **pp, const char *end, const char **s, size_t *len, int *escaped) {
    const char *p = *pp;
    *s = p;
    *escaped = 0;
    while (p < end) {
        /* eight bytes at a time while none is a quote, a backslash or a
         * control character: most of an item is such runs */
        while (end - p >= 8 && !gw_swar_any_json_special(gw_load8(p))) p += 8;
        if (p == end) break;
        unsigned char c = (unsigned char)*p;
        if (c == '"') { *len = (size_t)(p - *s); *pp = p + 1; return 1; }
        if (c < 0x20) return 0;
        if (c == '\\') {
            *escaped = 1;
            if (++p >= end) return 0;
            char e = *p;
            if (e == 'u') {
                unsigned u;
                if (!hex4(p + 1, end, &u)) return 0;
                p += 4;
                if (u >= 0xDC00 && u <= 0xDFFF) return 0;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned lo;
                    if (end - p < 7 || p[1] != '\\' || p[2] != 'u' || !hex4(p + 3, end, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return 0;
                    p += 6;
                }
            } else if (!strchr("\"\\/bfnrt", e) || !e) {
                return 0;
            }
        }
        p++;
    }
    return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unescapes a string scan_string accepted. Returns NULL on OOM. The text
 * between escapes is copied a run at a time. */
static char *unescape(const char *s, size_t n, size_t *out_len) {
    char *o = gw_malloc(n + 1), *w = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        memcpy(w, s + i, run);
        w += run;
        if (!bs) break;
        i += run;
        char e = s[++i];
        switch (e) {
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned u, lo;
            hex4(s + i + 1, s + n, &u);
            i += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                hex4(s + i + 3, s + n, &lo);
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            w += put_utf8(w, u);
            break;
        }
        default: *w++ = e; /* " \ / */
        }
    }
    *w = '\0';
    *out_len = (size_t)(w - o);
    return o;
}

static int literal(const char **pp, const char *end, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(end - *pp) < n || memcmp(*pp, word, n)) return 0;
    *pp += n;
    return 1;
}

/* Returns 1 with fv filled, 0 for "ask jansson", GW_ENOMEM. */
static int fast_scan(const char *p, size_t n, fval_t *fv) {
    const char *end = p + n, *keys[64];
    size_t klen[64], nkeys = 0;
    while (p < end && is_ws(*p)) p++;
    if (p == end || *p++ != '{') return 0;
    while (p < end && is_ws(*p)) p++;
    if (p < end && *p == '}') p++;
    else for (;;) {
        const char *k, *v;
        size_t kl, vl;
        int esc;
        if (p == end || *p++ != '"' || !scan_string(&p, end, &k, &kl, &esc) || esc) return 0;
        for (size_t j = 0; j < nkeys; j++)
            if (klen[j] == kl && !memcmp(keys[j], k, kl)) return 0;
        if (nkeys == 64) return 0;
        keys[nkeys] = k;
        klen[nkeys++] = kl;
        int which = -1;
        for (int j = 0; j < K__COUNT; j++)
            if (strlen(member_names[j]) == kl && !memcmp(member_names[j], k, kl)) which = j;
        while (p < end && is_ws(*p)) p++;
        if (p == end || *p++ != ':') return 0;
        while (p < end && is_ws(*p)) p++;
        if (p == end) return 0;
        fval_t tmp, *f = which >= 0 ? &fv[which] : &tmp;
        if (*p == '"') {
            p++;
            if (!scan_string(&p, end, &v, &vl, &esc)) return 0;
            f->kind = FV_STRING;
            f->s = v;
            f->len = vl;
            if (esc && which >= 0) {
                if (!(f->own = unescape(v, vl, &f->len))) return GW_ENOMEM;
                f->s = f->own;
            }
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            const char *d = p + (*p == '-');
            const char *q = d;
            while (q < end && *q >= '0' && *q <= '9') q++;
            /* leading zeros, reals and integers that might not fit: jansson */
            if (q == d || q - d > 18 || (*d == '0' && q - d > 1)) return 0;
            if (q < end && (*q == '.' || *q == 'e' || *q == 'E')) return 0;
            /* At most 18 digits: no overflow. Not strtoll: the payload need
             * not end with a NUL, and digits may run to its last byte. */
            int64_t num = 0;
            for (const char *dg = d; dg < q; dg++) num = num * 10 + (*dg - '0');
            f->kind = FV_INTEGER;
            f->i = *p == '-' ? -num : num;
            p = q;
        } else if (literal(&p, end, "null")) {
            f->kind = FV_NULL;
        } else if (literal(&p, end, "true") || literal(&p, end, "false")) {
            f->kind = FV_OTHER;
        } else {
            return 0; /* arrays, objects, anything else */
        }
        while (p < end && is_ws(*p)) p++;
        if (p == end) return 0;
        if (*p == ',') { p++; while (p < end && is_ws(*p)) p++; continue; }
        if (*p++ != '}') return 0;
        break;
    }
    while (p < end && is_ws(*p)) p++;
    return p == end;
}

static void clear_members(fval_t *fv) {
    for (int k = 0; k < K__COUNT; k++) free(fv[k].own);
    memset(fv, 0, K__COUNT * sizeof(*fv));
}

/* The flat scanner first: what it accepts is one object of scalars, depth 1,
 * under any max_json_depth (at least 2), so only what goes on to jansson
 * needs the depth scan. */
static int parse_json(gw_record_t *r, const char *p, size_t n) {
    fval_t fv[K__COUNT];
    memset(fv, 0, sizeof(fv));
    int fast = fast_scan(p, n, fv);
    if (fast == GW_ENOMEM) { clear_members(fv); return GW_ENOMEM; }
    if (fast == 1) {
        int rc = apply_members(r, fv);
        clear_members(fv);
        return rc;
    }
    clear_members(fv);
    if (json_depth_exceeds(p, n, r->max_json_depth))
        return gw_record_reject(r, GW_REASON_INVALID_JSON, "JSON nested deeper than %d levels", r->max_json_depth);
    /* jansson allocates through geowire's allocator, so injected failures
     * (gw_alloc_fail_after) reach the parser too, and an out-of-memory parse
     * is an internal failure, not invalid JSON. jansson 2.14 reports most
     * failed allocations as syntax errors, and its lexer ignores a failed
     * append (a string silently loses a byte: test_allocfail.c), so the
     * allocator's failure count decides, success or not. The setting is
     * process-wide; setting it on every parse costs two stores and needs no
     * init call to forget. */
    json_set_alloc_funcs(gw_malloc, free);
    unsigned long failures = gw_alloc_failures();
    json_error_t jerr;
    json_t *root = json_loadb(p, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (gw_alloc_failures() != failures) {
        json_decref(root);
        return GW_ENOMEM;
    }
    if (!root)
        return gw_record_reject(r, GW_REASON_INVALID_JSON, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    int rc;
    if (!json_is_object(root)) {
        rc = gw_record_reject(r, GW_REASON_NOT_OBJECT, "JSON value is %s, not an object",
                              json_is_array(root) ? "an array" : json_is_string(root) ? "a string" : "a scalar");
    } else {
        for (int k = 0; k < K__COUNT; k++) {
            json_t *v = json_object_get(root, member_names[k]);
            if (!v) continue;
            if (json_is_null(v)) fv[k].kind = FV_NULL;
            else if (json_is_string(v)) {
                fv[k].kind = FV_STRING;
                fv[k].s = json_string_value(v);
                fv[k].len = json_string_length(v);
            } else if (json_is_integer(v)) {
                fv[k].kind = FV_INTEGER;
                fv[k].i = json_integer_value(v);
            } else fv[k].kind = FV_OTHER;
        }
        rc = apply_members(r, fv);
    }
    json_decref(root);
    return rc;
}

static int parse_text(gw_record_t *r, const char *p, size_t n) {
    while (n && is_blank(*p)) { p++; n--; }
    const char *nl = memchr(p, '\n', n);
    size_t tl = nl ? (size_t)(nl - p) : n;
    size_t t_end = tl;
    while (t_end && is_blank(p[t_end - 1])) t_end--;
    int rc = take_text(r, "title", p, t_end, &r->field[GW_FIELD_TITLE], &r->field_len[GW_FIELD_TITLE]);
    if (rc == GW_OK && nl)
        rc = take_text(r, "body", nl + 1, n - tl - 1, &r->field[GW_FIELD_BODY], &r->field_len[GW_FIELD_BODY]);
    return rc;
}

int gw_parse_run(gw_record_t *r, const gw_env_t *env) {
    (void)env;
    const char *payload = r->payload;
    size_t len = r->payload_len;
    if (len > r->max_item_bytes)
        return gw_record_reject(r, GW_REASON_TOO_LARGE, "payload of %zu bytes exceeds max_item_bytes %zu", len, r->max_item_bytes);
    size_t i = 0;
    while (i < len && is_blank(payload[i])) i++;
    if (i == len) return gw_record_reject(r, GW_REASON_EMPTY, "payload is empty or blank");
    char c = payload[i];
    int rc;
    if (c == '{' || c == '[' || c == '"') {
        /* jansson refuses invalid UTF-8 outright; repair first so one bad
         * byte in a body does not cost the whole item. */
        if (gw_utf8_valid(payload, len) && !memchr(payload, '\0', len)) {
            rc = parse_json(r, payload, len); /* nothing to repair: no copy */
        } else {
            size_t fixed_len, repairs;
            char *fixed = gw_utf8_repair(payload, len, &fixed_len, &repairs);
            if (!fixed) return GW_ENOMEM;
            if (repairs) {
                char msg[96];
                int m = snprintf(msg, sizeof(msg), "payload: %zu invalid UTF-8 sequence(s) replaced with U+FFFD", repairs);
                gw_record_warn(r, "utf8_repaired", msg, (size_t)m);
            }
            rc = parse_json(r, fixed, fixed_len);
            free(fixed);
        }
    } else {
        rc = parse_text(r, payload, len);
    }
    if (rc != GW_OK) return rc;
    for (int f = 0; f < GW_FIELDS; f++)
        if (r->field[f] && all_blank(r->field[f], r->field_len[f])) {
            free(r->field[f]);
            r->field[f] = NULL;
            r->field_len[f] = 0;
        }
    if (!r->field[GW_FIELD_TITLE] && !r->field[GW_FIELD_BODY])
        return gw_record_reject(r, GW_REASON_NO_TEXT, "item has neither a title nor a body");
    for (int f = 0; f < GW_FIELDS; f++)
        if (!r->field[f] && !(r->field[f] = gw_strdup(""))) return GW_ENOMEM;
    if (!r->id) { /* before the ingest-time fallback: ids must not depend on it */
        char id[40];
        content_id(r, id);
        if (!(r->id = gw_strdup(id))) return GW_ENOMEM;
    }
    if (!r->published[0]) date_from_ingest(r);
    return GW_OK;
}
