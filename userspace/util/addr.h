/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * util/addr.h - one parser for the "address[:port]" values of every flag (--upstream,
 * --forward, --http, ...), so they accept and refuse the same spellings.
 */
#ifndef XDPDNS_UTIL_ADDR_H
#define XDPDNS_UTIL_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * IPv4, IPv4:PORT, [IPv6], [IPv6]:PORT, or a bare IPv6 address (then without a port). A missing
 * port is def_port; def_port 0 makes the port required. Brackets hold IPv6 only. Ports are 1..65535, addresses numeric
 * (no names, no zone index). Fills *sa (port set) and *len. 0, or -EINVAL with a one-line
 * reason in err[errsz] (err may be NULL): "'S' is not an IPv4 or IPv6 address", ...
 */
int addr_parse(const char *s, uint16_t def_port, struct sockaddr_storage *sa, socklen_t *len,
	       char *err, size_t errsz);

#endif
