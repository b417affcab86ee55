// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Queries and responses as whole messages: strict query reading, OPT, truncation. See dns.h. */
#include <errno.h>
#include <string.h>

#include "dns.h"

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* OPT rdata is a sequence of {code, length, data} options that must end exactly at its end
 * (RFC 6891 6.1.2). */
static int opt_options_check(const uint8_t *rd, size_t len)
{
	size_t off = 0;

	while (off < len) {
		if (off + 4 > len)
			return -EBADMSG;
		off += 4 + get16(rd + off + 2);
	}
	return off == len ? 0 : -EBADMSG;
}

static int query_opt(struct dns_query *q, const struct dns_rr *rr)
{
	if (rr->section != DNS_SEC_ADDITIONAL || q->has_opt || rr->name_len != 1)
		return -EBADMSG;	/* RFC 6891 6.1.1: one OPT, additional, owner root */
	if (opt_options_check(rr->rdata, rr->rdlen))
		return -EBADMSG;
	q->has_opt = true;
	q->edns_size = rr->rclass;
	q->edns_version = (uint8_t)(rr->ttl >> 16);
	q->edns_flags = (uint16_t)rr->ttl;
	return 0;
}

int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q)
{
	struct dns_parser p;
	struct dns_rr rr;
	int err;

	memset(q, 0, sizeof(*q));
	if (dns_parser_init(&p, msg, len))
		return -ENOMSG;
	q->hdr = p.hdr;
	if (p.hdr.flags & DNS_FLAG_QR)
		return -ENOMSG;		/* never answer a response: no reflection loops */
	if (DNS_OPCODE(p.hdr.flags) != DNS_OPCODE_QUERY)
		return -EOPNOTSUPP;
	if (p.hdr.count[DNS_SEC_QUESTION] != 1 || p.hdr.count[DNS_SEC_ANSWER] ||
	    p.hdr.count[DNS_SEC_AUTHORITY])
		return -EBADMSG;
	if (dns_parser_question(&p, &q->q))
		return -EBADMSG;
	q->q_end = p.pos;
	while (!(err = dns_parser_rr(&p, &rr))) {
		if (rr.type == DNS_TYPE_OPT && query_opt(q, &rr))
			return -EBADMSG;
	}
	if (err != -ENOENT || dns_parser_end(&p))
		return -EBADMSG;
	return 0;
}

size_t dns_query_udp_limit(const struct dns_query *q, size_t our_max)
{
	size_t l = DNS_UDP_MAX;

	if (q->has_opt && q->edns_size > l)
		l = q->edns_size;
	return l < our_max ? l : our_max;
}

int dns_write_opt(struct dns_writer *w, uint16_t udp_size, uint8_t ext_rcode_hi,
		  uint16_t flags)
{
	uint8_t o[DNS_OPT_LEN] = { 0 };

	put16(o + 1, DNS_TYPE_OPT);
	put16(o + 3, udp_size);
	o[5] = ext_rcode_hi;
	o[6] = 0;			/* version */
	put16(o + 7, flags);
	return dns_write_bytes(w, o, sizeof(o));	/* RDLENGTH 0 */
}

int dns_msg_truncate(uint8_t *msg, size_t len, size_t limit)
{
	uint16_t kept[DNS_SEC_COUNT] = { 0 };
	size_t opt_off = 0, opt_len = 0, end, rr_start;
	uint8_t opt[DNS_MSG_MAX];
	struct dns_question qn;
	struct dns_parser p;
	struct dns_rr rr;
	bool cut = false, tc = false;
	int err;

	if (len <= limit)
		return (int)len;
	err = dns_parser_init(&p, msg, len);
	while (!err)
		err = dns_parser_question(&p, &qn);
	if (err != -ENOENT)
		return -EBADMSG;
	kept[DNS_SEC_QUESTION] = p.hdr.count[DNS_SEC_QUESTION];
	end = p.pos;
	/* First pass: find the OPT, whose room is reserved (RFC 6891 7: keep it). */
	for (rr_start = p.pos; !(err = dns_parser_rr(&p, &rr)); rr_start = p.pos) {
		if (rr.type == DNS_TYPE_OPT && rr.section == DNS_SEC_ADDITIONAL && !opt_len) {
			opt_off = rr_start;
			opt_len = p.pos - rr_start;
		}
	}
	if (err != -ENOENT || dns_parser_end(&p))
		return -EBADMSG;
	if (end + opt_len > limit)
		return -EMSGSIZE;
	memcpy(opt, msg + opt_off, opt_len);

	/* Second pass: keep records in order while they fit. */
	dns_parser_init(&p, msg, len);
	while (!dns_parser_question(&p, &qn))
		;
	for (rr_start = p.pos; !dns_parser_rr(&p, &rr); rr_start = p.pos) {
		if (opt_len && rr_start == opt_off)
			continue;
		if (opt_len && rr_start > opt_off)
			cut = true;	/* behind the OPT, which moves: additional records only */
		if (!cut && end + (p.pos - rr_start) + opt_len <= limit) {
			/* records only move towards the start: memmove, and pointers (always
			 * backwards, into what was kept) stay valid */
			memmove(msg + end, msg + rr_start, p.pos - rr_start);
			end += p.pos - rr_start;
			kept[rr.section]++;
			continue;
		}
		cut = true;
		if (rr.section != DNS_SEC_ADDITIONAL)
			tc = true;
	}
	memcpy(msg + end, opt, opt_len);
	end += opt_len;
	if (opt_len)
		kept[DNS_SEC_ADDITIONAL]++;
	p.hdr.flags |= tc ? DNS_FLAG_TC : 0;
	for (int i = 0; i < DNS_SEC_COUNT; i++)
		p.hdr.count[i] = kept[i];
	dns_hdr_encode(msg, &p.hdr);
	return (int)end;
}
