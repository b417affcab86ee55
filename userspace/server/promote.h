/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * server/promote.h - promote the hottest answers of the forwarder's cache into the XDP
 * cache map (xdpdns_cache, maps/xdpdns.h), so that the fast path answers them.
 *
 * What enters the map is learnt only from the daemon's own upstream answers: the forwarder
 * cache (server/cache.h) holds nothing else, and packets on the wire are never looked at.
 *
 * Each promote_tick() (the daemon calls it every second):
 * - takes the XDPDNS_CACHE_MAX_ENTRIES most hit fresh A, AAAA and PTR entries (cache_top()),
 *   and keeps those hit at least PROMOTE_MIN_HITS times, asked without DO and CD (the only
 *   queries the fast path answers from the map), with at least PROMOTE_MIN_TTL_MS left;
 * - renders each (promote_render(); entries that cannot be promoted are skipped): the map's
 *   expire_ns is the entry's own expiry in the cache, to the millisecond and never later
 *   (cache_hit.ms_left, on the cache's CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns());
 * - deletes every map entry outside that set (demoted, expired, or left by an earlier
 *   instance), then writes the set, skipping values that are already there.
 * So the map never holds more than XDPDNS_CACHE_MAX_ENTRIES entries, and an entry the cache
 * drops leaves the map within a tick; until then the fast path stops at expire_ns anyway.
 *
 * int functions return 0 or -errno.
 */
#ifndef XDPDNS_PROMOTE_H
#define XDPDNS_PROMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "maps/xdpdns.h"
#include "userspace/server/cache.h"

#define PROMOTE_MIN_HITS	3	/* cache hits before an answer is worth the fast path */
#define PROMOTE_MIN_TTL_MS	2000	/* less left: the slow path will refresh it soon */

/*
 * A normalised cache message (server/cache.h: ID 0, question lower-cased, no OPT) as a cache
 * map key and value: a NOERROR answer to one question of class IN and type A, AAAA or PTR,
 * whose answer section is 1..XDPDNS_CACHE_TTLS_MAX records of exactly that name and type
 * (no CNAME chain). Owners become 0xc00c, PTR targets are written uncompressed, TTLs zero
 * with their offsets in ttl_off[], csum over that; the authority and additional sections are
 * left out (a minimal response, RFC 2181 allows it). expire_ns is left 0.
 * -ENOTSUP for a message that is not promotable that way (AD set, other rcode or type, a
 * CNAME, another owner, a name over 126 bytes, an answer over XDPDNS_ANSWER_MAX bytes),
 * -EBADMSG when malformed.
 */
int promote_render(const uint8_t *msg, size_t len, struct xdpdns_key_m *key,
		   struct xdpdns_cache_val *out);

struct promote_stats {
	uint64_t ticks;
	uint64_t promoted;	/* entries in the map after the last tick */
	uint64_t written;	/* map writes (new or changed entries) */
	uint64_t deleted;	/* entries removed from the map */
	uint64_t skipped;	/* top entries not promotable (promote_render()) */
	uint64_t errors;	/* map operations that failed */
};

struct promote;

/* A promoter of cache c's answers into the cache map map_fd (both outlive it). NULL + errno. */
struct promote *promote_new(struct cache *c, int map_fd);
void promote_free(struct promote *p);

/*
 * One pass, now_ns being CLOCK_MONOTONIC read just before the call (the cache's clock, in
 * ns). Returns 0, or the first failed map operation's -errno (the others are still tried).
 */
int promote_tick(struct promote *p, uint64_t now_ns);

void promote_stats_get(const struct promote *p, struct promote_stats *out);

/* Empty the cache map (a daemon without a forwarder cache promotes nothing). */
int promote_map_clear(int map_fd);

#endif
