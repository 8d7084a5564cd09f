#!/bin/bash
# `make test-kafka`: starts the real broker (broker.sh), exports its address
# and credentials, runs the given criterion binaries one test at a time
# (they share the broker and both cores) and stops the broker, whatever
# happens. Prints the same closing line as `make test`.
set -uo pipefail
cd "$(dirname "$0")/../.."
state="${GW_KAFKA_STATE:-/tmp/geowire-kafka-$(id -u)}"
tests/kafka/broker.sh start > /dev/null || { echo "tests: 0 passed, 1 failed"; exit 1; }
trap 'tests/kafka/broker.sh stop' EXIT
set -a
. "$state/env"
set +a
# Full output of each suite (assertion details included) for a failure.
mkdir -p build/kafka-tests
echo "real-broker suite logs: build/kafka-tests/*.log"
GW_TEST_JOBS=1 GW_TEST_LOGDIR=build/kafka-tests scripts/run-tests.sh "$@"
