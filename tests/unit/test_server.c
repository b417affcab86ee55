// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * server_answer() (which rcode, header and sections each query gets) and the server's
 * resolver plumbing: a server on 127.0.0.1 (an unprivileged port, one worker) with a fake
 * resolver that answers some names at once (a cache hit), some later from process(), fails
 * some (SERVFAIL) and refuses some (resolve() errors: SERVFAIL too); UDP answers are cut to
 * the client's size. ExternalName chasing: in the zone, and through the fake resolver (byte
 * checks of the re-encoded records, NXDOMAIN, failure, TCP, cancel on a reset connection).
 * Messages are built and read with our codec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "userspace/dns/dns.h"
#include "userspace/server/answer.h"
#include "userspace/server/server.h"
#include "zone_helpers.h"

static size_t mkquery(uint8_t *buf, const char *name, uint16_t qtype, uint16_t qclass,
		      uint16_t flags, bool opt, uint8_t version)
{
	struct dns_hdr h = { .id = 0xbeef, .flags = flags, .count = { 1, 0, 0, opt } };
	uint8_t qn[DNS_NAME_MAX];
	struct dns_writer w;
	int l = dns_name_from_text(qn, sizeof(qn), name);

	cr_assert_gt(l, 0);
	dns_writer_init(&w, buf, 512);
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_question(&w, qn, (size_t)l, qtype, qclass), 0);
	if (opt) {
		uint8_t o[DNS_OPT_LEN] = { 0, 0, 41, 0x10, 0, 0, version, 0x80, 0, 0, 0 };

		cr_assert_eq(dns_write_bytes(&w, o, sizeof(o)), 0);
	}
	return w.len;
}

/* An ExternalName service of namespace default. */
#define EXT(name, target)                                                               \
	"{'kind':'Service','apiVersion':'v1','metadata':{'name':'" name "',"            \
	"'namespace':'default'},'spec':{'type':'ExternalName','externalName':'" target "'}}"

static const char fixture_json[] =
	"{'kind':'List','items':["
	"{'kind':'Namespace','apiVersion':'v1','metadata':{'name':'default'}},"
	"{'kind':'Service','apiVersion':'v1','metadata':{'name':'web','namespace':'default'},"
	" 'spec':{'clusterIP':'10.96.1.1','ports':[{'name':'http','port':80,'protocol':'TCP'}]}},"
	EXT("ext", "db.example.org") "," EXT("extnx", "nx.example.org") ","
	EXT("extfail", "fail.example.org") "," EXT("extasync", "async.example.org") ","
	EXT("exthold", "hold.example.org") ","
	EXT("alias", "web.default.svc.cluster.local") ","
	EXT("hop", "alias.default.svc.cluster.local") ","
	EXT("gone", "nothere.default.svc.cluster.local") ","
	EXT("loop-a", "loop-b.default.svc.cluster.local") ","
	EXT("loop-b", "loop-a.default.svc.cluster.local") ","
	EXT("far", "ext.default.svc.cluster.local")
	"]}";

static struct zone *demo(void)
{
	return zone_from(ZONE_PODS_INSECURE, NULL, fixture_json);
}

struct rc_case {
	char name[64];		/* an array: params are copied to the test's process */
	uint16_t qtype, qclass, flags;
	bool opt;
	uint8_t version;
	enum server_verdict verdict;	/* with a resolver */
	int rcode;			/* without one; -1: no reply */
	bool aa;
};

static const struct rc_case rc_cases[] = {
	{ "web.default.svc.cluster.local", A, 1, DNS_FLAG_RD, false, 0, SERVER_REPLY, 0, true },
	{ "nope.default.svc.cluster.local", A, 1, 0, true, 0, SERVER_REPLY, 3, true },
	{ "web.default.svc.cluster.local", DNS_TYPE_AXFR, 1, 0, false, 0, SERVER_REPLY, 5 },
	{ "web.default.svc.cluster.local", DNS_TYPE_IXFR, 1, 0, false, 0, SERVER_REPLY, 5 },
	{ "web.default.svc.cluster.local", A, 3, 0, false, 0, SERVER_REPLY, 5 },	/* CH */
	{ "web.default.svc.cluster.local", 250, 1, 0, false, 0, SERVER_REPLY, 4 },	/* TSIG */
	{ "web.default.svc.cluster.local", DNS_TYPE_OPT, 1, 0, false, 0, SERVER_REPLY, 1 },
	{ "web.default.svc.cluster.local", 0, 1, 0, false, 0, SERVER_REPLY, 1 },
	{ "web.default.svc.cluster.local", A, 1, 0, true, 1, SERVER_REPLY, 0 },	/* BADVERS */
	{ "web.default.svc.cluster.local", A, 1, 4 << 11, false, 0, SERVER_REPLY, 4 },
	{ "web.default.svc.cluster.local", A, 1, DNS_FLAG_QR, false, 0, SERVER_DROP, -1 },
	{ "example.org", A, 1, DNS_FLAG_RD, false, 0, SERVER_RESOLVE, 5 },
	{ "1-2-3-4.default.pod.cluster.local", A, 1, 0, false, 0, SERVER_REPLY, 0, true },
};

ParameterizedTestParameters(server_answer, rcodes)
{
	return cr_make_param_array(struct rc_case, rc_cases, ARRAY_SIZE(rc_cases));
}

ParameterizedTest(const struct rc_case *tc, server_answer, rcodes)
{
	struct zone *z = demo();
	uint8_t q[512], out[DNS_MSG_MAX];
	struct dns_query dq;
	struct dns_hdr h;
	size_t ql = mkquery(q, tc->name, tc->qtype, tc->qclass, tc->flags, tc->opt, tc->version);
	size_t len;

	cr_assert_eq(server_answer(z, true, q, ql, &dq, out, sizeof(out), &len), tc->verdict,
		     "%s/%u: verdict with a resolver", tc->name, tc->qtype);
	cr_assert_eq(server_answer(z, false, q, ql, &dq, out, sizeof(out), &len),
		     tc->rcode < 0 ? SERVER_DROP : SERVER_REPLY);
	if (tc->rcode < 0) {
		zone_free(z);
		return;
	}
	cr_assert_eq(dns_msg_validate(out, len), 0, "%s/%u: reply parses", tc->name, tc->qtype);
	dns_hdr_decode(out, len, &h);
	cr_assert_eq(h.id, 0xbeef);
	cr_assert(h.flags & DNS_FLAG_QR);
	cr_assert_eq(h.flags & DNS_FLAG_RCODE_MASK, tc->rcode, "%s/%u: rcode %u", tc->name,
		     tc->qtype, h.flags & DNS_FLAG_RCODE_MASK);
	cr_assert_eq(!!(h.flags & DNS_FLAG_AA), tc->aa);
	cr_assert_eq(h.flags & DNS_FLAG_RD, tc->flags & DNS_FLAG_RD, "RD copied");
	cr_assert_eq(h.flags & DNS_FLAG_OPCODE_MASK, tc->flags & DNS_FLAG_OPCODE_MASK);
	cr_assert_not(h.flags & DNS_FLAG_RA, "RA 0: no recursion without a resolver");
	if (tc->version) {	/* BADVERS: extended RCODE 16 in the OPT's TTL */
		cr_assert_eq(h.count[DNS_SEC_ADDITIONAL], 1);
		cr_assert_eq(out[len - DNS_OPT_LEN + 5], DNS_RCODE_BADVERS >> 4);
		cr_assert_eq(out[len - DNS_OPT_LEN + 6], 0, "our version 0");
	}
	zone_free(z);
}

/* The zone's bytes, as the fast path lays them out: header, question, sections, OPT. */
Test(server_answer, same_layout_as_the_fast_path)
{
	struct zone *z = demo();
	uint8_t q[512], out[DNS_MSG_MAX], sec[4096];
	struct zone_reply r;
	struct dns_query dq;
	size_t ql = mkquery(q, "WeB.default.SVC.cluster.local", SRV, 1, DNS_FLAG_CD, true, 0);
	size_t len;

	cr_assert_eq(server_answer(z, false, q, ql, &dq, out, sizeof(out), &len), SERVER_REPLY);
	cr_assert_eq(zone_answer_buf(z, dq.q.name, dq.q.name_len, SRV, &r, sec, sizeof(sec)), 0);
	cr_assert_eq(memcmp(out + 12, q + 12, ql - 12 - DNS_OPT_LEN), 0, "question as sent");
	cr_assert_eq(memcmp(out + ql - DNS_OPT_LEN, sec, r.len), 0, "the zone's sections");
	cr_assert_eq(len, ql + r.len);
	cr_assert_eq(out[3] & 0x10, 0x10, "CD copied");
	cr_assert_eq(out[len - DNS_OPT_LEN + 3] << 8 | out[len - DNS_OPT_LEN + 4],
		     XDPDNS_EDNS_SIZE);
	cr_assert_eq(out[len - DNS_OPT_LEN + 7], 0x80, "DO copied");
	zone_free(z);
}

Test(server_answer, any_gives_one_rrset)
{
	struct zone *z = demo();
	uint8_t q[512], out[DNS_MSG_MAX];
	struct dns_query dq;
	struct dns_hdr h;
	size_t ql = mkquery(q, "web.default.svc.cluster.local", DNS_TYPE_ANY, 1, 0, false, 0);
	size_t len;

	cr_assert_eq(server_answer(z, false, q, ql, &dq, out, sizeof(out), &len), SERVER_REPLY);
	dns_hdr_decode(out, len, &h);
	cr_assert_eq(h.flags & DNS_FLAG_RCODE_MASK, 0);
	cr_assert_eq(h.count[DNS_SEC_ANSWER], 1);
	cr_assert_eq(out[ql + 2] << 8 | out[ql + 3], A, "the A RRset");
	zone_free(z);
}

/* ---- ExternalName chasing (answer.h) ---- */

static void bytes_eq(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	for (size_t i = 0; i < got_len && i < want_len; i++)
		cr_assert_eq(got[i], want[i], "byte %zu: got %02x, want %02x", i, got[i], want[i]);
	cr_assert_eq(got_len, want_len, "length");
}

/* The types of each section: "CNAME A/SOA/OPT"; the message must parse. */
static const char *shape(const uint8_t *m, size_t len)
{
	static char buf[512];
	struct dns_question dq;
	struct dns_parser p;
	struct dns_rr rr;
	size_t o = 0;
	int sec = DNS_SEC_ANSWER, err;

	cr_assert_eq(dns_msg_validate(m, len), 0, "a well-formed message");
	cr_assert_eq(dns_parser_init(&p, m, len), 0);
	cr_assert_eq(dns_parser_question(&p, &dq), 0);
	buf[0] = 0;
	while ((err = dns_parser_rr(&p, &rr)) == 0) {
		const char *t = dns_type_name(rr.type);

		for (; sec < (int)rr.section; sec++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "/");
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
				      o && buf[o - 1] != '/' ? " " : "", t ? t : "?");
	}
	for (; sec < DNS_SEC_ADDITIONAL; sec++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "/");
	return buf;
}

static size_t wname(uint8_t *buf, const char *text)
{
	int l = dns_name_from_text(buf, DNS_NAME_MAX, text);

	cr_assert_gt(l, 0);
	return (size_t)l;
}

/* An ExternalName pointing at a service of the zone: the CNAME, then the service's A from
 * the zone, its owner a pointer to the CNAME's target, which points into the question. */
Test(server_chase, in_zone_target_answered_from_the_zone)
{
	static const uint8_t web[] = { 3, 'w', 'e', 'b', 0xc0, 12 + 6 };	/* web.<qname+6> */
	static const uint8_t ip[4] = { 10, 96, 1, 1 };
	struct dns_hdr h = { .id = 0xbeef, .flags = DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD,
			     .count = { 1, 2, 0, 0 } };
	struct zone *z = demo();
	uint8_t q[512], out[DNS_MSG_MAX], exp[512];
	size_t ql = mkquery(q, "AlIaS.default.svc.cluster.local", A, 1, DNS_FLAG_RD, false, 0);
	struct dns_query dq;
	struct dns_writer w;
	size_t len;

	dns_writer_init(&w, exp, sizeof(exp));
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_bytes(&w, q + 12, ql - 12), 0);
	cr_assert_eq(dns_write_rr(&w, DNS_OWNER_QNAME, CNAME, 1, 5, web, sizeof(web)), 0);
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_AT(w.len - sizeof(web)), 5, ip), 0);
	for (int res = 0; res < 2; res++) {
		cr_assert_eq(server_answer(z, res, q, ql, &dq, out, sizeof(out), &len),
			     SERVER_REPLY, "the zone answers, resolver or not");
		bytes_eq(out, len, exp, w.len);
	}
	zone_free(z);
}

struct chase_case {
	char name[64];
	uint16_t qtype;
	bool opt;
	enum server_verdict verdict;	/* with a resolver */
	int rcode;
	char shape[64];			/* without a resolver */
};

static const struct chase_case chase_cases[] = {
	/* two hops inside the zone, then the A */
	{ "hop.default.svc.cluster.local", A, false, SERVER_REPLY, 0, "CNAME CNAME A//" },
	/* RFC 6604: the target's NXDOMAIN, CNAME in the answer, SOA in the authority */
	{ "gone.default.svc.cluster.local", A, false, SERVER_REPLY, 3, "CNAME/SOA/" },
	/* k8s-dns-spec 4 #17: NODATA of the target keeps the CNAME */
	{ "alias.default.svc.cluster.local", AAAA, true, SERVER_REPLY, 0, "CNAME/SOA/OPT" },
	/* a loop: each CNAME once, NOERROR, the chain so far */
	{ "loop-a.default.svc.cluster.local", A, false, SERVER_REPLY, 0, "CNAME CNAME//" },
	/* RFC 8482 / RFC 1034 4.3.2: ANY and CNAME match the CNAME, nothing is chased */
	{ "ext.default.svc.cluster.local", DNS_TYPE_ANY, false, SERVER_REPLY, 0, "CNAME//" },
	{ "ext.default.svc.cluster.local", CNAME, true, SERVER_REPLY, 0, "CNAME//OPT" },
	/* outside the zone: the resolver's job; without one, the CNAME alone */
	{ "ext.default.svc.cluster.local", A, true, SERVER_CHASE, 0, "CNAME//OPT" },
	{ "ext.default.svc.cluster.local", TXT, false, SERVER_CHASE, 0, "CNAME//" },
	{ "far.default.svc.cluster.local", A, false, SERVER_CHASE, 0, "CNAME CNAME//" },
};

ParameterizedTestParameters(server_chase, zone)
{
	return cr_make_param_array(struct chase_case, chase_cases, ARRAY_SIZE(chase_cases));
}

ParameterizedTest(const struct chase_case *tc, server_chase, zone)
{
	struct zone *z = demo();
	uint8_t q[512], out[DNS_MSG_MAX];
	size_t ql = mkquery(q, tc->name, tc->qtype, 1, 0, tc->opt, 0), len;
	struct dns_query dq;
	struct dns_hdr h;

	cr_assert_eq(server_answer(z, true, q, ql, &dq, out, sizeof(out), &len), tc->verdict,
		     "%s/%u: verdict with a resolver", tc->name, tc->qtype);
	cr_assert_eq(server_answer(z, false, q, ql, &dq, out, sizeof(out), &len), SERVER_REPLY);
	cr_assert_str_eq(shape(out, len), tc->shape, "%s/%u", tc->name, tc->qtype);
	dns_hdr_decode(out, len, &h);
	cr_assert_eq(h.flags & DNS_FLAG_RCODE_MASK, tc->rcode, "%s/%u: rcode", tc->name,
		     tc->qtype);
	cr_assert(h.flags & DNS_FLAG_AA, "AA: the question's name is ours");
	cr_assert_not(h.flags & DNS_FLAG_RA, "no recursion");
	cr_assert_eq(memcmp(out + 12, q + 12, dq.q_end - 12), 0, "question as sent");
	zone_free(z);
}

/* The resolver's side: the query for the target, and the answer built from its response,
 * whose compression pointers are relative to its own message. */
Test(server_chase, query_and_finish)
{
	static const uint8_t ip[4] = { 192, 0, 2, 7 };
	uint8_t q[512], part[DNS_MSG_MAX], sub[512], up[512], out[DNS_MSG_MAX], exp[512];
	uint8_t db[DNS_NAME_MAX], db2[] = { 3, 'd', 'b', '2', 0xc0, 0 };
	size_t ql = mkquery(q, "ExT.dEfAuLt.svc.cluster.local", A, 1, DNS_FLAG_RD | DNS_FLAG_CD,
			    true, 0);
	size_t dbl = wname(db, "db.example.org"), pl, sl, ul, len, at, at2;
	struct zone *z = demo();
	struct dns_question dsq;
	struct dns_parser p;
	struct dns_query dq;
	struct dns_writer w;
	struct dns_hdr h;

	cr_assert_eq(server_answer(z, true, q, ql, &dq, part, sizeof(part), &pl), SERVER_CHASE);
	sl = server_chase_query(&dq, part, pl, sub, sizeof(sub));
	cr_assert_gt(sl, 0);
	cr_assert_eq(dns_query_parse(sub, sl, &(struct dns_query){ 0 }), 0, "a valid query");
	cr_assert_eq(dns_parser_init(&p, sub, sl), 0);
	cr_assert_eq(dns_parser_question(&p, &dsq), 0);
	cr_assert(dns_name_eq(dsq.name, dsq.name_len, db, dbl), "asks for the target");
	cr_assert_eq(dsq.qtype, A);
	cr_assert_eq(p.hdr.flags, DNS_FLAG_RD | DNS_FLAG_CD, "a query, RD, CD copied");
	cr_assert_eq(p.hdr.count[DNS_SEC_ADDITIONAL], 1, "an OPT, as the client had");
	cr_assert_eq(sub[sl - DNS_OPT_LEN + 7], 0x80, "DO copied");

	/* the upstream's: db CNAME db2 (rdata "db2" + pointer to its question's example.org),
	 * db2 A (owner: pointer to that rdata), an OPT */
	dns_writer_init(&w, up, sizeof(up));
	h = (struct dns_hdr){ .id = 0xbeef, .flags = DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA,
			      .count = { 1, 2, 0, 1 } };
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_question(&w, db, dbl, A, 1), 0);
	cr_assert_eq(dns_write_name_rr(&w, DNS_OWNER_QNAME, CNAME, 300,
				       (const uint8_t[]){ 3, 'd', 'b', '2', 0xc0, 12 + 3 }, 6), 0);
	at = w.len - 6;
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_AT(at), 42, ip), 0);
	cr_assert_eq(dns_write_opt(&w, 1232, 0, 0x8000), 0);
	ul = w.len;

	len = server_chase_finish(&dq, part, pl, up, ul, out, sizeof(out));
	cr_assert_gt(len, 0);
	/* ours: the CNAME to db.example.org (whole), db CNAME db2.<that>, db2 A, our OPT */
	dns_writer_init(&w, exp, sizeof(exp));
	h = (struct dns_hdr){ .id = 0xbeef, .flags = DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD |
						     DNS_FLAG_RA | DNS_FLAG_CD,
			      .count = { 1, 3, 0, 1 } };
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_bytes(&w, q + 12, dq.q_end - 12), 0, "the client's question");
	cr_assert_eq(dns_write_name_rr(&w, DNS_OWNER_QNAME, CNAME, 5, db, dbl), 0);
	at = w.len - dbl;
	at2 = w.len + 2 + DNS_RR_FIXED_LEN;
	db2[5] = (uint8_t)(at + 3);	/* db2.<example.org of our CNAME's target> */
	cr_assert_eq(dns_write_name_rr(&w, DNS_OWNER_AT(at), CNAME, 300, db2, sizeof(db2)), 0);
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_AT(at2), 42, ip), 0);
	cr_assert_eq(dns_write_opt(&w, XDPDNS_EDNS_SIZE, 0, 0x8000), 0);
	bytes_eq(out, len, exp, w.len);

	/* failures: SERVFAIL (0) */
	cr_assert_eq(server_chase_finish(&dq, part, pl, NULL, 0, out, sizeof(out)), 0, "failed");
	up[3] = (uint8_t)((up[3] & 0xf0) | DNS_RCODE_SERVFAIL);
	cr_assert_eq(server_chase_finish(&dq, part, pl, up, ul, out, sizeof(out)), 0, "SERVFAIL");
	up[3] &= 0xf0;
	up[12 + 1] = 'x';	/* another question */
	cr_assert_eq(server_chase_finish(&dq, part, pl, up, ul, out, sizeof(out)), 0, "question");
	up[12 + 1] = 'd';
	cr_assert_eq(server_chase_finish(&dq, part, pl, up, ul - 1, out, sizeof(out)), 0,
		     "malformed");
	/* too small for everything: whole records, TC */
	len = server_chase_finish(&dq, part, pl, up, ul, out, at2);
	cr_assert_gt(len, 0);
	cr_assert_str_eq(shape(out, len), "CNAME//OPT");
	cr_assert(out[2] & 0x02, "TC");
	zone_free(z);
}

/* ---- resolver plumbing ---- */

#define FAKE_MAX 16

struct fake {
	server_done_fn done[FAKE_MAX];	/* async answers waiting for process() */
	void *arg[FAKE_MAX];
	uint8_t msg[FAKE_MAX][600];
	size_t len[FAKE_MAX];
	unsigned int n;
	int pipe[2];			/* the fd the worker polls */
	atomic_uint cancels;		/* cancel() calls that found a pending answer */
};

static struct fake fakes[SERVER_MAX_WORKERS];

/* The query as a response with n A records, RA set. */
static size_t fake_response(const uint8_t *q, size_t ql, unsigned int n, uint8_t *out,
			    size_t cap)
{
	uint8_t a[4] = { 192, 0, 2, 0 };
	struct dns_query dq;
	struct dns_writer w;
	struct dns_hdr h;

	cr_assert_eq(dns_query_parse(q, ql, &dq), 0, "the server hands over valid queries");
	h = dq.hdr;
	h.flags |= DNS_FLAG_QR | DNS_FLAG_RA;
	h.count[DNS_SEC_ANSWER] = (uint16_t)n;
	h.count[DNS_SEC_ADDITIONAL] = 0;
	dns_writer_init(&w, out, cap);
	cr_assert_eq(dns_write_bytes(&w, q, dq.q_end), 0);
	for (unsigned int i = 0; i < n; i++, a[3]++)
		cr_assert_eq(dns_write_a(&w, DNS_OWNER_QNAME, 60, a), 0);
	dns_hdr_encode(out, &h);
	return w.len;
}

/* NXDOMAIN for nx.<zone>: the SOA of <zone>, owner and names pointing into the question. */
static size_t fake_nxdomain(const uint8_t *q, size_t ql, uint8_t *out, size_t cap)
{
	static const uint8_t mname[] = { 2, 'n', 's', 0xc0, 15 };
	static const uint8_t rname[] = { 10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r',
					 0xc0, 15 };
	struct dns_soa soa = { mname, sizeof(mname), rname, sizeof(rname), 1, 2, 3, 4, 60 };
	struct dns_query dq;
	struct dns_writer w;
	struct dns_hdr h;

	cr_assert_eq(dns_query_parse(q, ql, &dq), 0);
	h = dq.hdr;
	h.flags |= DNS_FLAG_QR | DNS_FLAG_RA | DNS_RCODE_NXDOMAIN;
	h.count[DNS_SEC_AUTHORITY] = 1;
	h.count[DNS_SEC_ADDITIONAL] = 0;
	dns_writer_init(&w, out, cap);
	cr_assert_eq(dns_write_bytes(&w, q, dq.q_end), 0);
	cr_assert_eq(dns_write_soa(&w, DNS_OWNER_AT(15), 57, &soa), 0);	/* <zone> at 12+3 */
	dns_hdr_encode(out, &h);
	return w.len;
}

static int fake_resolve(void *ctx, const uint8_t *q, size_t len, server_done_fn done, void *arg)
{
	struct fake *f = ctx;
	const char *label = (const char *)q + DNS_HDR_LEN + 1;
	uint8_t out[4096];

	if (!strncmp(label, "err", 3))
		return -EIO;
	if (!strncmp(label, "fail", 4)) {
		done(arg, NULL, 0);
		return 0;
	}
	/* "async...": answered from process(); "hold...": too, but only once an async one
	 * wakes it up */
	if (!strncmp(label, "async", 5) || !strncmp(label, "hold", 4)) {
		cr_assert_lt(f->n, FAKE_MAX);
		f->len[f->n] = fake_response(q, len, 1, f->msg[f->n], sizeof(f->msg[0]));
		f->done[f->n] = done;
		f->arg[f->n++] = arg;
		if (*label == 'a')
			cr_assert_eq(write(f->pipe[1], "x", 1), 1);
		return 0;
	}
	if (q[DNS_HDR_LEN] == 2 && !strncmp(label, "nx", 2)) {
		done(arg, out, fake_nxdomain(q, len, out, sizeof(out)));
		return 0;
	}
	/* "many...": 100 records, more than any UDP client takes; else 2: a cache hit */
	done(arg, out, fake_response(q, len, strncmp(label, "many", 4) ? 2 : 100, out,
				     sizeof(out)));
	return 0;
}

static void fake_cancel(void *ctx, void *arg)
{
	struct fake *f = ctx;

	for (unsigned int i = 0; i < f->n; i++) {
		if (f->arg[i] == arg && f->done[i]) {
			f->done[i] = NULL;
			atomic_fetch_add(&f->cancels, 1);
		}
	}
}

static int fake_fd(void *ctx)
{
	return ((struct fake *)ctx)->pipe[0];
}

static int fake_timeout(void *ctx)
{
	(void)ctx;
	return -1;
}

static void fake_process(void *ctx)
{
	struct fake *f = ctx;
	bool woken = false;
	char c[16];

	while (read(f->pipe[0], c, sizeof(c)) > 0)
		woken = true;
	while (woken && f->n) {	/* every answer waits for an "async" one's wake-up */
		f->n--;
		if (f->done[f->n])
			f->done[f->n](f->arg[f->n], f->msg[f->n], f->len[f->n]);
	}
}

static int fake_make(void *arg, unsigned int worker, struct server_resolver *out)
{
	struct fake *f = &fakes[worker];

	(void)arg;
	cr_assert_eq(pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC), 0);
	*out = (struct server_resolver){ f, fake_resolve, fake_cancel, fake_fd, fake_timeout,
					 fake_process };
	return 0;
}

static void fake_free(void *arg, unsigned int worker, struct server_resolver *r)
{
	(void)arg;
	(void)r;
	close(fakes[worker].pipe[0]);
	close(fakes[worker].pipe[1]);
}

static struct server *srv;
static struct zone *srv_zone;
static uint16_t srv_port;

/* Nothing is bound to 127.0.0.1:port over UDP or TCP (binding without SO_REUSEPORT). */
static bool port_free(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr = { htonl(INADDR_LOOPBACK) } };
	bool ok = true;

	for (int type = SOCK_DGRAM, i = 0; i < 2; i++, type = SOCK_STREAM) {
		int fd = socket(AF_INET, type, 0);

		cr_assert_geq(fd, 0);
		ok = ok && !bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
	}
	return ok;
}

static void srv_start(void)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };

	srv_zone = demo();
	/* Each test is a process, several run at once, and the server binds with SO_REUSEPORT,
	 * which would share a port with another test's server: a port per process, free now. */
	srand((unsigned int)getpid());
	for (int i = 0; i < 20 && !srv; i++) {
		struct server_config c = { .v4 = &lo, .n_v4 = 1, .workers = 1, .zone = srv_zone,
					   .make_resolver = fake_make,
					   .free_resolver = fake_free };

		srv_port = (uint16_t)(20000 + rand() % 40000);
		if (!port_free(srv_port))
			continue;
		c.port = srv_port;
		srv = server_new(&c);
	}
	cr_assert_not_null(srv, "server_new: %s", strerror(errno));
}

static void srv_stop(void)
{
	server_free(srv);
	zone_free(srv_zone);
}

static struct sockaddr_in srv_addr(void)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(srv_port),
				     .sin_addr = { htonl(INADDR_LOOPBACK) } };
}

static ssize_t udp_ask(const uint8_t *q, size_t ql, uint8_t *out, size_t cap)
{
	struct sockaddr_in sa = srv_addr();
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = -1;

	cr_assert_geq(fd, 0);
	cr_assert_eq(sendto(fd, q, ql, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)ql);
	if (poll(&p, 1, 5000) == 1)
		n = recv(fd, out, cap, 0);
	close(fd);
	return n;
}

static uint16_t rcode_of(const uint8_t *m)
{
	return m[3] & 0xf;
}

Test(server_resolver, udp, .init = srv_start, .fini = srv_stop)
{
	uint8_t q[512], r[4096];
	struct dns_hdr h;
	size_t ql;
	ssize_t n;

	ql = mkquery(q, "example.org", A, 1, DNS_FLAG_RD, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0, "a cache hit is answered");
	dns_hdr_decode(r, (size_t)n, &h);
	cr_assert_eq(h.count[DNS_SEC_ANSWER], 2);
	cr_assert(h.flags & DNS_FLAG_RA, "the resolver's flags");

	ql = mkquery(q, "many.example.org", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_leq(n, 512, "cut to 512 without EDNS");
	dns_hdr_decode(r, (size_t)n, &h);
	cr_assert(h.flags & DNS_FLAG_TC);

	ql = mkquery(q, "async.example.org", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0, "answered from process()");
	cr_assert_eq(rcode_of(r), 0);

	ql = mkquery(q, "fail.example.org", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(rcode_of(r), DNS_RCODE_SERVFAIL);
	cr_assert_eq(memcmp(r + 12, q + 12, ql - 12), 0, "the question kept");

	ql = mkquery(q, "err.example.org", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(rcode_of(r), DNS_RCODE_SERVFAIL);

	ql = mkquery(q, "web.default.svc.cluster.local", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(r[2] & 0x04, 0x04, "the zone answers itself (AA)");
	cr_assert_not(r[3] & 0x80, "RA 0 on zone answers, as the fast path sends them");
}

Test(server_resolver, tcp_pipelined, .init = srv_start, .fini = srv_stop)
{
	static const char *const names[] = { "example.org", "async.example.org", "many.x.org",
					     "fail.example.org", "web.default.svc.cluster.local" };
	struct sockaddr_in sa = srv_addr();
	uint8_t buf[8192], r[65536];
	size_t off = 0, got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		size_t ql = mkquery(buf + off + 2, names[i], A, 1, 0, false, 0);

		buf[off + 3] = (uint8_t)i;	/* the low byte of the ID says which */
		buf[off] = 0;
		buf[off + 1] = (uint8_t)ql;
		off += 2 + ql;
	}
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(send(fd, buf, off, 0), (ssize_t)off);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		uint8_t lb[2];
		size_t len;
		struct dns_hdr h;

		cr_assert_eq(recv(fd, lb, 2, MSG_WAITALL), 2, "reply %zu", i);
		len = (size_t)lb[0] << 8 | lb[1];
		cr_assert_eq(recv(fd, r, len, MSG_WAITALL), (ssize_t)len);
		dns_hdr_decode(r, len, &h);
		got |= 1u << (h.id & 0xff);
		if ((h.id & 0xff) == 2)
			cr_assert_eq(h.count[DNS_SEC_ANSWER], 100, "TCP: not truncated");
		if ((h.id & 0xff) == 3)
			cr_assert_eq(rcode_of(r), DNS_RCODE_SERVFAIL);
	}
	cr_assert_eq(got, (1u << ARRAY_SIZE(names)) - 1, "every query answered once");
	close(fd);
}

/* ---- ExternalName chasing through the resolver ---- */

Test(server_chase, udp, .init = srv_start, .fini = srv_stop)
{
	static const uint8_t a0[4] = { 192, 0, 2, 0 }, a1[4] = { 192, 0, 2, 1 };
	struct dns_hdr h = { .id = 0xbeef,
			     .flags = DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD | DNS_FLAG_RA,
			     .count = { 1, 3, 0, 0 } };
	uint8_t q[512], r[4096], exp[512], db[DNS_NAME_MAX], zn[DNS_NAME_MAX];
	size_t dbl = wname(db, "db.example.org"), ql, at;
	struct dns_question dq;
	struct dns_parser p;
	struct dns_writer w;
	struct dns_rr rr;
	ssize_t n;

	/* A of an ExternalName, 0x20 case: our CNAME then the fake upstream's two A records,
	 * their owner (a pointer to ITS question) re-encoded as a pointer to our CNAME's target */
	ql = mkquery(q, "eXt.DEFAULT.svc.cluster.local", A, 1, DNS_FLAG_RD, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	dns_writer_init(&w, exp, sizeof(exp));
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_bytes(&w, q + 12, ql - 12), 0);
	cr_assert_eq(dns_write_name_rr(&w, DNS_OWNER_QNAME, CNAME, 5, db, dbl), 0);
	at = w.len - dbl;
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_AT(at), 60, a0), 0);
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_AT(at), 60, a1), 0);
	bytes_eq(r, (size_t)n, exp, w.len);

	/* the target is NXDOMAIN: rcode 3, the CNAME, the upstream's SOA decoded and re-encoded */
	ql = mkquery(q, "extnx.default.svc.cluster.local", A, 1, DNS_FLAG_RD, true, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(rcode_of(r), DNS_RCODE_NXDOMAIN);
	cr_assert_str_eq(shape(r, (size_t)n), "CNAME/SOA/OPT");
	cr_assert_eq(dns_parser_init(&p, r, (size_t)n), 0);
	cr_assert_eq(dns_parser_question(&p, &dq), 0);
	cr_assert_eq(dns_parser_rr(&p, &rr), 0);
	cr_assert_eq(dns_parser_rr(&p, &rr), 0);
	cr_assert(dns_name_eq(rr.name, rr.name_len, zn, wname(zn, "example.org")), "SOA owner");
	cr_assert_eq(rr.ttl, 57, "the upstream's TTL");
	cr_assert_eq(dns_name_read(r, (size_t)n, rr.rdata_off, db, &dbl, &at), 0);
	cr_assert(dns_name_eq(db, dbl, zn, wname(zn, "ns.example.org")), "SOA MNAME");
	cr_assert(r[2] & 0x04 && r[3] & 0x80, "AA and RA");

	/* the resolver fails, or refuses the query: SERVFAIL, the question as sent */
	ql = mkquery(q, "ExtFail.default.svc.cluster.local", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_eq(rcode_of(r), DNS_RCODE_SERVFAIL);
	cr_assert_eq((size_t)n, ql, "header and question only");
	cr_assert_eq(memcmp(r + 12, q + 12, ql - 12), 0, "the question kept");

	/* answered later, from process() */
	ql = mkquery(q, "extasync.default.svc.cluster.local", AAAA, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_str_eq(shape(r, (size_t)n), "CNAME A//", "what the fake gives");

	/* the zone's own targets need no resolver: RA 0 */
	ql = mkquery(q, "alias.default.svc.cluster.local", A, 1, 0, false, 0);
	n = udp_ask(q, ql, r, sizeof(r));
	cr_assert_gt(n, 0);
	cr_assert_str_eq(shape(r, (size_t)n), "CNAME A//");
	cr_assert_not(r[3] & 0x80, "RA 0");
}

/* Two UDP round trips: whatever the worker had to do before is done. */
static void srv_sync(void)
{
	uint8_t q[512], r[512];
	size_t ql = mkquery(q, "web.default.svc.cluster.local", A, 1, 0, false, 0);

	for (int i = 0; i < 2; i++)
		cr_assert_gt(udp_ask(q, ql, r, sizeof(r)), 0);
}

Test(server_chase, tcp_and_cancel, .init = srv_start, .fini = srv_stop)
{
	struct sockaddr_in sa = srv_addr();
	struct linger lg = { 1, 0 };
	uint8_t buf[512], r[4096], lb[2];
	size_t ql, len;
	int fd;

	/* over TCP, answered later */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ql = mkquery(buf + 2, "extasync.default.svc.cluster.local", A, 1, 0, false, 0);
	buf[0] = 0;
	buf[1] = (uint8_t)ql;
	cr_assert_eq(send(fd, buf, ql + 2, 0), (ssize_t)ql + 2);
	cr_assert_eq(recv(fd, lb, 2, MSG_WAITALL), 2);
	len = (size_t)lb[0] << 8 | lb[1];
	cr_assert_eq(recv(fd, r, len, MSG_WAITALL), (ssize_t)len);
	cr_assert_str_eq(shape(r, len), "CNAME A//");
	close(fd);

	/* a connection reset while its chase waits: the resolver is told to forget it */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ql = mkquery(buf + 2, "exthold.default.svc.cluster.local", A, 1, 0, false, 0);
	buf[1] = (uint8_t)ql;
	cr_assert_eq(send(fd, buf, ql + 2, 0), (ssize_t)ql + 2);
	srv_sync();
	cr_assert_eq(atomic_load(&fakes[0].cancels), 0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fd);	/* RST */
	srv_sync();
	cr_assert_eq(atomic_load(&fakes[0].cancels), 1, "cancel() for the pending chase");
	/* wake the held answer up: cancelled, it is not delivered (no use after free) */
	ql = mkquery(buf, "extasync.default.svc.cluster.local", A, 1, 0, false, 0);
	cr_assert_gt(udp_ask(buf, ql, r, sizeof(r)), 0);
}
