/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * server/cache.h - the answer cache shared by every worker's forwarder (thread-safe).
 *
 * What is stored: whole upstream responses, as the forwarder normalised them (ID 0, question
 * lower-cased, no OPT record), keyed by (lower-case name, type, class, DO, CD). DO and CD are
 * part of the key: an answer fetched without DO lacks the RRSIGs a DO client needs, and one
 * fetched with CD=1 may hold data a validating upstream would have refused to a CD=0 client.
 *
 * How long (cache_msg_ttl()):
 * - positive (NOERROR with answers): the smallest TTL of the answer and authority records,
 *   capped by max_ttl;
 * - negative (NXDOMAIN, or NOERROR without answers = NODATA): RFC 2308 section 5, the
 *   smaller of the SOA record's TTL and its MINIMUM field (and of any CNAME in the answer),
 *   capped by neg_max_ttl; a negative answer without SOA is not cached (RFC 2308 5);
 * - never: TC=1, an RCODE other than NOERROR and NXDOMAIN (SERVFAIL is not cached: failover
 *   and serve-stale handle a failing upstream, and a cached SERVFAIL would outlive its
 *   cause), a computed TTL of 0, a message over CACHE_MSG_MAX.
 * Every record's TTL is clamped to the entry's TTL when stored, and answers are served with
 * it decremented by the whole seconds spent in the cache.
 *
 * Size: at most max_bytes (entry bookkeeping + message), split over shards each with its own
 * lock, hash table and LRU list; inserting into a full shard evicts its least recently used
 * entries. The hash is keyed with a random secret (SipHash), so names chosen by a client
 * cannot pile into one chain.
 *
 * Expired entries stay (until evicted, or stale_max_sec past expiry) for serve-stale
 * (RFC 8767): a lookup with CACHE_STALE_OK, made when every upstream failed, returns an
 * expired entry up to stale_max_sec after its expiry with every TTL set to stale_ttl.
 *
 * Prefetch: a fresh hit on an entry hit at least prefetch_min_hits times (this one included)
 * in the last prefetch_pct percent of its TTL sets hit.prefetch, once per entry until it is
 * replaced or CACHE_PREFETCH_HOLD_MS passed (or cache_prefetch_failed() was called): the
 * caller then refreshes it in the background.
 *
 * Popularity: each entry counts its hits; cache_top() reports the most hit fresh entries of
 * chosen types with their remaining TTL (for promotion into the XDP cache map).
 *
 * Time comes from cfg.now_ms (CLOCK_MONOTONIC in ms by default; tests inject their own).
 * int functions return 0 or a length, or -errno.
 */
#ifndef XDPDNS_CACHE_H
#define XDPDNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/dns/dns.h"

#define CACHE_KEY_DO		0x01	/* the query had EDNS DO=1 */
#define CACHE_KEY_CD		0x02	/* the query had CD=1 */

#define CACHE_MAX_BYTES		(64u << 20)
#define CACHE_SHARDS		16
#define CACHE_MAX_TTL		86400	/* s: cap of positive answers */
#define CACHE_NEG_MAX_TTL	3600	/* s: cap of negative answers (RFC 2308 5: 1-3 hours) */
#define CACHE_STALE_MAX_SEC	86400	/* s past expiry an answer may still be served stale */
#define CACHE_STALE_TTL		30	/* s: TTL of a stale answer (RFC 8767 4) */
#define CACHE_PREFETCH_PCT	10	/* % of the TTL left when a hit triggers a refresh */
#define CACHE_PREFETCH_MIN_HITS	2	/* hits that make an entry worth a refresh */
#define CACHE_PREFETCH_HOLD_MS	10000	/* one refresh per entry per this long */
#define CACHE_MSG_MAX		DNS_MSG_MAX

struct cache_key {
	uint8_t name[DNS_NAME_MAX];	/* lower-case wire name */
	uint8_t name_len;
	uint8_t flags;			/* CACHE_KEY_* */
	uint16_t qtype;
	uint16_t qclass;
};

struct cache_config {
	size_t max_bytes;
	unsigned int shards;		/* rounded up to a power of two */
	uint32_t max_ttl;
	uint32_t neg_max_ttl;
	uint32_t stale_max_sec;		/* 0: no serve-stale */
	uint32_t stale_ttl;
	unsigned int prefetch_pct;	/* 0: no prefetch */
	unsigned int prefetch_min_hits;
	uint64_t (*now_ms)(void *clock_arg);	/* NULL: CLOCK_MONOTONIC */
	void *clock_arg;
};

struct cache_hit {
	bool stale;		/* served past its TTL (RFC 8767) */
	bool prefetch;		/* the caller should refresh this entry now */
	bool negative;		/* NXDOMAIN or NODATA */
	uint32_t ttl_left;	/* s; stale_ttl when stale */
	uint32_t ms_left;	/* ms until it expires (0 when stale): fresh while the cache's
				 * clock reads less than its time of the lookup plus this */
};

struct cache_top_entry {
	struct cache_key key;
	uint32_t ttl_left;	/* s, > 0 */
	uint64_t hits;
};

struct cache_stats {
	uint64_t hits, misses, stale_hits, inserts, replaced, evictions, expired, prefetches,
		uncacheable;
	uint64_t entries, bytes;
};

struct cache;

/* The defaults above. */
void cache_config_init(struct cache_config *cfg);

/* NULL and errno on failure. cache_free() accepts NULL. */
struct cache *cache_new(const struct cache_config *cfg);
void cache_free(struct cache *c);

/* Key of a question: the name lower-cased. -EINVAL for a name over 255 bytes. */
int cache_key_init(struct cache_key *k, const uint8_t *name, size_t name_len, uint16_t qtype,
		   uint16_t qclass, uint8_t flags);

/*
 * How long msg may be cached (see the header), in *ttl (s), and whether it is negative.
 * -ENODATA when it must not be cached, -EBADMSG when malformed.
 */
int cache_msg_ttl(const struct cache_config *cfg, const uint8_t *msg, size_t len, uint32_t *ttl,
		  bool *negative);

/* Stores msg (normalised, see the header) under k, replacing an entry of k (its hit count is
 * kept). -ENODATA when not cacheable, -EMSGSIZE, -ENOMEM, -EBADMSG. */
int cache_insert(struct cache *c, const struct cache_key *k, const uint8_t *msg, size_t len);

#define CACHE_STALE_OK	0x1	/* every upstream failed: an expired entry within bounds will do */
#define CACHE_PEEK	0x2	/* no hit counted, no LRU move, no prefetch (for the promoter) */

/* Copies the entry of k into out[0..cap) with TTLs decremented (or stale_ttl) and returns its
 * length. -ENOENT on a miss (or an expired entry without CACHE_STALE_OK), -ENOSPC. */
int cache_lookup(struct cache *c, const struct cache_key *k, unsigned int flags, uint8_t *out,
		 size_t cap, struct cache_hit *hit);

/* The background refresh that hit.prefetch asked for failed: allow another one. */
void cache_prefetch_failed(struct cache *c, const struct cache_key *k);

/* Up to n fresh entries whose qtype is one of types[0..n_types) (all when n_types is 0), the
 * most hit first; returns how many were written to out. */
size_t cache_top(struct cache *c, const uint16_t *types, size_t n_types,
		 struct cache_top_entry *out, size_t n);

void cache_stats_get(struct cache *c, struct cache_stats *s);

#endif
