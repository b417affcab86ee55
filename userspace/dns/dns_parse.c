// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* DNS message parser: header, questions, RRs, compressed names. See dns.h. */
#include <errno.h>
#include <string.h>

#include "dns.h"

/* Every jump goes strictly backwards, so at most one jump per byte of the message before
 * the name; the explicit bound documents that the walk terminates. */
#define DNS_PTR_HOPS_MAX	128

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int dns_hdr_decode(const uint8_t *msg, size_t len, struct dns_hdr *h)
{
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	h->id = get16(msg);
	h->flags = get16(msg + 2);
	for (int i = 0; i < DNS_SEC_COUNT; i++)
		h->count[i] = get16(msg + 4 + 2 * i);
	return 0;
}

int dns_name_read(const uint8_t *msg, size_t len, size_t off, uint8_t *out, size_t *out_len,
		  size_t *next)
{
	size_t pos = off, seg_start = off, o = 0, end = 0;
	unsigned int hops = 0;

	for (;;) {
		unsigned int l;

		if (pos >= len)
			return -EBADMSG;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -EBADMSG;
			target = (size_t)(get16(msg + pos) & DNS_PTR_MAX_OFF);
			/* Only backwards, before the segment we are in: forward pointers and
			 * loops (a pointer back into its own segment) are both malformed. */
			if (target >= seg_start || ++hops > DNS_PTR_HOPS_MAX)
				return -EBADMSG;
			if (!end)
				end = pos + 2;
			pos = seg_start = target;
			continue;
		}
		if (l & 0xc0)		/* 0x40, 0x80: extended / reserved label types */
			return -EBADMSG;
		if (o + 1 + l > DNS_NAME_MAX)
			return -EBADMSG;
		if (l == 0) {
			out[o++] = 0;
			break;
		}
		if (pos + 1 + l > len)
			return -EBADMSG;
		memcpy(out + o, msg + pos, 1 + l);
		o += 1 + l;
		pos += 1 + l;
	}
	*out_len = o;
	*next = end ? end : pos + 1;
	return 0;
}

int dns_parser_init(struct dns_parser *p, const uint8_t *msg, size_t len)
{
	int err;

	memset(p, 0, sizeof(*p));
	err = dns_hdr_decode(msg, len, &p->hdr);
	if (err)
		return err;
	p->msg = msg;
	p->len = len;
	p->pos = DNS_HDR_LEN;
	for (int i = 0; i < DNS_SEC_COUNT; i++)
		p->left[i] = p->hdr.count[i];
	return 0;
}

int dns_parser_question(struct dns_parser *p, struct dns_question *q)
{
	size_t next;
	int err;

	if (!p->left[DNS_SEC_QUESTION])
		return -ENOENT;
	err = dns_name_read(p->msg, p->len, p->pos, q->name, &q->name_len, &next);
	if (err)
		return err;
	if (next + 4 > p->len)
		return -EBADMSG;
	q->qtype = get16(p->msg + next);
	q->qclass = get16(p->msg + next + 2);
	p->pos = next + 4;
	p->left[DNS_SEC_QUESTION]--;
	return 0;
}

/* rdata holding exactly one name from rd_off to its end */
static int check_rdata_name(const struct dns_parser *p, size_t rd_off, size_t rd_end)
{
	uint8_t name[DNS_NAME_MAX];
	size_t nlen, next;
	int err;

	err = dns_name_read(p->msg, rd_end, rd_off, name, &nlen, &next);
	if (err)
		return err;
	return next == rd_end ? 0 : -EBADMSG;
}

static int check_rdata(const struct dns_parser *p, const struct dns_rr *rr)
{
	uint8_t name[DNS_NAME_MAX];
	size_t off = rr->rdata_off, end = rr->rdata_off + rr->rdlen, nlen, next;
	int err;

	switch (rr->type) {
	case DNS_TYPE_A:
		return rr->rdlen == 4 ? 0 : -EBADMSG;
	case DNS_TYPE_AAAA:
		return rr->rdlen == 16 ? 0 : -EBADMSG;
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
		return check_rdata_name(p, off, end);
	case DNS_TYPE_MX:
		return rr->rdlen < 3 ? -EBADMSG : check_rdata_name(p, off + 2, end);
	case DNS_TYPE_SRV:
		return rr->rdlen < 7 ? -EBADMSG : check_rdata_name(p, off + 6, end);
	case DNS_TYPE_SOA:
		err = dns_name_read(p->msg, end, off, name, &nlen, &next);
		if (err)
			return err;
		err = dns_name_read(p->msg, end, next, name, &nlen, &next);
		if (err)
			return err;
		return next + 20 == end ? 0 : -EBADMSG;
	case DNS_TYPE_TXT:
		if (rr->rdlen == 0)
			return -EBADMSG;
		while (off < end)
			off += 1 + p->msg[off];
		return off == end ? 0 : -EBADMSG;
	default:
		return 0;
	}
}

int dns_parser_rr(struct dns_parser *p, struct dns_rr *rr)
{
	enum dns_section s;
	size_t next;
	int err;

	if (p->left[DNS_SEC_QUESTION])
		return -EINVAL;
	for (s = DNS_SEC_ANSWER; s < DNS_SEC_COUNT && !p->left[s]; s++)
		;
	if (s == DNS_SEC_COUNT)
		return -ENOENT;
	err = dns_name_read(p->msg, p->len, p->pos, rr->name, &rr->name_len, &next);
	if (err)
		return err;
	if (next + DNS_RR_FIXED_LEN > p->len)
		return -EBADMSG;
	rr->section = s;
	rr->type = get16(p->msg + next);
	rr->rclass = get16(p->msg + next + 2);
	rr->ttl = get32(p->msg + next + 4);
	rr->rdlen = get16(p->msg + next + 8);
	rr->rdata_off = next + DNS_RR_FIXED_LEN;
	if (rr->rdata_off + rr->rdlen > p->len)
		return -EBADMSG;
	rr->rdata = p->msg + rr->rdata_off;
	err = check_rdata(p, rr);
	if (err)
		return err;
	p->pos = rr->rdata_off + rr->rdlen;
	p->left[s]--;
	return 0;
}

int dns_parser_end(const struct dns_parser *p)
{
	for (int i = 0; i < DNS_SEC_COUNT; i++)
		if (p->left[i])
			return -EBADMSG;
	return p->pos == p->len ? 0 : -EBADMSG;
}

int dns_msg_validate(const uint8_t *msg, size_t len)
{
	struct dns_question q;
	struct dns_parser p;
	struct dns_rr rr;
	int err;

	err = dns_parser_init(&p, msg, len);
	while (!err)
		err = dns_parser_question(&p, &q);
	if (err != -ENOENT)
		return err;
	while (!(err = dns_parser_rr(&p, &rr)))
		;
	if (err != -ENOENT)
		return err;
	return dns_parser_end(&p);
}

int dns_rr_srv(const struct dns_parser *p, const struct dns_rr *rr, uint16_t *prio,
	       uint16_t *weight, uint16_t *port, uint8_t *target, size_t *target_len)
{
	size_t next;

	if (rr->type != DNS_TYPE_SRV || rr->rdlen < 7)
		return -EINVAL;
	*prio = get16(rr->rdata);
	*weight = get16(rr->rdata + 2);
	*port = get16(rr->rdata + 4);
	return dns_name_read(p->msg, rr->rdata_off + rr->rdlen, rr->rdata_off + 6, target,
			     target_len, &next);
}

int dns_rr_target(const struct dns_parser *p, const struct dns_rr *rr, uint8_t *target,
		  size_t *target_len)
{
	size_t next;

	if (rr->type != DNS_TYPE_NS && rr->type != DNS_TYPE_CNAME && rr->type != DNS_TYPE_PTR)
		return -EINVAL;
	return dns_name_read(p->msg, rr->rdata_off + rr->rdlen, rr->rdata_off, target,
			     target_len, &next);
}
