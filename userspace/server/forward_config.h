/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * server/forward_config.h - where the forwarder sends names outside the served zones.
 *
 * Default upstreams come from `--upstream ADDR[:PORT],...` or, when none is given, from the
 * nameserver lines of resolv.conf. Stub domains come from `--forward ZONE=ADDR[:PORT][,...]`
 * (repeatable); a question goes to the upstreams of the longest stub zone that contains its
 * name, else to the default upstreams. Addresses are IPv4 `192.0.2.1`, `192.0.2.1:5353`, or
 * IPv6 `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:5353`; the port defaults to 53.
 *
 * Loops. Forwarding to ourselves would bounce every query until it times out, so:
 * - an explicit upstream (--upstream, --forward) that is one of our own listen address+port
 *   pairs, or a loopback address on our port while we listen on the wildcard or on that
 *   loopback address, is refused with a message naming it;
 * - a resolv.conf nameserver that is ourselves in the same sense is skipped with a warning.
 *   That is the usual node-local situation: kubelet points the node's resolv.conf (or the
 *   pods' --cluster-dns) at the node-local address we listen on, and the real resolvers are
 *   the other lines. node-local-dns reads its upstreams from a resolv.conf it is told about
 *   for the same reason. If nothing usable remains, start is refused with a message that
 *   names the skipped servers and says to pass --upstream. A systemd-resolved stub such as
 *   127.0.0.53 is a real resolver unless we listen on it (or on the wildcard), so it is kept.
 *
 * Errors: functions return 0 or -errno (-EINVAL for bad input, -E2BIG when a list is full,
 * -ELOOP for a loop, -ENOENT for a missing resolv.conf, -ENODATA when it names no usable
 * server) and write a one-line message naming the problem into err[FORWARD_ERR_MAX] for the
 * daemon to print. Ports inside struct sockaddr_in/in6 are network order, as always.
 */
#ifndef XDPDNS_FORWARD_CONFIG_H
#define XDPDNS_FORWARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "userspace/dns/dns.h"

#define FORWARD_MAX_ADDRS	8	/* per list: resolv.conf holds 3, stub zones a few */
#define FORWARD_MAX_ZONES	32	/* --forward flags */
#define FORWARD_MAX_UPSTREAMS	(FORWARD_MAX_ADDRS * (FORWARD_MAX_ZONES + 1))
#define FORWARD_ERR_MAX		256
#define FORWARD_DEFAULT_PORT	53
#define FORWARD_RESOLV_CONF	"/etc/resolv.conf"

#define FORWARD_TIMEOUT_MS	1000	/* one try of one upstream (UDP, or TCP after TC=1) */
#define FORWARD_FAIL_THRESHOLD	3	/* consecutive failures that mark an upstream down */
#define FORWARD_DOWN_MS		10000	/* how long a down upstream is tried last */
#define FORWARD_EDNS_SIZE	1232	/* our EDNS UDP size (DNS flag day 2020) */

struct forward_addr {
	struct sockaddr_storage sa;	/* sockaddr_in or sockaddr_in6, port set */
	socklen_t len;
};

struct forward_list {
	uint16_t idx[FORWARD_MAX_ADDRS];	/* indices into forward_config.upstreams */
	unsigned int n;
};

struct forward_zone {
	uint8_t name[DNS_NAME_MAX];	/* lower-case wire name */
	size_t name_len;
	struct forward_list list;
};

struct forward_config {
	/* Every distinct upstream once: health is kept per entry. */
	struct forward_addr upstreams[FORWARD_MAX_UPSTREAMS];
	unsigned int n_upstreams;
	struct forward_list defaults;	/* --upstream, else resolv.conf */
	struct forward_zone zones[FORWARD_MAX_ZONES];
	unsigned int n_zones;
	unsigned int timeout_ms;	/* per try */
	unsigned int attempts;		/* tries per question; 0: max(2, upstreams in the list) */
	unsigned int fail_threshold;
	unsigned int down_ms;
	uint16_t edns_size;
};

/* Defaults above, no upstream. */
void forward_config_init(struct forward_config *c);

/* One address, "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT"; port 1..65535, default def_port. */
int forward_addr_parse(const char *s, uint16_t def_port, struct forward_addr *out, char *err);

/* "192.0.2.1:53" or "[2001:db8::1]:53" into buf[64]. Returns buf. */
const char *forward_addr_str(const struct forward_addr *a, char *buf);

/* Same family, address and port. */
bool forward_addr_eq(const struct forward_addr *a, const struct forward_addr *b);

/* --upstream LIST: comma-separated addresses appended to the default upstreams. */
int forward_config_add_upstreams(struct forward_config *c, const char *list, char *err);

/* --forward ZONE=ADDR[:PORT][,ADDR...]: one stub zone; a zone given twice is refused. */
int forward_config_add_zone(struct forward_config *c, const char *spec, char *err);

/*
 * The nameserver lines of the resolv.conf at path become the default upstreams (port 53);
 * those that are ourselves (listen[0..n_listen), see the header) are skipped with a warning.
 * -ENOENT when the file cannot be read, -ENODATA when no usable nameserver remains.
 */
int forward_config_read_resolv_conf(struct forward_config *c, const char *path,
				    const struct forward_addr *listen, unsigned int n_listen,
				    char *err);

/* Is a one of our listen addresses (listen ports set), per the rules in the header? */
bool forward_addr_is_self(const struct forward_addr *a, const struct forward_addr *listen,
			  unsigned int n_listen);

/* -ELOOP naming the first configured upstream that is ourselves. */
int forward_config_check_loops(const struct forward_config *c, const struct forward_addr *listen,
			       unsigned int n_listen, char *err);

/*
 * What the daemon calls after its flags: upstreams (may be NULL), the --forward specs, the
 * resolv.conf path used when upstreams is NULL, our listen addresses with their port. Builds
 * c from scratch (forward_config_init), then refuses loops.
 */
int forward_config_build(struct forward_config *c, const char *upstreams,
			 const char *const *zones, unsigned int n_zones, const char *resolv_conf,
			 const struct forward_addr *listen, unsigned int n_listen, char *err);

/* The upstream list for a question name (any case): the longest stub zone, else defaults. */
const struct forward_list *forward_config_route(const struct forward_config *c,
						const uint8_t *qname, size_t qname_len);

#endif
