/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * server/forward_opts.h - the daemon's forwarding and cache flags, parsed and turned into a
 * forward_shared (configuration, cache, upstream health) that every worker's forwarder uses.
 *
 *   --upstream ADDR[:PORT][,ADDR...]   default upstreams (else resolv.conf's nameservers)
 *   --forward ZONE=ADDR[:PORT][,...]   stub zone (repeatable; the longest zone wins)
 *   --resolv-conf PATH                 where nameservers come from without --upstream
 *   --upstream-timeout MS              one try of one upstream (1..60000, default 1000)
 *   --cache-size BYTES[k|m|g]          cache bound (0: no cache; default 64m)
 *   --cache-max-ttl SECONDS            cap of positive answers (1..604800, default 86400)
 *   --serve-stale SECONDS              how long past expiry an answer may be served when
 *                                      every upstream fails (0: never; default 86400)
 *
 * forward_opts_set() takes a long option name without the dashes and its value; it returns
 * 0, -ENOENT for a name that is not one of these (the caller's own flag), or -EINVAL /
 * -E2BIG with a message naming the flag and the value in err[FORWARD_ERR_MAX].
 */
#ifndef XDPDNS_FORWARD_OPTS_H
#define XDPDNS_FORWARD_OPTS_H

#include "cache.h"
#include "forward.h"
#include "forward_config.h"

#define FORWARD_OPTS_USAGE                                                                 \
	"  --upstream ADDR[:PORT][,...]   upstream resolvers (default: resolv.conf's)\n"      \
	"  --forward ZONE=ADDR[:PORT][,...]  stub zone to its own upstreams (repeatable)\n"   \
	"  --resolv-conf PATH             nameservers without --upstream (/etc/resolv.conf)\n" \
	"  --upstream-timeout MS          per try of one upstream (default 1000)\n"           \
	"  --cache-size BYTES[k|m|g]      answer cache bound, 0 for none (default 64m)\n"     \
	"  --cache-max-ttl SECONDS        cap of cached positive answers (default 86400)\n"   \
	"  --serve-stale SECONDS          serve expired answers this long when every\n"       \
	"                                 upstream fails, TTL 30; 0 never (default 86400)\n"

struct forward_opts {
	const char *upstream;
	const char *zones[FORWARD_MAX_ZONES];
	unsigned int n_zones;
	const char *resolv_conf;
	unsigned int timeout_ms;
	struct cache_config cache;
};

/* The defaults. */
void forward_opts_init(struct forward_opts *o);

/* One flag; value is kept by pointer (argv lives long enough). */
int forward_opts_set(struct forward_opts *o, const char *name, const char *value, char *err);

/*
 * The configuration (forward_config_build(): resolv.conf, loop refusal against our listen
 * addresses), the cache (NULL when --cache-size 0) and the shared state. On success the
 * caller owns *sh and *cache: forward_shared_free(*sh), then cache_free(*cache).
 */
int forward_opts_build(const struct forward_opts *o, const struct forward_addr *listen,
		       unsigned int n_listen, struct forward_shared **sh, struct cache **cache,
		       char *err);

#endif
