/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * server/forward.h - the forwarder: questions outside the served zones go to upstream
 * resolvers (server/forward_config.h says which), answers are cached (server/cache.h).
 *
 * Two objects:
 * - struct forward_shared: the configuration, the cache and the health of every upstream,
 *   shared by all workers (health is kept with atomics, the cache locks its shards);
 * - struct forward: one per worker thread, used only from that thread. It owns an epoll fd,
 *   the sockets of its pending queries and their timers, and is driven through the
 *   server_resolver contract (RESOLVER-CONTRACT.md): forward_resolve(), forward_cancel(),
 *   forward_fd(), forward_timeout_ms(), forward_process() have exactly the signatures of the
 *   struct server_resolver members, with ctx the struct forward.
 *
 * One question: a cache hit is answered at once (done() is called inside resolve()); a hit in
 * the last 10% of the TTL of a popular entry also starts one background refresh (prefetch).
 * A miss is sent to the first usable upstream of its list over UDP, from a fresh connected
 * socket: the kernel picks a random ephemeral source port per query (RFC 6056) and delivers
 * only datagrams from the upstream's address and port; the ID is random (getrandom(2)).
 * The query carries EDNS (our UDP size, DO and CD as the client's, RD=1). A reply is accepted
 * only from the address and port it was sent to, with the same ID and the same question
 * (name case-insensitively, type, class), QR=1, opcode QUERY, and a well-formed body;
 * anything else is dropped, counted, and the query keeps waiting (RFC 5452 9.1). TC=1 makes
 * the query go again to the same upstream over TCP (non-blocking connect, 2-byte framing,
 * RFC 7766). A timeout, a refused port (ICMP), SERVFAIL, REFUSED, NOTIMP, FORMERR or a
 * failed TCP exchange count as a failure of that upstream and the next one is tried, up to
 * the configured attempts.
 *
 * Health: passive, from live traffic. fail_threshold consecutive failures mark an upstream
 * down for down_ms: the other upstreams are tried first, a down one only when nothing else
 * is left. When down_ms has passed, exactly one query at a time (any worker) is let through
 * to it as a probe; its success brings the upstream back, its failure keeps it down for
 * another down_ms. Any success resets the count.
 *
 * When every try failed: an expired cache entry within the stale bound is served (RFC 8767,
 * TTL stale_ttl), else done(NULL) (the server answers SERVFAIL).
 *
 * The response handed to done() is the upstream's answer with the client's ID, the client's
 * question bytes (0x20 case kept; the answer's compression pointers then repeat it), RD and
 * CD as the client sent them, RA=1, AA=0, AD only when the client set DO or AD, TTLs
 * decremented by the time in cache, and an OPT record (our UDP size, DO copied) exactly when
 * the query had one; the upstream's own OPT is removed.
 */
#ifndef XDPDNS_FORWARD_H
#define XDPDNS_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cache.h"
#include "forward_config.h"

/* Identical to server_done_fn of server/server.h. */
typedef void (*forward_done_fn)(void *arg, const uint8_t *msg, size_t len);

struct forward_shared;
struct forward;

/* Per-worker counters; forward_stats_get() reads them from the worker's thread. */
struct forward_stats {
	uint64_t questions;		/* forward_resolve() calls accepted */
	uint64_t cache_hits;
	uint64_t stale_answers;		/* RFC 8767 answers after every upstream failed */
	uint64_t failures;		/* done(NULL): no upstream answered, nothing stale */
	uint64_t sent_udp, sent_tcp;	/* tries */
	uint64_t tc_fallbacks;		/* TC=1 replies retried over TCP */
	uint64_t timeouts;
	uint64_t refused;		/* ICMP port unreachable / TCP connection refused */
	uint64_t upstream_errors;	/* SERVFAIL, REFUSED, NOTIMP, FORMERR, bad EDNS */
	uint64_t failovers;		/* tries after the first */
	uint64_t drop_source, drop_malformed, drop_id, drop_question;	/* replies ignored */
	uint64_t prefetches;		/* background refreshes started */
	uint64_t cancelled;
};

/* Health of upstream i of the config (forward_config.upstreams[i]). */
struct forward_upstream_health {
	uint32_t consecutive_failures;
	bool down;			/* tried last until down_ms passes */
	uint64_t queries, failures;
};

/*
 * cfg is copied; cache is borrowed (the caller frees it after forward_shared_free()); it may
 * be NULL for no caching. NULL and errno on failure.
 */
struct forward_shared *forward_shared_new(const struct forward_config *cfg, struct cache *cache);
void forward_shared_free(struct forward_shared *sh);
int forward_upstream_health_get(struct forward_shared *sh, unsigned int i,
				struct forward_upstream_health *h);

/* One worker's instance. forward_free() closes every socket; pending done() are not called. */
struct forward *forward_new(struct forward_shared *sh);
void forward_free(struct forward *f);

/* The server_resolver operations (RESOLVER-CONTRACT.md); ctx is a struct forward. */
int forward_resolve(void *ctx, const uint8_t *query, size_t len, forward_done_fn done, void *arg);
void forward_cancel(void *ctx, void *arg);
int forward_fd(void *ctx);
int forward_timeout_ms(void *ctx);
void forward_process(void *ctx);

void forward_stats_get(const struct forward *f, struct forward_stats *st);
/* Queries in flight (client and prefetch). */
unsigned int forward_pending(const struct forward *f);

/* ---- reply matching, exposed for tests ---- */

enum forward_reply_verdict {
	FORWARD_REPLY_OK,
	FORWARD_REPLY_BAD_SOURCE,	/* not from the address and port it was sent to */
	FORWARD_REPLY_MALFORMED,	/* not a well-formed DNS response to a QUERY */
	FORWARD_REPLY_BAD_ID,
	FORWARD_REPLY_BAD_QUESTION,	/* another name, type or class, or QDCOUNT != 1 */
};

/*
 * Is msg[0..len) the reply to the query with this id and question, sent to `to`? from is the
 * reply's source (NULL over TCP, where the connection already fixes it).
 */
enum forward_reply_verdict forward_reply_match(const struct forward_addr *to,
					       const struct sockaddr *from, socklen_t from_len,
					       const uint8_t *msg, size_t len, uint16_t id,
					       const uint8_t *qname, size_t qname_len,
					       uint16_t qtype, uint16_t qclass);

#endif
