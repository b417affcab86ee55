// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward_opts.h"

void forward_opts_init(struct forward_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = FORWARD_TIMEOUT_MS;
	cache_config_init(&o->cache);
}

static int number(const char *name, const char *s, unsigned long long max, bool suffix,
		  unsigned long long *out, char *err)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = isdigit((unsigned char)*s) ? strtoull(s, &end, 10) : 0;
	if (!isdigit((unsigned char)*s) || errno)
		goto out_bad;
	if (suffix && *end && !end[1]) {
		switch (tolower((unsigned char)*end)) {
		case 'k': mult = 1ull << 10; end++; break;
		case 'm': mult = 1ull << 20; end++; break;
		case 'g': mult = 1ull << 30; end++; break;
		}
	}
	if (*end || v > max / mult)
		goto out_bad;
	*out = v * mult;
	return 0;
out_bad:
	snprintf(err, FORWARD_ERR_MAX, "--%s: '%s' is not a number from 0 to %llu%s", name, s,
		 max, suffix ? " (k, m, g allowed)" : "");
	return -EINVAL;
}

int forward_opts_set(struct forward_opts *o, const char *name, const char *value, char *err)
{
	unsigned long long v;
	int ret;

	if (!strcmp(name, "upstream")) {
		o->upstream = value;
		return 0;
	}
	if (!strcmp(name, "forward")) {
		if (o->n_zones >= FORWARD_MAX_ZONES) {
			snprintf(err, FORWARD_ERR_MAX, "--forward: more than %d stub zones",
				 FORWARD_MAX_ZONES);
			return -E2BIG;
		}
		o->zones[o->n_zones++] = value;
		return 0;
	}
	if (!strcmp(name, "resolv-conf")) {
		o->resolv_conf = value;
		return 0;
	}
	if (!strcmp(name, "upstream-timeout")) {
		ret = number(name, value, 60000, false, &v, err);
		if (!ret && !v) {
			snprintf(err, FORWARD_ERR_MAX, "--%s: must be at least 1 ms", name);
			ret = -EINVAL;
		}
		if (!ret)
			o->timeout_ms = (unsigned int)v;
		return ret;
	}
	if (!strcmp(name, "cache-size")) {
		ret = number(name, value, 1ull << 40, true, &v, err);
		if (!ret)
			o->cache.max_bytes = (size_t)v;
		return ret;
	}
	if (!strcmp(name, "cache-max-ttl")) {
		ret = number(name, value, 604800, false, &v, err);
		if (!ret && !v) {
			snprintf(err, FORWARD_ERR_MAX, "--%s: must be at least 1 s", name);
			ret = -EINVAL;
		}
		if (!ret)
			o->cache.max_ttl = (uint32_t)v;
		return ret;
	}
	if (!strcmp(name, "serve-stale")) {
		ret = number(name, value, 7 * 86400, false, &v, err);
		if (!ret)
			o->cache.stale_max_sec = (uint32_t)v;
		return ret;
	}
	return -ENOENT;
}

int forward_opts_build(const struct forward_opts *o, const struct forward_addr *listen,
		       unsigned int n_listen, struct forward_shared **sh, struct cache **cache,
		       char *err)
{
	struct forward_config *cfg;	/* large; forward_shared_new() copies it */
	int ret;

	*sh = NULL;
	*cache = NULL;
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		snprintf(err, FORWARD_ERR_MAX, "cannot build the forwarder: out of memory");
		return -ENOMEM;
	}
	ret = forward_config_build(cfg, o->upstream, o->zones, o->n_zones, o->resolv_conf,
				   listen, n_listen, err);
	if (ret)
		goto out_free_cfg;
	cfg->timeout_ms = o->timeout_ms;
	if (o->cache.max_bytes) {
		*cache = cache_new(&o->cache);
		if (!*cache) {
			ret = -errno;
			snprintf(err, FORWARD_ERR_MAX, "cannot create the cache: %s", strerror(-ret));
			goto out_free_cfg;
		}
	}
	*sh = forward_shared_new(cfg, *cache);
	if (!*sh) {
		ret = -errno;
		snprintf(err, FORWARD_ERR_MAX, "cannot create the forwarder: %s", strerror(-ret));
		goto out_free_cache;
	}
	free(cfg);
	return 0;

out_free_cache:
	cache_free(*cache);
	*cache = NULL;
out_free_cfg:
	free(cfg);
	return ret;
}
