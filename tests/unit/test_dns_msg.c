// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * dns_query_parse(), dns_query_udp_limit(), dns_write_opt() and dns_msg_truncate(): the
 * strict reading of queries (which rcode each malformation gets) and the fitting of a
 * response into the client's UDP size. Messages are built with our writer byte by byte;
 * truncated responses are checked with libldns too, an independent parser.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ldns/ldns.h>

#include "userspace/dns/dns.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t qname[] = "\x03web\x07" "default\x03svc\x07" "cluster\x05local";
#define QNAME_LEN sizeof(qname)	/* with the root label */

/* Header + question (+ the extra bytes given), counts as given. */
static size_t build(uint8_t *buf, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
		    uint16_t ar, const void *extra, size_t extra_len)
{
	struct dns_hdr h = { .id = 0x1234, .flags = flags, .count = { qd, an, ns, ar } };
	struct dns_writer w;

	dns_writer_init(&w, buf, 4096);
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	if (qd)
		cr_assert_eq(dns_write_question(&w, qname, QNAME_LEN, DNS_TYPE_A, DNS_CLASS_IN), 0);
	cr_assert_eq(dns_write_bytes(&w, extra, extra_len), 0);
	return w.len;
}

/* OPT: root owner, size 1232, ext-rcode 0, version v, DO, then rdata. */
#define OPT(v, rdlen) 0, 0, 41, 0x04, 0xd0, 0, v, 0x80, 0, 0, rdlen

Test(dns_query, good_queries)
{
	static const uint8_t opt[] = { OPT(0, 0) };
	static const uint8_t opt_cookie[] = { OPT(0, 12), 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t m[4096];
	struct dns_query q;
	size_t len;

	len = build(m, DNS_FLAG_RD, 1, 0, 0, 0, NULL, 0);
	cr_assert_eq(dns_query_parse(m, len, &q), 0);
	cr_assert_not(q.has_opt);
	cr_assert_eq(q.q.qtype, DNS_TYPE_A);
	cr_assert_eq(q.q.name_len, QNAME_LEN);
	cr_assert_eq(q.q_end, len);
	cr_assert_eq(q.hdr.id, 0x1234);
	cr_assert_eq(dns_query_udp_limit(&q, 1232), 512);

	len = build(m, 0, 1, 0, 0, 1, opt, sizeof(opt));
	cr_assert_eq(dns_query_parse(m, len, &q), 0);
	cr_assert(q.has_opt);
	cr_assert_eq(q.edns_size, 1232);
	cr_assert_eq(q.edns_version, 0);
	cr_assert_eq(q.edns_flags, DNS_EDNS_DO);
	cr_assert_eq(q.q_end, len - sizeof(opt));

	len = build(m, 0, 1, 0, 0, 1, opt_cookie, sizeof(opt_cookie));
	cr_assert_eq(dns_query_parse(m, len, &q), 0, "an option is fine");

	/* version 1 parses: the caller answers BADVERS */
	static const uint8_t opt_v1[] = { OPT(1, 0) };
	len = build(m, 0, 1, 0, 0, 1, opt_v1, sizeof(opt_v1));
	cr_assert_eq(dns_query_parse(m, len, &q), 0);
	cr_assert_eq(q.edns_version, 1);
}

Test(dns_query, udp_limit)
{
	struct dns_query q = { .has_opt = true };

	q.edns_size = 100;
	cr_assert_eq(dns_query_udp_limit(&q, 1232), 512, "at least 512 (RFC 6891 6.2.5)");
	q.edns_size = 4096;
	cr_assert_eq(dns_query_udp_limit(&q, 1232), 1232, "capped at ours");
	q.edns_size = 800;
	cr_assert_eq(dns_query_udp_limit(&q, 1232), 800);
	q.has_opt = false;
	cr_assert_eq(dns_query_udp_limit(&q, 1232), 512);
}

struct bad_case {
	char name[48];		/* an array: params are copied to the test's process */
	uint16_t flags, qd, an, ns, ar;
	uint8_t extra[64];
	size_t extra_len;
	int want;
};

static const struct bad_case bad_cases[] = {
	{ "response (QR=1)", DNS_FLAG_QR, 1, 0, 0, 0, {}, 0, -ENOMSG },
	{ "opcode NOTIFY", 4 << 11, 1, 0, 0, 0, {}, 0, -EOPNOTSUPP },
	{ "opcode UPDATE", 5 << 11, 1, 0, 0, 0, {}, 0, -EOPNOTSUPP },
	{ "opcode 15", 15 << 11, 1, 0, 0, 0, {}, 0, -EOPNOTSUPP },
	{ "QDCOUNT 0", 0, 0, 0, 0, 0, {}, 0, -EBADMSG },
	{ "QDCOUNT 2 with one question", 0, 2, 0, 0, 0, {}, 0, -EBADMSG },
	{ "ANCOUNT 1", 0, 1, 1, 0, 0, { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4 }, 15,
	  -EBADMSG },
	{ "NSCOUNT 1", 0, 1, 0, 1, 0, { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4 }, 15,
	  -EBADMSG },
	{ "trailing byte", 0, 1, 0, 0, 0, { 0 }, 1, -EBADMSG },
	{ "ARCOUNT 1, nothing there", 0, 1, 0, 0, 1, {}, 0, -EBADMSG },
	{ "two OPTs", 0, 1, 0, 0, 2, { OPT(0, 0), OPT(0, 0) }, 22, -EBADMSG },
	{ "OPT not owned by the root", 0, 1, 0, 0, 1,
	  { 1, 'a', 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 }, 13, -EBADMSG },
	{ "OPT option overruns its rdata", 0, 1, 0, 0, 1, { OPT(0, 4), 0, 10, 0, 8 }, 15,
	  -EBADMSG },
	{ "OPT option header cut", 0, 1, 0, 0, 1, { OPT(0, 2), 0, 10 }, 13, -EBADMSG },
	{ "OPT rdata past the end", 0, 1, 0, 0, 1, { OPT(0, 8), 0, 10, 0, 0 }, 15, -EBADMSG },
	{ "A record with 3 bytes of rdata", 0, 1, 0, 0, 1,
	  { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3 }, 14, -EBADMSG },
};

ParameterizedTestParameters(dns_query, malformed)
{
	return cr_make_param_array(struct bad_case, bad_cases, ARRAY_SIZE(bad_cases));
}

ParameterizedTest(const struct bad_case *tc, dns_query, malformed)
{
	uint8_t m[4096];
	struct dns_query q;
	size_t len;

	len = build(m, tc->flags, tc->qd, tc->an, tc->ns, tc->ar, tc->extra, tc->extra_len);
	cr_assert_eq(dns_query_parse(m, len, &q), tc->want, "%s", tc->name);
	if (tc->want != -ENOMSG)
		cr_assert_eq(q.hdr.id, 0x1234, "%s: header read", tc->name);
}

Test(dns_query, short_and_bad_names)
{
	uint8_t m[4096] = { 0x12, 0x34 };
	struct dns_query q;
	size_t len;

	for (size_t l = 0; l < DNS_HDR_LEN; l++)
		cr_assert_eq(dns_query_parse(m, l, &q), -ENOMSG, "%zu bytes", l);
	len = build(m, 0, 1, 0, 0, 0, NULL, 0);
	for (size_t l = DNS_HDR_LEN; l < len; l++)
		cr_assert_eq(dns_query_parse(m, l, &q), -EBADMSG, "question cut at %zu", l);
	/* a label of 64 bytes; the 0x40 label type; a pointer to itself */
	m[DNS_HDR_LEN] = 64;
	cr_assert_eq(dns_query_parse(m, len, &q), -EBADMSG);
	m[DNS_HDR_LEN] = 0x40;
	cr_assert_eq(dns_query_parse(m, len, &q), -EBADMSG);
	m[DNS_HDR_LEN] = 0xc0;
	m[DNS_HDR_LEN + 1] = DNS_HDR_LEN;
	cr_assert_eq(dns_query_parse(m, len, &q), -EBADMSG);
}

/* ---- truncation ---- */

/* A response: question, n A records (answer), one NS-less SOA-free authority RR count ns,
 * ar A records in additional, then an OPT when opt. */
static size_t response(uint8_t *buf, size_t cap, unsigned int an, unsigned int ns,
		       unsigned int ar, bool opt)
{
	struct dns_hdr h = { .id = 7, .flags = DNS_FLAG_QR | DNS_FLAG_AA,
			     .count = { 1, an, ns, ar + opt } };
	struct dns_writer w;
	uint8_t a[4] = { 10, 0, 0, 0 };

	dns_writer_init(&w, buf, cap);
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_question(&w, qname, QNAME_LEN, DNS_TYPE_A, DNS_CLASS_IN), 0);
	for (unsigned int i = 0; i < an; i++, a[3]++)
		cr_assert_eq(dns_write_a(&w, DNS_OWNER_QNAME, 5, a), 0);
	for (unsigned int i = 0; i < ns; i++)
		cr_assert_eq(dns_write_name_rr(&w, DNS_OWNER_QNAME, DNS_TYPE_NS, 5, qname,
					       QNAME_LEN), 0);
	for (unsigned int i = 0; i < ar; i++, a[3]++)
		cr_assert_eq(dns_write_a(&w, DNS_OWNER_QNAME, 5, a), 0);
	if (opt)
		cr_assert_eq(dns_write_opt(&w, 1232, 0, DNS_EDNS_DO), 0);
	return w.len;
}

#define RR_A_LEN	16	/* pointer owner 2 + fixed 10 + 4 */
#define Q_LEN		(DNS_HDR_LEN + QNAME_LEN + 4)

static ldns_pkt *ldns_parse(const uint8_t *m, size_t len)
{
	ldns_pkt *p = NULL;

	cr_assert_eq(ldns_wire2pkt(&p, m, len), LDNS_STATUS_OK, "ldns rejects the result");
	return p;
}

Test(dns_truncate, fits_unchanged)
{
	uint8_t m[4096], c[4096];
	size_t len = response(m, sizeof(m), 3, 0, 0, true);

	memcpy(c, m, len);
	cr_assert_eq(dns_msg_truncate(m, len, len), (int)len);
	cr_assert_eq(memcmp(m, c, len), 0);
}

Test(dns_truncate, whole_records_tc_opt_kept)
{
	uint8_t m[4096];
	size_t len = response(m, sizeof(m), 100, 0, 0, true);
	size_t limit = 512, want_n = (limit - Q_LEN - DNS_OPT_LEN) / RR_A_LEN;
	struct dns_hdr h;
	ldns_pkt *p;
	int n;

	cr_assert_gt(len, limit);
	n = dns_msg_truncate(m, len, limit);
	cr_assert_eq(n, (int)(Q_LEN + want_n * RR_A_LEN + DNS_OPT_LEN));
	cr_assert_eq(dns_msg_validate(m, (size_t)n), 0);
	dns_hdr_decode(m, (size_t)n, &h);
	cr_assert(h.flags & DNS_FLAG_TC);
	cr_assert(h.flags & DNS_FLAG_AA, "other flags kept");
	cr_assert_eq(h.count[DNS_SEC_ANSWER], want_n);
	cr_assert_eq(h.count[DNS_SEC_ADDITIONAL], 1);
	p = ldns_parse(m, (size_t)n);
	cr_assert_eq(ldns_pkt_edns_udp_size(p), 1232, "OPT kept");
	cr_assert(ldns_pkt_edns_do(p));
	cr_assert_eq(ldns_rr_list_rr_count(ldns_pkt_answer(p)), want_n);
	/* section order kept: the first records, in order */
	for (size_t i = 0; i < want_n; i++) {
		ldns_rdf *rd = ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), i), 0);

		cr_assert_eq(ldns_rdf_data(rd)[3], i);
	}
	ldns_pkt_free(p);
}

Test(dns_truncate, no_edns_512)
{
	uint8_t m[4096];
	size_t len = response(m, sizeof(m), 40, 0, 0, false);
	struct dns_hdr h;
	int n = dns_msg_truncate(m, len, DNS_UDP_MAX);

	cr_assert_leq(n, DNS_UDP_MAX);
	cr_assert_gt(n + RR_A_LEN, DNS_UDP_MAX, "as many as fit");
	dns_hdr_decode(m, (size_t)n, &h);
	cr_assert(h.flags & DNS_FLAG_TC);
	cr_assert_eq(h.count[DNS_SEC_ADDITIONAL], 0);
	cr_assert_eq(dns_msg_validate(m, (size_t)n), 0);
}

Test(dns_truncate, additional_only_no_tc)
{
	uint8_t m[4096];
	size_t len = response(m, sizeof(m), 2, 1, 50, true);
	struct dns_hdr h;
	int n = dns_msg_truncate(m, len, 512);

	cr_assert_gt(n, 0);
	dns_hdr_decode(m, (size_t)n, &h);
	cr_assert_not(h.flags & DNS_FLAG_TC, "RFC 2181 9: dropped additional data sets no TC");
	cr_assert_eq(h.count[DNS_SEC_ANSWER], 2);
	cr_assert_eq(h.count[DNS_SEC_AUTHORITY], 1);
	cr_assert_lt(h.count[DNS_SEC_ADDITIONAL], 51);
	cr_assert_eq(dns_msg_validate(m, (size_t)n), 0);
	ldns_pkt_free(ldns_parse(m, (size_t)n));
}

Test(dns_truncate, authority_cut_sets_tc)
{
	uint8_t m[4096];
	size_t len = response(m, sizeof(m), 20, 20, 0, false);
	struct dns_hdr h;
	int n = dns_msg_truncate(m, len, 512);

	cr_assert_gt(n, 0);
	dns_hdr_decode(m, (size_t)n, &h);
	cr_assert(h.flags & DNS_FLAG_TC);
	cr_assert_eq(h.count[DNS_SEC_ANSWER], 20);
	cr_assert_lt(h.count[DNS_SEC_AUTHORITY], 20);
	cr_assert_eq(dns_msg_validate(m, (size_t)n), 0);
}

Test(dns_truncate, errors)
{
	uint8_t m[4096];
	size_t len = response(m, sizeof(m), 100, 0, 0, true);

	cr_assert_eq(dns_msg_truncate(m, len, Q_LEN + DNS_OPT_LEN - 1), -EMSGSIZE);
	cr_assert_eq(dns_msg_truncate(m, len - 1, 512), -EBADMSG, "a cut record");
	cr_assert_eq(dns_msg_truncate(m, 5, 4), -EBADMSG);
}
