// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The slow path's answer to one message; see answer.h. */
#include <errno.h>
#include <stdlib.h>
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

/* ---- ExternalName chasing ---- */

#define NAMES_MAX	32	/* names kept for compression; later ones are written whole */
#define COPY_ANSWER	1u	/* the answer section */
#define COPY_REST	2u	/* authority when the answer is negative; additional but OPT */

/* A response being built: the writer, the names in it for compression, the counts. */
struct builder {
	struct dns_writer w;
	uint16_t count[DNS_SEC_COUNT];
	bool full;		/* a record did not fit: nothing more is added */
	bool tc;		/* ... and it was an answer or authority record */
	uint8_t tail[DNS_NAME_MAX];	/* target of the last CNAME copied */
	size_t tail_len;
	unsigned int n_names;
	struct {
		uint8_t name[DNS_NAME_MAX];	/* decompressed */
		size_t len;
		size_t plain;	/* name[0..plain) is written as labels at off, a pointer next */
		size_t off;
	} names[NAMES_MAX];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Offset in the message of a name equal to name[0..len), or 0 when there is none. */
static size_t names_find(const struct builder *b, const uint8_t *name, size_t len)
{
	for (unsigned int i = 0; i < b->n_names; i++) {
		const uint8_t *e = b->names[i].name;
		size_t elen = b->names[i].len;

		for (size_t k = 0; k < b->names[i].plain && e[k]; k += e[k] + 1U)
			if (b->names[i].off + k <= DNS_PTR_MAX_OFF &&
			    dns_name_eq(e + k, elen - k, name, len))
				return b->names[i].off + k;
	}
	return 0;
}

static void names_add(struct builder *b, const uint8_t *name, size_t len, size_t plain,
		      size_t off)
{
	if (b->n_names == NAMES_MAX || !plain || off > DNS_PTR_MAX_OFF)
		return;
	memcpy(b->names[b->n_names].name, name, len);
	b->names[b->n_names].len = len;
	b->names[b->n_names].plain = plain;
	b->names[b->n_names++].off = off;
}

/* name[0..len) (uncompressed), its longest suffix already in the message as a pointer. */
static int put_name(struct builder *b, const uint8_t *name, size_t len)
{
	size_t start = b->w.len, j, ptr = 0;
	uint8_t p[2] = { 0 };
	int err;

	for (j = 0; name[j]; j += name[j] + 1U) {
		ptr = names_find(b, name + j, len - j);
		if (ptr)
			break;
	}
	err = dns_write_bytes(&b->w, name, j);
	if (!err) {
		if (ptr)
			put16(p, DNS_PTR(ptr));
		err = dns_write_bytes(&b->w, p, ptr ? 2 : 1);	/* a pointer, or the root */
	}
	if (err) {
		b->w.len = start;
		return err;
	}
	names_add(b, name, len, j, start);
	return 0;
}

/* The name at msg[off] of the parsed message, decompressed, then written with put_name(). */
static int copy_name(struct builder *b, const struct dns_parser *p, size_t off, size_t *next,
		     bool compress)
{
	uint8_t name[DNS_NAME_MAX];
	size_t len;
	int err = dns_name_read(p->msg, p->len, off, name, &len, next);

	if (err)
		return err;
	return compress ? put_name(b, name, len) : dns_write_bytes(&b->w, name, len);
}

/* One RR of p, owner and names in rdata decoded and written again. */
static int copy_rr(struct builder *b, const struct dns_parser *p, const struct dns_rr *rr)
{
	size_t start = b->w.len, off = rr->rdata_off, rd, next;
	unsigned int n_names = b->n_names;
	uint8_t fixed[DNS_RR_FIXED_LEN];
	int err;

	put16(fixed, rr->type);
	put16(fixed + 2, rr->rclass);
	put16(fixed + 4, (uint16_t)(rr->ttl >> 16));
	put16(fixed + 6, (uint16_t)rr->ttl);
	put16(fixed + 8, 0);
	err = put_name(b, rr->name, rr->name_len);
	if (!err)
		err = dns_write_bytes(&b->w, fixed, sizeof(fixed));
	rd = b->w.len;
	switch (err ? 0 : rr->type) {
	case 0:
		break;
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
		err = copy_name(b, p, off, &next, true);
		break;
	case DNS_TYPE_MX:
		err = dns_write_bytes(&b->w, rr->rdata, 2);
		if (!err)
			err = copy_name(b, p, off + 2, &next, true);
		break;
	case DNS_TYPE_SOA:
		err = copy_name(b, p, off, &next, true);
		if (!err)
			err = copy_name(b, p, next, &next, true);
		if (!err)	/* the parser checked that 20 bytes follow */
			err = dns_write_bytes(&b->w, p->msg + next, 20);
		break;
	case DNS_TYPE_SRV:
		err = dns_write_bytes(&b->w, rr->rdata, 6);
		if (!err)
			err = copy_name(b, p, off + 6, &next, false);
		break;
	default:
		err = dns_write_bytes(&b->w, rr->rdata, rr->rdlen);
		break;
	}
	if (!err && b->w.len - rd > UINT16_MAX)
		err = -EMSGSIZE;
	if (err) {
		b->w.len = start;
		b->n_names = n_names;
		return err;
	}
	put16(b->w.buf + rd - 2, (uint16_t)(b->w.len - rd));
	b->count[rr->section]++;
	return 0;
}

/*
 * The records of msg (one question) that `what` asks for. The answer is negative when msg is
 * NXDOMAIN or its answer holds no record of qtype. Notes the last CNAME's target in b->tail.
 */
static int copy_msg(struct builder *b, const uint8_t *msg, size_t len, unsigned int what,
		    uint16_t qtype)
{
	struct dns_question dq;
	struct dns_parser p;
	struct dns_rr rr;
	bool positive = false;
	int err;

	err = dns_parser_init(&p, msg, len);
	if (!err && p.hdr.count[DNS_SEC_QUESTION] != 1)
		err = -EBADMSG;
	if (!err)
		err = dns_parser_question(&p, &dq);
	if (err)
		return err;
	while ((err = dns_parser_rr(&p, &rr)) == 0) {
		if (rr.section == DNS_SEC_ANSWER) {
			if (rr.type == qtype)
				positive = true;
			if (rr.type == DNS_TYPE_CNAME) {
				err = dns_rr_target(&p, &rr, b->tail, &b->tail_len);
				if (err)
					return err;
			}
			if (!(what & COPY_ANSWER))
				continue;
		} else if (!(what & COPY_REST) || rr.type == DNS_TYPE_OPT ||
			   (rr.section == DNS_SEC_AUTHORITY && positive &&
			    (p.hdr.flags & DNS_FLAG_RCODE_MASK) != DNS_RCODE_NXDOMAIN)) {
			continue;
		}
		if (b->full)
			continue;
		err = copy_rr(b, &p, &rr);
		if (err == -EMSGSIZE) {
			b->full = true;		/* whole records, in order (RFC 2181 9) */
			b->tc = rr.section != DNS_SEC_ADDITIONAL;
			err = 0;
		}
		if (err)
			return err;
	}
	return err == -ENOENT ? 0 : err;
}

/* Header space and the client's question; room is kept for the OPT. */
static int builder_start(struct builder *b, const struct dns_query *q, uint8_t *out, size_t cap)
{
	struct dns_hdr h = { 0 };
	int err;

	b->n_names = 0;
	b->full = b->tc = false;
	b->tail_len = 0;
	memset(b->count, 0, sizeof(b->count));
	if (cap < DNS_OPT_LEN)
		return -EMSGSIZE;
	dns_writer_init(&b->w, out, cap - DNS_OPT_LEN);
	err = dns_write_hdr(&b->w, &h);
	if (!err)
		err = dns_write_question(&b->w, q->q.name, q->q.name_len, q->q.qtype,
					 q->q.qclass);
	if (!err)
		names_add(b, q->q.name, q->q.name_len, q->q.name_len - 1, DNS_HDR_LEN);
	b->count[DNS_SEC_QUESTION] = 1;
	return err;
}

/* The OPT when the client had one, and the header. Returns the length. */
static size_t builder_end(struct builder *b, const struct dns_query *q, bool opt, bool ra,
			  uint8_t rcode)
{
	struct dns_hdr h = { .id = q->hdr.id, .flags = resp_flags(&q->hdr, true, rcode) };

	if (ra)
		h.flags |= DNS_FLAG_RA;
	if (b->tc)
		h.flags |= DNS_FLAG_TC;
	b->w.cap += DNS_OPT_LEN;
	if (opt && q->has_opt) {
		if (dns_write_opt(&b->w, XDPDNS_EDNS_SIZE, 0, q->edns_flags & DNS_EDNS_DO))
			return 0;
		b->count[DNS_SEC_ADDITIONAL]++;
	}
	memcpy(h.count, b->count, sizeof(h.count));
	dns_hdr_encode(b->w.buf, &h);
	return b->w.len;
}

/* The zone's answer for (name, qtype) as a whole message in buf (header, question, the
 * sections of zone_answer_buf()), so that copy_msg() reads it. Its length, or -errno. */
static int zone_msg(const struct zone *z, const uint8_t *name, size_t len, uint16_t qtype,
		    struct zone_reply *r, uint8_t *buf, size_t cap)
{
	struct dns_hdr h = { .flags = DNS_FLAG_QR, .count = { 1 } };
	struct dns_writer w;
	int err;

	dns_writer_init(&w, buf, cap);
	err = dns_write_hdr(&w, &h);
	if (!err)
		err = dns_write_question(&w, name, len, qtype, DNS_CLASS_IN);
	if (!err)
		err = zone_answer_buf(z, name, len, qtype, r, buf + w.len, cap - w.len);
	if (err)
		return err;
	h.flags |= r->rcode & DNS_FLAG_RCODE_MASK;
	h.count[DNS_SEC_ANSWER] = r->ancount;
	h.count[DNS_SEC_AUTHORITY] = r->nscount;
	h.count[DNS_SEC_ADDITIONAL] = r->arcount;
	dns_hdr_encode(buf, &h);
	return (int)(w.len + r->len);
}

/*
 * The question's name has the PASS flag for its type: follow its CNAME (answer.h). Returns 0
 * with *v and *out_len set, -ENOENT when the name owns no CNAME (it is in no zone), or
 * -errno (SERVFAIL).
 */
static int chase(const struct zone *z, bool resolver, const struct dns_query *q, uint8_t *out,
		 size_t cap, enum server_verdict *v, size_t *out_len)
{
	uint8_t chain[SERVER_CHASE_MAX + 1][DNS_NAME_MAX];	/* owners so far */
	size_t chain_len[SERVER_CHASE_MAX + 1];
	uint16_t qt = q->q.qtype;
	struct zone_reply r;
	struct builder *b;
	unsigned int depth;
	uint8_t rcode = DNS_RCODE_NOERROR;
	uint8_t *buf;
	int n, err;

	b = malloc(sizeof(*b));
	buf = malloc(DNS_MSG_MAX);
	err = b && buf ? builder_start(b, q, out, cap) : -ENOMEM;
	if (err)
		goto out_free;
	*v = SERVER_REPLY;
	memcpy(chain[0], q->q.name, q->q.name_len);
	chain_len[0] = q->q.name_len;
	for (depth = 0;; depth++) {
		const uint8_t *name = chain[depth];
		size_t len = chain_len[depth];
		bool loop = false;

		n = zone_msg(z, name, len, qt, &r, buf, DNS_MSG_MAX);
		if (n >= 0 && !(r.flags & XDPDNS_ANS_PASS)) {
			/* in the zone: its records or its negative answer end the chain */
			rcode = r.rcode;
			err = copy_msg(b, buf, (size_t)n, COPY_ANSWER | COPY_REST, qt);
			break;
		}
		if (n >= 0)	/* a CNAME owner, or no zone */
			n = zone_msg(z, name, len, DNS_TYPE_CNAME, &r, buf, DNS_MSG_MAX);
		if (n == -ENOENT || (n >= 0 && ((r.flags & XDPDNS_ANS_PASS) || !r.ancount))) {
			/* outside every zone */
			err = 0;
			if (!depth)
				err = -ENOENT;
			else if (resolver)
				*v = SERVER_CHASE;
			break;
		}
		if (n < 0) {
			err = n;
			break;
		}
		if (depth == SERVER_CHASE_MAX)
			break;	/* long enough: the chain so far */
		err = copy_msg(b, buf, (size_t)n, COPY_ANSWER, DNS_TYPE_CNAME);
		if (err || b->full || !b->tail_len)
			break;
		for (unsigned int i = 0; i <= depth && !loop; i++)
			loop = dns_name_eq(chain[i], chain_len[i], b->tail, b->tail_len);
		if (loop)
			break;	/* the chain so far; the client's resolver sees the loop */
		memcpy(chain[depth + 1], b->tail, b->tail_len);
		chain_len[depth + 1] = b->tail_len;
	}
	if (!err) {
		/* the partial answer of SERVER_CHASE gets its OPT from server_chase_finish() */
		*out_len = builder_end(b, q, *v == SERVER_REPLY, false, rcode);
		if (!*out_len)
			err = -EMSGSIZE;
	}
out_free:
	free(buf);
	free(b);
	return err;
}

/* The target of the last CNAME in msg's answer section. */
static int last_cname(const uint8_t *msg, size_t len, uint8_t *name, size_t *name_len)
{
	struct dns_parser p;
	struct dns_question dq;
	struct dns_rr rr;
	int err = dns_parser_init(&p, msg, len);

	*name_len = 0;
	if (!err)
		err = dns_parser_question(&p, &dq);
	while (!err && (err = dns_parser_rr(&p, &rr)) == 0)
		if (rr.section == DNS_SEC_ANSWER && rr.type == DNS_TYPE_CNAME)
			err = dns_rr_target(&p, &rr, name, name_len);
	return err == -ENOENT && *name_len ? 0 : -ENOENT;
}

size_t server_chase_query(const struct dns_query *q, const uint8_t *part, size_t part_len,
			  uint8_t *out, size_t cap)
{
	struct dns_hdr h = { .id = q->hdr.id, .flags = DNS_FLAG_RD | (q->hdr.flags & DNS_FLAG_CD),
			     .count = { 1, 0, 0, q->has_opt } };
	uint8_t target[DNS_NAME_MAX];
	struct dns_writer w;
	size_t tlen;

	if (last_cname(part, part_len, target, &tlen))
		return 0;
	dns_writer_init(&w, out, cap);
	if (dns_write_hdr(&w, &h) ||
	    dns_write_question(&w, target, tlen, q->q.qtype, q->q.qclass) ||
	    (q->has_opt &&
	     dns_write_opt(&w, XDPDNS_EDNS_SIZE, 0, q->edns_flags & DNS_EDNS_DO)))
		return 0;
	return w.len;
}

size_t server_chase_finish(const struct dns_query *q, const uint8_t *part, size_t part_len,
			   const uint8_t *resp, size_t resp_len, uint8_t *out, size_t cap)
{
	struct dns_question dq;
	struct dns_parser p;
	struct builder *b;
	uint8_t rcode;
	size_t len = 0;

	if (!resp || dns_parser_init(&p, resp, resp_len) || p.hdr.count[DNS_SEC_QUESTION] != 1 ||
	    dns_parser_question(&p, &dq))
		return 0;
	rcode = p.hdr.flags & DNS_FLAG_RCODE_MASK;
	if ((rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN) ||
	    dq.qtype != q->q.qtype || dq.qclass != q->q.qclass)
		return 0;
	b = malloc(sizeof(*b));
	if (!b)
		return 0;
	if (builder_start(b, q, out, cap) || copy_msg(b, part, part_len, COPY_ANSWER, 0) ||
	    !b->tail_len || !dns_name_eq(b->tail, b->tail_len, dq.name, dq.name_len) ||
	    copy_msg(b, resp, resp_len, COPY_ANSWER | COPY_REST, q->q.qtype))
		goto out_free;
	if (p.hdr.flags & DNS_FLAG_TC)
		b->tc = true;	/* the resolver's answer was cut already */
	len = builder_end(b, q, true, true, rcode);
out_free:
	free(b);
	return len;
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
		/* An ExternalName owner: its CNAME, chased; else a name outside every zone. */
		enum server_verdict v;

		err = chase(z, resolver, q, out, cap + DNS_OPT_LEN, &v, out_len);
		if (!err)
			return v;
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
