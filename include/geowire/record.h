/*
 * record.h - one item on its way through the processor chain.
 *
 * Each processor reads what earlier ones wrote and fills its own part; the
 * serialiser turns the whole into the enriched JSON. A record owns all of
 * its memory; gw_record_reset frees per-item data but keeps buffers for the
 * next item, gw_record_free releases everything.
 */
#ifndef GEOWIRE_RECORD_H
#define GEOWIRE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "geowire/common.h"
#include "geowire/match.h"
#include "geowire/officials.h"
#include "geowire/pipeline.h"
#include "geowire/text.h"
#include "geowire/words.h"

enum { GW_FIELD_TITLE = 0, GW_FIELD_BODY = 1, GW_FIELDS = 2 };

typedef struct {
    uint8_t field;
    uint32_t start, end;   /* byte offsets into the field's original value */
} gw_span_t;

/* What the resolver or theme scorer found: a country, person, organisation,
 * bloc or theme, with its evidence. */
typedef enum { GW_HIT_COUNTRY, GW_HIT_PERSON, GW_HIT_ORG, GW_HIT_BLOC, GW_HIT_THEME,
               GW_HIT_OFFICIAL /* index into the record's officials */ } gw_hit_kind_t;

typedef enum { GW_HOW_FULL = 0, GW_HOW_ALIAS, GW_HOW_TITLE_NAME, GW_HOW_SHORT, GW_HOW_TITLE_PATTERN } gw_how_t;

typedef struct {
    gw_hit_kind_t kind;
    uint32_t index;        /* into the dictionary table of its kind */
    int mentions;
    double weight;         /* raw salience (entities) or trigger weight sum (themes) */
    double salience;       /* normalised 0..1 */
    unsigned via;          /* countries: bit set of gw_via_t */
    int how;               /* people/orgs: gw_how_t of the best mention */
    int named;             /* blocs: named in the text */
    int actor;             /* countries: acts or is acted upon */
    gw_span_t *spans;      /* up to limits.max_evidence */
    size_t n_spans;
    size_t cap_spans;      /* internal: spans allocated (kept for the next item) */
} gw_hit_t;

typedef struct {
    uint32_t a, b;         /* country indexes (a < b), or bloc index | GW_PAIR_BLOC */
    int sentences;
} gw_pair_t;
#define GW_PAIR_BLOC 0x80000000u

typedef struct {
    char lang[8];
    int paragraphs;
} gw_lang_count_t;

typedef struct {
    /* limits, copied from the config by the pipeline */
    size_t max_item_bytes, max_matches, max_evidence, max_record_bytes;
    int max_json_depth;
    int64_t ingest_ms;
    int32_t partition;           /* input partition, -1 when not from Kafka */
    const char *key; size_t key_len;
    const char *payload; size_t payload_len;   /* borrowed for the item's run */

    /* parse */
    char *id;
    char *field[GW_FIELDS];      /* title, body: repaired UTF-8, owned */
    size_t field_len[GW_FIELDS];
    char *source, *url, *lang_given;
    char published[40];          /* normalised published_at as written out */
    int32_t day;                 /* the story's date, days since epoch */
    int date_from_ingest;

    /* normalise */
    gw_text_t text[GW_FIELDS];
    gw_words_t words[GW_FIELDS]; /* the words of each folded field */
    char lang[8];
    gw_lang_count_t *langs; size_t n_langs;
    size_t lead_end;             /* end of the body's first paragraph */
    size_t dateline_end;         /* end of a "CITY (AGENCY) -" dateline, or 0 */
    uint32_t *sentences[GW_FIELDS]; size_t n_sentences[GW_FIELDS]; /* sentence start offsets */

    /* match */
    gw_match_t *ematch; size_t n_ematch;  /* entity matches, title then body */
    uint8_t *ematch_field;
    gw_match_t *tmatch; size_t n_tmatch;  /* theme matches */
    uint8_t *tmatch_field;

    /* officials: people and bodies read from titles (officials.h) */
    gw_official_t *officials; size_t n_officials;

    /* resolve, themes */
    gw_hit_t *hits; size_t n_hits;
    size_t cap_hits;             /* internal: hits allocated; their span arrays are reused */
    uint64_t *hit_slot;          /* internal: (kind, index) -> hit, open addressing, 2 * cap_hits
                                    slots of hit_gen << 32 | hit number + 1; other gens are empty */
    uint32_t hit_gen;            /* internal: one per item, so a reset clears no slot */
    gw_pair_t *pairs; size_t n_pairs;

    /* story versions, from the input (parse): see dedup.h */
    struct {
        char *supersedes;        /* id of the story this item replaces, or NULL */
        int64_t version;         /* the `version` field, -1 when absent */
        int withdrawn;           /* `pubstatus` withheld or canceled */
    } story;

    /* dedup (dedup.c): the record's dedup block */
    struct {
        char *cluster, *duplicate_of;    /* owned; duplicate_of NULL unless is_duplicate */
        int is_duplicate;
        int status;                      /* gw_story_status_t (dedup.h) */
    } dedup;

    /* alerts: the rules that fired, as alerts[] elements already written
     * (comma-separated JSON objects). n_alerts tells later stages (dedup)
     * whether this item fired any rule. dedup_suppress_alert, set by the
     * dedup stage before alerts runs, means "this item duplicates a story
     * already alerted": alerts[] is still filled, but no alerts-topic
     * record is emitted. alert_ids[i] is the rule id of the i-th element
     * (borrowed from the loaded rules: valid for the item's run). */
    gw_buf_t alerts;
    int n_alerts;
    const char **alert_ids; size_t cap_alert_ids;
    int dedup_suppress_alert;

    /* warnings, as JSON objects already written: {"code":..,"detail":..} */
    gw_buf_t warnings;
    int n_warnings;

    /* records for other topics (alerts, aggregates): JSON texts packed in
     * emit_data, each located by an emit_ref */
    struct { gw_emit_kind_t kind; size_t off, len; } *emits;
    size_t n_emits, cap_emits;
    gw_buf_t emit_data;

    /* outcome */
    gw_reason_t reason;
    char message[256];
    gw_buf_t out;                /* the serialised record */
} gw_record_t;

void gw_record_init(gw_record_t *r);
void gw_record_reset(gw_record_t *r);
void gw_record_free(gw_record_t *r);

/* Adds a warning; detail is copied and JSON-escaped. */
int gw_record_warn(gw_record_t *r, const char *code, const char *detail, size_t detail_len);
/* Queues a record for another topic (json is copied). GW_ENOMEM on OOM. */
int gw_record_emit(gw_record_t *r, gw_emit_kind_t kind, const char *json, size_t len);
/* Marks the record for the dead-letter topic. Returns GW_EINVAL. */
int gw_record_reject(gw_record_t *r, gw_reason_t reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Finds or adds the hit (kind, index). NULL on OOM. */
gw_hit_t *gw_record_hit(gw_record_t *r, gw_hit_kind_t kind, uint32_t index);
/* Appends a span to a hit, up to max_evidence. */
int gw_record_span(gw_record_t *r, gw_hit_t *h, uint8_t field, uint32_t start, uint32_t end);
/* Index of the sentence containing offset `off` of `field`. */
size_t gw_record_sentence(const gw_record_t *r, int field, uint32_t off);

/* Notes that the rule `rule_id` (the loaded rules' string) fired: the
 * alerts stage calls it once per alerts[] element. GW_OK or GW_ENOMEM. */
int gw_record_alert(gw_record_t *r, const char *rule_id);
/* Calls fn(id, ctx) for the rule id of each alerts[] element the alerts
 * stage wrote, in order (later stages count and remember them). Returns
 * GW_OK or the first non-zero value fn returns. */
int gw_record_each_alert_rule(const gw_record_t *r, int (*fn)(const char *id, void *ctx), void *ctx);

/* Appends s as a JSON string literal (quotes included) to b. */
void gw_json_str(gw_buf_t *b, const char *s, size_t len);

#endif
