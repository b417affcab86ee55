/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * zone/zone_internal.h - the data model shared by the .c files of zone/; not a public API.
 *
 * Two layers:
 *  - objects (struct zobj): what the Kubernetes objects say, already validated and
 *    lower-cased, keyed by "Kind/namespace/name" so watch events can replace one;
 *  - names (struct znode): the built zone, one node per existing name (lower-case wire
 *    name), each with its records (struct zrr) sorted by type, rank and rdata, built
 *    incrementally from units (below).
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

/* ---- units and names ----
 *
 * The records are the union of what units contribute: the config's static records, one
 * namespace's names, one service with its EndpointSlices, one pod. An object change marks
 * the units it feeds dirty (zone_obj_link()/zone_obj_unlink()); zone_build() takes each dirty
 * unit's records away and adds what it contributes now, so a change costs the size of the
 * units it touches, not of the zone. A name exists while it holds records or has names
 * below it (refs); its answer records (rrs) are rebuilt from the contributions (raw) of
 * every unit when it changed. The names whose entries may have changed since the last
 * zone_changes_clear() are kept (changed), with the types each had before, for
 * zone_project_changes().
 */

/* znode.flags */
#define ZNODE_PASS	0x01	/* existence entry passes: CNAME owner, or outside every zone */
#define ZNODE_APEX	0x02	/* apex of an authoritative zone: SOA, NS and glue */
#define ZNODE_CHANGED	0x04	/* in zone.changed */
#define ZNODE_NEW	0x08	/* made since the last zone_changes_clear(): nothing projected */
#define ZNODE_DEAD	0x10	/* gone from the names; freed by zone_changes_clear() */

/* zrr.rank: PTRs of ClusterIPs outrank PTRs of endpoints (spec 2.6) */
#define ZRR_RANK_CLUSTER_IP	0
#define ZRR_RANK_ENDPOINT	1

#define ZRR_EXISTS	0	/* zrr.type of a contribution that only makes its name exist */

struct zunit;
struct znode;

struct zrr {
	struct zrr *next;	/* the node's answer records, sorted (zone_build()) */
	struct zrr *rnext;	/* the node's contributions, every unit's */
	struct zrr **rprev;	/* where this contribution is linked from */
	struct zrr *unext;	/* the unit's contributions, every node's */
	struct znode *node;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;		/* SOA: 0, rendered from the zone at answer time */
	uint8_t rank;
	uint8_t rdata[];
};

#define ZNODE_NO_ZONE	(-1)

struct znode {
	UT_hash_handle hh;
	struct zrr *rrs;	/* answer records: sorted by type, rank, rdata, deduplicated */
	struct zrr *raw;	/* contributions, in no order */
	struct znode *parent;	/* the name one label up, up to the zone's apex; or NULL */
	uint32_t refs;		/* contributions + names directly below */
	uint16_t n_types;	/* distinct types in rrs */
	uint16_t n_was;		/* ZNODE_CHANGED: types before the change */
	uint16_t *was;
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

	/* units (zone_build.c) */
	struct zunit *units;		/* by key */
	struct zunit *dirty;		/* units to build again, linked through dnext */
	struct zns_count *ns_counts;	/* objects per namespace */
	struct zslices *slices;		/* EndpointSlices per "ns/service" */
	bool built;			/* the static unit is in */
	struct zbuild *scratch;		/* buffers reused by every build */

	/* names */
	struct znode *names;
	unsigned int n_names;
	unsigned int n_entries;		/* map entries zone_project() emits */
	struct znode **changed;		/* names whose entries may have changed */
	size_t n_changed, changed_cap;
};

/* An object joins (link) or leaves (unlink) z->objs: mark the units it feeds dirty. Called
 * by zone_objects.c with the object still intact. 0 or -ENOMEM. */
int zone_obj_link(struct zone *z, const struct zobj *o);
void zone_obj_unlink(struct zone *z, const struct zobj *o);
/* Note that n's entries change (its type list before the change is kept). 0 or -ENOMEM. */
int zone_node_changed(struct zone *z, struct znode *n);
/* Free what zone_build.c holds: units, contributions, names, indexes. */
void zone_units_free(struct zone *z);

/* The longest zone holding name (any action, or authoritative ones only), or -1. */
int zone_find(const struct zone *z, const uint8_t *name, size_t len, bool auth_only);
/* The node of a lower-case wire name, or NULL. */
struct znode *zone_node_find(const struct zone *z, const uint8_t *name, size_t len);
/* Render one SOA RR in the layout of maps/xdpdns.h into out[XDPDNS_SOA_LEN]; ptr is the
 * 16-bit value written at the three pointer positions (0 for the zone table). */
void zone_soa_render(const struct zone *z, uint8_t *out, uint16_t ptr);

#endif
