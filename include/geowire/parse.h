/*
 * parse.h - the first processor: raw payload -> item fields of a record.
 */
#ifndef GEOWIRE_PARSE_H
#define GEOWIRE_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "geowire/processor.h"

/* The processor itself, gw_parse_run (processor.h), fills r->id,
 * r->field[], source, url, lang_given, published and day from r->payload, or
 * marks the record for the dead-letter topic. */

/* Parses an RFC 3339 timestamp, YYYY-MM-DD, YYYY-MM or YYYY. Writes the
 * normalised text (timestamps in UTC with Z) and the UTC day. */
int gw_parse_date(const char *s, size_t n, char out[40], int32_t *day);

/* An instant for the command line (--since, --from-time): milliseconds
 * since the epoch written as digits (more than 4 of them), or what
 * gw_parse_date accepts, taken as its first instant in UTC (2026-11-27 is
 * midnight). Whole seconds for timestamps. GW_OK or GW_EINVAL. */
int gw_parse_instant_ms(const char *s, int64_t *ms);

#endif
