// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* zone_new()/zone_free(), the config and the zone lookups. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/util/log.h"
#include "zone_internal.h"

_Thread_local int zone_hash_oom;

/* ---- lookups ---- */

int zone_find(const struct zone *z, const uint8_t *name, size_t len, bool auth_only)
{
	int best = -1;

	for (unsigned int i = 0; i < z->n_zones; i++) {
		const struct zzone *zz = &z->zones[i];

		if (auth_only && zz->action != XDPDNS_ZONE_AUTH)
			continue;
		if (best >= 0 && zz->len <= z->zones[best].len)
			continue;
		if (dns_name_suffix_off(name, len, zz->name, zz->len) >= 0)
			best = (int)i;
	}
	return best;
}

struct znode *zone_node_find(const struct zone *z, const uint8_t *name, size_t len)
{
	struct znode *n;

	HASH_FIND(hh, z->names, name, len, n);
	return n;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void zone_soa_render(const struct zone *z, uint8_t *out, uint16_t ptr)
{
	uint8_t owner[2], mname[9] = { 2, 'n', 's', 3, 'd', 'n', 's' };
	uint8_t rname[13] = "\x0a" "hostmaster";
	struct dns_soa soa = {
		.mname = mname,
		.mname_len = sizeof(mname),
		.rname = rname,
		.rname_len = sizeof(rname),
		.serial = z->serial,
		.refresh = ZONE_SOA_REFRESH,
		.retry = ZONE_SOA_RETRY,
		.expire = ZONE_SOA_EXPIRE,
		.minimum = z->ttl,
	};
	struct dns_writer w;

	put16(owner, ptr);
	put16(mname + 7, ptr);
	put16(rname + 11, ptr);
	dns_writer_init(&w, out, XDPDNS_SOA_LEN);
	/* 54 bytes by construction: the layout is pinned by the asserts below. */
	dns_write_soa(&w, DNS_OWNER_NAME(owner, sizeof(owner)), z->ttl, &soa);
}

_Static_assert(2 + DNS_RR_FIXED_LEN == 12 && 12 + 7 == XDPDNS_SOA_PTR_MNAME &&
		       12 + 9 + 11 == XDPDNS_SOA_PTR_RNAME && 12 + 9 + 13 + 20 == XDPDNS_SOA_LEN,
	       "SOA layout of maps/xdpdns.h");

/* ---- new / free ---- */

static int zone_add(struct zone *z, const char *text, uint8_t action, const char *field)
{
	struct zzone *zz;
	int len;

	if (z->n_zones >= XDPDNS_MAX_ZONES) {
		log_err("zone config: %s: more than %d zones", field, XDPDNS_MAX_ZONES);
		return -EINVAL;
	}
	zz = &z->zones[z->n_zones];
	len = dns_name_from_text(zz->name, sizeof(zz->name), text);
	if (len < 0 || len == 1) {
		log_err("zone config: %s \"%s\" is not a valid DNS name below the root", field,
			text);
		return -EINVAL;
	}
	dns_name_lower(zz->name, len);
	for (unsigned int i = 0; i < z->n_zones; i++) {
		if (dns_name_eq(z->zones[i].name, z->zones[i].len, zz->name, len)) {
			log_err("zone config: %s \"%s\" is configured twice", field, text);
			return -EINVAL;
		}
	}
	zz->len = (uint8_t)len;
	zz->action = action;
	z->n_zones++;
	return 0;
}

/* Each zone's place in the zone table: longest name first, so the fast path's first suffix
 * match is the most specific zone; equal lengths keep the config order. */
static void zones_order(struct zone *z)
{
	for (unsigned int i = 0; i < z->n_zones; i++) {
		unsigned int t = 0;

		for (unsigned int j = 0; j < z->n_zones; j++)
			if (z->zones[j].len > z->zones[i].len ||
			    (z->zones[j].len == z->zones[i].len && j < i))
				t++;
		z->zones[i].table = (uint8_t)t;
	}
}

static int zone_config_apply(struct zone *z, const struct zone_config *cfg)
{
	static const uint8_t ns_dns[] = "\x02" "ns" "\x03" "dns";
	char field[64];
	int err;

	if (!cfg->zone) {
		log_err("zone config: zone is not set");
		return -EINVAL;
	}
	if (cfg->ttl > ZONE_TTL_MAX) {
		log_err("zone config: ttl %u is over %u", cfg->ttl, ZONE_TTL_MAX);
		return -EINVAL;
	}
	if (cfg->pods != ZONE_PODS_DISABLED && cfg->pods != ZONE_PODS_INSECURE &&
	    cfg->pods != ZONE_PODS_VERIFIED) {
		log_err("zone config: pods mode %d is unknown", (int)cfg->pods);
		return -EINVAL;
	}
	if (cfg->n_v4 > XDPDNS_MAX_LISTEN || cfg->n_v6 > XDPDNS_MAX_LISTEN) {
		log_err("zone config: listen addresses: at most %d per family", XDPDNS_MAX_LISTEN);
		return -EINVAL;
	}
	if ((cfg->n_v4 && !cfg->listen_v4) || (cfg->n_v6 && !cfg->listen_v6)) {
		log_err("zone config: listen addresses: n_v4/n_v6 set without the addresses");
		return -EINVAL;
	}
	err = zone_add(z, cfg->zone, XDPDNS_ZONE_AUTH, "zone");
	if (err)
		return err;
	memcpy(z->apex, z->zones[0].name, z->zones[0].len);
	z->apex_len = z->zones[0].len;
	if (z->apex_len + sizeof(ns_dns) - 1 > DNS_NAME_MAX) {
		log_err("zone config: zone \"%s\" is too long for ns.dns.<zone>", cfg->zone);
		return -EINVAL;
	}
	memcpy(z->ns_name, ns_dns, sizeof(ns_dns) - 1);
	memcpy(z->ns_name + sizeof(ns_dns) - 1, z->apex, z->apex_len);
	z->ns_name_len = sizeof(ns_dns) - 1 + z->apex_len;
	for (unsigned int i = 0; cfg->reverse_zones && cfg->reverse_zones[i]; i++) {
		snprintf(field, sizeof(field), "reverse_zones[%u]", i);
		err = zone_add(z, cfg->reverse_zones[i], XDPDNS_ZONE_AUTH, field);
		if (err)
			return err;
	}
	if (cfg->pods == ZONE_PODS_INSECURE) {
		/* Names below pod.<zone> are synthesised by the slow path. */
		uint8_t pod[DNS_NAME_MAX];
		struct zzone *zz;

		if (z->n_zones >= XDPDNS_MAX_ZONES) {
			log_err("zone config: reverse_zones: more than %d zones with pods insecure",
				XDPDNS_MAX_ZONES - 1);
			return -EINVAL;
		}
		if (z->apex_len + 4 > DNS_NAME_MAX) {
			log_err("zone config: zone \"%s\" is too long for pod.<zone>", cfg->zone);
			return -EINVAL;
		}
		memcpy(pod, "\x03pod", 4);
		memcpy(pod + 4, z->apex, z->apex_len);
		zz = &z->zones[z->n_zones++];
		memcpy(zz->name, pod, z->apex_len + 4);
		zz->len = (uint8_t)(z->apex_len + 4);
		zz->action = XDPDNS_ZONE_PASS;
	}
	zones_order(z);
	z->ttl = cfg->ttl;
	z->pods = cfg->pods;
	z->serial = cfg->serial;
	z->n_v4 = cfg->n_v4;
	if (cfg->n_v4)
		memcpy(z->v4, cfg->listen_v4, cfg->n_v4 * sizeof(z->v4[0]));
	z->n_v6 = cfg->n_v6;
	if (cfg->n_v6)
		memcpy(z->v6, cfg->listen_v6, cfg->n_v6 * sizeof(z->v6[0]));
	return 0;
}

struct zone *zone_new(const struct zone_config *cfg)
{
	struct zone *z;
	int err;

	z = calloc(1, sizeof(*z));
	if (!z) {
		errno = ENOMEM;
		return NULL;
	}
	err = zone_config_apply(z, cfg);
	if (err)
		goto out_free_zone;
	err = zone_build(z);
	if (err)
		goto out_free_zone;
	return z;

out_free_zone:
	zone_free(z);
	errno = -err;
	return NULL;
}

void zone_free(struct zone *z)
{
	struct zobj *o, *tmp;

	if (!z)
		return;
	HASH_ITER(hh, z->objs, o, tmp) {
		HASH_DEL(z->objs, o);
		zobj_free(o);
	}
	zone_units_free(z);
	free(z);
}

unsigned int zone_skipped(const struct zone *z)
{
	return z->skipped;
}

unsigned int zone_objects(const struct zone *z)
{
	return z->n_objs;
}

unsigned int zone_names(const struct zone *z)
{
	return z->n_names;
}

unsigned int zone_entries(const struct zone *z)
{
	return z->n_entries;
}

uint32_t zone_serial(const struct zone *z)
{
	return z->serial;
}

int zone_serial_set(struct zone *z, uint32_t serial)
{
	int err = 0;

	if (serial == z->serial)
		return 0;
	z->serial = serial;
	/* The SOA answers of the apexes change; the negative answers take the zone table's. */
	for (unsigned int i = 0; !err && i < z->n_zones; i++) {
		struct znode *n = zone_node_find(z, z->zones[i].name, z->zones[i].len);

		if (n && (n->flags & ZNODE_APEX))
			err = zone_node_changed(z, n);
	}
	return err;
}
