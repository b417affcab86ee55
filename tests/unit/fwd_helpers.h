/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tests/unit/fwd_helpers.h - DNS messages for the cache and forwarder tests, built with the
 * project's writer: queries, and responses with A, CNAME, SOA, TXT and OPT records.
 */
#ifndef XDPDNS_TESTS_FWD_HELPERS_H
#define XDPDNS_TESTS_FWD_HELPERS_H

#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "userspace/dns/dns.h"

struct msgbuf {
	uint8_t b[DNS_MSG_MAX];
	struct dns_writer w;
};

static inline int th_name(uint8_t *out, const char *text)
{
	int len = dns_name_from_text(out, DNS_NAME_MAX, text);

	cr_assert_gt(len, 0, "name %s", text);
	return len;
}

/* Header + one question; flags as given. */
static inline void th_start(struct msgbuf *m, uint16_t id, uint16_t flags, const char *qname,
			    uint16_t qtype, uint16_t an, uint16_t ns, uint16_t ar)
{
	struct dns_hdr h = { .id = id, .flags = flags, .count = { 1, an, ns, ar } };
	uint8_t n[DNS_NAME_MAX];
	int len = th_name(n, qname);

	dns_writer_init(&m->w, m->b, sizeof(m->b));
	cr_assert_eq(dns_write_hdr(&m->w, &h), 0);
	cr_assert_eq(dns_write_question(&m->w, n, (size_t)len, qtype, DNS_CLASS_IN), 0);
}

static inline void th_a(struct msgbuf *m, uint32_t ttl, uint8_t last)
{
	const uint8_t a[4] = { 192, 0, 2, last };

	cr_assert_eq(dns_write_a(&m->w, DNS_OWNER_QNAME, ttl, a), 0);
}

static inline void th_soa(struct msgbuf *m, const char *zone, uint32_t ttl, uint32_t minimum)
{
	uint8_t z[DNS_NAME_MAX], mn[DNS_NAME_MAX], rn[DNS_NAME_MAX];
	int zl = th_name(z, zone), ml = th_name(mn, "ns.example"), rl = th_name(rn, "h.example");
	struct dns_soa soa = { .mname = mn, .mname_len = (size_t)ml, .rname = rn,
			       .rname_len = (size_t)rl, .serial = 1, .refresh = 7200,
			       .retry = 1800, .expire = 86400, .minimum = minimum };

	cr_assert_eq(dns_write_soa(&m->w, DNS_OWNER_NAME(z, (size_t)zl), ttl, &soa), 0);
}

/* OPT: payload size, DO bit. */
static inline void th_opt(struct msgbuf *m, uint16_t size, int dnssec_ok)
{
	uint8_t o[11] = { 0, 0, DNS_TYPE_OPT, (uint8_t)(size >> 8), (uint8_t)size, 0, 0,
			  dnssec_ok ? 0x80 : 0, 0, 0, 0 };

	cr_assert_eq(dns_write_bytes(&m->w, o, sizeof(o)), 0);
}

/* TTL of the n-th RR (0-based, all sections after the question). */
static inline uint32_t th_rr_ttl(const uint8_t *msg, size_t len, unsigned int n)
{
	struct dns_parser p;
	struct dns_question q;
	struct dns_rr rr;

	cr_assert_eq(dns_parser_init(&p, msg, len), 0);
	cr_assert_eq(dns_parser_question(&p, &q), 0);
	for (unsigned int i = 0; i <= n; i++)
		cr_assert_eq(dns_parser_rr(&p, &rr), 0, "rr %u of %u", i, n);
	return rr.ttl;
}

#endif
