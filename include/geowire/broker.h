/*
 * broker.h - the embedded Kafka broker (librdkafka's mock cluster) that
 * `brokers: embedded` and `geowire broker` start on loopback.
 */
#ifndef GEOWIRE_BROKER_H
#define GEOWIRE_BROKER_H

/* Entry point of `geowire broker`; argv[0] is "broker". Prints
 * `BROKERS=host:port,...` as its first stdout line and runs until
 * SIGTERM/SIGINT. Returns the exit code. */
int gw_cmd_broker(int argc, char **argv);

#endif
