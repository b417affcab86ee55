/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * zone/zone.h - Kubernetes objects -> the authoritative cluster zone -> map entries.
 *
 * A struct zone holds the Kubernetes objects it was given (Namespaces, Services,
 * EndpointSlices, Pods), keyed by kind/namespace/name, so that one object can be added,
 * replaced or deleted at a time. zone_build() turns them into names and records per the
 * Kubernetes DNS specification as CoreDNS answers it (/work/shared/k8s-dns-spec.md
 * sections 2, 4 and 7). Answers are rendered on demand in the layout of struct
 * xdpdns_answer (maps/xdpdns.h): owners are the pointer 0xc00c to the question, rdata
 * names are uncompressed and lower case, negative answers carry the zone's SOA whose
 * pointers lead to the apex inside the question.
 *
 * Names are compared case-insensitively; Kubernetes names are lower-cased on load.
 * Objects that cannot be used are skipped with one log_warn() line
 * "skipping <Kind> <ns>/<name>: <reason>" and counted (zone_skipped()); fields that
 * cannot be used (one bad IP, one bad port) are dropped with a log line of their own.
 *
 * int functions return 0 or -errno; pointer functions return NULL and set errno.
 * A struct zone is not thread-safe: one writer, and no reader while zone_build() runs.
 */
#ifndef XDPDNS_ZONE_H
#define XDPDNS_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "maps.h"

struct json_object;

enum zone_pods_mode { ZONE_PODS_DISABLED, ZONE_PODS_INSECURE, ZONE_PODS_VERIFIED };

#define ZONE_TTL_MAX		3600
#define ZONE_TXT_TTL		28800	/* dns-version TXT, spec 2.2 */
#define ZONE_SCHEMA_VERSION	"1.1.0"	/* dns-version TXT, spec 2.2 */
#define ZONE_SOA_REFRESH	7200
#define ZONE_SOA_RETRY		1800
#define ZONE_SOA_EXPIRE		86400

struct zone_config {
	const char *zone;		/* "cluster.local" */
	unsigned int ttl;		/* records and SOA TTL/MINIMUM; 0..3600 */
	enum zone_pods_mode pods;
	uint32_t serial;		/* SOA serial: see zone_serial_set(); tests a constant */
	/* NULL-terminated, e.g. {"96.10.in-addr.arpa", NULL}; may be NULL */
	const char *const *reverse_zones;
	/* our addresses: NS glue, ns.dns.<zone>; at most XDPDNS_MAX_LISTEN per family */
	const uint8_t (*listen_v4)[4];
	unsigned int n_v4;
	const uint8_t (*listen_v6)[16];
	unsigned int n_v6;
};

/* NULL + errno (EINVAL names the bad field via log_err, ENOMEM). The config is copied. */
struct zone *zone_new(const struct zone_config *cfg);
void zone_free(struct zone *z);

/*
 * Load a kubectl `List` (kubectl get ns,svc,endpointslices,pods -A -o json), a typed list
 * from the API (ServiceList, ... whose items carry no kind), or a single object. An object
 * replaces the loaded object of the same kind, namespace and name. Unusable objects are
 * skipped, logged and counted; returns 0, or -errno only for an unreadable file / not JSON
 * (-EBADMSG, also for strings that are not UTF-8) / a JSON value that is no object (-EINVAL) /
 * -ENOMEM. The json object stays the caller's. A file streams in (util/jstream): a List's
 * items load as they are read, so one that turns out malformed part-way has loaded (and
 * logged) its first items; throw that zone away. Any top-level "items" array is taken as a
 * List's items.
 */
int zone_load_file(struct zone *z, const char *path);
int zone_load_json(struct zone *z, struct json_object *list_or_object);
/* Forget one object ("Service", namespace or "" for Namespaces, name): 0 or -ENOENT. */
int zone_delete(struct zone *z, const char *kind, const char *ns, const char *name);
/*
 * The sweep after a relist (kube/watch.h): zone_sweep_begin() clears the seen mark of every
 * loaded object of kind ("Service", ...; again when called again: a restarted list),
 * zone_mark_seen() marks one loaded object (0, or -ENOENT when it is not loaded: skipped),
 * zone_sweep() deletes every object of kind not marked since, logging each, and returns how
 * many. An object loaded (replaced) after zone_sweep_begin() is unmarked until marked. Each
 * of begin and sweep walks every loaded object. -ENOENT for an unknown kind, -ENOMEM.
 */
int zone_sweep_begin(struct zone *z, const char *kind);
int zone_mark_seen(struct zone *z, const char *kind, const char *ns, const char *name);
int zone_sweep(struct zone *z, const char *kind);
unsigned int zone_skipped(const struct zone *z);	/* objects skipped so far */
unsigned int zone_objects(const struct zone *z);	/* objects loaded now */

/*
 * Bring the records up to date with the objects loaded: only what the objects changed since
 * the last build is built again (a Service with its EndpointSlices, a namespace, a pod), so
 * a change costs what it touches, not the size of the zone. 0, or -ENOMEM: what could not
 * be built is left out and built again at the next call. zone_new() builds what the config
 * implies (apexes, NS, dns-version).
 */
int zone_build(struct zone *z);

/* Names of the last build, and the map entries zone_project() emits for them (one existence
 * entry per name plus one per (name, type) with records). */
unsigned int zone_names(const struct zone *z);
unsigned int zone_entries(const struct zone *z);

/* The SOA serial (zone_config.serial until set). Every SOA is rendered when asked for, so a
 * new serial shows in the next zone_answer() / zone_project() without a rebuild. */
uint32_t zone_serial(const struct zone *z);
/* 0, or -ENOMEM when the apexes' SOA answers could not be noted as changed. */
int zone_serial_set(struct zone *z, uint32_t serial);

/*
 * The answer the fast path must give for (wire name, qtype), in the layout of the maps'
 * values with every section in data[]: NOERROR answer, or NODATA / NXDOMAIN with the zone's
 * SOA, pointers patched for this qname. (The maps hold NODATA as XDPDNS_ANS_ZONE_SOA, see
 * zone_project(); xdpdns_answer_expand() turns that into this.) Returns 0 and fills *out,
 * or -ENOENT when the name is in no authoritative zone or is
 * under a pass rule (slow path decides), -EINVAL for a malformed name. out->flags has
 * XDPDNS_ANS_PASS where the fast path must pass (then len is 0). Used by the slow path
 * and tests. qtype XDPDNS_QTYPE_NAME gives the name's existence entry.
 */
int zone_answer(const struct zone *z, const uint8_t *qname, size_t qname_len, uint16_t qtype,
		struct xdpdns_answer *out);

/* What zone_answer_buf() rendered: header fields of the response and the bytes used. */
struct zone_reply {
	uint8_t rcode;
	uint8_t flags;		/* XDPDNS_ANS_PASS: a CNAME owner or a name with no zone */
	uint16_t ancount, nscount, arcount;
	size_t len;
};

/*
 * Like zone_answer() without the XDPDNS_ANSWER_MAX limit, for the slow path (TCP, large
 * RRsets): renders the sections that follow the question into buf[0..cap). Entries that
 * only exist to make the fast path pass (CNAME owners for other types, names outside every
 * zone) come back with flags XDPDNS_ANS_PASS and len 0. -EMSGSIZE when cap is too small.
 * It also answers what only the slow path can: with ZONE_PODS_INSECURE, every name below
 * pod.<zone> (a-b-c-d.<ns>.pod.<zone> of an existing namespace: A or AAAA of the address it
 * spells, NODATA for other types; NXDOMAIN for anything else), where zone_answer() and the
 * fast path pass (-ENOENT).
 */
int zone_answer_buf(const struct zone *z, const uint8_t *qname, size_t qname_len,
		    uint16_t qtype, struct zone_reply *out, uint8_t *buf, size_t cap);

/*
 * Every map entry: emit(ctx, key, val) for each (name, qtype) answer and each
 * (name, XDPDNS_QTYPE_NAME) existence entry. A NODATA existence entry carries
 * XDPDNS_ANS_ZONE_SOA and the zone's index in zone_project_zones()'s table instead of the
 * SOA, so it does not change with the serial. Stops and returns emit's value if non-zero.
 * Keys are struct xdpdns_key_l built with xdpdns_key_build() (the map writer truncates to
 * the class size).
 */
typedef int (*zone_emit_fn)(void *ctx, const struct xdpdns_key_l *key,
			    const struct xdpdns_answer *val);
int zone_project(const struct zone *z, zone_emit_fn emit, void *ctx);

/*
 * Changes for the maps. Every build, and zone_serial_set(), notes the names whose entries
 * may have changed (a new zone: every name). zone_project_changes() emits every entry of
 * each such name that exists (emit, as zone_project()) and remove(ctx, key) for each entry
 * such a name had and no longer has (a type it lost, or every entry of a name gone); both
 * may report entries that did not change. zone_changes_clear() forgets the notes: call it
 * once the maps have them (zone_project() also covers them). Stops at and returns the first
 * non-zero callback value.
 */
typedef int (*zone_remove_fn)(void *ctx, const struct xdpdns_key_l *key);
int zone_project_changes(const struct zone *z, zone_emit_fn emit, zone_remove_fn remove,
			 void *ctx);
void zone_changes_clear(struct zone *z);

/* The zone table for xdpdns_zones, longest name first; returns the count (<= max and
 * <= XDPDNS_MAX_ZONES) or -errno (-ENOSPC when max is too small). */
int zone_project_zones(const struct zone *z, struct xdpdns_zone *out, unsigned int max);

#endif
