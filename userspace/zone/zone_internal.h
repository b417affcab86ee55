/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * zone/zone_internal.h - the data model shared by the .c files of zone/; not a public API.
 *
 * Two layers:
 *  - objects (struct zobj): what the Kubernetes objects say, already validated and
 *    lower-cased, keyed by "Kind/namespace/name" so watch events can replace one;
 *  - names (struct znode): the built zone, one node per existing name (lower-case wire
 *    name), each with its records (struct zrr) sorted by type, rank and rdata. Nodes and
 *    records live in an arena that zone_build() drops and refills.
 * Hash tables are uthash (Debian uthash-dev), built with HASH_NONFATAL_OOM so that an
 * allocation failure sets zone_hash_oom instead of exiting.
 */
#ifndef XDPDNS_ZONE_INTERNAL_H
#define XDPDNS_ZONE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern _Thread_local int zone_hash_oom;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) (zone_hash_oom = 1)
#include <uthash.h>

#include "userspace/dns/dns.h"
#include "zone.h"

/* ---- arena: bump allocation, freed all at once ---- */

struct zone_arena_chunk;
struct zone_arena {
	struct zone_arena_chunk *head;
	size_t used;		/* bytes used in head */
	size_t total;		/* bytes held by all chunks */
};

void *zone_arena_alloc(struct zone_arena *a, size_t size);	/* 8-aligned, NULL + ENOMEM */
void zone_arena_reset(struct zone_arena *a);

/* ---- objects ---- */

enum zobj_kind { ZOBJ_NAMESPACE, ZOBJ_SERVICE, ZOBJ_SLICE, ZOBJ_POD, ZOBJ_KIND_COUNT };

extern const char *const zobj_kind_names[ZOBJ_KIND_COUNT];	/* "Namespace", ... */

struct zaddr {
	uint8_t family;		/* 4 or 6 */
	uint8_t b[16];		/* network order; 4 bytes used for IPv4 */
};

#define ZPORT_NONE	(-1)

struct zport {
	char name[DNS_LABEL_MAX];	/* lower case, "" when unnamed; "_" + name is a label */
	char proto[5];			/* "tcp", "udp" or "sctp" */
	int32_t port;			/* 1..65535, or ZPORT_NONE (slice port, no number) */
};

struct zendpoint {
	char hostname[DNS_LABEL_MAX + 1];	/* lower case, "" when none */
	bool ready;				/* conditions.ready nil or true */
	unsigned int n_addrs;
	struct zaddr *addrs;
};

enum zsvc_type { ZSVC_CLUSTER_IP, ZSVC_HEADLESS, ZSVC_EXTERNAL_NAME };

struct zobj {
	UT_hash_handle hh;
	char *key;		/* "Kind/ns/name", the hash key */
	enum zobj_kind kind;
	bool seen;		/* marked by zone_mark_seen() since zone_sweep_begin() */
	char *ns;		/* "" for Namespaces */
	char *name;
	union {
		struct {
			enum zsvc_type type;
			unsigned int n_ips;
			struct zaddr *ips;
			unsigned int n_ports;
			struct zport *ports;
			uint8_t ext[DNS_NAME_MAX];	/* ExternalName: lower-case wire name */
			size_t ext_len;
		} svc;
		struct {
			char service[DNS_LABEL_MAX + 1];	/* kubernetes.io/service-name */
			unsigned int n_eps;
			struct zendpoint *eps;
			unsigned int n_ports;
			struct zport *ports;
		} slice;
		struct {
			bool deleting;		/* metadata.deletionTimestamp set */
			unsigned int n_ips;
			struct zaddr *ips;
		} pod;
	};
};

void zobj_free(struct zobj *o);

/* ---- names ---- */

/* znode.flags */
#define ZNODE_PASS 0x01 /* existence entry passes: CNAME owner, or outside every zone */
#define ZNODE_APEX	0x02	/* apex of an authoritative zone: SOA, NS and glue */

/* zrr.rank: PTRs of ClusterIPs outrank PTRs of endpoints (spec 2.6) */
#define ZRR_RANK_CLUSTER_IP	0
#define ZRR_RANK_ENDPOINT	1

struct zrr {
	struct zrr *next;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;		/* SOA: 0, rendered from the zone at answer time */
	uint8_t rank;
	uint8_t rdata[];
};

#define ZNODE_NO_ZONE	(-1)

struct znode {
	UT_hash_handle hh;
	struct zrr *rrs;	/* sorted by type, rank, rdata after zone_build() */
	int8_t zone;		/* authoritative zone: index in zone.zones, or ZNODE_NO_ZONE */
	uint8_t flags;		/* ZNODE_* */
	uint8_t len;		/* of name, root label included */
	uint8_t name[];		/* lower-case wire name */
};

struct zzone {
	uint8_t name[DNS_NAME_MAX];	/* lower-case wire name of the apex */
	uint8_t len;
	uint8_t action;			/* XDPDNS_ZONE_AUTH or XDPDNS_ZONE_PASS */
	uint8_t table;			/* index in the zone table (longest name first) */
};

struct zone {
	/* config */
	uint8_t apex[DNS_NAME_MAX];	/* the cluster zone, lower-case wire */
	size_t apex_len;
	uint8_t ns_name[DNS_NAME_MAX];	/* ns.dns.<zone> */
	size_t ns_name_len;
	unsigned int ttl;
	enum zone_pods_mode pods;
	uint32_t serial;
	uint8_t v4[XDPDNS_MAX_LISTEN][4];
	unsigned int n_v4;
	uint8_t v6[XDPDNS_MAX_LISTEN][16];
	unsigned int n_v6;
	struct zzone zones[XDPDNS_MAX_ZONES];	/* in config order; [0] is the cluster zone */
	unsigned int n_zones;

	/* objects */
	struct zobj *objs;
	unsigned int n_objs;
	unsigned int skipped;

	/* built names */
	struct zone_arena arena;
	struct znode *names;
	unsigned int n_names;
	unsigned int n_entries;		/* map entries zone_project() emits */
};

/* The longest zone holding name (any action, or authoritative ones only), or -1. */
int zone_find(const struct zone *z, const uint8_t *name, size_t len, bool auth_only);
/* The node of a lower-case wire name, or NULL. */
struct znode *zone_node_find(const struct zone *z, const uint8_t *name, size_t len);
/* Render one SOA RR in the layout of maps/xdpdns.h into out[XDPDNS_SOA_LEN]; ptr is the
 * 16-bit value written at the three pointer positions (0 for the zone table). */
void zone_soa_render(const struct zone *z, uint8_t *out, uint16_t ptr);

#endif
