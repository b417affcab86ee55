// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * userspace/dns codec: names, writer, parser. Messages the writer builds are also parsed
 * with libldns, an independent implementation; the malformed table is hand-assembled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ldns/ldns.h>

#include "userspace/dns/dns.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int wire(uint8_t *out, const char *text)
{
	int len = dns_name_from_text(out, DNS_NAME_MAX, text);

	cr_assert_gt(len, 0, "dns_name_from_text(%s) = %d", text, len);
	return len;
}

/* ---- names ---- */

Test(dns_name, text_round_trip)
{
	static const char *const names[] = {
		"web.default.svc.cluster.local", "cluster.local", "_http._tcp.web.ns.svc.zone",
		"a", "10-0-0-1.default.pod.cluster.local", "x-y_z.Mixed.CASE",
	};
	uint8_t w[DNS_NAME_MAX];
	char text[DNS_NAME_TEXT_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int len = wire(w, names[i]);

		cr_assert_eq(dns_name_len(w, len), len, "%s", names[i]);
		cr_assert_eq(dns_name_to_text(text, sizeof(text), w, len), (int)strlen(names[i]));
		cr_assert_str_eq(text, names[i]);
	}
}

Test(dns_name, wire_layout)
{
	uint8_t w[DNS_NAME_MAX];

	cr_assert_eq(wire(w, "ab.c."), 6);
	cr_assert_eq(memcmp(w, "\x02" "ab" "\x01" "c" "\x00", 6), 0);
	cr_assert_eq(dns_name_from_text(w, sizeof(w), "."), 1);
	cr_assert_eq(w[0], 0);
	cr_assert_eq(dns_name_from_text(w, sizeof(w), ""), 1);
}

Test(dns_name, root_to_text)
{
	char text[8];
	uint8_t root = 0;

	cr_assert_eq(dns_name_to_text(text, sizeof(text), &root, 1), 1);
	cr_assert_str_eq(text, ".");
}

Test(dns_name, to_text_escapes)
{
	static const uint8_t w[] = { 3, 'a', '*', 0xff, 1, '.', 0 };
	char text[32];

	cr_assert_eq(dns_name_to_text(text, sizeof(text), w, sizeof(w)), 14);
	cr_assert_str_eq(text, "a\\042\\255.\\046");
	cr_assert_eq(dns_name_to_text(text, 4, w, sizeof(w)), -ENOSPC);
}

Test(dns_name, from_text_rejects)
{
	char label64[65], long_name[300];
	uint8_t w[DNS_NAME_MAX];

	memset(label64, 'a', 64);
	label64[64] = '\0';
	cr_assert_eq(dns_name_from_text(w, sizeof(w), label64), -EINVAL);
	label64[63] = '\0';
	cr_assert_eq(dns_name_from_text(w, sizeof(w), label64), 65);

	cr_assert_eq(dns_name_from_text(w, sizeof(w), "a..b"), -EINVAL);
	cr_assert_eq(dns_name_from_text(w, sizeof(w), ".a"), -EINVAL);
	cr_assert_eq(dns_name_from_text(w, sizeof(w), "a.."), -EINVAL);
	cr_assert_eq(dns_name_from_text(w, sizeof(w), "a b"), -EINVAL);
	cr_assert_eq(dns_name_from_text(w, sizeof(w), "*.x"), -EINVAL);
	cr_assert_eq(dns_name_from_text(w, sizeof(w), "a\\.b"), -EINVAL);
	cr_assert_eq(dns_name_from_text(w, 3, "abc"), -ENOSPC);

	/* 127 one-letter labels: 254 bytes + root = 255: fits; one more does not */
	for (int i = 0; i < 127; i++) {
		long_name[2 * i] = 'a';
		long_name[2 * i + 1] = '.';
	}
	long_name[253] = '\0';
	cr_assert_eq(dns_name_from_text(w, sizeof(w), long_name), 255);
	long_name[253] = '.';
	long_name[254] = 'b';
	long_name[255] = '\0';
	cr_assert_eq(dns_name_from_text(w, sizeof(w), long_name), -ENAMETOOLONG);
}

Test(dns_name, len_rejects)
{
	static const uint8_t no_root[] = { 1, 'a' };
	static const uint8_t long_label[] = { 64 };
	static const uint8_t pointer[] = { 0xc0, 0x0c };

	cr_assert_eq(dns_name_len(no_root, sizeof(no_root)), -EBADMSG);
	cr_assert_eq(dns_name_len(long_label, sizeof(long_label)), -EBADMSG);
	cr_assert_eq(dns_name_len(pointer, sizeof(pointer)), -EBADMSG);
}

Test(dns_name, compare_case_insensitive)
{
	uint8_t a[DNS_NAME_MAX], b[DNS_NAME_MAX], c[DNS_NAME_MAX];
	int la = wire(a, "Web.Default.SVC.cluster.LOCAL"),
	    lb = wire(b, "web.default.svc.cluster.local");
	int lc = wire(c, "web.default.svc.cluster.locax");

	cr_assert(dns_name_eq(a, la, b, lb));
	cr_assert_not(dns_name_eq(b, lb, c, lc));
	dns_name_lower(a, la);
	cr_assert_eq(memcmp(a, b, lb), 0);
}

Test(dns_name, suffix)
{
	uint8_t n[DNS_NAME_MAX], zn[DNS_NAME_MAX], x[DNS_NAME_MAX];
	int ln = wire(n, "a.b.CLUSTER.local"), lz = wire(zn, "cluster.local");
	int lx = wire(x, "xcluster.local");

	cr_assert_eq(dns_name_suffix_off(n, ln, zn, lz), 4);
	cr_assert_eq(dns_name_suffix_off(zn, lz, zn, lz), 0);
	cr_assert_eq(dns_name_suffix_off(x, lx, zn, lz), -ENOENT); /* not at a label boundary */
	cr_assert_eq(dns_name_suffix_off(zn, lz, n, ln), -ENOENT);
	cr_assert_eq(dns_name_labels(n, ln), 4);
}

Test(dns_name, reverse)
{
	static const uint8_t v4[4] = { 10, 96, 0, 10 };
	static const uint8_t v6[16] = { 0xfd, 0, 0, 0x10, 0, 0x96, [15] = 0xa };
	uint8_t w[DNS_NAME_MAX];
	char text[DNS_NAME_TEXT_MAX];
	int len;

	len = dns_name_from_ip4(w, sizeof(w), v4);
	cr_assert_gt(len, 0);
	dns_name_to_text(text, sizeof(text), w, len);
	cr_assert_str_eq(text, "10.0.96.10.in-addr.arpa");
	len = dns_name_from_ip6(w, sizeof(w), v6);
	cr_assert_eq(len, 74);
	dns_name_to_text(text, sizeof(text), w, len);
	cr_assert_str_eq(
		text, "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa");
}

Test(dns_name, label_ldh)
{
	cr_assert(dns_label_is_ldh("web-0", 5));
	cr_assert(dns_label_is_ldh("Web", 3));
	cr_assert_not(dns_label_is_ldh("a.b", 3));
	cr_assert_not(dns_label_is_ldh("a_b", 3));
	cr_assert_not(dns_label_is_ldh("", 0));
}

/* ---- writer + parser round trip, checked by ldns ---- */

static size_t build_message(uint8_t *buf, size_t cap)
{
	static const uint8_t a4[4] = { 10, 96, 0, 10 };
	static const uint8_t a6[16] = { 0xfd, 0, [15] = 1 };
	uint8_t q[DNS_NAME_MAX], t[DNS_NAME_MAX], mname[DNS_NAME_MAX], rname[DNS_NAME_MAX];
	int ql = wire(q, "Web.Default.svc.cluster.local"), tl = wire(t, "target.example");
	int ml = wire(mname, "ns.dns.cluster.local"), rl = wire(rname, "hostmaster.cluster.local");
	struct dns_hdr h = { .id = 0x1234,
			     .flags = DNS_FLAG_QR | DNS_FLAG_AA,
			     .count = { 1, 8, 1, 0 } };
	struct dns_soa soa = { mname, ml, rname, rl, 1, 7200, 1800, 86400, 5 };
	struct dns_writer w;

	dns_writer_init(&w, buf, cap);
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_question(&w, q, ql, DNS_TYPE_A, DNS_CLASS_IN), 0);
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_QNAME, 5, a4), 0);
	cr_assert_eq(dns_write_aaaa(&w, DNS_OWNER_QNAME, 5, a6), 0);
	cr_assert_eq(dns_write_srv(&w, DNS_OWNER_NAME(t, tl), 5, 0, 50, 443, t, tl), 0);
	cr_assert_eq(dns_write_name_rr(&w, DNS_OWNER_QNAME, DNS_TYPE_PTR, 5, t, tl), 0);
	cr_assert_eq(dns_write_name_rr(&w, DNS_OWNER_QNAME, DNS_TYPE_CNAME, 5, t, tl), 0);
	cr_assert_eq(dns_write_txt(&w, DNS_OWNER_QNAME, 28800, "1.1.0"), 0);
	cr_assert_eq(dns_write_name_rr(&w, DNS_OWNER_QNAME, DNS_TYPE_NS, 5, t, tl), 0);
	/* an owner that points at the question's "cluster.local" suffix (16 bytes in) */
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_AT(12 + 16), 5, a4), 0);
	cr_assert_eq(dns_write_soa(&w, DNS_OWNER_AT(12 + 16), 5, &soa), 0);
	return w.len;
}

static void expect_ldns(const ldns_rr_list *l, size_t i, const char *want)
{
	ldns_rr *exp = NULL;
	char *got_s, *exp_s;

	cr_assert_eq(ldns_rr_new_frm_str(&exp, want, 0, NULL, NULL), LDNS_STATUS_OK, "%s", want);
	cr_assert_lt(i, ldns_rr_list_rr_count(l));
	got_s = ldns_rr2str(ldns_rr_list_rr(l, i));
	exp_s = ldns_rr2str(exp);
	cr_assert_str_eq(got_s, exp_s);
	free(got_s);
	free(exp_s);
	ldns_rr_free(exp);
}

Test(dns_writer, round_trip_ldns)
{
	uint8_t buf[1024];
	size_t len = build_message(buf, sizeof(buf));
	ldns_pkt *pkt = NULL;

	cr_assert_eq(dns_msg_validate(buf, len), 0);
	cr_assert_eq(ldns_wire2pkt(&pkt, buf, len), LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt_id(pkt), 0x1234);
	cr_assert(ldns_pkt_aa(pkt));
	cr_assert(ldns_pkt_qr(pkt));
	expect_ldns(ldns_pkt_answer(pkt), 0, "Web.Default.svc.cluster.local. 5 IN A 10.96.0.10");
	expect_ldns(ldns_pkt_answer(pkt), 1, "Web.Default.svc.cluster.local. 5 IN AAAA fd00::1");
	expect_ldns(ldns_pkt_answer(pkt), 2, "target.example. 5 IN SRV 0 50 443 target.example.");
	expect_ldns(ldns_pkt_answer(pkt), 3,
		    "Web.Default.svc.cluster.local. 5 IN PTR target.example.");
	expect_ldns(ldns_pkt_answer(pkt), 4,
		    "Web.Default.svc.cluster.local. 5 IN CNAME target.example.");
	expect_ldns(ldns_pkt_answer(pkt), 5,
		    "Web.Default.svc.cluster.local. 28800 IN TXT \"1.1.0\"");
	expect_ldns(ldns_pkt_answer(pkt), 6,
		    "Web.Default.svc.cluster.local. 5 IN NS target.example.");
	expect_ldns(ldns_pkt_answer(pkt), 7, "cluster.local. 5 IN A 10.96.0.10");
	expect_ldns(ldns_pkt_authority(pkt), 0,
		    "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. "
		    "1 7200 1800 86400 5");
	ldns_pkt_free(pkt);
}

Test(dns_parser, round_trip_own)
{
	uint8_t buf[1024], name[DNS_NAME_MAX], t[DNS_NAME_MAX];
	size_t len = build_message(buf, sizeof(buf)), nlen, tl2;
	struct dns_question q;
	struct dns_parser p;
	struct dns_rr rr;
	uint16_t prio, weight, port;
	int tl = wire(t, "target.example"), n = 0;

	cr_assert_eq(dns_parser_init(&p, buf, len), 0);
	cr_assert_eq(p.hdr.id, 0x1234);
	cr_assert_eq(p.hdr.count[DNS_SEC_ANSWER], 8);
	cr_assert_eq(dns_parser_question(&p, &q), 0);
	cr_assert_eq(q.qtype, DNS_TYPE_A);
	cr_assert_eq(q.qclass, DNS_CLASS_IN);
	cr_assert_eq(q.name_len, (size_t)wire(name, "Web.Default.svc.cluster.local"));
	cr_assert_eq(memcmp(q.name, name, q.name_len), 0);
	cr_assert_eq(dns_parser_question(&p, &q), -ENOENT);
	while (dns_parser_rr(&p, &rr) == 0) {
		n++;
		if (rr.type == DNS_TYPE_A && rr.section == DNS_SEC_ANSWER && n == 1) {
			/* the owner pointer was followed: case as in the question */
			cr_assert_eq(rr.name_len, q.name_len);
			cr_assert_eq(memcmp(rr.name, q.name, q.name_len), 0);
			cr_assert_eq(rr.ttl, 5);
			cr_assert_eq(rr.rdlen, 4);
			cr_assert_eq(rr.rdata[0], 10);
		}
		if (rr.type == DNS_TYPE_SRV) {
			cr_assert_eq(dns_rr_srv(&p, &rr, &prio, &weight, &port, name, &nlen), 0);
			cr_assert_eq(prio, 0);
			cr_assert_eq(weight, 50);
			cr_assert_eq(port, 443);
			cr_assert_eq(nlen, (size_t)tl);
			cr_assert_eq(memcmp(name, t, tl), 0);
		}
		if (rr.type == DNS_TYPE_PTR) {
			cr_assert_eq(dns_rr_target(&p, &rr, name, &tl2), 0);
			cr_assert_eq(tl2, (size_t)tl);
		}
		if (rr.type == DNS_TYPE_SOA) {
			cr_assert_eq(rr.section, DNS_SEC_AUTHORITY);
			cr_assert_eq(rr.name_len, 15);	/* cluster.local via the pointer */
		}
	}
	cr_assert_eq(n, 9);
	cr_assert_eq(dns_parser_end(&p), 0);
}

Test(dns_writer, overflow_leaves_buffer)
{
	static const uint8_t a4[4] = { 1, 2, 3, 4 };
	uint8_t buf[30];
	struct dns_writer w;

	dns_writer_init(&w, buf, sizeof(buf));
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_QNAME, 5, a4), 0);
	cr_assert_eq(w.len, 16);
	cr_assert_eq(dns_write_a(&w, DNS_OWNER_QNAME, 5, a4), -EMSGSIZE);
	cr_assert_eq(w.len, 16);
	cr_assert_eq(dns_write_bytes(&w, buf, 15), -EMSGSIZE);
	cr_assert_eq(dns_write_bytes(&w, buf, 14), 0);
	cr_assert_eq(w.len, 30);
}

Test(dns_writer, txt_long_splits)
{
	char text[600];
	uint8_t buf[1024];
	struct dns_writer w;
	ldns_pkt *pkt = NULL;
	struct dns_hdr h = { .count = { 0, 1, 0, 0 } };
	uint8_t root = 0;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	dns_writer_init(&w, buf, sizeof(buf));
	dns_write_hdr(&w, &h);
	cr_assert_eq(dns_write_txt(&w, DNS_OWNER_NAME(&root, 1), 1, text), 0);
	cr_assert_eq(w.len, 12 + 1 + 10 + 599 + 3); /* 255 + 255 + 89, one length byte each */
	cr_assert_eq(dns_msg_validate(buf, w.len), 0);
	cr_assert_eq(ldns_wire2pkt(&pkt, buf, w.len), LDNS_STATUS_OK);
	cr_assert_eq(ldns_rr_rd_count(ldns_rr_list_rr(ldns_pkt_answer(pkt), 0)), 3);
	ldns_pkt_free(pkt);
}

Test(dns_writer, bad_owner)
{
	uint8_t buf[64];
	struct dns_writer w;

	dns_writer_init(&w, buf, sizeof(buf));
	cr_assert_eq(dns_write_rr(&w, DNS_OWNER_AT(0x4000), 1, 1, 0, NULL, 0), -EINVAL);
	cr_assert_eq(dns_write_rr(&w, DNS_OWNER_NAME(buf, 0), 1, 1, 0, NULL, 0), -EINVAL);
	cr_assert_eq(dns_write_question(&w, (const uint8_t *)"\x01", 1, 1, 1), -EINVAL);
	cr_assert_eq(w.len, 0);
}

Test(dns_parser, hdr_codec)
{
	struct dns_hdr h = { .id = 0xbeef, .flags = 0x8583, .count = { 1, 2, 3, 4 } }, g;
	uint8_t b[DNS_HDR_LEN];

	dns_hdr_encode(b, &h);
	cr_assert_eq(dns_hdr_decode(b, sizeof(b), &g), 0);
	cr_assert_eq(memcmp(&g, &h, sizeof(h)), 0);
	cr_assert_eq(dns_hdr_decode(b, 11, &g), -EBADMSG);
}

Test(dns_parser, backward_pointer_chain)
{
	/* question a.b.c, answer owner x + ptr to "b.c" (offset 14): x.b.c */
	static const uint8_t msg[] = {
		0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		1, 'a', 1, 'b', 1, 'c', 0, 0, 1, 0, 1,
		1, 'x', 0xc0, 14, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4,
	};
	static const uint8_t want[] = { 1, 'x', 1, 'b', 1, 'c', 0 };
	struct dns_question q;
	struct dns_parser p;
	struct dns_rr rr;

	cr_assert_eq(dns_parser_init(&p, msg, sizeof(msg)), 0);
	cr_assert_eq(dns_parser_question(&p, &q), 0);
	cr_assert_eq(dns_parser_rr(&p, &rr), 0);
	cr_assert_eq(rr.name_len, sizeof(want));
	cr_assert_eq(memcmp(rr.name, want, sizeof(want)), 0);
	cr_assert_eq(dns_parser_rr(&p, &rr), -ENOENT);
	cr_assert_eq(dns_parser_end(&p), 0);
	cr_assert_eq(dns_type_name(DNS_TYPE_SRV)[0], 'S');
	cr_assert_null(dns_type_name(999));
}

/* ---- malformed messages: all must be -EBADMSG ---- */

/* Criterion runs each case in a fresh process (not a fork): parameters hold their bytes
 * inline, never pointers, which would not survive address-space randomisation. */
struct bad_case {
	char name[48];
	uint8_t msg[64];
	size_t len;
};

#define HDR(qd, an, ns, ar) 0x12, 0x34, 0x01, 0x00, 0, qd, 0, an, 0, ns, 0, ar
#define Q_ROOT_A 0, 0, 1, 0, 1		/* question: root, A, IN */
#define BAD(n, ...) { .name = n, .msg = { __VA_ARGS__ }, .len = sizeof((uint8_t[]){ __VA_ARGS__ }) }

static struct bad_case bad_cases[] = {
	BAD("header truncated", 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0),
	BAD("one byte", 0),
	BAD("qdcount without question", HDR(1, 0, 0, 0)),
	BAD("name truncated in label", HDR(1, 0, 0, 0), 3, 'a', 'b'),
	BAD("name without root", HDR(1, 0, 0, 0), 1, 'a'),
	BAD("qtype truncated", HDR(1, 0, 0, 0), 1, 'a', 0, 0),
	BAD("qclass truncated", HDR(1, 0, 0, 0), 1, 'a', 0, 0, 1, 0),
	BAD("label 64 (0x40 type)", HDR(1, 0, 0, 0), 0x40, 'a', 0, 0, 1, 0, 1),
	BAD("label type 0x80", HDR(1, 0, 0, 0), 0x80, 0, 0, 1, 0, 1),
	BAD("pointer to itself", HDR(1, 0, 0, 0), 0xc0, 12, 0, 1, 0, 1),
	BAD("pointer loop into own segment", HDR(1, 0, 0, 0), 1, 'a', 0xc0, 12, 0, 1, 0, 1),
	BAD("mutual pointers", HDR(1, 1, 0, 0), 1, 'a', 0xc0, 23, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1,
	    0, 0, 0, 0, 0, 0),
	BAD("forward pointer", HDR(1, 0, 0, 0), 0xc0, 18, 0, 1, 0, 1, 1, 'a', 0),
	BAD("pointer past end", HDR(1, 0, 0, 0), 0xc0, 0xff, 0, 1, 0, 1),
	BAD("pointer 0x3fff", HDR(1, 0, 0, 0), 0xff, 0xff, 0, 1, 0, 1),
	BAD("pointer truncated", HDR(1, 0, 0, 0), 1, 'a', 0xc0),
	BAD("rr fixed part truncated", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 1, 0, 1, 0, 0),
	BAD("rdlength past end", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2,
	    3),
	BAD("A rdata 5 bytes", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 5, 1, 2, 3,
	    4, 5),
	BAD("AAAA rdata 4 bytes", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 28, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2,
	    3, 4),
	BAD("CNAME rdata longer than its name", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 5, 0, 1, 0, 0, 0,
	    5, 0, 3, 1, 'a', 0xc0),
	BAD("CNAME rdata name runs past rdlength", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 5, 0, 1, 0, 0,
	    0, 5, 0, 2, 1, 'a', 0),
	BAD("PTR rdata forward pointer", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 12, 0, 1, 0, 0, 0, 5, 0,
	    2, 0xc0, 40),
	BAD("SOA rdata short", HDR(1, 0, 1, 0), Q_ROOT_A, 0, 0, 6, 0, 1, 0, 0, 0, 5, 0, 6, 0, 0, 0,
	    0, 0, 1),
	BAD("SRV rdata short", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 33, 0, 1, 0, 0, 0, 5, 0, 5, 0, 0, 0,
	    0, 0),
	BAD("MX without name", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 15, 0, 1, 0, 0, 0, 5, 0, 2, 0, 1),
	BAD("TXT string overruns", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 16, 0, 1, 0, 0, 0, 5, 0, 2, 5,
	    'a'),
	BAD("TXT empty rdata", HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 16, 0, 1, 0, 0, 0, 5, 0, 0),
	BAD("ancount 2, one RR", HDR(1, 2, 0, 0), Q_ROOT_A, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2,
	    3, 4),
	BAD("arcount 1, nothing", HDR(1, 0, 0, 1), Q_ROOT_A),
	BAD("trailing bytes", HDR(1, 0, 0, 0), Q_ROOT_A, 0xde, 0xad),
};

ParameterizedTestParameters(dns_parser, malformed)
{
	return cr_make_param_array(struct bad_case, bad_cases, ARRAY_SIZE(bad_cases));
}

ParameterizedTest(struct bad_case *tc, dns_parser, malformed)
{
	cr_assert_eq(dns_msg_validate(tc->msg, tc->len), -EBADMSG, "%s", tc->name);
}

static size_t put_labels(uint8_t *p, int n63, int tail, char c)
{
	size_t o = 0;

	for (int i = 0; i < n63; i++) {
		p[o++] = 63;
		memset(p + o, c, 63);
		o += 63;
	}
	if (tail) {
		p[o++] = (uint8_t)tail;
		memset(p + o, c, tail);
		o += tail;
	}
	return o;
}

Test(dns_parser, name_over_255)
{
	static const uint8_t hdr[] = { HDR(1, 0, 0, 0) };
	uint8_t msg[512];
	size_t o = 12;

	/* 4 labels of 63 + root = 257 bytes */
	memcpy(msg, hdr, 12);
	o += put_labels(msg + o, 4, 0, 'a');
	msg[o++] = 0;
	memcpy(msg + o, "\x00\x01\x00\x01", 4);
	o += 4;
	cr_assert_eq(dns_msg_validate(msg, o), -EBADMSG);
}

Test(dns_parser, name_over_255_via_pointer)
{
	static const uint8_t hdr[] = { HDR(1, 1, 0, 0) };
	uint8_t msg[512];
	size_t o = 12, ok_len;

	/* question: 3 x 63 + 7-byte label + root = 201 bytes; answer owner: a 63-byte label
	 * + pointer to it = 64 + 201 = 265 > 255. With a 53-byte label it is 255: valid. */
	memcpy(msg, hdr, 12);
	o += put_labels(msg + o, 3, 7, 'b');
	msg[o++] = 0;
	memcpy(msg + o, "\x00\x01\x00\x01", 4);
	o += 4;
	ok_len = o;
	o += put_labels(msg + o, 0, 63, 'd');
	msg[o++] = 0xc0;
	msg[o++] = 12;
	memcpy(msg + o, "\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04\x01\x02\x03\x04", 14);
	o += 14;
	cr_assert_eq(dns_msg_validate(msg, o), -EBADMSG);

	o = ok_len;
	o += put_labels(msg + o, 0, 53, 'd');
	msg[o++] = 0xc0;
	msg[o++] = 12;
	memcpy(msg + o, "\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04\x01\x02\x03\x04", 14);
	o += 14;
	cr_assert_eq(dns_msg_validate(msg, o), 0);
}

/* The same table's well-formed counterparts parse: the checks above are not vacuous. */
Test(dns_parser, wellformed_counterparts)
{
	static const uint8_t ok[][40] = {
		{ HDR(1, 0, 0, 0), 1, 'a', 0, 0, 1, 0, 1 },
		{ HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4 },
		{ HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 5, 0, 1, 0, 0, 0, 5, 0, 3, 1, 'a', 0 },
		{ HDR(1, 1, 0, 0), 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 5, 0, 2,
		  0xc0, 12 },
		{ HDR(1, 1, 0, 0), Q_ROOT_A, 0, 0, 16, 0, 1, 0, 0, 0, 5, 0, 2, 1, 'a' },
	};
	static const size_t lens[] = { 19, 32, 31, 33, 30 };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		cr_assert_eq(dns_msg_validate(ok[i], lens[i]), 0, "case %zu", i);
}
