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
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int yy, mmo, dd;
    gw_civil_from_days((int32_t)days, &yy, &mmo, &dd);
    *day = (int32_t)days;
    snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02dZ", yy % 10000, mmo, dd, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
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
    int64_t ms = r->ingest_ms;
    int64_t secs = ms / 1000;
    int32_t days = (int32_t)(secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400));
    int64_t rem = secs - (int64_t)days * 86400;
    int y, m, d;
    gw_civil_from_days(days, &y, &m, &d);
    r->day = days;
    r->date_from_ingest = 1;
    snprintf(r->published, sizeof(r->published), "%04d-%02d-%02dT%02d:%02d:%02dZ", y % 10000, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

/* Reads an optional string member; a wrong type is a warning, not a loss. */
static int opt_string(gw_record_t *r, json_t *obj, const char *key, char **dst) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return GW_OK;
    if (!json_is_string(v)) {
        char msg[80];
        int m = snprintf(msg, sizeof(msg), "'%s' is not a string; ignored", key);
        return gw_record_warn(r, "field_ignored", msg, (size_t)m) == GW_ENOMEM ? GW_ENOMEM : GW_OK;
    }
    return take_text(r, key, json_string_value(v), json_string_length(v), dst, NULL);
}

static int text_field(gw_record_t *r, json_t *obj, const char *key, int field) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return GW_OK;
    if (!json_is_string(v))
        return gw_record_reject(r, GW_REASON_INVALID_FIELD, "'%s' must be a string", key);
    return take_text(r, key, json_string_value(v), json_string_length(v), &r->field[field], &r->field_len[field]);
}

static int parse_json(gw_record_t *r, const char *p, size_t n) {
    if (json_depth_exceeds(p, n, r->max_json_depth))
        return gw_record_reject(r, GW_REASON_INVALID_JSON, "JSON nested deeper than %d levels", r->max_json_depth);
    json_error_t jerr;
    json_t *root = json_loadb(p, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root)
        return gw_record_reject(r, GW_REASON_INVALID_JSON, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    int rc = GW_OK;
    if (!json_is_object(root)) {
        rc = gw_record_reject(r, GW_REASON_NOT_OBJECT, "JSON value is %s, not an object",
                              json_is_array(root) ? "an array" : json_is_string(root) ? "a string" : "a scalar");
        goto out;
    }
    if ((rc = text_field(r, root, "title", GW_FIELD_TITLE))) goto out;
    json_t *body = json_object_get(root, "body");
    if ((rc = text_field(r, root, body && !json_is_null(body) ? "body" : "text", GW_FIELD_BODY))) goto out;
    if ((rc = opt_string(r, root, "source", &r->source)) || (rc = opt_string(r, root, "url", &r->url)) ||
        (rc = opt_string(r, root, "lang", &r->lang_given)))
        goto out;
    json_t *id = json_object_get(root, "id");
    if (id && !json_is_null(id)) {
        if (json_is_string(id)) rc = take_text(r, "id", json_string_value(id), json_string_length(id), &r->id, NULL);
        else if (json_is_integer(id)) {
            char num[32];
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
            if (!(r->id = gw_strdup(num))) rc = GW_ENOMEM;
        } else rc = gw_record_reject(r, GW_REASON_INVALID_FIELD, "'id' must be a string or an integer");
        if (rc) goto out;
    }
    json_t *pub = json_object_get(root, "published_at");
    if (pub && !json_is_null(pub)) {
        const char *ps = json_is_string(pub) ? json_string_value(pub) : NULL;
        if (!ps || gw_parse_date(ps, json_string_length(pub), r->published, &r->day) != GW_OK) {
            r->published[0] = '\0';
            const char *shown = ps ? ps : "(not a string)";
            char msg[160];
            int m = snprintf(msg, sizeof(msg), "published_at '%.80s' is not RFC 3339, YYYY-MM-DD, YYYY-MM or YYYY; using ingest time", shown);
            gw_record_warn(r, "published_at_invalid", msg, (size_t)m);
        }
    }
out:
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
