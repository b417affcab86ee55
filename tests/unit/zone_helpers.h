/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tests/unit/zone_helpers.h - zone test helpers, included by the test_zone*.c files.
 *
 * Fixtures are JSON with single quotes (turned into double quotes on load) so they read
 * like kubectl output. Answers from zone_answer() are checked by assembling the full
 * response (header + question + data) and parsing it with libldns, an independent DNS
 * implementation, and with our own parser; the checksum is verified on the way.
 */
#ifndef XDPDNS_TEST_ZONE_HELPERS_H
#define XDPDNS_TEST_ZONE_HELPERS_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <ldns/ldns.h>

#include "userspace/dns/dns.h"
#include "userspace/zone/zone.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define TEST_SERIAL 1234

/* short type names for the tables of expectations */
#define A	DNS_TYPE_A
#define AAAA	DNS_TYPE_AAAA
#define SRV	DNS_TYPE_SRV
#define PTR	DNS_TYPE_PTR
#define TXT	DNS_TYPE_TXT
#define SOA	DNS_TYPE_SOA
#define NS	DNS_TYPE_NS
#define CNAME	DNS_TYPE_CNAME
#define HINFO	DNS_TYPE_HINFO

static const uint8_t test_v4[][4] = { { 10, 96, 0, 10 } };
static const uint8_t test_v6[][16] = { { 0xfd, 0, 0, 0x10, 0, 0x96, [15] = 0x0a } };

static inline struct zone *zone_make(enum zone_pods_mode pods, const char *const *rz,
				     unsigned int ttl)
{
	struct zone_config cfg = {
		.zone = "cluster.local",
		.ttl = ttl,
		.pods = pods,
		.serial = TEST_SERIAL,
		.reverse_zones = rz,
		.listen_v4 = test_v4,
		.n_v4 = 1,
		.listen_v6 = test_v6,
		.n_v6 = 1,
	};
	struct zone *z = zone_new(&cfg);

	cr_assert_not_null(z, "zone_new: %s", strerror(errno));
	return z;
}

/* Load single-quoted JSON; returns zone_load_json()'s result. */
static inline int zone_load_sq(struct zone *z, const char *sq)
{
	struct json_object *j;
	char *s = strdup(sq);
	int err;

	cr_assert_not_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_tokener_parse(s);
	cr_assert_not_null(j, "fixture is not JSON: %s", s);
	err = zone_load_json(z, j);
	json_object_put(j);
	free(s);
	return err;
}

static inline struct zone *zone_from(enum zone_pods_mode pods, const char *const *rz,
				     const char *sq)
{
	struct zone *z = zone_make(pods, rz, 5);

	cr_assert_eq(zone_load_sq(z, sq), 0);
	cr_assert_eq(zone_build(z), 0);
	return z;
}

/* Text -> wire without the codec's character check, so "*" labels can be asked. */
static inline size_t qwire(uint8_t *out, const char *text)
{
	size_t o = 0;
	const char *p = text;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		cr_assert(l > 0 && l < 64 && o + l + 2 <= DNS_NAME_MAX, "bad test name %s", text);
		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	out[o++] = 0;
	return o;
}

/* Full response around an answer; returns its length. */
static inline size_t answer_msg(uint8_t *buf, const uint8_t *qn, size_t ql, uint16_t qtype,
				const struct xdpdns_answer *a)
{
	struct dns_hdr h = {
		.id = 0x4242,
		.flags = DNS_FLAG_QR | DNS_FLAG_AA | a->rcode,
		.count = { 1, a->ancount, a->nscount, a->arcount },
	};
	struct dns_writer w;

	dns_writer_init(&w, buf, DNS_HDR_LEN + DNS_NAME_MAX + 4 + XDPDNS_ANSWER_MAX);
	cr_assert_eq(dns_write_hdr(&w, &h), 0);
	cr_assert_eq(dns_write_question(&w, qn, ql, qtype, DNS_CLASS_IN), 0);
	cr_assert_eq(dns_write_bytes(&w, a->data, a->len), 0);
	return w.len;
}

static inline int zanswer(struct zone *z, const char *name, uint16_t qtype,
			  struct xdpdns_answer *a)
{
	uint8_t qn[DNS_NAME_MAX];
	size_t ql = qwire(qn, name);

	return zone_answer(z, qn, ql, qtype, a);
}

/* ask() renders with zone_answer_buf(), the slow path's view, instead of zone_answer(). */
static bool zh_slow_path;

/* zone_answer() -> ldns packet; asserts it is a fast-path answer that parses cleanly. */
static inline ldns_pkt *ask(struct zone *z, const char *name, uint16_t qtype)
{
	uint8_t qn[DNS_NAME_MAX], msg[DNS_HDR_LEN + DNS_NAME_MAX + 4 + XDPDNS_ANSWER_MAX];
	struct xdpdns_answer a;
	ldns_pkt *pkt = NULL;
	size_t ql = qwire(qn, name), len;
	int err;

	if (zh_slow_path) {
		struct zone_reply r;

		memset(&a, 0, sizeof(a));
		err = zone_answer_buf(z, qn, ql, qtype, &r, a.data, sizeof(a.data));
		cr_assert_eq(err, 0, "%s/%u: zone_answer_buf %d", name, qtype, err);
		a = (struct xdpdns_answer){ .rcode = r.rcode, .flags = r.flags, .ancount = r.ancount,
					    .nscount = r.nscount, .arcount = r.arcount,
					    .len = (uint16_t)r.len };
		err = zone_answer_buf(z, qn, ql, qtype, &r, a.data, sizeof(a.data));
		a.csum = xdpdns_csum_partial(a.data, a.len);
	}
	err = zh_slow_path ? err : zone_answer(z, qn, ql, qtype, &a);
	cr_assert_eq(err, 0, "%s/%u: zone_answer %d", name, qtype, err);
	cr_assert_eq(a.flags & XDPDNS_ANS_PASS, 0, "%s/%u: unexpected PASS", name, qtype);
	cr_assert_eq(a.zone, 0);
	cr_assert_eq(a.pad[0] | a.pad[1] | a.pad[2], 0);
	cr_assert_eq(a.csum, xdpdns_csum_partial(a.data, a.len), "%s: csum", name);
	for (size_t i = a.len; i < sizeof(a.data); i++)
		cr_assert_eq(a.data[i], 0, "%s: data beyond len not zero", name);
	len = answer_msg(msg, qn, ql, qtype, &a);
	cr_assert_eq(dns_msg_validate(msg, len), 0, "%s/%u: own parser rejects the answer", name,
		     qtype);
	cr_assert_eq(ldns_wire2pkt(&pkt, msg, len), LDNS_STATUS_OK, "%s/%u: ldns rejects", name,
		     qtype);
	return pkt;
}

static inline int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The section holds exactly the RRs in want (any order), compared as ldns prints them. */
static inline void expect_section(const ldns_rr_list *l, const char *const *want, const char *ctx)
{
	size_t n = 0, got_n = l ? ldns_rr_list_rr_count(l) : 0;
	char *got[64], *exp[64];

	while (want[n])
		n++;
	cr_assert_eq(got_n, n, "%s: %zu records, want %zu", ctx, got_n, n);
	cr_assert_leq(n, 64);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = NULL;

		cr_assert_eq(ldns_rr_new_frm_str(&rr, want[i], 0, NULL, NULL), LDNS_STATUS_OK,
			     "bad expectation %s", want[i]);
		exp[i] = ldns_rr2str(rr);
		got[i] = ldns_rr2str(ldns_rr_list_rr(l, i));
		ldns_rr_free(rr);
	}
	qsort(exp, n, sizeof(exp[0]), str_cmp);
	qsort(got, n, sizeof(got[0]), str_cmp);
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(got[i], exp[i], "%s", ctx);
		free(got[i]);
		free(exp[i]);
	}
}

static inline void expect_answer_ar(struct zone *z, const char *name, uint16_t qtype,
				    const char *const *an, const char *const *ar)
{
	static const char *const none[] = { NULL };
	ldns_pkt *pkt = ask(z, name, qtype);

	cr_assert_eq(ldns_pkt_get_rcode(pkt), LDNS_RCODE_NOERROR, "%s: rcode", name);
	expect_section(ldns_pkt_answer(pkt), an, name);
	expect_section(ldns_pkt_authority(pkt), none, name);
	expect_section(ldns_pkt_additional(pkt), ar, name);
	ldns_pkt_free(pkt);
}

static inline void expect_answer(struct zone *z, const char *name, uint16_t qtype,
				 const char *const *an)
{
	static const char *const none[] = { NULL };

	expect_answer_ar(z, name, qtype, an, none);
}

static inline void soa_text(char *buf, size_t cap, const char *apex, unsigned int ttl)
{
	snprintf(buf, cap, "%s. %u IN SOA ns.dns.%s. hostmaster.%s. %u 7200 1800 86400 %u", apex,
		 ttl, apex, apex, TEST_SERIAL, ttl);
}

static inline void expect_negative(struct zone *z, const char *name, uint16_t qtype,
				   ldns_pkt_rcode rcode, const char *apex, unsigned int ttl)
{
	static const char *const none[] = { NULL };
	ldns_pkt *pkt = ask(z, name, qtype);
	char soa[512];
	const char *auth[] = { soa, NULL };

	soa_text(soa, sizeof(soa), apex, ttl);
	cr_assert_eq(ldns_pkt_get_rcode(pkt), rcode, "%s/%u: rcode %d, want %d", name, qtype,
		     ldns_pkt_get_rcode(pkt), rcode);
	expect_section(ldns_pkt_answer(pkt), none, name);
	expect_section(ldns_pkt_authority(pkt), auth, name);
	expect_section(ldns_pkt_additional(pkt), none, name);
	ldns_pkt_free(pkt);
}

#define expect_nodata(z, name, qtype, apex)                                                       \
	expect_negative(z, name, qtype, LDNS_RCODE_NOERROR, apex, 5)
#define expect_nxdomain(z, name, qtype, apex)                                                     \
	expect_negative(z, name, qtype, LDNS_RCODE_NXDOMAIN, apex, 5)

static inline void expect_pass(struct zone *z, const char *name, uint16_t qtype)
{
	struct xdpdns_answer a;

	cr_assert_eq(zanswer(z, name, qtype, &a), 0, "%s/%u", name, qtype);
	cr_assert_eq(a.flags & XDPDNS_ANS_PASS, XDPDNS_ANS_PASS, "%s/%u: want PASS", name, qtype);
	cr_assert_eq(a.len, 0);
	cr_assert_eq(a.ancount + a.nscount + a.arcount, 0);
}

static inline void expect_enoent(struct zone *z, const char *name, uint16_t qtype)
{
	struct xdpdns_answer a;

	cr_assert_eq(zanswer(z, name, qtype, &a), -ENOENT, "%s/%u: want -ENOENT", name, qtype);
}

#endif
