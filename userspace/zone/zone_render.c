// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Answers in the layout of struct xdpdns_answer: the sections that follow the question.
 * Owners are the pointer 0xc00c (the question keeps the client's case); the SOA's owner,
 * MNAME and RNAME point to the apex suffix inside the question; rdata names are stored
 * uncompressed and lower case. Rendering is on demand: the zone keeps records, not bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "zone_internal.h"

/* Offset of the NS rdata in the message, for the glue owners: the NS RR directly follows
 * the question; its owner is a 2-byte pointer and 10 fixed bytes follow. */
static size_t ns_rdata_off(size_t qname_len)
{
	return DNS_HDR_LEN + qname_len + 4 + 2 + DNS_RR_FIXED_LEN;
}

static int soa_write(const struct zone *z, struct dns_writer *w, size_t qname_len, int zi)
{
	uint8_t soa[XDPDNS_SOA_LEN];

	zone_soa_render(z, soa, DNS_PTR(DNS_HDR_LEN + qname_len - z->zones[zi].len));
	return dns_write_bytes(w, soa, sizeof(soa));
}

static int render_negative(const struct zone *z, size_t qname_len, int zi, uint8_t rcode,
			   struct zone_reply *r, struct dns_writer *w)
{
	int err = soa_write(z, w, qname_len, zi);

	if (err)
		return err;
	r->rcode = rcode;
	r->nscount = 1;
	r->len = w->len;
	return 0;
}

static int render_node(const struct zone *z, const struct znode *n, uint16_t qtype,
		       struct zone_reply *r, struct dns_writer *w)
{
	const struct zrr *rr = n->rrs;
	int err = 0;

	while (rr && rr->type != qtype)
		rr = rr->next;
	if (!rr) {
		if (n->flags & ZNODE_PASS) {
			r->flags = XDPDNS_ANS_PASS;
			return 0;
		}
		return render_negative(z, n->len, n->zone, DNS_RCODE_NOERROR, r, w);
	}
	for (; rr && rr->type == qtype; rr = rr->next) {
		if (rr->type == DNS_TYPE_SOA)
			err = soa_write(z, w, n->len, n->zone);
		else
			err = dns_write_rr(w, DNS_OWNER_QNAME, rr->type, DNS_CLASS_IN, rr->ttl,
					   rr->rdata, rr->rdlen);
		if (err)
			return err;
		r->ancount++;
	}
	if (qtype == DNS_TYPE_NS && (n->flags & ZNODE_APEX)) {
		/* Glue for ns.dns.<zone> (spec 2.9): its owner points at the NS rdata. */
		struct dns_owner glue = DNS_OWNER_AT(ns_rdata_off(n->len));

		for (unsigned int i = 0; !err && i < z->n_v4; i++, r->arcount++)
			err = dns_write_a(w, glue, z->ttl, z->v4[i]);
		for (unsigned int i = 0; !err && i < z->n_v6; i++, r->arcount++)
			err = dns_write_aaaa(w, glue, z->ttl, z->v6[i]);
		if (err)
			return err;
	}
	r->len = w->len;
	return 0;
}

/*
 * The address a pod name's first label spells (spec 2.7, CoreDNS insecure mode): exactly three
 * '-' and no "--" is IPv4 ("10-0-0-1"), anything else IPv6 with every '-' a ':'
 * ("fd00--1"). An IPv4-mapped IPv6 address is IPv4, as Go's To4() makes it. Returns 4, 16, or
 * 0 when the label is no address.
 */
static int pod_label_addr(const uint8_t *label, size_t len, uint8_t addr[16])
{
	char text[DNS_LABEL_MAX + 1];
	unsigned int dashes = 0;
	bool v4;

	for (size_t i = 0; i < len; i++) {
		text[i] = (char)label[i];
		dashes += label[i] == '-';
	}
	text[len] = '\0';
	v4 = dashes == 3 && !strstr(text, "--");
	for (size_t i = 0; i < len; i++)
		if (text[i] == '-')
			text[i] = v4 ? '.' : ':';
	if (v4)
		return inet_pton(AF_INET, text, addr) == 1 ? 4 : 0;
	if (inet_pton(AF_INET6, text, addr) != 1)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)addr)) {
		memmove(addr, addr + 12, 4);
		return 4;
	}
	return 16;
}

/*
 * Insecure pod records: <addr>.<ns>.pod.<zone> for an existing namespace answers A or AAAA with
 * the address it spells, NODATA for other types; every other name below pod.<zone> that is
 * no node is NXDOMAIN (spec 2.7). name is below the pod zone pzi and is no node.
 */
static int answer_pod(const struct zone *z, const uint8_t *name, size_t len, int pzi,
		      uint16_t qtype, struct zone_reply *r, struct dns_writer *w)
{
	const struct zzone *pz = &z->zones[pzi];
	int zi = zone_find(z, name, len, true), alen;
	uint8_t addr[16];

	if (zi < 0)
		return -ENOENT;
	if (dns_name_labels(name, len) != dns_name_labels(pz->name, pz->len) + 2 ||
	    !zone_node_find(z, name + 1 + name[0], len - 1 - name[0]))
		return render_negative(z, len, zi, DNS_RCODE_NXDOMAIN, r, w);
	alen = pod_label_addr(name + 1, name[0], addr);
	if (!alen)
		return render_negative(z, len, zi, DNS_RCODE_NXDOMAIN, r, w);
	if ((alen == 4 && qtype != DNS_TYPE_A) || (alen == 16 && qtype != DNS_TYPE_AAAA))
		return render_negative(z, len, zi, DNS_RCODE_NOERROR, r, w);
	if (dns_write_rr(w, DNS_OWNER_QNAME, qtype, DNS_CLASS_IN, z->ttl, addr, alen))
		return -EMSGSIZE;
	r->ancount = 1;
	r->len = w->len;
	return 0;
}

/* name: lower-case wire name, valid. synth: answer the names the slow path synthesises. */
static int answer_lower(const struct zone *z, const uint8_t *name, size_t len, uint16_t qtype,
			bool synth, struct zone_reply *r, uint8_t *buf, size_t cap)
{
	const struct znode *n = zone_node_find(z, name, len);
	struct dns_writer w;
	int zi;

	memset(r, 0, sizeof(*r));
	dns_writer_init(&w, buf, cap);
	if (n)
		return render_node(z, n, qtype, r, &w);
	zi = zone_find(z, name, len, false);
	if (zi >= 0 && synth && z->pods == ZONE_PODS_INSECURE &&
	    z->zones[zi].action == XDPDNS_ZONE_PASS)
		return answer_pod(z, name, len, zi, qtype, r, &w);
	if (zi < 0 || z->zones[zi].action != XDPDNS_ZONE_AUTH)
		return -ENOENT;
	return render_negative(z, len, zi, DNS_RCODE_NXDOMAIN, r, &w);
}

static int answer(const struct zone *z, const uint8_t *qname, size_t qname_len, uint16_t qtype,
		  bool synth, struct zone_reply *out, uint8_t *buf, size_t cap)
{
	struct xdpdns_key_l key;
	int err;

	err = xdpdns_key_build(&key, qname, qname_len, qtype);	/* validates, lower-cases */
	if (err)
		return err;
	return answer_lower(z, key.name, qname_len, qtype, synth, out, buf, cap);
}

int zone_answer_buf(const struct zone *z, const uint8_t *qname, size_t qname_len,
		    uint16_t qtype, struct zone_reply *out, uint8_t *buf, size_t cap)
{
	return answer(z, qname, qname_len, qtype, true, out, buf, cap);
}

static void answer_fill(struct xdpdns_answer *out, const struct zone_reply *r)
{
	out->rcode = r->rcode;
	out->flags = r->flags;
	out->ancount = r->ancount;
	out->nscount = r->nscount;
	out->arcount = r->arcount;
	out->len = (uint16_t)r->len;
	out->csum = xdpdns_csum_partial(out->data, r->len);
}

/* An answer over XDPDNS_ANSWER_MAX: the slow path serves it (zone_answer_buf()). */
static void answer_too_big(struct xdpdns_answer *out)
{
	memset(out, 0, sizeof(*out));
	out->flags = XDPDNS_ANS_PASS;
}

int zone_answer(const struct zone *z, const uint8_t *qname, size_t qname_len, uint16_t qtype,
		struct xdpdns_answer *out)
{
	struct zone_reply r;
	int err;

	memset(out, 0, sizeof(*out));
	err = answer(z, qname, qname_len, qtype, false, &r, out->data, sizeof(out->data));
	if (err == -EMSGSIZE) {
		answer_too_big(out);
		return 0;
	}
	if (err)
		return err;
	answer_fill(out, &r);
	return 0;
}

/*
 * The map entry of (n, qtype). A negative answer (a name's existence entry, NODATA) carries
 * no SOA of its own but XDPDNS_ANS_ZONE_SOA and its zone's place in the zone table: the fast
 * path appends the table's SOA, so a new serial rewrites the table, not every name.
 */
static int project_one(const struct zone *z, const struct znode *n, uint16_t qtype,
		       zone_emit_fn emit, void *ctx, struct xdpdns_answer *val)
{
	struct xdpdns_key_l key;
	struct zone_reply r;
	struct dns_writer w;
	int err;

	err = xdpdns_key_build(&key, n->name, n->len, qtype);
	if (err)
		return err;
	memset(val, 0, sizeof(*val));
	memset(&r, 0, sizeof(r));
	dns_writer_init(&w, val->data, sizeof(val->data));
	err = render_node(z, n, qtype, &r, &w);
	if (err == -EMSGSIZE)
		answer_too_big(val);
	else if (err)
		return err;
	else if (!(r.flags & XDPDNS_ANS_PASS) && !r.ancount && r.nscount) {
		memset(val->data, 0, r.len);	/* the SOA rendered: the table has it */
		val->rcode = r.rcode;
		val->flags = XDPDNS_ANS_ZONE_SOA;
		val->zone = z->zones[n->zone].table;
		val->nscount = 1;
	} else {
		answer_fill(val, &r);
	}
	return emit(ctx, &key, val);
}

/* Every entry of n: its existence entry and one per type. */
static int project_node(const struct zone *z, const struct znode *n, zone_emit_fn emit,
			void *ctx, struct xdpdns_answer *val)
{
	int err = project_one(z, n, XDPDNS_QTYPE_NAME, emit, ctx, val);

	for (const struct zrr *rr = n->rrs; !err && rr; rr = rr->next) {
		if (rr->next && rr->next->type == rr->type)
			continue;	/* once per type: the last record of each run */
		err = project_one(z, n, rr->type, emit, ctx, val);
	}
	return err;
}

int zone_project(const struct zone *z, zone_emit_fn emit, void *ctx)
{
	struct xdpdns_answer val;
	struct znode *n, *tmp;
	int err;

	HASH_ITER(hh, z->names, n, tmp) {
		err = project_node(z, n, emit, ctx, &val);
		if (err)
			return err;
	}
	return 0;
}

static bool node_has_type(const struct znode *n, uint16_t type)
{
	for (const struct zrr *rr = n->rrs; rr; rr = rr->next)
		if (rr->type == type)
			return true;
	return false;
}

static int remove_one(const struct znode *n, uint16_t qtype, zone_remove_fn remove, void *ctx)
{
	struct xdpdns_key_l key;
	int err = xdpdns_key_build(&key, n->name, n->len, qtype);

	return err ? err : remove(ctx, &key);
}

int zone_project_changes(const struct zone *z, zone_emit_fn emit, zone_remove_fn remove,
			 void *ctx)
{
	struct xdpdns_answer val;
	int err = 0;

	for (size_t i = 0; !err && i < z->n_changed; i++) {
		const struct znode *n = z->changed[i];
		bool dead = n->flags & ZNODE_DEAD;

		if (dead && (n->flags & ZNODE_NEW))
			continue;	/* made and gone between two projections */
		if (dead)
			err = remove_one(n, XDPDNS_QTYPE_NAME, remove, ctx);
		for (unsigned int t = 0; !err && t < n->n_was; t++)
			if (dead || !node_has_type(n, n->was[t]))
				err = remove_one(n, n->was[t], remove, ctx);
		if (!err && !dead)
			err = project_node(z, n, emit, ctx, &val);
	}
	return err;
}

int zone_project_zones(const struct zone *z, struct xdpdns_zone *out, unsigned int max)
{
	unsigned int n = z->n_zones;

	if (n > max)
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++) {
		const struct zzone *zz = &z->zones[i];
		struct xdpdns_zone *o = &out[zz->table];

		memset(o, 0, sizeof(*o));
		memcpy(o->name, zz->name, zz->len);
		o->name_len = zz->len;
		o->action = zz->action;
		if (zz->action == XDPDNS_ZONE_AUTH) {
			zone_soa_render(z, o->soa, 0);
			o->soa_csum = xdpdns_csum_partial(o->soa, XDPDNS_SOA_LEN);
		}
	}
	return (int)n;
}
