// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The slow path's answer to one message; see answer.h. */
#include <errno.h>
#include <string.h>

#include "maps/xdpdns.h"
#include "answer.h"

/* Header flags of every response: QR, the query's opcode, RD and CD copied. */
static uint16_t resp_flags(const struct dns_hdr *qh, bool aa, uint8_t rcode)
{
	return DNS_FLAG_QR | (aa ? DNS_FLAG_AA : 0) | (qh->flags & DNS_FLAG_OPCODE_MASK) |
	       (qh->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | (rcode & DNS_FLAG_RCODE_MASK);
}

/* The header alone: NOTIMP and FORMERR, where the question may be what is wrong. */
static size_t header_only(const struct dns_query *q, uint8_t rcode, uint8_t *out, size_t cap)
{
	struct dns_hdr h = { .id = q->hdr.id, .flags = resp_flags(&q->hdr, false, rcode) };

	if (cap < DNS_HDR_LEN)
		return 0;
	dns_hdr_encode(out, &h);
	return DNS_HDR_LEN;
}

/* Header, question, sections of r (already at out + header + question), OPT. */
static size_t finish(const struct dns_query *q, bool aa, uint8_t rcode, uint8_t ext_hi,
		     const struct zone_reply *r, uint8_t *out, size_t cap)
{
	struct dns_hdr h = {
		.id = q->hdr.id,
		.flags = resp_flags(&q->hdr, aa, rcode),
		.count = { 1, r->ancount, r->nscount, r->arcount + q->has_opt },
	};
	struct dns_writer w;

	dns_writer_init(&w, out, cap);
	if (dns_write_hdr(&w, &h) ||
	    dns_write_question(&w, q->q.name, q->q.name_len, q->q.qtype, q->q.qclass))
		return 0;
	w.len += r->len;
	if (q->has_opt &&
	    dns_write_opt(&w, XDPDNS_EDNS_SIZE, ext_hi, q->edns_flags & DNS_EDNS_DO))
		return 0;
	return w.len;
}

size_t server_answer_rcode(const struct dns_query *q, uint8_t rcode, uint8_t *out, size_t cap)
{
	struct zone_reply r = { 0 };

	return finish(q, false, rcode, 0, &r, out, cap);
}

static size_t sections_off(const struct dns_query *q)
{
	return DNS_HDR_LEN + q->q.name_len + 4;
}

/* RFC 8482 4.1: one RRset of the name. */
static int answer_any(const struct zone *z, const struct dns_query *q, struct zone_reply *r,
		      uint8_t *buf, size_t cap)
{
	static const uint16_t types[] = { DNS_TYPE_A,	DNS_TYPE_AAAA, DNS_TYPE_CNAME,
					  DNS_TYPE_SRV, DNS_TYPE_PTR,  DNS_TYPE_TXT,
					  DNS_TYPE_SOA, DNS_TYPE_NS };
	int err;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		err = zone_answer_buf(z, q->q.name, q->q.name_len, types[i], r, buf, cap);
		if (err || (r->flags & XDPDNS_ANS_PASS))
			continue;
		if (r->rcode != DNS_RCODE_NOERROR || r->ancount)
			return 0;
	}
	return zone_answer_buf(z, q->q.name, q->q.name_len, DNS_TYPE_ANY, r, buf, cap);
}

enum server_verdict server_answer(const struct zone *z, bool resolver, const uint8_t *msg,
				  size_t len, struct dns_query *q, uint8_t *out, size_t cap,
				  size_t *out_len)
{
	uint16_t qt;
	size_t off;
	struct zone_reply r = { 0 };
	int err;

	*out_len = 0;
	switch (dns_query_parse(msg, len, q)) {
	case 0:
		break;
	case -EOPNOTSUPP:
		*out_len = header_only(q, DNS_RCODE_NOTIMP, out, cap);
		return SERVER_REPLY;
	case -EBADMSG:
		*out_len = header_only(q, DNS_RCODE_FORMERR, out, cap);
		return SERVER_REPLY;
	default:
		return SERVER_DROP;
	}
	qt = q->q.qtype;
	if (qt == 0 || qt == DNS_TYPE_OPT) {
		*out_len = header_only(q, DNS_RCODE_FORMERR, out, cap);
		return SERVER_REPLY;
	}
	if (q->has_opt && q->edns_version > 0) {
		*out_len = finish(q, false, DNS_RCODE_BADVERS & 0xf, DNS_RCODE_BADVERS >> 4, &r,
				  out, cap);
		return SERVER_REPLY;
	}
	if (qt == DNS_TYPE_AXFR || qt == DNS_TYPE_IXFR || q->q.qclass != DNS_CLASS_IN) {
		*out_len = server_answer_rcode(q, DNS_RCODE_REFUSED, out, cap);
		return SERVER_REPLY;
	}
	if (qt >= 128 && qt < DNS_TYPE_ANY) {
		*out_len = server_answer_rcode(q, DNS_RCODE_NOTIMP, out, cap);
		return SERVER_REPLY;
	}

	off = sections_off(q);
	if (off + DNS_OPT_LEN > cap)
		return SERVER_DROP;
	cap -= DNS_OPT_LEN;	/* room for the OPT */
	if (qt == DNS_TYPE_ANY)
		err = answer_any(z, q, &r, out + off, cap - off);
	else
		err = zone_answer_buf(z, q->q.name, q->q.name_len, qt, &r, out + off, cap - off);
	if (!err && (r.flags & XDPDNS_ANS_PASS)) {
		/* An ExternalName owner: its CNAME; else a name outside every zone. */
		err = zone_answer_buf(z, q->q.name, q->q.name_len, DNS_TYPE_CNAME, &r, out + off,
				      cap - off);
		if (!err && ((r.flags & XDPDNS_ANS_PASS) || !r.ancount))
			err = -ENOENT;
	}
	if (err == -ENOENT) {
		if (resolver)
			return SERVER_RESOLVE;
		*out_len = server_answer_rcode(q, DNS_RCODE_REFUSED, out, cap + DNS_OPT_LEN);
		return SERVER_REPLY;
	}
	if (err) {
		*out_len = server_answer_rcode(q, DNS_RCODE_SERVFAIL, out, cap + DNS_OPT_LEN);
		return SERVER_REPLY;
	}
	*out_len = finish(q, true, r.rcode, 0, &r, out, cap + DNS_OPT_LEN);
	return SERVER_REPLY;
}
