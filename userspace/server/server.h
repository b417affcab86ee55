/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * server/server.h - the slow-path DNS server: UDP and TCP on the listen addresses.
 *
 * Whatever the XDP program passes reaches these sockets: TCP, types and classes it does not
 * answer, answers too big for it, malformed queries, names outside the cluster zone,
 * insecure pod names, ExternalName owners. Answers come from the same struct zone as the
 * maps through server_answer() (answer.h), so socket and XDP answers hold the same bytes.
 *
 * Threads: server_new() starts one worker per online CPU (or cfg.workers). Each worker owns
 * an epoll loop, one SO_REUSEPORT UDP socket and one SO_REUSEPORT TCP listener per listen
 * address (the kernel spreads flows over the workers), batch buffers allocated once, and
 * its TCP connections.
 *  - UDP: recvmmsg()/sendmmsg() batches of SERVER_UDP_BATCH; IP_PKTINFO/IPV6_PKTINFO so a
 *    reply leaves from the address and interface the query came to. A reply over the
 *    client's size (512, or its EDNS size, at most XDPDNS_EDNS_SIZE) is cut to whole
 *    records with TC=1 (dns_msg_truncate()).
 *  - TCP (RFC 7766): 2-byte length framing; every complete query in the buffer is answered
 *    as it arrives (pipelining); partial reads and writes are kept per connection and
 *    nothing blocks; a connection idle for tcp_idle_ms with nothing in flight is closed;
 *    beyond tcp_max_conns open connections (all workers together) a new one is closed at
 *    once; a client that does not read its replies is not read from until they drain; a
 *    frame shorter than a DNS header closes the connection.
 *
 * The zone: the workers read it under a reader-writer lock (writers preferred). The thread
 * that changes the zone (objects, zone_build(), the SOA serial set by publish_zone()) holds
 * server_zone_lock() around each change, or swaps in another zone with server_zone_set().
 *
 * Resolver (RESOLVER-CONTRACT.md): without cfg.make_resolver, names the zone does not answer
 * are REFUSED and RA is 0. With one, each worker gets its own struct server_resolver; such
 * queries are handed to it, its answer is sent as it is (truncated for UDP), a failure gets
 * SERVFAIL, and a closed TCP connection cancels its pending queries. Zone answers keep RA=0
 * either way, as the fast path sends them. An ExternalName whose target is outside the
 * zones (answer.h: SERVER_CHASE) is answered with its CNAME followed by the resolver's answer
 * for the target (server_chase_query(), server_chase_finish(); RA=1); without a resolver,
 * by its CNAME alone. A closed TCP connection cancels those sub-queries too.
 *
 * int functions return 0 or -errno; server_new() returns NULL and sets errno.
 */
#ifndef XDPDNS_SERVER_H
#define XDPDNS_SERVER_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/xdpdns.h"
#include "userspace/zone/zone.h"

#define SERVER_TCP_IDLE_MS	10000	/* RFC 7766 6.2.3 leaves it open; Knot, Unbound ~10 s */
#define SERVER_TCP_MAX_CONNS	1024	/* per server, every worker together */
#define SERVER_UDP_BATCH	32	/* messages per recvmmsg()/sendmmsg() */
#define SERVER_MAX_WORKERS	64

typedef void (*server_done_fn)(void *arg, const uint8_t *msg, size_t len);

struct server_resolver {
	void *ctx;
	/* see RESOLVER-CONTRACT.md */
	int (*resolve)(void *ctx, const uint8_t *query, size_t len, server_done_fn done, void *arg);
	void (*cancel)(void *ctx, void *arg);
	int (*fd)(void *ctx);
	int (*timeout_ms)(void *ctx);
	void (*process)(void *ctx);
};

struct server_config {
	const struct in_addr *v4;	/* listen addresses */
	unsigned int n_v4;		/* at most XDPDNS_MAX_LISTEN */
	const struct in6_addr *v6;
	unsigned int n_v6;
	uint16_t port;			/* host order */
	unsigned int workers;		/* 0: one per online CPU; at most SERVER_MAX_WORKERS */
	unsigned int tcp_idle_ms;	/* 0: SERVER_TCP_IDLE_MS */
	unsigned int tcp_max_conns;	/* 0: SERVER_TCP_MAX_CONNS */
	struct zone *zone;		/* not owned; see server_zone_set() */
	/* optional: a resolver per worker, made in the worker's thread before it serves */
	int (*make_resolver)(void *arg, unsigned int worker, struct server_resolver *out);
	void (*free_resolver)(void *arg, unsigned int worker, struct server_resolver *r);
	void *resolver_arg;
};

struct server;

/* Bind every socket and start the workers. NULL + errno (EADDRNOTAVAIL, EACCES, ENOMEM,
 * EINVAL for a config out of range, logged with the address that failed). */
struct server *server_new(const struct server_config *cfg);
/* Stop the workers, close every socket and connection. NULL is fine. */
void server_free(struct server *s);

/* Hold the zone against the workers while changing it. NULL s: nothing to do. */
void server_zone_lock(struct server *s);
void server_zone_unlock(struct server *s);
/* Answer from z from now on (the caller then frees the old zone if it wants). */
void server_zone_set(struct server *s, struct zone *z);

#endif
