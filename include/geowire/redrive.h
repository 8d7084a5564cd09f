/*
 * redrive.h - `geowire redrive`: replays dead-lettered items into the input
 * topic after a fix, and the provenance headers that follow an item from its
 * first input position through every replay.
 *
 * A redriven input message carries, besides its original bytes and key:
 *   geowire-original-topic/-partition/-offset  where the item was first read
 *   geowire-redriven-from      DLQTOPIC/PARTITION/OFFSET of the dead letter
 *   geowire-redriven-reason    the reason it had been dead-lettered
 *   geowire-redriven-at        ms since the epoch of the replay
 *   geowire-redrive-count      1 for the first replay, +1 for each later one
 * and `geowire run` copies these onto every record it produces for it.
 */
#ifndef GEOWIRE_REDRIVE_H
#define GEOWIRE_REDRIVE_H

#include <librdkafka/rdkafka.h>

/* Entry point of `geowire redrive`; argv[0] is "redrive". Exit code: 0 when
 * every matching dead letter was produced to the input, 1 for a runtime
 * failure or an interrupted run, 2 for a usage or config error. */
int gw_cmd_redrive(int argc, char **argv);

/* The provenance headers of a consumed message (see above), copied; NULL
 * when it has none (it was never redriven). Caller destroys the copy. */
rd_kafka_headers_t *gw_redrive_provenance(const rd_kafka_message_t *m);

/* Appends every header of `prov` (from gw_redrive_provenance) to `dst`. */
void gw_redrive_add_provenance(rd_kafka_headers_t *dst, const rd_kafka_headers_t *prov);

#endif
