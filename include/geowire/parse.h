/*
 * parse.h - the first processor: raw payload -> item fields of a record.
 */
#ifndef GEOWIRE_PARSE_H
#define GEOWIRE_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "geowire/record.h"

/* Fills r->id, r->field[], source, url, lang_given, published, day from the
 * payload, or marks the record for the dead-letter topic (gw_record_reject)
 * and returns GW_EINVAL. Returns GW_ENOMEM when out of memory. */
int gw_parse_run(gw_record_t *r, const char *payload, size_t len);

/* Parses an RFC 3339 timestamp, YYYY-MM-DD, YYYY-MM or YYYY. Writes the
 * normalised text (timestamps in UTC with Z) and the UTC day. */
int gw_parse_date(const char *s, size_t n, char out[40], int32_t *day);

#endif
