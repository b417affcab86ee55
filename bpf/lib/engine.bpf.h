/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * engine.bpf.h - the answer engine: parse a DNS query, look it up in the maps of
 * maps/xdpdns.h, and rewrite the packet into the reply in place.
 *
 * Every stage returns an enum xdpdns_reason: XDPDNS_R_OK to go on, anything else ends the
 * packet (see maps/reasons.h for how a reason maps to a verdict). Offsets in struct pkt are
 * from the start of the frame (ctx->data) and stay valid across bpf_xdp_adjust_tail().
 * Nothing here trusts the packet: every access is bounds-checked against data_end, every loop
 * is bounded by a named constant.
 */
#ifndef XDPDNS_ENGINE_BPF_H
#define XDPDNS_ENGINE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "csum.bpf.h"
#include "xdpdns.bpf.h"

#define DNS_HDR_LEN		12
#define DNS_OPT_LEN		11	/* root owner, TYPE, CLASS, TTL, RDLENGTH */
#define DNS_UDP_MIN		512	/* RFC 1035 4.2.1: the limit without EDNS */
#define DNS_TYPE_OPT		41
#define DNS_CLASS_IN		1
#define DNS_FLAG_QR		0x8000
#define DNS_FLAG_OPCODE		0x7800
#define DNS_FLAG_AA		0x0400
#define DNS_FLAG_RD		0x0100
#define DNS_FLAG_RA		0x0080
#define DNS_FLAG_CD		0x0010
#define DNS_EDNS_DO		0x8000
#define DNS_RCODE_NXDOMAIN	3
#define REPLY_HOP_LIMIT		64
#define VLAN_MAX_DEPTH		2
#define KEY_WORDS		66	/* 528 bytes: see struct scratch */
#define HEAD_MAX		384	/* >= 22 (eth+2 vlan) + 40 + 8 + 12 + 255 + 4 */
#define NSEC_PER_SEC		1000000000ULL
#define TTL_MAX			0x7fffffffU	/* RFC 2181 8 */

struct vlan_hdr {
	__be16	tci;
	__be16	proto;
};

struct dns_hdr {
	__be16	id;
	__be16	flags;		/* masked with DNS_FLAG_*, never bitfields */
	__be16	qdcount;
	__be16	ancount;
	__be16	nscount;
	__be16	arcount;
};

/* What parsing learnt about the packet; offsets from ctx->data. */
struct pkt {
	__u32	l3_off;
	__u32	l4_off;
	__u32	dns_off;
	__u32	dns_len;	/* UDP payload bytes; the frame may carry padding after them */
	__u32	name_len;	/* question name incl. the root label */
	__u32	limit;		/* largest DNS reply the client accepts (and we send) */
	__u64	qsum;		/* partial checksum of the question name as sent */
	__be16	qflags;		/* the query's header flags */
	__be16	qtype;
	__be16	do_bit;		/* DNS_EDNS_DO from the query's OPT, network order */
	__u8	ipv6;
	__u8	has_opt;
};

/*
 * Per-CPU scratch: the lookup key and the label map of the question name. The key area is
 * larger than any key (XDPDNS_KEY_L) so that the zone-suffix compare, which reads whole
 * 8-byte words at a variable offset, provably stays inside the value.
 */
struct scratch {
	__u64	kw[KEY_WORDS];	/* bytes 0..1 qtype, 2.. the name: an xdpdns_key_* prefix */
	__u64	labels[4];	/* bit n set: a label starts at offset n of the name */
	__u64	qsum;		/* partial checksum of the question name as sent */
	__u32	name_len;	/* see parse_query() */
	__u32	zone_start;	/* xdpdns_find_zone() */
	__u8	head[HEAD_MAX];	/* frame up to the end of the question, see grow_frame() */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} xdpdns_scratch SEC(".maps");	/* program-private, not part of the contract */

/* A mask keeping the first n (1..7) bytes of a word as it lies in memory. */
static __always_inline __u64 word_first_bytes(__u32 n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (1ULL << (n * 8)) - 1;
#else
	return ~0ULL << ((8 - n) * 8);
#endif
}

/* Byte b placed at memory offset k (0..7) of a word. */
static __always_inline __u64 word_byte(__u8 b, __u32 k)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u64)b << (k * 8);
#else
	return (__u64)b << ((7 - k) * 8);
#endif
}

/* Lower-case the ASCII letters of eight bytes at once; other bytes are unchanged. */
static __always_inline __u64 lower64(__u64 w)
{
	__u64 heptets = w & 0x7f7f7f7f7f7f7f7fULL;
	__u64 ge_a = heptets + 0x3f3f3f3f3f3f3f3fULL;	/* high bit: byte >= 'A' */
	__u64 gt_z = heptets + 0x2525252525252525ULL;	/* high bit: byte > 'Z' */
	__u64 upper = ge_a & ~gt_z & ~w & 0x8080808080808080ULL;

	return w | (upper >> 2);
}

static __always_inline enum xdpdns_reason parse_ipv4(void *data, void *end, struct pkt *p,
						     __u32 *l4_len)
{
	struct iphdr *ip = data + p->l3_off;
	__u32 tot;

	if ((void *)(ip + 1) > end)
		return XDPDNS_R_DROP_IP_LEN;
	if (ip->version != 4 || ip->ihl < 5)
		return XDPDNS_R_DROP_IPV4_IHL;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < ip->ihl * 4U || (void *)ip + tot > end)
		return XDPDNS_R_DROP_IP_LEN;
	if (ip->protocol != IPPROTO_UDP)
		return XDPDNS_R_PASS_NOT_UDP;
	if (ip->frag_off & bpf_htons(0x3fff))	/* MF or an offset */
		return XDPDNS_R_PASS_FRAGMENT;
	if (ip->ihl != 5)
		return XDPDNS_R_PASS_IP_OPTIONS;
	p->l4_off = p->l3_off + sizeof(*ip);
	*l4_len = tot - sizeof(*ip);
	return XDPDNS_R_OK;
}

static __always_inline enum xdpdns_reason parse_ipv6(void *data, void *end, struct pkt *p,
						     __u32 *l4_len)
{
	struct ipv6hdr *ip6 = data + p->l3_off;
	__u32 plen;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return XDPDNS_R_DROP_IP_LEN;
	plen = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + plen > end)
		return XDPDNS_R_DROP_IP_LEN;
	switch (ip6->nexthdr) {
	case IPPROTO_UDP:
		break;
	case 0: case 43: case 44: case 50: case 51: case 60: case 135: case 139: case 140:
		return XDPDNS_R_PASS_IPV6_EXT;	/* hop-by-hop, routing, fragment, ESP, AH, ... */
	default:
		return XDPDNS_R_PASS_NOT_UDP;
	}
	p->ipv6 = 1;
	p->l4_off = p->l3_off + sizeof(*ip6);
	*l4_len = plen;
	return XDPDNS_R_OK;
}

static __always_inline int listening_on(const struct xdpdns_config *cfg, void *data,
					const struct pkt *p)
{
	if (!p->ipv6) {
		struct iphdr *ip = data + p->l3_off;

		for (__u32 i = 0; i < XDPDNS_MAX_LISTEN; i++) {
			if (i >= cfg->n_v4)
				break;
			if (cfg->v4[i] == ip->daddr)
				return 1;
		}
		return 0;
	}
	struct ipv6hdr *ip6 = data + p->l3_off;
	__u64 hi = *(__u64 *)&ip6->daddr.s6_addr[0], lo = *(__u64 *)&ip6->daddr.s6_addr[8];

	for (__u32 i = 0; i < XDPDNS_MAX_LISTEN; i++) {
		if (i >= cfg->n_v6)
			break;
		if (*(__u64 *)&cfg->v6[i].b[0] == hi && *(__u64 *)&cfg->v6[i].b[8] == lo)
			return 1;
	}
	return 0;
}

/* Ethernet, up to two VLAN tags, IPv4 or IPv6, UDP to a listen address and port. */
static __always_inline enum xdpdns_reason parse_l2_l4(struct xdp_md *ctx, struct pkt *p,
						      const struct xdpdns_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	enum xdpdns_reason r;
	struct udphdr *udp;
	__u32 off = sizeof(*eth), l4_len = 0;
	__be16 proto;

	if ((void *)(eth + 1) > end)
		return XDPDNS_R_PASS_NOT_IP;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_hdr *vh = data + off;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return XDPDNS_R_PASS_NOT_IP;
		proto = vh->proto;
		off += sizeof(*vh);
	}
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return XDPDNS_R_PASS_VLAN_DEPTH;
	p->l3_off = off;
	if (proto == bpf_htons(ETH_P_IP))
		r = parse_ipv4(data, end, p, &l4_len);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = parse_ipv6(data, end, p, &l4_len);
	else
		r = XDPDNS_R_PASS_NOT_IP;
	if (r != XDPDNS_R_OK)
		return r;

	udp = data + p->l4_off;
	if (l4_len < sizeof(*udp) || (void *)(udp + 1) > end)
		return XDPDNS_R_DROP_UDP_LEN;		/* no UDP header: the stack drops it too */
	if (udp->dest != cfg->port || !listening_on(cfg, data, p))
		return XDPDNS_R_PASS_NOT_LISTEN;
	/* Only ours: Linux accepts a UDP length under the IP payload (it trims the rest). */
	if (bpf_ntohs(udp->len) != l4_len)
		return XDPDNS_R_DROP_UDP_LEN;
	p->dns_off = p->l4_off + sizeof(*udp);
	p->dns_len = l4_len - sizeof(*udp);
	return XDPDNS_R_OK;
}

/*
 * The header, the question name (walked label by label, its label starts recorded), QTYPE,
 * QCLASS and at most one OPT record. Lengths are checked against the UDP payload, not the
 * frame, so Ethernet padding is never read as DNS.
 */
static __always_inline enum xdpdns_reason parse_query(struct xdp_md *ctx, struct pkt *p,
						      struct scratch *s)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct dns_hdr *h = data + p->dns_off;
	__u32 qoff = p->dns_off + DNS_HDR_LEN, room, pos = 0, rest, arcount;
	__u8 *q;

	if (p->dns_len < DNS_HDR_LEN || (void *)(h + 1) > end)
		return XDPDNS_R_DROP_DNS_SHORT;
	if (h->flags & bpf_htons(DNS_FLAG_QR))
		return XDPDNS_R_PASS_QR;
	if (h->flags & bpf_htons(DNS_FLAG_OPCODE))
		return XDPDNS_R_PASS_OPCODE;
	if (h->qdcount != bpf_htons(1))
		return XDPDNS_R_PASS_QDCOUNT;
	arcount = bpf_ntohs(h->arcount);
	if (h->ancount || h->nscount || arcount > 1)
		return XDPDNS_R_PASS_SECTIONS;
	p->qflags = h->flags;
	room = p->dns_len - DNS_HDR_LEN;

	s->labels[0] = s->labels[1] = s->labels[2] = s->labels[3] = 0;
	for (__u32 i = 0; i <= XDPDNS_MAX_LABELS; i++) {
		__u8 *lp = data + qoff + (pos & 0xff);
		__u32 len;

		if (pos >= room || (void *)(lp + 1) > end)
			return XDPDNS_R_PASS_TRUNCATED;
		len = *lp;
		s->labels[(pos >> 6) & 3] |= 1ULL << (pos & 63);
		if (len == 0) {
			/*
			 * XXX: stored through map memory, which the verifier does not track, so
			 * the 128 exits of this loop converge into one state instead of each
			 * verifying the rest of the program with its own exact length.
			 */
			s->name_len = pos + 1;
			goto name_done;
		}
		if (len >= 0xc0)
			return XDPDNS_R_PASS_COMPRESSED;
		if (len > XDPDNS_LABEL_MAX)
			return XDPDNS_R_PASS_LABEL_LONG;
		pos += len + 1;
		if (pos >= XDPDNS_NAME_MAX)
			return XDPDNS_R_PASS_NAME_LONG;
	}
	return XDPDNS_R_PASS_NAME_LONG;

name_done:
	p->name_len = s->name_len;
	if (p->name_len > XDPDNS_NAME_MAX)
		return XDPDNS_R_PASS_NAME_LONG;
	rest = p->name_len + 4;		/* QTYPE, QCLASS */
	q = data + qoff + (p->name_len & 0xff);
	if (rest > room || (void *)(q + 4) > end)
		return XDPDNS_R_PASS_TRUNCATED;
	if (*(__be16 *)(q + 2) != bpf_htons(DNS_CLASS_IN))
		return XDPDNS_R_PASS_CLASS;
	p->qtype = *(__be16 *)q;
	{
		__u16 t = bpf_ntohs(p->qtype);

		if (t == 0 || t == DNS_TYPE_OPT || (t >= 128 && t <= 255))
			return XDPDNS_R_PASS_QTYPE;
	}

	p->limit = DNS_UDP_MIN;
	if (arcount == 0)
		return rest == room ? XDPDNS_R_OK : XDPDNS_R_PASS_TRAILING;

	/* The OPT pseudo-record, RFC 6891 6.1.2. */
	__u8 *o = q + 4;
	__u32 rdlen, size;

	if (rest + DNS_OPT_LEN > room || (void *)(o + DNS_OPT_LEN) > end)
		return XDPDNS_R_PASS_EDNS_BAD;
	if (o[0] != 0 || *(__be16 *)(o + 1) != bpf_htons(DNS_TYPE_OPT))
		return XDPDNS_R_PASS_EDNS_BAD;
	rdlen = bpf_ntohs(*(__be16 *)(o + 9));
	if (rest + DNS_OPT_LEN + rdlen != room)
		return XDPDNS_R_PASS_EDNS_BAD;
	if (o[6] != 0)
		return XDPDNS_R_PASS_EDNS_VERSION;
	size = bpf_ntohs(*(__be16 *)(o + 3));
	p->limit = size > DNS_UDP_MIN ? size : DNS_UDP_MIN;
	p->do_bit = *(__be16 *)(o + 7) & bpf_htons(DNS_EDNS_DO);
	p->has_opt = 1;
	return XDPDNS_R_OK;
}

/*
 * Copy the question name into the key area (zero-filled to the class size and one word
 * beyond, for the zone compare), lower-casing it eight bytes at a time, and take its
 * checksum on the way, before the lower-casing (into s->qsum). Returns the key class, or -1.
 * A global function: the verifier checks it once, not once per state of its caller.
 */
__noinline int xdpdns_build_key(struct xdp_md *ctx, struct scratch *s, __u32 qoff)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 len, cls, words, used, i;
	__u8 *key;
	__u64 sum = 0;

	if (!s)
		return -1;
	len = s->name_len;
	if (len == 0 || len > XDPDNS_NAME_MAX)
		return -1;
	cls = len <= XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_S) ? 0 : len <= XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_M) ? 1 : 2;
	words = (cls == 0 ? XDPDNS_KEY_S : cls == 1 ? XDPDNS_KEY_M : XDPDNS_KEY_L) / 8 + 1;
	for (__u32 i = 0; i < XDPDNS_KEY_L / 8 + 1; i++) {
		if (i >= words)
			break;
		s->kw[i] = 0;
	}
	key = (__u8 *)s->kw + 2;
	/*
	 * Read the name straight from the packet eight bytes at a time (bpf_xdp_load_bytes()
	 * costs about 30 ns here: bench/README.md). Bytes past the name are masked off; only a
	 * last word that would read past the frame is gathered byte by byte.
	 */
	qoff &= 0x1ff;
	used = (len + 7) / 8;
	for (i = 0; i < (XDPDNS_NAME_MAX + 7) / 8; i++) {
		__u8 *src = data + qoff + i * 8;
		__u64 w;

		if (i >= used || (void *)(src + 8) > end)
			break;
		w = *(__u64 *)src;
		if (len - i * 8 < 8)
			w &= word_first_bytes(len - i * 8);
		sum = csum_add64(sum, w);
		*(__u64 *)(key + i * 8) = lower64(w);
	}
	if (i < used) {
		/* The last word would read past the frame (no OPT after a short question). */
		__u32 at = (i & 31) * 8, rem = len - at;
		__u8 *src = data + qoff + at;
		__u64 w = 0;

		for (__u32 k = 0; k < 7; k++) {
			if (k >= rem)
				break;
			if ((void *)(src + k + 1) > end)
				return -1;
			w |= word_byte(src[k], k);
		}
		sum = csum_add64(sum, w);
		*(__u64 *)(key + at) = lower64(w);
	}
	s->qsum = sum;
	return cls;
}

static __always_inline struct xdpdns_answer *lookup_answer(int cls, struct scratch *s)
{
	if (cls == 0)
		return bpf_map_lookup_elem(&xdpdns_ans_s, s->kw);
	if (cls == 1)
		return bpf_map_lookup_elem(&xdpdns_ans_m, s->kw);
	return bpf_map_lookup_elem(&xdpdns_ans_l, s->kw);
}

/*
 * The served zone the name in the key lies in: the first (they are stored longest first)
 * whose name is a suffix of it at a label boundary. Returns its index and sets s->zone_start
 * to the suffix's offset in the name, or returns -1. A global function, as above.
 */
__noinline int xdpdns_find_zone(struct scratch *s, __u32 n_zones)
{
	__u32 name_len;

	if (!s)
		return -1;
	name_len = s->name_len;
	for (__u32 i = 0; i < XDPDNS_MAX_ZONES; i++) {
		struct xdpdns_zone *z;
		__u32 zl, st, words, j, key = i;	/* &i would make i unknown to the verifier */
		__u8 *k;

		if (i >= n_zones)
			break;
		z = bpf_map_lookup_elem(&xdpdns_zones, &key);
		if (!z)
			break;
		zl = z->name_len;
		if (zl == 0 || zl > name_len || zl > XDPDNS_NAME_MAX)
			continue;
		st = (name_len - zl) & 0xff;
		if (!(s->labels[(st >> 6) & 3] & (1ULL << (st & 63))))
			continue;
		/* Both names are zero-filled past their end, and they end together. */
		k = (__u8 *)s->kw + 2 + st;
		words = (zl + 7) / 8;
		for (j = 0; j < (XDPDNS_KEY_L - 2) / 8; j++) {
			if (j >= words || *(__u64 *)(k + j * 8) != *(__u64 *)(z->name + j * 8))
				break;
		}
		if (j >= words) {
			s->zone_start = st;
			return i;
		}
	}
	return -1;
}

/* A block of data at DNS offset parity odd: its folded even-aligned sum placed there. */
static __always_inline __u64 sum_words32(const void *p, __u32 n32)
{
	const __u32 *w = p;
	__u64 sum = 0;

	for (__u32 i = 0; i < n32; i++)
		sum += w[i];
	return sum;
}

/*
 * Copy an answer's data[] into the frame at off, eight bytes at a time (bpf_xdp_store_bytes()
 * costs about 30 ns here: bench/README.md). A global function: verified once. Returns 0 or -1.
 */
__noinline int xdpdns_copy_answer(struct xdp_md *ctx, __u32 off, const struct xdpdns_answer *a)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 len, tail;
	__u8 *dst;

	if (!a)
		return -1;
	len = a->len;
	if (len > XDPDNS_ANSWER_MAX)
		return -1;
	dst = data + (off & 0x7ff);
	for (__u32 i = 0; i < XDPDNS_ANSWER_MAX / 8; i++) {
		if (i * 8 + 8 > len)
			break;
		if ((void *)(dst + i * 8 + 8) > end)
			return -1;
		*(__u64 *)(dst + i * 8) = *(__u64 *)(a->data + i * 8);
	}
	tail = len & ~7U;
	for (__u32 k = 0; k < 7; k++) {
		__u32 j = tail + k;

		if (j >= len || j >= XDPDNS_ANSWER_MAX)
			break;
		if ((void *)(dst + j + 1) > end)
			return -1;
		dst[j] = a->data[j];
	}
	return 0;
}

/*
 * Write ttl (seconds, host order) into the TTL fields of a promoted answer that
 * xdpdns_copy_answer() put at off, and return their contribution to the checksum as a sum
 * of data[] at an even offset (the caller places it at the answer's parity), or -1. The
 * fields are zero in the copied data and in its csum, so adding theirs is all it takes.
 * A global function: verified once.
 */
__noinline int xdpdns_patch_ttls(struct xdp_md *ctx, __u32 off, const struct xdpdns_cache_val *cv,
				 __u32 ttl)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__be32 v = bpf_htonl(ttl);
	__u16 w = csum_fold((__u64)(v & 0xffff) + (v >> 16));	/* its two words, as stored */
	__u32 n, len;
	__u64 sum = 0;

	if (!cv)
		return -1;
	n = cv->n_ttls;
	len = cv->ans.len;
	if (n > XDPDNS_CACHE_TTLS_MAX || len > XDPDNS_ANSWER_MAX)
		return -1;
	for (__u32 i = 0; i < XDPDNS_CACHE_TTLS_MAX; i++) {
		__u32 o;
		__u8 *dst;

		if (i >= n)
			break;
		o = cv->ttl_off[i];
		if (o + 4 > len)
			return -1;
		dst = data + ((off + o) & 0x7ff);
		if ((void *)(dst + 4) > end)
			return -1;
		*(__be32 *)dst = v;
		sum += csum_at(w, o & 1);
	}
	return csum_fold(sum);
}

/*
 * Make the frame exactly len bytes long, keeping its first bytes up to the end of the
 * question. Growing at the tail is cheapest, but drivers differ in tailroom: native XDP
 * on veth leaves almost none (frames are sized to the query, rounded up to 64 bytes),
 * while every native driver guarantees XDP_PACKET_HEADROOM (256) in front. So when the
 * tail cannot grow, grow at the head and move the headers and the question forward; what
 * follows the question is rewritten by the caller anyway. Returns 0 or a helper's error.
 */
static __always_inline int grow_frame(struct xdp_md *ctx, const struct pkt *p, struct scratch *s,
				      __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int delta = (int)len - (int)(end - data);	/* 64-bit: no helper call needed */
	__u32 keep = p->dns_off + DNS_HDR_LEN + p->name_len + 4;

	if (!bpf_xdp_adjust_tail(ctx, delta))
		return 0;
	if (delta <= 0 || keep > HEAD_MAX)
		return -1;
	if (bpf_xdp_load_bytes(ctx, 0, s->head, keep))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -delta))
		return -1;
	return bpf_xdp_store_bytes(ctx, 0, s->head, keep);
}

/*
 * Rewrite the query into the reply: grow or shrink the frame to the reply's size, copy in
 * after the question either the answer a, or (a NULL) the negative answer zrcode with the SOA
 * of zone z, its three compression pointers set to soa_ptr; append the OPT; fix headers and
 * checksums. With cv (a is then &cv->ans), a promoted cache answer: its TTL fields get ttl,
 * the header RA instead of AA, and the reason is answer_cached. Inlined at each call site,
 * so the a/z/cv choice costs nothing.
 */
static __always_inline enum xdpdns_reason reply(struct xdp_md *ctx, struct pkt *p,
						const struct xdpdns_config *cfg, struct scratch *s,
						const struct xdpdns_answer *a,
						const struct xdpdns_zone *z, __be16 soa_ptr, __u8 zrcode,
						const struct xdpdns_cache_val *cv, __u32 ttl)
{
	__u32 blen = a ? a->len : XDPDNS_SOA_LEN;
	__u16 bsum = a ? a->csum : z->soa_csum;
	__u8 rcode = a ? a->rcode : zrcode;
	__u16 an = a ? a->ancount : 0, ns = a ? a->nscount : 1, ar = a ? a->arcount : 0;
	__u32 qlen = p->name_len + 4, ans_off, opt_off, dns_reply, odd = p->name_len & 1;
	__u32 limit = p->limit;
	void *data, *end;
	struct ethhdr *eth;
	struct udphdr *udp;
	struct dns_hdr *h;
	__u64 sum = 0;
	__u16 flags;
	__u8 mac[ETH_ALEN];

	if (cfg->edns_size < limit)	/* the largest reply we send, EDNS or not */
		limit = cfg->edns_size;
	dns_reply = DNS_HDR_LEN + qlen + blen + (p->has_opt ? DNS_OPT_LEN : 0);
	if (dns_reply > limit)
		return XDPDNS_R_PASS_TOO_BIG;
	if (grow_frame(ctx, p, s, p->dns_off + dns_reply))
		return XDPDNS_R_PASS_TAIL_ADJUST;

	ans_off = p->dns_off + DNS_HDR_LEN + qlen;
	/* The frame has its new size now: past this point a failure passes a frame that the
	 * stack drops on its UDP checksum, and is counted; none is expected. */
	if (a && xdpdns_copy_answer(ctx, ans_off, a))
		return XDPDNS_R_PASS_TAIL_ADJUST;
	if (cv) {
		int tsum = xdpdns_patch_ttls(ctx, ans_off, cv, ttl);

		if (tsum < 0)
			return XDPDNS_R_PASS_TAIL_ADJUST;
		sum += csum_at((__u16)tsum, odd);
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;

	if (!a) {
		__u8 *soa = data + (ans_off & 0x3ff);

		if ((void *)(soa + XDPDNS_SOA_LEN) > end)
			return XDPDNS_R_PASS_TAIL_ADJUST;
		__builtin_memcpy(soa, z->soa, XDPDNS_SOA_LEN);
		*(__be16 *)(soa + XDPDNS_SOA_PTR_OWNER) = soa_ptr;
		*(__be16 *)(soa + XDPDNS_SOA_PTR_MNAME) = soa_ptr;
		*(__be16 *)(soa + XDPDNS_SOA_PTR_RNAME) = soa_ptr;
		/* owner and RNAME pointers sit at even offsets of the SOA, MNAME at an odd one */
		bsum = csum_fold((__u64)bsum + soa_ptr + soa_ptr + csum_swab16(soa_ptr));
	}
	sum += csum_at(bsum, odd);

	if (p->has_opt) {
		__u8 *o;
		__u16 ow[6] = {};

		opt_off = ans_off + blen;
		o = data + (opt_off & 0x7ff);
		if ((void *)(o + DNS_OPT_LEN) > end)
			return XDPDNS_R_PASS_TAIL_ADJUST;
		/* OPT: root, TYPE 41, CLASS = our size, TTL = ext-rcode 0, version 0, DO copied */
		((__u8 *)ow)[2] = DNS_TYPE_OPT;
		*(__be16 *)((__u8 *)ow + 3) = bpf_htons(cfg->edns_size);
		*(__be16 *)((__u8 *)ow + 7) = p->do_bit;
		__builtin_memcpy(o, ow, DNS_OPT_LEN);
		sum += csum_at(csum_fold((__u64)ow[0] + ow[1] + ow[2] + ow[3] + ow[4] + ow[5]),
			       (p->name_len + blen) & 1);
		ar++;
	}

	/* Header: same ID, QR AA (a promoted answer: RA, not authoritative), RD and CD copied,
	 * Z AD clear, our RCODE. */
	h = data + p->dns_off;
	if ((void *)(h + 1) > end)
		return XDPDNS_R_PASS_TAIL_ADJUST;
	flags = DNS_FLAG_QR | (cv ? DNS_FLAG_RA : DNS_FLAG_AA) |
		(bpf_ntohs(p->qflags) & (DNS_FLAG_RD | DNS_FLAG_CD)) | rcode;
	h->flags = bpf_htons(flags);
	h->ancount = bpf_htons(an);
	h->nscount = bpf_htons(ns);
	h->arcount = bpf_htons(ar);
	sum += sum_words32(h, 3);
	/* The question as sent: its name's sum, then QTYPE and QCLASS after it. */
	sum += csum_fold(p->qsum);	/* a full-range 64-bit sum: fold it, or its carry is lost */
	sum += csum_at(csum_fold((__u64)p->qtype + bpf_htons(DNS_CLASS_IN)), odd);

	udp = data + p->l4_off;
	if ((void *)(udp + 1) > end)
		return XDPDNS_R_PASS_TAIL_ADJUST;
	{
		__be16 port = udp->source;

		udp->source = udp->dest;
		udp->dest = port;
	}
	udp->len = bpf_htons(sizeof(*udp) + dns_reply);
	udp->check = 0;
	sum += (__u64)udp->source + udp->dest + udp->len + udp->len;	/* header + pseudo length */
	sum += bpf_htons(IPPROTO_UDP);

	if (!p->ipv6) {
		struct iphdr *ip = data + p->l3_off;
		__be32 a;

		if ((void *)(ip + 1) > end)
			return XDPDNS_R_PASS_TAIL_ADJUST;
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->ttl = REPLY_HOP_LIMIT;
		ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*udp) + dns_reply);
		ip->check = 0;
		ip->check = (__u16)~csum_fold(sum_words32(ip, 5));
		sum += (__u64)ip->saddr + ip->daddr;
	} else {
		struct ipv6hdr *ip6 = data + p->l3_off;
		struct in6_addr a;

		if ((void *)(ip6 + 1) > end)
			return XDPDNS_R_PASS_TAIL_ADJUST;
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ip6->hop_limit = REPLY_HOP_LIMIT;
		ip6->payload_len = bpf_htons(sizeof(*udp) + dns_reply);
		sum += sum_words32(&ip6->saddr, 8);
	}
	udp->check = csum_finish(sum);

	eth = data;
	if ((void *)(eth + 1) > end)
		return XDPDNS_R_PASS_TAIL_ADJUST;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);

	if (cv)
		return XDPDNS_R_ANSWER_CACHED;
	if (rcode == DNS_RCODE_NXDOMAIN)
		return XDPDNS_R_NXDOMAIN;
	if (an == 0)
		return XDPDNS_R_NODATA;
	switch (bpf_ntohs(p->qtype)) {
	case 1:
		return XDPDNS_R_ANSWER_A;
	case 28:
		return XDPDNS_R_ANSWER_AAAA;
	case 33:
		return XDPDNS_R_ANSWER_SRV;
	case 12:
		return XDPDNS_R_ANSWER_PTR;
	default:
		return XDPDNS_R_ANSWER_OTHER;
	}
}

/*
 * A name in no served zone: the promoted cache (maps/xdpdns.h), for names of key class S or
 * M and queries without DO and CD (cached apart by the forwarder). Past its expiry an entry
 * is passed, so an answer is never served beyond its TTL.
 */
static __always_inline enum xdpdns_reason answer_cached(struct xdp_md *ctx, struct pkt *p,
							const struct xdpdns_config *cfg,
							struct scratch *s, int cls)
{
	struct xdpdns_cache_val *cv;
	__u64 now, left;

	if (cls > 1 || p->do_bit || (p->qflags & bpf_htons(DNS_FLAG_CD)))
		return XDPDNS_R_PASS_NOT_AUTH;
	/* xdpdns_build_key() zeroed a class-S key only to its size: zero it to class M's */
	if (cls == 0) {
		for (__u32 i = XDPDNS_KEY_S / 8 + 1; i < XDPDNS_KEY_M / 8; i++)
			s->kw[i] = 0;
	}
	*(__be16 *)s->kw = p->qtype;
	cv = bpf_map_lookup_elem(&xdpdns_cache, s->kw);
	if (!cv)
		return XDPDNS_R_PASS_NOT_AUTH;
	if (cv->ans.flags || cv->ans.len > XDPDNS_ANSWER_MAX || cv->n_ttls > XDPDNS_CACHE_TTLS_MAX)
		return XDPDNS_R_PASS_ENTRY;
	now = bpf_ktime_get_ns();
	if (now >= cv->expire_ns)
		return XDPDNS_R_PASS_CACHE_EXPIRED;
	left = (cv->expire_ns - now) / NSEC_PER_SEC;
	if (!left)	/* a TTL of 0 would not be cached by the client: as good as expired */
		return XDPDNS_R_PASS_CACHE_EXPIRED;
	if (left > TTL_MAX)
		left = TTL_MAX;
	return reply(ctx, p, cfg, s, &cv->ans, NULL, 0, 0, cv, (__u32)left);
}

/*
 * Look the question up and answer it: exact entry, then the name's NODATA, then the zone;
 * names in no zone from the promoted cache.
 */
static __always_inline enum xdpdns_reason answer_query(struct xdp_md *ctx, struct pkt *p,
						       const struct xdpdns_config *cfg,
						       struct scratch *s)
{
	struct xdpdns_answer *a;
	struct xdpdns_zone *z;
	int cls, zi;
	__u32 start;

	cls = xdpdns_build_key(ctx, s, p->dns_off + DNS_HDR_LEN);
	if (cls < 0)
		return XDPDNS_R_PASS_TRUNCATED;
	p->qsum = s->qsum;
	*(__be16 *)s->kw = p->qtype;
	a = lookup_answer(cls, s);
	if (!a) {
		*(__be16 *)s->kw = bpf_htons(XDPDNS_QTYPE_NAME);
		a = lookup_answer(cls, s);
	}
	if (a) {
		if ((a->flags & XDPDNS_ANS_PASS) || a->len > XDPDNS_ANSWER_MAX)
			return XDPDNS_R_PASS_ENTRY;
		if (!(a->flags & XDPDNS_ANS_ZONE_SOA))
			return reply(ctx, p, cfg, s, a, NULL, 0, 0, NULL, 0);
		/* Negative with the SOA of its zone: the entry names the zone, which must
		 * be in use and end the name (it does, unless the table is being rewritten). */
		zi = a->zone;
		if (zi >= cfg->n_zones)
			return XDPDNS_R_PASS_ZONE_TABLE;
		z = bpf_map_lookup_elem(&xdpdns_zones, &zi);
		if (!z || !z->name_len || z->name_len > s->name_len)
			return XDPDNS_R_PASS_ZONE_TABLE;
		start = (s->name_len - z->name_len) & 0xff;
		return reply(ctx, p, cfg, s, NULL, z,
			     bpf_htons(0xc000 | (XDPDNS_QNAME_OFF + start)), a->rcode, NULL, 0);
	}

	zi = xdpdns_find_zone(s, cfg->n_zones);
	if (zi < 0)
		return answer_cached(ctx, p, cfg, s, cls);
	z = bpf_map_lookup_elem(&xdpdns_zones, &zi);
	if (!z)
		return XDPDNS_R_PASS_NOT_AUTH;
	start = s->zone_start & 0xff;
	if (z->action != XDPDNS_ZONE_AUTH)
		return XDPDNS_R_PASS_ZONE_RULE;
	return reply(ctx, p, cfg, s, NULL, z, bpf_htons(0xc000 | (XDPDNS_QNAME_OFF + start)),
		     DNS_RCODE_NXDOMAIN, NULL, 0);
}

static __always_inline enum xdpdns_reason fresh(const struct xdpdns_config *cfg)
{
	if (cfg->stale_after_ns && bpf_ktime_get_ns() > cfg->heartbeat_ns + cfg->stale_after_ns)
		return XDPDNS_R_PASS_STALE;
	return XDPDNS_R_OK;
}

/* Count the reason and turn it into a verdict. */
static __always_inline int finish(enum xdpdns_reason r)
{
	__u32 key = r;
	__u64 *cnt = bpf_map_lookup_elem(&xdpdns_stats, &key);

	if (cnt)
		*cnt += 1;	/* per-CPU: no atomics needed */
	if (r < XDPDNS_R_FIRST_DROP)
		return XDP_TX;
	if (r < XDPDNS_R_FIRST_PASS)
		return XDP_DROP;
	return XDP_PASS;
}

static __always_inline int xdpdns_engine(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct xdpdns_config *cfg = bpf_map_lookup_elem(&xdpdns_config, &zero);
	struct scratch *s = bpf_map_lookup_elem(&xdpdns_scratch, &zero);
	struct pkt p = {};
	enum xdpdns_reason r;

	if (!cfg || !s)
		return finish(XDPDNS_R_PASS_NOT_LISTEN);	/* cannot happen: arrays */
	r = parse_l2_l4(ctx, &p, cfg);			/* eth, vlan, ipv4/ipv6, udp */
	if (r == XDPDNS_R_OK)
		r = fresh(cfg);				/* daemon heartbeat */
	if (r == XDPDNS_R_OK)
		r = parse_query(ctx, &p, s);		/* header, one question, OPT */
	if (r == XDPDNS_R_OK)
		r = answer_query(ctx, &p, cfg, s);	/* rewrites the packet on a hit */
	return finish(r);
}

#endif
