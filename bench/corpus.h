/*
 * corpus.h - the benchmark's generated inputs: news items and large
 * synthetic dictionaries.
 *
 * Items are JSON objects of 0.5-8 KB (log-uniform, mean about 2.9 KB) in
 * several languages and scripts (English, French, German, Spanish, Malay,
 * Vietnamese, Russian, Chinese, Arabic), written from the bench's own
 * sentence templates with real names drawn from the shipped dictionaries
 * (people's name variants, country names in each script) and, in a share of
 * sentences, names of the synthetic dictionaries' people. The same seed
 * gives the same items, so two runs measure the same bytes.
 */
#ifndef GEOWIRE_BENCH_CORPUS_H
#define GEOWIRE_BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "geowire/common.h"
#include "geowire/config.h"

typedef struct bench_corpus bench_corpus_t;

/* Reads the name lists of the dictionaries `cfg` points at. Caller owns the
 * result (bench_corpus_free). NULL with a reason in err. */
bench_corpus_t *bench_corpus_new(const gw_config_t *cfg, uint64_t seed, char *err, size_t errlen);
void bench_corpus_free(bench_corpus_t *c);

/* Writes item number n (deterministic in seed and n) as one JSON object,
 * no newline, into b (reset first). GW_OK or GW_ENOMEM. */
int bench_corpus_item(bench_corpus_t *c, uint64_t n, gw_buf_t *b);

/* The synthetic person number i: "Given Surname", Latin script, unique for
 * i < 160000. Writes into out (at least 64 bytes). */
void bench_synth_name(uint32_t i, char *out, size_t outlen);

/* Writes dir/people.yaml (the shipped people file followed by n synthetic
 * people, each with a full name, a short form and a role) and dir/geowire.yaml
 * (the shipped configuration's dictionaries and alert rules, with that
 * people file). The config's path goes into cfg_path. GW_OK, or GW_EIO with a reason. */
int bench_synth_dict(const gw_config_t *shipped, const char *dir, size_t n, char *cfg_path,
                     size_t cfg_len, char *err, size_t errlen);

#endif
