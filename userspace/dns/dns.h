/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dns/dns.h - the DNS wire-format codec shared by zone/, server/ and the tests.
 *
 * Names:  text <-> uncompressed wire names (RFC 1035 3.1), validated: labels of 1..63
 *         bytes, at most 255 bytes including the root label. Text names are plain
 *         letters, digits, '-' and '_' labels separated by dots, an optional final dot;
 *         "" and "." are the root. Comparisons ignore ASCII case (RFC 4343).
 * Writer: a bounded buffer that appends a header, questions and RRs. An RR's owner
 *         is an uncompressed wire name or a compression pointer (struct dns_owner).
 *         Names inside rdata are copied as given (callers pass uncompressed names, or
 *         names ending in a pointer they built). A write that does not fit returns
 *         -EMSGSIZE and leaves the buffer as it was before the call.
 * Parser: header, questions and RRs of a message, following compression pointers.
 *         Every pointer must point before the start of the name segment that holds it,
 *         which rejects forward pointers and makes loops impossible. Any malformed
 *         input (truncation, bad label types, names over 255 bytes, rdata that does not
 *         match its type, trailing bytes) is -EBADMSG.
 *
 * int functions return 0 (or a length where documented) or -errno. Header fields, types,
 * classes, TTLs and ports are in host byte order in every struct here; the wire is
 * network order and only the codec converts.
 */
#ifndef XDPDNS_DNS_H
#define XDPDNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN		12
#define DNS_NAME_MAX		255	/* wire bytes including the root label */
#define DNS_LABEL_MAX		63
#define DNS_NAME_TEXT_MAX	1024	/* text buffer for any name, \DDD escapes included */
#define DNS_RR_FIXED_LEN	10	/* TYPE CLASS TTL RDLENGTH */
#define DNS_UDP_MAX		512	/* RFC 1035 4.2.1, without EDNS */
#define DNS_MSG_MAX		65535	/* TCP */

#define DNS_PTR_MASK		0xc000	/* the two top bits of a compression pointer */
#define DNS_PTR_MAX_OFF		0x3fff
#define DNS_PTR(off)		((uint16_t)(DNS_PTR_MASK | (off)))
#define DNS_PTR_QNAME		DNS_PTR(DNS_HDR_LEN)	/* 0xc00c: the question name */

/* Types (RFC 1035, 3596, 2782, 6891) */
#define DNS_TYPE_A		1
#define DNS_TYPE_NS		2
#define DNS_TYPE_CNAME		5
#define DNS_TYPE_SOA		6
#define DNS_TYPE_PTR		12
#define DNS_TYPE_HINFO		13
#define DNS_TYPE_MX		15
#define DNS_TYPE_TXT		16
#define DNS_TYPE_AAAA		28
#define DNS_TYPE_SRV		33
#define DNS_TYPE_OPT		41
#define DNS_TYPE_IXFR		251
#define DNS_TYPE_AXFR		252
#define DNS_TYPE_ANY		255

#define DNS_CLASS_IN		1
#define DNS_CLASS_ANY		255

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_FORMERR	1
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_NOTIMP	4
#define DNS_RCODE_REFUSED	5

/* Header flag word (host order) */
#define DNS_FLAG_QR		0x8000
#define DNS_FLAG_OPCODE_MASK	0x7800
#define DNS_FLAG_AA		0x0400
#define DNS_FLAG_TC		0x0200
#define DNS_FLAG_RD		0x0100
#define DNS_FLAG_RA		0x0080
#define DNS_FLAG_AD		0x0020
#define DNS_FLAG_CD		0x0010
#define DNS_FLAG_RCODE_MASK	0x000f

enum dns_section {
	DNS_SEC_QUESTION,
	DNS_SEC_ANSWER,
	DNS_SEC_AUTHORITY,
	DNS_SEC_ADDITIONAL,
	DNS_SEC_COUNT,
};

struct dns_hdr {
	uint16_t id;
	uint16_t flags;			/* DNS_FLAG_*, opcode and rcode bits */
	uint16_t count[DNS_SEC_COUNT];	/* QD AN NS AR */
};

/* ---- names ---- */

/* Text name -> wire name in out[0..cap). Returns the wire length (>= 1), -EINVAL for a
 * character outside [A-Za-z0-9_-], an empty label or a label over 63 bytes, -ENAMETOOLONG
 * for a name over 255 bytes, -ENOSPC when cap is too small. Letter case is kept. */
int dns_name_from_text(uint8_t *out, size_t cap, const char *text);

/* Wire name -> text "a.b.c" ("." for the root), bytes other than [A-Za-z0-9_-] written as
 * \DDD. The name must be uncompressed. Returns the text length, or -EINVAL / -ENOSPC. */
int dns_name_to_text(char *out, size_t cap, const uint8_t *name, size_t name_len);

/* Length of the uncompressed wire name at name[0..cap), or -EBADMSG. */
int dns_name_len(const uint8_t *name, size_t cap);

/* Is s a valid text label for Kubernetes-derived names: 1..63 bytes of [A-Za-z0-9-]? */
bool dns_label_is_ldh(const char *s, size_t len);

/* ASCII lower-casing, in place. */
void dns_name_lower(uint8_t *name, size_t len);

/* Case-insensitive equality of two uncompressed wire names. */
bool dns_name_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* Offset of zone within name when name equals zone or lies below it (at a label
 * boundary, case-insensitive), else -ENOENT. Both names uncompressed and valid. */
int dns_name_suffix_off(const uint8_t *name, size_t name_len, const uint8_t *zone,
			size_t zone_len);

/* Number of labels, the root not counted. */
unsigned int dns_name_labels(const uint8_t *name, size_t len);

/* Reverse-lookup names: d.c.b.a.in-addr.arpa / 32 nibbles.ip6.arpa. Returns wire length. */
int dns_name_from_ip4(uint8_t *out, size_t cap, const uint8_t addr[4]);
int dns_name_from_ip6(uint8_t *out, size_t cap, const uint8_t addr[16]);

/* ---- writer ---- */

struct dns_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/* Where an RR's owner comes from: the wire bytes of name (an uncompressed name, or one
 * ending in a pointer), or when name is NULL a compression pointer to message offset ptr. */
struct dns_owner {
	const uint8_t *name;
	size_t name_len;
	uint16_t ptr;
};

#define DNS_OWNER_QNAME		((struct dns_owner){ .name = NULL, .ptr = DNS_HDR_LEN })
#define DNS_OWNER_AT(off)	((struct dns_owner){ .name = NULL, .ptr = (off) })
#define DNS_OWNER_NAME(n, l)	((struct dns_owner){ .name = (n), .name_len = (l) })

struct dns_soa {
	const uint8_t *mname;	/* wire bytes, copied as given (may end in a pointer) */
	size_t mname_len;
	const uint8_t *rname;
	size_t rname_len;
	uint32_t serial, refresh, retry, expire, minimum;
};

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap);
/* Appends raw bytes. */
int dns_write_bytes(struct dns_writer *w, const void *data, size_t len);
int dns_write_hdr(struct dns_writer *w, const struct dns_hdr *h);
/* Rewrites the header at the start of buf (which must hold >= 12 bytes). */
void dns_hdr_encode(uint8_t *buf, const struct dns_hdr *h);
int dns_write_question(struct dns_writer *w, const uint8_t *name, size_t name_len,
		       uint16_t qtype, uint16_t qclass);
int dns_write_rr(struct dns_writer *w, struct dns_owner owner, uint16_t type, uint16_t rclass,
		 uint32_t ttl, const void *rdata, size_t rdlen);
/* Class IN helpers. */
int dns_write_a(struct dns_writer *w, struct dns_owner owner, uint32_t ttl, const uint8_t a[4]);
int dns_write_aaaa(struct dns_writer *w, struct dns_owner owner, uint32_t ttl,
		   const uint8_t a[16]);
int dns_write_name_rr(struct dns_writer *w, struct dns_owner owner, uint16_t type, uint32_t ttl,
		      const uint8_t *target, size_t target_len);	/* PTR, CNAME, NS */
int dns_write_srv(struct dns_writer *w, struct dns_owner owner, uint32_t ttl, uint16_t prio,
		  uint16_t weight, uint16_t port, const uint8_t *target, size_t target_len);
/* One TXT RR holding text split into character-strings of at most 255 bytes. */
int dns_write_txt(struct dns_writer *w, struct dns_owner owner, uint32_t ttl, const char *text);
int dns_write_soa(struct dns_writer *w, struct dns_owner owner, uint32_t ttl,
		  const struct dns_soa *soa);

/* ---- parser ---- */

struct dns_question {
	uint8_t name[DNS_NAME_MAX];	/* decompressed wire name, case as sent */
	size_t name_len;
	uint16_t qtype;
	uint16_t qclass;
};

struct dns_rr {
	enum dns_section section;
	uint8_t name[DNS_NAME_MAX];	/* decompressed owner */
	size_t name_len;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	size_t rdata_off;		/* offset of the rdata in the message */
	const uint8_t *rdata;		/* msg + rdata_off */
};

struct dns_parser {
	const uint8_t *msg;
	size_t len;
	size_t pos;
	struct dns_hdr hdr;
	unsigned int left[DNS_SEC_COUNT];	/* records not read yet, per section */
};

int dns_hdr_decode(const uint8_t *msg, size_t len, struct dns_hdr *h);

/* Reads the possibly compressed name at msg[off]; writes the decompressed name to
 * out[DNS_NAME_MAX] and its length to *out_len, and the offset after the name's bytes at
 * off (pointer included) to *next. -EBADMSG when malformed. */
int dns_name_read(const uint8_t *msg, size_t len, size_t off, uint8_t *out, size_t *out_len,
		  size_t *next);

/* Decodes the header; the sections are then read in order. */
int dns_parser_init(struct dns_parser *p, const uint8_t *msg, size_t len);
/* Next question: 0, -ENOENT when all were read, -EBADMSG. */
int dns_parser_question(struct dns_parser *p, struct dns_question *q);
/* Next RR of the answer, authority or additional section (questions must have been read):
 * 0, -ENOENT when all were read, -EBADMSG. Rdata of A, AAAA, NS, CNAME, PTR, MX, SOA, SRV
 * and TXT is checked against its type. */
int dns_parser_rr(struct dns_parser *p, struct dns_rr *rr);
/* After every section was read: 0 when the message ends exactly there, else -EBADMSG. */
int dns_parser_end(const struct dns_parser *p);
/* Whole-message check: header, every question and RR, no trailing bytes. */
int dns_msg_validate(const uint8_t *msg, size_t len);

/* SRV rdata fields; the target is decompressed into target[DNS_NAME_MAX]. */
int dns_rr_srv(const struct dns_parser *p, const struct dns_rr *rr, uint16_t *prio,
	       uint16_t *weight, uint16_t *port, uint8_t *target, size_t *target_len);
/* The single name of NS, CNAME and PTR rdata, decompressed. */
int dns_rr_target(const struct dns_parser *p, const struct dns_rr *rr, uint8_t *target,
		  size_t *target_len);

/* "A", "AAAA", ... for the types above, NULL for others. */
const char *dns_type_name(uint16_t type);

/* ---- queries and responses (the server's and the forwarder's side) ---- */

#define DNS_OPCODE(flags)	(((flags) & DNS_FLAG_OPCODE_MASK) >> 11)
#define DNS_OPCODE_QUERY	0
#define DNS_RCODE_BADVERS	16	/* extended RCODE, RFC 6891 6.1.3: OPT TTL high byte 1 */
#define DNS_OPT_LEN		11	/* an OPT RR without options */
#define DNS_EDNS_DO		0x8000	/* in the 16 flag bits of the OPT TTL */

/*
 * A query as the server reads it. The question is the one question; the OPT fields are set
 * when has_opt. q_end is the offset right after the question.
 */
struct dns_query {
	struct dns_hdr hdr;
	struct dns_question q;
	size_t q_end;
	bool has_opt;
	uint8_t edns_version;
	uint16_t edns_size;		/* the OPT CLASS: requestor's UDP payload size */
	uint16_t edns_flags;		/* DNS_EDNS_DO ... */
};

/*
 * Strict reading of a query (RFC 1035 4.1, RFC 6891 6.1.1). Returns:
 *   0            a QUERY with one question, well-formed, q filled (edns_version may be > 0:
 *                the caller answers BADVERS);
 *   -ENOMSG      nothing to answer: shorter than a header, or QR=1 (a response);
 *   -EOPNOTSUPP  an opcode other than QUERY (NOTIMP); q->hdr is filled;
 *   -EBADMSG     FORMERR, q->hdr filled: QDCOUNT != 1, a bad name, records in the answer or
 *                authority section, a malformed RR, an OPT that is not in the additional
 *                section, not owned by the root, repeated, or with broken option framing,
 *                or bytes after the last record. q->has_opt and the OPT fields are set
 *                when the additional section held one good OPT before the error.
 */
int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q);

/* The UDP payload the client accepts (RFC 6891 6.2.5): 512 without EDNS, else its OPT size
 * at least 512, and never more than our_max. */
size_t dns_query_udp_limit(const struct dns_query *q, size_t our_max);

/* Append an OPT without options: our UDP size, the extended RCODE's high 8 bits, version
 * 0, flags (DNS_EDNS_DO copied by the caller). Does not touch the header's ARCOUNT. */
int dns_write_opt(struct dns_writer *w, uint16_t udp_size, uint8_t ext_rcode_hi,
		  uint16_t flags);

/*
 * Fit the response msg[0..len) into limit bytes, in place (RFC 1035 4.2.1, RFC 2181 9,
 * RFC 6891 7): keeps the header, the question and as many whole records as fit in section
 * order, then the OPT record of the additional section (moved to the end), and fixes the
 * counts. TC is set when a record of the answer or authority section was left out (not for
 * additional records alone, RFC 2181 9). Returns the new length (len when it fits already),
 * -EBADMSG when msg cannot be parsed, -EMSGSIZE when not even the header, the question and
 * the OPT fit in limit.
 */
int dns_msg_truncate(uint8_t *msg, size_t len, size_t limit);

#endif
