/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tests/lib/pkt.h - build test frames and check reply frames, independently of bpf/.
 *
 * pkt_build() turns a struct pkt_spec into an Ethernet frame: 0..3 VLAN tags, IPv4 (with
 * options, fragment bits, any ihl/tot_len) or IPv6 (with one extension header, any
 * payload_len), UDP (or a TCP header), and a DNS query (one question, optional OPT).
 * A zeroed spec is a well-formed IPv4 query for the root name, type 0, from the default
 * client to the default server; every field says what 0 means. Fields documented as
 * "PKT_SET(v)" take 0 for "the correct value" and PKT_SET(v) for exactly v, which may be
 * wrong on purpose. Spec fields are host byte order; the builder writes network order.
 * Lengths and checksums are computed over what was built, then the overrides are applied
 * (an override never changes a checksum's coverage), then the frame is cut (pkt_spec.cut).
 *
 * pkt_parse() checks a reply frame strictly (no padding, no IP options or extension
 * headers, every length exact), pkt_reply_check() compares it with its query (addresses,
 * ports and MACs swapped, VLAN tags kept, IPv4 header and UDP checksums recomputed here
 * with a big-endian RFC 1071 sum that shares no code with maps/ or bpf/).
 *
 * int functions return 0 (or a length) or -errno; checkers also write a one-line reason
 * into why[] (may be NULL).
 */
#ifndef XDPDNS_TESTS_PKT_H
#define XDPDNS_TESTS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Big-endian stores for building wire formats in tests. */
static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

#define PKT_MAX		4096		/* largest frame built or parsed */
#define PKT_SET(v)	(0x80000000u | (uint32_t)(v))
#define PKT_IS_SET(f)	(((f) & 0x80000000u) != 0)
#define PKT_VAL(f)	((f) & 0x7fffffffu)

#define PKT_ETH_P_IP	0x0800
#define PKT_ETH_P_ARP	0x0806
#define PKT_ETH_P_IPV6	0x86dd
#define PKT_ETH_P_8021Q 0x8100
#define PKT_ETH_P_8021AD 0x88a8

#define PKT_IP4_DF	0x4000		/* pkt_spec.ip4_frag bits, host order */
#define PKT_IP4_MF	0x2000

/* DNS header flag bits (host order of the 16-bit flags word) */
#define PKT_DNS_QR	0x8000
#define PKT_DNS_OPCODE(o) ((uint16_t)((o) << 11))
#define PKT_DNS_AA	0x0400
#define PKT_DNS_TC	0x0200
#define PKT_DNS_RD	0x0100
#define PKT_DNS_RA	0x0080
#define PKT_DNS_Z	0x0040
#define PKT_DNS_AD	0x0020
#define PKT_DNS_CD	0x0010

#define PKT_EDNS_DO	0x8000

#define PKT_DEF_CLIENT4 "10.0.0.2"
#define PKT_DEF_SERVER4 "198.18.0.1"
#define PKT_DEF_CLIENT6 "fd00::2"
#define PKT_DEF_SERVER6 "fd00:198:18::1"
#define PKT_DEF_TTL	57		/* query TTL / hop limit: not 64, so a reply's 64 shows */
#define PKT_DEF_SPORT	40000
#define PKT_DEF_DPORT	53

extern const uint8_t pkt_mac_server[6];	/* 02:00:00:00:00:01, default destination */
extern const uint8_t pkt_mac_client[6];	/* 02:00:00:00:00:02, default source */

/* Offsets a frame is cut at: the start of that layer plus pkt_cut.off. */
enum pkt_layer {
	PKT_AT_NONE = 0,
	PKT_AT_ETH,	/* frame start */
	PKT_AT_VLAN,	/* first VLAN tag (= 12, the outer TPID) */
	PKT_AT_L3,	/* IP header */
	PKT_AT_L4,	/* UDP/TCP header (after IPv4 options / IPv6 extension header) */
	PKT_AT_DNS,	/* DNS header */
	PKT_AT_OPT,	/* OPT record (or where it would be) */
};

/* The OPT pseudo-RR of the query (RFC 6891 6.1.2). */
struct pkt_opt {
	uint8_t present;
	uint16_t udp_size;		/* CLASS field */
	uint8_t ext_rcode;
	uint8_t version;
	uint16_t flags;			/* PKT_EDNS_DO | Z bits */
	const uint8_t *options;		/* raw RDATA (option code, length, data ...) */
	uint16_t options_len;
	const uint8_t *owner;		/* NULL: the root name (one 0x00) */
	uint8_t owner_len;
	uint32_t type;			/* 0: 41 (OPT); PKT_SET(t) */
	uint32_t rdlength;		/* 0: options_len; PKT_SET(n) */
};

struct pkt_cut {
	uint8_t at;			/* enum pkt_layer; PKT_AT_NONE: no cut */
	uint16_t off;			/* frame keeps offset(at) + off bytes */
};

struct pkt_spec {
	/* Ethernet */
	uint8_t n_vlan;			/* 0..3 tags */
	uint16_t vlan_tpid[3];		/* 0: 0x8100 */
	uint16_t vlan_tci[3];
	uint32_t ethertype;		/* 0: from family; PKT_SET(t): a non-IP t gets a
					 * 28-byte ARP request body instead of IP */
	uint16_t eth_pad;		/* bytes after the IP packet (not in its lengths) */
	uint8_t eth_pad_byte;		/* their value (0 by default) */
	/* IP */
	uint8_t family;			/* 0 or 4: IPv4; 6: IPv6 */
	const char *src, *dst;		/* NULL: PKT_DEF_CLIENT* / PKT_DEF_SERVER* */
	uint8_t ip4_opt_len;		/* bytes of IPv4 options (NOPs), multiple of 4, <= 40 */
	uint32_t ip4_ihl;		/* PKT_SET(n) */
	uint16_t ip4_frag;		/* PKT_IP4_DF | PKT_IP4_MF | offset in 8-byte units */
	uint32_t ip_len;		/* IPv4 tot_len / IPv6 payload_len: PKT_SET(n) */
	uint8_t ttl;			/* IPv4 TTL / IPv6 hop limit; 0: PKT_DEF_TTL */
	uint32_t l4_proto;		/* 0: UDP; PKT_SET(p): 6 builds a TCP SYN header,
					 * other values keep the UDP bytes under that number */
	uint32_t ip6_ext;		/* PKT_SET(nh): one 8-byte extension header of type nh */
	/* UDP */
	uint16_t sport, dport;		/* 0: PKT_DEF_SPORT / PKT_DEF_DPORT */
	uint32_t udp_len;		/* PKT_SET(n) */
	uint8_t udp_csum_zero;		/* IPv4: send checksum 0 (none) */
	/* DNS */
	uint16_t id;
	uint32_t dns_flags;		/* 0: RD; PKT_SET(f) */
	uint32_t qdcount, ancount, nscount, arcount; /* 0: from what is built; PKT_SET(n) */
	const char *qname;		/* dotted text, "." or NULL for the root; labels longer
					 * than 63 are written as is (malformed on purpose) */
	const uint8_t *qname_wire;	/* raw name bytes instead of qname (any content) */
	uint16_t qname_wire_len;
	uint16_t qtype;
	uint32_t qclass;		/* 0: IN; PKT_SET(c) */
	struct pkt_opt opt;		/* after the question */
	const uint8_t *tail;		/* bytes after the question and OPT */
	uint16_t tail_len;
	const uint8_t *dns_raw;		/* the DNS payload is exactly these bytes */
	uint16_t dns_raw_len;		/* (used when dns_raw != NULL; may be 0) */
	uint32_t dns_len;		/* PKT_SET(n): keep the first n DNS bytes, lengths agree */
	struct pkt_cut cut;		/* applied last: lengths and checksums claim more */
};

/* Where things are in a built frame (byte offsets from the frame start). */
struct pkt_layout {
	uint16_t len;			/* frame length after the cut */
	uint16_t full_len;		/* before the cut */
	uint16_t vlan, l3, l4, dns;	/* layer starts */
	uint16_t dns_len;		/* DNS bytes inside the UDP payload (before the cut) */
	uint16_t qname, qname_len;	/* question name (offset, wire length) */
	uint16_t question_len;		/* qname_len + 4, or less when dns_len cut it */
	uint16_t opt;			/* OPT offset, 0 if none */
	uint16_t ip_end;		/* end of the IP packet (start of Ethernet padding) */
};

/*
 * Encode a dotted name ("a.b.", "a.b", "." and "" are the root) into wire format.
 * Returns the wire length, -EINVAL for an empty or > 255-byte label, -ENOSPC.
 */
int pkt_name_encode(const char *text, uint8_t *out, size_t cap);

/* Build the frame described by s into buf. Returns the frame length or -errno. */
int pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *lay);

/* RFC 1071 over big-endian 16-bit words, odd tail padded: folded, not complemented. */
uint16_t pkt_csum_fold(const void *data, size_t len, uint32_t seed);

/* A parsed reply frame (or any well-formed UDP frame without padding). */
struct pkt_view {
	const uint8_t *frame;
	uint16_t len;
	uint8_t n_vlan;
	uint16_t vlan_tpid[2], vlan_tci[2];
	uint16_t ethertype;
	uint8_t family;			/* 4 or 6 */
	uint16_t l3, l4, dns, dns_len;
};

/*
 * Parse frame strictly: Ethernet, at most 2 VLAN tags, IPv4 without options or
 * fragment bits, or IPv6 with next header UDP, every length field exact (tot_len /
 * payload_len reach the frame end: no padding, UDP length = IP payload).
 * Returns 0 or -EBADMSG.
 */
int pkt_parse(const uint8_t *frame, size_t len, struct pkt_view *v, char *why, size_t why_len);

/* Verify the IPv4 header checksum (true for IPv6, which has none). */
bool pkt_ip4_csum_ok(const struct pkt_view *v);

/*
 * The UDP checksum the datagram must carry, computed here with the pseudo-header
 * (RFC 768 / RFC 8200 8.1), 0 transmitted as 0xffff.
 */
uint16_t pkt_udp_csum_expect(const struct pkt_view *v);

/* The UDP checksum field as received, host order. */
uint16_t pkt_udp_csum_get(const struct pkt_view *v);

/*
 * Check that reply r answers query frame q (q parsed leniently by its builder layout):
 * MACs swapped, VLAN tags identical, family kept, addresses and ports swapped,
 * IPv4 TTL / IPv6 hop limit 64, IPv4 header checksum valid, UDP checksum present
 * (never 0) and valid. Returns 0 or -EBADMSG.
 */
int pkt_reply_check(const uint8_t *q, const struct pkt_layout *ql, const struct pkt_view *r,
		    char *why, size_t why_len);

#endif
