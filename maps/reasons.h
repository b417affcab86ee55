/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps/reasons.h - why the fast path did what it did to a packet.
 *
 * Every packet the program sees ends in exactly one reason; the reason
 * indexes the per-CPU counter map xdpdns_stats and decides the verdict:
 *   1..19   XDP_TX   (answered)
 *   20..39  XDP_DROP (broken IP/UDP framing that no stack would accept)
 *   40..    XDP_PASS (not ours, or a DNS message left to the slow path)
 * Values are ABI: never renumber, retired values stay reserved.
 * XDPDNS_REASONS(X) expands X(enum name, value, counter name) once per reason,
 * so the BPF side and `xdpdnsctl stats` share one list.
 */
#ifndef XDPDNS_REASONS_H
#define XDPDNS_REASONS_H

#define XDPDNS_REASONS(X)							\
	X(XDPDNS_R_ANSWER_A,		1,  "answer_a")				\
	X(XDPDNS_R_ANSWER_AAAA,		2,  "answer_aaaa")			\
	X(XDPDNS_R_ANSWER_SRV,		3,  "answer_srv")			\
	X(XDPDNS_R_ANSWER_PTR,		4,  "answer_ptr")			\
	X(XDPDNS_R_ANSWER_OTHER,	5,  "answer_other")			\
	X(XDPDNS_R_NODATA,		6,  "answer_nodata")			\
	X(XDPDNS_R_NXDOMAIN,		7,  "answer_nxdomain")			\
	X(XDPDNS_R_ANSWER_CACHED,	8,  "answer_cached")			\
	X(XDPDNS_R_DROP_IPV4_IHL,	20, "drop_ipv4_ihl")			\
	X(XDPDNS_R_DROP_IP_LEN,		21, "drop_ip_length")			\
	X(XDPDNS_R_DROP_UDP_LEN,	22, "drop_udp_length")			\
	X(XDPDNS_R_DROP_DNS_SHORT,	23, "drop_dns_short")			\
	X(XDPDNS_R_PASS_NOT_IP,		40, "pass_not_ip")			\
	X(XDPDNS_R_PASS_VLAN_DEPTH,	41, "pass_vlan_depth")			\
	X(XDPDNS_R_PASS_NOT_UDP,	42, "pass_not_udp")			\
	X(XDPDNS_R_PASS_NOT_LISTEN,	43, "pass_not_listen")			\
	X(XDPDNS_R_PASS_IP_OPTIONS,	44, "pass_ipv4_options")		\
	X(XDPDNS_R_PASS_FRAGMENT,	45, "pass_fragment")			\
	X(XDPDNS_R_PASS_IPV6_EXT,	46, "pass_ipv6_ext_header")		\
	X(XDPDNS_R_PASS_STALE,		47, "pass_stale_heartbeat")		\
	X(XDPDNS_R_PASS_QR,		60, "pass_qr_set")			\
	X(XDPDNS_R_PASS_OPCODE,		61, "pass_opcode")			\
	X(XDPDNS_R_PASS_QDCOUNT,	62, "pass_qdcount")			\
	X(XDPDNS_R_PASS_SECTIONS,	63, "pass_sections")			\
	X(XDPDNS_R_PASS_TRUNCATED,	64, "pass_truncated_question")		\
	X(XDPDNS_R_PASS_LABEL_LONG,	65, "pass_label_too_long")		\
	X(XDPDNS_R_PASS_COMPRESSED,	66, "pass_compressed_question")		\
	X(XDPDNS_R_PASS_NAME_LONG,	67, "pass_name_too_long")		\
	X(XDPDNS_R_PASS_CLASS,		68, "pass_class")			\
	X(XDPDNS_R_PASS_QTYPE,		69, "pass_qtype")			\
	X(XDPDNS_R_PASS_EDNS_BAD,	70, "pass_edns_malformed")		\
	X(XDPDNS_R_PASS_EDNS_VERSION,	71, "pass_edns_version")		\
	X(XDPDNS_R_PASS_TOO_BIG,	72, "pass_too_big")			\
	X(XDPDNS_R_PASS_NOT_AUTH,	73, "pass_not_authoritative")		\
	X(XDPDNS_R_PASS_ENTRY,		74, "pass_slow_path_entry")		\
	X(XDPDNS_R_PASS_ZONE_RULE,	75, "pass_zone_rule")			\
	X(XDPDNS_R_PASS_TRAILING,	76, "pass_trailing_bytes")		\
	X(XDPDNS_R_PASS_TAIL_ADJUST,	77, "pass_tail_adjust_failed")		\
	X(XDPDNS_R_PASS_ZONE_TABLE,	78, "pass_zone_table_mismatch")		\
	X(XDPDNS_R_PASS_CACHE_EXPIRED,	79, "pass_cache_expired")

enum xdpdns_reason {
	XDPDNS_R_OK = 0,	/* internal: keep going; never counted */
#define XDPDNS_REASON_ENUM(name, value, str) name = value,
	XDPDNS_REASONS(XDPDNS_REASON_ENUM)
#undef XDPDNS_REASON_ENUM
	XDPDNS_R_MAX = 96,	/* size of xdpdns_stats; room for new reasons */
};

#define XDPDNS_R_FIRST_DROP	20
#define XDPDNS_R_FIRST_PASS	40

#endif
