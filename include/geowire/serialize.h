/*
 * serialize.h - the enriched record's JSON form (processor: gw_serialize_run).
 */
#ifndef GEOWIRE_SERIALIZE_H
#define GEOWIRE_SERIALIZE_H

#include "geowire/common.h"
#include "geowire/dict.h"

/* The record schema's name and version; additive changes keep it, any
 * other change bumps it (README, "Record schema"). */
#define GW_RECORD_SCHEMA "geowire.record.v1"
/* The alerts topic's records (processors/alerts.c, schema/alert.schema.json). */
#define GW_ALERT_SCHEMA "geowire.alert.v1"

/* Writes `{"schema":"...","id":<id or null>` — the opening every record,
 * including an error record, shares. */
void gw_serialize_head(gw_buf_t *b, const char *id);

/* The code of a pair's party: a country (ISO alpha-3) or, with
 * GW_PAIR_BLOC set, a bloc. Borrowed from the dictionary. */
const char *gw_party_code(const gw_dict_t *d, uint32_t id);

#endif
