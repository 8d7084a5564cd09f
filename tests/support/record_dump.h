/*
 * record_dump.h - lets `make test` validate every record the unit tests
 * produce: with GW_RECORD_DUMP=FILE set, each record is appended to FILE,
 * one per line, for tools/validate-records.py.
 */
#ifndef GEOWIRE_TEST_RECORD_DUMP_H
#define GEOWIRE_TEST_RECORD_DUMP_H

#include <stddef.h>

void gw_test_dump_record(const char *rec, size_t len);

#endif
