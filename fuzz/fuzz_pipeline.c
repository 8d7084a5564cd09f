/*
 * fuzz_pipeline.c - the whole processor chain over the shipped config and
 * dictionaries: parse (JSON and plain text), normalise, scan, resolve,
 * themes, serialise, and whatever stages pipeline.c adds.
 *
 * Two corpora drive it (make fuzz): fuzz/corpus/pipeline (JSON and text
 * payloads, with a JSON token dictionary) and fuzz/corpus/resolve (plain
 * news text, with a dictionary of the shipped names, so the resolver's
 * ambiguity and short-name rules see real names in odd company).
 *
 * Invariants: every payload gets a verdict; a record is valid UTF-8, parses,
 * is no larger than limits.max_record_bytes and its spans lie inside the
 * parsed fields on character boundaries; emitted records parse; a
 * dead-letter verdict carries a known reason and a message.
 */
#include "fuzz.h"
#include "geowire/common.h"
#include "geowire/config.h"
#include "geowire/pipeline.h"
#include "geowire/processor.h"
#include "geowire/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gw_config_t *cfg;
static gw_pipeline_t *pipe;
static gw_record_t fields; /* the parse stage alone, to learn the field texts */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    char err[GW_ERRLEN] = "";
    if (!(cfg = gw_config_load("config/geowire.yaml", err, sizeof err)) ||
        !(pipe = gw_pipeline_new(cfg, err, sizeof err))) {
        fprintf(stderr, "fuzz_pipeline: %s (run from the repository root)\n", err);
        exit(1);
    }
    gw_record_init(&fields);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *payload = (const char *)data;
    gw_input_meta_t meta = {.key = NULL, .key_len = 0, .ingest_ms = 1741564800000LL};
    gw_result_t res;
    int rc = gw_pipeline_process(pipe, payload, size, &meta, &res);
    GWF_CHECK(rc == GW_OK, "gw_pipeline_process returned %d", rc);
    GWF_CHECK(res.reason < GW_REASON__COUNT, "reason %d", (int)res.reason);

    gw_record_reset(&fields);
    fields.max_item_bytes = cfg->limits.max_item_bytes;
    fields.max_json_depth = cfg->limits.max_json_depth;
    fields.ingest_ms = meta.ingest_ms;
    fields.payload = payload;
    fields.payload_len = size;
    int prc = gw_parse_run(&fields, NULL);
    fields.payload = NULL;

    if (res.reason == GW_REASON_NONE) {
        GWF_CHECK(prc == GW_OK, "the chain accepted what parse rejects");
        GWF_CHECK(res.record && res.record_len, "accepted item without a record");
        GWF_CHECK(res.record_len <= cfg->limits.max_record_bytes, "record of %zu bytes over the limit",
                  res.record_len);
        gwf_check_record(res.record, res.record_len, fields.field[GW_FIELD_TITLE],
                         fields.field_len[GW_FIELD_TITLE], fields.field[GW_FIELD_BODY],
                         fields.field_len[GW_FIELD_BODY]);
    } else {
        GWF_CHECK(!res.record, "a dead-lettered item kept a record");
        GWF_CHECK(res.message[0], "dead letter without a message (%s)", gw_reason_name(res.reason));
        GWF_CHECK(res.reason != GW_REASON_INTERNAL, "internal error without injected failure: %s",
                  res.message);
    }
    for (size_t i = 0; i < res.n_emits; i++) gwf_check_json_object(res.emits[i].data, res.emits[i].len);
    gw_result_clear(&res);
    return 0;
}
