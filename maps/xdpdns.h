/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps/xdpdns.h - the data plane <-> control plane contract.
 *
 * Every map's key and value layout, every sizing constant and the pin names.
 * Both bpf/ and userspace/ include this file; nothing here is declared twice.
 * Fields are in host byte order unless their type says __be16/__be32.
 * Keys are compared as bytes by the kernel: both sides zero a key before filling it.
 *
 * Answer maps.  A question (name, type) is looked up in one of three hash maps chosen
 * by the length of the wire-format name, so short names (most cluster names) hash a
 * 64-byte key instead of a 264-byte one (bench/README.md, "key layout").
 *   key   = { qtype, lower-cased wire name zero-filled }
 *   value = the sections that follow the question, pre-rendered, plus header fields.
 * qtype XDPDNS_QTYPE_NAME (0, never a real query type) marks that the name exists:
 * its value is the NODATA answer for every type without an entry. The control plane writes
 * it with XDPDNS_ANS_ZONE_SOA and no data, so the SOA (and its serial, which moves with
 * every change of the zone) lives once, in the zone table, not in every name's entry.
 * A name with no entry at all is looked up in the zone table to decide between
 * NXDOMAIN (inside an authoritative zone) and XDP_PASS (anything else).
 *
 * Compression pointers inside data[] are offsets from the start of the DNS message:
 * the question name starts at offset 12 (XDPDNS_QNAME_OFF), so answers whose owner is
 * the question use the pointer 0xc00c and keep the client's letter case.
 */
#ifndef XDPDNS_MAPS_H
#define XDPDNS_MAPS_H

#include <linux/types.h>

#include "reasons.h"

#define XDPDNS_NAME_MAX		255	/* wire-format name incl. the root label, RFC 1035 2.3.4 */
#define XDPDNS_LABEL_MAX	63
#define XDPDNS_MAX_LABELS	127	/* 255 bytes hold at most 127 one-byte labels + root */
#define XDPDNS_QNAME_OFF	12	/* the question name follows the 12-byte header */
#define XDPDNS_QTYPE_NAME	0	/* key qtype meaning "the name exists" (NODATA answer) */

/* Answer key size classes: total key bytes (qtype + name buffer). */
#define XDPDNS_KEY_S		64	/* names up to 62 bytes */
#define XDPDNS_KEY_M		128	/* names up to 126 bytes (IPv6 PTR names are 74) */
#define XDPDNS_KEY_L		264	/* any name: 2 + 255, rounded up to 8 */
#define XDPDNS_KEY_NAME_MAX(k)	((k) - 2)

struct xdpdns_key_s {
	__be16	qtype;				/* network order; XDPDNS_QTYPE_NAME = exists */
	__u8	name[XDPDNS_KEY_S - 2];		/* lower-cased wire name, zero-filled */
};
struct xdpdns_key_m {
	__be16	qtype;
	__u8	name[XDPDNS_KEY_M - 2];
};
struct xdpdns_key_l {
	__be16	qtype;
	__u8	name[XDPDNS_KEY_L - 2];
};
_Static_assert(sizeof(struct xdpdns_key_s) == XDPDNS_KEY_S, "key_s ABI changed");
_Static_assert(sizeof(struct xdpdns_key_m) == XDPDNS_KEY_M, "key_m ABI changed");
_Static_assert(sizeof(struct xdpdns_key_l) == XDPDNS_KEY_L, "key_l ABI changed");

#define XDPDNS_ANSWERS_MAX_ENTRIES	(1 << 20)	/* per class; maps are not preallocated */

/*
 * data[] bytes; bigger answers (more than 23 A or 13 AAAA records) get XDPDNS_ANS_PASS and
 * go to the slow path. Sized for the kernel's allocator, measured on Linux 6.18 with
 * BPF_F_NO_PREALLOC hash maps and 64-byte keys: a 16 + 376 = 392-byte value costs 519
 * bytes of slab per element, a 400-byte value 1031 (the element, its header and the
 * allocator's own per-object node round up to the next kmalloc class). So 376 halves the
 * kernel memory of the answer maps for short names, against 496 before (bench/README.md).
 */
#define XDPDNS_ANSWER_MAX	376

/* xdpdns_answer.flags */
#define XDPDNS_ANS_PASS		0x01	/* the slow path answers this question (CNAME chase, too big, ...) */
/*
 * A negative answer (rcode, ancount 0, len 0) whose authority section is the SOA of zone table
 * entry `zone`, appended by the fast path exactly as for NXDOMAIN (nscount 1). Passed
 * (pass_zone_table_mismatch) when that entry is not in use or cannot hold the name: the zone
 * table is being rewritten.
 */
#define XDPDNS_ANS_ZONE_SOA	0x02

struct xdpdns_answer {
	__u8	rcode;		/* RCODE of the response: 0 NOERROR, 3 NXDOMAIN */
	__u8	flags;		/* XDPDNS_ANS_* */
	__u16	ancount;	/* records in data[], in section order */
	__u16	nscount;
	__u16	arcount;	/* not counting the OPT record the fast path appends */
	__u16	len;		/* bytes used in data[] */
	__u16	csum;		/* RFC 1071 sum of data[0..len) read as native-endian 16-bit words
				 * (odd tail padded with zero), folded, not complemented: the data's
				 * contribution to the UDP checksum when it starts at an even offset */
	__u8	zone;		/* XDPDNS_ANS_ZONE_SOA: index in the zone table; else zero */
	__u8	pad[3];		/* zero */
	__u8	data[XDPDNS_ANSWER_MAX];	/* answer, authority, additional RRs in wire format */
};
_Static_assert(sizeof(struct xdpdns_answer) == 16 + XDPDNS_ANSWER_MAX, "answer ABI changed");

/*
 * Zone table: the served zones, longest name first, n_zones of them in xdpdns_config.
 * A name with no entry in the answer maps gets the action of the longest zone it lies in.
 * XDPDNS_ZONE_AUTH answers NXDOMAIN with soa[] in the authority section; XDPDNS_ZONE_PASS
 * leaves it to the slow path (names it synthesises, such as insecure pod records).
 * soa[] is one SOA RR laid out exactly as below; the three compression pointers are zero
 * in soa[] and in soa_csum, and the fast path writes 0xc000 | (offset of the zone's apex
 * within the question name) into all three:
 *   0  owner   pointer                    -> zone apex in the question
 *   2  TYPE SOA, CLASS IN, TTL, RDLENGTH
 *   12 MNAME   \x02ns\x03dns + pointer    (pointer at 19)
 *   21 RNAME   \x0ahostmaster + pointer   (pointer at 32)
 *   34 SERIAL REFRESH RETRY EXPIRE MINIMUM (20 bytes), 54 bytes in all
 */
#define XDPDNS_MAX_ZONES	8
#define XDPDNS_ZONE_AUTH	1
#define XDPDNS_ZONE_PASS	2
#define XDPDNS_SOA_LEN		54
#define XDPDNS_SOA_PTR_OWNER	0
#define XDPDNS_SOA_PTR_MNAME	19
#define XDPDNS_SOA_PTR_RNAME	32

struct xdpdns_zone {
	__u8	name[XDPDNS_KEY_L];		/* lower-cased wire name of the apex, zero-filled */
	__u16	name_len;		/* bytes of name[] incl. the root label */
	__u8	action;			/* XDPDNS_ZONE_AUTH or XDPDNS_ZONE_PASS */
	__u8	pad;
	__u16	soa_csum;		/* as xdpdns_answer.csum, over soa[] with the pointers zero */
	__u16	pad2;
	__u8	soa[56];		/* XDPDNS_SOA_LEN bytes used */
};
_Static_assert(sizeof(struct xdpdns_zone) == 328, "zone ABI changed");

/*
 * The one-entry config map: listen addresses, port, and the daemon's heartbeat.
 * The fast path answers only UDP to port on one of the addresses, and passes
 * everything once heartbeat_ns is older than stale_after_ns.
 */
#define XDPDNS_MAX_LISTEN	8
#define XDPDNS_EDNS_SIZE	1232	/* our EDNS UDP payload size (DNS flag day 2020) */

struct xdpdns_in6 {
	__u8	b[16];			/* network order */
};

struct xdpdns_config {
	__u64	heartbeat_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) of the last write */
	__u64	stale_after_ns;		/* 0: never stale */
	__be16	port;			/* UDP listen port, network order */
	__u16	edns_size;		/* EDNS UDP size we advertise and the largest reply we send */
	__u8	n_v4;			/* used entries of v4[] */
	__u8	n_v6;			/* used entries of v6[] */
	__u8	n_zones;		/* used entries of xdpdns_zones, longest name first */
	__u8	pad;
	__be32	v4[XDPDNS_MAX_LISTEN];	/* network order */
	struct xdpdns_in6 v6[XDPDNS_MAX_LISTEN];
	__u32	abi;			/* XDPDNS_ABI of the writer */
	__u32	pad2;
};
_Static_assert(sizeof(struct xdpdns_config) == 192, "config ABI changed");

/*
 * Promoted cache: the most popular answers of the daemon's forwarder cache for names outside
 * every served zone, learnt only from its own upstream answers (never from packets on the
 * wire), keyed like xdpdns_ans_m (names of at most 126 bytes; longer ones are not promoted).
 * The fast path consults it only where it would pass pass_not_authoritative, only for
 * queries without DO and CD (the forwarder caches those apart, with other contents), and
 * answers while bpf_ktime_get_ns() < expire_ns; from then on it passes (pass_cache_expired)
 * and the slow path refreshes the entry. Every TTL field (the 32-bit big-endian field at
 * data[ttl_off[i]]) is zero in ans.data[] and in ans.csum; the fast path writes the seconds
 * left, (expire_ns - now) / 10^9 rounded down, into each and adds them to the UDP checksum.
 * The reply has QR, RA, RD and CD copied, no AA (it is not authoritative), rcode ans.rcode;
 * ans.flags must be 0 (anything else is passed, pass_slow_path_entry).
 */
#define XDPDNS_CACHE_TTLS_MAX		8	/* records of one promoted answer */
/*
 * Promoted answers at most: the daemon's promoter writes no more than this (its top set),
 * and picking the top set costs the forwarder cache O(entries x this) under its shard locks.
 */
#define XDPDNS_CACHE_MAX_ENTRIES	1024

struct xdpdns_cache_val {
	__u64	expire_ns;		/* CLOCK_MONOTONIC: served while now < expire_ns */
	__u16	ttl_off[XDPDNS_CACHE_TTLS_MAX];	/* TTL fields: offsets in ans.data[] */
	__u8	n_ttls;			/* used entries of ttl_off[] */
	__u8	pad[7];			/* zero */
	struct xdpdns_answer ans;	/* owners 0xc00c, TTLs zero, csum with them zero */
};
_Static_assert(sizeof(struct xdpdns_cache_val) == 32 + 16 + XDPDNS_ANSWER_MAX,
	       "cache value ABI changed");

/*
 * The meaning of the maps' contents, beyond their layout (which the loader compares on its
 * own): bumped whenever a program of this build would misread entries that an earlier build
 * writes, or the reverse. Pins holding another value are replaced like pins of another layout.
 *   1  NODATA entries carry XDPDNS_ANS_ZONE_SOA instead of an SOA of their own
 *   2  the promoted cache map xdpdns_cache, counters answer_cached and pass_cache_expired:
 *      a fresh set of pins rather than maps shared with a build whose program never reads
 *      the cache map (its daemon would leave the entries a newer one promoted to expire
 *      unrefreshed, and nothing would delete them)
 */
#define XDPDNS_ABI		2

/* Pins: LIBBPF_PIN_BY_NAME pins every map under the pin directory with its own name. */
#define XDPDNS_PIN_DIR_DEFAULT	"/sys/fs/bpf/xdpdns"
#define XDPDNS_MAP_ANSWERS_S	"xdpdns_ans_s"
#define XDPDNS_MAP_ANSWERS_M	"xdpdns_ans_m"
#define XDPDNS_MAP_ANSWERS_L	"xdpdns_ans_l"
#define XDPDNS_MAP_ZONES	"xdpdns_zones"
#define XDPDNS_MAP_CONFIG	"xdpdns_config"
#define XDPDNS_MAP_STATS	"xdpdns_stats"
#define XDPDNS_MAP_CACHE	"xdpdns_cache"
#define XDPDNS_PROG_PIN		"xdpdns_prog"	/* the XDP program, pinned beside its maps */

#endif
