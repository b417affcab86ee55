// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tests/bpf/test_cache.c - the promoted cache map (xdpdns_cache) in the XDP program.
 *
 * Entries are written by hand here, exactly as maps/xdpdns.h describes them (owners 0xc00c,
 * TTL fields zero and listed in ttl_off[], csum with them zero), with expire_ns relative to
 * now. Each query runs once through BPF_PROG_TEST_RUN and must end in the expected verdict
 * with exactly one counter bumped. An answered query must carry the seconds left (N or N - 1
 * for an entry written N seconds before its expiry) in every TTL field, be otherwise byte for
 * byte the entry after the question as sent (0x20 case kept), with QR RA (not AA), RD and CD
 * copied and the OPT echoed, valid IPv4/UDP checksums (tests/lib/pkt.c recomputes them), and
 * decode with libldns.
 *
 * main() loads the program once and shares it with Criterion's workers (tests/lib/fixture.h);
 * the cases share the counters, so they run one at a time. Without root: skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <ldns/ldns.h>

#include "maps.h"
#include "tests/lib/fixture_main.h"
#include "tests/lib/pkt.h"

#define T_A		1
#define T_PTR		12
#define T_AAAA		28
#define T_OPT		41
#define NS		1000000000ull


/* One record of a promoted answer: owner 0xc00c, TTL zero (filled by the fast path). */
struct crr {
	uint16_t type;
	const uint8_t *rdata;
	uint16_t rdlen;
};

#define CRR(t, s) { (t), (const uint8_t *)(s), sizeof(s) - 1 }

/* Write the cache entry (name, qtype) -> rrs, expiring expire_in_ns from now (may be < 0). */
static void cache_put(const char *name, uint16_t qtype, const struct crr *rrs, int n,
		      int64_t expire_in_ns, struct xdpdns_cache_val *out)
{
	struct xdpdns_cache_val v;
	struct xdpdns_key_l kl;
	struct xdpdns_key_m km;
	uint8_t wire[XDPDNS_NAME_MAX + 1];
	int len = pkt_name_encode(name, wire, sizeof(wire));

	cr_assert_gt(len, 0);
	memset(&v, 0, sizeof(v));
	for (int i = 0; i < n; i++) {
		v.ttl_off[v.n_ttls++] = (uint16_t)(v.ans.len + 2 + 4);	/* owner, TYPE, CLASS */
		cr_assert_eq(fixture_rr_add(&v.ans, FIXTURE_AN, "\xc0\x0c", 2, rrs[i].type, 0,
					    rrs[i].rdata, rrs[i].rdlen), 0);
	}
	v.ans.csum = xdpdns_csum_partial(v.ans.data, v.ans.len);
	v.expire_ns = (uint64_t)((int64_t)fixture_now_ns() + expire_in_ns);
	cr_assert_eq(xdpdns_key_build(&kl, wire, (size_t)len, qtype), 0);
	cr_assert_eq(maps_cache_key(&kl, &km), 0);
	cr_assert_eq(bpf_map_update_elem(fixture_worker.maps.cache, &km, &v, BPF_ANY), 0,
		     "cache put: %s", strerror(errno));
	if (out)
		*out = v;
}

static const char *verdict_name(uint32_t v)
{
	return v == XDP_TX ? "XDP_TX" : v == XDP_DROP ? "XDP_DROP" : v == XDP_PASS ? "XDP_PASS"
									   : "XDP_?";
}

/* Run s once; the verdict must follow reason, and reason's counter alone moves, by one. */
static size_t run_one(const struct pkt_spec *s, unsigned int reason, uint8_t *in,
		      struct pkt_layout *l, uint8_t *out)
{
	uint64_t cnt[XDPDNS_R_MAX];
	size_t out_len = PKT_MAX;
	uint32_t verdict, want;
	int n = pkt_build(s, in, PKT_MAX, l);

	cr_assert_gt(n, 0, "pkt_build: %s", strerror(-n));
	cr_assert_eq(fixture_counters_reset(&fixture_worker), 0);
	cr_assert_eq(fixture_run(&fixture_worker, in, (size_t)n, out, &out_len, &verdict), 0);
	cr_assert_eq(fixture_counters_read(&fixture_worker, cnt), 0);
	want = reason < XDPDNS_R_FIRST_DROP ? XDP_TX : reason < XDPDNS_R_FIRST_PASS ? XDP_DROP
										: XDP_PASS;
	cr_assert_eq(verdict, want, "%s: verdict %s, want %s (%s)", s->qname,
		     verdict_name(verdict), verdict_name(want), xdpdns_reason_name(reason));
	for (unsigned int r = 0; r < XDPDNS_R_MAX; r++)
		cr_assert_eq(cnt[r], r == reason ? 1u : 0u, "%s: counter %s is %llu, want %s=1",
			     s->qname, xdpdns_reason_name(r) ? xdpdns_reason_name(r) : "?",
			     (unsigned long long)cnt[r], xdpdns_reason_name(reason));
	if (verdict != XDP_TX) {
		cr_assert_eq(out_len, (size_t)n, "a passed frame changed length");
		cr_assert_arr_eq(out, in, (size_t)n, "a passed frame was modified");
	}
	return out_len;
}

static void expect_reason(const struct pkt_spec *s, unsigned int reason)
{
	uint8_t in[PKT_MAX], out[PKT_MAX];
	struct pkt_layout l;

	run_one(s, reason, in, &l, out);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Query s must be answered from entry v, written lifetime_s before its expiry: returns the
 * TTL it carried, after checking the whole reply.
 */
static uint32_t expect_cached(const struct pkt_spec *s, const struct xdpdns_cache_val *v,
			      uint32_t lifetime_s)
{
	uint8_t in[PKT_MAX], out[PKT_MAX], want[PKT_MAX];
	uint16_t flags = PKT_DNS_QR | PKT_DNS_RA;
	uint16_t qflags = PKT_IS_SET(s->dns_flags) ? (uint16_t)PKT_VAL(s->dns_flags) : PKT_DNS_RD;
	struct pkt_layout l;
	struct pkt_view pv;
	ldns_pkt *lp = NULL;
	size_t out_len, len = 12, ans;
	uint32_t ttl;
	char why[300];

	out_len = run_one(s, XDPDNS_R_ANSWER_CACHED, in, &l, out);
	cr_assert_eq(pkt_parse(out, out_len, &pv, why, sizeof(why)), 0, "reply: %s", why);
	cr_assert_eq(pkt_reply_check(in, &l, &pv, why, sizeof(why)), 0, "reply: %s", why);

	flags |= qflags & (PKT_DNS_RD | PKT_DNS_CD);
	put16(want, s->id);
	put16(want + 2, flags);
	put16(want + 4, 1);
	put16(want + 6, v->ans.ancount);
	put16(want + 8, v->ans.nscount);
	put16(want + 10, v->ans.arcount + s->opt.present);
	memcpy(want + len, in + l.qname, l.qname_len + 4u);	/* as sent, case and all */
	len += l.qname_len + 4u;
	ans = len;
	memcpy(want + len, v->ans.data, v->ans.len);
	len += v->ans.len;
	if (s->opt.present) {
		const uint8_t opt[11] = { 0, 0, T_OPT, XDPDNS_EDNS_SIZE >> 8, XDPDNS_EDNS_SIZE & 0xff,
					  0, 0, (s->opt.flags & PKT_EDNS_DO) ? 0x80 : 0, 0, 0, 0 };

		memcpy(want + len, opt, sizeof(opt));
		len += sizeof(opt);
	}
	cr_assert_eq(pv.dns_len, len, "DNS reply is %u bytes, want %zu", pv.dns_len, len);
	ttl = rd32(out + pv.dns + ans + v->ttl_off[0]);
	cr_assert(ttl == lifetime_s || ttl + 1 == lifetime_s, "TTL %u, want %u or %u", ttl,
		  lifetime_s, lifetime_s - 1);
	for (unsigned int i = 0; i < v->n_ttls; i++)
		put32(want + ans + v->ttl_off[i], ttl);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(out[pv.dns + i], want[i], "DNS reply byte %zu is 0x%02x, want 0x%02x",
			     i, out[pv.dns + i], want[i]);

	cr_assert_eq(ldns_wire2pkt(&lp, out + pv.dns, pv.dns_len), LDNS_STATUS_OK);
	cr_assert(ldns_pkt_qr(lp) && !ldns_pkt_aa(lp) && ldns_pkt_ra(lp) && !ldns_pkt_ad(lp));
	cr_assert_eq(ldns_pkt_rd(lp), !!(qflags & PKT_DNS_RD));
	cr_assert_eq(ldns_pkt_cd(lp), !!(qflags & PKT_DNS_CD));
	cr_assert_eq(ldns_pkt_get_rcode(lp), v->ans.rcode);
	cr_assert_eq(ldns_pkt_edns(lp), s->opt.present);
	cr_assert_eq(ldns_rr_list_rr_count(ldns_pkt_answer(lp)), v->ans.ancount);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(lp)); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(lp), i);
		ldns_rdf *q = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(lp), 0));

		cr_assert_eq(ldns_rr_ttl(rr), ttl, "ldns: RR %zu TTL %u", i, ldns_rr_ttl(rr));
		cr_assert_eq(ldns_rdf_compare(ldns_rr_owner(rr), q), 0, "ldns: RR %zu owner", i);
	}
	ldns_pkt_free(lp);
	return ttl;
}

#define WWW	"www.example.org"


TestSuite(cache, .init = fixture_worker_init, .fini = fixture_worker_fini);

/* TTL = seconds left, 0x20 case kept, OPT echoed, over IPv4 and IPv6. */
Test(cache, a_answered_with_seconds_left)
{
	static const struct crr rrs[] = { CRR(T_A, "\xc6\x12\x05\x01"),
					  CRR(T_A, "\xc6\x12\x05\x02") };
	struct xdpdns_cache_val v;

	cache_put(WWW, T_A, rrs, 2, 30 * NS, &v);
	for (int fam = 4; fam <= 6; fam += 2) {
		struct pkt_spec s = { .family = (uint8_t)fam, .qname = "wWw.ExAmPlE.OrG",
				      .qtype = T_A, .id = 0x1234 };
		struct pkt_spec e = s;

		expect_cached(&s, &v, 30);
		e.opt = (struct pkt_opt){ .present = 1, .udp_size = 4096 };
		e.dns_flags = PKT_SET(0);
		expect_cached(&e, &v, 30);
	}
}

/* The TTL counts down with the entry's remaining life, whatever it was written with. */
Test(cache, ttl_follows_expiry)
{
	static const struct crr rrs[] = { CRR(T_A, "\xc6\x12\x05\x03") };
	struct pkt_spec s = { .qname = "short.example.org", .qtype = T_A, .id = 7 };
	struct xdpdns_cache_val v;

	cache_put("short.example.org", T_A, rrs, 1, 5 * NS + NS / 2, &v);
	expect_cached(&s, &v, 5);
	cache_put("short.example.org", T_A, rrs, 1, 86400 * NS, &v);
	expect_cached(&s, &v, 86400);
}

Test(cache, expired_entry_passed)
{
	static const struct crr rrs[] = { CRR(T_A, "\xc6\x12\x05\x04") };
	struct pkt_spec s = { .qname = "old.example.org", .qtype = T_A };

	cache_put("old.example.org", T_A, rrs, 1, -1, NULL);
	expect_reason(&s, XDPDNS_R_PASS_CACHE_EXPIRED);
	s.family = 6;
	expect_reason(&s, XDPDNS_R_PASS_CACHE_EXPIRED);
	/* less than a second left: a TTL of 0 would not be cached, the slow path refreshes it */
	cache_put("old.example.org", T_A, rrs, 1, NS / 2, NULL);
	expect_reason(&s, XDPDNS_R_PASS_CACHE_EXPIRED);
}

Test(cache, miss_is_not_authoritative)
{
	static const struct crr rrs[] = { CRR(T_A, "\xc6\x12\x05\x05") };
	struct pkt_spec s = { .qname = "other.example.org", .qtype = T_A };

	cache_put("only-a.example.org", T_A, rrs, 1, 30 * NS, NULL);
	expect_reason(&s, XDPDNS_R_PASS_NOT_AUTH);
	s.qname = "only-a.example.org";
	s.qtype = T_AAAA;	/* the key carries the type */
	expect_reason(&s, XDPDNS_R_PASS_NOT_AUTH);
}

/* Names inside a served zone are answered from the zone; a cache entry for one is ignored. */
Test(cache, served_zone_never_consults_cache)
{
	static const struct crr rrs[] = { CRR(T_A, "\xc6\x12\x05\x06") };
	struct pkt_spec s = { .qname = "nope.cluster.local", .qtype = T_A };

	cache_put("nope.cluster.local", T_A, rrs, 1, 30 * NS, NULL);
	expect_reason(&s, XDPDNS_R_NXDOMAIN);
	s.qname = "x.pod.cluster.local";
	cache_put("x.pod.cluster.local", T_A, rrs, 1, 30 * NS, NULL);
	expect_reason(&s, XDPDNS_R_PASS_ZONE_RULE);
}

/* The forwarder caches DO and CD answers apart: those queries go to the slow path. */
Test(cache, do_and_cd_passed)
{
	static const struct crr rrs[] = { CRR(T_A, "\xc6\x12\x05\x07") };
	struct pkt_spec s = { .qname = "dnssec.example.org", .qtype = T_A,
			      .opt = { .present = 1, .udp_size = 1232, .flags = PKT_EDNS_DO } };
	struct xdpdns_cache_val v;

	cache_put("dnssec.example.org", T_A, rrs, 1, 30 * NS, &v);
	expect_reason(&s, XDPDNS_R_PASS_NOT_AUTH);
	s.opt.flags = 0;
	s.dns_flags = PKT_SET(PKT_DNS_RD | PKT_DNS_CD);
	expect_reason(&s, XDPDNS_R_PASS_NOT_AUTH);
	s.dns_flags = PKT_SET(PKT_DNS_RD);
	expect_cached(&s, &v, 30);
}

Test(cache, aaaa_answered)
{
	static const struct crr rrs[] = {
		CRR(T_AAAA, "\xfd\x00\x01\x98\x00\x18\0\0\0\0\0\0\0\0\0\x01"),
	};
	struct pkt_spec s = { .family = 6, .qname = "V6.Example.Org", .qtype = T_AAAA, .id = 9 };
	struct xdpdns_cache_val v;

	cache_put("v6.example.org", T_AAAA, rrs, 1, 20 * NS, &v);
	expect_cached(&s, &v, 20);
}

/*
 * PTR records with targets of odd lengths: the second and third TTL fields sit at odd
 * offsets of the answer, so their checksum words are added at the other parity. The name is
 * an ip6.arpa one (74 bytes, key class M).
 */
#define PTR6 "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.1.0.0.8.9.1.0.0.d.f.ip6.arpa"

Test(cache, ptr_records_at_odd_offsets)
{
	static const struct crr rrs[] = { CRR(T_PTR, "\x01" "a\x07" "example\x03org\x00"),
					  CRR(T_PTR, "\x02" "bb\x07" "example\x03org\x00"),
					  CRR(T_PTR, "\x01" "c\x07" "example\x03org\x00") };
	struct pkt_spec s = { .qname = PTR6, .qtype = T_PTR, .id = 0xfffe,
			      .opt = { .present = 1, .udp_size = 1232 } };
	struct xdpdns_cache_val v;

	cache_put(PTR6, T_PTR, rrs, 3, 40 * NS, &v);
	cr_assert(v.ttl_off[1] & 1, "the second TTL field should be at an odd offset");
	expect_cached(&s, &v, 40);
	s.family = 6;
	expect_cached(&s, &v, 40);
	s.qname = "4.3.2.1.in-addr.arpa";
	cache_put("4.3.2.1.in-addr.arpa", T_PTR, rrs, 2, 40 * NS, &v);
	expect_cached(&s, &v, 40);
}

/*
 * A class-S key must be zero up to class M's size: a long question before it leaves its
 * bytes in the per-CPU key scratch.
 */
#define LONG_M "a-rather-long-name-of-the-middle-class.with-two-long-labels.example.org"

Test(cache, short_key_after_long_question)
{
	static const struct crr rrs[] = { CRR(T_A, "\xc6\x12\x05\x08") };
	struct pkt_spec lng = { .qname = LONG_M, .qtype = T_A };
	struct pkt_spec s = { .qname = "s.example.org", .qtype = T_A };
	struct xdpdns_cache_val v;

	cr_assert_gt(strlen(LONG_M) + 2, XDPDNS_KEY_NAME_MAX(XDPDNS_KEY_S));
	cache_put("s.example.org", T_A, rrs, 1, 30 * NS, &v);
	expect_reason(&lng, XDPDNS_R_PASS_NOT_AUTH);
	expect_cached(&s, &v, 30);
}

/* An entry no promoter writes (flags set) is left to the slow path. */
Test(cache, flagged_entry_passed)
{
	static const struct crr rrs[] = { CRR(T_A, "\xc6\x12\x05\x09") };
	struct pkt_spec s = { .qname = "flag.example.org", .qtype = T_A };
	struct xdpdns_cache_val v;
	struct xdpdns_key_l kl;
	struct xdpdns_key_m km;
	uint8_t wire[64];
	int n = pkt_name_encode(s.qname, wire, sizeof(wire));

	cache_put(s.qname, T_A, rrs, 1, 30 * NS, &v);
	v.ans.flags = XDPDNS_ANS_PASS;
	cr_assert_eq(xdpdns_key_build(&kl, wire, (size_t)n, T_A), 0);
	cr_assert_eq(maps_cache_key(&kl, &km), 0);
	cr_assert_eq(bpf_map_update_elem(fixture_worker.maps.cache, &km, &v, BPF_ANY), 0);
	expect_reason(&s, XDPDNS_R_PASS_ENTRY);
}

/* The zone table of the cases: the pod zone (a pass rule) and cluster.local. */
static int fill(struct fixture *f)
{
	static const struct fixture_soa soa = { 30, 1, 7200, 1800, 86400, 30 };
	struct xdpdns_config cfg;
	int err;

	fixture_config_default(&cfg);
	cfg.n_zones = 2;
	err = fixture_zone_put(f, 0, (const uint8_t *)"\x03pod\x07" "cluster\x05local", 19,
			       XDPDNS_ZONE_PASS, &soa);
	if (!err)
		err = fixture_zone_put(f, 1, (const uint8_t *)"\x07" "cluster\x05local", 15,
				       XDPDNS_ZONE_AUTH, &soa);
	return err ? err : fixture_config_write(f, &cfg);
}

int main(int argc, char *argv[])
{
	return fixture_main(argc, argv, fill);
}
