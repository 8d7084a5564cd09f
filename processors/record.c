/*
 * record.c - lifetime and small helpers of gw_record_t.
 */
#include "geowire/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gw_record_init(gw_record_t *r) {
    memset(r, 0, sizeof(*r));
    for (int f = 0; f < GW_FIELDS; f++) gw_text_init(&r->text[f]);
    gw_buf_init(&r->warnings);
    gw_buf_init(&r->alerts);
    gw_buf_init(&r->out);
    gw_buf_init(&r->emit_data);
    r->story.version = -1;
}

static void free_hits(gw_record_t *r) {
    for (size_t i = 0; i < r->cap_hits; i++) free(r->hits[i].spans);
    free(r->hits);
    free(r->hit_slot);
    r->hits = NULL;
    r->hit_slot = NULL;
    r->n_hits = r->cap_hits = 0;
}

void gw_record_reset(gw_record_t *r) {
    free(r->id);
    for (int f = 0; f < GW_FIELDS; f++) {
        free(r->field[f]);
        r->field[f] = NULL;
        r->field_len[f] = 0;
        free(r->sentences[f]);
        r->sentences[f] = NULL;
        r->n_sentences[f] = 0;
    }
    free(r->source);
    free(r->url);
    free(r->lang_given);
    free(r->langs);
    free(r->ematch);
    free(r->ematch_field);
    free(r->tmatch);
    free(r->tmatch_field);
    free(r->pairs);
    r->n_hits = 0; /* hits and their spans keep their memory for the next item */
    if (++r->hit_gen == 0) { /* after 2^32 items: stale slots could look current */
        if (r->hit_slot) memset(r->hit_slot, 0, 2 * r->cap_hits * sizeof(*r->hit_slot));
        r->hit_gen = 1;
    }
    gw_officials_clear(r->officials, r->n_officials);
    free(r->officials);
    r->officials = NULL;
    r->n_officials = 0;
    r->id = r->source = r->url = r->lang_given = NULL;
    r->langs = NULL;
    r->n_langs = 0;
    r->ematch = r->tmatch = NULL;
    r->ematch_field = r->tmatch_field = NULL;
    r->n_ematch = r->n_tmatch = 0;
    r->pairs = NULL;
    r->n_pairs = 0;
    free(r->story.supersedes);
    free(r->dedup.cluster);
    free(r->dedup.duplicate_of);
    memset(&r->story, 0, sizeof(r->story));
    r->story.version = -1;
    memset(&r->dedup, 0, sizeof(r->dedup));
    r->dedup_suppress_alert = 0;
    r->published[0] = '\0';
    r->lang[0] = '\0';
    r->day = 0;
    r->date_from_ingest = 0;
    r->lead_end = r->dateline_end = 0;
    gw_buf_reset(&r->warnings);
    r->n_warnings = 0;
    gw_buf_reset(&r->alerts);
    r->n_alerts = 0;
    r->dedup_suppress_alert = 0;
    r->reason = GW_REASON_NONE;
    r->message[0] = '\0';
    gw_buf_reset(&r->out);
    r->n_emits = 0;
    gw_buf_reset(&r->emit_data);
}

void gw_record_free(gw_record_t *r) {
    gw_record_reset(r);
    free_hits(r);
    for (int f = 0; f < GW_FIELDS; f++) {
        gw_text_free(&r->text[f]);
        gw_words_free(&r->words[f]);
    }
    gw_buf_free(&r->warnings);
    gw_buf_free(&r->alerts);
    gw_buf_free(&r->out);
    gw_buf_free(&r->emit_data);
    free(r->emits);
    r->emits = NULL;
    r->cap_emits = 0;
    free(r->alert_ids);
    r->alert_ids = NULL;
    r->cap_alert_ids = 0;
}

int gw_record_emit(gw_record_t *r, gw_emit_kind_t kind, const char *json, size_t len) {
    if (r->n_emits == r->cap_emits) {
        size_t cap = r->cap_emits ? r->cap_emits * 2 : 4;
        void *n = gw_realloc(r->emits, cap * sizeof(*r->emits));
        if (!n) return GW_ENOMEM;
        r->emits = n;
        r->cap_emits = cap;
    }
    size_t off = r->emit_data.len;
    if (gw_buf_append(&r->emit_data, json, len) != GW_OK) return GW_ENOMEM;
    r->emits[r->n_emits].kind = kind;
    r->emits[r->n_emits].off = off;
    r->emits[r->n_emits].len = len;
    r->n_emits++;
    return GW_OK;
}

/* Invalid UTF-8 becomes U+FFFD here, whatever the caller passed: a
 * message cut with "%.80s" can split a character of the item's text, and a
 * record must stay valid JSON text (found by fuzz/fuzz_pipeline.c).
 * Runs of plain ASCII are skipped eight bytes at a time and copied with the
 * rest of their run: a record's strings are mostly such runs, and a test
 * per byte was most of this function's cost. */
void gw_json_str(gw_buf_t *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    gw_buf_reserve(b, len + 2);
    gw_buf_putc(b, '"');
    size_t run = 0, i = 0;
    while (i < len) {
        while (i + 8 <= len) {
            uint64_t x = gw_load8(s + i);
            if (gw_swar_any_high(x) || gw_swar_any_json_special(x)) break;
            i += 8;
        }
        if (i == len) break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            int32_t cp;
            int n = gw_utf8_decode_wide(s, len, i, &cp);
            if (cp >= 0) { i += (size_t)n; continue; }
            gw_buf_append(b, s + run, i - run);
            gw_buf_append(b, "\xEF\xBF\xBD", 3);
            run = ++i;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') { i++; continue; }
        gw_buf_append(b, s + run, i - run);
        run = ++i;
        switch (c) {
        case '"': gw_buf_append(b, "\\\"", 2); break;
        case '\\': gw_buf_append(b, "\\\\", 2); break;
        case '\n': gw_buf_append(b, "\\n", 2); break;
        case '\r': gw_buf_append(b, "\\r", 2); break;
        case '\t': gw_buf_append(b, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            gw_buf_append(b, u, 6);
        }
        }
    }
    gw_buf_append(b, s + run, len - run);
    gw_buf_putc(b, '"');
}

int gw_record_warn(gw_record_t *r, const char *code, const char *detail, size_t detail_len) {
    if (r->n_warnings >= 64) return GW_ELIMIT; /* a hostile item must not grow the record */
    if (r->n_warnings++) gw_buf_putc(&r->warnings, ',');
    gw_buf_printf(&r->warnings, "{\"code\":\"%s\",\"detail\":", code);
    gw_json_str(&r->warnings, detail, detail_len > 200 ? 200 : detail_len);
    gw_buf_putc(&r->warnings, '}');
    return r->warnings.oom ? GW_ENOMEM : GW_OK;
}

int gw_record_reject(gw_record_t *r, gw_reason_t reason, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    r->reason = reason;
    return GW_EINVAL;
}

/* The slot where (kind, index) is, or the empty one where it goes. */
static uint64_t *hit_slot(const gw_record_t *r, gw_hit_kind_t kind, uint32_t index) {
    size_t mask = 2 * r->cap_hits - 1;
    size_t i = ((uint32_t)kind * 0x9E3779B1u ^ index * 0x85EBCA77u) & mask;
    for (;; i = (i + 1) & mask) {
        uint64_t s = r->hit_slot[i];
        if (s >> 32 != r->hit_gen) return &r->hit_slot[i];
        const gw_hit_t *h = &r->hits[(uint32_t)s - 1];
        if (h->kind == kind && h->index == index) return &r->hit_slot[i];
    }
}

/* Every stage asks for the hit of an entity once per match: a table finds
 * it (the list was walked from the start each time). Hits stay in the
 * order they were first asked for. */
gw_hit_t *gw_record_hit(gw_record_t *r, gw_hit_kind_t kind, uint32_t index) {
    if (r->cap_hits) {
        uint64_t s = *hit_slot(r, kind, index);
        if (s >> 32 == r->hit_gen) return &r->hits[(uint32_t)s - 1];
    }
    if (r->n_hits == r->cap_hits) {
        size_t cap = r->cap_hits ? r->cap_hits * 2 : 16;
        uint64_t *ns = gw_calloc(2 * cap, sizeof(*ns));
        if (!ns) return NULL;
        gw_hit_t *nh = gw_realloc(r->hits, cap * sizeof(*nh));
        if (!nh) { free(ns); return NULL; }
        memset(nh + r->cap_hits, 0, (cap - r->cap_hits) * sizeof(*nh));
        r->hits = nh;
        r->cap_hits = cap;
        free(r->hit_slot);
        r->hit_slot = ns;
        if (!r->hit_gen) r->hit_gen = 1;
        for (size_t i = 0; i < r->n_hits; i++)
            *hit_slot(r, r->hits[i].kind, r->hits[i].index) = (uint64_t)r->hit_gen << 32 | (i + 1);
    }
    *hit_slot(r, kind, index) = (uint64_t)r->hit_gen << 32 | (r->n_hits + 1);
    gw_hit_t *h = &r->hits[r->n_hits++];
    gw_span_t *spans = h->spans; /* an earlier item's, reused */
    size_t cap_spans = h->cap_spans;
    *h = (gw_hit_t){.kind = kind, .index = index, .how = GW_HOW_SHORT, .spans = spans, .cap_spans = cap_spans};
    return h;
}

int gw_record_span(gw_record_t *r, gw_hit_t *h, uint8_t field, uint32_t start, uint32_t end) {
    if (h->n_spans >= r->max_evidence) return GW_OK;
    if (h->n_spans == h->cap_spans) {
        size_t cap = h->cap_spans ? h->cap_spans * 2 : 4;
        gw_span_t *ns = gw_realloc(h->spans, cap * sizeof(*ns));
        if (!ns) return GW_ENOMEM;
        h->spans = ns;
        h->cap_spans = cap;
    }
    h->spans[h->n_spans++] = (gw_span_t){.field = field, .start = start, .end = end};
    return GW_OK;
}

size_t gw_record_sentence(const gw_record_t *r, int field, uint32_t off) {
    const uint32_t *s = r->sentences[field];
    size_t lo = 0, hi = r->n_sentences[field];
    while (lo < hi) { /* last start <= off */
        size_t mid = (lo + hi) / 2;
        if (s[mid] <= off) lo = mid + 1;
        else hi = mid;
    }
    return lo ? lo - 1 : 0;
}

int gw_record_alert(gw_record_t *r, const char *rule_id) {
    if ((size_t)r->n_alerts == r->cap_alert_ids) {
        size_t cap = r->cap_alert_ids ? r->cap_alert_ids * 2 : 8;
        const char **n = gw_realloc(r->alert_ids, cap * sizeof(*n));
        if (!n) return GW_ENOMEM;
        r->alert_ids = n;
        r->cap_alert_ids = cap;
    }
    r->alert_ids[r->n_alerts++] = rule_id;
    return GW_OK;
}

int gw_record_each_alert_rule(const gw_record_t *r, int (*fn)(const char *id, void *ctx), void *ctx) {
    int rc = GW_OK;
    for (int i = 0; i < r->n_alerts && rc == GW_OK; i++) rc = fn(r->alert_ids[i], ctx);
    return rc;
}
