/*
 * addr.h - "ADDR:PORT" listen addresses, as the config and the command
 * line give them (http.listen, --http).
 */
#ifndef GEOWIRE_ADDR_H
#define GEOWIRE_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Parses "ADDR:PORT" (IPv4 literal) or "[ADDR]:PORT" (IPv6 literal); port
 * 0-65535, 0 meaning any free port. No name lookup: a listen address in a
 * config never waits on DNS. GW_OK, or GW_EINVAL with the reason. */
int gw_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
                  size_t errlen);

#endif
