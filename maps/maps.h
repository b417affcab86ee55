/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps/maps.h - userspace accessors for the maps of xdpdns.h.
 *
 * Keys are built in the largest layout (struct xdpdns_key_l); a smaller class's key is
 * the same bytes truncated, since the name is zero-filled. int functions return 0 or
 * -errno; the map fds come from the skeleton or from the pins (maps_open_pinned()).
 */
#ifndef XDPDNS_MAPS_USER_H
#define XDPDNS_MAPS_USER_H

#include <stddef.h>
#include <stdint.h>

#include "xdpdns.h"

enum xdpdns_key_class {
	XDPDNS_CLASS_S,
	XDPDNS_CLASS_M,
	XDPDNS_CLASS_L,
	XDPDNS_CLASS_COUNT,
};

/* The map fds of one running instance. -1 where not open. */
struct xdpdns_maps {
	int answers[XDPDNS_CLASS_COUNT];
	int zones;
	int config;
	int stats;
	int cache;		/* promoted answers, XDPDNS_MAP_CACHE */
};

/* The class whose key holds a wire name of name_len bytes (1..255). */
static inline enum xdpdns_key_class xdpdns_key_class(unsigned int name_len)
{
	if (name_len <= XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_S))
		return XDPDNS_CLASS_S;
	if (name_len <= XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_M))
		return XDPDNS_CLASS_M;
	return XDPDNS_CLASS_L;
}

static inline size_t xdpdns_key_size(enum xdpdns_key_class c)
{
	return c == XDPDNS_CLASS_S ? XDPDNS_KEY_S : c == XDPDNS_CLASS_M ? XDPDNS_KEY_M : XDPDNS_KEY_L;
}

/* Length of the wire name in a key (up to and including the root label); 0 if malformed. */
unsigned int xdpdns_key_name_len(const struct xdpdns_key_l *key);

/*
 * Fill key from a wire-format name (lower-casing ASCII letters) and a query type (host
 * order). Returns 0, or -EINVAL for a name that is not a well-formed uncompressed name.
 */
int xdpdns_key_build(struct xdpdns_key_l *key, const uint8_t *name, size_t name_len, uint16_t qtype);

/* RFC 1071 sum of data read as native-endian 16-bit words, folded, not complemented. */
uint16_t xdpdns_csum_partial(const void *data, size_t len);

/*
 * The SOA of zone z as the fast path writes it for a question name of qname_len bytes: its
 * three compression pointers at the apex suffix. -EINVAL when z cannot end such a name.
 */
int xdpdns_zone_soa(const struct xdpdns_zone *z, unsigned int qname_len,
		    uint8_t out[XDPDNS_SOA_LEN]);

/*
 * What the fast path sends for entry a found for a qname_len-byte name, given the zone table
 * zones[0..n_zones): a itself, or for XDPDNS_ANS_ZONE_SOA the table's SOA in data[] (len,
 * csum filled, flag cleared). -EINVAL where the fast path passes (pass_zone_table_mismatch).
 */
int xdpdns_answer_expand(const struct xdpdns_answer *a, const struct xdpdns_zone *zones,
			 unsigned int n_zones, unsigned int qname_len, struct xdpdns_answer *out);

/* Map names, indexed like struct xdpdns_maps.answers. */
extern const char *const xdpdns_answer_map_names[XDPDNS_CLASS_COUNT];

/* Counter name of a reason ("answer_a"), NULL for an unused index. */
const char *xdpdns_reason_name(unsigned int reason);

/* Open the maps pinned under pin_dir. On error nothing stays open. */
int maps_open_pinned(struct xdpdns_maps *m, const char *pin_dir);
void maps_close(struct xdpdns_maps *m);

/* Sum one per-CPU counter over all CPUs. */
int maps_read_counter(const struct xdpdns_maps *m, unsigned int reason, uint64_t *out);

/*
 * Every counter of maps/reasons.h summed over CPUs, indexed by reason; indices without a
 * name are 0. 0, or the first failed lookup's -errno (out is then incomplete).
 */
int maps_read_counters(const struct xdpdns_maps *m, uint64_t out[XDPDNS_R_MAX]);

/* Look up a question in the answer maps; -ENOENT when absent. */
int maps_lookup_answer(const struct xdpdns_maps *m, const struct xdpdns_key_l *key,
		       struct xdpdns_answer *out);

/* The cache map's key of a question: key cut to struct xdpdns_key_m. -ENAMETOOLONG for a
 * name that the cache map cannot hold (over 126 bytes), -EINVAL for a malformed key. */
int maps_cache_key(const struct xdpdns_key_l *key, struct xdpdns_key_m *out);

/* Look up a question in the promoted cache map; -ENOENT when absent (or not promotable). */
int maps_lookup_cache(const struct xdpdns_maps *m, const struct xdpdns_key_l *key,
		      struct xdpdns_cache_val *out);

#endif
